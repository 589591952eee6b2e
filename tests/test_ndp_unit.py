"""The ndp scanner's pure parts: EUI-64 identifiers, solicited-node groups, reply parsing."""

from __future__ import annotations

import ipaddress
import socket
import time

import pytest
from netaddr import IPSet
from scapy.layers.inet6 import ICMPv6EchoReply, ICMPv6ND_NA, ICMPv6NDOptDstLLAddr, IPv6
from scapy.layers.l2 import Ether

from netdiscover.scanners.base import ScanContext, ScannerUnavailable
from netdiscover.scanners.ndp import scanner as ndp
from netdiscover.scanners.pacing import SendSchedule
from netdiscover.scanners.passive import bpf

OWN = bytes.fromhex("001b21220002")


def test_eui64_and_solicited_node():
    mac = bytes.fromhex("001b21220003")
    assert ndp.eui64_iid(mac).hex() == "021b21fffe220003"
    assert ndp.solicited_node(ipaddress.IPv6Address("fd00:22::21b:21ff:fe22:3")) == "ff02::1:ff22:3"


def test_replies_are_tied_to_the_sending_mac():
    heard = ndp.Heard(ident=77)
    reply = bytes(Ether(src="00:1b:21:22:00:03", dst="00:1b:21:22:00:02")
                  / IPv6(src="fd00:22::21b:21ff:fe22:3", dst="fd00:22::1") / ICMPv6EchoReply(id=77))
    stranger = bytes(Ether(src="00:1b:21:22:00:05") / IPv6(src="fe80::5") / ICMPv6EchoReply(id=78))
    advert = bytes(Ether(src="00:1b:21:22:00:04") / IPv6(src="fe80::4") / ICMPv6ND_NA(tgt="fd00:22::4")
                   / ICMPv6NDOptDstLLAddr(lladdr="00:1b:21:22:00:04"))
    mine = bytes(Ether(src="00:1b:21:22:00:02") / IPv6(src="fe80::2") / ICMPv6EchoReply(id=77))
    for frame in (reply, stranger, advert, mine, reply[:40]):
        heard.on_frame(frame, OWN)
    assert heard.by_mac == {bytes.fromhex("001b21220003"): ["fd00:22::21b:21ff:fe22:3"],
                            bytes.fromhex("001b21220004"): ["fd00:22::4"]}
    observations = ndp._observations(heard)
    assert {(o.mac, o.ip) for o in observations} == {("00:1b:21:22:00:03", "fd00:22::21b:21ff:fe22:3"),
                                                    ("00:1b:21:22:00:04", "fd00:22::4")}


def test_receive_filter_is_stored_as_data():
    assert "ip6[40] == 129" in bpf.expression(ndp.FILTER) and len(bpf.program(ndp.FILTER)) > 4


def test_rate_defaults_to_the_descriptor_and_refuses_zero():
    assert ndp._rate(ScanContext(targets=IPSet())) == ndp.DESCRIPTOR.rate == 200
    assert ndp._rate(ScanContext(targets=IPSet(), rate=7)) == 7.0
    with pytest.raises(ScannerUnavailable, match="positive"):
        ndp._rate(ScanContext(targets=IPSet(), rate=0))


def test_waiting_for_a_send_slot_reads_the_replies_meanwhile():
    ours, wire = socket.socketpair(socket.AF_UNIX, socket.SOCK_DGRAM)
    ours.setblocking(False)
    try:
        heard = ndp.Heard(ident=77)
        prober = ndp.Prober(ours, heard, OWN, SendSchedule(2, time.monotonic()))
        prober.pace()                                   # the first slot is now
        wire.send(bytes(Ether(src="00:1b:21:22:00:03", dst="00:1b:21:22:00:02")
                        / IPv6(src="fe80::3", dst="fe80::2") / ICMPv6EchoReply(id=77)))
        prober.pace()                                   # waits for the second slot, reading
        assert heard.by_mac == {bytes.fromhex("001b21220003"): ["fe80::3"]} and prober.sent == 2
    finally:
        ours.close()
        wire.close()
