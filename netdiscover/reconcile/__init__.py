"""Reconciliation: merge one sweep's observations into the asset database, deciding identity.

The only code that decides which device an observation belongs to (rules in DESIGN.md):
serial number (+ vendor), SNMP engine ID, a globally unique MAC, then for randomised MACs the
DHCP identity key the passive listener recorded (kept on the interface row) or the hostname,
both within a site, and an IP alone only when nothing better exists. Router ARP-table
entries (NEIGHBOUR) create and update devices by IP + MAC; switch forwarding-table entries
(LOCATION) only place a known MAC on a switch port.

A sweep is reconciled in one transaction that holds the database's write lock from the
start, so two sweeps never decide on the same stale picture and a crash leaves the
database as it was. The work is set-based: identities are preloaded with a few chunked
queries and rows are written with executemany, so 100k devices take seconds, not hours.

Absence is evidence only from a method that could have seen the device there (ARP on the
scanner's own segment, nmap host discovery, SNMP where the device answered SNMP before; never
IoT announcements or routers' ARP tables), and only after a grace (missed by 2 such sweeps
and unseen for an hour, by default): ``absence``. Documented values (inventory, operator) win
over observed ones, and a sweep that disagrees leaves a discrepancy: ``sources`` and
``discrepancies``.

The steps, one module each: ``grouping`` (observations -> devices, pure), ``summary`` (one
device's observations merged, pure), ``fingerprint_merge`` (best value per fingerprint field),
``matching`` (devices -> existing assets), ``known`` and ``writes`` (the rows), ``absence``
(who is missed, who is gone), all sharing the ``state`` of one sweep.
"""

from __future__ import annotations

import gc
from collections.abc import Iterable
from datetime import datetime

import netaddr
from sqlalchemy.orm import Session, sessionmaker

from netdiscover.observation import HOST, LOCATION, NEIGHBOUR, Observation, as_utc, utcnow
from netdiscover.reconcile.absence import Grace, coverage_of
from netdiscover.reconcile.fingerprint_merge import (
    default_fingerprinter,
    fingerprint_device,
    merge_fingerprint,
)
from netdiscover.reconcile.grouping import Device, group_devices
from netdiscover.reconcile.matching import IdentityMatching
from netdiscover.reconcile.state import Fingerprinter, ReconcileResult
from netdiscover.reconcile.summary import Summary, summarise
from netdiscover.reconcile.writes import SweepWrites
from netdiscover.storage.engine import write_session

__all__ = ["Device", "Grace", "ReconcileResult", "Summary", "coverage_of", "group_devices",
           "merge_fingerprint", "reconcile", "summarise"]


class _Reconciler(IdentityMatching, SweepWrites):
    """One sweep's reconciliation: identity matching, then set-wise writes, in one transaction."""


def reconcile(
    sessions: sessionmaker[Session],
    observations: Iterable[Observation],
    *,
    scan_id: int | None = None,
    scope: netaddr.IPSet | None = None,
    complete: bool = True,
    fingerprinter: Fingerprinter | None = None,
    now: datetime | None = None,
    site: str | None = None,
    coverage: dict[str, netaddr.IPSet] | None = None,
    grace: Grace | None = None,
) -> ReconcileResult:
    """Merge one sweep's observations into the asset database in one transaction.

    ``scope`` is the IPSet that was swept. ``coverage`` says, per method that ran to the end,
    where its silence counts (``absence.coverage_of``); without it, a ``complete`` sweep's
    ARP/nmap/SNMP observations stand for their method over the whole scope. Present assets
    missed there are marked disappeared after the ``grace`` (rule: ``reconcile.absence``). ``fingerprinter``
    defaults to ``netdiscover.fingerprints.fingerprint``. ``site`` scopes hostname matching of
    randomised-MAC devices and is set on new assets.
    """
    # A sweep allocates a few objects per observation and frees none until the end: the cyclic
    # collector would rescan the whole growing heap again and again (3-10x slower at 100k).
    collecting = gc.isenabled()
    gc.disable()
    try:
        return _reconcile(sessions, observations, scan_id=scan_id, scope=scope, complete=complete,
                          fingerprinter=fingerprinter, now=now, site=site, coverage=coverage, grace=grace)
    finally:
        if collecting:
            gc.enable()


def _reconcile(sessions: sessionmaker[Session], observations: Iterable[Observation], *, scan_id: int | None,
               scope: netaddr.IPSet | None, complete: bool, fingerprinter: Fingerprinter | None,
               now: datetime | None, site: str | None, coverage: dict[str, netaddr.IPSet] | None,
               grace: Grace | None) -> ReconcileResult:
    now = as_utc(now) if now else utcnow()
    obs = list(observations)
    result = ReconcileResult(scan_id=scan_id, observations=len(obs))
    hosts = [o for o in obs if o.kind in (HOST, NEIGHBOUR)]
    locations = [o for o in obs if o.kind == LOCATION]
    if fingerprinter is None:
        fingerprinter = default_fingerprinter()
    devices = group_devices(hosts)
    for d in devices:
        d.fingerprint = fingerprint_device(fingerprinter, d)
        d.fingerprinted = True

    with write_session(sessions) as session:
        rec = _Reconciler(session.connection(), now=now, scan_id=scan_id, site=site, scope=scope,
                          complete=complete, fingerprinter=fingerprinter, result=result, coverage=coverage,
                          grace=grace, methods=frozenset(o.method for o in hosts))
        devices = rec.match(devices)
        result.devices = len(devices)
        rec.apply(devices)
        owner = {id(o): d.asset_id for d in devices for o in d.obs}
        where = rec.locate(locations)
        pairs = [(o, owner.get(id(o))) for o in hosts]
        pairs += [(o, where.get(i)) for i, o in enumerate(locations)]
        rec.store_observations(pairs)
        rec.flush_events()
    return result
