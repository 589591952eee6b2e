"""IoT discovery: what devices announce about themselves over mDNS/DNS-SD, SSDP/UPnP and NetBIOS.

Each protocol lives in its own module as data (a probe template, a reply matcher, a parser);
this module is the engine they share: one UDP socket per protocol, a packet pacer
(``scanners.pacing``) shared by all, unicast probes to the swept addresses, one multicast probe
per group on the chosen interface only, follow-up queries as answers arrive, and bounded waits.
Replies from addresses outside the targets are dropped unread. Afterwards SSDP descriptions are
fetched (guarded), and everything one address said becomes one Observation(method="iot").

Knobs: ``ctx.rate`` (packets per second for all three protocols), ``ctx.retries`` (extra passes
over addresses that stayed silent), ``ctx.timeout`` (seconds to keep listening after the last
packet) and the options; defaults in the package's ``DESCRIPTOR``. Needs no privileges: plain
UDP sockets and HTTP.
"""

from __future__ import annotations

import json
import select
import shutil
import socket
import struct
import subprocess
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, Protocol

from netaddr import IPAddress, IPNetwork, IPSet

from netdiscover.observation import Observation, clean_text
from netdiscover.scanners.base import ScanContext, ScannerUnavailable, ScanOutcome
from netdiscover.scanners.iot import DESCRIPTOR
from netdiscover.scanners.iot.mdns import MdnsProbe
from netdiscover.scanners.iot.netbios import NetbiosProbe, computer_name
from netdiscover.scanners.iot.ssdp import SsdpProbe
from netdiscover.scanners.pacing import ThreadPacer

NAME = DESCRIPTOR.name
MAX_UNICAST_HOSTS = 4096      # beyond this, only the multicast probes are sent
MAX_REPLIES = 20000           # datagrams read per protocol
MAX_REPLY_BYTES = 65535
MULTICAST_REPEATS = 2         # a multicast probe is cheap: send it twice against loss
RETRY_GAP = 0.3               # seconds between a sweep pass and the next (retry) pass
FETCH_WORKERS = 4
IP_MULTICAST_ALL = 49         # Linux: deliver only groups this socket joined (none)


class UdpProtocol(Protocol):
    """What a protocol module provides to the engine."""

    name: str
    port: int
    group: str | None
    multicast_ttl: int
    min_quiet: float

    def multicast_probe(self) -> bytes | None: ...
    def probe(self, ip: str) -> bytes | None: ...
    def answered(self, ip: str) -> bool: ...
    def handle(self, ip: str, data: bytes) -> list[bytes]: ...
    def results(self) -> dict[str, dict[str, Any]]: ...


@dataclass
class Link:
    """The interface multicast probes leave by."""

    name: str
    index: int
    address: str
    network: IPNetwork


def _links() -> list[dict[str, Any]]:
    if shutil.which("ip") is None:
        raise ScannerUnavailable("iot discovery needs iproute2 ('ip') to read interface addresses")
    proc = subprocess.run(["ip", "-j", "addr", "show"], capture_output=True, text=True, timeout=10)
    if proc.returncode != 0:
        raise ScannerUnavailable(f"cannot list interfaces: {proc.stderr.strip()[:200]}")
    try:
        return json.loads(proc.stdout or "[]")
    except ValueError:
        raise ScannerUnavailable("cannot read interface list ('ip -j addr' gave no JSON)") from None


def pick_link(targets: IPSet, wanted: str | None, entries: list[dict[str, Any]]) -> Link | None:
    """The interface for multicast: ``wanted`` (which must exist and be up), else the one on the
    targets' subnet; None when the targets are on no local subnet (multicast is then skipped)."""
    candidates = []
    for entry in entries:
        flags = set(entry.get("flags") or [])
        if "LOOPBACK" in flags:
            continue
        for addr in entry.get("addr_info") or []:
            if addr.get("family") == "inet" and addr.get("local"):
                net = IPNetwork(f"{addr['local']}/{addr.get('prefixlen', 32)}")
                candidates.append((entry, net))
    if wanted:
        named = [entry for entry in entries if entry.get("ifname") == wanted]
        if not named:
            raise ScannerUnavailable(f"no interface named {wanted!r}")
        if "UP" not in set(named[0].get("flags") or []):
            raise ScannerUnavailable(f"interface {wanted} is down (ip link set {wanted} up)")
        candidates = [(e, n) for e, n in candidates if e.get("ifname") == wanted]
        if not candidates:
            raise ScannerUnavailable(f"interface {wanted} has no IPv4 address to send from")
    best = None
    for entry, net in candidates:
        covered = len(targets & IPSet([net.cidr]))
        if "UP" in set(entry.get("flags") or []) and (best is None or covered > best[0]):
            best = (covered, entry, net)
    if best is None or (not wanted and best[0] == 0):
        return None
    _, entry, net = best
    return Link(entry["ifname"], int(entry.get("ifindex") or socket.if_nametoindex(entry["ifname"])),
                str(net.ip), net)


