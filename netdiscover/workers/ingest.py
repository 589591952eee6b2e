"""The central ingest worker: takes the messages of site collectors off the ingest queue, checks
them, and hands each to the sites service (services/sites.py has the idempotency and the
reconciling rules). A message that can never be processed raises PoisonMessage; one whose sweep
a live worker is reconciling raises SweepBusy (the Celery task looks again later: that worker
may die before it is done, and the message is then what brings the sweep to a worker again)."""

from __future__ import annotations

import threading
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from netdiscover.observation import Observation, utcnow
from netdiscover.reconcile.context import Fingerprinter
from netdiscover.services import sites
from netdiscover.workers import messages
from netdiscover.workers.messages import PoisonMessage

# A reconciling claim older than this belonged to a worker that died. Only SQLite needs it: on
# PostgreSQL the sweep's guard dies with its worker's connection (services.sites). SQLite cannot
# renew a claim while reconciling (the reconciliation holds the one write lock), so the lease
# must outlast the longest reconciliation.
LEASE_S = 300.0
SITE_CACHE_S = 30.0
DECODED_LIMIT = 400_000     # observations a worker keeps decoded for the reconciliation to come


class DecodedBatches:
    """The observations of batches this worker checked (so decoded), kept by sweep for its
    reconciliation, up to ``limit`` observations (the oldest sweep's go first). A batch stored by
    another worker, or forgotten, is read back and decoded again: this only saves time."""

    def __init__(self, limit: int = DECODED_LIMIT) -> None:
        self.limit = limit
        self._sweeps: dict[tuple[str, str], dict[int, list[Observation]]] = {}
        self._size = 0
        self._lock = threading.Lock()

    def add(self, sweep_id: str, run: str, batch: int, observations: list[Observation]) -> None:
        if len(observations) > self.limit:
            return
        with self._lock:
            held = self._sweeps.setdefault((sweep_id, run), {})
            self._size += len(observations) - len(held.get(batch, ()))
            held[batch] = observations
            while self._size > self.limit:
                oldest = next(iter(self._sweeps))
                self._size -= sum(map(len, self._sweeps.pop(oldest).values()))

    def of(self, sweep_id: str, run: str) -> dict[int, list[Observation]]:
        with self._lock:
            return dict(self._sweeps.get((sweep_id, run), {}))

    def drop(self, sweep_id: str) -> None:
        with self._lock:
            for key in [k for k in self._sweeps if k[0] == sweep_id]:
                self._size -= sum(map(len, self._sweeps.pop(key).values()))


class SweepBusy(Exception):
    """A live worker is reconciling the message's sweep: process the message again in ``retry_in`` s."""

    def __init__(self, sweep_id: str, retry_in: float) -> None:
        super().__init__(f"sweep {sweep_id} is being reconciled; looking again in {retry_in:.0f} s")
        self.retry_in = retry_in


class Ingest:
    """The central side of the several-sites set-up, on one database."""

    def __init__(self, sessions: sessionmaker[Session], *, fingerprinter: Fingerprinter | None = None,
                 lease_s: float = LEASE_S, decoded_limit: int = DECODED_LIMIT) -> None:
        self.sessions = sessions
        self.decoded = DecodedBatches(decoded_limit)
        self.fingerprinter = fingerprinter
        self.lease_s = lease_s
        self._sites: tuple[float, set[str]] | None = None

    # -- sites ------------------------------------------------------------------------------------
    def known_sites(self, fresh: bool = False) -> set[str]:
        now = utcnow().timestamp()
        if fresh or self._sites is None or now - self._sites[0] > SITE_CACHE_S:
            with self.sessions() as session:
                self._sites = (now, sites.site_names(session))
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
        msg, packed, observations = messages.check_batch(msg)
        self.check_site(msg["site"])
        stored = sites.store_batch(self.sessions, msg, packed)
        if stored:
            self.decoded.add(msg["sweep"], msg["run"], msg["batch"], observations)
        self.maybe_reconcile(msg["sweep"])      # also for a duplicate: its first delivery may have died
        return "stored" if stored else "duplicate"

    def receive_close(self, msg: Any) -> str:
        msg = messages.check_close(msg)
        self.check_site(msg["site"])
        closed = sites.close_sweep(self.sessions, msg)
        self.maybe_reconcile(msg["sweep"])
        return "closed" if closed else "duplicate"

    def heartbeat(self, msg: Any) -> str:
        if not isinstance(msg, dict):
            raise PoisonMessage("not a message object")
        name = messages.check_name(msg.get("site"), "site")
        self.check_site(name)
        sites.record_heartbeat(self.sessions, name, msg)
        return "heartbeat"

    # -- reconciliation ---------------------------------------------------------------------------
    def maybe_reconcile(self, sweep_id: str) -> bool:
        """Reconcile the sweep if it is closed, complete in batches and nobody else is at it; True
        when this call reconciled it. Raises SweepBusy while a live worker is at it."""
        claim = sites.reconcile_when_ready(self.sessions, sweep_id, self.lease_s, self.fingerprinter,
                                           self.decoded.of)
        if claim.status in ("claimed", "reconciled"):
            self.decoded.drop(sweep_id)
        if claim.status == "held":
            raise SweepBusy(sweep_id, max(claim.retry_in or 0.0, 1.0))
        return claim.status == "claimed"
