"""nmap OS classes/CPEs and port/service heuristics as fingerprint evidence."""

from __future__ import annotations

import pytest

from netdiscover.fingerprints import fingerprint, nmap, ports
from netdiscover.observation import Observation, Service


def nmap_obs(osmatch=None, services=(), mac_vendor=None, hints=None, mac=None) -> Observation:
    facts = {"state": "up", "osmatch": osmatch or [], "mac_vendor": mac_vendor}
    if hints:
        facts["service_hints"] = hints
    return Observation(method="nmap", ip="192.0.2.30", mac=mac, services=list(services),
                       facts={"nmap": facts})


LINUX = [{"name": "Linux 5.0 - 5.14", "accuracy": 98, "osclass": [
    {"vendor": "Linux", "osfamily": "Linux", "osgen": "5.X", "type": "general purpose", "accuracy": 98,
     "cpe": ["cpe:/o:linux:linux_kernel:5"]}]}]
MIKROTIK = [{"name": "MikroTik RouterOS 6.45", "accuracy": 100, "osclass": [
    {"vendor": "MikroTik", "osfamily": "RouterOS", "osgen": "6.X", "type": "router", "accuracy": 100,
     "cpe": ["cpe:/o:mikrotik:routeros:6"]}]}]


def test_osclass_maps_type_family_and_vendor():
    fp = fingerprint([nmap_obs(MIKROTIK)])
    assert (fp.vendor, fp.device_class, fp.os_family) == ("MikroTik", "router", "routeros")
    assert fp.os_version == "6"                      # the CPE's version beats osgen "6.X"
    assert fp.confidence["device_class"] < 0.85      # nmap stays below an SNMP text rule


def test_general_purpose_is_a_weak_server_hint():
    fp = fingerprint([nmap_obs(LINUX)])
    assert fp.os_family == "linux" and fp.device_class == "server"
    assert fp.confidence["device_class"] < 0.4


def test_low_accuracy_guesses_are_ignored():
    weak = [{"name": "Guess", "accuracy": 60,
             "osclass": [{"osfamily": "Windows", "type": "printer", "accuracy": 60}]}]
    assert nmap.facts_evidence({"osmatch": weak}) == []


def test_snmp_text_rule_outweighs_nmap():
    snmp = Observation(method="snmp", ip="192.0.2.30", facts={"snmp": {
        "sysDescr": "Cisco IOS Software, C2960 Software (C2960-LANBASEK9-M), Version 15.0(2)SE",
        "sysObjectID": "1.3.6.1.4.1.9.1.1208"}})
    fp = fingerprint([snmp, nmap_obs(LINUX)])
    assert fp.os_family == "ios"
    assert any(c.source == "nmap" and c.field == "os_family" for c in fp.conflicts)


@pytest.mark.parametrize(("cpe", "expected"), [
    ("cpe:/o:microsoft:windows_10:1909", {"part": "o", "vendor": "microsoft", "product": "windows 10",
                                          "version": "1909"}),
    ("cpe:2.3:h:cisco:asr_1001:-:*:*:*:*:*:*:*", {"part": "h", "vendor": "cisco", "product": "asr 1001"}),
    ("not-a-cpe", {}), (None, {}), ("cpe:/x:odd", {}),
])
def test_parse_cpe(cpe, expected):
    assert nmap.parse_cpe(cpe) == expected


def test_service_cpe_and_hints():
    svc = Service(443, name="https", product="VMware ESXi SOAP API", cpe=["cpe:/o:vmware:esxi:7.0.3"])
    fp = fingerprint([nmap_obs(services=[svc], hints=[{"port": 443, "devicetype": "WAP"}])])
    assert fp.os_family == "vmware-esxi" and fp.os_version == "7.0.3"


@pytest.mark.parametrize(("services", "klass"), [
    ([Service(9100, name="jetdirect"), Service(515, name="printer")], "printer"),
    ([Service(554, name="rtsp"), Service(80, name="http", product="Hikvision IP Camera httpd")], "camera"),
    ([Service(1883, name="mqtt")], "iot"),
    ([Service(5683, protocol="udp", name="coap")], "iot"),
    ([Service(5060, protocol="udp", name="sip", product="Yealink SIP-T46S")], "voip"),
    ([Service(62078, name="iphone-sync")], "mobile"),
    ([Service(8009, name="ajp13"), Service(8008, name="http", product="Google Chromecast httpd")], "media"),
    ([Service(22, name="ssh", product="OpenSSH")], "unknown"),
])
def test_port_heuristics(services, klass):
    assert fingerprint([nmap_obs(services=services)]).device_class == klass


def test_ports_weigh_less_than_nmap_osclass_and_more_than_oui():
    items = ports.evidence([nmap_obs(services=[Service(9100)])])
    assert items and all(0.3 < e.weight <= 0.55 for e in items)


@pytest.mark.parametrize("facts", [
    {"osmatch": "garbage"}, {"osmatch": [None, 5, {"accuracy": "x", "osclass": "nope"}]},
    {"osmatch": [{"accuracy": 100, "osclass": [{"type": object(), "osfamily": ["x"], "cpe": [None, 7]}]}]},
    {"service_hints": [None, {"devicetype": "\x00" * 10000}], "mac_vendor": 42},
])
def test_hostile_nmap_facts(facts):
    obs = Observation(method="nmap", ip="192.0.2.31", facts={"nmap": facts},
                      services=[Service(70000, name="\x1b[2J" * 1000, product="A" * 1_000_000,
                                        cpe=["cpe:/o:" + "x" * 9999])])
    fp = fingerprint([obs])
    assert fp.device_class == "unknown"
    assert fp.confidence["device_class"] == 0.0
