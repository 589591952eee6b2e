"""The storage side of one sweep's reconciliation: the rows its planning reads, and its plans applied.

Everything runs inside the sweep's one write transaction, set-based (chunked IN reads,
executemany/COPY writes: ``storage.bulk``), so 100k devices take seconds. ``apply`` writes one
``storage.write_plan.WritePlan``; the other methods answer the planners' questions.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session, sessionmaker

from netdiscover.observation import HOST
from netdiscover.scope import AddressRanges
from netdiscover.storage import bulk, evidence
from netdiscover.storage.engine import write_session
from netdiscover.storage.identities import IdentityReads, fold_asset
from netdiscover.storage.models import (
    Address,
    Asset,
    AssetEvent,
    Discrepancy,
    Interface,
    ObservationRecord,
    Service,
    Software,
)
from netdiscover.storage.write_plan import (
    ADDR_COLUMNS,
    ASSET_COLUMNS,
    EVENT_COLUMNS,
    IFACE_COLUMNS,
    WritePlan,
)

A = Asset.__table__
I = Interface.__table__  # noqa: E741
ADDR = Address.__table__
SVC = Service.__table__
SW = Software.__table__
OBS = ObservationRecord.__table__
EV = AssetEvent.__table__
D = Discrepancy.__table__
CURRENT = '"current" = TRUE'
# Current and not link-local (fe80::/10 in canonical lower-case text, 169.254.0.0/16): the
# addresses a sweep may retire by not seeing them (reconcile.known keeps link-local ones apart).
# (substr, not LIKE: the literal SQL goes through the driver, and psycopg would read '%' as a placeholder)
CURRENT_ROUTABLE = (CURRENT + """ AND substr("ip", 1, 3) NOT IN ('fe8', 'fe9', 'fea', 'feb')"""
                    """ AND substr("ip", 1, 8) <> '169.254.'""")
PerAsset = dict[int, list[Any]]
KnownRows = tuple[PerAsset, PerAsset, PerAsset, PerAsset]     # interfaces, addresses, services, software
_KNOWN_COLUMNS = ("id", "hostname", "serial", "snmp_engine_id", "vendor", "model", "os_name", "os_version",
                  "device_class", "status", "present", "methods", "last_seen", "snmp_credential", "site")


@contextmanager
def sweep_transaction(sessions: sessionmaker[Session]) -> Iterator[SweepStore]:
    """One sweep's write transaction (holding the write lock from the start), as a SweepStore."""
    with write_session(sessions) as session:
        yield SweepStore(session.connection())


