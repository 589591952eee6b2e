"""ARP sweep: find every host that answers ARP on the local segment, with its MAC and vendor.

Requests are pre-built Ethernet frames sent through one raw socket at a bounded rate
(engine); replies are read from the same socket between sends and matched by sender IP.
Silent addresses are asked again (``retries``), and the sweep ends after a quiet time with no
traffic. Along the way it notes duplicate replies, gratuitous ARP, replies nobody asked for,
one MAC answering for many addresses (proxy ARP) and one address answering from several MACs.

Frames are 42 bytes of fixed layout, so they are packed and parsed with byte slices: that
keeps a whole /16 sweep cheap in Python and avoids loading scapy (half a second) on every run;
the tests check the frames against scapy's own ARP dissector.

Run alone: ``python -m netdiscover.scanners.arp.scanner 10.20.0.0/24 [--iface eth0] [--rate N]``
prints the outcome as JSON (root or CAP_NET_RAW needed).
"""

from __future__ import annotations

import socket
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from netaddr import IPAddress, IPSet

from netdiscover.observation import Observation
from netdiscover.scanners.arp import DEFAULT_RATE, DEFAULT_RETRIES, DESCRIPTOR
from netdiscover.scanners.arp.engine import EngineStats, LinkPermissionError, ProbeTiming, RawLink, run_probes
from netdiscover.scanners.arp.link import LinkInfo, list_links, pick_link
from netdiscover.scanners.arp.vendor import vendor_of_bytes
from netdiscover.scanners.base import ScanContext, ScannerUnavailable, ScanOutcome

NAME = DESCRIPTOR.name

ETH_P_ARP = 0x0806
BROADCAST = b"\xff" * 6
FRAME_LEN = 60                 # minimum Ethernet frame (without FCS); what a NIC would pad to

MAX_RATE = 1_000_000
MAX_CONFLICT_MESSAGES = 20     # address conflicts named one by one; the rest are counted
MAX_TARGETS = 1 << 20          # one sweep (a /12: most of an hour at the default rate)

# Classic BPF: keep only Ethernet/IPv4 ARP (htype 1, ptype 0x0800, hlen 6, plen 4).
ARP_FILTER = [
    (0x20, 0, 0, 14),              # ld  [14]        htype, ptype
    (0x15, 0, 3, 0x00010800),      # jeq #0x00010800 else drop
    (0x28, 0, 0, 18),              # ldh [18]        hlen, plen
    (0x15, 0, 1, 0x0604),          # jeq #0x0604     else drop
    (0x06, 0, 0, 0xFFFF),          # ret accept
    (0x06, 0, 0, 0),               # ret drop
]


def request_prefix(src_mac: bytes, src_ip: int) -> bytes:
    """The first 38 bytes of an ARP who-has from ``src_mac``/``src_ip``; the target IP follows."""
    return (BROADCAST + src_mac + ETH_P_ARP.to_bytes(2, "big")
            + b"\x00\x01\x08\x00\x06\x04\x00\x01" + src_mac + src_ip.to_bytes(4, "big") + b"\x00" * 6)


def request_frame(prefix: bytes, target_ip: int) -> bytes:
    """A complete, padded ARP request for ``target_ip``."""
    frame = prefix + target_ip.to_bytes(4, "big")
    return frame + b"\x00" * (FRAME_LEN - len(frame))


@dataclass
class Sighting:
    """Everything heard from one (IP, MAC) pair during one sweep."""

    first_at: float
    replies: int = 0
    solicited: bool = False
    gratuitous: bool = False
    rtt: float | None = None


