"""IPv6 neighbour discovery on one segment: who answers all-nodes, and which addresses each holds.

Two rounds on the chosen interface, nothing routed: (1) an ICMPv6 echo request to ff02::1 from
each of our own addresses on the link (from a link-local source the hosts answer from their
link-local address, from a global or ULA source with their address of that scope); (2) a
neighbour solicitation, to the target's solicited-node group, for every on-link prefix combined
with each responder's EUI-64 interface identifier, which finds SLAAC addresses a host did not
answer from. Replies are read off an AF_PACKET socket (kernel filter: echo replies and
neighbour advertisements) so each address comes with the MAC that sent it.

Every probe waits for its slot of ``ctx.rate`` per second (``scanners.pacing``; the descriptor's
rate by default), reading replies while it waits; the deadline grows with the probes to send.
An ndp sweep never proves absence (``reconcile.absence``): hosts may ignore an echo to
all-nodes, and only those that answered are solicited.
"""

from __future__ import annotations

import ipaddress
import os
import select
import socket
import struct
import time
from dataclasses import dataclass, field
from pathlib import Path

from netdiscover.observation import Observation
from netdiscover.scanners.base import ScanContext, ScannerUnavailable, ScanOutcome
from netdiscover.scanners.ndp import DESCRIPTOR
from netdiscover.scanners.pacing import SendSchedule
from netdiscover.scanners.passive import bpf

NAME = DESCRIPTOR.name
FILTER = Path(__file__).with_name("filter.json")
IF_INET6 = Path("/proc/net/if_inet6")
ALL_NODES = "ff02::1"
ETH_P_IPV6 = 0x86DD
ECHO_REQUEST, ECHO_REPLY, NS, NA = 128, 129, 135, 136
ROUNDS = 2
ROUND_GAP = 0.3
QUIET = 1.0                      # seconds of silence after the last probe before we stop
DEADLINE = 10.0
MAX_RESPONDERS = 4096
MAX_NS = 2048
MAX_ADDRESSES_PER_MAC = 16


@dataclass
class LinkV6:
    """Our own IPv6 addresses on one interface."""

    name: str
    index: int
    addresses: list[ipaddress.IPv6Interface] = field(default_factory=list)

    @property
    def link_local(self) -> list[ipaddress.IPv6Interface]:
        return [a for a in self.addresses if a.ip.is_link_local]

    @property
    def prefixes(self) -> list[ipaddress.IPv6Network]:
        return list(dict.fromkeys(a.network for a in self.addresses if not a.ip.is_link_local
                                  and a.network.prefixlen == 64))


def read_link(name: str, table: Path = IF_INET6) -> LinkV6:
    """Our addresses on ``name`` from /proc/net/if_inet6 (tentative ones left out)."""
    try:
        index = socket.if_nametoindex(name)
    except OSError:
        raise ScannerUnavailable(f"no interface named {name!r}") from None
    link = LinkV6(name, index)
    text = table.read_text() if table.exists() else ""
    for line in text.splitlines():
        parts = line.split()
        if len(parts) != 6 or parts[5] != name:
            continue
        flags = int(parts[4], 16)
        if flags & 0x40:                                   # IFA_F_TENTATIVE
            continue
        addr = ipaddress.IPv6Address(bytes.fromhex(parts[0]))
        link.addresses.append(ipaddress.IPv6Interface((addr, int(parts[2], 16))))
    return link


def echo_request(ident: int, seq: int) -> bytes:
    """An ICMPv6 echo request body (the kernel fills in the checksum on a raw ICMPv6 socket)."""
    return struct.pack("!BBHHH", ECHO_REQUEST, 0, 0, ident, seq) + b"netdiscover-ndp"


def neighbour_solicitation(target: ipaddress.IPv6Address, mac: bytes) -> bytes:
    """An NS body for ``target`` with our source link-layer address option."""
    return struct.pack("!BBHI", NS, 0, 0, 0) + target.packed + b"\x01\x01" + mac


def solicited_node(target: ipaddress.IPv6Address) -> str:
    return str(ipaddress.IPv6Address(b"\xff\x02" + b"\x00" * 9 + b"\x01\xff" + target.packed[13:]))


def eui64_iid(mac: bytes) -> bytes:
    """The modified EUI-64 interface identifier of a MAC."""
    return bytes([mac[0] ^ 0x02]) + mac[1:3] + b"\xff\xfe" + mac[3:6]


