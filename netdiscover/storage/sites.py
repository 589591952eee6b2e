"""Rows of the several-sites set-up: sites and their collectors, sweeps sent to a site, and the
observation batches the central ingest received for them.

Reads run in the caller's session. Each writing function is one transaction of its own, holding the
locks the ingest relies on: a batch is an insert that ignores a duplicate primary key (sweep, run,
batch); closing a sweep locks its row; claiming a sweep for reconciliation and marking it reconciled
lock its row (on SQLite, the one write lock), not the whole database: a worker claims a sweep and
prepares its observations while another worker's reconciliation holds the database's write lock. On
PostgreSQL a worker also holds the sweep's guard (a session advisory lock) from before its claim
until the sweep is marked reconciled: the server drops it with a dead worker's connection, so a
claim whose guard is free belongs to nobody alive and is taken over at once.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import case, delete, func, select, text, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, sessionmaker

from netdiscover.storage import scans
from netdiscover.storage.engine import write_session
from netdiscover.storage.models import ObservationRecord
from netdiscover.storage.site_models import Site, SiteSweep, SweepBatch


class SweepOfOtherSite(Exception):
    """A closing message names a sweep that belongs to another site; ``owner`` is that site."""

    def __init__(self, owner: str) -> None:
        super().__init__(owner)
        self.owner = owner


@dataclass(frozen=True)
class ClaimedSweep:
    """A closed sweep this worker claimed for reconciliation, detached from its session."""

    site: str
    run: str
    outcome: str
    scope: list[str]
    coverage: dict[str, list[str]]
    scan_id: int
    reason: str | None


# What a claim found: ``claimed`` (``sweep`` set), ``reconciled`` (done before), ``open`` (no
# closing message yet), ``waiting`` (closed, batches missing), ``held`` (a live worker is at it;
# ``retry_in`` says when its lease ends) or ``unknown`` (no such sweep).
CLAIM_STATES = ("claimed", "reconciled", "open", "waiting", "held", "unknown")


@dataclass(frozen=True)
class Claim:
    """The answer of ``claim_for_reconcile``: what it found and, when it claimed, the sweep."""

    status: str
    sweep: ClaimedSweep | None = None
    retry_in: float | None = None


# -- sites -----------------------------------------------------------------------------------------

def site_names(session: Session) -> set[str]:
    """The names of every registered site."""
    return set(session.scalars(select(Site.name)))


def add_site(sessions: sessionmaker[Session], name: str, now: datetime) -> bool:
    """Register a site; False when it existed."""
    with sessions() as s, s.begin():
        if s.get(Site, name) is not None:
            return False
        s.add(Site(name=name, created_at=now))
    return True


def sites_with_last_sweep(session: Session) -> list[tuple[Site, SiteSweep | None]]:
    """Every site by name, with the last sweep its collector closed."""
    return [(site, session.get(SiteSweep, site.last_sweep_id) if site.last_sweep_id else None)
            for site in session.scalars(select(Site).order_by(Site.name))]


def record_heartbeat(sessions: sessionmaker[Session], name: str, at: datetime, version: str | None,
                     host: str | None, root: bool, nmap: bool, interfaces: list[str] | None) -> None:
    """Store what a site's collector said about itself."""
    with sessions() as s, s.begin():
        site = s.get(Site, name)
        site.last_heartbeat = at
        site.version = version
        site.collector_host = host
        site.root = root
        site.nmap = nmap
        site.interfaces = interfaces


# -- sweeps sent to a site -------------------------------------------------------------------------

def insert_sweep(sessions: sessionmaker[Session], site: str, sweep_id: str, targets: list[str],
                 methods: list[str], now: datetime) -> bool:
    """Record a sweep sent to ``site``; False (nothing stored) when the site is unknown."""
    with sessions() as s, s.begin():
        if s.get(Site, site) is None:
            return False
        s.add(SiteSweep(id=sweep_id, site=site, state="submitted", targets=targets, methods=methods,
                        submitted_at=now))
    return True


def delete_sweep(sessions: sessionmaker[Session], sweep_id: str) -> None:
    """Forget a sweep (its task never reached the broker)."""
    with sessions() as s, s.begin():
        s.execute(delete(SiteSweep).where(SiteSweep.id == sweep_id))


def sweep(session: Session, sweep_id: str) -> SiteSweep | None:
    """The sweep row, or None."""
    return session.get(SiteSweep, sweep_id)


def sweep_state(session: Session, sweep_id: str) -> str | None:
    """Where the sweep is (submitted, closed, reconciling, reconciled), without a write lock."""
    return session.scalar(select(SiteSweep.state).where(SiteSweep.id == sweep_id))


# -- the ingest ------------------------------------------------------------------------------------

def store_batch(sessions: sessionmaker[Session], sweep_id: str, run: str, batch: int, count: int,
                payload: bytes, received_at: datetime) -> bool:
    """Store one batch of observations; False when this (sweep, run, batch) was already stored."""
    row = {"sweep_id": sweep_id, "run": run, "batch": batch, "count": count, "payload": payload,
           "received_at": received_at}
    with sessions() as s, s.begin():
        dialect = postgresql if s.bind.dialect.name == "postgresql" else sqlite
        stmt = dialect.insert(SweepBatch.__table__).values(**row).on_conflict_do_nothing()
        return s.execute(stmt.returning(SweepBatch.__table__.c.batch)).first() is not None


