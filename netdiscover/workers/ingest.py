"""The central ingest: batches and closing messages of site sweeps into the one asset database.

Idempotent per (sweep, run, batch): a redelivered batch is a no-op. A sweep is reconciled once,
when its closing message has arrived and every batch it announced is stored; disappearance is
decided only when the collector said the sweep was complete (a partial sweep's sightings count,
its silence does not; an aborted sweep writes no asset). Several ingest workers may run: the one
that claims a sweep reconciles it; a claim older than ``LEASE_S`` (its worker died) is taken over,
and a sweep whose observations are already stored under its scan is never reconciled twice.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

import netaddr
from sqlalchemy import func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session, sessionmaker

from netdiscover.observation import Observation, utcnow
from netdiscover.reconcile.context import Fingerprinter
from netdiscover.storage import repository
from netdiscover.storage.engine import write_session
from netdiscover.storage.models import ObservationRecord
from netdiscover.storage.site_models import Site, SiteSweep, SweepBatch
from netdiscover.workers import messages
from netdiscover.workers.messages import PoisonMessage

log = logging.getLogger(__name__)

LEASE_S = 300.0          # a reconciling claim older than this belonged to a worker that died
SITE_CACHE_S = 30.0


class Ingest:
    """The central side of the several-sites set-up, on one database."""

    def __init__(self, sessions: sessionmaker[Session], *, fingerprinter: Fingerprinter | None = None,
                 lease_s: float = LEASE_S) -> None:
        self.sessions = sessions
        self.fingerprinter = fingerprinter
        self.lease_s = lease_s
        self._sites: tuple[float, set[str]] | None = None

    # -- sites ------------------------------------------------------------------------------------
    def known_sites(self, fresh: bool = False) -> set[str]:
        now = utcnow().timestamp()
        if fresh or self._sites is None or now - self._sites[0] > SITE_CACHE_S:
            with self.sessions() as s:
                self._sites = (now, set(s.scalars(select(Site.name))))
        return self._sites[1]

    def check_site(self, site: str) -> None:
        if site not in self.known_sites() and site not in self.known_sites(fresh=True):
            raise PoisonMessage(f"unknown site {site!r}")

    # -- messages ---------------------------------------------------------------------------------
    def handle(self, msg: Any) -> str:
        """Process one message from the ingest queue; returns what happened. Raises PoisonMessage."""
        if not isinstance(msg, dict):
            raise PoisonMessage(f"not a message object: {type(msg).__name__}")
        kind = msg.get("kind")
        if kind == "batch":
            return self.receive_batch(msg)
        if kind == "close":
            return self.receive_close(msg)
        if kind == "heartbeat":
            return self.heartbeat(msg)
        raise PoisonMessage(f"unknown message kind {str(kind)[:40]!r}")

    def receive_batch(self, msg: Any) -> str:
        msg, packed = messages.check_batch(msg)
        self.check_site(msg["site"])
        row = {"sweep_id": msg["sweep"], "run": msg["run"], "batch": msg["batch"], "count": msg["count"],
               "payload": packed, "received_at": utcnow()}
        with self.sessions() as s, s.begin():
            dialect = postgresql if s.bind.dialect.name == "postgresql" else sqlite
            stmt = dialect.insert(SweepBatch.__table__).values(**row).on_conflict_do_nothing()
            stored = s.execute(stmt.returning(SweepBatch.__table__.c.batch)).first() is not None
        if not stored:
            return "duplicate"
        self.maybe_reconcile(msg["sweep"])
        return "stored"

    def receive_close(self, msg: Any) -> str:
        msg = messages.check_close(msg)
        self.check_site(msg["site"])
        now = utcnow()
        with self.sessions() as s, s.begin():
            sweep = s.get(SiteSweep, msg["sweep"], with_for_update=True)
            if sweep is None:
                sweep = SiteSweep(id=msg["sweep"], site=msg["site"], state="submitted", submitted_at=now,
                                  methods=msg["methods"], targets=msg["scope"])
                s.add(sweep)
            elif sweep.site != msg["site"]:
                raise PoisonMessage(f"sweep {msg['sweep']} belongs to site {sweep.site}, not {msg['site']}")
            if sweep.state != "submitted":
                return "duplicate"
            sweep.state, sweep.outcome, sweep.reason = "closed", msg["outcome"], msg.get("reason")
            sweep.run, sweep.batches, sweep.scope = msg["run"], msg["batches"], msg["scope"]
            sweep.coverage = msg["coverage"] if msg["outcome"] == "complete" else {}
            sweep.methods = msg["methods"] or sweep.methods
            sweep.closed_at = now
            site = s.get(Site, msg["site"])
            if site is not None:
                site.last_sweep_id = msg["sweep"]
        self.maybe_reconcile(msg["sweep"])
        return "closed"

    def heartbeat(self, msg: Any) -> str:
        if not isinstance(msg, dict):
            raise PoisonMessage("not a message object")
        name = messages.check_name(msg.get("site"), "site")
        self.check_site(name)
        ifaces = msg.get("interfaces")
        with self.sessions() as s, s.begin():
            site = s.get(Site, name)
            site.last_heartbeat = utcnow()
            site.version = str(msg.get("version", ""))[:64] or None
            site.collector_host = str(msg.get("host", ""))[:255] or None
            site.root = bool(msg.get("root"))
            site.nmap = bool(msg.get("nmap"))
            site.interfaces = [str(i)[:64] for i in ifaces[:256]] if isinstance(ifaces, list) else None
        return "heartbeat"

    # -- reconciliation ---------------------------------------------------------------------------
    def maybe_reconcile(self, sweep_id: str) -> bool:
        """Reconcile the sweep if it is closed, complete in batches and nobody else is at it."""
        now = utcnow()
        with self.sessions() as s:     # most batches find the sweep still open: no write lock for that
            state = s.scalar(select(SiteSweep.state).where(SiteSweep.id == sweep_id))
        if state not in ("closed", "reconciling"):
            return False
        with write_session(self.sessions) as s:
            sweep = s.get(SiteSweep, sweep_id)
            if sweep is None or sweep.state not in ("closed", "reconciling"):
                return False
            if sweep.state == "reconciling" and sweep.claimed_at and \
                    now - sweep.claimed_at < timedelta(seconds=self.lease_s):
                return False
            have = s.scalar(select(func.count()).select_from(SweepBatch).where(
                SweepBatch.sweep_id == sweep_id, SweepBatch.run == sweep.run)) or 0
            if have < (sweep.batches or 0):
                return False
            sweep.state, sweep.claimed_at = "reconciling", now
            if sweep.scan_id is None:
                sweep.scan_id = repository.start_scan(
                    s, targets=sweep.scope or [], methods=sweep.methods or [], started_at=sweep.submitted_at,
                    sweep_name=f"site:{sweep.site}", started_by=f"collector:{sweep.site}")
            sweep_data = (sweep.site, sweep.run, sweep.outcome, sweep.scope, sweep.coverage, sweep.scan_id,
                          sweep.reason)
        self._reconcile(sweep_id, *sweep_data)
        return True

    def _reconcile(self, sweep_id: str, site: str, run: str, outcome: str, scope: list[str],
                   coverage: dict[str, list[str]], scan_id: int, reason: str | None) -> None:
        from netdiscover.services.reconcile import reconcile

        counts: dict[str, Any] = {}
        with self.sessions() as s:
            done = s.scalar(select(ObservationRecord.id).where(ObservationRecord.scan_id == scan_id).limit(1))
        if outcome != "aborted" and done is None:
            obs = self.observations(sweep_id, run)
            covered = {m: netaddr.IPSet(c) for m, c in coverage.items()}
            result = reconcile(self.sessions, obs, scan_id=scan_id, scope=netaddr.IPSet(scope),
                               complete=outcome == "complete", coverage=covered,
                               fingerprinter=self.fingerprinter, site=site)
            counts = dict(result.counts)
            log.info("site %s sweep %s (%s): %s", site, sweep_id, outcome, counts)
        status = {"complete": "completed", "partial": "partial"}.get(outcome, "aborted")
        with write_session(self.sessions) as s:
            s.execute(update(SiteSweep).where(SiteSweep.id == sweep_id).values(
                state="reconciled", reconciled_at=utcnow(), counts=counts or None))
            # the payloads are no longer needed; the rows stay so a late redelivery stays a no-op
            s.execute(update(SweepBatch).where(SweepBatch.sweep_id == sweep_id).values(payload=b""))
            repository.finish_scan(s, scan_id, status=status, counts=counts or None,
                                   messages=[f"{outcome}: {reason}"] if reason else None,
                                   error=reason if outcome == "aborted" else None)

    def observations(self, sweep_id: str, run: str) -> list[Observation]:
        with self.sessions() as s:
            rows = s.execute(select(SweepBatch.count, SweepBatch.payload).where(
                SweepBatch.sweep_id == sweep_id, SweepBatch.run == run).order_by(SweepBatch.batch)).all()
        out: list[Observation] = []
        for count, payload in rows:
            out.extend(messages.decode_observations(messages.unpack(payload), count))
        return out


def add_site(sessions: sessionmaker[Session], name: str) -> bool:
    """Register a site (its collector may then report); False when it existed."""
    messages.check_name(name, "site name")
    with sessions() as s, s.begin():
        if s.get(Site, name) is not None:
            return False
        s.add(Site(name=name, created_at=utcnow()))
    return True


def submit(sessions: sessionmaker[Session], site: str, sweep_id: str, targets: list[str],
           methods: list[str]) -> None:
    """Record a sweep sent to a site (before its task is published)."""
    with sessions() as s, s.begin():
        if s.get(Site, site) is None:
            raise PoisonMessage(f"unknown site {site!r} (add it with: netdiscover sites add {site})")
        s.add(SiteSweep(id=sweep_id, site=site, state="submitted", targets=targets, methods=methods,
                        submitted_at=utcnow()))


def sweep_state(sessions: sessionmaker[Session], sweep_id: str) -> SiteSweep | None:
    with sessions() as s:
        return s.get(SiteSweep, sweep_id)


def site_rows(sessions: sessionmaker[Session]) -> list[dict[str, Any]]:
    """Every site with its collector's last heartbeat and last sweep (for ``netdiscover sites``)."""
    out = []
    with sessions() as s:
        for site in s.scalars(select(Site).order_by(Site.name)):
            last = s.get(SiteSweep, site.last_sweep_id) if site.last_sweep_id else None
            out.append({"site": site.name, "last_heartbeat": _iso(site.last_heartbeat),
                        "version": site.version,
                        "host": site.collector_host, "root": site.root, "nmap": site.nmap,
                        "interfaces": site.interfaces or [], "last_sweep": site.last_sweep_id,
                        "last_sweep_state": last.state if last else None,
                        "last_sweep_outcome": last.outcome if last else None})
    return out


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None
