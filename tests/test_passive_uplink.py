"""What a heard LLDPDU or CDP packet says: the sender's own identity (a switch's chassis MAC, a
phone's LLDP-MED inventory) and where the listening interface is plugged in (``uplink``)."""

from __future__ import annotations

import struct
from datetime import UTC, datetime

import pytest

from netdiscover.observation import LOCATION, Observation
from netdiscover.scanners.passive.frames import parse_frame
from netdiscover.scanners.passive.listener import Listener
from netdiscover.scanners.passive.sightings import SightingTable
from netdiscover.scanners.passive.uplink import Uplinks
from netdiscover.services.reconcile import reconcile
from netdiscover.storage.assets import list_assets
from netdiscover.storage.repository import asset_to_dict
from tests import passive_frames as pf

PORT_MAC = "00:1b:21:cc:00:17"          # the switch port's own MAC, the frame's source
CHASSIS = "00:1b:21:cc:00:01"
PHONE = "00:1b:21:cc:0f:01"
OURS = "00:1b:21:cc:ee:01"              # the listening interface
T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def lldpdu(src: str, chassis: bytes, port: bytes, name: bytes, caps: int, *, ttl: int = 120,
           extra: bytes = b"") -> bytes:
    body = (pf.tlv(1, chassis) + pf.tlv(2, port) + pf.tlv(3, struct.pack("!H", ttl)) + pf.tlv(5, name)
            + pf.tlv(7, struct.pack("!HH", caps, caps)) + extra + pf.tlv(0, b""))
    return bytes.fromhex("0180c200000e") + bytes.fromhex(src.replace(":", "")) + b"\x88\xcc" + body


def switch_frame(chassis: str = CHASSIS, name: bytes = b"access-sw3", ttl: int = 120) -> bytes:
    mgmt = pf.tlv(8, bytes([5, 1, 10, 23, 0, 2]) + b"\x02\x00\x00\x00\x01\x00")
    return lldpdu(PORT_MAC, b"\x04" + bytes.fromhex(chassis.replace(":", "")), b"\x05ge-0/0/17", name,
                  0x04, ttl=ttl, extra=mgmt)                                   # bridge


def med(subtype: int, value: bytes) -> bytes:
    return pf.tlv(127, b"\x00\x12\xbb" + bytes([subtype]) + value)


def phone_frame() -> bytes:
    inventory = (med(1, b"\x00\x33\x03") + med(8, b"PH-SN-4471") + med(9, b"Yealink")
                 + med(10, b"SIP-T46U") + med(7, b"108.86.0.20"))
    return lldpdu(PHONE, b"\x05\x01" + bytes([10, 23, 0, 50]), b"\x03" + bytes.fromhex("001b21cc0f01"),
                  b"desk-phone-12", 0x20 | 0x80, extra=inventory)              # telephone, station


def test_lldp_med_inventory_and_network_address_chassis():
    protocol, (s,) = parse_frame(phone_frame())
    assert protocol == "lldp"
    lldp = s.facts["lldp"]
    assert lldp["chassis_id"] == "10.23.0.50" and lldp["capabilities"] == ["telephone", "station"]
    assert lldp["med"] == {"device_type": "endpoint-class-3", "serial": "PH-SN-4471",
                           "manufacturer": "Yealink", "model": "SIP-T46U", "software": "108.86.0.20"}


def test_switch_is_named_by_its_chassis_mac_with_the_port_mac_as_interface():
    table = SightingTable()
    for sighting in parse_frame(switch_frame())[1]:
        table.add(sighting, T0)
    (o,) = table.drain()
    assert (o.mac, o.ip, o.hostname) == (CHASSIS, "10.23.0.2", "access-sw3")
    assert [(i.mac, i.name) for i in o.interfaces] == [(CHASSIS, None), (PORT_MAC, "ge-0/0/17")]


def test_phone_gives_its_own_serial_and_maker():
    table = SightingTable()
    for sighting in parse_frame(phone_frame())[1]:
        table.add(sighting, T0)
    (o,) = table.drain()
    assert (o.mac, o.serial, o.vendor_hint, o.interfaces) == (PHONE, "PH-SN-4471", "Yealink", [])


def uplinks_after(*frames: bytes, now: float = 0.0) -> tuple[Uplinks, list]:
    ups = Uplinks({"eth0": OURS, "eth1": None})
    for frame in frames:
        ups.add("eth0", parse_frame(frame)[1], now=now)
    return ups, ups.locations(now=now + 1)


