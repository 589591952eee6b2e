"""Benchmark: full SNMP interrogation of many agents against net-snmp's snmpbulkwalk of the same tables.

    sudo .venv/bin/python benchmarks/snmp_interrogation_bench.py [--agents 100] [--repeat 3]
        [--parallel 32] [--reps 25] [--profile FILE] [--json FILE]

Builds a namespace lab with one snmpsim process answering as ``--agents`` devices (real
recordings from the device corpus, one SNMP engine per address), then alternates, ``--repeat``
times, in the same run and from the scanner namespace:

- netdiscover: ``snmp_depth=full`` over every agent, ``snmp_concurrency`` = ``--parallel``
  (a fresh Python process; the time is taken inside it, around ``scan``, and from outside);
- net-snmp: ``snmpbulkwalk -Cr<reps>`` of each table the full interrogation reads (system,
  ifTable, ifXTable, ipAddrTable, ipAddressTable, entPhysicalTable, hrSWInstalledTable,
  ipNetToMediaTable, ipNetToPhysicalTable, dot1dTpFdbTable, dot1qTpFdbTable, lldpRemTable),
  one table after another per agent, ``--parallel`` agents at a time (``xargs -P``).

Each side's varbinds are counted (netdiscover: values in the replies; net-snmp: lines printed)
so the work done is on the table next to the time. Prints medians and the ratio. With
``--profile``, the last netdiscover run is profiled (cProfile) and the profile is written there.
Not a test: run by hand (needs root).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

from netaddr import IPSet

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from netdiscover.credentials import SnmpCredential  # noqa: E402
from netdiscover.fingerprints import training  # noqa: E402
from netdiscover.scanners.base import ScanContext  # noqa: E402
from netdiscover.scanners.snmp import scanner as snmp  # noqa: E402
from netdiscover_lab.netns import Lab  # noqa: E402
from netdiscover_lab.snmp_agents import start_snmpsim  # noqa: E402

CORPUS_ROOT = training.default_corpus()
CORPUS = CORPUS_ROOT / "snmp-public" / "snmprec"
TABLES = {
    "system": "1.3.6.1.2.1.1",
    "ifTable": "1.3.6.1.2.1.2.2",
    "ifXTable": "1.3.6.1.2.1.31.1.1",
    "ipAddrTable": "1.3.6.1.2.1.4.20",
    "ipAddressTable": "1.3.6.1.2.1.4.34",
    "entPhysicalTable": "1.3.6.1.2.1.47.1.1.1",
    "hrSWInstalledTable": "1.3.6.1.2.1.25.6.3",
    "ipNetToMediaTable": "1.3.6.1.2.1.4.22",
    "ipNetToPhysicalTable": "1.3.6.1.2.1.4.35",
    "dot1dTpFdbTable": "1.3.6.1.2.1.17.4.3",
    "dot1qTpFdbTable": "1.3.6.1.2.1.17.7.1.2.2",
    "lldpRemTable": "1.0.8802.1.1.2.1.4.1",
}
PUBLIC = SnmpCredential(version="2c", community="public", label="v2c#1")


def inner_full(ips: list[str], parallel: int, profile: str | None, options: dict | None = None) -> dict:
    """One netdiscover full interrogation of ``ips`` (runs inside the scanner namespace)."""
    clients: list = []
    original = snmp.SnmpClient

    def counting_client(*args: object, **kwargs: object):
        client = original(*args, **kwargs)
        clients.append(client)
        return client

    snmp.SnmpClient = counting_client  # type: ignore[assignment,misc]
    ctx = ScanContext(targets=IPSet(ips), credentials=[PUBLIC],
                      options={"snmp_depth": "full", "snmp_concurrency": parallel, **(options or {})})
    profiler = None
    if profile:
        import cProfile

        profiler = cProfile.Profile()
        profiler.enable()
    cpu = time.process_time()
    started = time.perf_counter()
    outcome = snmp.scan(ctx)
    elapsed = time.perf_counter() - started
    cpu = time.process_time() - cpu
    if profiler is not None:
        profiler.disable()
        profiler.dump_stats(profile)
    community = clients[0].community
    kinds: dict[str, int] = {}
    for obs in outcome.observations:
        kinds[obs.kind] = kinds.get(obs.kind, 0) + 1
    return {"seconds": elapsed, "cpu": cpu, "answered": kinds.get("host", 0), "observations": kinds,
            "requests": community.sent, "varbinds": community.varbinds,
            "messages": outcome.messages[:5], "problem_agents": outcome.stats.get("problem_agents")}


def agent_cpu(pid: int) -> float:
    """CPU seconds used so far by process ``pid`` and its descendants (the simulator's work)."""
    tick = os.sysconf("SC_CLK_TCK")
    stats: dict[int, tuple[int, float]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            stats[int(entry.name)] = (int(fields[1]), (int(fields[11]) + int(fields[12])) / tick)
    family, total = {pid}, 0.0
    for _ in range(8):                              # a few generations are plenty
        family |= {p for p, (parent, _) in stats.items() if parent in family}
    for p in family:
        total += stats.get(p, (0, 0.0))[1]
    return total


def bulkwalk_script(reps: int) -> str:
    walks = " ; ".join(f"snmpbulkwalk -v2c -cpublic -Cr{reps} -On -Oq $0 {oid}" for oid in TABLES.values())
    return walks


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--agents", type=int, default=100)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--parallel", type=int, default=32)
    parser.add_argument("--reps", type=int, default=25, help="snmpbulkwalk -Cr (max-repetitions)")
    parser.add_argument("--corpus", type=Path, default=CORPUS)
    parser.add_argument("--pick", choices=("first", "spread"), default="first",
                        help="the first --agents recordings in name order, or spread over the corpus")
    parser.add_argument("--profile", help="cProfile the last netdiscover run into this file")
    parser.add_argument("--json", type=Path, help="also write the figures here as JSON")
    parser.add_argument("--baseline", type=Path, help="another checkout (holding this script) to time "
                        "in the same runs, e.g. the code before a change")
    parser.add_argument("--variant", action="append", default=[], metavar="NAME:OPT=V,...",
                        help="also time netdiscover with these scanner options in each run, e.g. "
                        "reps25:snmp_max_repetitions=25 (repeatable)")
    parser.add_argument("--options", default="{}", help=argparse.SUPPRESS)
    parser.add_argument("--inner", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.inner:
        profile = args.inner[0] if args.inner[0] != "-" else None
        print(json.dumps(inner_full(args.inner[1:], args.parallel, profile, json.loads(args.options))))
        return 0

    recordings = sorted(p for p in args.corpus.glob("*.snmprec") if "@" not in p.name)
    if len(recordings) < args.agents:
        print(f"error: {len(recordings)} recordings in {args.corpus}, {args.agents} wanted", file=sys.stderr)
        return 2
    step = len(recordings) / args.agents if args.pick == "spread" else 1
    chosen = [recordings[int(i * step)] for i in range(args.agents)]
    # snmpsim caches its index of each data directory's recording: one directory per selection,
    # so that a directory never serves another recording through a stale index
    work = Path(tempfile.gettempdir()) / f"netdiscover-snmp-interrogation-bench-{args.pick}-{args.agents}"
    work.mkdir(exist_ok=True)
    work.chmod(0o755)
    rows: dict[str, list[float]] = {"netdiscover": [], "netdiscover_process": [], "netdiscover_cpu": [],
                                    "net-snmp": [], "baseline": [], "agents_cpu_netdiscover": [],
                                    "agents_cpu_net-snmp": []}
    loads: list[str] = []
    with Lab() as lab:
        seg = lab.segment()
        scanner = lab.host("scan", seg, "10.91.0.1/16")
        agents = lab.host("agents", seg, "10.91.0.2/16")
        devices: dict[str, Path] = {}
        for i, recording in enumerate(chosen):
            ip = f"10.91.{1 + i // 250}.{1 + i % 250}"
            lab.run(agents.ns, ["ip", "addr", "add", f"{ip}/16", "dev", "eth0"])
            devices[ip] = recording
        started = time.perf_counter()
        sim = start_snmpsim(lab, agents.ns, devices, work)
        print(f"snmpsim: {len(devices)} agents up and warmed in {time.perf_counter() - started:.1f} s"
              f" ({len(sim.silent)} silent)", flush=True)
        ips = list(devices)
        walk = ["xargs", f"-P{args.parallel}", "-I{}", "bash", "-c", bulkwalk_script(args.reps), "{}"]
        ours: dict = {}
        theirs = 0
        for run in range(args.repeat):
            profile = args.profile if args.profile and run == args.repeat - 1 else "-"
            sim_cpu = agent_cpu(sim.process.pid)
            began = time.perf_counter()
            proc = lab.run(scanner.ns, [sys.executable, str(Path(__file__).resolve()), "--parallel",
                                        str(args.parallel), "--inner", profile, *ips], timeout=900)
            rows["netdiscover_process"].append(time.perf_counter() - began)
            ours = json.loads(proc.stdout.strip().splitlines()[-1])
            rows["netdiscover"].append(ours["seconds"])
            rows["netdiscover_cpu"].append(ours["cpu"])
            rows["agents_cpu_netdiscover"].append(agent_cpu(sim.process.pid) - sim_cpu)
            if args.baseline:
                other = args.baseline / "benchmarks" / Path(__file__).name
                proc = lab.run(scanner.ns, [sys.executable, str(other), "--parallel", str(args.parallel),
                                            "--inner", "-", *ips], timeout=900)
                base = json.loads(proc.stdout.strip().splitlines()[-1])
                rows["baseline"].append(base["seconds"])
                print(f"       baseline {base['seconds']:.2f} s ({base['varbinds']} varbinds, "
                      f"{base['requests']} requests, CPU {base['cpu']:.2f} s)", flush=True)
            for variant in args.variant:
                name, _, spec = variant.partition(":")
                opts = {k: float(v) if "." in v else int(v)
                        for k, _, v in (item.partition("=") for item in spec.split(",") if item)}
                proc = lab.run(scanner.ns, [sys.executable, str(Path(__file__).resolve()), "--parallel",
                                            str(args.parallel), "--options", json.dumps(opts), "--inner", "-",
                                            *ips], timeout=900)
                res = json.loads(proc.stdout.strip().splitlines()[-1])
                rows.setdefault(f"variant {name}", []).append(res["seconds"])
                print(f"       variant {name} {opts}: {res['seconds']:.2f} s ({res['varbinds']} varbinds, "
                      f"{res['requests']} requests, {res['answered']} answered)", flush=True)
            sim_cpu = agent_cpu(sim.process.pid)
            began = time.perf_counter()
            proc = lab.run(scanner.ns, walk, check=False, timeout=900, input="\n".join(ips) + "\n")
            rows["net-snmp"].append(time.perf_counter() - began)
            rows["agents_cpu_net-snmp"].append(agent_cpu(sim.process.pid) - sim_cpu)
            theirs = sum(1 for line in proc.stdout.splitlines() if line.startswith("."))
            loads.append(" ".join(f"{x:.2f}" for x in os.getloadavg()))
            print(f"run {run + 1}: netdiscover {ours['seconds']:.2f} s ({ours['varbinds']} varbinds, "
                  f"{ours['requests']} requests, CPU {ours['cpu']:.2f} s), net-snmp "
                  f"{rows['net-snmp'][-1]:.2f} s ({theirs} varbinds); simulator CPU "
                  f"{rows['agents_cpu_netdiscover'][-1]:.2f} s / {rows['agents_cpu_net-snmp'][-1]:.2f} s; "
                  f"load {loads[-1]}", flush=True)

    m = {k: statistics.median(v) for k, v in rows.items() if v}
    print(f"\nfull interrogation of {len(ips)} agents, {args.parallel} at a time, median of {args.repeat}"
          f" (load average after each run: {'; '.join(loads)})")
    print(f"   netdiscover snmp_depth=full (in process)   {m['netdiscover']:7.2f} s  "
          f"{ours['varbinds']} varbinds in {ours['requests']} requests, {ours['answered']} agents answered")
    print(f"   netdiscover incl. Python start-up          {m['netdiscover_process']:7.2f} s")
    print(f"   snmpbulkwalk -Cr{args.reps}, {len(TABLES)} tables per agent   {m['net-snmp']:7.2f} s  "
          f"{theirs} varbinds")
    print(f"   ratio netdiscover / net-snmp               {m['netdiscover'] / m['net-snmp']:7.2f}")
    print(f"   simulator CPU per run: for netdiscover {m['agents_cpu_netdiscover']:.2f} s, "
          f"for net-snmp {m['agents_cpu_net-snmp']:.2f} s")
    for key in (k for k in m if k.startswith("variant ")):
        print(f"   netdiscover {key}: {m[key]:.2f} s, ratio to net-snmp {m[key] / m['net-snmp']:.2f}")
    if "baseline" in m:
        print(f"   baseline checkout {args.baseline}: {m['baseline']:.2f} s, "
              f"ratio to net-snmp {m['baseline'] / m['net-snmp']:.2f}")
    print(f"   observations: {ours['observations']}; problems: {ours['problem_agents']} agent(s) "
          f"{ours['messages'][:3]}")
    print(f"raw: {json.dumps({k: [round(x, 3) for x in v] for k, v in rows.items()})}")
    if args.json:
        args.json.write_text(json.dumps({
            "agents": len(ips), "parallel": args.parallel, "reps": args.reps, "repeat": args.repeat,
            "loads": loads, "cpus": os.cpu_count(), "medians": m, "raw": rows,
            "netdiscover_varbinds": ours["varbinds"], "netdiscover_requests": ours["requests"],
            "netsnmp_varbinds": theirs, "answered": ours["answered"], "observations": ours["observations"],
        }, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
