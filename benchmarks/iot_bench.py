"""Benchmark: netdiscover's IoT discovery against nmap's NSE scripts, and mDNS parsing choices.

Run as root:  .venv/bin/python benchmarks/iot_bench.py [--runs 3]

1. Lab sweep. One segment with real responders (avahi-daemon x3, nmbd x2, SSDP devices x3) in a
   /26 of targets; the scanner namespace sweeps it with ``netdiscover.scanners.iot.scanner`` and with
   ``nmap -sU -p137,1900,5353 --script nbstat,dns-service-discovery,upnp-info`` (the reference
   tool for the same three protocols), round-robin, ``--runs`` times. Figures: median wall time
   of the whole process, devices reported (worst run), time ratio.
2. Parsing. The same avahi-style DNS-SD reply parsed by our own parser, by zeroconf's
   DNSIncoming and by scapy's DNS layer: median microseconds per reply over 5 rounds, and the
   median import time of each module in a fresh interpreter.
"""

from __future__ import annotations

import argparse
import re
import statistics
import struct
import subprocess
import sys
import tempfile
import time
import timeit
from pathlib import Path

from netdiscover.scanners.iot import mdns as iot_mdns
from netdiscover_lab import iot_responders as r
from netdiscover_lab.netns import Lab, lab_unavailable_reason

TARGETS = "10.81.0.0/26"
SCAN = """
import json, sys
from netaddr import IPSet
from netdiscover.scanners.iot import scanner as iot
from netdiscover.scanners.base import ScanContext
out = iot.scan(ScanContext(targets=IPSet([sys.argv[1]]), interface="eth0"))
print(json.dumps(sorted(o.ip for o in out.observations)))
"""


def build(lab: Lab, work: Path) -> str:
    seg = lab.segment()
    scanner = lab.host("scan", seg, "10.81.0.2/24", "02:81:00:00:00:02")
    mdns = [("prn", "_ipp._tcp", {"ty": "HP LaserJet Pro M404dn", "usb_MFG": "HP"}),
            ("cast", "_googlecast._tcp", {"md": "Chromecast Ultra"}),
            ("hap", "_hap._tcp", {"md": "Logitech Circle View", "ci": "17"})]
    for i, (name, stype, txt) in enumerate(mdns):
        host = lab.host(name, seg, f"10.81.0.{10 + i}/24", f"02:81:00:00:00:{10 + i:02x}")
        service = r.MdnsService(f"{name} device", stype, 80, txt)
        r.start_avahi(lab, host, f"{name}-bench", [service], work / name)
    for i in range(2):
        host = lab.host(f"ws{i}", seg, f"10.81.0.{20 + i}/24", f"02:81:00:00:00:{20 + i:02x}")
        r.start_nmbd(lab, host, f"DESKTOP-BENCH0{i}", "OFFICE", work / f"ws{i}")
    for i in range(3):
        host = lab.host(f"upnp{i}", seg, f"10.81.0.{30 + i}/24", f"02:81:00:00:00:{30 + i:02x}")
        desc = work / f"upnp{i}.xml"
        desc.write_text(r.device_description("urn:schemas-upnp-org:device:MediaRenderer:1", f"TV {i}",
                                             "Samsung Electronics", "UE55TU7000", "", f"SN{i}", f"uuid:{i}"))
        r.start_ssdp(lab, host, desc, work)
    return scanner.ns


def run_ours(lab: Lab, ns: str) -> tuple[float, int]:
    started = time.monotonic()
    proc = lab.run(ns, [sys.executable, "-c", SCAN, TARGETS], timeout=120)
    import json

    return time.monotonic() - started, len(json.loads(proc.stdout))


