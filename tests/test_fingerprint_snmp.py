"""SNMP evidence: PEN vendor, sysDescr/sysObjectID rules, ENTITY-MIB, MIB presence, hostile input."""

from __future__ import annotations

import pytest

from netdiscover.fingerprints import class_model, fingerprint, pen, snmp
from netdiscover.observation import Observation


def snmp_obs(descr=None, oid=None, **extra) -> Observation:
    facts = {"sysDescr": descr, "sysObjectID": oid, **extra}
    return Observation(method="snmp", ip="192.0.2.10", facts={"snmp": facts})


# sysDescr strings in the documented formats of each vendor; the sysObjectIDs are the vendors'
# registered product OIDs
CASES = [
    ("Cisco IOS Software, C2960X Software (C2960X-UNIVERSALK9-M), Version 15.2(7)E4, RELEASE SOFTWARE (fc2)",
     "1.3.6.1.4.1.9.1.1208", "Cisco", "switch", "ios", "15.2(7)E4"),
    ("Cisco IOS Software [Cupertino], ISR Software (X86_64_LINUX_IOSD-UNIVERSALK9-M), Version 17.9.4a",
     "1.3.6.1.4.1.9.1.2068", "Cisco", "router", "iosxe", "17.9.4a"),
    ("Juniper Networks, Inc. ex2300-24p Ethernet Switch, kernel JUNOS 21.4R3-S4.9, Build date: 2023-05-05",
     "1.3.6.1.4.1.2636.1.1.1.2.132", "Juniper", "switch", "junos", "21.4R3-S4.9"),
    ("RouterOS CCR2004-16G-2S+", "1.3.6.1.4.1.14988.1", "MikroTik", "router", "routeros", None),
    ("HP J9850A Switch 5406Rzl2, revision KB.16.10.0012, ROM KB.16.01.0008", "1.3.6.1.4.1.11.2.3.7.11.160",
     "HPE", "switch", "procurve", "KB.16.10.0012"),
    ("Palo Alto Networks PA-3220 series firewall", "1.3.6.1.4.1.25461.2.3.38", "Palo Alto Networks",
     "firewall", "panos", None),
    ("APC Web/SNMP Management Card (MB:v4.3.3 PF:v7.0.4 PN:apc_hw05_aos_704.bin AF1:v7.0.4 "
     "AN1:apc_hw05_sumx_704.bin MN:SMT1500RMI2UC HR:05 SN: AS1234567890 MD:01/02/2020)",
     "1.3.6.1.4.1.318.1.3.27", "APC", "power", "apc", "v7.0.4"),
    ("Linux nas01 4.4.302+ #72806 SMP Thu Sep 5 13:44:21 CST 2024 x86_64", "1.3.6.1.4.1.8072.3.2.10",
     None, "server", "linux", "4.4.302+"),
    ("Hardware: Intel64 Family 6 Model 85 Stepping 7 AT/AT COMPATIBLE - Software: Windows Version 6.3 "
     "(Build 17763 Multiprocessor Free)", "1.3.6.1.4.1.311.1.1.3.1.2", "Microsoft", "server", "windows",
     "6.3"),
    ("VMware ESXi 7.0.3 build-21930508 VMware, Inc. x86_64", "1.3.6.1.4.1.6876.4.1", "VMware", "hypervisor",
     "vmware-esxi", "7.0.3"),
    ("Brother NC-8800h, Firmware Ver.1.05  (19.06.26),MID 8CE-K25,FID 2", "1.3.6.1.4.1.2435.2.3.9.1",
     "Brother", "printer", "brother", "1.05"),
    ("; AXIS M3106-L Mk II; Network Camera; 9.80.3.8; Aug 11 2022 10:50; 1CD; 1;", "1.3.6.1.4.1.368.4",
     "Axis", "camera", "axiscam", "9.80.3.8"),
]


@pytest.mark.parametrize(("descr", "oid", "vendor", "klass", "family", "version"), CASES)
def test_vendor_conventions(descr, oid, vendor, klass, family, version):
    fp = fingerprint([snmp_obs(descr, oid)])
    assert fp.vendor == vendor
    assert fp.device_class == klass
    assert fp.os_family == family
    if version:
        assert fp.os_version == version
    assert all(0 <= c <= 1 for c in fp.confidence.values())


def test_pen_names_the_registrant_when_no_rule_knows_the_product():
    fp = fingerprint([snmp_obs("X-9000 controller", "1.3.6.1.4.1.2636.99.1")])
    assert fp.vendor == "Juniper"
    assert pen.organisation(9) == "ciscoSystems"
    assert pen.enterprise_number("1.3.6.1.4.1.311.1") == 311
    assert pen.enterprise_number("1.3.6.1.2.1.1") is None


def test_net_snmp_agent_number_is_no_vendor():
    fp = fingerprint([snmp_obs("Linux host 5.10.0 #1 SMP x86_64", "1.3.6.1.4.1.8072.3.2.10")])
    assert fp.vendor is None


