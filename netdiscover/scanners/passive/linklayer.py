"""LLDP and CDP announcements: a switch, phone or host naming itself, its port and its abilities.

Both are type-length-value lists; every value is bounded and cleaned. The sender is the frame's
source MAC; its system name becomes the hostname and a management IP address becomes its IP.
The facts (``lldp`` / ``cdp``) keep chassis, port, description, capabilities and addresses, and
an LLDP-MED endpoint's (an IP phone's) class and inventory (maker, model, serial) under ``med``.
"""

from __future__ import annotations

import struct
from typing import Any

from netdiscover.observation import clean_text, normalise_mac
from netdiscover.scanners.passive.records import (
    Malformed,
    Sighting,
    ipv4_text,
    ipv6_text,
    mac_text,
    unicast_mac,
    useful_ip,
)

MAX_TLVS = 64
MAX_ADDRESSES = 4
LLDP_CAPS = ("other", "repeater", "bridge", "wlan-ap", "router", "telephone", "docsis", "station",
             "c-vlan", "s-vlan", "tpmr")
CDP_CAPS = ("router", "trans-bridge", "source-route-bridge", "switch", "host", "igmp", "repeater",
            "telephone", "remote-managed")


def _caps(bits: int, names: tuple[str, ...]) -> list[str]:
    return [name for i, name in enumerate(names) if bits & (1 << i)]


MED_OUI = b"\x00\x12\xbb"            # TIA (ANSI/TIA-1057, LLDP-MED)
MED_TYPES = {1: "endpoint-class-1", 2: "endpoint-class-2", 3: "endpoint-class-3",
             4: "network-connectivity"}
# LLDP-MED inventory TLV subtype -> fact name
MED_INVENTORY = {5: "hardware", 6: "firmware", 7: "software", 8: "serial", 9: "manufacturer",
                 10: "model", 11: "asset_id"}
NETWORK_ADDRESS = 5                  # chassis ID subtype: a management address (family + bytes)


def _id_text(subtype: int, value: bytes, mac_subtype: int) -> str | None:
    if subtype == mac_subtype and len(value) == 6:
        return mac_text(value)
    if subtype == NETWORK_ADDRESS and mac_subtype == 4:
        return _address(value[:1], value[1:]) or clean_text(value.hex(), 64)
    return clean_text(value, 255)


def _address(family: bytes, addr: bytes) -> str | None:
    """An IANA address family number (1 IPv4, 2 IPv6) and its bytes as text."""
    if family == b"\x01" and len(addr) == 4:
        return ipv4_text(addr)
    if family == b"\x02" and len(addr) == 16:
        return ipv6_text(addr)
    return None


def _med(value: bytes, med: dict[str, Any]) -> None:
    """One LLDP-MED TLV (after the OUI): the endpoint's class and its own inventory."""
    if not value:
        return
    subtype, info = value[0], value[1:]
    if subtype == 1 and len(info) == 3:
        med["device_type"] = MED_TYPES.get(info[2], f"type-{info[2]}")
    elif subtype in MED_INVENTORY:
        text = clean_text(info, 255)
        if text:
            med[MED_INVENTORY[subtype]] = text


def _lldp_mgmt(value: bytes) -> str | None:
    if len(value) < 2:
        return None
    return _address(value[1:2], value[2 : 1 + value[0]])


def port_name(facts: dict[str, Any]) -> str | None:
    """The name of the port an LLDPDU left by: its Port ID, unless that is only a MAC address
    (Linux lldpd's default), then the port description."""
    port = facts.get("port_id")
    if not port or normalise_mac(port) == port:
        return facts.get("port_description") or port
    return port