def run_nmap(lab: Lab, ns: str) -> tuple[float, int]:
    started = time.monotonic()
    proc = lab.run(ns, ["nmap", "-n", "-sU", "-p137,1900,5353", "-T4", "--script",
                        "nbstat,dns-service-discovery,upnp-info", "-e", "eth0", TARGETS], timeout=600)
    elapsed = time.monotonic() - started
    found = 0
    for block in re.split(r"\nNmap scan report for ", proc.stdout)[1:]:
        if re.search(r"\| (nbstat|dns-service-discovery|upnp-info):", block):
            found += 1
    return elapsed, found


def sample_reply() -> bytes:
    ipp = (b"_ipp", b"_tcp", b"local")
    inst = (b"HP LaserJet Pro M404dn", *ipp)
    host = (b"printer1", b"local")

    def rr(name, rtype, rdata):
        return iot_mdns.pack_name(name) + struct.pack("!HHIH", rtype, 1, 120, len(rdata)) + rdata

    txt = b"".join(bytes([len(s)]) + s for s in (b"txtvers=1", b"ty=HP LaserJet Pro M404dn", b"usb_MFG=HP",
                                                  b"usb_MDL=LaserJet Pro M404dn", b"rp=ipp/print"))
    records = [rr(ipp, 12, iot_mdns.pack_name(inst)),
               rr(inst, 33, struct.pack("!HHH", 0, 0, 631) + iot_mdns.pack_name(host)),
               rr(inst, 16, txt), rr(host, 1, bytes([10, 0, 0, 10]))]
    return struct.pack("!HHHHHH", 7, 0x8400, 0, len(records), 0, 0) + b"".join(records)


def parse_bench() -> None:
    data = sample_reply()
    candidates = {"own parser": lambda: iot_mdns.parse_reply(data)}
    try:
        from zeroconf import DNSIncoming

        candidates["zeroconf DNSIncoming"] = lambda: DNSIncoming(data).answers()
    except ImportError:
        print("zeroconf not installed: skipped")
    try:
        from scapy.layers.dns import DNS

        candidates["scapy DNS"] = lambda: DNS(data).an
    except ImportError:
        print("scapy not installed: skipped")
    print(f"\nparsing one {len(data)}-byte DNS-SD reply (median of 5 rounds)")
    base = None
    for name, fn in candidates.items():
        per = statistics.median(min(timeit.repeat(fn, number=2000, repeat=1)) / 2000 for _ in range(5))
        base = base or per
        print(f"  {name:<22} {per * 1e6:8.1f} us/reply   x{per / base:5.1f} of own")
    modules = {"own parser": "netdiscover.scanners.iot.mdns", "zeroconf DNSIncoming": "zeroconf",
               "scapy DNS": "scapy.layers.dns"}
    print("import time in a fresh interpreter (median of 5)")
    for name, module in modules.items():
        times = []
        for _ in range(5):
            started = time.monotonic()
            proc = subprocess.run([sys.executable, "-c", f"import {module}"], capture_output=True)
            times.append(time.monotonic() - started)
            if proc.returncode:
                break
        print(f"  {name:<22} {statistics.median(times) * 1000:8.0f} ms (interpreter start included)")


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--no-lab", action="store_true")
    args = parser.parse_args()
    parse_bench()
    if args.no_lab:
        return 0
    reason = lab_unavailable_reason()
    if reason:
        print(f"lab part skipped: {reason}")
        return 0
    with tempfile.TemporaryDirectory() as tmp, Lab() as lab:
        ns = build(lab, Path(tmp))
        ours, theirs = [], []
        for _ in range(args.runs):
            ours.append(run_ours(lab, ns))
            theirs.append(run_nmap(lab, ns))
    o_time = statistics.median(t for t, _ in ours)
    n_time = statistics.median(t for t, _ in theirs)
    print(f"\nsweep of {TARGETS} with 8 announcing devices, {args.runs} runs each (median wall time)")
    print(f"  netdiscover iot   {o_time:7.2f} s   devices {min(n for _, n in ours)}")
    print(f"  nmap NSE (ref.)   {n_time:7.2f} s   devices {min(n for _, n in theirs)}")
    print(f"  ratio nmap/netdiscover: {n_time / o_time:.1f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
