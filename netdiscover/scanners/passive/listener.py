"""The passive listener: AF_PACKET sockets that only receive, filtered in the kernel, parsed here.

It never sends: the sockets are opened, filtered and bound, then only read (no code path in
this module writes to them). Each socket is created with protocol 0, so it receives nothing
until the BPF filter is attached and it is bound to its interface; outgoing frames of this
host are ignored by the kernel (PACKET_IGNORE_OUTGOING). Kernel drops are read from
PACKET_STATISTICS. Sightings collect in a bounded ``SightingTable``; every ``flush_every``
seconds (and at the end) ``on_flush`` receives the window's Observations, with the LOCATION of
each listening interface that heard exactly one switch (``uplink``).
"""

from __future__ import annotations

import contextlib
import logging
import selectors
import socket
import struct
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from netdiscover.observation import Observation, utcnow
from netdiscover.scanners.arp.engine import (
    PACKET_IGNORE_OUTGOING,
    SO_RCVBUFFORCE,
    SOL_PACKET,
    kernel_stats,
)
from netdiscover.scanners.arp.link import list_links
from netdiscover.scanners.passive import bpf
from netdiscover.scanners.passive.frames import MAX_FRAME, parse_frame
from netdiscover.scanners.passive.records import Malformed
from netdiscover.scanners.passive.sightings import SightingTable
from netdiscover.scanners.passive.uplink import Uplinks

log = logging.getLogger("netdiscover.passive")

ETH_P_ALL = 0x0003
RCVBUF = 64 << 20                  # 64 MiB of kernel buffer per socket rides out a flush and scheduling gaps
BURST = 256                        # frames read from one ready socket before looking at the clock
FlushHook = Callable[[list[Observation]], None]


class ListenerError(RuntimeError):
    """The listener cannot run here (no such interface, no permission)."""


@dataclass
class ListenStats:
    """What the listener heard: frames per protocol, drops, faults and the table's figures."""

    packets: Counter = field(default_factory=Counter)
    received: int = 0
    kernel_drops: int = 0
    malformed: int = 0
    oversized: int = 0
    sightings: int = 0
    overflow: int = 0
    flushes: int = 0
    observations: int = 0
    uplinks: dict[str, dict[str, Any]] = field(default_factory=dict)   # interface -> switch, port
    uplinks_ambiguous: int = 0      # flushes where an interface heard several switches (no location)

    def to_dict(self) -> dict[str, Any]:
        return {"packets": dict(sorted(self.packets.items())), "received": self.received,
                "kernel_drops": self.kernel_drops, "malformed": self.malformed,
                "oversized": self.oversized, "sightings": self.sightings, "overflow": self.overflow,
                "flushes": self.flushes, "observations": self.observations,
                "uplinks": dict(sorted(self.uplinks.items())), "uplinks_ambiguous": self.uplinks_ambiguous}


def open_socket(interface: str) -> socket.socket:
    """A filtered, receive-only packet socket bound to ``interface``."""
    try:
        sock = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, 0)
    except PermissionError:
        raise ListenerError("listening needs root or CAP_NET_RAW") from None
    try:
        bpf.attach(sock)
        with contextlib.suppress(OSError):            # older kernels: outgoing frames are parsed too
            sock.setsockopt(SOL_PACKET, PACKET_IGNORE_OUTGOING, 1)
        try:
            sock.setsockopt(socket.SOL_SOCKET, SO_RCVBUFFORCE, RCVBUF)
        except OSError:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, RCVBUF)
        sock.bind((interface, ETH_P_ALL))
        sock.setblocking(False)
    except OSError as exc:
        sock.close()
        raise ListenerError(f"cannot listen on {interface}: {exc.strerror or exc}") from None
    return sock


