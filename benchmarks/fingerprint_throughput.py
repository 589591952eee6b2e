"""Fingerprinting throughput: 100,000 devices' observations, target under 10 s.

The device mix imitates a large sweep: ARP-only devices (MACs of real makers, some randomised),
SNMP devices built from the labelled corpus recordings (each with its own sysName, serial and
uptime; several devices share a firmware as on real networks), and nmap-scanned devices with
OS guesses and open ports. Each run fingerprints every device once; the median of the runs is
reported, after one warm-up pass. Devices are fingerprinted the way a sweep's reconciliation does
it, with Python's cyclic garbage collector paused (its passes over the growing caches were about
9 % of the worst case).

Reference in the same run: the same shipped rules evaluated naively (every rule against every
device: no OID index, no literal prefilter, no memo), timed on a sample and scaled.
A worst case is also timed: every SNMP device with a sysDescr no other device has.

``--identity FILE`` times nothing: it writes every fingerprint (all fields, confidences, evidence
and conflicts, as JSON lines) of every corpus recording read offline, of the realistic mix and
of the worst-case devices, so that two versions of the code can be compared exactly
(``cmp A B``) before and after a speed change.

``--against TREE`` compares with another version of the package (a folder holding its
``netdiscover/``, e.g. ``git archive main | tar -x -C /tmp/main``): ``--runs`` rounds, each timing
one realistic pass and one worst-case pass in a fresh process of TREE's code, then of this
checkout's, alternately, so that both meet the same machine load; medians of both are printed.

    .venv/bin/python benchmarks/fingerprint_throughput.py [--devices 100000] [--runs 3]
    .venv/bin/python benchmarks/fingerprint_throughput.py --identity FILE [--devices 100000]
    .venv/bin/python benchmarks/fingerprint_throughput.py --against /tmp/main [--runs 3]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from netdiscover.fingerprints import combine, fingerprint, snmp, snmprec, training
from netdiscover.gcpause import gc_paused
from netdiscover.observation import Observation, Service

DEFAULT_CORPUS = training.default_corpus()
OUIS = ["00:1b:54", "3c:22:fb", "00:50:56", "f4:8e:38", "b8:27:eb", "00:0c:29", "ac:de:48", "00:1e:c9",
        "d8:9e:f3", "00:17:88", "18:b4:30", "00:04:f2", "00:11:32", "24:5a:4c", "e4:5f:01"]
NMAP_GUESSES = [
    ({"vendor": "Linux", "osfamily": "Linux", "osgen": "5.X", "type": "general purpose", "accuracy": 96,
      "cpe": ["cpe:/o:linux:linux_kernel:5"]}, [22, 80, 443]),
    ({"vendor": "Microsoft", "osfamily": "Windows", "osgen": "10", "type": "general purpose", "accuracy": 98,
      "cpe": ["cpe:/o:microsoft:windows_10"]}, [135, 139, 445, 3389]),
    ({"vendor": "HP", "osfamily": "embedded", "type": "printer", "accuracy": 94,
      "cpe": ["cpe:/h:hp:laserjet"]}, [80, 443, 515, 631, 9100]),
    ({"vendor": "Hikvision", "osfamily": "embedded", "type": "webcam", "accuracy": 91, "cpe": []},
     [80, 554, 8000]),
    ({"vendor": "MikroTik", "osfamily": "RouterOS", "osgen": "7.X", "type": "router", "accuracy": 100,
      "cpe": ["cpe:/o:mikrotik:routeros:7"]}, [22, 8291, 179]),
]


def mac(rng: random.Random) -> str:
    if rng.random() < 0.1:
        first = (rng.randrange(256) | 0x02) & 0xFE      # locally administered, unicast
        return f"{first:02x}:" + ":".join(f"{rng.randrange(256):02x}" for _ in range(5))
    return rng.choice(OUIS) + ":" + ":".join(f"{rng.randrange(256):02x}" for _ in range(3))


def corpus_facts(corpus: Path) -> list[dict]:
    index = corpus / "snmp-public" / "index.json"
    if not index.exists():
        print(f"note: no corpus at {corpus}; using a few built-in SNMP samples", file=sys.stderr)
        return [
            {"sysDescr": "Cisco IOS Software, C2960X Software, Version 15.2(7)E4",
             "sysObjectID": "1.3.6.1.4.1.9.1.1208"},
            {"sysDescr": "RouterOS RB4011iGS+", "sysObjectID": "1.3.6.1.4.1.14988.1"},
            {"sysDescr": "Linux web 5.10.0-21-amd64 #1 SMP Debian x86_64",
             "sysObjectID": "1.3.6.1.4.1.8072.3.2.10"},
        ]
    records = json.loads(index.read_text())["records"]
    return [snmprec.load(corpus / "snmp-public" / "snmprec" / r["file"]) for r in records]


def devices(count: int, facts: list[dict], unique_descr: bool, seed: int = 7) -> list[list[Observation]]:
    rng = random.Random(seed)
    out = []
    for n in range(count):
        ip = f"10.{n >> 16 & 255}.{n >> 8 & 255}.{n & 255}"
        arp = Observation(method="arp", ip=ip, mac=mac(rng), facts={"arp": {"replies": 1}})
        roll = rng.random()
        if roll < 0.4:
            out.append([arp])
        elif roll < 0.7:
            base = dict(rng.choice(facts))
            base["sysName"] = f"dev-{n}"
            base["sysUpTime"] = rng.randrange(10**9)
            if unique_descr:
                base["sysDescr"] = f"{base.get('sysDescr') or ''} build {n}"
            if base.get("entity"):
                base["entity"] = [dict(e, serial=f"SN{n:08d}") if i == 0 else e
                                  for i, e in enumerate(base["entity"][:4])]
            out.append([arp, Observation(method="snmp", ip=ip, facts={"snmp": base})])
        else:
            osclass, ports = rng.choice(NMAP_GUESSES)
            osmatch = [{"name": osclass["vendor"], "accuracy": osclass["accuracy"], "osclass": [osclass]}]
            services = [Service(port=p, name="svc") for p in ports]
            out.append([arp, Observation(method="nmap", ip=ip, services=services,
                                         facts={"nmap": {"state": "up", "osmatch": osmatch}})])
    return out


def timed(batch: list[list[Observation]]) -> tuple[float, float]:
    """(wall seconds, CPU seconds of this process) to fingerprint every device of ``batch``, with the
    cyclic garbage collector paused as ``services.reconcile`` runs a sweep's fingerprinting."""
    with gc_paused():
        started, cpu = time.perf_counter(), time.process_time()
        for observations in batch:
            fingerprint(observations)
        return time.perf_counter() - started, time.process_time() - cpu


