"""What one sweep's reconciliation works from and reports: its context, its decisions, its result.

``SweepContext`` holds the facts of the sweep (when, which scan, which site and scope, which
methods covered what); ``Identities`` what identity matching decided and read on the way;
and ``ReconcileResult`` the figures the caller gets back. The rows each planning step wants written are a
``storage.write_plan.WritePlan``.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import netaddr

from netdiscover.observation import Observation
from netdiscover.reconcile.absence import ABSENCE_METHODS, Grace
from netdiscover.scope import AddressRanges

Fingerprinter = Callable[[list[Observation]], Any]


@dataclass
class ReconcileResult:
    """What one reconciliation did."""

    scan_id: int | None = None
    observations: int = 0
    devices: int = 0
    new: int = 0
    updated: int = 0
    unchanged: int = 0
    disappeared: int = 0
    missed: int = 0             # missed by this sweep, still within the grace
    discrepancies: int = 0      # new disagreements with documented values
    reappeared: int = 0
    located: int = 0
    merged: int = 0
    new_asset_ids: list[int] = field(default_factory=list)
    new_undocumented_ids: list[int] = field(default_factory=list)
    reappeared_ids: list[int] = field(default_factory=list)
    disappeared_ids: list[int] = field(default_factory=list)
    rogue_seen_ids: list[int] = field(default_factory=list)
    asset_ids: list[int] = field(default_factory=list)

    @property
    def counts(self) -> dict[str, int]:
        """The figures for the scans row and the CLI."""
        return {k: getattr(self, k) for k in ("observations", "devices", "new", "updated", "unchanged",
                                               "disappeared", "missed", "reappeared", "located", "merged")}


class SweepContext:
    """The facts of one sweep that every step of its reconciliation reads."""

    def __init__(self, *, now: datetime, scan_id: int | None, site: str | None, scope: netaddr.IPSet | None,
                 complete: bool, coverage: dict[str, netaddr.IPSet] | None = None, grace: Grace | None = None,
                 methods: frozenset[str] = frozenset()) -> None:
        self.now = now
        self.scan_id = scan_id
        self.site = site
        self.scope = scope
        self.complete = complete
        self.grace = grace or Grace()
        self.scope_ranges = AddressRanges(scope) if scope is not None else None
        self._coverage = coverage
        self._methods = methods             # methods whose observations this sweep holds

    def event(self, asset_id: int | None, kind: str, old: dict[str, Any] | None = None,
              new: dict[str, Any] | None = None, note: str | None = None) -> tuple[Any, ...]:
        """An asset_events row (EVENT_COLUMNS) this sweep writes."""
        return (asset_id, self.scan_id, kind, self.now, "sweep", note, old, new)

    def coverage(self) -> dict[str, netaddr.IPSet]:
        """Per method, where its silence counts (``reconcile.absence``). Without an explicit
        coverage, a complete sweep's methods that produced observations cover its whole scope."""
        if self._coverage is not None:
            return self._coverage
        if not self.complete or self.scope is None:
            return {}
        return {m: self.scope for m in ABSENCE_METHODS if m in self._methods}

    def in_scope(self, ip: str) -> bool:
        return self.scope_ranges is None or ip in self.scope_ranges


@dataclass
class Identities:
    """What identity matching decided, and what it read that later steps reuse."""

    redirect: dict[int, int] = field(default_factory=dict)      # merged-away asset id -> survivor
    merges: list[tuple[int, int]] = field(default_factory=list)  # (survivor, victim), in order
    ip_holders: dict[str, set[int]] = field(default_factory=lambda: defaultdict(set))
    # For the unchanged-device fast path (valid only while no assets were merged):
    # (asset id, mac) -> interface id, (asset id, ip) -> (address id, mac) of current addresses.
    iface_ids: dict[tuple[int, str], int] = field(default_factory=dict)
    current_addrs: dict[tuple[int, str], tuple[int, str | None]] = field(default_factory=dict)
    events: list[tuple[Any, ...]] = field(default_factory=list)      # the merges', EVENT_COLUMNS

    def resolve(self, asset_id: int) -> int:
        """The asset ``asset_id`` is now, after merges."""
        while asset_id in self.redirect:
            asset_id = self.redirect[asset_id]
        return asset_id
