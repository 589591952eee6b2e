"""A bounded table of what was heard since the last flush, one entry per MAC, turned into Observations.

Memory is bounded whatever the wire does: at most ``max_devices`` MACs per flush window (a
flood of invented MACs fills it, the rest is counted as ``overflow`` and dropped), at most
``MAX_IPS`` addresses per MAC, and facts replaced rather than appended. ``drain`` hands out the
Observations (method ``passive``) and empties the table.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from netdiscover.identity import mac_kind
from netdiscover.observation import Interface, Observation, normalise_mac, utcnow
from netdiscover.scanners.passive.linking import identity_key
from netdiscover.scanners.passive.linklayer import port_name
from netdiscover.scanners.passive.records import Sighting

METHOD = "passive"
MAX_DEVICES = 20_000         # ~3 KB each with long DHCP strings and SSDP headers: ~60 MB
MAX_IPS = 16
# Whose word on a hostname counts most: the name a client asks DHCP for, then what it announces.
HOSTNAME_ORDER = ("dhcp", "dhcpv6", "lldp", "cdp", "mdns", "netbios")


@dataclass(slots=True)
class Entry:
    """Everything heard from one MAC in this window."""

    first_seen: datetime
    last_seen: datetime
    ips: list[str] = field(default_factory=list)
    names: dict[str, str] = field(default_factory=dict)
    facts: dict[str, Any] = field(default_factory=dict)
    protocols: set[str] = field(default_factory=set)
    packets: int = 0


class SightingTable:
    """Sightings merged per MAC, bounded in the number of MACs and in what each one keeps."""

    def __init__(self, max_devices: int = MAX_DEVICES) -> None:
        self.max_devices = max_devices
        self.entries: dict[str, Entry] = {}
        self.overflow = 0
        self.sightings = 0

    def add(self, sighting: Sighting, now: datetime | None = None) -> None:
        """Merge one sighting (one without a MAC names no device and is ignored)."""
        mac = sighting.mac
        if not mac:
            return
        entry = self.entries.get(mac)
        if entry is None:
            if len(self.entries) >= self.max_devices:
                self.overflow += 1
                return
            stamp = now or utcnow()
            entry = self.entries[mac] = Entry(stamp, stamp)
        elif now is not None:
            entry.last_seen = now
        self.sightings += 1
        entry.packets += 1
        entry.protocols.add(sighting.protocol)
        for ip in sighting.ips:
            if ip not in entry.ips and len(entry.ips) < MAX_IPS:
                entry.ips.append(ip)
        if sighting.hostname:
            entry.names[sighting.protocol] = sighting.hostname
        for key, value in sighting.facts.items():
            old = entry.facts.get(key)
            if isinstance(old, dict) and isinstance(value, dict):
                old.update(value)
            else:
                entry.facts[key] = value

    def __len__(self) -> int:
        return len(self.entries)

    def drain(self) -> list[Observation]:
        """The Observations of this window (one per MAC, plus one per further IP); empties the table."""
        out: list[Observation] = []
        for mac, entry in self.entries.items():
            out.extend(observations_of(mac, entry))
        self.entries = {}
        return out


def _hostname(entry: Entry) -> str | None:
    for protocol in HOSTNAME_ORDER:
        if protocol in entry.names:
            return entry.names[protocol]
    return None


def observations_of(mac: str, entry: Entry) -> list[Observation]:
    """One device's observations: the main one with facts, and a plain one per further address."""
    v4 = [ip for ip in entry.ips if ":" not in ip]
    v6 = [ip for ip in entry.ips if ":" in ip]
    ordered = v4 + v6
    facts = dict(entry.facts)
    facts["passive"] = {"protocols": sorted(entry.protocols), "packets": entry.packets,
                        "first_seen": entry.first_seen.isoformat(), "addresses": ordered}
    key = identity_key(mac, entry.facts.get("dhcp"))
    if key:
        facts["passive"]["identity_key"] = key
    main = Observation(method=METHOD, mac=mac, ip=ordered[0] if ordered else None,
                       hostname=_hostname(entry), seen_at=entry.last_seen, facts=facts)
    lldp = entry.facts.get("lldp")
    if isinstance(lldp, dict):
        _lldp_identity(main, lldp)
    more = [Observation(method=METHOD, mac=mac, ip=ip, seen_at=entry.last_seen) for ip in ordered[1:]]
    return [main, *more]


def _lldp_identity(o: Observation, lldp: dict[str, Any]) -> None:
    """What an LLDP sender says of its own identity: a chassis MAC other than the frame's source
    (a switch sends from a per-port MAC) names the device, the port MAC becomes its interface
    named by the Port ID; an LLDP-MED endpoint's inventory gives its serial and maker."""
    chassis = lldp.get("chassis_id")
    if chassis != o.mac and normalise_mac(chassis) == chassis and mac_kind(chassis) is not None:
        o.interfaces = [Interface(mac=chassis), Interface(name=port_name(lldp), mac=o.mac)]
        o.mac = chassis
    med = lldp.get("med")
    if isinstance(med, dict):
        o.serial = med.get("serial")
        o.vendor_hint = med.get("manufacturer")
