"""Inventory import throughput and memory on synthetic CSV exports, SQLite and PostgreSQL.

Scenarios (each a 100k-row CSV imported into a database that already holds 100k assets,
which were themselves imported from a seed file of the same shape):
  new-100k        100,000 records of devices the database does not know
  update-100k     the 100,000 known devices again, each with a changed owner
  unchanged-100k  the seed file again: nothing to write
Every scenario runs in its own process, through the same path as `inventory import` (the
streamed reader, the column plan, batched matching and writes, one transaction), so the
peak RSS printed is that import's own. Figures are medians over --repeat runs; "cpu" is the
import process's own CPU time (user + system), which other load on the machine does not inflate.

On this 2-core machine (2026-12-07, other work running: load average 4-5), median of 3:
  backend     scenario          rows/s   wall    cpu   peak RSS
  sqlite      new-100k          10,396   9.6 s  7.6 s  140 MiB
  sqlite      update-100k       14,476   6.9 s  6.8 s  150 MiB
  sqlite      unchanged-100k    18,167   5.5 s  5.3 s  146 MiB
  postgresql  new-100k           7,237  13.8 s  6.1 s  143 MiB
  postgresql  update-100k        5,888  17.0 s  7.8 s  151 MiB
  postgresql  unchanged-100k     7,918  12.6 s  5.8 s  147 MiB
(before the rewrite: about 320 rows/s and 578 MB for a 139k-row file.)

Usage: python benchmarks/import_bench.py [--rows 100000] [--repeat 3] [--pg URL]
       (PostgreSQL URL also from NETDISCOVER_TEST_PG; a throw-away database is created and dropped.)
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

HEADER = ["Asset Tag", "Asset Name", "MAC Address", "IP Address", "Serial", "Manufacturer", "Model",
          "Checked Out To", "Location", "Site", "Category", "Cost Center", "Purchase Date"]
VENDORS = ("Dell", "HP", "Lenovo", "Cisco", "Apple")
CATEGORIES = ("Desktops", "Laptops", "Printers", "Servers", "Switches")


def write_csv(path: Path, first: int, count: int, owner: str) -> None:
    """``count`` records of devices first..first+count-1 (each its own tag, MAC, IP, serial)."""
    with path.open("w", newline="", encoding="utf-8") as fh:
        out = csv.writer(fh)
        out.writerow(HEADER)
        for i in range(first, first + count):
            out.writerow([
                f"TAG-{i:07d}", f"host-{i:07d}",
                f"00:16:3e:{(i >> 16) & 255:02x}:{(i >> 8) & 255:02x}:{i & 255:02x}",
                f"10.{(i >> 16) & 255}.{(i >> 8) & 255}.{i & 255}", f"SN{i:09d}X",
                VENDORS[i % 5], f"Model {i % 37}", f"{owner}-{i % 900}", f"Building {i % 12}",
                f"site-{i % 4}", CATEGORIES[i % 5], f"CC-{i % 50}", "2024-01-15",
            ])


def one(url: str, path: str) -> None:
    """Import ``path`` into ``url`` (child process): print seconds, records, counts and peak RSS."""
    from netdiscover.inventory import Source
    from netdiscover.services.inventory import import_records
    from netdiscover.storage.engine import open_database

    sessions = open_database(url)
    start = time.perf_counter()
    before = resource.getrusage(resource.RUSAGE_SELF)
    cpu0 = before.ru_utime + before.ru_stime
    source = Source(path)
    result = import_records(sessions, source, actor="bench")
    seconds = time.perf_counter() - start
    assert not source.errors, source.errors[:3]
    usage = resource.getrusage(resource.RUSAGE_SELF)
    rss_kib = usage.ru_maxrss
    print(json.dumps({"seconds": seconds, "records": result.records, "created": result.created,
                      "updated": result.updated, "unchanged": result.unchanged, "rss_mib": rss_kib / 1024,
                      "cpu": usage.ru_utime + usage.ru_stime - cpu0}))


def child(url: str, path: Path) -> dict[str, float]:
    done = subprocess.run([sys.executable, __file__, "--one", url, str(path)], capture_output=True, text=True,
                          check=False, timeout=1800)
    if done.returncode != 0:
        raise SystemExit(f"import failed: {done.stderr.strip()[-2000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


class SQLite:
    """Seeded once; every run imports into a fresh copy of the seeded file."""

    def __init__(self, work: Path) -> None:
        self.work = work
        self.seeded = work / "seeded.db"

    def seed_url(self) -> str:
        return f"sqlite:///{self.seeded}"

    def fresh(self) -> str:
        target = self.work / f"run-{uuid.uuid4().hex[:8]}.db"
        shutil.copyfile(self.seeded, target)
        return f"sqlite:///{target}"

    def close(self) -> None:
        pass


class PostgreSQL:
    """Seeded once into a template database; every run imports into a copy of it."""

    def __init__(self, base: str) -> None:
        from sqlalchemy import create_engine

        from netdiscover.storage.engine import normalise_url

        self.url = normalise_url(base)
        self.admin = create_engine(self.url.set(database="postgres"), isolation_level="AUTOCOMMIT")
        self.template = f"nd_bench_seed_{uuid.uuid4().hex[:8]}"
        self.made = [self.template]
        self._sql(f'CREATE DATABASE "{self.template}"')

    def _sql(self, statement: str) -> None:
        from sqlalchemy import text

        with self.admin.connect() as conn:
            conn.execute(text(statement))

    def seed_url(self) -> str:
        return self.url.set(database=self.template).render_as_string(hide_password=False)

    def fresh(self) -> str:
        name = f"nd_bench_{uuid.uuid4().hex[:8]}"
        self._sql(f'CREATE DATABASE "{name}" TEMPLATE "{self.template}"')
        self.made.append(name)
        return self.url.set(database=name).render_as_string(hide_password=False)

    def close(self) -> None:
        for name in reversed(self.made):
            self._sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        self.admin.dispose()


def run_backend(name: str, backend: SQLite | PostgreSQL, files: dict[str, Path], repeat: int) -> None:
    seed = child(backend.seed_url(), files["seed"])
    print(f"{name:10} seed-100k (empty db)   {seed['records'] / seed['seconds']:9,.0f} rows/s  "
          f"{seed['seconds']:6.1f} s  cpu {seed['cpu']:5.1f} s  peak RSS {seed['rss_mib']:5.0f} MiB")
    for scenario in ("new-100k", "update-100k", "unchanged-100k"):
        runs = [child(backend.fresh(), files[scenario]) for _ in range(repeat)]
        seconds = statistics.median(r["seconds"] for r in runs)
        last = runs[-1]
        cpu = statistics.median(r["cpu"] for r in runs)
        print(f"{name:10} {scenario:22} {last['records'] / seconds:9,.0f} rows/s  {seconds:6.1f} s  "
              f"cpu {cpu:5.1f} s  peak RSS {max(r['rss_mib'] for r in runs):5.0f} MiB  "
              f"(new {last['created']}, updated {last['updated']}, unchanged {last['unchanged']})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--pg", default=os.environ.get("NETDISCOVER_TEST_PG"))
    parser.add_argument("--one", nargs=2, metavar=("URL", "FILE"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        one(*args.one)
        return
    with tempfile.TemporaryDirectory(prefix="nd-import-bench-") as tmp:
        work = Path(tmp)
        n = args.rows
        files = {"seed": work / "seed.csv", "new-100k": work / "new.csv", "update-100k": work / "update.csv"}
        write_csv(files["seed"], 0, n, "owner")
        write_csv(files["new-100k"], n, n, "owner")
        write_csv(files["update-100k"], 0, n, "moved")
        files["unchanged-100k"] = files["seed"]
        size = files["seed"].stat().st_size / 1e6
        print(f"{n:,} rows per file, {size:.1f} MB; {os.cpu_count()} CPUs; median of {args.repeat}")
        backends: list[tuple[str, SQLite | PostgreSQL]] = [("sqlite", SQLite(work))]
        if args.pg:
            backends.append(("postgresql", PostgreSQL(args.pg)))
        for name, backend in backends:
            try:
                run_backend(name, backend, files, args.repeat)
            finally:
                backend.close()


if __name__ == "__main__":
    main()
