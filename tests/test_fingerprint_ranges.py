"""The maker fallback: a MAC alone names a product line only for single-range makers."""

from netdiscover.fingerprints import fingerprint
from netdiscover.observation import Observation


def test_single_range_maker_from_mac_alone():
    fp = fingerprint([Observation("arp", ip="10.0.0.5", mac="00:c0:b7:20:00:50")])
    assert (fp.vendor, fp.device_class) == ("APC", "power")


def test_pc_nic_maker_gets_no_class_from_mac_alone():
    fp = fingerprint([Observation("arp", ip="10.0.0.5", mac="f8:b1:56:20:00:50")])
    assert fp.vendor == "Dell"
    assert fp.device_class == "unknown"


def test_pc_nic_maker_fallback_applies_to_managed_devices():
    snmp = {"snmp": {"sysDescr": "", "sysObjectID": "1.3.6.1.4.1.674.10895.9999"}}
    fp = fingerprint([Observation("snmp", ip="10.0.0.5", mac="f8:b1:56:20:00:50", facts=snmp)])
    assert fp.vendor == "Dell"
    assert fp.device_class == "switch"
