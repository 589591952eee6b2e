"""Run the benchmarks and write their figures to docs/performance/ (Markdown table + PNG charts).

By default: start-up (startup_bench.py) and reports on large databases (report_bench.py, SQLite
and, given --pg or NETDISCOVER_TEST_PG, PostgreSQL) at each --sizes database size. With
--network (root, namespace labs, 20-40 minutes), also the network benchmarks, each against its
reference tool in the same run: ARP sweeps of a /24, a /20 and a /16 against arp-scan and nmap
(arp_bench.py, arp_large_bench.py), SNMP against net-snmp (snmp_bench.py: system-group sweep vs
snmpget; snmp_interrogation_bench.py: full interrogation vs snmpbulkwalk), the nmap scanner
against the same nmap command (nmap_bench.py) and one whole sweep of a /20 (ARP, SNMP, nmap)
against a careful admin's arp-scan, snmpget and nmap one after another (sweep_e2e_bench.py,
charted as the time split by method). --only network|startup|reports reruns one part
and keeps the others' figures from the last docs/performance/figures.json. Other benchmarks
can be added with --with NAME; their output is kept as text.
Every figure page states the machine (CPUs, load average) it was taken on.

Charts need matplotlib (pip install -e '.[bench]'); without it only the Markdown is written.

Usage: python benchmarks/run_all.py [--sizes 10000,100000] [--pg URL] [--repeat 3] [--network]
       [--only network] [--with NAME]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
OUT = HERE.parent / "docs" / "performance"


def run_json(script: str, args: list[str]) -> dict:
    with tempfile.NamedTemporaryFile(suffix=".json", delete=False) as tmp:
        target = Path(tmp.name)
    try:
        print(f"-- {script} {' '.join(args)}", flush=True)
        subprocess.run([sys.executable, str(HERE / script), *args, "--json", str(target)], check=True)
        return json.loads(target.read_text())
    finally:
        target.unlink(missing_ok=True)


def machine() -> str:
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    return (f"{os.cpu_count()} CPUs ({platform.machine()}, {platform.processor() or 'cpu'}), "
            f"load average {load} (1, 5, 15 min) when the page was written, "
            f"Python {platform.python_version()}")


NETWORK = {  # name -> (script, arguments besides --json; {runs} is --network-runs)
    "arp": ("arp_bench.py", ["--runs", "{runs}"]),
    "arp16": ("arp_large_bench.py", ["--runs", "{runs}"]),
    "snmp": ("snmp_bench.py", ["--repeat", "{runs}"]),
    "snmp_full": ("snmp_interrogation_bench.py", ["--repeat", "{runs}"]),
    "nmap": ("nmap_bench.py", ["--runs", "{runs}"]),
    "nmap_e2e": ("nmap_e2e_bench.py", ["--runs", "{runs}"]),
    "e2e": ("sweep_e2e_bench.py", ["--runs", "{runs}"]),
}
E2E_STEPS = {"start-up": "start-up", "arp": "ARP", "snmp": "SNMP", "nmap": "nmap",
             "store": "fingerprint, store, output"}
E2E_SIDES = {"ours": "netdiscover", "baseline": "netdiscover (baseline)", "admin": "admin, step by step"}
E2E_ADMIN_TOOLS = {"arp": "arp-scan", "snmp": "snmpget -P32", "nmap": "nmap"}
SUBNET_SIZES = {"10.77.0.0/24": 254, "10.77.0.0/20": 4094}
SUBNET_LIVE = {"10.77.0.0/24": 80, "10.77.0.0/20": 1000}      # arp_bench.py's lab


def run_network(runs: int) -> dict:
    """Every network benchmark, one after another; a failing one is recorded, not fatal."""
    results: dict = {}
    for name, (script, args) in NETWORK.items():
        try:
            results[name] = run_json(script, [a.format(runs=runs) for a in args])
        except (subprocess.CalledProcessError, json.JSONDecodeError, OSError) as exc:
            print(f"   {script} failed: {exc}", flush=True)
            results[name] = {"error": str(exc)}
    return results


def _arp_rows(arp: dict, arp16: dict) -> list[str]:
    rows = []
    for target, tools in arp.get("targets", {}).items():
        # defaults are compared with netdiscover's defaults, fast settings with arp-scan's
        ref = {group: next((v["median_s"] for v in tools.values()
                            if v["group"] == group and v["ours"] == (group == "default")), None)
               for group in ("default", "tuned")}
        for name, v in tools.items():
            base = ref[v["group"]]
            ratio = f"{v['median_s'] / base:.2f}x" if base and v["median_s"] != base else "reference"
            rows.append(f"| {target} | {SUBNET_LIVE.get(target, '')} | {name} | {v['median_s']:.3f} s "
                        f"| {v['recall_min']:.1%} | {ratio} |")
    for row in arp16.get("rows", []):
        ratio = f"{row['ratio']:.2f}x {row['reference']}" if row["ratio"] else "reference"
        rows.append(f"| {arp16['network']} | {arp16['live']:,} | {row['tool']} | {row['median_s']:.3f} s "
                    f"| {row['recall_min']:.1%} | {ratio}; peak {row['peak_mb']:.0f} MB |")
    return rows


def _snmp_rows(snmp: dict, full: dict) -> list[str]:
    rows = []
    if "medians" in snmp:
        m = snmp["medians"]
        rows.append(f"| system-group sweep of {snmp['agents']} agents | {m['nd_basic']:.3f} s "
                    f"| {m['get_par']:.3f} s (snmpget, xargs -P32) | {m['nd_basic'] / m['get_par']:.2f} "
                    f"| in process; {m['nd_basic_proc']:.3f} s with start-up; answered "
                    f"{snmp['answered']} / {snmp['answered_xargs']}; load {snmp['load']:.1f} |")
    if "medians" in full:
        m = full["medians"]
        rows.append(f"| full interrogation of {full['agents']} agents, {full['parallel']} at a time "
                    f"| {m['netdiscover']:.2f} s | {m['net-snmp']:.2f} s (snmpbulkwalk -Cr{full['reps']}) "
                    f"| {m['netdiscover'] / m['net-snmp']:.2f} "
                    f"| varbinds {full['netdiscover_varbinds']:,} / {full['netsnmp_varbinds']:,}; "
                    f"simulator CPU {m['agents_cpu_netdiscover']:.1f} s / {m['agents_cpu_net-snmp']:.1f} s; "
                    f"load {'; '.join(full['loads'])} |")
    return rows


def network_load(net: dict) -> str:
    """The range of 1-minute load averages recorded by the network benchmarks."""
    loads = [net.get("arp", {}).get("load"), net.get("snmp", {}).get("load")]
    loads += [float(r.split()[0]) for row in net.get("arp16", {}).get("rows", []) for r in row["loads"]]
    loads += [float(r.split()[0]) for r in net.get("snmp_full", {}).get("loads", [])]
    loads += [v.get("load") for v in net.get("nmap", {}).get("cases", {}).values()]
    loads += [float(r.split()[0]) for r in net.get("e2e", {}).get("loads", [])]
    known = [x for x in loads if x is not None]
    return f"load average {min(known):.1f}-{max(known):.1f} during the runs" if known else "load not recorded"


def network_markdown(net: dict) -> list[str]:
    lines = ["## Network scans against the reference tools", "",
             "Each table comes from one run of its benchmark, netdiscover and the reference tool "
             "alternating in the same lab; wall time of the whole process unless stated. "
             f"{os.cpu_count()} CPUs, {network_load(net)} (other work shared the machine).", ""]
    arp, arp16 = net.get("arp", {}), net.get("arp16", {})
    if "targets" in arp or "rows" in arp16:
        lines += ["### ARP sweeps", "",
                  "| target | live hosts | tool | median | recall (worst run) | vs reference |",
                  "|---|---:|---|---:|---:|---|", *_arp_rows(arp, arp16), ""]
        if "load" in arp:
            lines.append(f"/24 and /20: {arp['runs']} runs each; load average at the end {arp['load']:.1f}.")
        if arp16.get("rows"):
            lines.append(f"/16: load average per run {'; '.join(arp16['rows'][0]['loads'])}.")
        lines.append("")
    snmp, full = net.get("snmp", {}), net.get("snmp_full", {})
    if "medians" in snmp or "medians" in full:
        lines += ["### SNMP", "", "| what | netdiscover | net-snmp | ratio | notes |",
                  "|---|---:|---:|---:|---|", *_snmp_rows(snmp, full), ""]
    nmap = net.get("nmap", {})
    if "cases" in nmap:
        lines += ["### nmap scanner against the same nmap command", "",
                  "| case | nmap alone | netdiscover scan + store | ratio | load |",
                  "|---|---:|---:|---:|---:|"]
        for case, v in nmap["cases"].items():
            lines.append(f"| {case} | {v['direct_s']:.3f} s | {v['netdiscover_s']:.3f} s "
                         f"| {v['ratio']:.3f} | {v['load']:.1f} |")
        lines.append("")
    nmap_e2e = net.get("nmap_e2e", {})
    if nmap_e2e.get("rows"):
        lines += ["### `scan -m nmap` from the shell against the nmap runs it made, replayed alone", "",
                  "| case | hosts | open ports | nmap alone | netdiscover | CPU | ratio | load |",
                  "|---|---:|---:|---:|---:|---:|---:|---:|"]
        for r in nmap_e2e["rows"]:
            who = "" if r["program"] == "netdiscover" else f" ({r['program']})"
            hosts, ports = (min(v) if isinstance(v, list) else v for v in (r["hosts"], r["open_ports"]))
            lines.append(f"| {r['case']}{who} | {hosts} | {ports} | {r['nmap_alone_s']:.2f} s "
                         f"| {r['netdiscover_s']:.2f} s | {r['netdiscover_cpu_s']:.2f} s | {r['ratio']:.2f} "
                         f"| {r['load']:.1f} |")
        lines += ["", "Target: at most 1.10x the nmap command lines replayed alone.", ""]
    e2e = net.get("e2e", {})
    if "median_run" in e2e:
        lines += _e2e_markdown(e2e)
    failed = [name for name, v in net.items() if "error" in v]
    if failed:
        lines += [f"Not measured in this run (the benchmark failed): {', '.join(failed)}.", ""]
    return lines


def _steps(timeline: dict[str, list[float]]) -> list[tuple[str, list[float]]]:
    """A sweep's steps in the order of E2E_STEPS (others after them)."""
    order = list(E2E_STEPS)
    return sorted(timeline.items(), key=lambda item: order.index(item[0]) if item[0] in order else len(order))