class ArpReplies:
    """Replies seen so far, keyed by sender IP and MAC; the engine asks it what is answered."""

    def __init__(self, own_mac: bytes, own_ips: set[int], targets: set[int],
                 on_new: Callable[[str], None] | None = None) -> None:
        self.own_mac = own_mac
        self.own_ips = own_ips
        self.targets = targets
        self.on_new = on_new     # called with the dotted address when a target first answers
        self.sent_at: dict[int, float] = {}
        self.seen: dict[int, dict[bytes, Sighting]] = {}
        self.outside = 0        # ARP heard from addresses that are not targets (ignored)

    def answered(self, ip: int) -> bool:
        return ip in self.seen

    def on_frame(self, frame: bytes, ts: float) -> bool:
        """Record one received ARP frame; True when it told us about a target."""
        if len(frame) < 42:
            return False
        op = frame[20:22]
        sha = frame[22:28]
        if sha == self.own_mac:
            return False
        spa = int.from_bytes(frame[28:32], "big")
        tpa = int.from_bytes(frame[38:42], "big")
        if op == b"\x00\x02":
            gratuitous = spa == tpa
            solicited = not gratuitous and tpa in self.own_ips and spa in self.sent_at
        elif op == b"\x00\x01" and spa == tpa and spa:
            gratuitous, solicited = True, False          # an announcement, not a question
        else:
            return False                                 # someone else's question
        if spa not in self.targets:
            self.outside += 1
            return False
        macs = self.seen.get(spa)
        if macs is None:
            macs = self.seen[spa] = {}
            if self.on_new is not None:
                self.on_new(socket.inet_ntoa(frame[28:32]))
        sighting = macs.get(sha)
        if sighting is None:
            sighting = macs[sha] = Sighting(first_at=ts)
        sighting.replies += 1
        sighting.gratuitous |= gratuitous
        if solicited:
            if not sighting.solicited:
                sighting.rtt = max(0.0, ts - self.sent_at[spa])
            sighting.solicited = True
        return True


def _settings(ctx: ScanContext) -> tuple[ProbeTiming, int]:
    rate = DEFAULT_RATE if ctx.rate is None else ctx.rate
    if rate <= 0:
        raise ScannerUnavailable("the ARP send rate must be a positive number of packets per second")
    rate = min(float(rate), MAX_RATE)
    retries = DEFAULT_RETRIES if ctx.retries is None else max(0, int(ctx.retries))
    opts = DESCRIPTOR.defaults() | (ctx.options or {})
    try:
        retry_ms = float(ctx.timeout) * 1000 if ctx.timeout else float(opts["retry_ms"])
        quiet = float(opts["quiet_ms"]) / 1000
        threshold = int(opts["proxy_threshold"])
    except (TypeError, ValueError):
        raise ScannerUnavailable("ARP options retry_ms, quiet_ms, proxy_threshold must be numbers") from None
    timing = ProbeTiming(rate=rate, retries=retries, retry_after=max(0.001, retry_ms / 1000),
                    quiet=max(0.01, quiet), deadline=0.0)
    return timing, threshold


def _plan(ctx: ScanContext, link: LinkInfo) -> tuple[list[int], Callable[[int], bytes], IPSet, int]:
    """Targets this interface can ARP (in order), a frame builder for them, the rest, own-address count."""
    subnets = link.subnets()
    on_link = ctx.targets & subnets
    off_link = ctx.targets - on_link
    own = {int(a.ip) for a in link.addresses}
    # network and broadcast addresses of each subnet are not hosts (except in /31 and /32)
    not_hosts = {int(a.network) for a in link.addresses if a.prefixlen < 31}
    not_hosts |= {int(a.broadcast) for a in link.addresses if a.prefixlen < 31 and a.broadcast is not None}
    mac = bytes.fromhex(link.mac.replace(":", "")) if link.mac else b""
    # ask from the interface address in the target's own subnet (most specific first)
    sources = sorted(link.addresses, key=lambda a: -a.prefixlen)
    ranges = [(a.first, a.last, request_prefix(mac, int(a.ip))) for a in sources]
    default_prefix = ranges[0][2]

    def frame_for(ip: int) -> bytes:
        if len(ranges) > 1:
            for first, last, prefix in ranges:
                if first <= ip <= last:
                    return request_frame(prefix, ip)
        return request_frame(default_prefix, ip)

    order: list[int] = []
    skipped_self = 0
    for cidr in on_link.iter_cidrs():
        for value in range(cidr.first, cidr.last + 1):
            if value in own or value in not_hosts:
                skipped_self += value in own
                continue
            order.append(value)
    return order, frame_for, off_link, skipped_self


def _describe(ipset: IPSet, limit: int = 3) -> str:
    cidrs = [str(c) for c in ipset.iter_cidrs()]
    return ", ".join(cidrs[:limit]) + (f" and {len(cidrs) - limit} more" if len(cidrs) > limit else "")


