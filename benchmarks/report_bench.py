"""Reports and asset listings on a database of 100,000 assets, SQLite and PostgreSQL, end to end.

The database is seeded as reconcile_bench.py seeds it (one complete synthetic ARP sweep of
``--seed`` new devices, reconciled for real, an hour ago, so every asset is undocumented and
has a ``discovered`` event inside the last 24 h). Then each command runs as a user runs it:
a fresh ``netdiscover`` process, output to a file; the figures are its wall time, CPU time and
peak RSS (``/usr/bin/time``), median of ``--repeat`` runs, against the targets of issue 22.

Reference: with ``--before DIR`` (a source tree of an earlier version, e.g. ``git archive`` of
the base commit unpacked there), each command also runs from that tree on the same database,
alternating with ours run by run (ours, before, ours, before, ...) so that the load of a shared
machine falls on both; the ratio ours/before is printed, of wall and of CPU time (on a loaded
machine the wall times mostly measure the other processes). The load average is recorded with
each figure.

Usage: python benchmarks/report_bench.py [--pg URL] [--seed 100000] [--repeat 3] [--only sqlite]
                                         [--before DIR]
       (PostgreSQL URL also from NETDISCOVER_TEST_PG; a throw-away database is created and dropped.)
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

from netdiscover.observation import utcnow

sys.path.insert(0, str(Path(__file__).resolve().parent))
from baseline_tree import with_our_migrations
from reconcile_bench import synthetic, timed
from scratch_db import scratch_postgres

# (label, arguments after --db URL, target seconds, target peak MB or None)
COMMANDS = (
    ("report unknown --format json", ["report", "unknown", "--format", "json"], 3.0, None),
    ("assets list --format json", ["assets", "list", "--format", "json"], 5.0, 500),
    ("assets show IP", ["assets", "show", "{middle_ip}"], 0.5, None),      # the middle seeded asset
    ("report changes --since 24h", ["report", "changes", "--since", "24h", "--format", "json"], 3.0, None),
    ("report unknown --format html", ["report", "unknown", "--format", "html"], 10.0, None),
)


def netdiscover_cmd() -> list[str]:
    found = shutil.which("netdiscover", path=str(Path(sys.executable).parent))
    return [found] if found else [sys.executable, "-c", "from netdiscover.cli import main; main()"]


Run = tuple[float, float, int, float]


def run_once(url: str, args: list[str], out: Path, tree: str | None = None) -> Run:
    """Wall seconds, peak RSS in MB, output bytes and CPU seconds (user + system) of one command,
    run from the source tree ``tree`` when given (the installed package otherwise)."""
    stats = out.with_suffix(".time")
    base = ([sys.executable, "-c", "from netdiscover.cli import main; main()"] if tree else netdiscover_cmd())
    cmd = ["/usr/bin/time", "-o", str(stats), "-f", "%e %M %U %S", *base, "--db", url, *args]
    env = {**os.environ, "PYTHONPATH": tree} if tree else None
    with out.open("wb") as sink:
        # from inside the tree: ``python -c`` puts the working directory first on sys.path
        proc = subprocess.run(cmd, stdout=sink, stderr=subprocess.PIPE, timeout=600, check=False, env=env,
                              cwd=tree)
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(args)} failed: {proc.stderr.decode()[-500:]}")
    wall, rss_kb, user, system = stats.read_text().split()[-4:]
    return float(wall), int(rss_kb) / 1024, out.stat().st_size, float(user) + float(system)


def seed(url: str, count: int) -> float:
    from netdiscover.storage.engine import open_database

    sessions = open_database(url)
    at = utcnow() - timedelta(hours=1)
    took, res = timed(sessions, synthetic(0, count, at), at)
    assert res.new == count, res.counts
    sessions.kw["bind"].dispose()
    return took


def _median(runs: list[Run]) -> dict[str, float]:
    return {"seconds": statistics.median(r[0] for r in runs),
            "peak_mb": statistics.median(r[1] for r in runs),
            "cpu_seconds": statistics.median(r[3] for r in runs), "bytes": runs[0][2]}


def run_backend(name: str, url: str, count: int, repeat: int, work: Path, before: str | None) -> list[dict]:
    print(f"\n== {name}: seeding {count:,} assets ...", flush=True)
    print(f"   seeded in {seed(url, count):.1f} s", flush=True)
    results = []
    middle_ip = synthetic(count // 2, 1, utcnow())[0].ip
    for label, template, target_s, target_mb in COMMANDS:
        args = [a.format(middle_ip=middle_ip) for a in template]
        ours: list[Run] = []
        theirs: list[Run] = []
        loads = []
        for _ in range(repeat):              # alternated, so the machine's load hits both alike
            loads.append(os.getloadavg()[0])
            ours.append(run_once(url, args, work / "ours.txt"))
            if before:
                theirs.append(run_once(url, args, work / "before.txt", before))
        same = before is None or (work / "ours.txt").read_bytes() == (work / "before.txt").read_bytes()
        now, ref = _median(ours), _median(theirs) if theirs else None
        met = now["seconds"] < target_s and (target_mb is None or now["peak_mb"] < target_mb)
        load = statistics.median(loads)
        print(f"   {label:<30} {now['seconds']:7.2f} s  cpu {now['cpu_seconds']:6.2f} s  "
              f"peak {now['peak_mb']:7.1f} MB  {now['bytes']:>12,} bytes  "
              f"target < {target_s:g} s{f', < {target_mb} MB' if target_mb else ''}: "
              f"{'met' if met else 'NOT met'}  (runs: {', '.join(f'{r[0]:.2f}' for r in ours)}; "
              f"load {load:.1f})", flush=True)
        if ref is not None:
            print(f"   {'  before':<30} {ref['seconds']:7.2f} s  cpu {ref['cpu_seconds']:6.2f} s  "
                  f"peak {ref['peak_mb']:7.1f} MB  ratio ours/before {now['seconds'] / ref['seconds']:.2f} "
                  f"(cpu {now['cpu_seconds'] / ref['cpu_seconds']:.2f})  "
                  f"output {'identical' if same else 'DIFFERS'}  "
                  f"(runs: {', '.join(f'{r[0]:.2f}' for r in theirs)})", flush=True)
        results.append({"backend": name, "command": label, **now, "target_s": target_s,
                        "target_mb": target_mb, "met": met, "load": load, "before": ref, "same_output": same})
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pg", default=os.environ.get("NETDISCOVER_TEST_PG"), help="PostgreSQL server URL")
    parser.add_argument("--seed", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--only", choices=("sqlite", "postgresql"))
    parser.add_argument("--json", metavar="FILE", help="Also write the figures as JSON here.")
    parser.add_argument("--before", metavar="DIR", help="Source tree of the version to compare with.")
    args = parser.parse_args()
    if args.before:
        args.before = with_our_migrations(args.before)
    print(f"machine: {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}", flush=True)
    results: list[dict] = []
    started = time.monotonic()
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        if args.only in (None, "sqlite"):
            results += run_backend("SQLite", f"sqlite:///{tmp}/bench.db", args.seed, args.repeat, work,
                                   args.before)
        if args.only in (None, "postgresql"):
            if not args.pg:
                print("\n== PostgreSQL: skipped (give --pg URL or NETDISCOVER_TEST_PG)")
            else:
                with scratch_postgres(args.pg) as url:
                    results += run_backend("PostgreSQL", url, args.seed, args.repeat, work, args.before)
    print(f"\nat the end: load average {os.getloadavg()[0]:.1f}; {time.monotonic() - started:.0f} s in all")
    if args.json:
        Path(args.json).write_text(json.dumps({"cpus": os.cpu_count(), "load": os.getloadavg()[0],
                                               "seed": args.seed, "results": results}, indent=1))


if __name__ == "__main__":
    main()
