"""Reconciling one sweep's observations into the asset database: group -> match -> plan -> write.

The steps (``netdiscover.reconcile``): observations are grouped into devices and fingerprinted
(pure), matched to existing assets by the identity rules (reading candidates through
``storage.identities``), then each planning step turns decisions into a ``WritePlan`` that
``storage.sweep_writes`` applies. All of it runs in one write transaction that holds the
database's write lock from the start, so two sweeps never decide on the same stale picture and a
crash leaves the database as it was. Steps whose reads must see earlier writes (IP moves,
absence) come after those writes are applied, inside the same transaction.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import datetime

import netaddr
from sqlalchemy.orm import Session, sessionmaker

from netdiscover.gcpause import gc_paused
from netdiscover.observation import HOST, LOCATION, NEIGHBOUR, Observation, as_utc, utcnow
from netdiscover.reconcile import discrepancies
from netdiscover.reconcile.absence import AbsenceCheck, Grace, disappearance_events, unseen_in_scope
from netdiscover.reconcile.context import Fingerprinter, ReconcileResult, SweepContext
from netdiscover.reconcile.fingerprint_merge import default_fingerprinter, fingerprint_device
from netdiscover.reconcile.grouping import Device, group_devices
from netdiscover.reconcile.ip_moves import plan_moves, taken_ips
from netdiscover.reconcile.known import KnownAssetPlanner, plan_known
from netdiscover.reconcile.locations import edge_sightings, plan_locations
from netdiscover.reconcile.matching import Matcher
from netdiscover.reconcile.new_assets import plan_new
from netdiscover.reconcile.summary import Summary, summarise
from netdiscover.storage import evidence
from netdiscover.storage.sweep_writes import SweepStore, sweep_transaction
from netdiscover.storage.write_plan import WritePlan

log = logging.getLogger("netdiscover.reconcile")

# A sweep or import that adds this many assets refreshes the planner's statistics of the tables it grew.
STATISTICS_AFTER_NEW = 5_000
GROWING_TABLES = ("assets", "interfaces", "addresses", "observations")


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
    with gc_paused():
        obs = list(observations)
        hosts = [o for o in obs if o.kind in (HOST, NEIGHBOUR)]
        ctx = SweepContext(now=as_utc(now) if now else utcnow(), scan_id=scan_id, site=site, scope=scope,
                           complete=complete, coverage=coverage, grace=grace,
                           methods=frozenset(o.method for o in hosts))
        result = ReconcileResult(scan_id=scan_id, observations=len(obs))
        if fingerprinter is None:
            fingerprinter = default_fingerprinter()
        # The pure work before the write lock, so another sweep's reconciliation can hold it meanwhile.
        devices = group_devices(hosts)
        for d in devices:
            d.fingerprint = fingerprint_device(fingerprinter, d)
            d.fingerprinted = True
        summaries = {id(d): summarise(d) for d in devices}
        locations = [o for o in obs if o.kind == LOCATION]
        with sweep_transaction(sessions) as store:
            _reconcile(store, ctx, result, devices, summaries, hosts, locations, fingerprinter)
        refresh_statistics_after(sessions, result.new)
        return result


def refresh_statistics_after(sessions: sessionmaker[Session], added: int) -> None:
    """The planner's statistics after a write that added ``added`` assets, when that is many and
    more than half the assets the planner last counted (a failure is only logged: what was
    written is stored, and autovacuum refreshes them later).

    A smaller growth needs no ANALYZE: the planner scales its row estimates by a table's current
    size, and autovacuum refreshes the statistics after 10 % of changes anyway. Only a jump (an
    empty or small database filled by one sweep) leaves plans on estimates far off the truth.
    """
    from netdiscover.storage.engine import planner_row_estimate, refresh_planner_statistics

    if added < STATISTICS_AFTER_NEW:
        return
    try:
        counted = planner_row_estimate(sessions, "assets")
        if counted is not None and 2 * added <= counted:
            return
        refresh_planner_statistics(sessions, GROWING_TABLES)
    except Exception:
        log.exception("could not refresh the planner's statistics")


def _reconcile(store: SweepStore, ctx: SweepContext, result: ReconcileResult, devices: list[Device],
               summaries: dict[int, Summary], hosts: list[Observation], locations: list[Observation],
               fingerprinter: Fingerprinter | None) -> None:
    """Match, then plan and write step by step: merges, known assets, IP moves, absence, new
    assets, discrepancies, switch ports, and last the observations as evidence. ``summaries``
    (by ``id(device)``) were made from the devices as grouped."""
    matcher = Matcher(store, ctx, result)
    devices, identities = matcher.match(devices)
    for survivor, victim in identities.merges:
        store.fold(survivor, victim, ctx.now)
    store.apply(WritePlan(events=identities.events))
    result.devices = len(devices)
    for d in devices:        # devices that absorbed others since they were fingerprinted and summarised
        if not d.fingerprinted:
            d.fingerprint = fingerprint_device(fingerprinter, d)
            d.fingerprinted = True
            summaries[id(d)] = summarise(d)
    planner = KnownAssetPlanner(ctx, identities, result)
    store.apply(plan_known(store, planner, [d for d in devices if d.asset_id is not None], summaries))
    new = [d for d in devices if d.asset_id is None]
    for d, new_id in zip(new, store.allocate_asset_ids(len(new)), strict=True):
        d.asset_id = new_id
    moves = taken_ips(devices, identities)
    if moves:
        store.apply(plan_moves(ctx, moves, store.current_address_ids({m[1] for m in moves})))
    seen = {d.asset_id for d in devices}
    result.asset_ids = sorted(seen)
    # before the new assets' rows exist: they were seen, and reading them back costs time
    _disappear(store, ctx, result, seen, matcher.sites_apart())
    store.apply(plan_new(ctx, new, summaries, result))
    if planner.found:
        existing = store.discrepancies_of({f.asset_id for f in planner.found})
        inserts, updates = discrepancies.plan(planner.found, existing, now=ctx.now, scan_id=ctx.scan_id)
        store.write_discrepancies(inserts, updates)
        result.discrepancies = len(inserts)
    best = edge_sightings(locations)
    plan, where = plan_locations(ctx, locations, best, store.interfaces_with(best), result)
    store.apply(plan)
    owner = {id(o): d.asset_id for d in devices for o in d.obs}
    pairs = [(o, owner.get(id(o))) for o in hosts]
    pairs += [(o, where.get(i)) for i, o in enumerate(locations)]
    store.store_observations([evidence.record_row(o, ctx.scan_id, aid) for o, aid in pairs])


def _disappear(store: SweepStore, ctx: SweepContext, result: ReconcileResult, seen: set[int],
               sites_apart: bool) -> None:
    """Count misses of present assets this sweep could have seen and did not; past the grace
    they are disappeared (the rule: ``reconcile.absence``)."""
    check = AbsenceCheck(now=ctx.now, scan_id=ctx.scan_id, coverage=ctx.coverage(), grace=ctx.grace)
    store.reset_missed(seen)
    if not (check.ranges and ctx.scope is not None):
        return
    rows = store.present_addresses(ctx.scope_ranges, with_site=sites_apart)
    unseen = unseen_in_scope(rows, seen, ctx.in_scope, ctx.site)
    if not unseen:
        return

    def answered_before(method: str, assets: Iterable[int]) -> set[tuple[int, str]]:
        # the assets' method lists narrow the evidence to read to those that ever answered it
        ever = [a for a, methods in store.methods_of(assets) if methods and method in methods]
        return store.answered(method, ever)

    missed = check.missed(unseen, answered_before)
    updates, gone = check.conclude(missed, store.miss_counts(list(missed)))
    store.apply(WritePlan(asset_updates=updates, events=disappearance_events(gone, ctx.scan_id, ctx.event)))
    result.disappeared = len(gone)
    result.disappeared_ids = sorted(g[0] for g in gone)
    result.missed = len(updates) - len(gone)
