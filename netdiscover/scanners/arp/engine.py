"""A paced send/receive engine for link-layer probes over one raw AF_PACKET socket.

The engine knows nothing about ARP: it is given target keys, a function that builds the
frame for a key, a function that handles each received frame (and says whether it was
relevant), and a function that says whether a key has been answered. It sends at a bounded
rate (``scanners.pacing.SendSchedule``), retries silent keys after ``retry_after``, receives
between sends from the same socket (replies are matched by the caller, never against a list of
sent packets), and ends after ``quiet`` seconds without traffic or at a hard deadline.

Retries pay only where frames are lost. The second try of each silent key goes out
``retry_after`` after its first, interleaved with the first tries; the later tries go in rounds,
each one only when the round before it found enough to be worth it. The second tries measure the
loss: ``A1`` keys answered their first try and ``R2`` more their second, so a try goes unanswered
with probability about ``q = R2 / A1``; with ``A`` keys answered after two tries, about
``A * q^2 / (1 - q^2)`` live keys are still silent and the third round would find ``1 - q`` of
them. Below ``MIN_WORTH`` expected finds the remaining tries are skipped; otherwise every
remaining round is sent (a later estimate from a handful of rescues would be too noisy to stop
on). On a clean segment a sparse /16 thus costs two frames per address instead of three.

Pre-built frames through a plain socket keep up with tens of thousands of packets per second
from Python; scapy's ``srp`` matches each reply against every request and falls behind on
large ranges, so it is not used here.
"""

from __future__ import annotations

import array
import contextlib
import errno
import select
import socket
import struct
import time
from collections import deque
from collections.abc import Callable, Hashable, Iterable
from dataclasses import dataclass, field
from typing import Protocol

from netdiscover.scanners.pacing import SendSchedule

SOL_PACKET = 263
PACKET_STATISTICS = 6
PACKET_IGNORE_OUTGOING = 23
SO_ATTACH_FILTER = 26
SO_RCVBUFFORCE = 33

RECV_BUFFER = 8 << 20          # bytes; room for a burst of replies while we are busy sending
MAX_BURST = 256                # frames sent back to back before the socket is drained again
BURST_WINDOW = 0.05            # seconds of sending that a late wake-up may catch up on
MAX_DRAIN = 4096               # frames read per drain, so sending is never starved
MIN_WORTH = 0.1                # expected finds below which a further round of tries is skipped


def kernel_stats(sock: socket.socket) -> tuple[int, int]:
    """(packets, drops) the kernel counted for a packet socket since the last call (it resets them)."""
    raw = sock.getsockopt(SOL_PACKET, PACKET_STATISTICS, 8)
    return struct.unpack("II", raw)


BpfProgram = list[tuple[int, int, int, int]]   # classic BPF: (code, jt, jf, k)


class ProbeLink(Protocol):
    """What the engine needs from a socket: RawLink here; a UDP socket wrapper fits too."""

    error: str | None

    def fileno(self) -> int: ...
    def send(self, frame: bytes) -> None: ...
    def drain(self, limit: int = ...) -> list[tuple[bytes, float]]: ...
    def kernel_drops(self) -> int: ...


class LinkPermissionError(PermissionError):
    """Raw sockets are not allowed for this process (not root, no CAP_NET_RAW)."""


