"""ARP test networks: a few namespaced hosts for tests, or a thousand-host segment for benchmarks.

Small labs use one namespace per host (``Lab.host``). A large lab puts every target host in a
single "hosts" namespace as macvlan interfaces on one uplink, each with its own MAC and IP,
answering ARP only for its own address (``arp_ignore=1``). On the bridge, an nftables
bridge-family table turns each broadcast ARP request into a unicast to the MAC that owns the
asked address and drops requests nobody owns, as ARP suppression does on real switches; without
it every request would be copied to every host and the lab, not the scanner, would be measured.

The neighbour table limits (``gc_thresh1/2/3``) are global to the kernel, not per namespace
(see ``neigh_limits``); a large lab takes a shared hold on raised values, released when the lab
closes (or earlier by ``restore_gc()``); the last lab to release puts the old values back.

``run_scan`` runs ``python -m netdiscover.scanners.arp.scanner`` inside the scanner namespace and
returns its JSON outcome; ``announce`` sends gratuitous ARP from a host.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from netaddr import IPAddress, IPNetwork

from netdiscover_lab.neigh_limits import NeighLimits
from netdiscover_lab.netns import Host, Lab, LabError, Segment

LARGE_SCANNER_MAC = "02:00:5e:77:00:01"
LARGE_GC = {"gc_thresh1": 8192, "gc_thresh2": 32768, "gc_thresh3": 65536}
LIMITS = NeighLimits()      # the kernel's; tests point it at files of their own

# Real hardware OUIs, so the vendor lookup has something true to find.
VENDOR_OUIS = {
    "00:1b:21": "Intel Corporate",
    "3c:d9:2b": "Hewlett Packard",
    "00:1e:c9": "Dell Inc.",
    "00:26:b9": "Dell Inc.",
    "00:1a:a0": "Dell Inc.",
    "b8:27:eb": "Raspberry Pi Foundation",
    "00:0d:93": "Apple, Inc.",
    "00:1f:f3": "Apple, Inc.",
}


def lab_mac(index: int, oui: str | None) -> str:
    """A MAC for host ``index``: under ``oui``, or locally administered (02:...) when oui is None."""
    tail = f"{(index >> 16) & 0xFF:02x}:{(index >> 8) & 0xFF:02x}:{index & 0xFF:02x}"
    return f"{oui}:{tail}" if oui else f"02:4e:44:{tail}"


def quiet_namespace(lab: Lab, ns: str) -> None:
    """No IPv6 chatter (router solicitations, DAD) in a lab namespace: ARP only."""
    lab.sysctl(ns, "net.ipv6.conf.all.disable_ipv6", "1")
    lab.sysctl(ns, "net.ipv6.conf.default.disable_ipv6", "1")


@dataclass
class SmallArpLab:
    """A scanner and a few hosts, one namespace each, on one bridge."""

    lab: Lab
    segment: Segment
    scanner: Host
    hosts: dict[str, Host] = field(default_factory=dict)   # ip -> host

    def add_host(self, name: str, ip: str, mac: str, prefixlen: int = 24) -> Host:
        host = self.lab.host(name, self.segment, f"{ip}/{prefixlen}", mac)
        self.hosts[ip] = host
        return host


def small_lab(lab: Lab, scanner_cidr: str = "10.20.0.2/24", scanner_mac: str = "02:00:5e:10:00:02",
              ) -> SmallArpLab:
    """An empty segment with the scanner namespace on it; add hosts with ``add_host``."""
    seg = lab.segment("lan")
    scanner = lab.host("scan", seg, scanner_cidr, scanner_mac)
    quiet_namespace(lab, scanner.ns)
    return SmallArpLab(lab=lab, segment=seg, scanner=scanner)


@dataclass
class LargeArpLab:
    """One segment with a scanner namespace and many macvlan hosts in one namespace."""

    lab: Lab
    network: IPNetwork
    scanner_ns: str
    scanner_ip: str
    switch_ns: str
    hosts_ns: str
    hosts: dict[str, str] = field(default_factory=dict)    # ip -> mac
    gc_hold: str | None = None          # this lab's hold on the raised neighbour-table limits

    def hosts_in(self, cidr: str) -> dict[str, str]:
        net = IPNetwork(cidr)
        return {ip: mac for ip, mac in self.hosts.items() if IPAddress(ip) in net}

    def restore_gc(self) -> None:
        """Release this lab's hold on the neighbour-table limits (the last hold restores them).
        Closing the lab does it too; safe to call twice."""
        if self.gc_hold is not None:
            hold, self.gc_hold = self.gc_hold, None
            LIMITS.release(hold)


def large_lab(lab: Lab, network: str = "10.77.0.0/20", live: int = 1000, dense_cidr: str = "10.77.0.0/24",
              dense_live: int = 80, seed: int = 7) -> LargeArpLab:
    """Build ``live`` hosts in ``network`` (``dense_live`` of them inside ``dense_cidr``).

    The scanner gets the last usable address. MACs mix real vendor OUIs and locally
    administered ones. Everything lives in the lab's namespaces except the neighbour-table
    limits, which are global: the lab holds them raised until it closes.
    """
    net = IPNetwork(network)
    dense = IPNetwork(dense_cidr)
    rng = random.Random(seed)
    scanner_ip = str(IPAddress(net.last - 1))
    pool_dense = [str(ip) for ip in dense.iter_hosts() if str(ip) != scanner_ip]
    pool_rest = [str(ip) for ip in net.iter_hosts() if IPAddress(ip) not in dense and str(ip) != scanner_ip]
    chosen = rng.sample(pool_dense, dense_live) + rng.sample(pool_rest, live - dense_live)
    ouis = [*VENDOR_OUIS, None]
    hosts = {ip: lab_mac(i + 1, ouis[i % len(ouis)]) for i, ip in enumerate(sorted(chosen, key=IPAddress))}

    built = LargeArpLab(lab=lab, network=net, scanner_ns="", scanner_ip=scanner_ip, switch_ns="",
                        hosts_ns="", hosts=hosts)
    if live > 200:
        built.gc_hold = LIMITS.hold(LARGE_GC)
        lab.on_close(built.restore_gc)
    seg = lab.segment("big")
    built.switch_ns = seg.ns
    scanner = lab.host("scan", seg, f"{scanner_ip}/{net.prefixlen}", LARGE_SCANNER_MAC)
    built.scanner_ns = scanner.ns
    quiet_namespace(lab, scanner.ns)

    hosts_ns = lab.namespace("hosts")
    built.hosts_ns = hosts_ns
    quiet_namespace(lab, hosts_ns)
    lab.sysctl(hosts_ns, "net.ipv4.conf.all.arp_ignore", "1")
    lab.sysctl(hosts_ns, "net.ipv4.conf.all.arp_announce", "2")
    lab.sysctl(hosts_ns, "net.ipv4.conf.all.rp_filter", "0")
    lab.attach(hosts_ns, seg, "up0")
    batch = []
    for i, (ip, mac) in enumerate(hosts.items()):
        batch.append(f"link add h{i} link up0 address {mac} type macvlan mode private")
        batch.append(f"addr add {ip}/32 dev h{i} noprefixroute")
        batch.append(f"link set h{i} up")
    lab.run(hosts_ns, ["ip", "-batch", "-"], input="\n".join(batch) + "\n", timeout=300)

    elements = ", ".join(f"{ip} : {mac}" for ip, mac in hosts.items())
    lab.nft(seg.ns, f"""
