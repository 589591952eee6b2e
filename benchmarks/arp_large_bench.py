"""Benchmark: an ARP sweep of a /16 with thousands of live hosts, netdiscover against arp-scan.

Run as root:  .venv/bin/python benchmarks/arp_large_bench.py [--runs 3] [--live 2000] [--defaults]
              [--json FILE]

Builds one segment with ``--live`` hosts at random addresses of 10.78.0.0/16 (``arp_lab.large_lab``),
then sweeps the whole /16 from the scanner namespace, alternating the tools run by run:

- at the highest rate the scanner accepts (``--rate 1000000``, its MAX_RATE) against
  ``arp-scan -i 1u`` (a 1 microsecond interval: the same rate), both with their default retries
  (netdiscover 2 extra tries, arp-scan 2 tries in all) and with the same number of tries
  (netdiscover ``--retries 1``);
- with ``--defaults``, also both tools' defaults (minutes each: 2,000 and ~380 frames/s).

Every figure is the wall time of the whole process, start-up included, with its peak resident
memory (``/usr/bin/time``) and recall (hosts found with their own MAC). Prints medians and ratios
with the load average of each run.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import arp_bench

from netdiscover_lab.arp_lab import LargeArpLab, large_lab
from netdiscover_lab.netns import Lab, lab_unavailable_reason

NETWORK = "10.78.0.0/16"
MAX_RATE = "1000000"
TIME = ["/usr/bin/time", "-f", "MAXRSS_KB %M"]


def parse_netdiscover(out: str) -> dict[str, str | None]:
    return arp_bench.parse_netdiscover(out)[0]


def parse_arpscan(out: str) -> dict[str, str | None]:
    return arp_bench.parse_arpscan(out)[0]


@dataclass
class Tool:
    name: str
    argv: list[str]
    parse: Callable[[str], dict[str, str | None]]
    reference: str | None = None        # the tool this one is compared with
    times: list[float] = field(default_factory=list)
    recall: list[float] = field(default_factory=list)
    memory_mb: list[float] = field(default_factory=list)
    loads: list[str] = field(default_factory=list)


def tools(defaults: bool) -> list[Tool]:
    ours = [sys.executable, "-m", "netdiscover.scanners.arp.scanner", NETWORK]
    theirs = ["arp-scan", "-I", "eth0", NETWORK]
    found = [
        Tool(f"netdiscover --rate {MAX_RATE}", [*ours, "--rate", MAX_RATE], parse_netdiscover,
             "arp-scan -i 1u"),
        Tool("arp-scan -i 1u", [*theirs, "-i", "1u"], parse_arpscan),
        Tool(f"netdiscover --rate {MAX_RATE} --retries 1", [*ours, "--rate", MAX_RATE, "--retries", "1"],
             parse_netdiscover, "arp-scan -i 1u"),
    ]
    if defaults:
        found += [Tool("netdiscover (defaults)", ours, parse_netdiscover, "arp-scan (defaults)"),
                  Tool("arp-scan (defaults)", theirs, parse_arpscan)]
    return found


def run_one(lab: Lab, net: LargeArpLab, tool: Tool) -> None:
    start = time.perf_counter()
    proc = lab.run(net.scanner_ns, [*TIME, *tool.argv], check=False, timeout=900)
    elapsed = time.perf_counter() - start
    if proc.returncode != 0:
        raise RuntimeError(f"{tool.name} failed ({proc.returncode}): {proc.stderr.strip()[-300:]}")
    rss = re.search(r"MAXRSS_KB (\d+)", proc.stderr)
    found = tool.parse(proc.stdout)
    right = {ip for ip, mac in found.items() if mac == net.hosts.get(ip)}
    tool.times.append(elapsed)
    tool.recall.append(len(right) / len(net.hosts))
    tool.memory_mb.append(int(rss.group(1)) / 1024 if rss else float("nan"))
    tool.loads.append(" ".join(f"{x:.2f}" for x in os.getloadavg()))
    print(f"  {tool.name:40} {elapsed:7.3f} s  recall {tool.recall[-1]:.2%}  "
          f"{tool.memory_mb[-1]:6.1f} MB  load {tool.loads[-1]}", flush=True)


def summary(all_tools: list[Tool], live: int) -> dict:
    by_name = {t.name: t for t in all_tools}
    rows = []
    print(f"\n{NETWORK}: {live} live hosts, median of {len(all_tools[0].times)} runs (whole process)")
    for t in all_tools:
        med = statistics.median(t.times)
        ref = by_name.get(t.reference or "")
        ratio = med / statistics.median(ref.times) if ref else None
        row = {"tool": t.name, "median_s": med, "min_s": min(t.times), "recall_min": min(t.recall),
               "peak_mb": max(t.memory_mb), "reference": t.reference, "ratio": ratio, "loads": t.loads,
               "times": t.times}
        rows.append(row)
        against = f"{ratio:.2f}x {t.reference}" if ratio else "reference"
        print(f"  {t.name:40} {med:7.3f} s (min {min(t.times):.3f})  recall {min(t.recall):.2%}  "
              f"peak {max(t.memory_mb):.0f} MB  {against}")
    return {"network": NETWORK, "live": live, "cpus": os.cpu_count(), "rows": rows}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--live", type=int, default=2000)
    parser.add_argument("--defaults", action="store_true", help="also compare both tools' defaults (slow)")
    parser.add_argument("--json", help="also write the figures here as JSON")
    args = parser.parse_args()
    reason = lab_unavailable_reason()
    if reason:
        print(f"error: {reason}", file=sys.stderr)
        return 2
    for binary in ("arp-scan", "nft"):
        if shutil.which(binary) is None:
            print(f"error: {binary} is not installed", file=sys.stderr)
            return 2
    if not 100 <= args.live <= 8000 or not 1 <= args.runs <= 20:
        print("error: --live must be 100..8000 and --runs 1..20", file=sys.stderr)
        return 2
    lab = Lab()
    net: LargeArpLab | None = None
    try:
        start = time.perf_counter()
        net = large_lab(lab, network=NETWORK, live=args.live, dense_cidr="10.78.0.0/24", dense_live=80)
        print(f"lab: {len(net.hosts)} hosts in {net.network}, scanner {net.scanner_ip}, built in "
              f"{time.perf_counter() - start:.1f} s; {os.cpu_count()} CPUs", flush=True)
        all_tools = tools(args.defaults)
        for run in range(args.runs):
            print(f"run {run + 1}", flush=True)
            for tool in all_tools:
                run_one(lab, net, tool)
        result = summary(all_tools, len(net.hosts))
        if args.json:
            with open(args.json, "w", encoding="utf-8") as fh:
                json.dump(result, fh, indent=1)
    except RuntimeError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    finally:
        lab.close()
        if net is not None:
            net.restore_gc()
    return 0


if __name__ == "__main__":
    sys.exit(main())
