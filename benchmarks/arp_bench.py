"""Benchmark: netdiscover's ARP sweep against arp-scan and nmap on the same namespace lab.

Run as root:  .venv/bin/python benchmarks/arp_bench.py [--runs 5] [--live 1000]

Builds one segment with ``--live`` hosts spread over a /20 (80 of them inside the first /24),
then sweeps the /24 and the /20 with every tool, round-robin, ``--runs`` times each, from the
scanner namespace. Each figure is the wall time of the whole process (start-up included), as a
user would see it. Prints medians, recall (worst run), phantom hosts and time ratios.

Defaults are compared with defaults; the tuned netdiscover run (high --rate, short lab quiet
time) is compared with ``arp-scan -B10M -t100 -r1``.
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from netdiscover.lab.arp_lab import LargeArpLab, large_lab
from netdiscover.lab.netns import Lab, lab_unavailable_reason

TUNED_RATE = 20000
TUNED_OPTIONS = {"quiet_ms": 100, "retry_ms": 40}


@dataclass
class Tool:
    name: str
    argv: Callable[[str], list[str]]
    parse: Callable[[str], set[str]]
    times: dict[str, list[float]] = field(default_factory=dict)
    recall: dict[str, list[float]] = field(default_factory=dict)
    phantoms: dict[str, int] = field(default_factory=dict)


def parse_netdiscover(out: str) -> set[str]:
    data = json.loads(out)
    if "error" in data:
        raise RuntimeError(data["error"])
    return {o["ip"] for o in data["observations"]}


def parse_arpscan(out: str) -> set[str]:
    return {m.group(1) for m in re.finditer(r"^(\d+\.\d+\.\d+\.\d+)\t", out, re.M)}


def parse_nmap(out: str) -> set[str]:
    return {m.group(1) for m in re.finditer(r"^Host: (\S+) \(\)\s+Status: Up", out, re.M)}


def tools() -> list[Tool]:
    py = [sys.executable, "-m", "netdiscover.lab.arp_lab", "scan"]
    return [
        Tool("netdiscover (defaults)", lambda t: [*py, t], parse_netdiscover),
        Tool("arp-scan (defaults)", lambda t: ["arp-scan", "-I", "eth0", t], parse_arpscan),
        Tool("nmap -sn -PR -n", lambda t: ["nmap", "-sn", "-PR", "-n", "-oG", "-", t], parse_nmap),
        Tool(f"netdiscover --rate {TUNED_RATE} quiet 100ms",
             lambda t: [*py, t, "--rate", str(TUNED_RATE), "--options", json.dumps(TUNED_OPTIONS)],
             parse_netdiscover),
        Tool("arp-scan -B10M -t100 -r1", lambda t: ["arp-scan", "-I", "eth0", "-B10M", "-t100", "-r1", t],
             parse_arpscan),
    ]


def run_round(lab: Lab, net: LargeArpLab, tool: Tool, target: str) -> None:
    expected = set(net.hosts_in(target))
    start = time.perf_counter()
    proc = lab.run(net.scanner_ns, tool.argv(target), check=False, timeout=600)
    elapsed = time.perf_counter() - start
    if proc.returncode != 0:
        raise RuntimeError(f"{tool.name} failed ({proc.returncode}): {proc.stderr.strip()[:300]}")
    found = tool.parse(proc.stdout) - {net.scanner_ip}
    tool.times.setdefault(target, []).append(elapsed)
    tool.recall.setdefault(target, []).append(len(found & expected) / len(expected))
    tool.phantoms[target] = max(tool.phantoms.get(target, 0), len(found - expected))


def report(all_tools: list[Tool], target: str, live: int) -> None:
    by_name = {t.name: t for t in all_tools}
    base = statistics.median(all_tools[0].times[target])
    tuned = statistics.median(all_tools[3].times[target])
    print(f"\n{target}: {live} live hosts, {len(all_tools[0].times[target])} runs each")
    print(f"  {'tool':38} {'median s':>9} {'min':>7} {'max':>7} {'recall':>7} {'phantom':>7}  ratio")
    for t in all_tools:
        times = t.times[target]
        med = statistics.median(times)
        ref, label = (tuned, "tuned nd") if "B10M" in t.name or "--rate" in t.name else (base, "default nd")
        ratio = f"{med / ref:5.2f}x of {label}"
        print(f"  {t.name:38} {med:9.3f} {min(times):7.3f} {max(times):7.3f} {min(t.recall[target]):7.1%} "
              f"{t.phantoms[target]:7d}  {ratio}")
    ok_default = base < min(statistics.median(by_name[n].times[target])
                            for n in ("arp-scan (defaults)", "nmap -sn -PR -n"))
    ok_tuned = tuned <= statistics.median(by_name["arp-scan -B10M -t100 -r1"].times[target])
    full = all(min(t.recall[target]) == 1.0 for t in all_tools[:1] + all_tools[3:4])
    print(f"  netdiscover recall 100%: {full}; defaults faster than arp-scan and nmap: {ok_default}; "
          f"tuned no slower than tuned arp-scan: {ok_tuned}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--live", type=int, default=1000, help="live hosts in the /20 (80 in the /24)")
    args = parser.parse_args()
    reason = lab_unavailable_reason()
    if reason:
        print(f"error: {reason}", file=sys.stderr)
        return 2
    for binary in ("arp-scan", "nmap", "nft"):
        if shutil.which(binary) is None:
            print(f"error: {binary} is not installed", file=sys.stderr)
            return 2
    if not 80 <= args.live <= 4000 or not 1 <= args.runs <= 50:
        print("error: --live must be 80..4000 and --runs 1..50", file=sys.stderr)
        return 2

    lab = Lab()
    net: LargeArpLab | None = None
    try:
        start = time.perf_counter()
        net = large_lab(lab, network="10.77.0.0/20", live=args.live, dense_cidr="10.77.0.0/24", dense_live=80)
        print(f"lab: {len(net.hosts)} hosts in {net.network}, scanner {net.scanner_ip}, "
              f"built in {time.perf_counter() - start:.1f} s")
        all_tools = tools()
        for target in ("10.77.0.0/24", "10.77.0.0/20"):
            for _ in range(args.runs):
                for tool in all_tools:
                    run_round(lab, net, tool, target)
            report(all_tools, target, len(net.hosts_in(target)))
    finally:
        lab.close()
        if net is not None:
            net.restore_gc()
    return 0


if __name__ == "__main__":
    sys.exit(main())
