"""Ethernet frames to Sightings: link, IP and UDP headers decoded, payload handed to its protocol.

``parse_frame`` is pure and bounded: a frame longer than ``MAX_FRAME`` is refused unread, every
header length is checked before use, and a fault raises ``Malformed`` (the listener counts and
drops it). A frame may yield several Sightings: the sender itself (its MAC and source IP) and
whatever the payload says about it or about others (a DHCP ACK names the client it leases to).
"""

from __future__ import annotations

import struct

from netdiscover.scanners.passive import announce
from netdiscover.scanners.passive.dhcp import parse_dhcpv4, parse_dhcpv6
from netdiscover.scanners.passive.linklayer import parse_cdp, parse_lldp
from netdiscover.scanners.passive.neighbours import parse_arp, parse_icmpv6
from netdiscover.scanners.passive.records import Malformed, Packet, Sighting, ipv4_text, ipv6_text, mac_text

MAX_FRAME = 9216                  # a jumbo frame; anything longer is not a frame we parse
ETH_ARP = 0x0806
ETH_IPV4 = 0x0800
ETH_IPV6 = 0x86DD
ETH_LLDP = 0x88CC
ETH_VLAN = (0x8100, 0x88A8)
MAX_VLAN_TAGS = 2
PROTO_UDP = 17
PROTO_ICMPV6 = 58
PROTO_HOPOPTS = 0
CDP_SNAP = b"\xaa\xaa\x03\x00\x00\x0c\x20\x00"


def parse_frame(frame: bytes) -> tuple[str, list[Sighting]]:
    """(protocol, sightings) of one Ethernet frame; raises Malformed for a frame we must drop.

    ``protocol`` is one of arp, dhcp, dhcpv6, mdns, ssdp, netbios, lldp, cdp, icmpv6, or "other"
    for a frame the kernel filter let through that carries none of them.
    """
    if len(frame) > MAX_FRAME:
        raise Malformed("oversized frame")
    if len(frame) < 14:
        raise Malformed("truncated Ethernet header")
    dst, src = frame[0:6], frame[6:12]
    (ethertype,) = struct.unpack_from("!H", frame, 12)
    offset = 14
    for _ in range(MAX_VLAN_TAGS):
        if ethertype not in ETH_VLAN:
            break
        if len(frame) < offset + 4:
            raise Malformed("truncated VLAN tag")
        (ethertype,) = struct.unpack_from("!H", frame, offset + 2)
        offset += 4
    body = frame[offset:]
    if ethertype == ETH_ARP:
        return "arp", parse_arp(body)
    if ethertype == ETH_LLDP:
        return "lldp", parse_lldp(body, src)
    if ethertype <= 1500 and body[:8] == CDP_SNAP:
        return "cdp", parse_cdp(body[8:ethertype], src)
    if ethertype == ETH_IPV4:
        return _ipv4(body, src, dst)
    if ethertype == ETH_IPV6:
        return _ipv6(body, src, dst)
    return "other", []


def _ipv4(body: bytes, src: bytes, dst: bytes) -> tuple[str, list[Sighting]]:
    if len(body) < 20:
        raise Malformed("truncated IPv4 header")
    ihl = (body[0] & 0x0F) * 4
    total = struct.unpack_from("!H", body, 2)[0]
    if body[0] >> 4 != 4 or ihl < 20 or total < ihl or len(body) < total:
        raise Malformed("bad IPv4 header")
    if struct.unpack_from("!H", body, 6)[0] & 0x3FFF:
        return "other", []                       # a fragment: the payload is not all here
    if body[9] != PROTO_UDP:
        return "other", []
    packet = _udp(body[ihl:total], src, dst, ipv4_text(body[12:16]), ipv4_text(body[16:20]))
    return _dispatch_udp(packet)


def _ipv6(body: bytes, src: bytes, dst: bytes) -> tuple[str, list[Sighting]]:
    if len(body) < 40 or body[0] >> 4 != 6:
        raise Malformed("truncated IPv6 header")
    plen = struct.unpack_from("!H", body, 4)[0]
    if len(body) < 40 + plen:
        raise Malformed("IPv6 payload runs past the frame")
    nxt = body[6]
    src_ip, dst_ip = ipv6_text(body[8:24]), ipv6_text(body[24:40])
    payload = body[40 : 40 + plen]
    if nxt == PROTO_HOPOPTS:                     # MLD and router alerts: one option header
        if len(payload) < 8:
            raise Malformed("truncated hop-by-hop header")
        nxt, hlen = payload[0], (payload[1] + 1) * 8
        payload = payload[hlen:]
    if nxt == PROTO_ICMPV6:
        packet = Packet(mac_text(src), mac_text(dst), src_ip, dst_ip, payload=payload)
        return "icmpv6", parse_icmpv6(packet)
    if nxt != PROTO_UDP:
        return "other", []
    return _dispatch_udp(_udp(payload, src, dst, src_ip, dst_ip))


def _udp(segment: bytes, src: bytes, dst: bytes, src_ip: str, dst_ip: str) -> Packet:
    if len(segment) < 8:
        raise Malformed("truncated UDP header")
    sport, dport, length = struct.unpack_from("!HHH", segment)
    if length < 8 or length > len(segment):
        raise Malformed("bad UDP length")
    return Packet(mac_text(src), mac_text(dst), src_ip, dst_ip, sport, dport, segment[8:length])


def _dispatch_udp(packet: Packet) -> tuple[str, list[Sighting]]:
    ports = (packet.sport, packet.dport)
    if 67 in ports or 68 in ports:
        return "dhcp", parse_dhcpv4(packet)
    if 546 in ports or 547 in ports:
        return "dhcpv6", parse_dhcpv6(packet)
    if 5353 in ports:
        return "mdns", announce.parse_mdns(packet)
    if packet.dport == 1900:
        return "ssdp", announce.parse_ssdp(packet)
    if 137 in ports:
        return "netbios", announce.parse_netbios(packet)
    return "other", []