def _open_socket(proto: UdpProtocol, link: Link | None) -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.setblocking(False)
    if link is not None:
        mreqn = struct.pack("4s4si", b"\0" * 4, socket.inet_aton(link.address), link.index)
        sock.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_IF, mreqn)
        sock.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_TTL, proto.multicast_ttl)
        sock.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_LOOP, 0)
    try:
        sock.setsockopt(socket.IPPROTO_IP, IP_MULTICAST_ALL, 0)
    except OSError:
        pass
    sock.bind(("0.0.0.0", 0))
    return sock


class Exchange:
    """Runs one protocol's UDP conversation: probes out, replies in, follow-ups, bounded waits."""

    def __init__(self, proto: UdpProtocol, targets: IPSet, pacer: ThreadPacer, link: Link | None,
                 quiet: float, limit: float) -> None:
        self.proto = proto
        self.targets = targets
        self.pacer = pacer
        self.link = link
        self.quiet = max(quiet, proto.min_quiet)
        self.deadline = time.monotonic() + limit
        self.stats = {"sent": 0, "send_errors": 0, "replies": 0, "ignored": 0, "unprobed": 0,
                      "parse_errors": 0}
        self.errors: list[str] = []
        self._last_sent = time.monotonic()
        self._sock: socket.socket | None = None

    def _send(self, ip: str, payload: bytes) -> None:
        self.pacer.wait()
        try:
            self._sock.sendto(payload, (ip, self.proto.port))
            self.stats["sent"] += 1
        except OSError:
            self.stats["send_errors"] += 1
        self._last_sent = time.monotonic()

    def _multicast(self) -> None:
        probe = self.proto.multicast_probe() if self.link is not None and self.proto.group else None
        if probe and time.monotonic() < self.deadline:
            self._send(self.proto.group, probe)

    def _sweep(self, addresses: list[str], first: bool) -> None:
        for n, ip in enumerate(addresses):
            if time.monotonic() >= self.deadline:
                if first:
                    self.stats["unprobed"] = len(addresses) - n
                return
            payload = self.proto.probe(ip)
            if payload:
                self._send(ip, payload)
                self._drain(0)

    def _drain(self, timeout: float) -> None:
        readable, _, _ = select.select([self._sock], [], [], max(0.0, timeout))
        if not readable:
            return
        while self.stats["replies"] + self.stats["ignored"] < MAX_REPLIES:
            try:
                data, (ip, _port) = self._sock.recvfrom(MAX_REPLY_BYTES)
            except (BlockingIOError, InterruptedError):
                return
            except OSError:
                return
            if ip not in self.targets:
                self.stats["ignored"] += 1
                continue
            self.stats["replies"] += 1
            try:
                follow_ups = self.proto.handle(ip, data)[:16]
            except Exception as exc:  # a parser fault on one odd reply must not end the exchange
                self.stats["parse_errors"] += 1
                if len(self.errors) < 20:
                    self.errors.append(f"{ip}: unreadable reply ({type(exc).__name__})")
                continue
            for follow_up in follow_ups:
                if time.monotonic() < self.deadline:
                    self._send(ip, follow_up)

    def run(self, unicast: list[str], retries: int = 0) -> None:
        """Multicast probe, a unicast pass over ``unicast``, ``retries`` passes over the silent
        ones, then listen until ``quiet`` seconds after the last packet sent (or the deadline)."""
        self._sock = _open_socket(self.proto, self.link)
        try:
            for attempt in range(1 + max(retries, MULTICAST_REPEATS - 1)):
                if attempt:
                    self._drain(RETRY_GAP)
                if attempt < MULTICAST_REPEATS:
                    self._multicast()
                if attempt <= retries:
                    silent = [ip for ip in unicast if not self.proto.answered(ip)] if attempt else unicast
                    self._sweep(silent, first=not attempt)
            while True:
                now = time.monotonic()
                idle_end = self._last_sent + self.quiet
                if now >= self.deadline or now >= idle_end:
                    break
                self._drain(min(idle_end, self.deadline) - now)
        finally:
            self._sock.close()


def _unicast_targets(targets: IPSet, link: Link | None) -> list[str]:
    skip = set()
    if link is not None and link.network.prefixlen < 31:
        skip = {link.network.network, link.network.broadcast, IPAddress(link.address)}
    found = []
    for cidr in targets.iter_cidrs():
        if cidr.version != 4:
            continue
        for address in cidr:
            if address in skip:
                continue
            found.append(str(address))
            if len(found) > MAX_UNICAST_HOSTS:
                return found
    return found


