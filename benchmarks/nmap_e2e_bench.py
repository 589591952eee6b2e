"""Benchmark: ``netdiscover scan -m nmap`` end to end from the shell against the nmap runs it made.

    sudo .venv/bin/python benchmarks/nmap_e2e_bench.py [--runs 5] [--cases small,large]
         [--baseline OTHER/netdiscover] [--json FILE]

What a user times: a fresh ``netdiscover --db sqlite:///X scan TARGETS -m nmap --format json``
process (on a copy of a database that already holds an earlier sweep of the lab), against the
exact nmap command lines that process ran (``-v`` logs each one), replayed alone from the shell
the same way: as many at once as netdiscover ran at once (``xargs -P``), XML to a file.
The two alternate in the same lab (which goes first alternates too); medians of --runs.

Cases (each its own lab, namespaces prefixed ``ndnm``, removed afterwards even on failure):

- small: two /24s joined by a router (the scanner on one), seven hosts serving TCP on them;
- large: a /22 of ``--large-live`` hosts (``netdiscover_lab.sweep_lab``), ``--large-services`` of
  them serving TCP, the rest answering ARP only; the scanner sits in it.

``--nice N`` runs both sides at that priority (on a machine others load, ``--nice -10`` keeps
their load from stretching netdiscover's CPU work more than nmap's waiting; the rows say so).
``--baseline`` also times another netdiscover executable (e.g. main's checkout) each round, with
its own replay if its nmap command lines differ. Wall time, CPU time (user + system of the whole
process tree) and the 1-minute load average before each run are printed; ``--json`` writes one
row per case and program: case, nmap alone median, netdiscover median, ratio, load.
For ``run_all.py``: ``main(["--runs", "5", "--json", FILE])`` or the same on the command line.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import resource
import secrets
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from netdiscover_lab.netns import Lab, LabError, lab_unavailable_reason  # noqa: E402
from netdiscover_lab.services import start_services  # noqa: E402
from netdiscover_lab.sweep_lab import sweep_lab  # noqa: E402

NETDISCOVER = str(Path(sys.executable).with_name("netdiscover"))
NICE: list[str] = []            # ["nice", "-n", N] with --nice: both sides get the same priority
TARGET = re.compile(r"nmap run \d+, (\d+) at once: (.*)$")

# (name, segment, address, MAC, services): seven device hosts on two /24s, as nmap_bench.py's
SMALL_DEVICES = [
    ("prn", "lan", "10.70.0.11", "00:1b:78:70:00:11", ["http:80:server=lighttpd/1.4.59", "jetdirect:9100"]),
    ("cam", "lan", "10.70.0.12", "00:40:8c:70:00:12", ["http:80:server=Boa/0.94.14rc21", "rtsp:554"]),
    ("srv", "lan", "10.70.0.13", "52:54:00:70:00:13", ["ssh:22", "http:80:server=nginx/1.22.1", "http:8080"]),
    ("nas", "lan", "10.70.0.14", "00:11:32:70:00:14", ["ssh:22:banner=SSH-2.0-OpenSSH_8.2p1", "http:5000"]),
    ("ap", "srv", "10.71.0.15", "00:0b:86:70:00:15", ["ssh:22:banner=SSH-2.0-dropbear_2020.81", "http:80"]),
    ("iot", "srv", "10.71.0.16", "b8:27:eb:70:00:16", ["http:80:server=lighttpd/1.4.53", "rtsp:554"]),
    ("app", "srv", "10.71.0.17", "52:54:00:70:00:17", ["ssh:22", "http:8080:server=Apache Tomcat/9.0.70"]),
]
SMALL_TARGETS = ["10.70.0.0/24", "10.71.0.0/24"]


@dataclass
class Case:
    """A built lab: where to scan from, what to scan, what serves there."""

    name: str
    scanner_ns: str
    targets: list[str]
    services: dict[str, set[int]]                  # ip -> open TCP ports
    scanner_ip: str
    cleanup: Callable[[], None] = lambda: None


@dataclass
class Run:
    """One timed process."""

    seconds: float
    cpu: float
    load: float
    hosts: int = 0
    ports: int = 0


@dataclass
class Side:
    """Everything timed for one program (netdiscover) or one replay."""

    label: str
    runs: list[Run] = field(default_factory=list)

    def median(self, what: str = "seconds") -> float:
        return statistics.median(getattr(r, what) for r in self.runs)


def load1() -> float:
    return os.getloadavg()[0]


def timed(cmd: list[str], timeout: float = 1800) -> tuple[subprocess.CompletedProcess, float, float]:
    """Run ``cmd``; its wall time and the CPU time (user + system) of it and every descendant."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    proc = subprocess.run([*NICE, *cmd], capture_output=True, text=True, timeout=timeout)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return proc, wall, cpu