def _e2e_markdown(e2e: dict) -> list[str]:
    expected = e2e.get("expected") or {}
    lines = [f"### One whole sweep: `scan {e2e['network']} -m arp -m snmp -m nmap --nmap-profile quick`", "",
             f"{e2e['live']:,} live hosts, {e2e['agents']} of them SNMP agents, {e2e['services']} serving "
             f"TCP ({expected.get('open_ports', '?')} open ports); the admin runs arp-scan, then snmpget of "
             "the system group 32 hosts at a time, then nmap of the same ports, one after another. Each "
             "side's steps are those of its median run (netdiscover's overlap). Target: under 30 s and no "
             "slower than the admin.", "",
             "| side | median | CPU | steps of the median run | hosts | agents | open ports |",
             "|---|---:|---:|---|---:|---:|---:|"]
    for side, run in e2e["median_run"].items():
        med = e2e["medians"][side]
        steps = ", ".join(f"{E2E_STEPS.get(k, k)} {b - a:.1f} s" for k, (a, b) in _steps(run["timeline"]))
        classed = f" ({run['agents_classed']} classed)" if "agents_classed" in run else ""
        lines.append(f"| {E2E_SIDES.get(side, side)} | {med['seconds']:.1f} s | {med['cpu_s']:.1f} s "
                     f"| {steps} | {run['hosts']:,} | {run['agents']}{classed} | {run['open_ports']} |")
    runs = e2e["runs"]
    lines += ["", f"{len(runs.get('ours', []))} runs per side, alternating; load average before each run: "
              f"{'; '.join(e2e['loads'])}.", ""]
    return lines


