"""ARP and ICMPv6 neighbour discovery as heard on the wire: who holds which address.

ARP: every request and reply names its sender's MAC and IP (a probe from 0.0.0.0 names only
the MAC). ICMPv6: a router advertisement names a router and its prefixes; a neighbour
solicitation from ``::`` is duplicate address detection, so its target is an address the
sender is about to take (this is how SLAAC addresses become visible without asking); a
neighbour advertisement names its target with the link-layer address that holds it.
"""

from __future__ import annotations

import struct

from netdiscover.scanners.passive.records import (
    Malformed,
    Packet,
    Sighting,
    ipv4_text,
    ipv6_text,
    mac_text,
    sender,
    unicast_mac,
    useful_ip,
)

ND_RS, ND_RA, ND_NS, ND_NA, ND_REDIRECT = 133, 134, 135, 136, 137
OPT_SOURCE_LL, OPT_TARGET_LL, OPT_PREFIX = 1, 2, 3
MAX_ND_OPTIONS = 16
MAX_PREFIXES = 8


def parse_arp(body: bytes) -> list[Sighting]:
    """The sender of an Ethernet/IPv4 ARP packet (and the target of a reply)."""
    if len(body) < 28:
        raise Malformed("truncated ARP packet")
    htype, ptype, hlen, plen, _op = struct.unpack_from("!HHBBH", body)
    if htype != 1 or ptype != 0x0800 or hlen != 6 or plen != 4:
        return []
    out = []
    sha, spa = body[8:14], ipv4_text(body[14:18])
    if unicast_mac(sha):
        out.append(Sighting("arp", mac_text(sha), [spa] if useful_ip(spa) else []))
    return out


def _options(data: bytes) -> dict[int, list[bytes]]:
    opts: dict[int, list[bytes]] = {}
    offset = 0
    for _ in range(MAX_ND_OPTIONS):
        if offset + 2 > len(data):
            break
        otype, olen = data[offset], data[offset + 1] * 8
        if olen == 0 or offset + olen > len(data):
            raise Malformed("bad neighbour discovery option length")
        opts.setdefault(otype, []).append(data[offset + 2 : offset + olen])
        offset += olen
    return opts


def _ll_mac(values: list[bytes] | None) -> str | None:
    if values and len(values[0]) >= 6 and unicast_mac(values[0][:6]):
        return mac_text(values[0][:6])
    return None


def parse_icmpv6(packet: Packet) -> list[Sighting]:
    """Sightings from router solicitations/advertisements and neighbour solicitations/advertisements."""
    data = packet.payload
    if len(data) < 4:
        raise Malformed("truncated ICMPv6 header")
    icmp_type = data[0]
    if icmp_type not in (ND_RS, ND_RA, ND_NS, ND_NA):
        return []
    fixed = {ND_RS: 8, ND_RA: 16, ND_NS: 24, ND_NA: 24}[icmp_type]
    if len(data) < fixed:
        raise Malformed("truncated neighbour discovery message")
    opts = _options(data[fixed:])
    me = sender(packet, "icmpv6")
    if icmp_type == ND_RS:
        return [me] if me else []
    if icmp_type == ND_RA:
        if not me:
            return []
        lifetime = struct.unpack_from("!H", data, 6)[0]
        prefixes = []
        for raw in opts.get(OPT_PREFIX, [])[:MAX_PREFIXES]:
            if len(raw) >= 30:
                prefixes.append(f"{ipv6_text(raw[14:30])}/{raw[0]}")
        me.facts["ipv6_router"] = {"lifetime": lifetime, "prefixes": prefixes,
                                   "managed": bool(data[5] & 0x80), "other": bool(data[5] & 0x40)}
        return [me]
    target = ipv6_text(data[8:24])
    if icmp_type == ND_NS:
        if packet.src_ip == "::":                     # duplicate address detection: the sender's own
            if me and useful_ip(target):
                me.ips = [target]
                return [me]
            return []
        return [me] if me else []
    holder = _ll_mac(opts.get(OPT_TARGET_LL)) or (me.mac if me else None)
    out = [me] if me and me.mac != holder else []
    if holder and useful_ip(target):
        out.append(Sighting("icmpv6", holder, [target]))
    return out
