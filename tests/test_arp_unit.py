"""ARP scanner rules without a network: frame layout, reply classification, flags, interface choice."""

from __future__ import annotations

import json
import shutil
import subprocess

import pytest
from netaddr import IPAddress, IPNetwork, IPSet
from scapy.layers.l2 import ARP, Ether

from netdiscover.scanners.arp import scanner as arp
from netdiscover.scanners.arp.link import LinkInfo, list_links, pick_link
from netdiscover.scanners.base import ScanContext, ScannerUnavailable

OWN_MAC = bytes.fromhex("020000000002")
OWN_IP = int(IPAddress("10.20.0.2"))


def ip(text: str) -> int:
    return int(IPAddress(text))


def reply(src_ip: str, src_mac: str, dst_ip: str = "10.20.0.2", dst_mac: str = "02:00:00:00:00:02",
          op: int = 2) -> bytes:
    return bytes(Ether(src=src_mac, dst=dst_mac) / ARP(op=op, hwsrc=src_mac, psrc=src_ip, hwdst=dst_mac,
                                                       pdst=dst_ip))


def state_for(targets: list[str], asked: list[str]) -> arp.ArpReplies:
    state = arp.ArpReplies(OWN_MAC, {OWN_IP}, {ip(t) for t in targets})
    for t in asked:
        state.sent_at[ip(t)] = 100.0
    return state


def test_request_frame_is_what_scapy_reads_as_who_has():
    frame = arp.request_frame(arp.request_prefix(OWN_MAC, OWN_IP), ip("10.20.0.77"))
    assert len(frame) == 60
    pkt = Ether(frame)
    assert pkt.dst == "ff:ff:ff:ff:ff:ff" and pkt.src == "02:00:00:00:00:02"
    assert pkt[ARP].op == 1
    assert pkt[ARP].psrc == "10.20.0.2" and pkt[ARP].pdst == "10.20.0.77"
    assert pkt[ARP].hwsrc == "02:00:00:00:00:02"


def test_solicited_reply_with_rtt_and_duplicates_counted():
    state = state_for(["10.20.0.10"], ["10.20.0.10"])
    frame = reply("10.20.0.10", "00:1b:21:00:00:01")
    assert state.on_frame(frame, 100.002)
    assert state.on_frame(frame, 100.150)          # a duplicate answer
    seen = state.seen[ip("10.20.0.10")][bytes.fromhex("001b21000001")]
    assert seen.solicited and seen.replies == 2
    assert seen.rtt == pytest.approx(0.002)
    assert state.answered(ip("10.20.0.10"))


def test_reply_before_we_asked_is_unsolicited_and_outside_targets_ignored():
    state = state_for(["10.20.0.10", "10.20.0.11"], [])
    assert state.on_frame(reply("10.20.0.10", "00:1b:21:00:00:01"), 1.0)
    assert not state.on_frame(reply("10.20.0.99", "00:1b:21:00:00:09"), 1.0)
    assert state.outside == 1
    obs = arp._observations(state, 4, 0.0, [])
    assert [o.ip for o in obs] == ["10.20.0.10"]
    assert "unsolicited" in obs[0].flags and obs[0].facts["arp"]["unsolicited"] is True


def test_gratuitous_announcement_and_foreign_questions():
    state = state_for(["10.20.0.10", "10.20.0.11"], ["10.20.0.10", "10.20.0.11"])
    garp = reply("10.20.0.11", "3c:d9:2b:00:00:01", dst_ip="10.20.0.11", dst_mac="ff:ff:ff:ff:ff:ff", op=1)
    assert state.on_frame(garp, 1.0)
    # someone else asking for someone else is not an answer
    assert not state.on_frame(reply("10.20.0.10", "00:1b:21:00:00:01", dst_ip="10.20.0.5", op=1), 1.0)
    # our own frames coming back are ignored
    assert not state.on_frame(reply("10.20.0.2", "02:00:00:00:00:02", dst_ip="10.20.0.10", op=1), 1.0)
    # an ARP probe (sender 0.0.0.0) is not an announcement
    assert not state.on_frame(reply("0.0.0.0", "00:1b:21:00:00:05", dst_ip="10.20.0.10", op=1), 1.0)
    (obs,) = arp._observations(state, 4, 0.0, [])
    assert obs.ip == "10.20.0.11" and obs.vendor_hint == "Hewlett Packard"
    assert obs.facts["arp"] == {"proxy_arp": False, "unsolicited": True, "gratuitous": True, "replies": 1}
    assert set(obs.flags) == {"gratuitous", "unsolicited"}


def test_short_or_truncated_frames_are_ignored():
    state = state_for(["10.20.0.10"], ["10.20.0.10"])
    assert not state.on_frame(reply("10.20.0.10", "00:1b:21:00:00:01")[:30], 1.0)
    assert not state.seen


def test_proxy_arp_and_address_conflict_flags():
    targets = [f"10.20.0.{i}" for i in range(1, 20)]
    state = state_for(targets, targets)
    router = "00:1e:c9:00:00:01"
    for i in range(10, 16):                                  # one MAC answers for six addresses
        state.on_frame(reply(f"10.20.0.{i}", router), 1.0)
    state.on_frame(reply("10.20.0.3", "00:1b:21:00:00:03"), 1.0)
    state.on_frame(reply("10.20.0.3", "b8:27:eb:00:00:03"), 1.1)   # same IP, second device
    messages: list[str] = []
    obs = arp._observations(state, 4, 0.0, messages)
    proxied = [o for o in obs if o.mac == router]
    assert len(proxied) == 6
    assert all("proxy_arp" in o.flags and o.facts["arp"]["proxy_arp"] for o in proxied)
    conflict = [o for o in obs if o.ip == "10.20.0.3"]
    assert {o.mac for o in conflict} == {"00:1b:21:00:00:03", "b8:27:eb:00:00:03"}
    assert all("ip_conflict" in o.flags and "proxy_arp" not in o.flags for o in conflict)
    assert any("proxy ARP" in m for m in messages) and any("address conflict" in m for m in messages)


