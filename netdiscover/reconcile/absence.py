"""Absence: when a sweep's silence is evidence that a device is gone.

The rule (DESIGN.md, "disappeared"): a present asset is *missed* by a sweep when the sweep
covered one of its current addresses with a method that could have seen it there, and no
method of the sweep saw it. Methods whose silence counts:

- ``arp``: only for addresses on the scanner's own segment that it actually asked (the
  scanner's own addresses are never asked, so the scanner's host is never missed by ARP);
- ``nmap``: host discovery over the addresses it was given;
- ``snmp``: only at an address where that asset answered SNMP before (a device without an
  agent is silent to SNMP whether it is there or not).

IoT announcements (mDNS, SSDP, NetBIOS), passive listening, ``ndp`` and routers' ARP tables
never prove absence: a sweep of only those methods misses nothing. (``ndp`` finds hosts by an
echo to all-nodes, which hosts may ignore, e.g. Windows' default firewall, and solicits only the
SLAAC addresses of those that answered, so its silence says nothing about the rest.) A
link-local address is never counted: the same one is reused on every link. A method counts only when it
ran to the end (a failed or partial method proves nothing).

An asset is marked disappeared only after a grace: missed by at least ``Grace.misses``
sweeps in a row AND not seen for ``Grace.after_s`` seconds (defaults 2 and one hour; the
settings file's ``[daemon] disappear_after_misses`` / ``disappear_after``). Any sighting, by
any method, resets the count. The ``disappeared`` event names the sweep (its scan id) and
the method that concluded it.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import netaddr

from netdiscover.identity import link_local_ip
from netdiscover.scope import AddressRanges

# Methods whose silence may count, strongest first (the first that covered an address concludes).
ABSENCE_METHODS = ("arp", "nmap", "snmp")
# Methods whose silence counts only where the asset answered them before.
NEEDS_HISTORY = frozenset({"snmp"})


@dataclass(frozen=True)
class Grace:
    """How long a device may be missed before it is marked disappeared."""

    misses: int = 2              # sweeps in a row that could have seen it and did not
    after_s: float = 3600.0      # and not seen for at least this long


def coverage_of(outcomes: Iterable[Any], scope: netaddr.IPSet) -> dict[str, netaddr.IPSet]:
    """Per method that ran to the end, the addresses where its silence counts.

    ``outcomes`` are the scanners' ``ScanOutcome``s. A method covers what it reports in
    ``stats["covered"]`` (the addresses it asked: ARP on its own segment, SNMP and nmap when they
    asked only ARP's hosts there); ARP nothing when it does not say, the others the whole scope.
    """
    coverage: dict[str, netaddr.IPSet] = {}
    for outcome in outcomes:
        if outcome.status != "done" or outcome.method not in ABSENCE_METHODS:
            continue
        covered = (outcome.stats or {}).get("covered")
        if covered is not None:
            if covered:
                coverage[outcome.method] = netaddr.IPSet(covered) & scope
        elif outcome.method != "arp":
            coverage[outcome.method] = scope
    return coverage


AnsweredBefore = Callable[[str, Mapping[int, list[str]]], set[tuple[int, str]]]
MissCounts = Iterable[tuple[int, int | None, datetime | None, datetime | None]]


class AbsenceCheck:
    """Which of one sweep's unseen assets count as missed, and which of those are gone (pure)."""

    def __init__(self, *, now: datetime, scan_id: int | None, coverage: Mapping[str, netaddr.IPSet],
                 grace: Grace) -> None:
        self.now, self.scan_id, self.grace = now, scan_id, grace
        self.ranges = [(m, AddressRanges(coverage[m])) for m in ABSENCE_METHODS if coverage.get(m)]

    def missed(self, unseen: Mapping[int, list[str]],
               answered_before: AnsweredBefore) -> dict[int, tuple[str, list[str]]]:
        """Of assets not seen (id -> their current in-scope IPs), those some method could have
        seen: id -> (method, IPs it covered). ``answered_before(method, unseen)`` gives the
        (asset id, IP) pairs where an asset answered ``method`` before (read only if needed)."""
        out: dict[int, tuple[str, list[str]]] = {}
        if not self.ranges:
            return out
        history: set[tuple[int, str]] | None = None
        for asset_id, ips in unseen.items():
            for method, ranges in self.ranges:
                covered = [ip for ip in ips if ip in ranges]
                if covered and method in NEEDS_HISTORY:
                    if history is None:
                        history = answered_before(method, unseen)
                    covered = [ip for ip in covered if (asset_id, ip) in history]
                if covered:
                    out[asset_id] = (method, sorted(covered))
                    break
        return out

    def conclude(self, missed: Mapping[int, tuple[str, list[str]]], counts: MissCounts
                 ) -> tuple[list[dict[str, Any]], list[tuple[int, str, list[str], int, Any]]]:
        """Count this sweep's miss on each asset (``counts``: id, missed sweeps, last seen, created
        at of the ``missed`` ones); returns the asset row updates and the disappearances as
        (asset id, method, IPs, misses, last seen)."""
        updates: list[dict[str, Any]] = []
        gone: list[tuple[int, str, list[str], int, Any]] = []
        for asset_id, count, last_seen, created in counts:
            count = (count or 0) + 1
            since = last_seen or created
            quiet_for = (self.now - since).total_seconds() if since else float("inf")
            method, ips = missed[asset_id]
            if count >= self.grace.misses and quiet_for >= self.grace.after_s:
                # the count restarts: a disappeared asset is no longer in grace
                updates.append({"id": asset_id, "present": False, "missed_sweeps": 0,
                                "last_missed_at": self.now, "last_missed_scan_id": self.scan_id,
                                "updated_at": self.now})
                gone.append((asset_id, method, ips, count, last_seen))
            else:
                updates.append({"id": asset_id, "missed_sweeps": count, "last_missed_at": self.now,
                                "last_missed_scan_id": self.scan_id})
        return updates, gone


def unseen_in_scope(rows: Iterable[Any], seen: set[int], in_scope: Callable[[str], bool],
                    site: str | None) -> dict[int, list[str]]:
    """Present assets this sweep did not see -> their current IPs in its scope (``rows``: asset id,
    IP and, when other sites' assets exist, its site)."""
    unseen: dict[int, list[str]] = defaultdict(list)
    for asset_id, ip, *where in rows:
        if (asset_id not in seen and in_scope(ip) and (not where or where[0] == site)
                and not link_local_ip(ip)):
            unseen[asset_id].append(ip)
    return unseen


def disappearance_events(gone: list[tuple[int, str, list[str], int, Any]], scan_id: int | None,
                         event: Callable[..., tuple[Any, ...]]) -> list[tuple[Any, ...]]:
    """One ``disappeared`` event per asset concluded gone, naming the sweep and the method."""
    events = []
    for asset_id, method, ips, misses, last_seen in sorted(gone):
        when = last_seen.isoformat() if last_seen else "never"
        events.append(event(asset_id, "disappeared", {"present": True, "ips": ips},
                            {"present": False, "scan_id": scan_id, "method": method, "missed_sweeps": misses},
                            note=f"not seen by {method} in {misses} sweeps (last seen {when}); "
                                 f"concluded by scan {scan_id if scan_id is not None else '-'}"))
    return events
