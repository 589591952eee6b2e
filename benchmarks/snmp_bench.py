"""Benchmark: netdiscover's SNMP sweep and table walks against net-snmp, on snmpsim agents in a lab.

    sudo .venv/bin/python benchmarks/snmp_bench.py [--agents 220] [--repeat 5] [--corpus DIR]

Builds a namespace lab with one snmpsim process answering as ``--agents`` devices (recordings
from the device corpus, one per address), then, in the same run and from the scanner namespace:

1. system-group sweep of every agent: netdiscover (``snmp_depth=basic``, the same 9 OIDs in one
   GET per agent) vs net-snmp ``snmpget`` of the same OIDs, sequential and ``xargs -P32``;
   plus netdiscover's ``system`` depth (the fingerprinting facts) for reference;
2. ifTable of one large agent: netdiscover's concurrent column walker vs ``snmpbulkwalk``;
3. full interrogation of that agent (``snmp_depth=full``) vs ``snmpbulkwalk`` of the same columns,
   one after another.

Prints medians of ``--repeat`` runs and the ratios. With ``--baseline CHECKOUT``, the system-group
sweeps of that checkout (e.g. the code before a change) are timed in the same runs too. Not a
test: run by hand (needs root).
"""

from __future__ import annotations

import argparse
import asyncio
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
from netdiscover.scanners.snmp import tables as t  # noqa: E402
from netdiscover.scanners.snmp.ber import oid_text  # noqa: E402
from netdiscover.scanners.snmp.client import SnmpClient  # noqa: E402
from netdiscover.scanners.snmp.walk import AgentSession, Limits  # noqa: E402
from netdiscover_lab.netns import Lab  # noqa: E402
from netdiscover_lab.snmp_agents import start_snmpsim  # noqa: E402

CORPUS_ROOT = training.default_corpus()
CORPUS = CORPUS_ROOT / "snmp-public" / "snmprec"
LARGE = "iosxe_c9600x-svl.snmprec"
SYSTEM_OIDS = [oid_text(o) for o in t.SYSTEM.values()]
IF_TABLE = "1.3.6.1.2.1.2.2"
IF_COLUMNS = [(*t.IF_ENTRY, c) for c in range(1, 23)]
PUBLIC = SnmpCredential(version="2c", community="public", label="v2c#1")


# -- measurements that run inside the scanner namespace --------------------------------------

def inner_sweep(ips: list[str], depth: str) -> dict:
    ctx = ScanContext(targets=IPSet(ips), credentials=[PUBLIC], options={"snmp_depth": depth})
    started = time.perf_counter()
    outcome = snmp.scan(ctx)
    elapsed = time.perf_counter() - started
    hosts = [o for o in outcome.observations if o.kind == "host"]
    return {"seconds": elapsed, "answered": len(hosts), "values": outcome.stats.get("requests_sent"),
            "messages": outcome.messages[:3]}


def inner_walk(ip: str) -> dict:
    async def run() -> dict:
        client = SnmpClient()
        session = AgentSession(client, ip, PUBLIC, Limits(max_column_rows=100_000, max_rows=200_000))
        started = time.perf_counter()
        cols = await session.walk_columns(IF_COLUMNS)
        elapsed = time.perf_counter() - started
        client.close()
        return {"seconds": elapsed, "values": sum(len(v) for v in cols.values()),
                "requests": session.requests, "problems": session.problems[:3]}

    return asyncio.run(run())


def inner_full(ip: str) -> dict:
    ctx = ScanContext(targets=IPSet([ip]), credentials=[PUBLIC], options={"snmp_depth": "full"})
    started = time.perf_counter()
    outcome = snmp.scan(ctx)
    elapsed = time.perf_counter() - started
    kinds: dict[str, int] = {}
    for obs in outcome.observations:
        kinds[obs.kind] = kinds.get(obs.kind, 0) + 1
    host = next((o for o in outcome.observations if o.kind == "host"), None)
    return {"seconds": elapsed, "observations": kinds, "interfaces": len(host.interfaces) if host else 0,
            "messages": outcome.messages[:3]}


def full_columns() -> list[str]:
    """The columns a full interrogation walks (for the net-snmp comparison)."""
    cols = [*snmp.table_columns("full"), t.ENT_CLASS, t.IP_ADDR_IFINDEX]
    return [oid_text(c) for c in cols]


