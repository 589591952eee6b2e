"""Benchmark: netdiscover's nmap sweep against the same nmap command run directly.

Builds a namespace lab (a scanner and six device hosts with real services), then for each case
alternates, in the same run, (a) ``nmap -oX - ARGS TARGETS`` started directly in the scanner
namespace and (b) netdiscover's nmap scanner in that namespace followed by storing the result
into SQLite through ``netdiscover.reconcile`` (fingerprinting included). Medians over --runs.

overhead = median(netdiscover scan + store) - median(direct nmap), as a share of direct nmap.
"store" is measured warm (a second reconcile of the same sweep in the same process, as a
daemon re-sweeping does) and cold (the first reconcile in a fresh process); both are printed.
The breakdown shows where netdiscover spends it (parse, store). Interpreter start-up and
imports are printed apart: a daemon pays them once, not per sweep.

Run as root:  .venv/bin/python benchmarks/nmap_bench.py [--runs 5]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shlex
import statistics
import sys
import tempfile
import time
from pathlib import Path

from netdiscover.scanners.nmap.args import build_command
from netdiscover_lab.netns import Lab, LabError, lab_unavailable_reason
from netdiscover_lab.services import start_services

DEVICES = [
    ("prn", "00:1b:78:70:00:11", ["http:80:server=lighttpd/1.4.59", "jetdirect:9100"]),
    ("cam", "00:40:8c:70:00:12", ["http:80:server=Boa/0.94.14rc21", "rtsp:554"]),
    ("srv", "52:54:00:70:00:13", ["ssh:22", "http:80:server=nginx/1.22.1", "http:8080"]),
    ("nas", "00:11:32:70:00:14", ["ssh:22:banner=SSH-2.0-OpenSSH_8.2p1", "http:5000"]),
    ("ap", "00:0b:86:70:00:15", ["ssh:22:banner=SSH-2.0-dropbear_2020.81", "http:80"]),
    ("iot", "b8:27:eb:70:00:16", ["http:80:server=lighttpd/1.4.53", "rtsp:554"]),
]
PORTS = "22,80,554,5000,8080,9100"
CASES = {
    "discovery (-sS)": "-p " + PORTS,
    "services (-sV)": "-sV -p " + PORTS,
}
TARGETS = "10.70.0.0/27"

NETDISCOVER_RUN = """
import json, sys, time
t0 = time.monotonic()
from netaddr import IPSet
from netdiscover.services import reconcile
from netdiscover.scanners.nmap import scanner as nmap
from netdiscover.scanners.base import ScanContext
from netdiscover.storage.engine import open_database
sessions = open_database(sys.argv[3])
t1 = time.monotonic()
ctx = ScanContext(targets=IPSet([sys.argv[1]]), nmap_profile="quick", nmap_args=sys.argv[2])
outcome = nmap.scan(ctx)
t2 = time.monotonic()
reconcile.reconcile(sessions, outcome.observations, scope=ctx.targets)
t3 = time.monotonic()
reconcile.reconcile(sessions, outcome.observations, scope=ctx.targets)
t4 = time.monotonic()
print(json.dumps({"startup": t1 - t0, "scan": t2 - t1, "store_cold": t3 - t2, "store": t4 - t3,
                  "nmap": outcome.stats.get("nmap_seconds"), "parse": outcome.stats.get("parse_seconds"),
                  "hosts": len(outcome.observations), "status": outcome.status,
                  "args": outcome.stats.get("arguments")}))
