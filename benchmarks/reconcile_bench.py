"""Reconciliation throughput on synthetic sweeps, SQLite and PostgreSQL.

Scenarios (each into a database that already holds 100k assets):
  new-10k      a sweep finding 10,000 devices nobody saw before
  rescan-100k  a sweep finding the same 100,000 known devices again (nothing changed)
  new-100k     a sweep finding 100,000 unknown devices
Reference: a straightforward per-row ORM reconciliation (one lookup and one write per
observation), on a smaller sweep because it is slow; the ratio shows what set-based work buys.
Floor (SQLite): the driver alone inserting the rows a 10k new-device sweep writes (asset,
interface, address, observation and event per device), prebuilt, rolled back: no reconciler
can be faster than that on this machine.
Each sweep is reconciled as a real one is: complete, over the range its devices occupy, so
the check for disappeared assets runs too. Figures are medians over --repeat runs.
Fingerprinting is left out of the three scenarios (the targets are reconciliation's) and
measured once more on its own line: new-10k with the real fingerprinter, as an ARP sweep
of unknown devices (vendor by OUI) costs.

Usage: python benchmarks/reconcile_bench.py [--pg URL] [--repeat 3] [--seed 100000]
       (PostgreSQL URL also from NETDISCOVER_TEST_PG; a throw-away database is created and dropped.)
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import tempfile
import time
from datetime import UTC, datetime, timedelta

import netaddr
from scratch_db import scratch_postgres
from sqlalchemy import func, select

from netdiscover.observation import Observation
from netdiscover.services.reconcile import reconcile
from netdiscover.storage.engine import open_database
from netdiscover.storage.models import Address, Asset, Interface

T0 = datetime(2026, 1, 1, tzinfo=UTC)
SWEEP_RATE = 2000      # replies per second the synthetic sweep spreads its sightings over


def synthetic(first: int, count: int, at: datetime) -> list[Observation]:
    """ARP sightings of devices first..first+count-1, each with its own MAC and IP."""
    out = []
    for i in range(first, first + count):
        out.append(Observation(
            method="arp", ip=f"10.{(i >> 16) & 255}.{(i >> 8) & 255}.{i & 255}",
            mac=f"00:16:3e:{(i >> 16) & 255:02x}:{(i >> 8) & 255:02x}:{i & 255:02x}",
            seen_at=at + timedelta(seconds=(i - first) / SWEEP_RATE),
        ))
    return out


CPU: list[float] = []


def _no_fingerprint(observations) -> None:
    return None


def timed(sessions, obs, at, fingerprinter=_no_fingerprint) -> tuple[float, object]:
    """Wall time of one reconciliation; its CPU time (this process) is appended to CPU.

    Reconciled as ``netdiscover scan`` and the daemon do: a complete sweep of the range the
    observations cover, so assets there that were not seen would be marked disappeared.
    ``fingerprinter`` None is the real one (the sightings' MACs give vendors by OUI).
    """
    scope = netaddr.IPSet(netaddr.IPRange(obs[0].ip, obs[-1].ip))
    start, cpu = time.perf_counter(), time.process_time()
    res = reconcile(sessions, obs, now=at, fingerprinter=fingerprinter, complete=True, scope=scope)
    CPU.append(time.process_time() - cpu)
    return time.perf_counter() - start, res


def orm_baseline(sessions, obs, at) -> float:
    """The naive way: per observation, look the MAC up and create or update the asset."""
    start = time.perf_counter()
    with sessions.begin() as s:
        for o in obs:
            iface = s.scalars(select(Interface).where(Interface.mac == o.mac)).first()
            if iface is None:
                asset = Asset(status="undocumented", methods=[o.method], first_seen=o.seen_at,
                              last_seen=o.seen_at, created_at=at, updated_at=at)
                asset.interfaces.append(Interface(mac=o.mac, first_seen=o.seen_at, last_seen=o.seen_at))
                asset.addresses.append(Address(ip=o.ip, mac=o.mac, first_seen=o.seen_at, last_seen=o.seen_at))
                s.add(asset)
            else:
                iface.last_seen = o.seen_at
                iface.asset.last_seen = o.seen_at
            s.flush()
    return time.perf_counter() - start


def driver_floor(sessions, first: int, count: int, at: datetime) -> float:
    """Seconds SQLite's driver needs for the inserts of ``count`` new devices (no commit)."""
    stamp = at.strftime("%Y-%m-%d %H:%M:%S.%f")
    with sessions() as s:
        conn = s.connection()
        start_id = conn.exec_driver_sql("SELECT coalesce(max(id), 0) FROM assets").scalar_one() + 1
        devices = [(start_id + n, obs) for n, obs in enumerate(synthetic(first, count, at))]
        statements = [
            ("INSERT INTO assets (id, device_class, confidence, status, methods, present, first_seen, "
             "last_seen, created_at, updated_at) "
             "VALUES (?, 'unknown', 0.0, 'undocumented', '[\"arp\"]', 1, ?, ?, ?, ?)",
             [(aid, stamp, stamp, stamp, stamp) for aid, _ in devices]),
            ("INSERT INTO interfaces (asset_id, mac, randomised, first_seen, last_seen) "
             "VALUES (?, ?, 0, ?, ?)",
             [(aid, o.mac, stamp, stamp) for aid, o in devices]),
            ("INSERT INTO addresses (asset_id, ip, mac, \"current\", first_seen, last_seen) "
             "VALUES (?, ?, ?, 1, ?, ?)",
             [(aid, o.ip, o.mac, stamp, stamp) for aid, o in devices]),
            ("INSERT INTO observations (asset_id, method, kind, ip, mac, seen_at, data) "
             "VALUES (?, 'arp', 'host', ?, ?, ?, '{}')",
             [(aid, o.ip, o.mac, stamp) for aid, o in devices]),
            ("INSERT INTO asset_events (asset_id, kind, at, actor, new) "
             "VALUES (?, 'discovered', ?, 'sweep', ?)",
             [(aid, stamp, json.dumps({"ips": [o.ip], "macs": [o.mac], "hostname": None, "methods": ["arp"]}))
              for aid, o in devices]),
        ]
        start = time.perf_counter()
        for sql, rows in statements:
            conn.exec_driver_sql(sql, rows)
        took = time.perf_counter() - start
        s.rollback()
    return took


def run_backend(name: str, url: str, seed: int, repeat: int) -> dict[str, float]:
    sessions = open_database(url)
    figures: dict[str, float] = {}
    print(f"\n== {name}: seeding {seed:,} assets ...", flush=True)
    took, res = timed(sessions, synthetic(0, seed, T0), T0)
    print(f"   seed       {seed:>7,} obs  {took:6.2f} s  {seed / took:>9,.0f} obs/s  "
          f"(new into empty; client CPU {CPU[-1]:.2f} s)")
    next_free = seed
    rows = []
    for label, count, rescan in (("new-10k", 10_000, False), ("rescan-100k", seed, True),
                                 ("new-100k", 100_000, False)):
        runs, cpus = [], []
        for r in range(repeat if count <= seed else 1):
            at = T0 + timedelta(hours=len(rows) + 1, minutes=r)
            first = 0 if rescan else next_free
            obs = synthetic(first, count, at)
            took, res = timed(sessions, obs, at)
            if not rescan:
                next_free += count
                assert res.new == count, res.counts
            else:
                assert res.new == 0 and res.unchanged == count, res.counts
            runs.append(took)
            cpus.append(CPU[-1])
            if label == "new-100k":
                break
        med = statistics.median(runs)
        figures[label] = count / med
        rows.append(label)
        with sessions() as s:
            total = s.scalar(select(func.count()).select_from(Asset))
        cpu = statistics.median(cpus)
        figures[label + " cpu"] = count / cpu
        print(f"   {label:<12}{count:>7,} obs  {med:6.2f} s  {count / med:>9,.0f} obs/s  "
              f"(median of {len(runs)}; client CPU {cpu:.2f} s = {count / cpu:,.0f} obs/CPU-s; "
              f"db now {total:,} assets)", flush=True)
    # what a real ARP sweep of new devices costs: the same, with fingerprinting (vendor by OUI)
    runs = []
    for r in range(repeat):
        at = T0 + timedelta(hours=len(rows) + 1, minutes=r)
        took, res = timed(sessions, synthetic(next_free, 10_000, at), at, fingerprinter=None)
        assert res.new == 10_000, res.counts
        next_free += 10_000
        runs.append(took)
    med = statistics.median(runs)
    figures["new-10k fingerprinted"] = 10_000 / med
    print(f"   new-10k fingerprinted (vendor by OUI, as a real ARP sweep) {med:5.2f} s "
          f"{10_000 / med:>9,.0f} obs/s (median of {len(runs)})")
    # reference: per-row ORM on a small sweep of new devices
    ref_n = 2000
    at = T0 + timedelta(days=1)
    ref_took = orm_baseline(sessions, synthetic(next_free, ref_n, at), at)
    figures["orm-reference"] = ref_n / ref_took
    ours_took, _ = timed(sessions, synthetic(next_free + ref_n, ref_n, at), at)
    print(f"   reference: per-row ORM {ref_n:,} new obs {ref_took:6.2f} s {ref_n / ref_took:>9,.0f} obs/s; "
          f"set-based same size {ours_took:5.2f} s {ref_n / ours_took:>9,.0f} obs/s "
          f"(ratio {ref_took / ours_took:4.1f}x)")
    print(f"   ratio new-10k vs ORM reference: {figures['new-10k'] / figures['orm-reference']:5.1f}x")
    if name == "SQLite":
        floors = [driver_floor(sessions, next_free + 2 * ref_n, 10_000, at) for _ in range(repeat)]
        floor = statistics.median(floors)
        figures["floor-10k"] = 10_000 / floor
        print(f"   floor: the driver alone inserting a 10k new-device sweep's rows {floor:5.2f} s "
              f"= {10_000 / floor:,.0f} obs/s before commit (new-10k reached "
              f"{figures['new-10k'] / figures['floor-10k']:.0%} of it)")
    sessions.kw["bind"].dispose()
    return figures


def calibration() -> str:
    """How fast this machine is right now: pure arithmetic, and building objects as a sweep does.

    A shared VM's speed drifts; the second figure (allocation and memory bound, like
    reconciliation) drifts the most. Compare runs only when these agree.
    """
    start = time.perf_counter()
    sum(range(10_000_000))
    arithmetic = time.perf_counter() - start
    start = time.perf_counter()
    synthetic(0, 50_000, T0)
    return (f"calibration: sum(range(1e7)) {arithmetic:.2f} s, "
            f"50k sightings built {time.perf_counter() - start:.2f} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pg", default=os.environ.get("NETDISCOVER_TEST_PG"), help="PostgreSQL server URL")
    parser.add_argument("--seed", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--only", choices=("sqlite", "postgresql"))
    args = parser.parse_args()
    print(f"machine: {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}, {calibration()}")
    results = {}
    if args.only in (None, "sqlite"):
        with tempfile.TemporaryDirectory() as tmp:
            results["sqlite"] = run_backend("SQLite", f"sqlite:///{tmp}/bench.db", args.seed, args.repeat)
    if args.only in (None, "postgresql"):
        if not args.pg:
            print("\n== PostgreSQL: skipped (give --pg URL or NETDISCOVER_TEST_PG)")
        else:
            with scratch_postgres(args.pg) as url:
                results["postgresql"] = run_backend("PostgreSQL", url, args.seed, args.repeat)
    print(f"\nat the end: load average {os.getloadavg()[0]:.1f}, {calibration()}")
    print("summary (observations/s):")
    for backend, figs in results.items():
        print(f"  {backend:<10} " + "  ".join(f"{k}={v:,.0f}" for k, v in figs.items()))
    for backend, figs in results.items():     # the targets are stated for SQLite
        rescan_s = args.seed / figs["rescan-100k"]
        verdicts = [f"{label} >= 20,000 obs/s {'met' if figs[label] >= 20_000 else 'NOT met'} "
                    f"({figs[label]:,.0f})" for label in ("new-10k", "new-100k")]
        verdicts.append(f"rescan of {args.seed:,} < 10 s {'met' if rescan_s < 10 else 'NOT met'} "
                        f"({rescan_s:.2f} s)")
        print(f"  {backend} {'targets' if backend == 'sqlite' else 'against the SQLite targets'}: "
              + "; ".join(verdicts))


if __name__ == "__main__":
    main()
