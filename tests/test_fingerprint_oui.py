"""MAC evidence: IEEE OUI vendor, locally administered MACs, well-known virtual MACs."""

from __future__ import annotations

import pytest

from netdiscover.fingerprints import fingerprint, oui
from netdiscover.observation import Interface, Observation


def test_registered_oui_names_a_short_vendor():
    info = oui.lookup("00:1B:54:AA:BB:CC")
    assert info is not None and info.vendor == "Cisco"
    assert "Cisco" in (info.organisation or "")
    assert oui.lookup("3c-22-fb-01-02-03").vendor == "Apple"


@pytest.mark.parametrize("mac", ["da:a1:19:12:34:56", "02:00:00:00:00:01", "1a:2b:3c:4d:5e:6f"])
def test_locally_administered_mac_never_gets_a_vendor(mac):
    info = oui.lookup(mac)
    assert info.local and info.vendor is None and info.organisation is None
    assert fingerprint([Observation(method="arp", ip="10.0.0.5", mac=mac)]).vendor is None


@pytest.mark.parametrize(("mac", "name", "vendor", "klass"), [
    ("00:00:5e:00:01:0a", "VRRP", None, "router"),
    ("00:00:0c:07:ac:01", "HSRP", "Cisco", "router"),
    ("00:50:56:9a:00:01", "VMware", "VMware", None),
    ("00:0c:29:00:00:01", "VMware", "VMware", None),
    ("00:15:5d:01:02:03", "Hyper-V", "Microsoft", None),
    ("52:54:00:12:34:56", "QEMU/KVM", None, None),
    ("02:42:ac:11:00:02", "Docker", None, None),
])
def test_virtual_macs_are_named(mac, name, vendor, klass):
    info = oui.lookup(mac)
    assert name in (info.virtual or "")
    fp = fingerprint([Observation(method="arp", ip="10.0.0.6", mac=mac)])
    assert fp.vendor == vendor
    assert fp.device_class == (klass or "unknown")


def test_interface_macs_count_and_weight_stays_low():
    iface = Interface(name="eth0", mac="00:1b:54:00:00:02")
    obs = Observation(method="snmp", ip="10.0.0.7", interfaces=[iface])
    items = oui.evidence([obs])
    assert [e.value for e in items] == ["Cisco"]
    assert items[0].weight < 0.5


@pytest.mark.parametrize("bad", [None, "", "zz:zz", "00:11:22:33:44", "0" * 40, "\x00\x01", 12345])
def test_bad_macs_give_nothing(bad):
    assert oui.lookup(bad) is None