# -- the outer driver ------------------------------------------------------------------------

def timed(lab: Lab, ns: str, cmd: list[str], stdin: str | None = None) -> float:
    return timed_output(lab, ns, cmd, stdin)[0]


def timed_output(lab: Lab, ns: str, cmd: list[str], stdin: str | None = None) -> tuple[float, str]:
    started = time.perf_counter()
    proc = lab.run(ns, cmd, check=False, timeout=600, input=stdin)
    return time.perf_counter() - started, proc.stdout


def inner(lab: Lab, ns: str, *args: str, script: Path | None = None) -> dict:
    """Run a measurement in ``ns`` with this script (or the same script of another checkout)."""
    script = script or Path(__file__).resolve()
    proc = lab.run(ns, [sys.executable, str(script), "--inner", *args], timeout=600)
    return json.loads(proc.stdout.strip().splitlines()[-1])


def median(values: list[float]) -> float:
    return statistics.median(values)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--agents", type=int, default=220)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--corpus", type=Path, default=CORPUS)
    parser.add_argument("--json", type=Path, help="also write the figures here as JSON (for run_all.py)")
    parser.add_argument("--baseline", type=Path, help="another checkout (holding this script) whose "
                        "system-group sweeps are timed in the same runs")
    parser.add_argument("--inner", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.inner:
        kind, rest = args.inner[0], args.inner[1:]
        if kind == "sweep":
            result = inner_sweep(rest[1:], rest[0])
        elif kind == "walk":
            result = inner_walk(rest[0])
        else:
            result = inner_full(rest[0])
        print(json.dumps(result))
        return 0

    recordings = sorted(p for p in args.corpus.glob("*.snmprec") if "@" not in p.name and p.name != LARGE)
    if len(recordings) < 10:
        print(f"error: too few recordings in {args.corpus}", file=sys.stderr)
        return 2
    work = Path(tempfile.gettempdir()) / "netdiscover-snmp-bench"
    work.mkdir(exist_ok=True)
    work.chmod(0o755)
    with Lab() as lab:
        seg = lab.segment()
        scanner = lab.host("scan", seg, "10.90.0.1/16")
        agents = lab.host("agents", seg, "10.90.0.2/16")
        devices: dict[str, Path] = {"10.90.0.2": args.corpus / LARGE}
        for i in range(args.agents):
            ip = f"10.90.{1 + i // 250}.{1 + i % 250}"
            lab.run(agents.ns, ["ip", "addr", "add", f"{ip}/16", "dev", "eth0"])
            devices[ip] = recordings[i % len(recordings)]
        started = time.perf_counter()
        start_snmpsim(lab, agents.ns, devices, work)
        print(f"snmpsim: {len(devices)} agents up and warmed in {time.perf_counter() - started:.1f} s")
        sweep_ips = [ip for ip in devices if ip != "10.90.0.2"]
        ip_file = "\n".join(sweep_ips) + "\n"
        oids = " ".join(SYSTEM_OIDS)
        get = "snmpget -v2c -cpublic -t1 -r1 -On -Oq"
        seq = f"for ip in {' '.join(sweep_ips)}; do {get} $ip {oids}; done"
        par = f"xargs -P32 -I{{}} {get} {{}} {oids}"
        descr = f".{SYSTEM_OIDS[0]} "

        rows: dict[str, list[float]] = {k: [] for k in ("nd_basic", "nd_basic_proc", "nd_system", "get_seq",
                                                         "get_par", "nd_walk", "bulkwalk", "bulkwalk50",
                                                         "nd_full", "full_bulkwalk", "base_basic",
                                                         "base_system")}
        answered = walked = seq_answered = par_answered = 0
        for _ in range(args.repeat):
            began = time.perf_counter()
            res = inner(lab, scanner.ns, "sweep", "basic", *sweep_ips)
            rows["nd_basic_proc"].append(time.perf_counter() - began)
            rows["nd_basic"].append(res["seconds"])
            answered = res["answered"]
            rows["nd_system"].append(inner(lab, scanner.ns, "sweep", "system", *sweep_ips)["seconds"])
            if args.baseline:
                other = args.baseline / "benchmarks" / Path(__file__).name
                for depth in ("basic", "system"):
                    res = inner(lab, scanner.ns, "sweep", depth, *sweep_ips, script=other)
                    rows[f"base_{depth}"].append(res["seconds"])
                    print(f"   baseline {depth}: {res['seconds']:.3f} s, answered {res['answered']}",
                          flush=True)
            seconds, out = timed_output(lab, scanner.ns, ["bash", "-c", seq])
            rows["get_seq"].append(seconds)
            seq_answered = sum(line.startswith(descr) for line in out.splitlines())
            seconds, out = timed_output(lab, scanner.ns, ["bash", "-c", par], stdin=ip_file)
            rows["get_par"].append(seconds)
            par_answered = sum(line.startswith(descr) for line in out.splitlines())
        columns = full_columns()
        bulkwalk = ["snmpbulkwalk", "-v2c", "-cpublic", "-On", "-Oq"]
        walks = " ; ".join(f"{' '.join(bulkwalk)} -t2 -r2 10.90.0.2 {c} >/dev/null" for c in columns)
        for _ in range(max(3, args.repeat // 2)):
            res = inner(lab, scanner.ns, "walk", "10.90.0.2")
            rows["nd_walk"].append(res["seconds"])
            walked = res["values"]
            rows["bulkwalk"].append(timed(lab, scanner.ns, [*bulkwalk, "10.90.0.2", IF_TABLE]))
            rows["bulkwalk50"].append(timed(lab, scanner.ns, [*bulkwalk, "-Cr50", "10.90.0.2", IF_TABLE]))
            full = inner(lab, scanner.ns, "full", "10.90.0.2")
            rows["nd_full"].append(full["seconds"])
            rows["full_bulkwalk"].append(timed(lab, scanner.ns, ["bash", "-c", walks]))
        count = lab.run(scanner.ns, [*bulkwalk, "10.90.0.2", IF_TABLE]).stdout.count("\n")

    m = {k: median(v) for k, v in rows.items() if v}
    n = len(sweep_ips)

    def line(label: str, key: str, ref: str | None = None) -> None:
        ratio = f"   ratio netdiscover/this {m[ref] / m[key]:.2f}" if ref else ""
        print(f"   {label:<44} {m[key]:7.3f} s{ratio}")

    print(f"\n1. system-group sweep of {n} agents ({len(SYSTEM_OIDS)} OIDs in one GET each), "
          f"median of {args.repeat}; answered (last run): netdiscover {answered}, snmpget sequential "
          f"{seq_answered}, xargs {par_answered} of {n}")
    line("netdiscover basic sweep (in process)", "nd_basic")
    line("netdiscover basic sweep incl. Python start-up", "nd_basic_proc")
    line("net-snmp snmpget, sequential", "get_seq", "nd_basic")
    line("net-snmp snmpget, xargs -P32", "get_par", "nd_basic")
    line("netdiscover 'system' depth (fingerprint facts)", "nd_system")
    if args.baseline:
        line(f"baseline {args.baseline.name} basic sweep (in process)", "base_basic", "nd_basic")
        line(f"baseline {args.baseline.name} 'system' depth", "base_system", "nd_system")
    print(f"\n2. ifTable of one agent: netdiscover walked {walked} values, snmpbulkwalk printed {count}")
    line("netdiscover concurrent column walker", "nd_walk")
    line("snmpbulkwalk (default -Cr10)", "bulkwalk", "nd_walk")
    line("snmpbulkwalk -Cr50", "bulkwalk50", "nd_walk")
    print(f"\n3. full interrogation of that agent: {full['observations']}, {full['interfaces']} interfaces")
    line("netdiscover snmp_depth=full", "nd_full")
    line(f"snmpbulkwalk of the same {len(columns)} columns in turn", "full_bulkwalk", "nd_full")
    print(f"\nraw: {json.dumps({k: [round(x, 3) for x in v] for k, v in rows.items()})}")
    if args.json:
        args.json.write_text(json.dumps({"agents": n, "repeat": args.repeat, "medians": m, "raw": rows,
                                         "answered": answered, "answered_xargs": par_answered,
                                         "load": os.getloadavg()[0], "cpus": os.cpu_count()}, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