def markdown(startup: dict, reports: list[dict], extra: dict[str, str], net: dict | None = None) -> str:
    lines = ["# Performance figures", "",
             f"Taken {datetime.now(UTC):%Y-%m-%d %H:%M} UTC on {machine()}. "
             "Written by `benchmarks/run_all.py`; every figure is end to end, a fresh process as a "
             "user runs it.", "",
             f"## Start-up (median of {startup['runs']} runs; load average {startup['load']:.1f})", "",
             "| command | median | fastest | heavy libraries imported |", "|---|---:|---:|---|"]
    for r in startup["results"]:
        lines.append(f"| `{r['command']}` | {r['median_s']:.3f} s | {r['min_s']:.3f} s | "
                     f"{', '.join(r['heavy_imports']) or 'none'} |")
    lines += ["", "Target: `--version` and `--help` under 0.3 s.", "",
              "## Reports on large databases", "",
              "| assets | backend | command | time | CPU | previous code, same run | peak memory "
              "| target | met |",
              "|---:|---|---|---:|---:|---:|---:|---|---|"]
    for run in reports:
        for r in run["results"]:
            target = f"< {r['target_s']:g} s" + (f", < {r['target_mb']} MB" if r["target_mb"] else "")
            before = r.get("before")
            previous = f"{before['seconds']:.2f} s" if before else "-"
            cpu = f"{r['cpu_seconds']:.2f} s" if "cpu_seconds" in r else "-"
            met = "yes" if r["met"] else "**no**"
            lines.append(f"| {run['seed']:,} | {r['backend']} | `{r['command']}` | {r['seconds']:.2f} s "
                         f"| {cpu} | {previous} | {r['peak_mb']:.0f} MB | {target} | {met} |")
    loads = ", ".join(f"{run['load']:.1f}" for run in reports)
    lines += ["", f"Medians of each command's runs; load average at the end of each run: {loads}.", ""]
    if net:
        lines += network_markdown(net)
    if (OUT / "NOTES.md").exists():
        lines += ["Notes, earlier figures and where the time goes: [NOTES.md](NOTES.md).", ""]
    if (OUT / "NETWORK.md").exists():
        lines += ["Where the network scans' time goes, and what changed: [NETWORK.md](NETWORK.md).", ""]
    charts = sorted(p.name for p in OUT.glob("*.png"))
    if charts:
        lines += ["## Charts", ""] + [f"![{c}]({c})" for c in charts] + [""]
    for name, text in extra.items():
        lines += [f"## {name}", "", "```", text.strip(), "```", ""]
    return "\n".join(lines)