@dataclass
class Heard:
    """Addresses per MAC from replies, and the probe bookkeeping."""

    ident: int
    by_mac: dict[bytes, list[str]] = field(default_factory=dict)
    replies: int = 0
    ignored: int = 0

    def add(self, mac: bytes, address: str) -> None:
        if mac not in self.by_mac and len(self.by_mac) >= MAX_RESPONDERS:
            self.ignored += 1
            return
        addrs = self.by_mac.setdefault(mac, [])
        if address not in addrs and len(addrs) < MAX_ADDRESSES_PER_MAC:
            addrs.append(address)

    def on_frame(self, frame: bytes, own_mac: bytes) -> None:
        """Take an echo reply (our identifier) or a neighbour advertisement off the wire."""
        if len(frame) < 14 + 40 + 8 or frame[6:12] == own_mac or frame[12:14] != b"\x86\xdd":
            return
        ip6 = frame[14:]
        if ip6[6] != 58:
            return
        src = ipaddress.IPv6Address(ip6[8:24])
        icmp = ip6[40:]
        mac = frame[6:12]
        if mac[0] & 1:
            return
        if icmp[0] == ECHO_REPLY and struct.unpack_from("!H", icmp, 4)[0] == self.ident:
            self.replies += 1
            self.add(mac, str(src))
        elif icmp[0] == NA and len(icmp) >= 24:
            self.replies += 1
            target = ipaddress.IPv6Address(icmp[8:24])
            if not target.is_multicast and not target.is_unspecified:
                self.add(mac, str(target))


def _own_mac(name: str) -> bytes:
    try:
        return bytes.fromhex(Path(f"/sys/class/net/{name}/address").read_text().strip().replace(":", ""))
    except (OSError, ValueError):
        return b""


def _receiver(link: LinkV6) -> socket.socket:
    sock = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, 0)
    try:
        bpf.attach(sock, FILTER)
        sock.bind((link.name, ETH_P_IPV6))
        sock.setblocking(False)
    except OSError:
        sock.close()
        raise
    return sock


def _sender(link: LinkV6, source: ipaddress.IPv6Interface, hops: int) -> socket.socket:
    sock = socket.socket(socket.AF_INET6, socket.SOCK_RAW, socket.IPPROTO_ICMPV6)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_BINDTODEVICE, link.name.encode())
        sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_MULTICAST_IF, link.index)
        sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_MULTICAST_HOPS, hops)
        sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_UNICAST_HOPS, hops)
        sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_MULTICAST_LOOP, 0)
        scope = link.index if source.ip.is_link_local else 0
        sock.bind((str(source.ip), 0, 0, scope))
    except OSError:
        sock.close()
        raise
    return sock


def _drain(sock: socket.socket, heard: Heard, own_mac: bytes, until: float) -> None:
    while True:
        left = until - time.monotonic()
        if left <= 0:
            return
        ready, _, _ = select.select([sock], [], [], left)
        if not ready:
            return
        for _ in range(256):
            try:
                frame = sock.recv(2048)
            except BlockingIOError:
                break
            heard.on_frame(frame, own_mac)


@dataclass
class Prober:
    """The receiving socket and the send slots: ``pace`` waits for the next slot reading replies."""

    receiver: socket.socket
    heard: Heard
    own_mac: bytes
    schedule: SendSchedule
    sent: int = 0

    def pace(self) -> None:
        """Wait for the next send slot, taking replies off the wire meanwhile; counts the send."""
        delay = self.schedule.claim(time.monotonic())
        if delay > 0:
            _drain(self.receiver, self.heard, self.own_mac, time.monotonic() + delay)
        self.sent += 1

    def listen(self, seconds: float, deadline: float) -> None:
        _drain(self.receiver, self.heard, self.own_mac, min(deadline, time.monotonic() + seconds))


def _rate(ctx: ScanContext) -> float:
    rate = DESCRIPTOR.rate if ctx.rate is None else ctx.rate
    if not rate or rate <= 0:
        raise ScannerUnavailable("the ndp send rate must be a positive number of packets per second")
    return float(rate)


