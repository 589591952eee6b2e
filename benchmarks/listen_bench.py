"""Benchmark: how many frames per second the passive listener takes without losing one.

Run as root:  .venv/bin/python benchmarks/listen_bench.py [--frames 100000] [--loops 3] [--rates ...]

Writes a capture of ``--frames`` announcement frames (ARP, DHCP requests, mDNS responses, SSDP
NOTIFY, LLDP, neighbour solicitations; 2,000 different senders), then for each rate replays it
``--loops`` times with ``tcpreplay --pps`` from one namespace into a listener in another, over
a mirror segment. Every frame passes the kernel filter, so a frame the listener did not parse was lost (in the
kernel or on the way). Prints per rate: frames sent, received, lost, kernel drops, the
listener's CPU time as a share of one core over the replay, and the highest rate with no loss.
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import struct
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from scapy.layers.dhcp import BOOTP, DHCP
from scapy.layers.dns import DNS, DNSRR
from scapy.layers.inet import IP, UDP
from scapy.layers.inet6 import ICMPv6ND_NS, IPv6
from scapy.layers.l2 import ARP, Ether

from netdiscover_lab import passive_lab as pl
from netdiscover_lab.netns import Lab, lab_unavailable_reason

SENDERS = 2000


def _mac(i: int) -> str:
    return f"00:1b:21:{(i >> 16) & 0xff:02x}:{(i >> 8) & 0xff:02x}:{i & 0xff:02x}"


def _ip(i: int) -> str:
    return f"10.30.{(i >> 8) & 0xff}.{(i & 0xff) or 1}"


def _lldp(mac: str, i: int) -> bytes:
    def tlv(t: int, v: bytes) -> bytes:
        return struct.pack("!H", (t << 9) | len(v)) + v
    raw = bytes.fromhex(mac.replace(":", ""))
    body = (tlv(1, b"\x04" + raw) + tlv(2, b"\x05" + f"Gi1/0/{i % 48}".encode()) + tlv(3, b"\x00\x78")
            + tlv(5, f"sw{i}".encode()) + tlv(7, struct.pack("!HH", 4, 4)) + tlv(0, b""))
    return bytes.fromhex("0180c200000e") + raw + b"\x88\xcc" + body


def frames(count: int, seed: int = 21) -> list[bytes]:
    """``count`` announcement frames from SENDERS devices, in a fixed random order."""
    rng = random.Random(seed)
    out = []
    for n in range(count):
        i = rng.randrange(1, SENDERS + 1)
        mac, ip = _mac(i), _ip(i)
        kind = n % 6
        if kind == 0:
            pkt = Ether(src=mac, dst="ff:ff:ff:ff:ff:ff") / ARP(hwsrc=mac, psrc=ip, pdst="10.30.0.1")
        elif kind == 1:
            pkt = (Ether(src=mac, dst="ff:ff:ff:ff:ff:ff") / IP(src="0.0.0.0", dst="255.255.255.255")
                   / UDP(sport=68, dport=67) / BOOTP(chaddr=bytes.fromhex(mac.replace(":", "")))
                   / DHCP(options=[("message-type", "request"), ("hostname", f"host{i}"),
                                   ("param_req_list", [1, 3, 6, 15, 119, 252]), "end"]))
        elif kind == 2:
            pkt = (Ether(src=mac, dst="01:00:5e:00:00:fb") / IP(src=ip, dst="224.0.0.251")
                   / UDP(sport=5353, dport=5353)
                   / DNS(qr=1, aa=1, qd=[], an=DNSRR(rrname=f"host{i}.local", type="A", rdata=ip)))
        elif kind == 3:
            pkt = (Ether(src=mac, dst="01:00:5e:7f:ff:fa") / IP(src=ip, dst="239.255.255.250")
                   / UDP(sport=1900, dport=1900)
                   / (b"NOTIFY * HTTP/1.1\r\nHOST: 239.255.255.250:1900\r\nNT: upnp:rootdevice\r\n"
                      b"NTS: ssdp:alive\r\nSERVER: Linux UPnP/1.0\r\nUSN: uuid:%d\r\n\r\n" % i))
        elif kind == 4:
            out.append(_lldp(mac, i))
            continue
        else:
            pkt = (Ether(src=mac, dst="33:33:ff:00:00:01") / IPv6(src="::", dst="ff02::1:ff00:1")
                   / ICMPv6ND_NS(tgt=f"fd00:30::{i:x}"))
        out.append(bytes(pkt))
    return out


def write_pcap(path: Path, data: list[bytes]) -> None:
    """A classic little-endian pcap (Ethernet) holding ``data``."""
    with path.open("wb") as handle:
        handle.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
        for i, frame in enumerate(data):
            handle.write(struct.pack("<IIII", i // 1000, (i % 1000) * 1000, len(frame), len(frame)))
            handle.write(frame)


def run_rate(lab: Lab, sender, ear, pcap: Path, count: int, rate: int, loops: int = 1) -> dict:
    count *= loops
    timeout = count / rate + 10
    # not lab.start: its output is a log file, and the counter's JSON is read from its stdout
    counter = subprocess.Popen(["ip", "netns", "exec", ear.ns, sys.executable, "-m",
                                "netdiscover_lab.passive_lab", "count", "eth0", str(count), str(timeout)],
                               stdout=subprocess.PIPE, text=True)
    try:
        assert counter.stdout is not None
        if counter.stdout.readline().strip() != "ready":
            raise RuntimeError("the counter did not start")
        started = time.monotonic()
        replay = lab.run(sender.ns, ["tcpreplay", "-q", "-i", "eth0", f"--pps={rate}", f"--loop={loops}",
                                        str(pcap)],
                         timeout=timeout + 30)
        replay_s = time.monotonic() - started
        result = json.loads(counter.communicate(timeout=timeout + 15)[0].strip().splitlines()[-1])
    finally:
        if counter.poll() is None:
            counter.kill()
            counter.wait()
    sent = count
    for line in replay.stdout.splitlines():
        if "Actual:" in line:
            sent = int(line.split("Actual:")[1].split("packets")[0].strip())
    result.update(rate=rate, sent=sent, lost=sent - result["received"], replay_s=round(replay_s, 3),
                  cpu_share=round(result["cpu_s"] / max(count / rate, 1e-9), 3))
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, default=100_000)
    parser.add_argument("--rates", default="10000,20000,30000,40000,50000")
    parser.add_argument("--loops", type=int, default=3, help="times the capture is replayed per rate")
    args = parser.parse_args()
    reason = lab_unavailable_reason() or (None if shutil.which("tcpreplay") else "tcpreplay is not installed")
    if reason:
        print(f"cannot run: {reason}", file=sys.stderr)
        return 2
    workdir = Path(tempfile.mkdtemp(prefix="listen-bench-"))
    pcap = workdir / "announce.pcap"
    write_pcap(pcap, frames(args.frames))
    results = []
    try:
        with Lab() as lab:
            seg = pl.mirror_segment(lab)
            ear = pl.silent_host(lab, "ear", seg)
            sender = pl.silent_host(lab, "replay", seg)
            for rate in (int(r) for r in args.rates.split(",")):
                row = run_rate(lab, sender, ear, pcap, args.frames, rate, args.loops)
                results.append(row)
                print(f"{rate:>7} pps: sent {row['sent']}, received {row['received']}, lost {row['lost']}, "
                      f"kernel drops {row['kernel_drops']}, malformed {row['malformed']}, "
                      f"cpu {row['cpu_s']:.2f}s = {row['cpu_share'] * 100:.0f}% of one core", flush=True)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    clean = [r["rate"] for r in results if r["lost"] == 0]
    print(f"highest rate with 0 loss: {max(clean) if clean else 'none'} pps "
          f"({args.frames * args.loops} frames per run)")
    print(json.dumps(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