class RawLink:
    """A non-blocking AF_PACKET socket bound to one interface and one EtherType."""

    def __init__(self, ifname: str, ethertype: int, bpf: BpfProgram | None = None) -> None:
        try:
            # protocol 0: receive nothing until bound, so no frame from another interface slips in
            self.sock = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, 0)
        except PermissionError as exc:
            raise LinkPermissionError(str(exc)) from None
        try:
            self.sock.bind((ifname, ethertype))
            self.sock.setblocking(False)
            with contextlib.suppress(OSError):
                self.sock.setsockopt(SOL_PACKET, PACKET_IGNORE_OUTGOING, 1)
            try:
                self.sock.setsockopt(socket.SOL_SOCKET, SO_RCVBUFFORCE, RECV_BUFFER)
            except OSError:
                self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, RECV_BUFFER)
            if bpf:
                attach_filter(self.sock, bpf)
        except BaseException:
            self.sock.close()
            raise
        self.error: str | None = None

    def fileno(self) -> int:
        return self.sock.fileno()

    def send(self, frame: bytes) -> None:
        self.sock.send(frame)

    def drain(self, limit: int = MAX_DRAIN) -> list[tuple[bytes, float]]:
        """Every frame waiting on the socket (up to ``limit``), each with its receive time."""
        out: list[tuple[bytes, float]] = []
        recv = self.sock.recv
        for _ in range(limit):
            try:
                frame = recv(2048)
            except (BlockingIOError, InterruptedError):
                break
            except OSError as exc:        # the interface went down or away under us
                self.error = exc.strerror or str(exc)
                break
            out.append((frame, time.monotonic()))
        return out

    def kernel_drops(self) -> int:
        """Frames the kernel dropped for this socket since the last call (buffer full)."""
        with contextlib.suppress(OSError):
            return kernel_stats(self.sock)[1]
        return 0

    def close(self) -> None:
        self.sock.close()

    def __enter__(self) -> RawLink:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def attach_filter(sock: socket.socket, program: BpfProgram) -> None:
    """Attach a classic BPF program (``struct sock_fprog``) so the kernel drops other frames early."""
    insns = array.array("B", b"".join(struct.pack("HBBI", *insn) for insn in program))
    address, _ = insns.buffer_info()
    fprog = struct.pack("HL", len(program), address)
    sock.setsockopt(socket.SOL_SOCKET, SO_ATTACH_FILTER, fprog)   # the kernel copies the program


@dataclass
class EngineStats:
    """What the engine did: frames sent and received, time taken, why it stopped."""

    sent: int = 0
    received: int = 0
    relevant: int = 0
    retries_sent: int = 0
    retries_skipped: int = 0            # tries not sent because the round before found (almost) nothing
    kernel_drops: int = 0
    elapsed: float = 0.0
    timed_out: bool = False
    stopped_by: str | None = None       # why sending had to stop early (interface gone or down)
    send_errors: dict[str, int] = field(default_factory=dict)


@dataclass
class ProbeTiming:
    """How fast and how patiently to probe."""

    rate: float                 # frames per second (all frames, first tries and retries alike)
    retries: int                # extra tries for a silent key (the third and later only when worth it)
    retry_after: float          # seconds between tries of one key
    quiet: float                # end after this long without sending or relevant receiving
    deadline: float             # hard limit on the whole run, seconds


