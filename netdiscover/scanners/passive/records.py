"""The shared records of the passive parsers: Sighting, Packet, Malformed and address helpers."""

from __future__ import annotations

from dataclasses import dataclass, field
from socket import AF_INET, AF_INET6, inet_ntop
from typing import Any


class Malformed(ValueError):
    """A frame that is truncated, inconsistent or too large to parse."""


@dataclass(slots=True)
class Sighting:
    """One device as one frame shows it: ``mac`` (canonical), its IPs, name and facts by protocol."""

    protocol: str
    mac: str | None
    ips: list[str] = field(default_factory=list)
    hostname: str | None = None
    facts: dict[str, Any] = field(default_factory=dict)


@dataclass(slots=True)
class Packet:
    """The decoded headers a payload parser needs."""

    src_mac: str
    dst_mac: str
    src_ip: str | None = None
    dst_ip: str | None = None
    sport: int = 0
    dport: int = 0
    payload: bytes = b""


def mac_text(raw: bytes) -> str:
    """Six bytes as ``aa:bb:cc:dd:ee:ff``."""
    return raw.hex(":")


def ipv4_text(raw: bytes) -> str:
    return inet_ntop(AF_INET, raw)


def ipv6_text(raw: bytes) -> str:
    """Sixteen bytes in RFC 5952 text (the C library's inet_ntop: ten times ipaddress's speed)."""
    return inet_ntop(AF_INET6, raw)


def useful_ip(ip: str | None) -> bool:
    """An address that can belong to the sender (not unspecified, multicast or broadcast)."""
    if not ip:
        return False
    if ":" in ip:
        return not (ip == "::" or ip.startswith("ff"))
    first = int(ip.split(".", 1)[0])
    return ip != "0.0.0.0" and ip != "255.255.255.255" and first < 224


def unicast_mac(raw: bytes) -> bool:
    """A MAC that can name one device (not group, not all-zero)."""
    return not raw[0] & 1 and raw != b"\x00" * 6


def sender(packet: Packet, protocol: str) -> Sighting | None:
    """The frame's sender as a Sighting: its MAC with its source IP when that is usable."""
    mac = packet.src_mac
    if int(mac[1], 16) & 1 or mac == "00:00:00:00:00:00":      # group or empty address
        return None
    ips = [packet.src_ip] if useful_ip(packet.src_ip) else []
    return Sighting(protocol, packet.src_mac, ips)