def test_entity_chassis_model_with_serial_beats_sysdescr_model():
    obs = snmp_obs("Cisco IOS Software, C3560 Software (C3560-IPSERVICESK9-M), Version 12.2(55)SE12",
                   "1.3.6.1.4.1.9.1.634",
                   entity=[{"index": 1001, "class": 3, "model": "WS-C3560G-24TS-S", "serial": "FOC1111Z2AB",
                            "mfg": "Cisco Systems, Inc."}, {"index": 1, "class": 10, "model": "GLC-T"}])
    fp = fingerprint([obs])
    assert fp.model == "WS-C3560G-24TS-S"
    assert fp.confidence["model"] >= 0.9
    assert any(e.rule == "entity-chassis-model+serial" for e in fp.evidence)


@pytest.mark.parametrize("mfg", ["S3900-24T4S", "0x1d6b", "1D6B", "FOC1111Z2AB"])
def test_entity_manufacturer_that_names_no_maker_is_no_vendor(mfg):
    # real recordings: the model repeated in entPhysicalMfgName, a USB vendor id, the serial
    row = {"index": 1, "class": 3, "model": "S3900-24T4S", "serial": "FOC1111Z2AB", "mfg": mfg}
    found = snmp.facts_evidence({"sysDescr": "S3900-24T4S", "entity": [row]})
    assert not any(e.rule == "entity-mfg" for e in found)


def test_entity_manufacturer_names_the_maker():
    row = {"index": 1, "class": 3, "model": "ECS2100-28P", "serial": "EC1234", "mfg": "Edge-Core"}
    found = snmp.facts_evidence({"sysDescr": "ECS2100-28P", "entity": [row]})
    assert [e.value for e in found if e.rule == "entity-mfg"] == ["Edgecore"]


@pytest.mark.parametrize(("mibs", "klass"), [(["printer", "host-resources"], "printer"), (["ups"], "power")])
def test_mib_presence_is_class_evidence(mibs, klass):
    fp = fingerprint([snmp_obs("", "1.3.6.1.4.1.99999.1", mibs=mibs)])
    assert fp.device_class == klass


def test_hr_printer_device_and_enterprise_subtree():
    fp = fingerprint([snmp_obs("", "", hr_devices=[{"type": "1.3.6.1.2.1.25.3.1.5", "descr": "Laser"}])])
    assert fp.device_class == "printer"
    fp = fingerprint([snmp_obs("Linux ds920 4.4.302+ #72806 SMP x86_64", "1.3.6.1.4.1.8072.3.2.10",
                               enterprise_oids=["1.3.6.1.4.1.6574.1.1.0"])])
    assert (fp.vendor, fp.device_class, fp.os_family) == ("Synology", "storage", "dsm")


def test_sysservices_layer_bits():
    # sysServices alone is weak evidence: the learned model answers with low confidence or abstains
    for services, allowed in ((2, {"switch"}), (6, {"router", "switch"}), (72, {"server", "switch"})):
        fp = fingerprint([snmp_obs("", "", sysServices=services)])
        assert fp.device_class == "unknown" or fp.device_class in allowed, (services, fp.device_class)
        assert fp.confidence["device_class"] < 0.8
    assert {"svc:L2", "svc:L3"} <= set(snmp.device_features({"sysServices": 6}))


HOSTILE = [
    snmp_obs("A" * 1_000_000, "1.3.6.1.4.1.9.1.1"),
    snmp_obs("\x00\x1b[31mCisco\x07 IOS\r\n\x7f", "...."),
    snmp_obs(None, "1.3.6.1.4.1.abc.1"),
    snmp_obs(b"\xff\xfe\x00binary", "1.3.6.1.4.1.99999999999999999999999.1"),
    snmp_obs("x", "." + ".1" * 5000),
    snmp_obs(12345, ["not", "an", "oid"], entity="nope", mibs={"a": 1}, sysServices="lots",
             hr_devices=[None, 3, {"type": object()}], enterprise_oids=[None, 5, "1.3.6.1.4.1.9.x"]),
    snmp_obs("(" * 5000 + "a" * 5000, "1.3.6.1.4.1.311",
             entity=[{"class": "3", "model": "\x00" * 100}] * 5000),
    Observation(method="snmp", ip="192.0.2.11", facts={"snmp": "garbage"}),
    Observation(method="snmp", ip="192.0.2.12", facts={}),
]


@pytest.mark.parametrize("obs", HOSTILE)
def test_hostile_input_never_raises(obs):
    items = snmp.evidence([obs])
    assert all(0 < e.weight <= 1 for e in items)
    fp = fingerprint([obs])
    assert fp.device_class in ("unknown", "router", "switch", "server")
    assert fp.confidence["device_class"] <= 0.9


def test_hostile_input_gives_unknown_with_low_confidence():
    for obs in (HOSTILE[2], HOSTILE[4], HOSTILE[7], HOSTILE[8]):
        fp = fingerprint([obs])
        assert fp.device_class == "unknown"
        assert fp.confidence["device_class"] < 0.2


