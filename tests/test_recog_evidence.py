"""Banner evidence through Recog: realistic banners name devices that never answer SNMP."""

from __future__ import annotations

import json
import time

import pytest
from click.testing import CliRunner

from netdiscover.cli import main
from netdiscover.fingerprints import banners, combine, fingerprint, recog
from netdiscover.observation import Observation, Service
from netdiscover.scanners.nmap.parse import parse_xml
from netdiscover.vocabulary import DEVICE_CLASSES


def nmap(*services: Service, scripts: list | None = None) -> Observation:
    facts = {"state": "up", "osmatch": []}
    if scripts:
        facts["scripts"] = scripts
    return Observation(method="nmap", ip="10.1.2.3", services=list(services), facts={"nmap": facts})


def by_field(evidence, field):
    return {e.value for e in evidence if e.field == field}


def test_source_is_registered():
    assert "netdiscover.fingerprints.banners" in combine.SOURCES
    assert banners in combine.sources()


def test_camera_http_server_header():
    obs = nmap(Service(port=80, name="http"),
               scripts=[{"port": 80, "id": "http-server-header", "server": "DNVRS-Webs"}])
    ev = banners.evidence([obs])
    assert by_field(ev, "vendor") == {"Hikvision"} and by_field(ev, "device_class") == {"camera"}
    assert all(e.source == "recog" and 0 < e.weight <= 0.5 for e in ev)
    fp = fingerprint([obs])
    assert fp.vendor == "Hikvision" and fp.device_class == "camera"


def test_camera_rtsp_server_and_ssdp_server():
    rtsp = nmap(Service(port=554, name="rtsp", product="Dahua Rtsp Server"))
    assert by_field(banners.evidence([rtsp]), "device_class") == {"camera"}
    server = "Linux/4.9.94-axis5, UPnP/1.0, Portable SDK for UPnP devices/1.6.22"
    ssdp = Observation(method="iot", ip="10.1.2.4",
                       facts={"ssdp": {"server": server, "st": "upnp:rootdevice"}})
    fp = fingerprint([ssdp])
    assert fp.vendor.casefold() == "axis"
    assert fp.device_class == "camera"


def test_printer_pjl_id_names_the_maker_and_class():
    obs = nmap(Service(port=9100, name="jetdirect", product="HP LaserJet Professional P1606dn"))
    ev = banners.evidence([obs])
    assert by_field(ev, "device_class") == {"printer"}
    # the printer's own firmware names its maker (os.vendor), at a lower weight than hw.vendor
    vendor = [e for e in ev if e.field == "vendor"]
    assert [e.value for e in vendor] == ["HP"] and vendor[0].weight < banners.W_VENDOR
    fp = fingerprint([obs])
    assert (fp.vendor, fp.device_class) == ("HP", "printer")


def test_sip_phone_user_agent():
    obs = nmap(Service(port=5060, protocol="udp", name="sip", product="PolycomVVX-VVX_410-UA",
                       version="5.9.5.0614"))
    ev = banners.evidence([obs])
    assert by_field(ev, "device_class") == {"voip"}
    assert by_field(ev, "model") == {"VVX 410"}
    fp = fingerprint([obs])
    assert fp.device_class == "voip" and fp.model == "VVX 410" and fp.vendor in ("Poly", "Polycom")


@pytest.mark.parametrize("title", ["DS218&nbsp;-&nbsp;Synology&nbsp;DiskStation",
                                   "DS218\xa0-\xa0Synology\xa0DiskStation"])
def test_nas_html_title(title):
    obs = nmap(Service(port=5000, name="http"), scripts=[{"port": 5000, "id": "http-title", "title": title}])
    fp = fingerprint([obs])
    assert (fp.vendor, fp.device_class) == ("Synology", "storage")
    assert any(e.source == "recog" and e.rule.startswith("html_title:") for e in fp.evidence)


def test_openssh_on_ubuntu_gives_the_os_only():
    obs = nmap(Service(port=22, name="ssh", product="OpenSSH", version="8.2p1 Ubuntu 4ubuntu0.5",
                       banner="SSH-2.0-OpenSSH_8.2p1 Ubuntu-4ubuntu0.5"))
    ev = banners.evidence([obs])
    assert by_field(ev, "os_family") == {"linux"}
    assert by_field(ev, "os_version") == {"20.04"}          # from the exact banner
    assert not by_field(ev, "vendor") and not by_field(ev, "device_class") and not by_field(ev, "model")