def build_small(lab: Lab, work: Path) -> Case:
    lan, srv = lab.segment("lan"), lab.segment("srv")
    lab.router("gw", [(lan, "10.70.0.1/24", "02:00:00:70:00:01"), (srv, "10.71.0.1/24", "02:00:00:71:00:01")])
    scanner = lab.host("scan", lan, "10.70.0.2/24", "02:00:00:70:00:02", gateway="10.70.0.1")
    services: dict[str, set[int]] = {}
    for name, seg, ip, mac, specs in SMALL_DEVICES:
        gateway = "10.70.0.1" if seg == "lan" else "10.71.0.1"
        host = lab.host(name, lan if seg == "lan" else srv, f"{ip}/24", mac, gateway=gateway)
        start_services(lab, host.ns, specs, log=work / f"{name}.log")
        services[ip] = {int(s.split(":")[1]) for s in specs}
    return Case("small", scanner.ns, list(SMALL_TARGETS), services, scanner.ip)


def build_large(lab: Lab, work: Path, network: str, live: int, serving: int) -> Case:
    built = sweep_lab(lab, work, network=network, live=live, agents=0, services=serving)
    services = {ip: set(ports) for ip, ports in built.services.items()}
    return Case("large", built.scanner_ns, [built.network], services, built.net.scanner_ip,
                cleanup=built.restore_gc)


def served_ports(case: Case, found: dict[str, set[int]]) -> tuple[int, int]:
    """Hosts found (the scanner itself left out), and the lab's open ports among the ports found open."""
    ports = sum(len(found.get(ip, set()) & wanted) for ip, wanted in case.services.items())
    return len(set(found) - {case.scanner_ip}), ports


def run_netdiscover(program: str, case: Case, db: Path) -> tuple[Run, list[str], int]:
    """One sweep; with the nmap command lines it logged and how many ran at once."""
    cmd = ["ip", "netns", "exec", case.scanner_ns, program, "-v", "--db", f"sqlite:///{db}", "scan",
           *case.targets, "-m", "nmap", "--format", "json"]
    load = load1()
    proc, wall, cpu = timed(cmd)
    if proc.returncode != 0:
        raise RuntimeError(f"{program} scan failed ({proc.returncode}): {proc.stderr.strip()[-600:]}")
    commands, parallel = nmap_commands(proc.stderr)
    if not commands:
        commands, parallel = legacy_commands(proc.stderr, case)
    found: dict[str, set[int]] = {}
    for asset in json.loads(proc.stdout):
        ports = {int(s["port"]) for s in asset.get("services") or [] if s.get("port")}
        for ip in {*(asset.get("ips") or []), *([asset["ip"]] if asset.get("ip") else [])}:
            found[ip] = ports
    hosts, open_ports = served_ports(case, found)
    return Run(wall, cpu, load, hosts, open_ports), commands, parallel


def nmap_commands(log: str) -> tuple[list[str], int]:
    """The nmap command lines a ``-v`` sweep logged, in start order, and how many ran at once.

    The scanner logs ``nmap run I, P at once: ARGV`` as it starts each one."""
    commands, parallel = [], 1
    for line in log.splitlines():
        match = TARGET.search(line)
        if match:
            parallel = int(match.group(1))
            commands.append(match.group(2))
    return commands, parallel


def legacy_commands(log: str, case: Case) -> tuple[list[str], int]:
    """What main's scanner ran (it logged only the shared arguments): python-nmap's
    ``nmap -oX - TARGETS... ARGS...`` per chunk of its chunking (256 addresses, the scope's
    network and broadcast addresses left out)."""
    from netdiscover.scanners.nmap.scanner import chunk_targets
    from netdiscover.scope import parse_scope

    match = re.search(r"nmap [\d.]+: (\d+) chunk\(s\), (\d+) at once: nmap (.*)$", log, re.M)
    if not match:
        raise RuntimeError("the baseline's -v log names no nmap arguments")
    scope = parse_scope(case.targets, [])
    chunks = list(chunk_targets(scope.ipset - scope.edges, 256))
    if len(chunks) != int(match.group(1)):
        raise RuntimeError(f"baseline ran {match.group(1)} chunks, {len(chunks)} worked out")
    args = shlex.split(match.group(3))
    return [shlex.join(["nmap", "-oX", "-", *targets, *args]) for _, targets in chunks], int(match.group(2))


