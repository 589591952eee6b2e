"""Sites whose collectors run sweeps: register and list them, record the sweeps sent to them, and
take in what their collectors send back (batches, closing messages, heartbeats).

Idempotent per (sweep, run, batch): a redelivered batch is a no-op. A sweep is reconciled once,
when its closing message has arrived and every batch it announced is stored; disappearance is
decided only when the collector said the sweep was complete (a partial sweep's sightings count,
its silence does not; an aborted sweep writes no asset). Several ingest workers may run: the one
that claims a sweep reconciles it; a claim older than the lease (its worker died) is taken over,
and a sweep whose observations are already stored under its scan is never reconciled twice.

Reads (``site_names``, ``site_rows``, ``sweep_state``, ``observations``) run in the caller's
session; the rest own their transactions (one or more each, with the locks above) and take a
sessionmaker (the convention of the whole package, ``services/__init__``).

Messages arrive here already checked (workers/messages.py); a request that can never succeed
(unknown site, a sweep of another site) raises PoisonMessage.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import netaddr
from sqlalchemy.orm import Session, sessionmaker

from netdiscover.observation import Observation, utcnow
from netdiscover.reconcile.context import Fingerprinter
from netdiscover.storage import sites as store
from netdiscover.workers import messages
from netdiscover.workers.messages import PoisonMessage

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class SiteSweepStatus:
    """Where one sweep sent to a site is: ``state`` submitted -> closed -> reconciling -> reconciled;
    ``outcome`` is the collector's word (complete, partial, aborted); ``counts`` the reconciliation's."""

    id: str
    site: str
    state: str
    outcome: str | None
    reason: str | None
    counts: dict[str, Any] | None
    scan_id: int | None


# -- sites -----------------------------------------------------------------------------------------

def add_site(sessions: sessionmaker[Session], name: str) -> bool:
    """Register a site (its collector may then report); False when it existed."""
    messages.check_name(name, "site name")
    return store.add_site(sessions, name, utcnow())


def site_names(session: Session) -> set[str]:
    """The names of every registered site."""
    return store.site_names(session)


def site_rows(session: Session) -> list[dict[str, Any]]:
    """Every site with its collector's last heartbeat and last sweep (for ``netdiscover sites``)."""
    return [{"site": site.name, "last_heartbeat": _iso(site.last_heartbeat), "version": site.version,
             "host": site.collector_host, "root": site.root, "nmap": site.nmap,
             "interfaces": site.interfaces or [], "last_sweep": site.last_sweep_id,
             "last_sweep_state": last.state if last else None,
             "last_sweep_outcome": last.outcome if last else None}
            for site, last in store.sites_with_last_sweep(session)]


def record_heartbeat(sessions: sessionmaker[Session], site: str, msg: dict[str, Any]) -> None:
    """Store what the collector of a known ``site`` says about itself in a heartbeat message."""
    ifaces = msg.get("interfaces")
    interfaces = [str(i)[:64] for i in ifaces[:256]] if isinstance(ifaces, list) else None
    store.record_heartbeat(sessions, site, utcnow(), version=str(msg.get("version", ""))[:64] or None,
                           host=str(msg.get("host", ""))[:255] or None, root=bool(msg.get("root")),
                           nmap=bool(msg.get("nmap")), interfaces=interfaces)


# -- sweeps sent to a site -------------------------------------------------------------------------

def record_sweep(sessions: sessionmaker[Session], site: str, sweep_id: str, targets: list[str],
                 methods: list[str]) -> None:
    """Record a sweep sent to a site (before its task is published)."""
    if not store.insert_sweep(sessions, site, sweep_id, targets, methods, utcnow()):
        raise PoisonMessage(f"unknown site {site!r} (add it with: netdiscover sites add {site})")


def forget_sweep(sessions: sessionmaker[Session], sweep_id: str) -> None:
    """Drop a recorded sweep whose task could not be published."""
    store.delete_sweep(sessions, sweep_id)


def sweep_state(session: Session, sweep_id: str) -> SiteSweepStatus | None:
    """Where the sweep is, or None for an unknown sweep id."""
    row = store.sweep(session, sweep_id)
    if row is None:
        return None
    return SiteSweepStatus(row.id, row.site, row.state, row.outcome, row.reason, row.counts, row.scan_id)


# -- what collectors send back ---------------------------------------------------------------------

def store_batch(sessions: sessionmaker[Session], msg: dict[str, Any], packed: bytes) -> bool:
    """Store a checked batch message (payload ``packed``); False when it was stored before."""
    return store.store_batch(sessions, msg["sweep"], msg["run"], msg["batch"], msg["count"], packed, utcnow())


