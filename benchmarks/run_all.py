"""Run the benchmarks and write their figures to docs/performance/ (Markdown table + PNG charts).

By default: start-up (startup_bench.py) and reports on large databases (report_bench.py, SQLite
and, given --pg or NETDISCOVER_TEST_PG, PostgreSQL) at each --sizes database size. The
network benchmarks (arp_bench.py, snmp_bench.py, nmap_bench.py, reconcile_bench.py, ...) need
root and a lab and run for many minutes; add them with --with NAME, their output is kept as text.
Every figure page states the machine (CPUs, load average) it was taken on.

Charts need matplotlib (pip install -e '.[bench]'); without it only the Markdown is written.

Usage: python benchmarks/run_all.py [--sizes 10000,100000] [--pg URL] [--repeat 3] [--with arp_bench]
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


def markdown(startup: dict, reports: list[dict], extra: dict[str, str]) -> str:
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
              "| assets | backend | command | time | peak memory | target | met |",
              "|---:|---|---|---:|---:|---|---|"]
    for run in reports:
        for r in run["results"]:
            target = f"< {r['target_s']:g} s" + (f", < {r['target_mb']} MB" if r["target_mb"] else "")
            lines.append(f"| {run['seed']:,} | {r['backend']} | `{r['command']}` | {r['seconds']:.2f} s | "
                         f"{r['peak_mb']:.0f} MB | {target} | {'yes' if r['met'] else '**no**'} |")
    loads = ", ".join(f"{run['load']:.1f}" for run in reports)
    lines += ["", f"Medians of each command's runs; load average at the end of each run: {loads}.", ""]
    if (OUT / "NOTES.md").exists():
        lines += ["Notes, earlier figures and where the time goes: [NOTES.md](NOTES.md).", ""]
    charts = sorted(p.name for p in OUT.glob("*.png"))
    if charts:
        lines += ["## Charts", ""] + [f"![{c}]({c})" for c in charts] + [""]
    for name, text in extra.items():
        lines += [f"## {name}", "", "```", text.strip(), "```", ""]
    return "\n".join(lines)


def charts(startup: dict, reports: list[dict]) -> None:
    try:
        import matplotlib
    except ImportError:
        print("matplotlib not installed: no charts (pip install -e '.[bench]')")
        return
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    note = f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}"
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
    args = parser.parse_args()
    OUT.mkdir(parents=True, exist_ok=True)
    startup = run_json("startup_bench.py", ["--runs", str(args.startup_runs)])
    reports = []
    for size in (int(s) for s in args.sizes.split(",") if s.strip()):
        extra_args = ["--seed", str(size), "--repeat", str(args.repeat)]
        extra_args += ["--pg", args.pg] if args.pg else ["--only", "sqlite"]
        reports.append(run_json("report_bench.py", extra_args))
    extra = {}
    for name in args.extra:
        print(f"-- {name}.py", flush=True)
        proc = subprocess.run([sys.executable, str(HERE / f"{name}.py")], capture_output=True, text=True,
                              check=False)
        extra[f"{name}.py (exit {proc.returncode})"] = proc.stdout[-6000:] + proc.stderr[-2000:]
    (OUT / "figures.json").write_text(json.dumps({"startup": startup, "reports": reports}, indent=1))
    charts(startup, reports)
    (OUT / "README.md").write_text(markdown(startup, reports, extra), encoding="utf-8")
    print(f"wrote {OUT / 'README.md'}")


if __name__ == "__main__":
    main()