@pytest.mark.parametrize(("port", "name", "product", "version"), [
    (80, "http", "Apache", "2.4.41"), (80, "http", "lighttpd", "1.4.35"), (443, "https", "nginx", "1.18.0"),
    (22, "ssh", "OpenSSH", "7.4"), (8080, "http-proxy", "Jetty", "9.4.z-SNAPSHOT"),
])
def test_server_software_never_names_the_hardware(port, name, product, version):
    ev = banners.evidence([nmap(Service(port=port, name=name, product=product, version=version))])
    assert not by_field(ev, "vendor") and not by_field(ev, "model")


def test_no_service_vendor_ever_becomes_the_vendor():
    """Over every vendored example: vendor evidence only from hw.vendor (or a printer's firmware)."""
    checked = 0
    for name in recog.names():
        for fp in recog.load(name).fingerprints:
            for example in fp.examples:
                params = recog.match(name, example.text)[1]
                vendors = [e for e in banners.params_evidence(params, "r", "m") if e.field == "vendor"]
                device = (params.get("hw.device") or params.get("os.device") or "").casefold()
                if "hw.vendor" not in params and device not in ("printer", "multifunction device"):
                    assert not vendors, (name, fp.pattern, params)
                checked += 1
    assert checked > 4600
    only_service = {"service.vendor": "Apache", "service.product": "HTTPD", "os.vendor": "Ubuntu"}
    assert not [e for e in banners.params_evidence(only_service, "r", "m") if e.field == "vendor"]


def test_mdns_device_info_model():
    obs = Observation(method="iot", ip="10.1.2.5", facts={"mdns": {
        "services": ["_device-info._tcp"], "records": [
            {"instance": "iPad", "service": "_device-info._tcp", "txt": {"model": "J207AP"}}]}})
    ev = banners.evidence([obs])
    assert by_field(ev, "vendor") == {"Apple"} and by_field(ev, "device_class") == {"mobile"}
    assert by_field(ev, "os_family") == {"apple-ios"}        # Apple's iOS, not Cisco's IOS


def test_device_map_covers_the_common_words_and_only_our_classes():
    classes, families = banners.mapping()
    assert set(classes.values()) <= set(DEVICE_CLASSES) - {"unknown"}
    expected = {"ip camera": "camera", "printer": "printer", "multifunction device": "printer",
                "nas": "storage", "storage": "storage", "voip": "voip", "router": "router",
                "switch": "switch", "firewall": "firewall", "wap": "wireless-ap", "media player": "media",
                "ups": "power", "hypervisor": "hypervisor", "wireless controller": "wireless-controller"}
    assert {k: classes[k] for k in expected} == expected
    assert families["linux"] == ("linux", "Linux") and families["cisco/ios"] == ("ios", "Cisco IOS")


def test_certainty_lowers_the_weight():
    full = banners.params_evidence({"hw.vendor": "Synology", "hw.device": "Router"}, "r", "m")
    unsure = banners.params_evidence({"hw.vendor": "Synology", "hw.device": "Router", "hw.certainty": "0.5"},
                                     "r", "m")
    assert [e.weight for e in unsure] == [round(e.weight * 0.5, 3) for e in full]


def test_banner_evidence_stays_below_snmp():
    snmp = Observation(method="snmp", ip="10.1.2.3", facts={"snmp": {
        "sysDescr": "Cisco IOS Software, C2960X Software (C2960X-UNIVERSALK9-M), Version 15.2(7)E4",
        "sysObjectID": "1.3.6.1.4.1.9.1.1208"}})
    title = nmap(Service(port=80, name="http"), scripts=[{"port": 80, "id": "http-title", "title": "AXIS"}])
    fp = fingerprint([snmp, title])
    assert fp.vendor == "Cisco" and fp.device_class == "switch"
    assert any(e.source == "recog" for e in fp.conflicts)


def test_explain_lists_recog_contributions(tmp_path):
    obs = nmap(Service(port=554, name="rtsp", product="Dahua Rtsp Server"),
               Service(port=80, name="http"),
               scripts=[{"port": 80, "id": "http-server-header", "server": "DNVRS-Webs"}])
    path = tmp_path / "obs.json"
    path.write_text(json.dumps([obs.to_dict()], default=str))
    res = CliRunner().invoke(main, ["fingerprint", "explain", "--observations", str(path)])
    assert res.exit_code == 0, res.output
    lines = [ln for ln in res.output.splitlines() if " recog " in ln]
    assert any("device_class=camera" in ln and "rtsp_servers:" in ln for ln in lines), res.output
    assert any("vendor=Hikvision" in ln and "DNVRS-Webs" in ln for ln in lines), res.output