table bridge arpsteer {{
    map owner {{ type ipv4_addr : ether_addr; elements = {{ {elements} }} }}
    chain pre {{
        type filter hook prerouting priority -200; policy accept;
        arp operation request ether daddr ff:ff:ff:ff:ff:ff ether daddr set arp daddr ip map @owner
        arp operation request ether daddr ff:ff:ff:ff:ff:ff drop
    }}
}}
""")
    return built


def add_arp_loss(lab: Lab, switch_ns: str, percent: int) -> None:
    """Drop ``percent``% of ARP frames (both ways) crossing the bridge in ``switch_ns``."""
    lab.nft(switch_ns, f"""
table bridge arploss {{
    chain lossy {{
        type filter hook forward priority 0; policy accept;
        ether type arp numgen random mod 100 < {int(percent)} drop
    }}
}}
""")


def drop_first_request(lab: Lab, host_ns: str) -> None:
    """Make a host ignore the first ARP request from each asker and answer the later ones."""
    lab.nft(host_ns, """
table arp once {
    set asked { type ipv4_addr; flags dynamic; }
    chain in {
        type filter hook input priority 0; policy accept;
        arp operation request arp saddr ip @asked accept
        arp operation request add @asked { arp saddr ip } drop
    }
}
""")


def announce(lab: Lab, ns: str, ip: str, mac: str, count: int = 100, interval: float = 0.05,
             iface: str = "eth0", wait: float = 15.0) -> None:
    """Send ``count`` gratuitous ARP announcements of ``ip`` at ``mac`` from ``ns`` in the background.

    Returns once the first announcement is out (or after ``wait`` seconds at most).
    """
    with tempfile.TemporaryDirectory(prefix="nd-announce-") as tmp:
        ready = Path(tmp) / "ready"
        lab.start(ns, [sys.executable, "-m", "netdiscover_lab.arp_lab", "announce", ip, mac,
                       "--count", str(count), "--interval", str(interval), "--iface", iface,
                       "--ready-file", str(ready)])
        deadline = time.monotonic() + wait
        while not ready.exists() and time.monotonic() < deadline:
            time.sleep(0.02)


def _announce_main(args: argparse.Namespace) -> int:
    import socket

    from netdiscover.scanners.arp.scanner import ETH_P_ARP, request_frame, request_prefix

    ip = int(IPAddress(args.ip))
    frame = request_frame(request_prefix(bytes.fromhex(args.mac.replace(":", "")), ip), ip)
    with socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ARP)) as sock:
        sock.bind((args.iface, ETH_P_ARP))
        for sent in range(max(0, min(args.count, 10_000))):
            sock.send(frame)
            if sent == 0 and args.ready_file:
                Path(args.ready_file).touch()
            time.sleep(max(0.001, args.interval))
    return 0


def run_scan(lab: Lab, ns: str, targets: list[str], interface: str | None = None, rate: int | None = None,
             retries: int | None = None, options: dict | None = None, timeout: float = 120) -> dict:
    """Run one ARP sweep inside ``ns`` (a separate process) and return its JSON outcome."""
    cmd = [sys.executable, "-m", "netdiscover.scanners.arp.scanner", *targets]
    if interface:
        cmd += ["--iface", interface]
    if rate is not None:
        cmd += ["--rate", str(rate)]
    if retries is not None:
        cmd += ["--retries", str(retries)]
    if options:
        cmd += ["--options", json.dumps(options)]
    proc = lab.run(ns, cmd, check=False, timeout=timeout)
    try:
        return json.loads(proc.stdout)
    except json.JSONDecodeError:
        raise LabError(f"scan runner failed ({proc.returncode}): {proc.stderr.strip()[-800:]}") from None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m netdiscover_lab.arp_lab")
    sub = parser.add_subparsers(dest="command", required=True)
    ann = sub.add_parser("announce", help="send gratuitous ARP for IP at MAC (lab use only)")
    ann.add_argument("ip")
    ann.add_argument("mac")
    ann.add_argument("--count", type=int, default=100)
    ann.add_argument("--interval", type=float, default=0.05)
    ann.add_argument("--iface", default="eth0")
    ann.add_argument("--ready-file", help="touch this file once the first announcement is sent")
    args = parser.parse_args(argv)
    return _announce_main(args)


if __name__ == "__main__":
    sys.exit(main())