def scan(ctx: ScanContext) -> ScanOutcome:
    """Sweep ``ctx.targets`` with ARP on one interface; one Observation per (IP, MAC) that answered."""
    outcome = ScanOutcome(method=NAME)
    if not ctx.targets:
        outcome.status = "skipped"
        outcome.messages.append("no targets")
        return outcome
    timing, proxy_threshold = _settings(ctx)
    link = pick_link(ctx.targets, ctx.interface, list_links())
    if ctx.targets.size > MAX_TARGETS and (ctx.targets & link.subnets()).size > MAX_TARGETS:
        raise ScannerUnavailable(f"too many addresses for one ARP sweep (limit {MAX_TARGETS}); "
                                 "split the range")
    order, frame_for, off_link, skipped_self = _plan(ctx, link)
    if off_link:
        outcome.messages.append(
            f"{off_link.size} target address(es) are not on {link.name}'s subnet(s) "
            f"({_describe(link.subnets())}): not reachable by ARP, left to other methods: "
            f"{_describe(off_link)}")
    if not order:
        outcome.status = "skipped"
        outcome.messages.append(f"no ARP-able targets on {link.name}")
        return outcome

    tries = 1 + timing.retries
    expected = len(order) * tries / timing.rate + timing.retry_after * tries + timing.quiet
    deadline = (ctx.options or {}).get("deadline_s")
    timing.deadline = float(2 * expected + 10 if deadline is None else deadline)

    # where silence counts as absence (reconcile.absence): the addresses asked, not our own
    covered = (ctx.targets & link.subnets()) - IPSet(str(a.ip) for a in link.addresses)
    if ctx.feed is not None:
        ctx.feed.declare(covered)
    own_mac = bytes.fromhex(link.mac.replace(":", "")) if link.mac else b""
    replies = ArpReplies(own_mac, {int(a.ip) for a in link.addresses}, set(order),
                         on_new=ctx.feed.publish if ctx.feed is not None else None)
    total = len(order)

    def progress(first_sent: int, phase: str) -> None:
        ctx.progress(first_sent, total, f"ARP {link.name}: {phase}, {len(replies.seen)} answered")

    wall_offset = time.time() - time.monotonic()
    ctx.log.debug("ARP sweep of %d addresses on %s at %.0f pps, %d retries", total, link.name,
                  timing.rate, timing.retries)
    try:
        with RawLink(link.name, ETH_P_ARP, ARP_FILTER) as raw:
            stats = run_probes(raw, order, frame_for, replies.on_frame,
                               replies.answered, timing, sent_at=replies.sent_at, progress=progress)
    except LinkPermissionError:
        raise ScannerUnavailable("ARP scan needs raw sockets: run as root or grant CAP_NET_RAW "
                                 "(setcap cap_net_raw+ep on the Python interpreter)") from None
    except OSError as exc:
        raise ScannerUnavailable(f"cannot use interface {link.name} for ARP: {exc.strerror or exc}") from None

    outcome.observations = _observations(replies, proxy_threshold, wall_offset, outcome.messages)
    _report(outcome, stats, replies, link, timing, total, skipped_self, off_link)
    outcome.stats["covered"] = [str(c) for c in covered.iter_cidrs()]
    return outcome


def _observations(replies: ArpReplies, proxy_threshold: int, wall_offset: float,
                  messages: list[str]) -> list[Observation]:
    ips_per_mac: dict[bytes, set[int]] = {}
    for ip, macs in replies.seen.items():
        for mac in macs:
            ips_per_mac.setdefault(mac, set()).add(ip)
    proxies = {mac for mac, ips in ips_per_mac.items() if len(ips) >= proxy_threshold}
    for mac in sorted(proxies):
        messages.append(f"{mac.hex(':')} answered for {len(ips_per_mac[mac])} addresses: "
                        "proxy ARP (a router answering for others); those answers are flagged")

    observations: list[Observation] = []
    conflicts = 0
    for ip in sorted(replies.seen):
        macs = replies.seen[ip]
        real = [m for m in macs if m not in proxies]
        conflict = len(real) > 1
        if conflict:
            conflicts += 1
            if conflicts <= MAX_CONFLICT_MESSAGES:
                messages.append(f"{IPAddress(ip)} answered from {len(real)} MACs "
                                f"({', '.join(m.hex(':') for m in real)}): address conflict")
        for mac, seen in sorted(macs.items(), key=lambda item: item[1].first_at):
            mac_text = mac.hex(":")
            proxy = mac in proxies
            unsolicited = not seen.solicited
            flags = [name for name, on in (("proxy_arp", proxy), ("unsolicited", unsolicited),
                                           ("gratuitous", seen.gratuitous), ("ip_conflict", conflict))
                     if on]
            observations.append(Observation(
                method=NAME,
                ip=str(IPAddress(ip)),
                mac=mac_text,
                seen_at=datetime.fromtimestamp(seen.first_at + wall_offset, UTC),
                rtt_ms=round(seen.rtt * 1000, 3) if seen.rtt is not None else None,
                vendor_hint=vendor_of_bytes(mac),
                flags=flags,
                facts={"arp": {"proxy_arp": proxy, "unsolicited": unsolicited,
                               "gratuitous": seen.gratuitous, "replies": seen.replies}},
            ))
    if conflicts > MAX_CONFLICT_MESSAGES:
        messages.append(f"... and {conflicts - MAX_CONFLICT_MESSAGES} more addresses with several MACs")
    return observations


