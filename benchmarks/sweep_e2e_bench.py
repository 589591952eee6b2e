"""Benchmark: one whole sweep (ARP, SNMP, nmap) end to end from the shell, against a careful admin.

    sudo .venv/bin/python benchmarks/sweep_e2e_bench.py [--runs 3] [--live 1000] [--agents 100]

Builds ``netdiscover_lab.sweep_lab`` (a /20 segment, ``--live`` hosts, ``--agents`` of them
snmpsim agents serving corpus recordings, ``--services`` serving TCP), then alternates, in the
scanner namespace:

- ours: ``netdiscover -v scan /20 -m arp -m snmp -m nmap --nmap-profile quick --format json``
  (``-v`` only for the per-method times it logs)
  (a fresh copy of an already migrated SQLite database each run: the user has a database);
- the admin, one step after another: ``arp-scan`` of the /20, ``snmpget`` of sysDescr,
  sysObjectID and sysName against every host it found, 32 at a time (``-t1 -r1``), then
  ``nmap -n -Pn -p <the quick profile's ports> <the found hosts>``.

One untimed sweep first warms snmpsim (``--no-warm`` to skip it). Prints each run's wall time and
CPU time (the process and what it ran), when each method ran (ours: from the ``-v`` log, each
line timed as it arrives: a method's end, and its start from the time it logs; start-up before
the first method, storing after the last; the admin: each step), hosts found, agents that
answered (ours: an SNMP host observation at the agent's address, and how many of those got a
device class; the admin: sysDescr came back) and open ports listed, the medians, the ratio and
the load average before each run. ``--json FILE`` writes all of it, with the timeline of each
side's median run, for ``run_all.py``'s chart of the time split by method. Not a test.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import resource
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from netdiscover.scanners.nmap.args import COMMON_TCP  # noqa: E402
from netdiscover_lab.netns import Lab, LabError, lab_unavailable_reason  # noqa: E402
from netdiscover_lab.sweep_lab import SweepLab, sweep_lab  # noqa: E402

NETDISCOVER = str(Path(sys.executable).with_name("netdiscover"))
SYSTEM_OIDS = "1.3.6.1.2.1.1.1.0 1.3.6.1.2.1.1.2.0 1.3.6.1.2.1.1.5.0"
ADMIN = r"""
set -u
t0=$(date +%s.%N)
arp-scan -I eth0 -q -x {net} > "$W/arp.txt"
awk '{{print $1}}' "$W/arp.txt" | sort -u -V > "$W/hosts.txt"
t1=$(date +%s.%N)
xargs -P32 -I{{}} sh -c 'snmpget -v2c -cpublic -t1 -r1 -On -Oq {{}} {oids} 2>/dev/null | sed "s/^/{{}} /"' \
    < "$W/hosts.txt" > "$W/snmp.txt"