NMAP_XML = """<?xml version="1.0"?>
<nmaprun><host><status state="up" reason="arp-response"/>
<address addr="10.9.0.7" addrtype="ipv4"/>
<ports>
<port protocol="tcp" portid="443"><state state="open"/><service name="https"/>
 <script id="http-title" output="DS218 - Synology DiskStation">
  <elem key="title">DS218&amp;nbsp;-&amp;nbsp;Synology&amp;nbsp;DiskStation</elem></script>
 <script id="http-server-header" output="nginx"><elem>nginx</elem></script>
 <script id="ssl-cert" output="Subject: commonName=synology"><table key="subject">
  <elem key="commonName">synology</elem><elem key="organizationName">Synology Inc.</elem>
  <elem key="countryName">TW</elem></table></script>
 <script id="ssh-hostkey" output="x"/>
</port>
</ports></host></nmaprun>"""


def test_nmap_parser_keeps_the_script_results_recog_reads():
    run = parse_xml(NMAP_XML)
    scripts = run.observations[0].facts["nmap"]["scripts"]
    assert {s["id"] for s in scripts} == {"http-title", "http-server-header", "ssl-cert"}
    cert = next(s for s in scripts if s["id"] == "ssl-cert")
    assert cert["subject"] == {"commonName": "synology", "organizationName": "Synology Inc.",
                               "countryName": "TW"}
    texts = banners.texts(run.observations)
    assert ("x509_subjects", "CN=synology,O=Synology Inc.,C=TW", "port 443 ssl-cert") in texts
    fp = fingerprint(run.observations)
    assert (fp.vendor, fp.device_class) == ("Synology", "storage")


def test_nmap_parser_bounds_hostile_script_output():
    huge = "A" * 100_000
    xml = NMAP_XML.replace("DS218&amp;nbsp;-&amp;nbsp;Synology&amp;nbsp;DiskStation", huge)
    xml = xml.replace("<script id=\"ssh-hostkey\" output=\"x\"/>",
                      "".join(f'<script id="http-title"><elem key="title">t{n}</elem></script>'
                              for n in range(200)))
    scripts = parse_xml(xml).observations[0].facts["nmap"]["scripts"]
    assert len(scripts) <= 64 and all(len(s.get("title", "")) <= 512 for s in scripts)


HOSTILE = [
    "\n" * 200_000, " \n" * 100_000, "*" * 200_000, "\x00\xff" * 50_000, "SSH-2.0-" + "a " * 100_000,
    "(" * 100_000, "".join(map(chr, range(1, 0xD000))),
]


def test_hostile_observations_never_raise_and_stay_fast():
    services = []
    for n, text in enumerate(HOSTILE):
        for port, name in ((22, "ssh"), (21, "ftp"), (23, "telnet"), (5060, "sip"), (554, "rtsp"),
                           (9100, "jetdirect"), (80, "http")):
            services.append(Service(port=port, name=name, product=text, version=text, extrainfo=text,
                                    banner=text))
        services.append(Service(port=n, name=None, product=None))
    scripts = [{"port": 80, "id": i, "title": t, "server": t, "subject": {"commonName": t}}
               for t in HOSTILE for i in ("http-title", "http-server-header", "ssl-cert")]
    odd = [Observation(method="nmap", services=services, facts={"nmap": {"scripts": scripts}}),
           Observation(method="iot", facts={"mdns": {"records": [
               {"service": "_device-info._tcp", "txt": {"model": t, 5: 6, "x": None}} for t in HOSTILE]},
               "ssdp": {"server": HOSTILE[0]}, "dhcp": {"vendor_class": HOSTILE[2]}}),
           Observation(method="nmap", services=["not a service", None],  # type: ignore[list-item]
                       facts={"nmap": {"scripts": "nope"}, "mdns": [], "ssdp": "x", "dhcp": 3}),
           Observation(method="nmap",
                       facts={"nmap": {"scripts": [None, 1, {"id": "ssl-cert", "subject": 2}]}})]
    started = time.perf_counter()
    ev = banners.evidence(odd)
    fp = fingerprint(odd)
    assert time.perf_counter() - started < 5
    assert isinstance(ev, list) and fp.device_class in DEVICE_CLASSES
    assert len(banners.texts(odd)) <= banners.MAX_TEXTS


