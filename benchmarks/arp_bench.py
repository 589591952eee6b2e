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
import os
import re
import shutil
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from netdiscover_lab.arp_lab import LargeArpLab, large_lab
from netdiscover_lab.netns import Lab, lab_unavailable_reason

TUNED = [  # (rate, retries): the same one try as arp-scan -r1, and a faster rate with one retry
    (30000, 0),
    (100000, 1),
]
TUNED_OPTIONS = {"quiet_ms": 100, "retry_ms": 40}   # arp-scan -t100 waits 100 ms as well


@dataclass
class Tool:
    name: str
    group: str                      # "default" or "tuned": which reference it is compared with
    argv: Callable[[str], list[str]]
    parse: Callable[[str], tuple[dict[str, str | None], float | None]]   # ip -> MAC (if shown)
    times: dict[str, list[float]] = field(default_factory=dict)
    sweep: dict[str, list[float]] = field(default_factory=dict)   # in-process sweep time (netdiscover)
    recall: dict[str, list[float]] = field(default_factory=dict)
    phantoms: dict[str, int] = field(default_factory=dict)

    @property
    def ours(self) -> bool:
        return self.name.startswith("netdiscover")


def parse_netdiscover(out: str) -> tuple[dict[str, str | None], float | None]:
    data = json.loads(out)
    if "error" in data:
        raise RuntimeError(data["error"])
    return {o["ip"]: o["mac"] for o in data["observations"]}, data["stats"]["elapsed_s"]


def parse_arpscan(out: str) -> tuple[dict[str, str | None], float | None]:
    return {m.group(1): m.group(2).lower()
            for m in re.finditer(r"^(\d+\.\d+\.\d+\.\d+)\t(\S+)", out, re.M)}, None


def parse_nmap(out: str) -> tuple[dict[str, str | None], float | None]:
    return {m.group(1): None for m in re.finditer(r"^Host: (\S+) \(\)\s+Status: Up", out, re.M)}, None


def tools() -> list[Tool]:
    py = [sys.executable, "-m", "netdiscover.scanners.arp.scanner"]
    found = [
        Tool("netdiscover (defaults)", "default", lambda t: [*py, t], parse_netdiscover),
        Tool("arp-scan (defaults)", "default", lambda t: ["arp-scan", "-I", "eth0", t], parse_arpscan),
        Tool("nmap -sn -PR -n", "default", lambda t: ["nmap", "-sn", "-PR", "-n", "-oG", "-", t], parse_nmap),
    ]
    for rate, retries in TUNED:
        found.append(Tool(f"netdiscover --rate {rate} --retries {retries}", "tuned",
                          lambda t, r=rate, n=retries: [*py, t, "--rate", str(r), "--retries", str(n),
                                                        "--options", json.dumps(TUNED_OPTIONS)],
                          parse_netdiscover))
    found.append(Tool("arp-scan -B10M -t100 -r1", "tuned",
                      lambda t: ["arp-scan", "-I", "eth0", "-B10M", "-t100", "-r1", t], parse_arpscan))
    return found


def run_round(lab: Lab, net: LargeArpLab, tool: Tool, target: str) -> None:
    expected = set(net.hosts_in(target))
    start = time.perf_counter()
    proc = lab.run(net.scanner_ns, tool.argv(target), check=False, timeout=600)
    elapsed = time.perf_counter() - start
    if proc.returncode != 0:
        raise RuntimeError(f"{tool.name} failed ({proc.returncode}): {proc.stderr.strip()[:300]}")
    found, sweep = tool.parse(proc.stdout)
    found.pop(net.scanner_ip, None)
    # a host counts as found only with its own MAC (where the tool reports one)
    right = {ip for ip, mac in found.items() if ip in expected and mac in (None, net.hosts[ip])}
    tool.times.setdefault(target, []).append(elapsed)
    if sweep is not None:
        tool.sweep.setdefault(target, []).append(sweep)
    tool.recall.setdefault(target, []).append(len(right) / len(expected))
    tool.phantoms[target] = max(tool.phantoms.get(target, 0), len(set(found) - expected))


def median(values: list[float]) -> float:
    return statistics.median(values)


def report(all_tools: list[Tool], target: str, live: int) -> dict[str, bool]:
    """Print one table for ``target`` and return which targets were met."""
    ref = {"default": next(t for t in all_tools if t.ours and t.group == "default"),
           "tuned": next(t for t in all_tools if not t.ours and t.group == "tuned")}
    print(f"\n{target}: {live} live hosts, {len(all_tools[0].times[target])} runs each "
          "(wall time of the whole process, start-up included)")
    print(f"  {'tool':34} {'median s':>8} {'min':>6} {'max':>6} {'sweep s':>7} {'recall':>7} {'phantom':>7}"
          "  ratio")
    for t in all_tools:
        times = t.times[target]
        med = median(times)
        sweep = f"{median(t.sweep[target]):7.3f}" if t.sweep.get(target) else f"{'-':>7}"
        base = ref[t.group]
        against = "netdiscover's time" if t.group == "default" else "arp-scan tuned"
        ratio = "reference" if t is base else f"{med / median(base.times[target]):.2f}x {against}"
        recall = min(t.recall[target])
        print(f"  {t.name:34} {med:8.3f} {min(times):6.3f} {max(times):6.3f} {sweep} {recall:7.1%} "
              f"{t.phantoms[target]:7d}  {ratio}")
    ours = [t for t in all_tools if t.ours]
    default_med = median(ref["default"].times[target])
    others = [median(t.times[target]) for t in all_tools if not t.ours and t.group == "default"]
    tuned_best = min(median(t.times[target]) for t in ours if t.group == "tuned")
    sweep_default = median(ref["default"].sweep[target])
    sweep_tuned = min(median(t.sweep[target]) for t in ours if t.group == "tuned")
    print(f"  in-process sweep time (what the CLI and daemon pay, Python already running): "
          f"defaults {sweep_default:.3f} s, best tuned {sweep_tuned:.3f} s")
    verdict = {
        "recall 100%, no phantoms": all(min(t.recall[target]) == 1.0 and not t.phantoms[target]
                                        for t in ours),
        "defaults faster than arp-scan and nmap": default_med < min(others),
        "tuned no slower than tuned arp-scan": tuned_best <= median(ref["tuned"].times[target]),
    }
    print("  " + "; ".join(f"{k}: {'yes' if v else 'NO'}" for k, v in verdict.items()))
    return verdict


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--live", type=int, default=1000, help="live hosts in the /20 (80 in the /24)")
    parser.add_argument("--json", help="also write the figures here as JSON (for run_all.py)")
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
        print(f"load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())}, {os.cpu_count()} CPUs")
        all_tools = tools()
        met = True
        for target in ("10.77.0.0/24", "10.77.0.0/20"):
            for _ in range(args.runs):
                for tool in all_tools:
                    run_round(lab, net, tool, target)
            met &= all(report(all_tools, target, len(net.hosts_in(target))).values())
        print(f"\nload average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}; "
              f"all targets met: {'yes' if met else 'NO'}")
        if args.json:
            figures = {target: {t.name: {"median_s": median(t.times[target]), "group": t.group,
                                         "recall_min": min(t.recall[target]), "ours": t.ours}
                                for t in all_tools}
                       for target in ("10.77.0.0/24", "10.77.0.0/20")}
            with open(args.json, "w", encoding="utf-8") as fh:
                json.dump({"targets": figures, "load": os.getloadavg()[0], "cpus": os.cpu_count(),
                           "runs": args.runs}, fh, indent=1)
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
