"""The state one sweep's reconciliation carries: tables, columns, decisions so far, events."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import netaddr
from sqlalchemy import Connection, and_, or_, select

from netdiscover.observation import Observation
from netdiscover.reconcile.absence import ABSENCE_METHODS, Grace
from netdiscover.scope import AddressRanges
from netdiscover.storage import bulk
from netdiscover.storage.models import (
    Address,
    Asset,
    AssetEvent,
    Interface,
    ObservationRecord,
    Service,
    Software,
)

A = Asset.__table__
I = Interface.__table__  # noqa: E741
ADDR = Address.__table__
SVC = Service.__table__
SW = Software.__table__
OBS = ObservationRecord.__table__
EV = AssetEvent.__table__

EVENT_COLUMNS = ("asset_id", "scan_id", "kind", "at", "actor", "note", "old", "new")
ASSET_COLUMNS = ("id", "hostname", "serial", "snmp_engine_id", "device_class", "vendor", "model", "os_name",
                 "os_version", "confidence", "fingerprint", "status", "site", "methods", "snmp_credential",
                 "present", "first_seen", "last_seen", "created_at", "updated_at", "field_sources")
IFACE_COLUMNS = ("asset_id", "mac", "name", "if_index", "speed", "oper_status", "randomised", "first_seen",
                 "last_seen", "identity_key")
ADDR_COLUMNS = ("asset_id", "ip", "mac", "current", "first_seen", "last_seen")
CURRENT = '"current" = TRUE'

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


class SweepState:
    """What one sweep's reconciliation knows and has decided so far, inside its transaction."""

    def __init__(self, conn: Connection, *, now: datetime, scan_id: int | None, site: str | None,
                 scope: netaddr.IPSet | None, complete: bool, fingerprinter: Fingerprinter | None,
                 result: ReconcileResult, coverage: dict[str, netaddr.IPSet] | None = None,
                 grace: Grace | None = None, methods: frozenset[str] = frozenset()) -> None:
        self.conn = conn
        self.now = now
        self.scan_id = scan_id
        self.site = site
        self.scope = scope
        self.complete = complete
        self.fingerprinter = fingerprinter
        self.result = result
        self.grace = grace or Grace()
        self._coverage = coverage
        self._methods = methods             # methods whose observations this sweep holds
        self.events: list[tuple[Any, ...]] = []      # rows of EVENT_COLUMNS
        self.found: list[Any] = []             # discrepancies.Seen: sweep vs documented values
        self.redirect: dict[int, int] = {}     # merged-away asset id -> survivor
        self.ip_holders: dict[str, set[int]] = defaultdict(set)
        # What identity matching read anyway, kept for the unchanged-device fast path (valid
        # only while no assets were merged): (asset id, mac) -> interface id and
        # (asset id, ip) -> (address id, mac) of current addresses.
        self.iface_ids: dict[tuple[int, str], int] = {}
        self.current_addrs: dict[tuple[int, str], tuple[int, str | None]] = {}
        self._scope_ranges = AddressRanges(scope) if scope is not None else None
        self._other_sites: bool | None = None

    def event(self, asset_id: int | None, kind: str, old: dict[str, Any] | None = None,
              new: dict[str, Any] | None = None, note: str | None = None) -> None:
        self.events.append((asset_id, self.scan_id, kind, self.now, "sweep", note, old, new))

    def coverage(self) -> dict[str, netaddr.IPSet]:
        """Per method, where its silence counts (``reconcile.absence``). Without an explicit
        coverage, a complete sweep's methods that produced observations cover its whole scope."""
        if self._coverage is not None:
            return self._coverage
        if not self.complete or self.scope is None:
            return {}
        return {m: self.scope for m in ABSENCE_METHODS if m in self._methods}

    def other_sites(self) -> bool:
        """Is this a site's sweep, and does the database hold assets of other sites (read once)?

        A sweep without a site (a single-site install, a local scan) sees every site as before.
        """
        if self.site is None:
            return False
        if self._other_sites is None:
            cond = A.c.site.is_not(None) & (A.c.site != self.site)
            self._other_sites = self.conn.execute(select(A.c.id).where(cond).limit(1)).first() is not None
        return self._other_sites

    def site_assets(self, ids: set[int]) -> set[int]:
        """Of ``ids``, the assets this site's sweep may claim by IP: its own and those without a
        site (which then take this one)."""
        rows = bulk.fetch_in(self.conn, A, ("id", "site"), "id", ids)
        return {i for i, site in rows if site is None or site == self.site}

    def resolve(self, asset_id: int) -> int:
        while asset_id in self.redirect:
            asset_id = self.redirect[asset_id]
        return asset_id

    def scope_conditions(self, ip_column: Any) -> list[Any] | None:
        """SQL conditions on ``ip_column``, one query each, that together keep every address of
        the scope (and maybe a few more: test with ``in_scope``); None when the whole table must
        be read.

        IPv4 scopes become dotted prefixes. SQLite gets one index range per prefix (ORed ranges
        made it scan the table); PostgreSQL, whose text collation may ignore dots, one LIKE list.
        """
        if self._scope_ranges is None:
            return None
        sqlite = self.conn.dialect.name == "sqlite"
        prefixes = self._scope_ranges.text_prefixes(64 if sqlite else 16)
        if prefixes is None:
            return None
        if sqlite:       # every address starting "10.20.0." sorts from "10.20.0." to before "10.20.0/"
            return [and_(ip_column >= p, ip_column < p[:-1] + "/") for p in prefixes]
        return [or_(*(ip_column.startswith(p, autoescape=True) for p in prefixes))] if prefixes else []

    def in_scope(self, ip: str) -> bool:
        if self._scope_ranges is None:
            return True
        return ip in self._scope_ranges
