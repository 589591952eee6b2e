"""A whole sweep's lab: a /20 segment with a thousand live hosts, some SNMP agents, some TCP services.

Built on ``arp_lab.large_lab`` (every host a macvlan address in one "hosts" namespace, ARP steered
by the switch). On top of it:

- ``agents`` hosts answer SNMP v2c (community ``public``): one snmpsim process, one device per
  address, each serving a recording from the device corpus (seeded random pick, no size filter);
- ``services`` hosts serve TCP: one services process listens on every port of ``SERVICE_MIX``
  on all addresses of the namespace, and an nftables table there resets connections to each
  port except at the hosts that serve it, so every other host has those ports closed, as on a
  real segment.

The rest only answer ARP (and the kernel's ICMP). ``SweepLab.expected`` says what a sweep
should find. Needs root; close the Lab and call ``restore_gc()`` afterwards.
"""

from __future__ import annotations

import json
import os
import random
from dataclasses import dataclass, field
from pathlib import Path

from netaddr import IPAddress

from netdiscover_lab.arp_lab import LARGE_SCANNER_MAC, LargeArpLab, large_lab
from netdiscover_lab.netns import Lab, LabError
from netdiscover_lab.services import start_services
from netdiscover_lab.snmp_agents import start_snmpsim

CORPUS = Path(os.environ.get("NETDISCOVER_CORPUS", Path(__file__).resolve().parents[2] / "shared" / "corpus")
              ) / "snmp-public"

# What a serving host offers, by kind (cycled over the service hosts): port -> service spec.
SERVICE_MIX: list[dict[int, str]] = [
    {80: "http:80:server=lighttpd/1.4.59", 9100: "jetdirect:9100"},                  # printer
    {80: "http:80:server=lighttpd/1.4.59", 554: "rtsp:554"},                         # camera
    {22: "ssh:22", 80: "http:80:server=lighttpd/1.4.59", 8080: "http:8080"},         # server
    {22: "ssh:22", 5000: "http:5000"},                                               # NAS
    {22: "ssh:22", 443: "raw:443:banner=x"},                                         # appliance
]


@dataclass
class SweepLab:
    """The built lab and what is in it."""

    net: LargeArpLab
    agents: dict[str, str] = field(default_factory=dict)          # ip -> recording file name
    silent_agents: list[str] = field(default_factory=list)        # agents that did not answer the warm-up
    services: dict[str, list[int]] = field(default_factory=dict)  # ip -> open TCP ports

    @property
    def scanner_ns(self) -> str:
        return self.net.scanner_ns

    @property
    def network(self) -> str:
        return str(self.net.network)

    def expected(self) -> dict[str, object]:
        """Counts a complete sweep should report."""
        return {"hosts": len(self.net.hosts), "agents": len(self.agents),
                "open_ports": sum(len(p) for p in self.services.values())}

    def restore_gc(self) -> None:
        self.net.restore_gc()


def corpus_recordings(corpus: Path = CORPUS) -> list[Path]:
    """Every single-device recording of the corpus (context files left out), sorted."""
    index = json.loads((corpus / "index.json").read_text())
    files = sorted(r["file"] for r in index["records"] if "@" not in r["file"])
    return [corpus / "snmprec" / name for name in files if (corpus / "snmprec" / name).is_file()]


def sweep_lab(lab: Lab, workdir: Path, network: str = "10.77.0.0/20", live: int = 1000, agents: int = 100,
              services: int = 30, seed: int = 22, corpus: Path = CORPUS) -> SweepLab:
    """Build the lab: ``live`` hosts in ``network``, ``agents`` of them SNMP agents and ``services``
    others serving TCP (disjoint, picked with ``seed``)."""
    net = large_lab(lab, network=network, live=live, dense_cidr=str(IPAddress(network.split("/")[0])) + "/24",
                    dense_live=min(80, live // 10), seed=seed)
    built = SweepLab(net=net)
    try:
        _populate(lab, built, workdir, agents, services, seed, corpus)
    except BaseException:
        net.restore_gc()      # the caller gets no SweepLab to restore them from
        raise
    return built


def _populate(lab: Lab, built: SweepLab, workdir: Path, agents: int, services: int, seed: int,
              corpus: Path) -> None:
    net = built.net
    # The hosts' addresses are /32s without a route; their answers go back to the scanner out of
    # the uplink (the switch forwards ARP requests only to the hosts, so its MAC is fixed here).
    lab.run(net.hosts_ns, ["ip", "route", "add", f"{net.scanner_ip}/32", "dev", "up0"])
    lab.run(net.hosts_ns, ["ip", "neigh", "replace", net.scanner_ip, "lladdr", LARGE_SCANNER_MAC,
                           "dev", "up0", "nud", "permanent"])
    rng = random.Random(seed)
    hosts = sorted(net.hosts, key=IPAddress)
    picked = rng.sample(hosts, agents + services)
    agent_ips, service_ips = sorted(picked[:agents], key=IPAddress), sorted(picked[agents:], key=IPAddress)
    if agent_ips:
        recordings = corpus_recordings(corpus)
        if len(recordings) < agents:
            raise LabError(f"only {len(recordings)} recordings in {corpus}; {agents} agents wanted")
        chosen = rng.sample(recordings, agents)
        devices = dict(zip(agent_ips, chosen, strict=True))
        sim = start_snmpsim(lab, net.hosts_ns, devices, workdir / "snmpsim")
        built.agents = {ip: path.name for ip, path in devices.items()}
        built.silent_agents = list(sim.silent)
    if service_ips:
        offers = {ip: SERVICE_MIX[i % len(SERVICE_MIX)] for i, ip in enumerate(service_ips)}
        specs = sorted({spec for offer in offers.values() for spec in offer.values()})
        ports = sorted({port for offer in offers.values() for port in offer})
        pairs = ", ".join(f"{ip} . {port}" for ip, offer in offers.items() for port in offer)
        lab.nft(net.hosts_ns, f"""
table inet sweeplab {{
    set serving {{ type ipv4_addr . inet_service; elements = {{ {pairs} }} }}
    chain in {{
        type filter hook input priority 0; policy accept;
        ip daddr . tcp dport @serving accept
        tcp dport {{ {", ".join(map(str, ports))} }} reject with tcp reset
    }}
}}
""")
        start_services(lab, net.hosts_ns, specs, log=workdir / "services.log", timeout=60)
        built.services = {ip: sorted(offer) for ip, offer in offers.items()}
