"""Whole-command start-up: ``netdiscover --version`` and ``--help`` as a user times them.

Each command runs ``--runs`` times as a fresh process (the installed entry point); the figures
are the median and the fastest wall time, next to a bare ``python -c pass`` on the same machine
(the interpreter's own floor), and the heavy libraries the command imported (should be none).

Usage: python benchmarks/startup_bench.py [--runs 20] [--json FILE]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

HEAVY = ("sqlalchemy", "scapy", "pysnmp", "rich", "netaddr", "alembic", "yaml")
TARGET_S = 0.3


def entry_point() -> list[str]:
    found = shutil.which("netdiscover", path=str(Path(sys.executable).parent))
    return [found] if found else [sys.executable, "-m", "netdiscover.cli"]


def wall(cmd: list[str], runs: int) -> list[float]:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True, timeout=60)
        times.append(time.perf_counter() - start)
    return times


def heavy_imports(args: list[str]) -> list[str]:
    probe = ("import sys\nfrom netdiscover.cli import main\n"
             f"try:\n    main.main({args!r}, standalone_mode=False)\nexcept SystemExit:\n    pass\n"
             "loaded = {m.split('.')[0] for m in sys.modules}\n"
             f"print('HEAVY:' + ','.join(sorted(loaded & set({list(HEAVY)!r}))))")
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                         check=True, timeout=60)
    line = next(x for x in out.stdout.splitlines() if x.startswith("HEAVY:"))
    return [m for m in line.removeprefix("HEAVY:").split(",") if m]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--json", metavar="FILE", help="Also write the figures as JSON here.")
    args = parser.parse_args()
    print(f"machine: {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}", flush=True)
    results = []
    for label, cmd in (("python -c pass", [sys.executable, "-c", "pass"]),
                       ("netdiscover --version", [*entry_point(), "--version"]),
                       ("netdiscover --help", [*entry_point(), "--help"])):
        times = wall(cmd, args.runs)
        heavy = heavy_imports([cmd[-1]]) if label.startswith("netdiscover") else []
        med = statistics.median(times)
        verdict = "" if not label.startswith("netdiscover") else \
            f"  target < {TARGET_S} s: {'met' if med < TARGET_S else 'NOT met'}"
        print(f"  {label:<24} median {med:.3f} s  fastest {min(times):.3f} s  "
              f"heavy imports: {', '.join(heavy) or 'none'}{verdict}", flush=True)
        results.append({"command": label, "median_s": round(med, 4), "min_s": round(min(times), 4),
                        "heavy_imports": heavy})
    print(f"at the end: load average {os.getloadavg()[0]:.1f}")
    if args.json:
        Path(args.json).write_text(json.dumps({"cpus": os.cpu_count(), "load": os.getloadavg()[0],
                                               "runs": args.runs, "results": results}, indent=1))


if __name__ == "__main__":
    main()