def test_vendor_lookup_agrees_with_netaddr():
    from netdiscover.scanners.arp.vendor import _netaddr_org, oui_org, vendor_of, vendor_of_bytes

    for oui in (0x001B21, 0x3CD92B, 0x001EC9, 0xB827EB, 0x000D93, 0x00000C, 0x123456, 0xFCFFFF):
        assert oui_org(oui) == _netaddr_org(oui)
    assert vendor_of("00:1b:21:12:34:56") == "Intel Corporate"
    assert vendor_of("b8-27-eb-00-00-01") == "Raspberry Pi Foundation"
    assert vendor_of("02:1b:21:12:34:56") is None        # locally administered
    assert vendor_of("not a mac") is None
    assert vendor_of_bytes(bytes.fromhex("b827eb000001")) == "Raspberry Pi Foundation"
    assert vendor_of_bytes(bytes.fromhex("0a27eb000001")) is None


def _link(name: str, cidr: str | None, up: bool = True, carrier: bool = True,
          loopback: bool = False) -> LinkInfo:
    return LinkInfo(name=name, mac=None if loopback else f"02:00:00:00:00:{len(name):02x}", admin_up=up,
                    carrier=carrier, addresses=[IPNetwork(cidr)] if cidr else [], loopback=loopback)


LINKS = {link.name: link for link in (
    _link("lo", "127.0.0.1/8", loopback=True),
    _link("eth0", "10.20.0.2/24"),
    _link("eth1", "10.30.0.2/24", carrier=False),
    _link("eth2", "10.40.0.2/24", up=False, carrier=False),
)}


def test_interface_choice_and_clear_refusals():
    links = LINKS
    assert pick_link(IPSet(["10.20.0.0/25"]), None, links).name == "eth0"
    assert pick_link(IPSet(["10.20.0.0/24", "10.99.0.0/16"]), None, links).name == "eth0"
    with pytest.raises(ScannerUnavailable, match="no interface named 'eth9'"):
        pick_link(IPSet(["10.20.0.0/24"]), "eth9", links)
    with pytest.raises(ScannerUnavailable, match="eth1 has no carrier"):
        pick_link(IPSet(["10.30.0.0/24"]), None, links)
    with pytest.raises(ScannerUnavailable, match="eth2 is down"):
        pick_link(IPSet(["10.20.0.0/24"]), "eth2", links)
    with pytest.raises(ScannerUnavailable, match="same subnet"):
        pick_link(IPSet(["192.0.2.0/24"]), None, links)


def test_requests_come_from_the_address_in_the_targets_subnet():
    link = LinkInfo(name="eth0", mac="02:00:00:00:00:02", admin_up=True, carrier=True,
                    addresses=[IPNetwork("10.20.0.2/24"), IPNetwork("10.20.0.130/25")])
    ctx = ScanContext(targets=IPSet(["10.20.0.0/24", "10.99.0.1"]))
    order, frame_for, off_link, own = arp._plan(ctx, link)
    assert own == 2 and off_link == IPSet(["10.99.0.1"])
    assert ip("10.20.0.0") not in order and ip("10.20.0.255") not in order    # network, broadcast
    assert len(order) == 256 - 3 - 2       # .0, .128 (the /25's network), .255; our own two
    assert Ether(frame_for(ip("10.20.0.9")))[ARP].psrc == "10.20.0.2"
    assert Ether(frame_for(ip("10.20.0.200")))[ARP].psrc == "10.20.0.130"


def test_bad_rate_is_refused():
    with pytest.raises(ScannerUnavailable, match="positive"):
        arp._settings(ScanContext(targets=IPSet(["10.20.0.0/24"]), rate=0))
    pacing, _ = arp._settings(ScanContext(targets=IPSet(["10.20.0.0/24"]), options={"quiet_ms": 80}))
    assert pacing.rate == arp.DEFAULT_RATE and pacing.retries == 2 and pacing.quiet == pytest.approx(0.08)
    with pytest.raises(ScannerUnavailable, match="must be numbers"):
        arp._settings(ScanContext(targets=IPSet(["10.20.0.0/24"]), options={"quiet_ms": "soon"}))


def test_netlink_listing_matches_iproute2():
    if shutil.which("ip") is None:
        pytest.skip("iproute2 not installed")
    shown = json.loads(subprocess.run(["ip", "-j", "addr", "show"], capture_output=True, text=True,
                                      timeout=10, check=True).stdout)
    links = list_links()
    assert set(links) == {entry["ifname"] for entry in shown}
    for entry in shown:
        link = links[entry["ifname"]]
        assert link.admin_up == ("UP" in entry["flags"])
        assert link.loopback == ("LOOPBACK" in entry["flags"])
        if entry.get("link_type") == "ether":
            assert link.mac == entry["address"]
        v4 = sorted(f"{a['local']}/{a['prefixlen']}" for a in entry.get("addr_info", [])
                    if a["family"] == "inet")
        assert sorted(str(a) for a in link.addresses) == v4