def replay(case: Case, commands: list[str], parallel: int, work: Path) -> Run:
    """The nmap command lines alone from the shell, ``parallel`` at once, each writing its XML to a file."""
    lines = [f"exec {cmd} > {work}/replay-{i}.xml" for i, cmd in enumerate(commands)]
    if parallel > 1 and len(lines) > 1:
        (work / "replay.txt").write_text("\n".join(lines) + "\n")
        script = f"xargs -d '\\n' -P {parallel} -n 1 sh -c < {work}/replay.txt"
    else:
        script = "; ".join(f"sh -c {shlex.quote(line)}" for line in lines)
    load = load1()
    proc, wall, cpu = timed(["ip", "netns", "exec", case.scanner_ns, "sh", "-c", script])
    if proc.returncode != 0:
        raise RuntimeError(f"replay failed ({proc.returncode}): {proc.stderr.strip()[-600:]}")
    found: dict[str, set[int]] = {}
    for i in range(len(lines)):
        xml = (work / f"replay-{i}.xml").read_text(errors="replace")
        for host in re.findall(r"<host[ >].*?</host>", xml, re.S):
            ip = re.search(r'<address addr="([^"]+)" addrtype="ipv4"', host)
            if ip and '<status state="up"' in host:
                ports = {int(p) for p in re.findall(r'portid="(\d+)"><state state="open"', host)}
                found[ip.group(1)] = ports
    hosts, open_ports = served_ports(case, found)
    return Run(wall, cpu, load, hosts, open_ports)


def migrated(program: str, case: Case, work: Path, name: str) -> tuple[Path, list[str], int]:
    """A database holding one earlier sweep of the lab (the user has scanned before), and that
    sweep's nmap command lines."""
    db = work / f"{name}.db"
    run, commands, parallel = run_netdiscover(program, case, db)
    if not commands:
        raise RuntimeError(f"{program}: no nmap command logged")
    print(f"  {name}: first sweep (not counted) {run.seconds:.2f} s, {run.hosts} hosts, {run.ports} ports; "
          f"{len(commands)} nmap run(s), {parallel} at once", flush=True)
    return db, commands, parallel


def measure(case: Case, programs: dict[str, str], runs: int, work: Path) -> list[dict]:
    """Alternate each program's sweeps with the replays of its nmap runs; one row per program."""
    sides: dict[str, Side] = {}
    templates: dict[str, Path] = {}
    plays: dict[str, tuple[list[str], int]] = {}
    for label, program in programs.items():
        db, commands, parallel = migrated(program, case, work, label)
        templates[label] = db
        plays[label] = (commands, parallel)
        sides[label] = Side(label)
    replays: dict[tuple, Side] = {}
    for label, (commands, parallel) in plays.items():
        replays.setdefault((tuple(commands), parallel), Side(f"nmap alone ({label})"))
    for r in range(runs):
        order = list(programs)
        steps = [("replay", key) for key in replays] + [("ours", label) for label in order]
        if r % 2:
            steps.reverse()
        for kind, key in steps:
            if kind == "replay":
                commands, parallel = key
                res = replay(case, list(commands), parallel, work)
                replays[key].runs.append(res)
                label = replays[key].label
            else:
                db = work / "run.db"
                shutil.copyfile(templates[key], db)
                res, commands, parallel = run_netdiscover(programs[key], case, db)
                if (commands, parallel) != plays[key]:
                    raise RuntimeError(f"{key} ran other nmap commands than in its first sweep")
                sides[key].runs.append(res)
                label = key
            print(f"  run {r + 1} {label:28} {res.seconds:7.3f} s  cpu {res.cpu:6.3f} s  load {res.load:4.1f}"
                  f"  hosts {res.hosts} ports {res.ports}", flush=True)
    rows = []
    for label, side in sides.items():
        alone = replays[(tuple(plays[label][0]), plays[label][1])]
        rows.append(row(case, label, side, alone, plays[label]))
    return rows