class SweepStore(IdentityReads):
    """One sweep's reads and writes, on the connection of its transaction."""

    # ---- known assets

    def known_assets(self, ids: list[int], with_fp: list[int]) -> dict[int, dict[str, Any]]:
        """Asset id -> its columns the planner compares (fingerprint and field sources: ``with_fp`` only)."""
        # last_seen is only tested for NULL: left unparsed
        assets = {r[0]: dict(zip(_KNOWN_COLUMNS, r, strict=True))
                  for r in bulk.fetch_in(self.conn, A, _KNOWN_COLUMNS, "id", ids, raw=("last_seen",))}
        for row in assets.values():
            row["fingerprint"] = row["field_sources"] = None
        for asset_id, fp, held in bulk.select_in(self.conn, [A.c.id, A.c.fingerprint, A.c.field_sources],
                                                 A.c.id, with_fp):
            row = assets[asset_id]
            row["fingerprint"], row["field_sources"] = fp, held
        return assets

    def field_sources(self, ids: list[int]) -> list[tuple[int, Any]]:
        """(asset id, field sources) of ``ids``."""
        return bulk.select_in(self.conn, [A.c.id, A.c.field_sources], A.c.id, ids)

    def current_address_counts(self, ids: list[int]) -> dict[int, int]:
        """Asset id -> how many current addresses (not link-local) it holds, for those holding several."""
        return bulk.counts_in(self.conn, ADDR, "asset_id", ids, CURRENT_ROUTABLE)

    def known_rows(self, ids: list[int], with_svc: list[int], with_sw: list[int]) -> KnownRows:
        """Per asset: its interfaces and addresses (of ``ids``), services (``with_svc``) and
        software (``with_sw``)."""
        conn = self.conn
        ifaces: dict[int, list[Any]] = defaultdict(list)
        for r in bulk.select_in(conn, [I.c.id, I.c.asset_id, I.c.mac, I.c.name, I.c.if_index, I.c.speed,
                                       I.c.oper_status, I.c.identity_key], I.c.asset_id, ids):
            ifaces[r.asset_id].append(r)
        addrs: dict[int, list[Any]] = defaultdict(list)
        for r in bulk.select_in(conn, [ADDR.c.id, ADDR.c.asset_id, ADDR.c.ip, ADDR.c.current, ADDR.c.mac],
                                ADDR.c.asset_id, ids):
            addrs[r.asset_id].append(r)
        svcs: dict[int, list[Any]] = defaultdict(list)
        for r in bulk.select_in(conn, [SVC.c.id, SVC.c.asset_id, SVC.c.port, SVC.c.protocol, SVC.c.name,
                                       SVC.c.product, SVC.c.version, SVC.c.open], SVC.c.asset_id, with_svc):
            svcs[r.asset_id].append(r)
        sws: dict[int, list[Any]] = defaultdict(list)
        for r in bulk.select_in(conn, [SW.c.id, SW.c.asset_id, SW.c.name, SW.c.version], SW.c.asset_id,
                                with_sw):
            sws[r.asset_id].append(r)
        return ifaces, addrs, svcs, sws

    def allocate_asset_ids(self, count: int) -> list[int]:
        return bulk.allocate_ids(self.conn, A, count)

    def current_address_ids(self, ips: Iterable[str]) -> dict[tuple[int, str], int]:
        """(asset id, IP) -> address id of the current addresses among ``ips``."""
        return {(r.asset_id, r.ip): r.id for r in bulk.select_in(
            self.conn, [ADDR.c.id, ADDR.c.asset_id, ADDR.c.ip], ADDR.c.ip, ips, CURRENT)}

    def interfaces_with(self, macs: Iterable[str]) -> list[Any]:
        """The interfaces (id, asset_id, mac, switch, switch_port) carrying one of ``macs``."""
        return bulk.select_in(self.conn, [I.c.id, I.c.asset_id, I.c.mac, I.c.switch, I.c.switch_port],
                              I.c.mac, macs)

    # ---- absence

    def reset_missed(self, seen: set[int]) -> None:
        """Seen again: the miss count starts over (only assets in grace carry one)."""
        missed = self.conn.execute(select(A.c.id).where(A.c.missed_sweeps > 0)).scalars().all()
        back = [i for i in missed if i in seen]
        if back:
            bulk.update_in(self.conn, A, back, {"missed_sweeps": 0, "last_missed_at": None})

    def present_addresses(self, ranges: AddressRanges | None, with_site: bool) -> list[Any]:
        """(asset id, IP[, site]) of the current addresses of present assets, at least those in ``ranges``."""
        stmt = (select(ADDR.c.asset_id, ADDR.c.ip).join(A, A.c.id == ADDR.c.asset_id)
                .where(A.c.present.is_(True), ADDR.c.current.is_(True)))
        if with_site:
            # the site filtered by the caller, not in SQL: PostgreSQL planned the joined condition badly
            stmt = stmt.add_columns(A.c.site)
        conditions = self._scope_conditions(ranges, ADDR.c.ip)
        if conditions is None:
            return list(self.conn.execute(stmt).all())
        return [row for condition in conditions for row in self.conn.execute(stmt.where(condition)).all()]

    def _scope_conditions(self, ranges: AddressRanges | None, ip_column: Any) -> list[Any] | None:
        """SQL conditions on ``ip_column``, one query each, that together keep every address of
        ``ranges`` (and maybe a few more); None when the whole table must be read.

        IPv4 scopes become dotted prefixes. SQLite gets one index range per prefix (ORed ranges
        made it scan the table); PostgreSQL, whose text collation may ignore dots, one LIKE list.
        """
        if ranges is None:
            return None
        sqlite = self.conn.dialect.name == "sqlite"
        prefixes = ranges.text_prefixes(64 if sqlite else 16)
        if prefixes is None:
            return None
        if sqlite:       # every address starting "10.20.0." sorts from "10.20.0." to before "10.20.0/"
            return [and_(ip_column >= p, ip_column < p[:-1] + "/") for p in prefixes]
        return [or_(*(ip_column.startswith(p, autoescape=True) for p in prefixes))] if prefixes else []

    def methods_of(self, ids: Iterable[int]) -> list[tuple[int, Any]]:
        """(asset id, methods) of ``ids``."""
        return bulk.fetch_in(self.conn, A, ("id", "methods"), "id", ids)

    def answered(self, method: str, ids: Iterable[int]) -> set[tuple[int, str]]:
        """(asset id, IP) pairs where an asset of ``ids`` answered ``method`` before (the evidence kept)."""
        evidence_rows = bulk.select_in(self.conn, [OBS.c.asset_id, OBS.c.ip], OBS.c.asset_id, ids,
                                       f"method = '{method}' AND kind = '{HOST}'")
        return {(r.asset_id, r.ip) for r in evidence_rows}

    def miss_counts(self, ids: Iterable[int]) -> list[tuple[Any, ...]]:
        """(asset id, missed sweeps, last seen, created at) of ``ids``."""
        return bulk.fetch_in(self.conn, A, ("id", "missed_sweeps", "last_seen", "created_at"), "id", ids)

    # ---- discrepancies

    def discrepancies_of(self, ids: Iterable[int]) -> list[Any]:
        """The discrepancy rows (id, asset_id, field, observed, count, documented) of ``ids``."""
        return bulk.select_in(self.conn, [D.c.id, D.c.asset_id, D.c.field, D.c.observed, D.c.count,
                                          D.c.documented], D.c.asset_id, ids)

    def write_discrepancies(self, inserts: list[dict[str, Any]], updates: list[dict[str, Any]]) -> None:
        bulk.update_rows(self.conn, D, updates)
        bulk.insert_rows(self.conn, D, inserts)

    # ---- writes

    def fold(self, survivor: int, victim: int, now: datetime) -> None:
        """Asset ``victim`` was the same device as ``survivor``: fold it in."""
        fold_asset(self.conn, survivor, victim, now)

    def apply(self, plan: WritePlan) -> None:
        """Write ``plan``: updates, sightings, new rows, then its events."""
        conn = self.conn
        bulk.update_rows(conn, A, plan.asset_updates)
        bulk.touch_seen(conn, A, plan.asset_seen)
        bulk.touch_seen(conn, I, plan.iface_seen)
        bulk.touch_seen(conn, ADDR, plan.addr_seen)
        bulk.insert_tuples(conn, A, ASSET_COLUMNS, plan.new_assets)
        bulk.insert_tuples(conn, I, IFACE_COLUMNS, plan.new_interfaces)
        bulk.insert_tuples(conn, ADDR, ADDR_COLUMNS, plan.new_addresses)
        for table, updates, inserts in ((I, plan.iface_updates, plan.iface_inserts),
                                        (ADDR, plan.addr_updates, plan.addr_inserts),
                                        (SVC, plan.service_updates, plan.service_inserts),
                                        (SW, plan.software_updates, plan.software_inserts)):
            bulk.update_rows(conn, table, updates)
            bulk.insert_rows(conn, table, inserts)
        bulk.insert_tuples(conn, EV, EVENT_COLUMNS, plan.events)

    def store_observations(self, rows: list[tuple[Any, ...]]) -> None:
        """Keep the sweep's observations as evidence (rows of ``evidence.record_row``)."""
        bulk.insert_tuples(self.conn, OBS, evidence.COLUMNS, rows)