def test_clean_oid():
    assert snmp.clean_oid(".1.3.6.1.4.1.9.") == "1.3.6.1.4.1.9"
    assert snmp.clean_oid("1.3.6.x") == ""
    assert snmp.clean_oid(None) == ""


def test_sysdescr_starting_with_a_maker_names_the_vendor():
    fp = fingerprint([snmp_obs("Dell B2360dn Laser Printer version NH.HD.N123 kernel 2.6", "")])
    assert fp.vendor == "Dell" and fp.device_class == "printer"
    assert fingerprint([snmp_obs("Linux printer 4.19 #1 SMP", "")]).vendor is None


def test_radio_interfaces_hint_at_an_access_point():
    fp = fingerprint([snmp_obs("", "", if_types=[6, 71, 71, 24])])
    assert fp.device_class == "wireless-ap"
    assert fp.confidence["device_class"] < 0.9     # one kind of evidence is not certainty


def test_served_enterprise_subtree_names_the_maker_of_a_net_snmp_box():
    # a Linux NAS answers with net-snmp's sysObjectID but serves Synology's own subtree (PEN 6574)
    obs = snmp_obs("Linux DiskStation 4.4.302+ #72806 SMP x86_64", "1.3.6.1.4.1.8072.3.2.10",
                   enterprise_numbers=[6574])
    items = [e for e in snmp.evidence([obs]) if e.field == "vendor"]
    assert [(e.rule, e.value) for e in items] == [("served-pen:6574", "Synology")]
    assert fingerprint([obs]).vendor == "Synology"
    # net-snmp's own numbers and the sysObjectID's own number add nothing
    same = snmp_obs("x", "1.3.6.1.4.1.6574.1", enterprise_numbers=[6574, 8072, 2021])
    assert not [e.rule for e in snmp.evidence([same]) if e.rule.startswith("served-pen")]


@pytest.mark.parametrize("served", [None, "6574", [None, "x", 3.5, True, -1, 10**30], {"a": 1},
                                    [6574] * 100_000])
def test_served_enterprise_numbers_hostile_values(served):
    items = snmp.evidence([snmp_obs("Linux x", "1.3.6.1.4.1.8072.3.2.10", enterprise_numbers=served)])
    assert all(0 < e.weight <= 1 for e in items)
    assert sum(e.rule.startswith("served-pen") for e in items) <= 1


def test_recog_snmp_databases_speak_as_their_own_source():
    # Recog's snmp_sysobjid reads "OID sysDescr": a Windows Server 2003 agent
    obs = snmp_obs("Hardware: x86 Family 15 Model 4 Stepping 3 AT/AT COMPATIBLE - Software: Windows "
                   "Version 5.2 (Build 3790 Multiprocessor Free)", "1.3.6.1.4.1.311.1.1.3.1.2")
    recog_items = [e for e in snmp.evidence([obs]) if e.source == "recog"]
    assert {(e.field, e.value) for e in recog_items} >= {("os_family", "windows")}
    assert all(0 < e.weight < 0.8 for e in recog_items)
    assert fingerprint([obs]).os_family == "windows"


def test_kind_weights_learned_stay_below_product_rules():
    snmp.set_kind_weights({"iana-pen": 1.0, "served-pen": 0.2})
    try:
        assert snmp.kind_weight("iana-pen") == snmp.LEARNED_SCALE < 0.8
        assert snmp.kind_weight("served-pen") == pytest.approx(0.2 * snmp.LEARNED_SCALE)
        assert snmp.kind_weight("descr-maker") == snmp.REGISTRY_KINDS["descr-maker"][1]    # none learned
    finally:
        snmp.set_kind_weights(None)
    shipped = class_model.shipped()
    assert shipped is not None and set(snmp.REGISTRY_KINDS) <= set(shipped.evidence_weights)
    for name in set(shipped.evidence_weights) - set(snmp.REGISTRY_KINDS):    # one registrant's own
        kind, _, number = name.partition(":")
        assert kind in snmp.PER_REGISTRANT and number.isdigit()
    assert all(0 < w < 1 for w in shipped.evidence_weights.values())


@pytest.mark.parametrize(("descr", "family"), [
    ("ExampleCorp switch, FooOS 3.2 build 7", "fooos"),
    ("Acme Networks, Acme-OS Version 9.3(5)", "acmeos"),
    ("Linux host 5.10 #1 SMP x86_64", "linux"),           # no OS word: the generic Linux rule speaks
])
def test_os_named_in_sysdescr(descr, family):
    assert fingerprint([snmp_obs(descr, "1.3.6.1.4.1.99999.1")]).os_family == family


def test_os_word_ignores_hostile_text():
    for descr in ("OS" * 100_000, "x-" * 50_000 + "OS", "\x00OS\x00", "BIOS-OS.x"):
        items = [e for e in snmp.evidence([snmp_obs(descr, None)]) if e.rule == "descr-os"]
        assert all(len(e.value) <= 14 and 0 < e.weight < 0.8 for e in items)
