"""The plain records every scanner emits: one Observation per device sighting.

Observations are the boundary between scanning and everything after it. They carry no
database handles and serialise to JSON (``to_dict``/``from_dict``), so a collector on one
segment can ship them to a central ingest unchanged. Every string that came off the network
passes through ``clean_text`` on the way in: bounded in length, control characters removed.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any

MAX_TEXT = 1024          # hostnames, banners, sysDescr and other short network strings
MAX_LONG_TEXT = 8192     # free text kept as evidence (e.g. full sysDescr, UPnP descriptions)

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_ANSI = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]")
_MAC_HEX = re.compile(r"[0-9a-f]{12}")
_CANONICAL_MAC = re.compile(r"[0-9a-f]{2}(?::[0-9a-f]{2}){5}")

# observation.kind
HOST = "host"            # the device itself answered the scanner
NEIGHBOUR = "neighbour"  # another device reported it (router ARP table, LLDP)
LOCATION = "location"    # a switch reported where a MAC is plugged in (FDB); adds no device


def utcnow() -> datetime:
    """Timezone-aware current time in UTC (all timestamps in netdiscover are UTC)."""
    return datetime.now(UTC)


def as_utc(value: datetime | None) -> datetime:
    """``value`` as a timezone-aware UTC datetime (naive ones are taken as UTC); now when None."""
    if value is None:
        return utcnow()
    if value.tzinfo is UTC:
        return value
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def clean_text(value: Any, limit: int = MAX_TEXT) -> str | None:
    """Make a network-supplied value safe to store: text, bounded, no control or escape bytes.

    Bytes are decoded as UTF-8 with replacement; NUL, ANSI escapes and other control
    characters (except tab and newline) are removed; the result is cut to ``limit`` characters.
    Empty results become None.
    """
    if value is None:
        return None
    if isinstance(value, bytes | bytearray):
        value = bytes(value[: limit * 4]).decode("utf-8", errors="replace")
    text = str(value)
    if len(text) > limit * 4:
        text = text[: limit * 4]
    text = _ANSI.sub("", text)
    text = _CONTROL.sub("", text).strip()
    if len(text) > limit:
        text = text[: limit - 1] + "…"
    return text or None


def normalise_mac(value: Any) -> str | None:
    """Return a MAC as ``aa:bb:cc:dd:ee:ff`` or None when the value is not a 48-bit MAC.

    Accepts colon, dash, dot and bare-hex forms, and 6 raw bytes (as SNMP returns them).
    """
    if value is None:
        return None
    if value.__class__ is str and _CANONICAL_MAC.fullmatch(value):
        return value                    # already in the form scanners produce
    if isinstance(value, bytes | bytearray):
        if len(value) != 6:
            return None
        hexed = bytes(value).hex()
    else:
        hexed = re.sub(r"[^0-9a-fA-F]", "", str(value)).lower()
        if len(str(value)) > 32:
            return None
    if not _MAC_HEX.fullmatch(hexed):
        return None
    return ":".join(hexed[i : i + 2] for i in range(0, 12, 2))


@dataclass(slots=True)
class Service:
    """An open port and what answers on it."""

    port: int
    protocol: str = "tcp"
    name: str | None = None
    product: str | None = None
    version: str | None = None
    extrainfo: str | None = None
    cpe: list[str] = field(default_factory=list)
    banner: str | None = None


@dataclass(slots=True)
class Interface:
    """One interface of a device as the device itself reports it (SNMP IF-MIB, LLDP)."""

    name: str | None = None
    mac: str | None = None
    index: int | None = None
    ips: list[str] = field(default_factory=list)
    speed: int | None = None          # bits per second
    status: str | None = None         # up, down, testing, ...
    description: str | None = None


@dataclass(slots=True)
class Software:
    """An installed software package (HOST-RESOURCES-MIB hrSWInstalledTable, CPEs)."""

    name: str
    version: str | None = None
    cpe: str | None = None
    installed: str | None = None


@dataclass(slots=True)
class Observation:
    """What one method saw of one device at one moment.

    ``kind`` says whose word it is: HOST (the device answered us), NEIGHBOUR (a router's ARP
    table or an LLDP neighbour told us), LOCATION (a switch's forwarding table placed a MAC on a
    port). ``reporter`` names the device that told us, for NEIGHBOUR and LOCATION.
    ``facts`` holds method-specific evidence for fingerprinting (sysDescr, sysObjectID,
    osmatch, mDNS service types, ...); it must stay JSON-serialisable.
    """

    method: str
    ip: str | None = None
    mac: str | None = None
    kind: str = HOST
    seen_at: datetime = field(default_factory=utcnow)
    hostname: str | None = None
    reporter: str | None = None
    serial: str | None = None
    snmp_engine_id: str | None = None
    vendor_hint: str | None = None
    switch: str | None = None
    switch_port: str | None = None
    credential: str | None = None     # non-secret label of the credential that worked
    rtt_ms: float | None = None
    interfaces: list[Interface] = field(default_factory=list)
    services: list[Service] = field(default_factory=list)
    software: list[Software] = field(default_factory=list)
    flags: list[str] = field(default_factory=list)
    facts: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        # (None tested here, not in clean_text: most sightings carry none of these, and every
        # observation of a batch passes through here at the ingest)
        self.mac = normalise_mac(self.mac) if self.mac else None
        if self.hostname is not None:
            self.hostname = clean_text(self.hostname, 255)
        if self.serial is not None:
            self.serial = clean_text(self.serial, 128)
        if self.reporter is not None:
            self.reporter = clean_text(self.reporter, 255)
        if self.switch is not None:
            self.switch = clean_text(self.switch, 255)
        if self.switch_port is not None:
            self.switch_port = clean_text(self.switch_port, 128)

    def macs(self) -> list[str]:
        """Every MAC this observation ties to the device: its own and its interfaces'."""
        found = [self.mac] if self.mac else []
        for iface in self.interfaces:
            if iface.mac and iface.mac not in found:
                found.append(iface.mac)
        return found

    def ips(self) -> list[str]:
        """Every IP this observation ties to the device: its own and its interfaces'."""
        found = [self.ip] if self.ip else []
        for iface in self.interfaces:
            for ip in iface.ips:
                if ip not in found:
                    found.append(ip)
        return found

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (datetimes as ISO 8601 strings)."""
        data = asdict(self)
        data["seen_at"] = self.seen_at.isoformat()
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Observation:
        """Rebuild an Observation from ``to_dict`` output (fields left out take their defaults)."""
        args = dict(data)
        seen = args.get("seen_at")
        if isinstance(seen, str):
            args["seen_at"] = datetime.fromisoformat(seen)
        for name, kind in NESTED_FIELDS:
            if name in args:
                items = args[name]
                args[name] = [kind(**item) for item in items] if items else []
        return cls(**args)


# the fields that hold lists of records, and the record type of each
NESTED_FIELDS = (("interfaces", Interface), ("services", Service), ("software", Software))