def close_sweep(sessions: sessionmaker[Session], msg: dict[str, Any]) -> bool:
    """Record a checked closing message; False when the sweep was closed before."""
    try:
        return store.close_sweep(sessions, msg, utcnow())
    except store.SweepOfOtherSite as exc:
        raise PoisonMessage(f"sweep {msg['sweep']} belongs to site {exc.owner}, not {msg['site']}") from None


GUARD_RETRY_S = 5.0      # a sweep whose guard a live worker holds is looked at again this often


def claim_for_reconcile(sessions: sessionmaker[Session], sweep_id: str, lease_s: float,
                        guarded: bool = False) -> store.Claim:
    """Claim the sweep for reconciliation if it is closed, complete in batches and nobody else is at
    it; the answer says why not otherwise (``storage.sites.CLAIM_STATES``). Another worker's claim
    counts as held for ``lease_s`` seconds, unless ``guarded``: the caller holds the sweep's guard,
    so whoever claimed before is dead."""
    early = _not_ready(sessions, sweep_id)
    if early is not None:
        return early
    lease = timedelta(0) if guarded else timedelta(seconds=lease_s)
    return store.claim_for_reconcile(sessions, sweep_id, utcnow(), lease)


Decoded = Callable[[str, str], dict[int, list[Observation]]]


def reconcile_when_ready(sessions: sessionmaker[Session], sweep_id: str, lease_s: float,
                         fingerprinter: Fingerprinter | None = None,
                         decoded: Decoded | None = None) -> store.Claim:
    """Claim and reconcile the sweep if it is ready; the claim's answer says what happened.
    ``decoded(sweep, run)`` gives the batches the caller has decoded already, by number.

    ``held`` means a live worker is at it: the caller looks again after ``retry_in`` seconds, as
    that worker may still die before it is done.
    """
    early = _not_ready(sessions, sweep_id)
    if early is not None:
        return early
    with store.reconcile_guard(sessions, sweep_id) as guard:
        if guard == "busy":
            return store.Claim("held", retry_in=GUARD_RETRY_S)
        claim = claim_for_reconcile(sessions, sweep_id, lease_s, guarded=guard == "held")
        if claim.sweep is not None:
            reconcile_claimed(sessions, sweep_id, claim.sweep, fingerprinter,
                              decoded(sweep_id, claim.sweep.run) if decoded else None)
        return claim


def _not_ready(sessions: sessionmaker[Session], sweep_id: str) -> store.Claim | None:
    """Why a sweep cannot be claimed, read without the write lock (most batches find it open)."""
    with sessions() as session:
        state = store.sweep_state(session, sweep_id)
    if state in ("closed", "reconciling"):
        return None
    return store.Claim({None: "unknown", "submitted": "open"}.get(state, str(state)))


def reconcile_claimed(sessions: sessionmaker[Session], sweep_id: str, sweep: store.ClaimedSweep,
                      fingerprinter: Fingerprinter | None = None,
                      decoded: dict[int, list[Observation]] | None = None) -> None:
    """Reconcile a claimed sweep's observations (unless it was aborted or is reconciled already)
    and close it and its scan row."""
    from netdiscover.services.reconcile import reconcile

    counts: dict[str, Any] = {}
    obs = None
    if sweep.outcome != "aborted":
        with sessions() as session:
            if not store.scan_has_observations(session, sweep.scan_id):
                obs = observations(session, sweep_id, sweep.run, decoded)
    if obs is not None:
        covered = {m: netaddr.IPSet(c) for m, c in sweep.coverage.items()}
        result = reconcile(sessions, obs, scan_id=sweep.scan_id, scope=netaddr.IPSet(sweep.scope),
                           complete=sweep.outcome == "complete", coverage=covered,
                           fingerprinter=fingerprinter, site=sweep.site)
        counts = dict(result.counts)
        log.info("site %s sweep %s (%s): %s", sweep.site, sweep_id, sweep.outcome, counts)
    status = {"complete": "completed", "partial": "partial"}.get(sweep.outcome, "aborted")
    store.mark_reconciled(sessions, sweep_id, sweep.scan_id, utcnow(), counts or None, status,
                          messages=[f"{sweep.outcome}: {sweep.reason}"] if sweep.reason else None,
                          error=sweep.reason if sweep.outcome == "aborted" else None)


def observations(session: Session, sweep_id: str, run: str,
                 decoded: dict[int, list[Observation]] | None = None) -> list[Observation]:
    """The observations of a sweep's batches of ``run``, in batch order; ``decoded`` holds batches
    (by number) already decoded, which are neither read again nor decoded again."""
    decoded = decoded or {}
    out: list[Observation] = []
    for batch, count, payload in store.batches(session, sweep_id, run, without_payload=decoded.keys()):
        out.extend(decoded[batch] if payload is None else
                   messages.decode_observations(messages.unpack(payload), count))
    return out


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None