def _pick_interface(ctx: ScanContext) -> str:
    if ctx.interface:
        return ctx.interface
    from netdiscover.scanners.arp.link import list_links, pick_link

    try:
        return pick_link(ctx.targets, None, list_links()).name
    except ScannerUnavailable:
        raise ScannerUnavailable("ndp works on one segment: name its interface with --iface") from None


def scan(ctx: ScanContext) -> ScanOutcome:
    """Find the IPv6 hosts on the chosen segment; one Observation per (MAC, address)."""
    outcome = ScanOutcome(method=NAME)
    link = read_link(_pick_interface(ctx))
    if not link.link_local:
        raise ScannerUnavailable(f"interface {link.name} has no IPv6 link-local address (IPv6 off?)")
    own_mac = _own_mac(link.name)
    heard = Heard(ident=os.getpid() & 0xFFFF)
    rate = _rate(ctx)
    echoes = ROUNDS * len(link.addresses)
    deadline = time.monotonic() + float((ctx.options or {}).get("deadline_s", DEADLINE)) + echoes / rate
    try:
        receiver = _receiver(link)
    except PermissionError:
        raise ScannerUnavailable("ndp needs raw sockets: run as root or grant CAP_NET_RAW") from None
    except OSError as exc:
        raise ScannerUnavailable(f"cannot use interface {link.name} for ndp: {exc.strerror or exc}") from None
    prober = Prober(receiver, heard, own_mac, SendSchedule(rate, time.monotonic()))
    unsent = 0
    try:
        ctx.progress(0, 2, f"ndp {link.name}: echo to all-nodes")
        senders = [_sender(link, source, 1) for source in link.addresses]
        try:
            for seq in range(ROUNDS):
                for sock in senders:
                    prober.pace()
                    sock.sendto(echo_request(heard.ident, seq), (ALL_NODES, 0, 0, link.index))
                prober.listen(ROUND_GAP, deadline)
            prober.listen(QUIET, deadline)
        finally:
            for sock in senders:
                sock.close()
        ctx.progress(1, 2, f"ndp {link.name}: solicitations for SLAAC addresses")
        unsent = _solicit(link, prober, deadline)
    finally:
        receiver.close()
    outcome.observations = _observations(heard)
    outcome.stats = {"interface": link.name, "sent": prober.sent, "rate": rate, "replies": heard.replies,
                     "hosts": len(heard.by_mac), "ignored": heard.ignored, "unsent": unsent}
    if unsent:
        outcome.messages.append(f"ndp: {unsent} neighbour solicitations not sent before the deadline "
                                "(raise --rate)")
    if heard.ignored:
        outcome.messages.append(f"ndp: more than {MAX_RESPONDERS} hosts answered; the rest were ignored")
    ctx.progress(2, 2, f"ndp {link.name}: {len(heard.by_mac)} hosts")
    return outcome


def _solicit(link: LinkV6, prober: Prober, deadline: float) -> int:
    """Solicit the SLAAC addresses the responders' MACs imply; returns how many were left unsent
    at the deadline (which grows by the time the solicitations take at the rate)."""
    heard, own_mac = prober.heard, prober.own_mac
    known = {a for addrs in heard.by_mac.values() for a in addrs}
    targets: list[ipaddress.IPv6Address] = []
    for mac in heard.by_mac:
        for prefix in link.prefixes:
            candidate = ipaddress.IPv6Address(prefix.network_address.packed[:8] + eui64_iid(mac))
            if str(candidate) not in known and len(targets) < MAX_NS:
                targets.append(candidate)
    if not targets or len(own_mac) != 6:
        return 0
    deadline += len(targets) * prober.schedule.interval
    sock = _sender(link, link.link_local[0], 255)
    sent = 0
    try:
        for target in targets:
            if time.monotonic() >= deadline:
                break
            prober.pace()
            sock.sendto(neighbour_solicitation(target, own_mac), (solicited_node(target), 0, 0, link.index))
            sent += 1
    finally:
        sock.close()
    prober.listen(QUIET, deadline + QUIET)
    return len(targets) - sent


def _observations(heard: Heard) -> list[Observation]:
    out = []
    for mac, addrs in heard.by_mac.items():
        ordered = sorted(addrs, key=lambda a: (ipaddress.IPv6Address(a).is_link_local, a))
        for addr in ordered:
            out.append(Observation(method=NAME, ip=addr, mac=mac.hex(":"), facts={"ipv6": ordered}
                                   if addr == ordered[0] else {}))
    return out