def naive_rate(batch: list[list[Observation]], sample: int) -> float:
    """Devices per second when every SNMP rule is tried on every device (no index, no memo)."""
    rules = snmp.ruleset().rules
    started = time.perf_counter()
    for observations in batch[:sample]:
        for source in combine.sources():
            if source is snmp:
                for obs in observations:
                    facts = obs.facts.get("snmp")
                    if isinstance(facts, dict):
                        subject = snmp.subject(facts)
                        for rule in rules:
                            rule.matches(subject)
            else:
                source.evidence(observations)
    return sample / (time.perf_counter() - started)


def identity(path: Path, corpus: Path, count: int) -> int:
    """Write the fingerprint of every corpus recording and benchmark device as canonical JSON lines."""
    index = corpus / "snmp-public" / "index.json"
    records = json.loads(index.read_text())["records"] if index.exists() else []
    data_dir = corpus / "snmp-public" / "snmprec"
    facts = corpus_facts(corpus)
    batches: list[tuple[str, list[list[Observation]]]] = [
        (f"corpus-{depth}", [[Observation(method="snmp", ip="192.0.2.1",
                                          facts={"snmp": snmprec.load(data_dir / r["file"], *depth_args)})]
                             for r in records])
        for depth, depth_args in (("scanner", (5, False)), ("per-enterprise", (32, True)))]
    batches += [("mix", devices(count, facts, unique_descr=False)),
                ("worst", devices(count, facts, unique_descr=True, seed=11))]
    lines = 0
    with path.open("w", encoding="utf-8") as out:
        for name, batch in batches:
            for number, observations in enumerate(batch):
                found = fingerprint(observations).to_dict()
                out.write(f"{name} {number} {json.dumps(found, sort_keys=True)}\n")
                lines += 1
    print(f"{lines} fingerprints written to {path}")
    return 0


# Runs this file with the netdiscover package of the folder given first ("" = the installed one).
_BOOT = """
import runpy, sys
tree, script = sys.argv[1], sys.argv[2]
if tree:
    sys.meta_path[:] = [f for f in sys.meta_path if "editable" not in repr(f)]
    sys.path.insert(0, tree)
sys.path.insert(0, script.rsplit("/", 1)[0])
sys.argv = sys.argv[2:]
runpy.run_path(script, run_name="__main__")
"""