def close_sweep(sessions: sessionmaker[Session], msg: dict[str, Any], now: datetime) -> bool:
    """Record a checked closing message on its (row-locked) sweep; False when it was closed already.

    A sweep unknown here (sent by someone else, or its submission lost) is created closed.
    Raises SweepOfOtherSite when the sweep belongs to another site.
    """
    with sessions() as s, s.begin():
        row = s.get(SiteSweep, msg["sweep"], with_for_update=True)
        if row is None:
            row = SiteSweep(id=msg["sweep"], site=msg["site"], state="submitted", submitted_at=now,
                            methods=msg["methods"], targets=msg["scope"])
            s.add(row)
        elif row.site != msg["site"]:
            raise SweepOfOtherSite(row.site)
        if row.state != "submitted":
            return False
        row.state, row.outcome, row.reason = "closed", msg["outcome"], msg.get("reason")
        row.run, row.batches, row.scope = msg["run"], msg["batches"], msg["scope"]
        row.coverage = msg["coverage"] if msg["outcome"] == "complete" else {}
        row.methods = msg["methods"] or row.methods
        row.closed_at = now
        site = s.get(Site, msg["site"])
        if site is not None:
            site.last_sweep_id = msg["sweep"]
    return True


def claim_for_reconcile(sessions: sessionmaker[Session], sweep_id: str, now: datetime,
                        lease: timedelta) -> Claim:
    """Claim a closed sweep whose announced batches are all stored, and open its scan row.

    Another worker's claim younger than ``lease`` is ``held`` (a zero lease takes any claim
    over: the caller knows its worker is dead). Locks the sweep's row.
    """
    with write_session(sessions, whole_database=False) as s:
        row = s.get(SiteSweep, sweep_id, with_for_update=True)
        if row is None:
            return Claim("unknown")
        if row.state not in ("closed", "reconciling"):
            return Claim({"submitted": "open"}.get(row.state, row.state))
        if row.state == "reconciling" and row.claimed_at and now - row.claimed_at < lease:
            return Claim("held", retry_in=(lease - (now - row.claimed_at)).total_seconds())
        have = s.scalar(select(func.count()).select_from(SweepBatch).where(
            SweepBatch.sweep_id == sweep_id, SweepBatch.run == row.run)) or 0
        if have < (row.batches or 0):
            return Claim("waiting")
        row.state, row.claimed_at = "reconciling", now
        if row.scan_id is None:
            row.scan_id = scans.start_scan(
                s, targets=row.scope or [], methods=row.methods or [], started_at=row.submitted_at,
                sweep_name=f"site:{row.site}", started_by=f"collector:{row.site}")
        return Claim("claimed", ClaimedSweep(row.site, row.run, row.outcome, row.scope, row.coverage,
                                             row.scan_id, row.reason))


SWEEP_GUARD = 0x6E64_7377        # first key of a sweep's guard; the second is hashtext(sweep id)


@contextmanager
def reconcile_guard(sessions: sessionmaker[Session], sweep_id: str) -> Iterator[str]:
    """Hold the sweep's guard while the block runs; yields ``held`` (ours), ``busy`` (a live
    worker holds it) or ``unguarded`` (SQLite: no guard, claims rely on their lease).

    PostgreSQL: a session advisory lock on a connection of its own, so it outlives the claim's
    and the reconciliation's transactions and dies with the worker's connection.
    """
    engine = sessions.kw["bind"]
    if engine.dialect.name != "postgresql":
        yield "unguarded"
        return
    key = {"k": SWEEP_GUARD, "id": sweep_id}
    with engine.connect() as conn:
        got = conn.execute(text("SELECT pg_try_advisory_lock(:k, hashtext(:id))"), key).scalar()
        conn.commit()
        if not got:
            yield "busy"
            return
        try:
            yield "held"
        finally:
            try:
                conn.execute(text("SELECT pg_advisory_unlock(:k, hashtext(:id))"), key)
                conn.commit()
            except DBAPIError:
                conn.invalidate()        # a broken connection: the server has let go of the lock


def scan_has_observations(session: Session, scan_id: int) -> bool:
    """True when observations are stored under ``scan_id`` (its sweep was reconciled already)."""
    return session.scalar(select(ObservationRecord.id).where(ObservationRecord.scan_id == scan_id)
                          .limit(1)) is not None


def batches(session: Session, sweep_id: str, run: str,
            without_payload: Collection[int] = ()) -> list[tuple[int, int, bytes | None]]:
    """(batch, count, payload) of the sweep's batches of ``run``, in batch order; the payload is
    None for the batches named in ``without_payload`` (the caller has them decoded already)."""
    payload = case((SweepBatch.batch.in_(list(without_payload)), None), else_=SweepBatch.payload) \
        if without_payload else SweepBatch.payload
    return [tuple(row) for row in session.execute(
        select(SweepBatch.batch, SweepBatch.count, payload).where(
            SweepBatch.sweep_id == sweep_id, SweepBatch.run == run).order_by(SweepBatch.batch))]


def mark_reconciled(sessions: sessionmaker[Session], sweep_id: str, scan_id: int, at: datetime,
                    counts: dict[str, Any] | None, status: str, messages: list[str] | None,
                    error: str | None) -> None:
    """Close a reconciled sweep and its scan row, and drop its payloads (the batch rows stay, so a
    late redelivery stays a no-op)."""
    with write_session(sessions, whole_database=False) as s:
        s.execute(update(SiteSweep).where(SiteSweep.id == sweep_id).values(
            state="reconciled", reconciled_at=at, counts=counts))
        s.execute(update(SweepBatch).where(SweepBatch.sweep_id == sweep_id).values(payload=b""))
        scans.finish_scan(s, scan_id, status=status, counts=counts, messages=messages, error=error)