class Listener:
    """Receive-only capture on some interfaces; parse, tabulate and hand out in batches."""

    def __init__(self, interfaces: Sequence[str], max_devices: int | None = None) -> None:
        if not interfaces:
            raise ListenerError("no interface to listen on")
        self.interfaces = list(dict.fromkeys(interfaces))
        self.table = SightingTable(max_devices) if max_devices else SightingTable()
        self.stats = ListenStats()
        self.sockets: list[socket.socket] = []
        self.uplinks = Uplinks(dict.fromkeys(self.interfaces))
        self._names: dict[int, str] = {}          # socket fd -> its interface
        self._stop = False

    def open(self) -> None:
        try:
            for name in self.interfaces:
                sock = open_socket(name)
                self.sockets.append(sock)
                self._names[sock.fileno()] = name
        except ListenerError:
            self.close()
            raise
        try:
            links = list_links()
        except OSError:                           # no location then, the listening goes on
            links = {}
        self.uplinks.own_macs = {name: links[name].mac if name in links else None for name in self.interfaces}

    def close(self) -> None:
        for sock in self.sockets:
            with contextlib.suppress(OSError):
                self._read_kernel_stats(sock)
            sock.close()
        self.sockets = []

    def stop(self) -> None:
        """Ask ``run`` to finish (safe from a signal handler)."""
        self._stop = True

    def __enter__(self) -> Listener:
        self.open()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _read_kernel_stats(self, sock: socket.socket) -> None:
        _, drops = kernel_stats(sock)
        self.stats.kernel_drops += drops

    def handle(self, frame: bytes, interface: str | None = None) -> None:
        """Parse one frame heard on ``interface`` into the table, counting it by protocol (or as
        malformed/oversized); LLDP and CDP also note where that interface is plugged in."""
        stats = self.stats
        stats.received += 1
        if len(frame) > MAX_FRAME:
            stats.oversized += 1
            return
        try:
            protocol, sightings = parse_frame(frame)
        except (Malformed, ValueError, IndexError, struct.error):
            stats.malformed += 1
            return
        stats.packets[protocol] += 1
        if sightings:
            now = utcnow()
            for sighting in sightings:
                self.table.add(sighting, now)
            if interface is not None and (protocol == "lldp" or protocol == "cdp"):
                self.uplinks.add(interface, sightings)

    def flush(self, on_flush: FlushHook | None) -> None:
        """Hand the window's Observations to ``on_flush`` and start a new window."""
        for sock in self.sockets:
            self._read_kernel_stats(sock)
        self.stats.sightings = self.table.sightings
        self.stats.overflow = self.table.overflow
        observations = self.table.drain()
        located = self.uplinks.locations()
        for o in located:
            self.stats.uplinks[o.facts["uplink"]["interface"]] = {
                "switch": o.switch, "port": o.switch_port, "protocol": o.facts["uplink"]["protocol"]}
        observations.extend(located)
        self.stats.uplinks_ambiguous = self.uplinks.ambiguous
        self.stats.flushes += 1
        self.stats.observations += len(observations)
        if on_flush and observations:
            on_flush(observations)

    def run(self, duration: float, flush_every: float = 30.0, on_flush: FlushHook | None = None,
            max_packets: int | None = None) -> ListenStats:
        """Listen ``duration`` s (or until ``stop``/``max_packets``); flush as it goes and at the end."""
        if not self.sockets:
            self.open()
        selector = selectors.DefaultSelector()
        for sock in self.sockets:
            selector.register(sock, selectors.EVENT_READ)
        buf = bytearray(65536)
        view = memoryview(buf)
        end = time.monotonic() + duration
        next_flush = time.monotonic() + flush_every
        try:
            while not self._stop:
                now = time.monotonic()
                if now >= end or (max_packets is not None and self.stats.received >= max_packets):
                    break
                if now >= next_flush:
                    self.flush(on_flush)
                    next_flush = time.monotonic() + flush_every
                wait = max(0.0, min(end, next_flush) - now)
                for key, _ in selector.select(timeout=min(wait, 0.5)):
                    self._drain_socket(key.fileobj, buf, view)  # type: ignore[arg-type]
        finally:
            selector.close()
        self.flush(on_flush)
        return self.stats

    def _drain_socket(self, sock: socket.socket, buf: bytearray, view: memoryview) -> None:
        interface = self._names.get(sock.fileno())
        for _ in range(BURST):
            try:
                size = sock.recv_into(buf, len(buf), socket.MSG_TRUNC)
            except BlockingIOError:
                return
            if size > MAX_FRAME:
                self.stats.received += 1
                self.stats.oversized += 1
                continue
            self.handle(bytes(view[:size]), interface)
