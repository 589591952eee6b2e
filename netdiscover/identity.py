"""Identity keys of a device: which MACs, serials, engine IDs and IPs may say "this is that device".

Pure functions shared by reconciliation and inventory import. A key is only as good as its
uniqueness: locally administered (randomised) MACs, shared virtual router MACs, junk serials
and loopback or link-local IPs are recognised here so that the callers never treat them as
proof of identity (link-local addresses are still stored: ``link_local_ip``).
"""

from __future__ import annotations

import ipaddress
import re
from functools import lru_cache

GLOBAL = "global"      # a burned-in, globally unique MAC: a strong key
LOCAL = "local"        # locally administered (randomised phones, containers): a weak key

# Shared virtual router MACs move between devices (whoever is master answers for them).
SHARED_VIRTUAL_PREFIXES: tuple[str, ...] = (
    "00:00:5e:00:01:",    # VRRP IPv4 (RFC 5798)
    "00:00:5e:00:02:",    # VRRP IPv6
    "00:00:0c:07:ac:",    # HSRP v1
    "00:00:0c:9f:f",      # HSRP v2
    "00:07:b4:00:",       # GLBP
    "00:00:5e:00:53:",    # documentation range (RFC 7042)
)

_JUNK_SERIALS = {
    "0", "00000000", "none", "null", "n/a", "na", "unknown", "default", "serial", "not specified",
    "not available", "to be filled by o.e.m.", "system serial number", "chassis serial number",
    "0123456789", "123456789", "1234567890", "xxxxxxxxxx", "invalid", "empty", "-", "tbd",
}
_SPACES = re.compile(r"\s+")
_OCTET = r"(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])"
_DOTTED_QUAD = re.compile(rf"{_OCTET}(?:\.{_OCTET}){{3}}")


def is_shared_virtual(mac: str) -> bool:
    """True for VRRP/HSRP/GLBP and other MACs shared by several devices."""
    return mac.startswith(SHARED_VIRTUAL_PREFIXES)


@lru_cache(maxsize=262144)
def mac_kind(mac: str | None) -> str | None:
    """GLOBAL, LOCAL, or None when the (normalised) MAC may not identify a device at all.

    None for multicast/broadcast, all-zero and shared virtual router MACs.
    """
    if not mac or len(mac) != 17:
        return None
    first = int(mac[:2], 16)
    if first & 0x01 or mac == "00:00:00:00:00:00" or is_shared_virtual(mac):
        return None
    return LOCAL if first & 0x02 else GLOBAL


def serial_key(serial: str | None) -> str | None:
    """A serial number normalised for matching, or None when it is missing or a placeholder."""
    if not serial:
        return None
    text = _SPACES.sub(" ", str(serial)).strip()
    low = text.lower()
    if len(text) < 4 or low in _JUNK_SERIALS or len(set(low)) == 1:
        return None
    return text.upper()


def engine_key(engine_id: str | None) -> str | None:
    """An SNMP engine ID normalised (lower-case hex, no separators), or None when unusable."""
    if not engine_id:
        return None
    text = re.sub(r"[^0-9a-fA-F]", "", str(engine_id)).lower()
    if len(text) < 10 or len(set(text)) == 1:
        return None
    return text


def vendors_compatible(a: str | None, b: str | None) -> bool:
    """Serial numbers only collide across makers: unknown vendors are compatible with anything."""
    if not a or not b:
        return True
    a, b = a.lower().split()[0], b.lower().split()[0]
    return a.startswith(b) or b.startswith(a)


@lru_cache(maxsize=262144)
def identity_ip(ip: str | None) -> str | None:
    """The IP in canonical form when it can name a device; None for loopback, link-local,
    unspecified, multicast or malformed addresses."""
    if not ip:
        return None
    if _DOTTED_QUAD.fullmatch(ip):
        first, second = ip.split(".", 2)[:2]
        octet = int(first)
        if octet in (0, 127) or octet >= 224 or (octet == 169 and second == "254"):
            return None
        return ip
    try:
        addr = ipaddress.ip_address(ip)
    except ValueError:
        return None
    if addr.is_loopback or addr.is_link_local or addr.is_unspecified or addr.is_multicast:
        return None
    return str(addr)


@lru_cache(maxsize=65536)
def link_local_ip(ip: str | None) -> str | None:
    """A link-local unicast address (fe80::/10, 169.254.0.0/16) in canonical form, else None.

    Such an address belongs in the addresses table of the MAC that holds it, but it is never an
    identity: the same fe80::1 or 169.254.x.y is reused on every link (``identity_ip`` refuses it).
    A zone suffix (``fe80::1%eth0``) is dropped: the zone names our interface, not the device's.
    """
    if not ip:
        return None
    try:
        addr = ipaddress.ip_address(ip.split("%", 1)[0])
    except ValueError:
        return None
    if not addr.is_link_local or addr.is_multicast:
        return None
    if addr.version == 4 and (addr.packed[2] == 0 or addr.packed[2] == 255):
        return None                      # 169.254.0/24 and .255/24 are reserved (RFC 3927)
    return str(addr)


def hostname_key(name: str | None) -> str | None:
    """A hostname compared case-insensitively, without a trailing dot; None when empty."""
    if not name:
        return None
    text = name.strip().rstrip(".").lower()
    return text or None