def test_one_switch_heard_locates_the_listening_interface():
    _ups, (loc,) = uplinks_after(switch_frame(), phone_frame(), pf.cdp_frame())
    assert (loc.kind, loc.mac, loc.switch, loc.switch_port) == (LOCATION, OURS, "access-sw3", "ge-0/0/17")
    assert loc.facts["uplink"] == {"interface": "eth0", "protocol": "lldp", "chassis_id": CHASSIS}


def test_what_locates_nothing():
    assert uplinks_after(phone_frame())[1] == []                  # a phone is no switch port
    ups, found = uplinks_after(switch_frame(), switch_frame("00:1b:21:cc:00:02", b"other-sw"))
    assert found == [] and ups.ambiguous == 1                      # two bridges: which one?
    ups = Uplinks({"eth1": None})                                  # our MAC unknown
    ups.add("eth1", parse_frame(switch_frame())[1], now=0.0)
    assert ups.locations(now=1.0) == []


def test_cdp_only_when_no_lldp_bridge_and_expiry():
    _ups, (loc,) = uplinks_after(pf.cdp_frame())
    assert (loc.switch, loc.switch_port) == ("edge-sw2", "GigabitEthernet0/1")
    ups, _ = uplinks_after(switch_frame())
    assert ups.locations(now=119.0) and ups.locations(now=121.5) == []     # the LLDP TTL is 120 s
    _ups, found = uplinks_after(switch_frame(), switch_frame(ttl=0))       # shutdown LLDPDU
    assert found == []


def test_listener_adds_the_location_to_its_flush():
    listener = Listener(["eth0"])
    listener.uplinks.own_macs = {"eth0": OURS}
    listener.handle(switch_frame(), "eth0")
    listener.handle(phone_frame())                     # no interface known: not an uplink
    got: list = []
    listener.flush(got.extend)
    assert [o.mac for o in got if o.kind == LOCATION] == [OURS]
    assert listener.stats.to_dict()["uplinks"] == {"eth0": {"switch": "access-sw3", "port": "ge-0/0/17",
                                                            "protocol": "lldp"}}


def test_reconciled_switch_phone_and_listener_location(sessions):
    """The switch and the phone become assets; the listener host (already an asset) is placed."""
    known = Observation(method="arp", mac=OURS, ip="10.23.0.9", seen_at=T0)
    reconcile(sessions, [known], now=T0, fingerprinter=lambda _o: None, complete=False)
    listener = Listener(["eth0"])
    listener.uplinks.own_macs = {"eth0": OURS}
    for frame in (switch_frame(), phone_frame()):
        listener.handle(frame, "eth0")
    got: list = []
    listener.flush(got.extend)
    result = reconcile(sessions, got, now=T0, complete=False)
    assert result.located == 1
    with sessions() as s:
        rows = {r["hostname"]: r for r in map(asset_to_dict, list_assets(s))}
    sw, phone, ours = rows["access-sw3"], rows["desk-phone-12"], rows[None]
    assert sorted(sw["macs"]) == [CHASSIS, PORT_MAC] and sw["ips"] == ["10.23.0.2"]
    assert sw["device_class"] == "switch"
    assert phone["serial"] == "PH-SN-4471" and phone["device_class"] == "voip"
    assert ours["switch_ports"] == [{"mac": OURS, "switch": "access-sw3", "port": "ge-0/0/17"}]


def test_phone_inventory_is_fingerprint_evidence_for_maker_and_model():
    from netdiscover.fingerprints import dhcp as dhcp_fp
    from netdiscover.fingerprints import fingerprint

    table = SightingTable()
    for sighting in parse_frame(phone_frame())[1]:
        table.add(sighting, T0)
    (o,) = table.drain()
    said = {(e.field, e.value) for e in dhcp_fp.evidence([o]) if e.rule == "lldp-med-inventory"}
    assert said == {("vendor", "Yealink"), ("model", "SIP-T46U")}
    fp = fingerprint([o])
    assert (fp.vendor, fp.model, fp.device_class) == ("Yealink", "SIP-T46U", "voip")


@pytest.mark.parametrize("med_facts", [{"manufacturer": 7, "model": ["x"]},
                                       {"manufacturer": "", "model": "  "},
                                       {"manufacturer": "A" * 100_000, "model": None}])
def test_hostile_med_inventory_gives_no_evidence_or_bounded_evidence(med_facts):
    from netdiscover.fingerprints import dhcp as dhcp_fp

    o = Observation(method="passive", mac="02:00:00:00:00:09", facts={"lldp": {"med": med_facts}})
    found = [e for e in dhcp_fp.evidence([o]) if e.rule == "lldp-med-inventory"]
    assert all(len(str(e.value)) <= 128 and len(e.matched) <= 300 for e in found)
    assert all(isinstance(e.value, str) for e in found)