def test_mdns_model_key_of_other_apple_services():
    obs = Observation(method="iot", ip="10.1.2.6", facts={"mdns": {"records": [
        {"instance": "Living Room", "service": "_airplay._tcp",
         "txt": {"model": "AppleTV5,3", "deviceid": "x"}},
        {"instance": "Printer", "service": "_ipp._tcp",
         "txt": {"ty": "HP LaserJet", "note": "model=J207AP"}}]}})
    found = banners.texts([obs])
    assert found == [("mdns_device-info_txt", "model=AppleTV5,3", "mdns _airplay._tcp")]
    ev = banners.evidence([obs])
    assert by_field(ev, "vendor") == {"Apple"} and by_field(ev, "device_class") == {"media"}


def test_certificate_subject_commas_are_escaped_as_recog_writes_them():
    obs = nmap(Service(port=443, name="https"), scripts=[{"port": 443, "id": "ssl-cert", "subject": {
        "commonName": "00:22:6b:ef:1e:d0", "organizationalUnitName": "RV042",
        "organizationName": "Cisco-Linksys, LLC", "localityName": "Irvine", "countryName": "US"}}])
    assert banners.texts([obs]) == [("x509_subjects", r"CN=00:22:6b:ef:1e:d0,OU=RV042,O=Cisco-Linksys\, LLC,"
                                     "L=Irvine,C=US", "port 443 ssl-cert")]
    ev = banners.evidence([obs])
    assert by_field(ev, "model") == {"RV042"}


def test_device_map_agrees_with_the_labelled_corpus():
    """Recog's device words through our map, checked on labelled sysDescr strings (read in place)."""
    from tests.test_fingerprint_corpus import INDEX

    if not INDEX.exists():
        pytest.skip(f"corpus not found at {INDEX} (set NETDISCOVER_CORPUS)")
    answered = right = 0
    for record in json.loads(INDEX.read_text())["records"]:
        hit = recog.match("snmp_sysdescr", record.get("sysDescr") or "")
        klass = next((e.value for e in banners.params_evidence(hit[1], "r", "m")
                      if e.field == "device_class"), None) if hit else None
        if klass:
            answered += 1
            right += klass in (record.get("itam_accept") or [record.get("itam_class")])
    assert answered >= 50 and right / answered >= 0.9, (right, answered)


def test_a_product_named_after_a_narrower_class_wins_over_the_device_word():
    # Recog files the AireOS controller ("Cisco Controller") under os.device WAP
    hit = banners.recog_hit("snmp_sysdescr", "Cisco Controller")
    assert ("device_class", "wireless-controller") in {(field, value) for _, field, value, _ in hit}
    assert set(banners.product_classes().values()) <= set(DEVICE_CLASSES) - {"unknown"}
    plain = banners.params_evidence({"os.device": "WAP", "os.product": "UniFi"}, "r", "x")
    assert by_field(plain, "device_class") == {"wireless-ap"}


@pytest.mark.parametrize(("text", "expected"), [
    ("Barracuda Load Balancer ADC", {"load-balancer"}),
    ("Cambium cnPilot E500 Access Point", {"wireless-ap"}),
    ("IBM 3584 UltraScaleable Tape Library 7420", {"storage"}),
    ("Cisco Adaptive Security Appliance Version 9.12(2)", {"firewall"}),   # the longer phrase wins
    ("Catalyst 1200 Series Smart Switch, 8-port GE, Desktop", {"switch"}),  # a form factor, not a class
    ("Linux wap-familyroom 2.6.36.4brcmarm", set()),                        # part of a host name
    ("", set()), (None, set()), (12, set()), ("x" * 100_000, set()),
])
def test_class_words_in_a_product_description(text, expected):
    assert banners.class_words(text) == expected


def test_a_class_only_the_os_implies_weighs_less_than_the_hardware_s_own():
    generic = banners.params_evidence({"os.device": "Router", "os.product": "IOS"}, "r", "x")
    box = banners.params_evidence({"hw.device": "Router", "os.product": "IOS"}, "r", "x")
    weight = {e.field: e.weight for e in generic}["device_class"]
    own = {e.field: e.weight for e in box}["device_class"]
    assert weight == banners.W_CLASS * banners.OS_DEVICE_SCALE < own