def scan(ctx: ScanContext) -> ScanOutcome:
    """Ask the targets (and the link-local groups) what they are; one Observation per answering IP."""
    outcome = ScanOutcome(method=NAME)
    link = pick_link(ctx.targets, ctx.interface, _links())
    unicast = _unicast_targets(ctx.targets, link)
    if len(unicast) > MAX_UNICAST_HOSTS:
        unicast = []
        outcome.messages.append(f"iot: more than {MAX_UNICAST_HOSTS} targets; only multicast queries sent")
    if link is None:
        outcome.messages.append("iot: targets are on no local subnet; unicast queries only")
        if not unicast:
            outcome.status = "skipped"
            return outcome
    options = DESCRIPTOR.defaults() | (ctx.options or {})
    quiet = float(ctx.timeout or options["iot_quiet"])
    rate = ctx.rate or DESCRIPTOR.rate
    retries = max(0, ctx.retries or DESCRIPTOR.retries)
    mdns, ssdp, netbios = MdnsProbe(), SsdpProbe(unicast=link is None), NetbiosProbe()
    # the probing protocols share one pacer: allow for all their packets, then the fixed cap
    probing = 3 if ssdp.unicast else 2
    limit = max(quiet + 1.0, float(options["iot_phase_limit"]))
    limit += (1 + retries) * (probing * len(unicast) / rate + RETRY_GAP)
    pacer = ThreadPacer(max(1, rate))
    exchanges = [Exchange(p, ctx.targets, pacer, link, quiet, limit) for p in (mdns, ssdp, netbios)]
    ctx.progress(0, 4, "querying")
    with ThreadPoolExecutor(max_workers=3) as pool:
        futures = [(ex, pool.submit(ex.run, unicast, retries)) for ex in exchanges]
        for ex, future in futures:
            try:
                future.result()
            except OSError as exc:
                outcome.status = "partial"
                outcome.messages.append(f"iot: {ex.proto.name} could not run: {exc.strerror or exc}")
    for ex in exchanges:
        if ex.stats["unprobed"]:
            outcome.status = "partial"
            outcome.messages.append(f"iot: {ex.proto.name} ran out of time; {ex.stats['unprobed']} "
                                    "addresses not asked (raise --rate)")
    ctx.progress(3, 4, "reading device descriptions")
    described: dict[str, dict[str, Any]] = {}
    budget = time.monotonic() + float(options["iot_describe_limit"])
    with ThreadPoolExecutor(max_workers=FETCH_WORKERS) as pool:
        jobs = {ip: pool.submit(ssdp.describe, ip, ctx.targets, budget) for ip in ssdp.replies}
        for ip, job in jobs.items():
            facts, notes = job.result()
            described[ip] = facts
            outcome.messages.extend(f"iot: ssdp {note}" for note in notes)
    for proto in (mdns, netbios):
        outcome.messages.extend(f"iot: {proto.name} {note}" for note in proto.notes)
    for ex in exchanges:
        outcome.messages.extend(f"iot: {ex.proto.name} {note}" for note in ex.errors)
    outcome.observations = _observations(mdns.results(), described, netbios.results(), netbios.macs)
    outcome.stats = {ex.proto.name: ex.stats for ex in exchanges}
    outcome.stats["hosts"] = len(outcome.observations)
    outcome.stats["unicast_targets"] = len(unicast)
    outcome.stats["interface"] = link.name if link else None
    ctx.progress(4, 4, f"{len(outcome.observations)} devices announced themselves")
    return outcome


def _observations(mdns: dict[str, dict[str, Any]], ssdp: dict[str, dict[str, Any]],
                  netbios: dict[str, dict[str, Any]], macs: dict[str, str]) -> list[Observation]:
    observations = []
    for ip in sorted(set(mdns) | set(ssdp) | set(netbios), key=lambda a: IPAddress(a)):
        facts: dict[str, Any] = {}
        hostname = None
        serial = None
        if ip in mdns:
            facts["mdns"] = mdns[ip]
            hostname = mdns[ip].get("hostname")
        if ip in ssdp:
            facts["ssdp"] = ssdp[ip]
            serial = ssdp[ip].get("serialNumber")
        if ip in netbios:
            facts["netbios"] = netbios[ip]
            hostname = hostname or computer_name(netbios[ip])
        observations.append(Observation(method=NAME, ip=ip, mac=macs.get(ip),
                                        hostname=clean_text(hostname, 255), serial=serial, facts=facts))
    return observations