def run_probes(link: ProbeLink, keys: Iterable[Hashable], frame_for: Callable[[Hashable], bytes],
               on_frame: Callable[[bytes, float], bool], answered: Callable[[Hashable], bool],
               timing: ProbeTiming, sent_at: dict[Hashable, float] | None = None,
               progress: Callable[[int, str], None] | None = None) -> EngineStats:
    """Probe every key at the paced rate with retries; feed each received frame to ``on_frame``.

    ``sent_at`` (if given) is filled with the time of the latest try per key, for RTTs.
    ``progress(first_tries_sent, phase)`` is called a few times per second.
    """
    stats = EngineStats()
    fresh = deque(keys)
    # (due, key, try number, frame if already built), due ascending
    retry_q: deque[tuple[float, Hashable, int, bytes | None]] = deque()
    tries_total = 1 + max(0, timing.retries)
    round_keys: list[Hashable] = []      # keys whose latest try is of the current round (2, 3, ...)
    round_try = 2
    more_rounds: bool | None = None      # decided once, when the second round is over
    start = time.monotonic()
    last_send = start
    hard_stop = start + timing.deadline
    # a late wake-up (busy machine) may be made up in a short burst, but credit is never
    # banked beyond BURST_WINDOW, so no window much longer than that exceeds the rate
    schedule = SendSchedule(timing.rate, start, catch_up=BURST_WINDOW)
    last_activity = start
    first_sent = 0
    last_progress = 0.0
    sent_times = sent_at if sent_at is not None else {}
    poller = select.poll()
    poller.register(link.fileno(), select.POLLIN)
    send, due, take = link.send, schedule.due, schedule.take     # the per-frame path, bound once
    retry_after = timing.retry_after

    while True:
        now = time.monotonic()
        if now >= hard_stop:
            stats.timed_out = True
            break
        for frame, ts in link.drain():
            stats.received += 1
            if on_frame(frame, ts):
                stats.relevant += 1
                last_activity = ts
        if link.error:
            stats.stopped_by = link.error
            break

        while retry_q and answered(retry_q[0][1]):
            retry_q.popleft()
        burst = 0
        while burst < MAX_BURST and due(now):
            if retry_q and retry_q[0][0] <= now:
                _, key, attempt, frame = retry_q.popleft()
                if answered(key):
                    continue
                stats.retries_sent += 1
            elif fresh:
                key, attempt, frame = fresh.popleft(), 1, None
                first_sent += 1
            else:
                break
            if frame is None:
                frame = frame_for(key)
            try:
                send(frame)
            except OSError as exc:
                name = errno.errorcode.get(exc.errno or 0, str(exc))
                stats.send_errors[name] = stats.send_errors.get(name, 0) + 1
                if exc.errno in (errno.ENOBUFS, errno.EAGAIN):
                    # transmit queue full: give the same try back and let the queue empty
                    if attempt == 1:
                        fresh.appendleft(key)
                        first_sent -= 1
                    else:
                        retry_q.appendleft((now, key, attempt, frame))
                    schedule.hold(now + max(schedule.interval, 0.001))
                    break
                if exc.errno in (errno.ENETDOWN, errno.ENXIO, errno.ENODEV):
                    stats.stopped_by = exc.strerror or name
                    break
                burst += 1
                continue
            stats.sent += 1
            burst += 1
            sent_times[key] = now
            last_activity = last_send = now
            if attempt == 1 and tries_total > 1:
                retry_q.append((now + retry_after, key, 2, frame))   # reused: pending for retry_after only
            elif 1 < attempt < tries_total:
                round_keys.append(key)
            take()
        if stats.stopped_by:
            break
        schedule.settle(now)

        if round_keys and not fresh and not retry_q and now - last_send >= timing.retry_after:
            # the round's replies have had their time: is another round worth its frames?
            silent = [key for key in round_keys if not answered(key)]
            if more_rounds is None:
                live = sum(1 for key in sent_times if answered(key))
                rescued = len(round_keys) - len(silent)
                loss = min(0.95, rescued / (live - rescued) if live > rescued else float(rescued > 0))
                missed = loss * loss
                more_rounds = live * missed / (1 - missed) * (1 - loss) >= MIN_WORTH
            round_keys = []
            if silent and more_rounds:
                round_try += 1
                retry_q.extend((now, key, round_try, None) for key in silent)
            else:
                stats.retries_skipped += len(silent) * (tries_total - round_try)

        if progress is not None and now - last_progress >= 0.2:
            last_progress = now
            progress(first_sent, "sending" if fresh else "waiting for replies")

        if not fresh and not retry_q and not round_keys and now - last_activity >= timing.quiet:
            break

        wake = last_activity + timing.quiet
        if round_keys:
            wake = min(wake, last_send + timing.retry_after)
        if fresh:
            wake = min(wake, schedule.next_slot)
        if retry_q:
            wake = min(wake, max(schedule.next_slot, retry_q[0][0]))
        timeout = max(0.0, min(wake, hard_stop) - time.monotonic())
        if timeout > 0:
            poller.poll(timeout * 1000)

    stats.kernel_drops = link.kernel_drops()
    stats.elapsed = time.monotonic() - start
    if progress is not None:
        progress(first_sent, "done")
    return stats