def one_pass(count: int, corpus: Path) -> dict[str, float | str]:
    """Wall and CPU seconds of one realistic pass (after a warm-up) and one worst-case pass."""
    facts = corpus_facts(corpus)
    batch = devices(count, facts, unique_descr=False)
    timed(batch[:1000])
    mix_wall, mix_cpu = timed(batch)
    worst_wall, worst_cpu = timed(devices(count, facts, unique_descr=True, seed=11))
    return {"mix_s": mix_wall, "mix_cpu_s": mix_cpu, "worst_s": worst_wall, "worst_cpu_s": worst_cpu,
            "package": str(Path(combine.__file__).parents[1])}


def against(tree: Path, rounds: int, count: int, corpus: Path) -> int:
    """Time TREE's package and this checkout's alternately, ``rounds`` times each."""
    found: dict[str, list[dict[str, Any]]] = {"against": [], "this": []}
    for _ in range(rounds):
        for side, folder in (("against", str(tree.resolve())), ("this", "")):
            command = [sys.executable, "-c", _BOOT, folder, str(Path(__file__).resolve()), "--one-pass",
                       "--devices", str(count), "--corpus", str(corpus)]
            done = subprocess.run(command, capture_output=True, text=True, check=True)
            found[side].append(json.loads(done.stdout.splitlines()[-1]))
    print(json.dumps({
        "devices": count, "against": str(tree), "load_average_1min": round(os.getloadavg()[0], 2),
        **{f"{side}_median_{key}": round(statistics.median(r[key] for r in runs), 3)
           for side, runs in found.items() for key in ("mix_s", "mix_cpu_s", "worst_s", "worst_cpu_s")},
        "runs": {side: [{k: round(v, 3) if isinstance(v, float) else v for k, v in r.items()} for r in runs]
                 for side, runs in found.items()},
    }, indent=1))
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--devices", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--identity", type=Path, metavar="FILE",
                        help="write every fingerprint as JSON lines (to compare two versions), time nothing")
    parser.add_argument("--against", type=Path, metavar="TREE",
                        help="time TREE's netdiscover package and this one alternately, --runs rounds")
    parser.add_argument("--one-pass", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.devices < 1 or args.runs < 1:
        print("error: --devices and --runs must be positive", file=sys.stderr)
        return 2
    if args.identity:
        return identity(args.identity, args.corpus, args.devices)
    if args.one_pass:
        print(json.dumps(one_pass(args.devices, args.corpus)))
        return 0
    if args.against:
        if not (args.against / "netdiscover" / "__init__.py").is_file():
            print(f"error: no netdiscover package in {args.against}", file=sys.stderr)
            return 2
        return against(args.against, args.runs, args.devices, args.corpus)
    facts = corpus_facts(args.corpus)
    batch = devices(args.devices, facts, unique_descr=False)
    cold, _ = timed(batch[:1000])   # first use: rule files parsed and compiled
    runs = [timed(batch) for _ in range(args.runs)]
    times = [wall for wall, _ in runs]
    median = statistics.median(times)
    cpu_median = statistics.median(cpu for _, cpu in runs)
    worst_batch = devices(args.devices, facts, unique_descr=True, seed=11)
    worst, worst_cpu = timed(worst_batch)
    naive = naive_rate(batch, min(2000, args.devices))
    ours = args.devices / median
    print(json.dumps({
        "devices": args.devices,
        "sources": [m.__name__.rsplit(".", 1)[-1] for m in combine.sources()],
        "first_1000_devices_cold_s": round(cold, 3),
        "median_s": round(median, 3), "runs_s": [round(t, 3) for t in times],
        "median_cpu_s": round(cpu_median, 3),
        "load_average_1min": round(os.getloadavg()[0], 2), "cpus": os.cpu_count(),
        "devices_per_s": round(ours),
        "worst_case_unique_sysdescr_s": round(worst, 3), "worst_case_cpu_s": round(worst_cpu, 3),
        "reference_naive_rules_devices_per_s": round(naive),
        "reference_naive_extrapolated_s": round(args.devices / naive, 1),
        "speedup_vs_naive": round(ours / naive, 1),
        "target_s": 10.0, "meets_target_wall": median < 10.0, "meets_target_cpu": cpu_median < 10.0,
    }, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
