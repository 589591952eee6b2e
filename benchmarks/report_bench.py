"""Reports and asset listings on a database of 100,000 assets, SQLite and PostgreSQL, end to end.

The database is seeded as reconcile_bench.py seeds it (one complete synthetic ARP sweep of
``--seed`` new devices, reconciled for real, an hour ago, so every asset is undocumented and
has a ``discovered`` event inside the last 24 h). Then each command runs as a user runs it:
a fresh ``netdiscover`` process, output to a file; the figures are its wall time, CPU time and
peak RSS (``/usr/bin/time``), median of ``--repeat`` runs, against the targets of issue 22.

Usage: python benchmarks/report_bench.py [--pg URL] [--seed 100000] [--repeat 3] [--only sqlite]
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
from reconcile_bench import synthetic, timed
from scratch_db import scratch_postgres

# (label, arguments after --db URL, target seconds, target peak MB or None)
COMMANDS = (
    ("report unknown --format json", ["report", "unknown", "--format", "json"], 3.0, None),
    ("assets list --format json", ["assets", "list", "--format", "json"], 5.0, 500),
    ("assets show IP", ["assets", "show", "10.0.195.80"], 0.5, None),
    ("report changes --since 24h", ["report", "changes", "--since", "24h", "--format", "json"], 3.0, None),
    ("report unknown --format html", ["report", "unknown", "--format", "html"], 10.0, None),
)


def netdiscover_cmd() -> list[str]:
    found = shutil.which("netdiscover", path=str(Path(sys.executable).parent))
    return [found] if found else [sys.executable, "-c", "from netdiscover.cli import main; main()"]


def run_once(url: str, args: list[str], out: Path) -> tuple[float, float, int, float]:
    """Wall seconds, peak RSS in MB, output bytes and CPU seconds (user + system) of one command."""
    stats = out.with_suffix(".time")
    cmd = ["/usr/bin/time", "-o", str(stats), "-f", "%e %M %U %S", *netdiscover_cmd(), "--db", url, *args]
    with out.open("wb") as sink:
        proc = subprocess.run(cmd, stdout=sink, stderr=subprocess.PIPE, timeout=600, check=False)
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


def run_backend(name: str, url: str, count: int, repeat: int, work: Path) -> list[dict]:
    print(f"\n== {name}: seeding {count:,} assets ...", flush=True)
    print(f"   seeded in {seed(url, count):.1f} s", flush=True)
    results = []
    for label, args, target_s, target_mb in COMMANDS:
        runs = [run_once(url, args, work / "out.txt") for _ in range(repeat)]
        wall = statistics.median(r[0] for r in runs)
        rss = statistics.median(r[1] for r in runs)
        cpu = statistics.median(r[3] for r in runs)
        met = wall < target_s and (target_mb is None or rss < target_mb)
        print(f"   {label:<30} {wall:7.2f} s  cpu {cpu:6.2f} s  peak {rss:7.1f} MB  {runs[0][2]:>12,} bytes  "
              f"target < {target_s:g} s{f', < {target_mb} MB' if target_mb else ''}: "
              f"{'met' if met else 'NOT met'}  (runs: {', '.join(f'{r[0]:.2f}' for r in runs)})", flush=True)
        results.append({"backend": name, "command": label, "seconds": wall, "cpu_seconds": round(cpu, 2),
                        "peak_mb": round(rss, 1), "bytes": runs[0][2], "target_s": target_s,
                        "target_mb": target_mb, "met": met})
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pg", default=os.environ.get("NETDISCOVER_TEST_PG"), help="PostgreSQL server URL")
    parser.add_argument("--seed", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--only", choices=("sqlite", "postgresql"))
    parser.add_argument("--json", metavar="FILE", help="Also write the figures as JSON here.")
    args = parser.parse_args()
    print(f"machine: {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}", flush=True)
    results: list[dict] = []
    started = time.monotonic()
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        if args.only in (None, "sqlite"):
            results += run_backend("SQLite", f"sqlite:///{tmp}/bench.db", args.seed, args.repeat, work)
        if args.only in (None, "postgresql"):
            if not args.pg:
                print("\n== PostgreSQL: skipped (give --pg URL or NETDISCOVER_TEST_PG)")
            else:
                with scratch_postgres(args.pg) as url:
                    results += run_backend("PostgreSQL", url, args.seed, args.repeat, work)
    print(f"\nat the end: load average {os.getloadavg()[0]:.1f}; {time.monotonic() - started:.0f} s in all")
    if args.json:
        Path(args.json).write_text(json.dumps({"cpus": os.cpu_count(), "load": os.getloadavg()[0],
                                               "seed": args.seed, "results": results}, indent=1))


if __name__ == "__main__":
    main()
