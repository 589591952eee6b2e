"""NetBIOS node status as data: the NBSTAT query template, the reply matcher and its parser.

One query per swept address to UDP 137 asks for the node's name table (RFC 1002 section
4.2.17). The reply lists each registered name with its suffix byte (0x00 workstation, 0x20 file
server, 0x1c domain controllers, ...) and a group flag, followed by the adapter's MAC (Samba
sends zeros, which we treat as unknown).
"""

from __future__ import annotations

import itertools
import struct
from typing import Any

from netdiscover.observation import clean_text, normalise_mac

PORT = 137
T_NBSTAT = 0x21
MAX_NAMES = 64


def encode_name(name: str, suffix: int = 0) -> bytes:
    """First-level encoding of a NetBIOS name (RFC 1001 section 14.1), as a one-label DNS name."""
    raw = name.encode("ascii", "replace")[:15].ljust(15, b" " if name != "*" else b"\x00") + bytes([suffix])
    encoded = bytes(b for byte in raw for b in (0x41 + (byte >> 4), 0x41 + (byte & 0x0F)))
    return bytes([32]) + encoded + b"\x00"


def build_query(tid: int) -> bytes:
    """A node-status request for the wildcard name ``*``."""
    header = struct.pack("!HHHHHH", tid & 0xFFFF, 0, 1, 0, 0, 0)
    return header + encode_name("*") + struct.pack("!HH", T_NBSTAT, 1)


def reply_id(data: bytes) -> int | None:
    """The matcher: the transaction id if ``data`` is a response with an answer, else None."""
    if len(data) < 12:
        return None
    tid, flags, _, an = struct.unpack_from("!HHHH", data)
    if not flags & 0x8000 or an < 1:
        return None
    return tid


def _skip_name(data: bytes, offset: int) -> int:
    for _ in range(64):
        if offset >= len(data):
            raise ValueError("name runs past the end")
        length = data[offset]
        if length & 0xC0 == 0xC0:
            return offset + 2
        if length == 0:
            return offset + 1
        offset += 1 + length
    raise ValueError("name too long")


def parse_status(data: bytes) -> tuple[dict[str, Any] | None, str | None, str | None]:
    """(facts, mac, note): the ``netbios`` facts and MAC of a node-status reply, or a note why not."""
    try:
        _, _, qd, _ = struct.unpack_from("!HHHH", data)
        offset = 12
        for _ in range(min(qd, 4)):
            offset = _skip_name(data, offset) + 4
        offset = _skip_name(data, offset)
        rtype, _, _, rdlen = struct.unpack_from("!HHIH", data, offset)
        offset += 10
        if rtype != T_NBSTAT:
            return None, None, "NetBIOS reply is not a node status"
        rdata = data[offset : offset + rdlen]
        count = rdata[0] if rdata else 0
    except (struct.error, ValueError, IndexError) as exc:
        return None, None, f"malformed NetBIOS reply: {exc}"
    names: list[list[Any]] = []
    pos = 1
    for _ in range(min(count, MAX_NAMES)):
        entry = rdata[pos : pos + 18]
        if len(entry) < 18:
            break
        raw_name = entry[:15].decode("latin-1")
        suffix = entry[15]
        flags = struct.unpack_from("!H", entry, 16)[0]
        pos += 18
        name = clean_text(raw_name.rstrip(" \x00"), 15)
        if name:
            names.append([name, suffix, bool(flags & 0x8000)])
    if not names:
        return None, None, "NetBIOS reply lists no names"
    mac_raw = rdata[pos : pos + 6] if len(names) == count else b""
    mac = normalise_mac(mac_raw) if len(mac_raw) == 6 and any(mac_raw) else None
    workgroup = next((n for n, suffix, group in names if group and suffix == 0x00), None)
    facts = {"names": names, "workgroup": workgroup}
    return facts, mac, None


def computer_name(facts: dict[str, Any]) -> str | None:
    """The node's own name: its first unique name with suffix 0x00 (or 0x20)."""
    for wanted in (0x00, 0x20):
        for name, suffix, group in facts.get("names") or []:
            if suffix == wanted and not group:
                return name
    return None


class NetbiosProbe:
    """NetBIOS node status for the shared UDP engine: unicast only, no multicast group."""

    name = "netbios"
    port = PORT
    group = None
    min_quiet = 0.0
    multicast_ttl = 1

    def __init__(self) -> None:
        self.found: dict[str, dict[str, Any]] = {}
        self.macs: dict[str, str] = {}
        self.notes: list[str] = []
        self._ids = itertools.count(0x6E64)
        self._sent: set[int] = set()

    def multicast_probe(self) -> bytes | None:
        return None

    def probe(self, ip: str) -> bytes:
        tid = next(self._ids) & 0xFFFF
        self._sent.add(tid)
        return build_query(tid)

    def answered(self, ip: str) -> bool:
        return ip in self.found

    def handle(self, ip: str, data: bytes) -> list[bytes]:
        if reply_id(data) not in self._sent or ip in self.found:
            return []
        facts, mac, note = parse_status(data)
        if facts:
            self.found[ip] = facts
            if mac:
                self.macs[ip] = mac
        elif note and len(self.notes) < 20:
            self.notes.append(f"{ip}: {note}")
        return []

    def results(self) -> dict[str, dict[str, Any]]:
        return dict(self.found)