def network_charts(net: dict, plt: Any, note: str) -> None:
    arp, arp16 = net.get("arp", {}), net.get("arp16", {})
    # one line per tool and setting; at each size the fastest netdiscover setting of its kind
    series: dict[str, dict[int, float]] = {}

    def point(name: str, size: int, seconds: float) -> None:
        kind = ("netdiscover" if name.startswith("netdiscover") else "nmap" if name.startswith("nmap")
                else "arp-scan")
        label = f"{kind}, defaults" if "defaults" in name or kind == "nmap" else f"{kind}, fast settings"
        line = series.setdefault(label, {})
        line[size] = min(seconds, line.get(size, seconds))

    for target, tools in arp.get("targets", {}).items():
        for name, v in tools.items():
            point(name, SUBNET_SIZES.get(target, 0), v["median_s"])
    for row in arp16.get("rows", []):
        point(row["tool"], 65534, row["median_s"])
    if series:
        fig, ax = plt.subplots(figsize=(8, 4.5))
        for name, line in sorted(series.items()):
            points = sorted(line.items())
            style = "-" if name.startswith("netdiscover") else "--"
            ax.plot([p[0] for p in points], [p[1] for p in points], style, marker="o", label=name)
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel("addresses swept (/24, /20, /16)")
        ax.set_ylabel("seconds (median, whole process)")
        ax.set_title(f"ARP sweep time against subnet size ({note})\nfast settings: /24, /20 "
                     "--rate 100000 vs arp-scan -B10M -t100 -r1; /16 --rate 1000000 vs arp-scan -i 1u",
                     fontsize=9)
        ax.legend(fontsize=6)
        fig.tight_layout()
        fig.savefig(OUT / "arp_by_subnet.png", dpi=110)
        plt.close(fig)
    if "median_run" in net.get("e2e", {}):
        e2e_chart(net["e2e"], plt, note)
    bars: list[tuple[str, float, float, str]] = []
    snmp, full, nmap = net.get("snmp", {}), net.get("snmp_full", {}), net.get("nmap", {})
    if "medians" in snmp:
        bars.append((f"SNMP system sweep\n{snmp['agents']} agents", snmp["medians"]["nd_basic"],
                     snmp["medians"]["get_par"], "snmpget -P32"))
    if "medians" in full:
        bars.append((f"SNMP full interrogation\n{full['agents']} agents", full["medians"]["netdiscover"],
                     full["medians"]["net-snmp"], "snmpbulkwalk"))
    for case, v in nmap.get("cases", {}).items():
        bars.append((f"nmap {case}", v["netdiscover_s"], v["direct_s"], "nmap alone"))
    if bars:
        fig, ax = plt.subplots(figsize=(9, 4))
        xs = range(len(bars))
        ax.bar([x - 0.2 for x in xs], [b[1] for b in bars], width=0.4, label="netdiscover")
        ax.bar([x + 0.2 for x in xs], [b[2] for b in bars], width=0.4, label="reference tool")
        for x, b in zip(xs, bars, strict=True):
            ax.annotate(b[3], (x + 0.2, b[2]), ha="center", va="bottom", fontsize=7)
        ax.set_xticks(list(xs))
        ax.set_xticklabels([b[0] for b in bars], fontsize=7)
        ax.set_ylabel("seconds (median)")
        ax.set_title(f"SNMP and nmap against the reference tools ({note})", fontsize=10)
        ax.legend()
        fig.tight_layout()
        fig.savefig(OUT / "snmp_nmap.png", dpi=110)
        plt.close(fig)