t2=$(date +%s.%N)
nmap -n -Pn -p {ports} -oG "$W/nmap.txt" $(cat "$W/hosts.txt") > /dev/null
t3=$(date +%s.%N)
echo "$t0 $t1 $t2 $t3"
"""


def loadavg() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


class Timed:
    """A finished command: its output, its stderr lines each with the second it arrived (from the
    start), its wall time and the CPU time it and its children used."""

    def __init__(self, ns: str, cmd: list[str], timeout: float, env: dict[str, str] | None = None) -> None:
        cpu = resource.getrusage(resource.RUSAGE_CHILDREN)
        started = time.perf_counter()
        proc = subprocess.Popen(["ip", "netns", "exec", ns, *cmd], stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, stdin=subprocess.DEVNULL, text=True, env=env)
        self.lines: list[tuple[float, str]] = []

        def read_stderr() -> None:
            for line in proc.stderr:  # type: ignore[union-attr]
                self.lines.append((time.perf_counter() - started, line.rstrip("\n")))

        reader = threading.Thread(target=read_stderr, daemon=True)
        reader.start()
        killer = threading.Timer(timeout, proc.kill)
        killer.start()
        try:
            self.stdout = proc.stdout.read()  # type: ignore[union-attr]
            self.returncode = proc.wait()
        finally:
            killer.cancel()
        reader.join(10)
        self.seconds = time.perf_counter() - started
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        self.cpu_s = (after.ru_utime - cpu.ru_utime) + (after.ru_stime - cpu.ru_stime)
        self.stderr = "\n".join(line for _, line in self.lines)


METHOD_LINE = re.compile(r"method (\w+): \w+, \d+ observations in ([\d.]+)s")


def our_timeline(lines: list[tuple[float, str]], total: float) -> dict[str, list[float]]:
    """When each method ran, from the moment its closing log line arrived and the time it logged;
    start-up before the first method, storing (fingerprints, reconciliation, output) after the last."""
    spans: dict[str, list[float]] = {}
    for at, line in lines:
        match = METHOD_LINE.search(line)
        if match:
            spans[match.group(1)] = [round(max(0.0, at - float(match.group(2))), 3), round(at, 3)]
    if not spans:
        return {}
    first = min(s[0] for s in spans.values())
    last = max(s[1] for s in spans.values())
    return {"start-up": [0.0, first], **spans, "store": [last, round(total, 3)]}


def run_ours(lab: Lab, built: SweepLab, template: Path, work: Path, program: str = NETDISCOVER) -> dict:
    db = work / "run.db"
    shutil.copyfile(template, db)
    cmd = [program, "-v", "--db", f"sqlite:///{db}", "scan", built.network, "-m", "arp", "-m", "snmp",
           "-m", "nmap", "--nmap-profile", "quick", "--format", "json"]
    run = Timed(built.scanner_ns, cmd, timeout=1200)
    if run.returncode != 0:
        raise RuntimeError(f"netdiscover scan failed ({run.returncode}): {run.stderr.strip()[-500:]}")
    assets = json.loads(run.stdout)
    timeline = our_timeline(run.lines, run.seconds)
    methods = {m: round(end - start, 3) for m, (start, end) in timeline.items()}
    return {"seconds": run.seconds, "cpu_s": run.cpu_s, **{f"{k}_s": v for k, v in methods.items()},
            **score_ours(assets, built, db), "timeline": timeline,
            "warnings": [ln for ln in run.stderr.splitlines() if ln.startswith("warning:")][:5]}


def _ips(asset: dict) -> set[str]:
    found = set(asset.get("ips") or [])
    if asset.get("ip"):
        found.add(asset["ip"])
    return found


def score_ours(assets: list[dict], built: SweepLab, db: Path) -> dict:
    """Hosts found, agents that answered SNMP (a host observation from SNMP at their address, read
    from the sweep's database: an asset's methods also name SNMP when a router reported it) and of
    those the ones given a device class, open ports listed at the serving hosts."""
    hosts = set(built.net.hosts)
    by_ip = {ip: a for a in assets for ip in _ips(a)}
    with sqlite3.connect(db) as conn:
        answered = {row[0] for row in conn.execute(
            "SELECT ip FROM observations WHERE method = 'snmp' AND kind = 'host'")} & set(built.agents)
    classed = {ip for ip in answered
               if (by_ip.get(ip) or {}).get("device_class") not in (None, "", "unknown")}
    ports = 0
    for ip, wanted in built.services.items():
        listed = {int(s["port"]) for s in (by_ip.get(ip) or {}).get("services") or [] if s.get("port")}
        ports += len(listed & set(wanted))
    return {"hosts": len(hosts & set(by_ip)), "agents": len(answered), "agents_classed": len(classed),
            "open_ports": ports}


def run_admin(lab: Lab, built: SweepLab, work: Path) -> dict:
    script = ADMIN.format(net=built.network, oids=SYSTEM_OIDS, ports=COMMON_TCP)
    proc = Timed(built.scanner_ns, ["bash", "-c", script], timeout=1800, env={**os.environ, "W": str(work)})
    if proc.returncode != 0:
        raise RuntimeError(f"admin script failed ({proc.returncode}): {proc.stderr.strip()[-500:]}")
    t0, t1, t2, t3 = (float(x) for x in proc.stdout.split()[-4:])
    hosts = set((work / "hosts.txt").read_text().split()) & set(built.net.hosts)
    answered = {line.split()[0] for line in (work / "snmp.txt").read_text().splitlines()
                if " .1.3.6.1.2.1.1.1.0 " in line}
    ports = 0
    for line in (work / "nmap.txt").read_text().splitlines():
        match = re.match(r"Host: (\S+) .*Ports: (.*)", line)
        if match and match.group(1) in built.services:
            open_ports = {int(p.split("/")[0]) for p in match.group(2).split(", ") if "/open/" in p}
            ports += len(open_ports & set(built.services[match.group(1)]))
    # the script's clock starts a few milliseconds after ours: its steps are placed from its end
    lead = proc.seconds - (t3 - t0)
    timeline = {step: [round(lead + a - t0, 3), round(lead + b - t0, 3)]
                for step, a, b in (("arp", t0, t1), ("snmp", t1, t2), ("nmap", t2, t3))}
    return {"seconds": proc.seconds, "cpu_s": proc.cpu_s, "arp_s": t1 - t0, "snmp_s": t2 - t1,
            "nmap_s": t3 - t2, "hosts": len(hosts), "agents": len(answered & set(built.agents)),
            "open_ports": ports, "timeline": timeline}


def migrated_database(work: Path, program: str = NETDISCOVER, name: str = "template.db") -> Path:
    template = work / name
    cmd = [program, "--db", f"sqlite:///{template}", "assets", "list", "--format", "json"]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    if proc.returncode != 0:
        raise RuntimeError(f"could not prepare the database: {proc.stderr.strip()[-300:]}")
    return template


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--live", type=int, default=1000)
    parser.add_argument("--agents", type=int, default=100)
    parser.add_argument("--services", type=int, default=30)
    parser.add_argument("--network", default="10.77.0.0/20")
    parser.add_argument("--only", choices=("ours", "admin"), help="run one side only (for tuning)")
    parser.add_argument("--baseline", metavar="NETDISCOVER",
                        help="also time this netdiscover executable (e.g. an earlier checkout's) each round")
    parser.add_argument("--no-warm", dest="warm", action="store_false",
                        help="skip the untimed first sweep that warms the simulator's caches")
    parser.add_argument("--json", type=Path,
                        help="also write every run and the medians here (for run_all.py)")
    args = parser.parse_args()
    reason = lab_unavailable_reason()
    if reason:
        print(f"error: {reason}", file=sys.stderr)
        return 2
    work = Path(tempfile.mkdtemp(prefix="nd-e2e-bench-"))
    work.chmod(0o755)
    built = None
    rows: dict[str, list[dict]] = {"ours": [], "admin": [], "baseline": []}
    try:
        with Lab() as lab:
            began = time.perf_counter()
            built = sweep_lab(lab, work, network=args.network, live=args.live, agents=args.agents,
                              services=args.services)
            print(f"lab built in {time.perf_counter() - began:.0f} s: {built.expected()} "
                  f"({len(built.silent_agents)} agents silent at warm-up)", flush=True)
            template = migrated_database(work)
            if args.warm:
                # snmpsim builds its index of a recording on the first walk of it (seconds for a large
                # one): a simulator cost a real device does not have, paid here outside the figures
                res = run_ours(lab, built, template, work)
                print(f"warm-up sweep (not counted): {res['seconds']:.1f} s, load {loadavg()}", flush=True)
            sides = [s for s in ("ours", "admin") if args.only in (None, s)]
            if args.baseline:
                sides.append("baseline")
                base_template = migrated_database(work, args.baseline, "baseline.db")
            for run in range(args.runs):
                for side in sides:
                    load = loadavg()
                    if side == "ours":
                        res = run_ours(lab, built, template, work)
                    elif side == "baseline":
                        res = run_ours(lab, built, base_template, work, args.baseline)
                    else:
                        res = run_admin(lab, built, work)
                    res["load"] = load
                    rows[side].append(res)
                    print(f"run {run + 1} {side:8}: " + json.dumps({k: v for k, v in res.items()
                                                                    if k != "timeline"}), flush=True)
    except (LabError, RuntimeError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    finally:
        if built is not None:
            built.restore_gc()
    report(rows, built)
    if args.json:
        args.json.write_text(json.dumps(figures(rows, built, args), indent=1))
    return 0


def median_run(runs: list[dict]) -> dict:
    """The run of median wall time (the lower middle one of an even count)."""
    return sorted(runs, key=lambda r: r["seconds"])[(len(runs) - 1) // 2]


def figures(rows: dict[str, list[dict]], built: SweepLab | None, args: argparse.Namespace) -> dict:
    """Everything measured, the medians, and each side's median run (its timeline is the chart's)."""
    sides = {side: res for side, res in rows.items() if res}
    return {
        "network": args.network, "live": args.live, "agents": args.agents, "services": args.services,
        "expected": built.expected() if built else None, "cpus": os.cpu_count(), "runs": sides,
        "medians": {side: {"seconds": statistics.median(r["seconds"] for r in res),
                           "cpu_s": statistics.median(r["cpu_s"] for r in res)}
                    for side, res in sides.items()},
        "median_run": {side: median_run(res) for side, res in sides.items()},
        "loads": [r["load"] for res in sides.values() for r in res],
    }


def report(rows: dict[str, list[dict]], built: SweepLab | None) -> None:
    print(f"\nexpected: {built.expected() if built else '?'}; cores: {os.cpu_count()}")
    med = {side: statistics.median(r["seconds"] for r in res) for side, res in rows.items() if res}
    for side, res in rows.items():
        if not res:
            continue
        worst = {k: min(r[k] for r in res) for k in ("hosts", "agents", "agents_classed", "open_ports")
                 if k in res[0]}
        times = ", ".join(f"{r['seconds']:.1f}" for r in res)
        cpu = statistics.median(r["cpu_s"] for r in res)
        print(f"  {side:8}: median {med[side]:6.1f} s, CPU {cpu:.1f} s (runs: {times}); "
              f"worst run found {worst}")
        spans = median_run(res)["timeline"]
        print("            median run: " + ", ".join(f"{k} {a:.1f}-{b:.1f} s" for k, (a, b) in spans.items()))
    if "ours" in med and "admin" in med:
        print(f"  ratio ours/admin: {med['ours'] / med['admin']:.2f}")
    if "ours" in med and "baseline" in med:
        print(f"  ratio ours/baseline: {med['ours'] / med['baseline']:.2f}")


if __name__ == "__main__":
    raise SystemExit(main())