def parse_lldp(body: bytes, src: bytes) -> list[Sighting]:
    """The sender of one LLDPDU with its ``lldp`` facts."""
    facts: dict[str, Any] = {}
    med: dict[str, Any] = {}
    addresses: list[str] = []
    offset = 0
    for _ in range(MAX_TLVS):
        if offset + 2 > len(body):
            break
        header = struct.unpack_from("!H", body, offset)[0]
        ttype, length = header >> 9, header & 0x1FF
        value = body[offset + 2 : offset + 2 + length]
        if len(value) != length:
            raise Malformed("LLDP TLV runs past the end")
        offset += 2 + length
        if ttype == 0:
            break
        if ttype == 1 and value:
            facts["chassis_id"] = _id_text(value[0], value[1:], 4)
        elif ttype == 2 and value:
            facts["port_id"] = _id_text(value[0], value[1:], 3)
        elif ttype == 3 and length == 2:
            facts["ttl"] = struct.unpack("!H", value)[0]
        elif ttype == 4:
            facts["port_description"] = clean_text(value, 255)
        elif ttype == 5:
            facts["system_name"] = clean_text(value, 255)
        elif ttype == 6:
            facts["system_description"] = clean_text(value, 1024)
        elif ttype == 7 and length == 4:
            system, enabled = struct.unpack("!HH", value)
            facts["capabilities"] = _caps(system, LLDP_CAPS)
            facts["enabled"] = _caps(enabled, LLDP_CAPS)
        elif ttype == 8:
            addr = _lldp_mgmt(value)
            if addr and len(addresses) < MAX_ADDRESSES:
                addresses.append(addr)
        elif ttype == 127 and value[:3] == MED_OUI:
            _med(value[3:], med)
    if "chassis_id" not in facts:
        raise Malformed("LLDPDU without a chassis ID")
    if addresses:
        facts["management"] = addresses
    if med:
        facts["med"] = med
    if not unicast_mac(src):
        return []
    return [Sighting("lldp", mac_text(src), [a for a in addresses if useful_ip(a)][:1],
                     facts.get("system_name"), {"lldp": {k: v for k, v in facts.items() if v is not None}})]


def _cdp_addresses(value: bytes) -> list[str]:
    if len(value) < 4:
        return []
    count = struct.unpack_from("!I", value)[0]
    offset, out = 4, []
    for _ in range(min(count, MAX_ADDRESSES)):
        if offset + 2 > len(value):
            break
        plen = value[offset + 1]
        proto = value[offset + 2 : offset + 2 + plen]
        offset += 2 + plen
        if offset + 2 > len(value):
            break
        alen = struct.unpack_from("!H", value, offset)[0]
        addr = value[offset + 2 : offset + 2 + alen]
        offset += 2 + alen
        if proto == b"\xcc" and len(addr) == 4:
            out.append(ipv4_text(addr))
        elif len(addr) == 16:
            out.append(ipv6_text(addr))
    return out


def parse_cdp(body: bytes, src: bytes) -> list[Sighting]:
    """The sender of one CDP packet (after the SNAP header) with its ``cdp`` facts."""
    if len(body) < 4:
        raise Malformed("truncated CDP header")
    facts: dict[str, Any] = {"version": body[0]}
    addresses: list[str] = []
    offset = 4
    for _ in range(MAX_TLVS):
        if offset + 4 > len(body):
            break
        ttype, length = struct.unpack_from("!HH", body, offset)
        if length < 4 or offset + length > len(body):
            raise Malformed("CDP TLV runs past the end")
        value = body[offset + 4 : offset + length]
        offset += length
        if ttype == 1:
            facts["device_id"] = clean_text(value, 255)
        elif ttype in (2, 0x16):
            for addr in _cdp_addresses(value):
                if addr not in addresses and len(addresses) < MAX_ADDRESSES:
                    addresses.append(addr)
        elif ttype == 3:
            facts["port_id"] = clean_text(value, 255)
        elif ttype == 4 and length == 8:
            facts["capabilities"] = _caps(struct.unpack("!I", value)[0], CDP_CAPS)
        elif ttype == 5:
            facts["software"] = clean_text(value, 1024)
        elif ttype == 6:
            facts["platform"] = clean_text(value, 255)
    if "device_id" not in facts:
        raise Malformed("CDP packet without a device ID")
    if addresses:
        facts["management"] = addresses
    if not unicast_mac(src):
        return []
    return [Sighting("cdp", mac_text(src), [a for a in addresses if useful_ip(a)][:1],
                     facts.get("device_id"), {"cdp": {k: v for k, v in facts.items() if v is not None}})]