def _report(outcome: ScanOutcome, stats: EngineStats, replies: ArpReplies, link: LinkInfo,
            timing: ProbeTiming, total: int, skipped_self: int, off_link: IPSet) -> None:
    if stats.stopped_by:
        outcome.status = "partial"
        outcome.messages.append(f"ARP sweep on {link.name} stopped early: {stats.stopped_by} "
                                f"(interface went down?); {len(replies.seen)} answers so far are kept")
    if stats.timed_out:
        outcome.status = "partial"
        outcome.messages.append(f"ARP sweep stopped at its time limit ({timing.deadline:.0f} s); "
                                "results so far are kept")
    if stats.kernel_drops:
        outcome.messages.append(f"the kernel dropped {stats.kernel_drops} received frame(s); "
                                "lower --rate if hosts are missing")
    if stats.send_errors:
        errors = ", ".join(f"{name} x{count}" for name, count in stats.send_errors.items())
        outcome.messages.append(f"send errors: {errors}")
    outcome.stats = {
        "interface": link.name,
        "targets": total,
        "off_link": off_link.size,
        "skipped_own": skipped_self,
        "answered": len(replies.seen),
        "sent": stats.sent,
        "retries_sent": stats.retries_sent,
        "received": stats.received,
        "ignored_outside_targets": replies.outside,
        "kernel_drops": stats.kernel_drops,
        "elapsed_s": round(stats.elapsed, 3),
        "rate_pps": timing.rate,
        "retries": timing.retries,
    }


def main(argv: list[str] | None = None) -> int:
    """Run one ARP sweep from the command line and print the outcome as JSON."""
    import argparse
    import json

    from netaddr.core import AddrFormatError

    parser = argparse.ArgumentParser(prog="python -m netdiscover.scanners.arp.scanner",
                                     description="One ARP sweep; the outcome is printed as JSON.")
    parser.add_argument("targets", nargs="+", help="CIDRs or addresses on the local segment")
    parser.add_argument("--iface")
    parser.add_argument("--rate", type=int, help=f"frames per second (default {DEFAULT_RATE})")
    parser.add_argument("--retries", type=int, help=f"extra tries when silent, at most (default "
                        f"{DEFAULT_RETRIES}; beyond the first only on a lossy segment)")
    parser.add_argument("--options", default="{}", help='JSON, e.g. {"quiet_ms": 100, "retry_ms": 50}')
    args = parser.parse_args(argv)
    try:
        targets = IPSet(args.targets)
        options = json.loads(args.options)
        if not isinstance(options, dict):
            raise ValueError("--options must be a JSON object")
        outcome = scan(ScanContext(targets=targets, interface=args.iface, rate=args.rate,
                                   retries=args.retries, options=options))
    except (ScannerUnavailable, AddrFormatError, ValueError) as exc:
        print(json.dumps({"error": str(exc)}))
        return 2
    print(json.dumps({"status": outcome.status, "messages": outcome.messages, "stats": outcome.stats,
                      "observations": [_brief(o) for o in outcome.observations]}))
    return 0


def _brief(obs: Observation) -> dict:
    """The fields an ARP observation fills, as JSON-ready values (``to_dict`` minus empty parts)."""
    return {"method": obs.method, "ip": obs.ip, "mac": obs.mac, "seen_at": obs.seen_at.isoformat(),
            "rtt_ms": obs.rtt_ms, "vendor_hint": obs.vendor_hint, "flags": obs.flags, "facts": obs.facts}


if __name__ == "__main__":
    raise SystemExit(main())