def e2e_chart(e2e: dict, plt: Any, note: str) -> None:
    """Each side's median sweep as a timeline: one row per method, a bar from its start to its end."""
    rows: list[tuple[str, str, list[float]]] = []         # label, step, [start, end]
    for side, run in e2e["median_run"].items():
        name = f"{E2E_SIDES.get(side, side)} ({run['seconds']:.1f} s)"
        for step, span in _steps(run["timeline"]):
            tool = E2E_ADMIN_TOOLS.get(step, step) if side == "admin" else E2E_STEPS.get(step, step)
            rows.append((f"{name}: {tool}", step, span))
    colours = dict(zip(E2E_STEPS, ("#9e9e9e", "#5b7db1", "#e08a2c", "#4c9a5b", "#8c6bb1"), strict=True))
    fig, ax = plt.subplots(figsize=(9, 0.45 * len(rows) + 1.6))
    for y, (_, step, (start, end)) in enumerate(reversed(rows)):
        ax.broken_barh([(start, max(end - start, 0.05))], (y - 0.35, 0.7), color=colours.get(step, "#555"))
        ax.annotate(f"{end - start:.1f} s", (end, y), xytext=(3, 0), textcoords="offset points",
                    va="center", fontsize=7)
    ax.axvline(30, color="#b3261e", linestyle="--", linewidth=0.8, label="target 30 s")
    ax.set_yticks(range(len(rows)))
    ax.set_yticklabels([row[0] for row in reversed(rows)], fontsize=7)
    ax.set_xlabel("seconds from the command's start")
    ax.set_title(f"End-to-end time split by method: {e2e['network']}, {e2e['live']:,} hosts, "
                 f"{e2e['agents']} agents, {e2e['services']} serving TCP\n(median runs; {note})", fontsize=9)
    ax.legend(fontsize=7, loc="lower right")
    fig.tight_layout()
    fig.savefig(OUT / "e2e_split.png", dpi=110)
    plt.close(fig)


def charts(startup: dict, reports: list[dict], net: dict | None, redraw: set[str]) -> None:
    """Draw the charts of the parts in ``redraw`` (a chart of figures kept from an earlier run stays)."""
    try:
        import matplotlib
    except ImportError:
        print("matplotlib not installed: no charts (pip install -e '.[bench]')")
        return
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    note = f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}"
    if net and "network" in redraw:
        network_charts(net, plt, f"{os.cpu_count()} CPUs, {network_load(net)}")
    if "startup" not in redraw:
        startup = {"results": []}
    if "reports" not in redraw:
        reports = []
    if not startup["results"]:
        return _report_charts(reports, plt, note)
    fig, ax = plt.subplots(figsize=(7, 3))
    names = [r["command"] for r in startup["results"]]
    ax.barh(names, [r["median_s"] for r in startup["results"]], color="#5b7db1")
    ax.axvline(0.3, color="#b3261e", linestyle="--", label="target 0.3 s")
    ax.set_xlabel("seconds (median)")
    ax.set_title(f"Start-up ({note})", fontsize=10)
    ax.legend(loc="lower right")
    fig.tight_layout()
    fig.savefig(OUT / "startup.png", dpi=110)
    plt.close(fig)
    _report_charts(reports, plt, note)