"""


def run_direct(lab: Lab, ns: str, args: list[str]) -> tuple[float, int]:
    started = time.monotonic()
    proc = lab.run(ns, ["nmap", "-oX", "-", *args, TARGETS], timeout=600)
    elapsed = time.monotonic() - started
    return elapsed, len(re.findall(r'<host [^>]*><status state="up"', proc.stdout))


def run_netdiscover(lab: Lab, ns: str, user_args: str, db_url: str) -> dict:
    proc = lab.run(ns, [sys.executable, "-c", NETDISCOVER_RUN, TARGETS, user_args, db_url], timeout=600)
    return json.loads(proc.stdout.strip().splitlines()[-1])


def median(values: list[float]) -> float:
    return statistics.median(values)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--json", help="also write the figures here as JSON (for run_all.py)")
    opts = parser.parse_args(argv)
    reason = lab_unavailable_reason()
    if reason:
        print(f"error: {reason}", file=sys.stderr)
        return 2
    work = Path(tempfile.mkdtemp(prefix="nd-nmap-bench-"))
    db_url = f"sqlite:///{work / 'bench.db'}"
    try:
        with Lab() as lab:
            lan = lab.segment("lan")
            scanner = lab.host("scan", lan, "10.70.0.2/24", "02:00:00:70:00:02")
            for i, (name, mac, specs) in enumerate(DEVICES):
                host = lab.host(name, lan, f"10.70.0.{11 + i}/24", mac)
                start_services(lab, host.ns, specs, log=work / f"{name}.log")
            print(f"lab: scanner + {len(DEVICES)} device hosts, targets {TARGETS}, {opts.runs} runs per case")
            run_netdiscover(lab, scanner.ns, "-sn", db_url)            # migrate the database, warm caches
            figures: dict[str, dict] = {}
            for case, user_args in CASES.items():
                args = build_command("quick", user_args).args      # exactly what netdiscover runs
                direct, ours, hosts_direct = [], [], []
                for _ in range(opts.runs):
                    elapsed, up = run_direct(lab, scanner.ns, args)
                    direct.append(elapsed)
                    hosts_direct.append(up)
                    ours.append(run_netdiscover(lab, scanner.ns, user_args, db_url))
                figures[case] = report(case, args, direct, hosts_direct, ours)
                figures[case]["load"] = os.getloadavg()[0]
            if opts.json:
                Path(opts.json).write_text(json.dumps({"cases": figures, "runs": opts.runs,
                                                       "cpus": os.cpu_count()}, indent=1))
    except LabError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


def report(case: str, args: list[str], direct: list[float], hosts_direct: list[int],
           ours: list[dict]) -> dict:
    d = median(direct)
    for r in ours:
        r["total"] = r["scan"] + r["store"]
        r["total_cold"] = r["scan"] + r["store_cold"]
    total = median([r["total"] for r in ours])
    total_cold = median([r["total_cold"] for r in ours])
    scan = median([r["scan"] for r in ours])
    store = median([r["store"] for r in ours])
    store_cold = median([r["store_cold"] for r in ours])
    parse = median([r["parse"] or 0.0 for r in ours])
    startup = median([r["startup"] for r in ours])
    overhead = total - d
    print(f"\n== {case}: nmap {shlex.join(args)} {TARGETS}")
    print(f"  hosts up: direct {sorted(set(hosts_direct))}, netdiscover {sorted({r['hosts'] for r in ours})}"
          f" (direct counts the scanner itself; netdiscover drops it)")
    print(f"  direct nmap            median {d:8.3f} s   runs {', '.join(f'{x:.3f}' for x in direct)}")
    runs = ", ".join(f"{r['total']:.3f}" for r in ours)
    print(f"  netdiscover scan+store median {total:8.3f} s   runs {runs}")
    print(f"    scan (nmap, XML parsed as it streams) {scan:.3f} s, of which XML parse {parse * 1000:.1f} ms")
    print(f"    store (reconcile into SQLite)       {store * 1000:.1f} ms warm; "
          f"{store_cold * 1000:.1f} ms cold (first reconcile in a fresh process loads rules and OUI data)")
    print(f"    interpreter start + imports         {startup * 1000:.0f} ms (per process, not per sweep)")
    print(f"  ratio netdiscover/direct {total / d:.3f}; overhead {overhead * 1000:+.1f} ms "
          f"= {overhead / d * 100:+.1f}% of nmap's own time (target < 10%): "
          f"{'OK' if overhead / d < 0.10 else 'OVER'}")
    cold = total_cold - d
    print(f"  cold process (first sweep after start): scan+store {total_cold:.3f} s, overhead "
          f"{cold * 1000:+.1f} ms = {cold / d * 100:+.1f}% of nmap's own time")
    print(f"  parse+store alone: {(parse + store) * 1000:.1f} ms = "
          f"{(parse + store) / d * 100:.1f}% of nmap's time")
    return {"command": f"nmap {shlex.join(args)} {TARGETS}", "direct_s": d, "netdiscover_s": total,
            "netdiscover_cold_s": total_cold, "ratio": total / d}


if __name__ == "__main__":
    raise SystemExit(main())