def row(case: Case, label: str, side: Side, alone: Side, play: tuple[list[str], int]) -> dict:
    commands, parallel = play
    result = {
        "case": case.name, "program": label, "targets": " ".join(case.targets),
        "nmap_alone_s": round(alone.median(), 3), "netdiscover_s": round(side.median(), 3),
        "ratio": round(side.median() / alone.median(), 3),
        "nmap_alone_cpu_s": round(alone.median("cpu"), 3), "netdiscover_cpu_s": round(side.median("cpu"), 3),
        "load": round(statistics.median(r.load for r in side.runs + alone.runs), 2),
        "nice": int(NICE[2]) if NICE else 0,
        "runs": len(side.runs), "nmap_runs": len(commands), "parallel": parallel,
        "hosts": [side.runs[0].hosts, alone.runs[0].hosts],
        "open_ports": [side.runs[0].ports, alone.runs[0].ports],
        "netdiscover_runs_s": [round(r.seconds, 3) for r in side.runs],
        "nmap_alone_runs_s": [round(r.seconds, 3) for r in alone.runs],
        "commands": commands,
    }
    print(f"== {case.name} ({label}): nmap alone {result['nmap_alone_s']:.3f} s "
          f"(cpu {result['nmap_alone_cpu_s']:.2f}), netdiscover {result['netdiscover_s']:.3f} s "
          f"(cpu {result['netdiscover_cpu_s']:.2f}), ratio "
          f"{result['ratio']:.3f} (target <= 1.10: {'met' if result['ratio'] <= 1.10 else 'MISSED'}); load "
          f"{result['load']}; hosts {result['hosts']}, lab ports found {result['open_ports']} of "
          f"{sum(len(p) for p in case.services.values())}; {len(commands)} nmap run(s), {parallel} at once",
          flush=True)
    for cmd in commands:
        print(f"   {cmd[:160]}{'…' if len(cmd) > 160 else ''}")
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--cases", default="small,large", help="comma-separated: small, large")
    parser.add_argument("--large-network", default="10.78.0.0/22")
    parser.add_argument("--large-live", type=int, default=200,
                        help="live hosts of the large case (over 200 raises the kernel's neighbour limits)")
    parser.add_argument("--large-services", type=int, default=30)
    parser.add_argument("--program", default=NETDISCOVER, help="the netdiscover executable measured")
    parser.add_argument("--baseline", metavar="NETDISCOVER",
                        help="also time this netdiscover executable (e.g. main's checkout) each round")
    parser.add_argument("--nice", type=int, metavar="N",
                        help="run both sides at this scheduling priority (e.g. -10 on a machine others load: "
                             "the same for nmap alone and for netdiscover)")
    parser.add_argument("--json", help="write the rows here as JSON")
    opts = parser.parse_args(argv)
    cases = [c for c in opts.cases.split(",") if c]
    if not set(cases) <= {"small", "large"} or opts.runs < 1:
        parser.error("--cases takes small and/or large; --runs at least 1")
    reason = lab_unavailable_reason()
    if reason:
        print(f"error: {reason}", file=sys.stderr)
        return 2
    if opts.nice is not None:
        NICE[:] = ["nice", "-n", str(opts.nice)]
    programs = {"netdiscover": opts.program} | ({"baseline": opts.baseline} if opts.baseline else {})
    rows: list[dict] = []
    for name in cases:
        work = Path(tempfile.mkdtemp(prefix=f"nd-nmap-e2e-{name}-"))
        work.chmod(0o755)
        case = None
        try:
            with Lab(prefix=f"ndnm{secrets.token_hex(2)}") as lab:
                began = time.perf_counter()
                if name == "small":
                    case = build_small(lab, work)
                else:
                    case = build_large(lab, work, opts.large_network, opts.large_live, opts.large_services)
                ports = sum(len(p) for p in case.services.values())
                print(f"{name}: lab built in {time.perf_counter() - began:.0f} s; targets "
                      f"{' '.join(case.targets)}, {len(case.services)} hosts serving {ports} ports; "
                      f"{os.cpu_count()} CPUs, load {load1():.1f}", flush=True)
                rows += measure(case, programs, opts.runs, work)
        except (LabError, RuntimeError, OSError, subprocess.SubprocessError) as exc:
            print(f"error: {name}: {exc}", file=sys.stderr)
            return 1
        finally:
            if case is not None:
                case.cleanup()
            shutil.rmtree(work, ignore_errors=True)
    if opts.json:
        Path(opts.json).write_text(json.dumps({"rows": rows, "cpus": os.cpu_count()}, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