def _report_charts(reports: list[dict], plt: Any, note: str) -> None:
    if not reports:
        return
    largest = max(reports, key=lambda run: run["seed"])
    commands = list(dict.fromkeys(r["command"] for r in largest["results"]))
    backends = list(dict.fromkeys(r["backend"] for r in largest["results"]))
    fig, ax = plt.subplots(figsize=(9, 4))
    width = 0.8 / max(1, len(backends))
    for i, backend in enumerate(backends):
        values = {r["command"]: r["seconds"] for r in largest["results"] if r["backend"] == backend}
        ax.bar([x + i * width for x in range(len(commands))], [values.get(c, 0) for c in commands],
               width=width, label=backend)
    targets = {r["command"]: r["target_s"] for r in largest["results"]}
    ax.scatter([x + width * (len(backends) - 1) / 2 for x in range(len(commands))],
               [targets[c] for c in commands], marker="_", s=900, color="#b3261e", label="target", zorder=3)
    ax.set_xticks([x + width * (len(backends) - 1) / 2 for x in range(len(commands))])
    ax.set_xticklabels([c.replace(" --format", "\n--format").replace(" --since", "\n--since")
                        for c in commands], fontsize=8)
    ax.set_ylabel("seconds")
    ax.set_title(f"Reports on {largest['seed']:,} assets ({note})", fontsize=10)
    ax.legend()
    fig.tight_layout()
    fig.savefig(OUT / "reports.png", dpi=110)
    plt.close(fig)

    if len({run["seed"] for run in reports}) > 1:
        fig, ax = plt.subplots(figsize=(7, 4))
        for backend in backends:
            for command in commands:
                points = sorted((run["seed"], r["seconds"]) for run in reports for r in run["results"]
                                if r["backend"] == backend and r["command"] == command)
                ax.plot([p[0] for p in points], [p[1] for p in points], marker="o",
                        label=f"{backend}: {command}")
        ax.set_xlabel("assets in the database")
        ax.set_ylabel("seconds")
        ax.set_title(f"Report time against database size ({note})", fontsize=10)
        ax.legend(fontsize=6)
        fig.tight_layout()
        fig.savefig(OUT / "reports_by_size.png", dpi=110)
        plt.close(fig)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="100000", help="Database sizes for the report benchmark.")
    parser.add_argument("--pg", default=os.environ.get("NETDISCOVER_TEST_PG"), help="PostgreSQL server URL")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--startup-runs", type=int, default=20)
    parser.add_argument("--with", dest="extra", action="append", default=[], metavar="NAME",
                        help="Also run benchmarks/NAME.py and keep its output (repeatable).")
    parser.add_argument("--network", action="store_true", help="Also run the network benchmarks (root).")
    parser.add_argument("--network-runs", type=int, default=3)
    parser.add_argument("--only", choices=("startup", "reports", "network"),
                        help="Run only this part; keep the others from the last figures.json.")
    parser.add_argument("--render", action="store_true",
                        help="Run nothing: rewrite the page and the network charts from figures.json.")
    args = parser.parse_args()
    OUT.mkdir(parents=True, exist_ok=True)
    previous = json.loads((OUT / "figures.json").read_text()) if (OUT / "figures.json").exists() else {}
    wanted = {args.only} if args.only else {"startup", "reports"} | ({"network"} if args.network else set())
    if args.render:
        wanted = set()
    if "network" in wanted and os.geteuid() != 0:
        parser.error("the network benchmarks build namespace labs and need root")
    startup = (run_json("startup_bench.py", ["--runs", str(args.startup_runs)]) if "startup" in wanted
               else previous.get("startup"))
    if startup is None:
        parser.error("no start-up figures yet: run without --only first")
    reports = previous.get("reports", []) if "reports" not in wanted else []
    for size in (int(s) for s in args.sizes.split(",") if s.strip() and "reports" in wanted):
        extra_args = ["--seed", str(size), "--repeat", str(args.repeat)]
        extra_args += ["--pg", args.pg] if args.pg else ["--only", "sqlite"]
        reports.append(run_json("report_bench.py", extra_args))
    net = run_network(args.network_runs) if "network" in wanted else previous.get("network")
    extra = {}
    for name in args.extra:
        print(f"-- {name}.py", flush=True)
        proc = subprocess.run([sys.executable, str(HERE / f"{name}.py")], capture_output=True, text=True,
                              check=False)
        extra[f"{name}.py (exit {proc.returncode})"] = proc.stdout[-6000:] + proc.stderr[-2000:]
    figures = {"startup": startup, "reports": reports} | ({"network": net} if net else {})
    (OUT / "figures.json").write_text(json.dumps(figures, indent=1))
    charts(startup, reports, net, wanted or {"network"})
    (OUT / "README.md").write_text(markdown(startup, reports, extra, net), encoding="utf-8")
    print(f"wrote {OUT / 'README.md'}")


if __name__ == "__main__":
    main()
