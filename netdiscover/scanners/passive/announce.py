"""Multicast and broadcast announcements: mDNS responses, SSDP NOTIFY and NetBIOS name registrations.

mDNS records go through the iot scanner's own parser and host state, so a device heard
passively gets the same ``mdns`` facts (and the same fingerprint rules) as one that was asked.
SSDP NOTIFY headers become ``ssdp`` facts; a NetBIOS name registration or refresh names the
node and its address, as ``netbios`` facts in the iot scanner's shape.
"""

from __future__ import annotations

import struct

from netdiscover.observation import clean_text
from netdiscover.scanners.iot.mdns import HostState
from netdiscover.scanners.iot.mdns import parse_reply as parse_mdns_records
from netdiscover.scanners.iot.netbios import computer_name
from netdiscover.scanners.passive.records import Malformed, Packet, Sighting, ipv4_text, sender, useful_ip

MAX_SSDP = 4096
MAX_SSDP_HEADERS = 32
SSDP_KEEP = ("location", "server", "nt", "nts", "usn")
NB_REGISTRATION_OPCODES = {5, 8, 9}      # registration, refresh (two codes in use)
NB_RECORD = 0x20


def parse_mdns(packet: Packet) -> list[Sighting]:
    """The sender of an mDNS message; for a response, its ``mdns`` facts and hostname."""
    me = sender(packet, "mdns")
    data = packet.payload
    if len(data) < 12:
        raise Malformed("truncated mDNS header")
    if not me or not data[2] & 0x80:           # a query says only that the sender is there
        return [me] if me else []
    records, note = parse_mdns_records(data)
    if note and not records:
        raise Malformed(note)
    state = HostState(ip=packet.src_ip or "")
    state.absorb(records)
    facts = state.facts()
    if facts:
        me.facts["mdns"] = facts
        me.hostname = facts.get("hostname")
    return [me]


def parse_ssdp(packet: Packet) -> list[Sighting]:
    """The sender of an SSDP NOTIFY with its announced headers as ``ssdp`` facts."""
    me = sender(packet, "ssdp")
    head = packet.payload[:MAX_SSDP]
    if not me or not head.startswith(b"NOTIFY "):
        return [me] if me else []
    headers: dict[str, str] = {}
    for line in head.split(b"\r\n")[1 : MAX_SSDP_HEADERS + 1]:
        key, sep, value = line.partition(b":")
        name = key.strip().lower().decode("latin-1")
        if sep and name in SSDP_KEEP and name not in headers:
            headers[name] = clean_text(value.strip(), 512) or ""
    if headers.get("nts") == "ssdp:byebye":
        headers["leaving"] = "yes"
    me.facts["ssdp"] = headers
    return [me]


def _decode_name(data: bytes, offset: int) -> tuple[str, int, int]:
    """(name, suffix, next offset) of a first-level-encoded NetBIOS name at ``offset``."""
    if offset >= len(data) or data[offset] != 32 or offset + 34 > len(data):
        raise Malformed("bad NetBIOS name")
    encoded = data[offset + 1 : offset + 33]
    nibbles = [(c - 0x41) & 0x0F for c in encoded]
    raw = bytes((nibbles[i] << 4) | nibbles[i + 1] for i in range(0, 32, 2))
    end = offset + 33
    while end < len(data) and data[end] != 0:     # scope labels
        end += 1 + data[end]
    return raw[:15].decode("latin-1").rstrip(" \x00"), raw[15], end + 1


def parse_netbios(packet: Packet) -> list[Sighting]:
    """The sender of a NetBIOS name service packet; a registration adds its name and address."""
    me = sender(packet, "netbios")
    data = packet.payload
    if len(data) < 12:
        raise Malformed("truncated NetBIOS header")
    flags, qd, _, _, ar = struct.unpack_from("!HHHHH", data, 2)
    opcode = (flags >> 11) & 0x0F
    if not me or flags & 0x8000 or opcode not in NB_REGISTRATION_OPCODES or qd != 1 or ar < 1:
        return [me] if me else []
    name, suffix, offset = _decode_name(data, 12)
    offset += 4                                   # question type and class
    if offset + 2 <= len(data) and data[offset] & 0xC0 == 0xC0:
        offset += 2
    else:
        offset = _decode_name(data, offset)[2]
    if offset + 16 > len(data):
        raise Malformed("truncated NetBIOS registration record")
    rtype, _, _, rdlen = struct.unpack_from("!HHIH", data, offset)
    if rtype != NB_RECORD or rdlen < 6:
        return [me]
    nb_flags = struct.unpack_from("!H", data, offset + 10)[0]
    address = ipv4_text(data[offset + 12 : offset + 16])
    clean = clean_text(name, 15)
    if not clean:
        return [me]
    facts = {"names": [[clean, suffix, bool(nb_flags & 0x8000)]], "workgroup": None}
    if nb_flags & 0x8000 and suffix == 0:
        facts["workgroup"] = clean
    me.facts["netbios"] = facts
    me.hostname = computer_name(facts)
    if useful_ip(address) and address not in me.ips:
        me.ips.append(address)
    return [me]
