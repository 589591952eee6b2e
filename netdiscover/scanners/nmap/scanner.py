"""Nmap scanner: host discovery, open services and OS guesses by the nmap binary.

The target set is split into chunks (256 addresses by default) that run with bounded
parallelism, each as one nmap process whose XML is parsed host by host as it streams
(``process.run_nmap``, ``parse.NmapStream``: safely, with every field kept). Each run's command
line is logged (``-v``). A chunk that fails loses only itself (the hosts it reported before
failing are kept) and the outcome becomes ``partial``. The packet-rate bound (``ctx.rate``) is
shared between the chunks that run at once. With ARP's feed (``ctx.feed``), the addresses of
ARP's segment are scanned only where ARP found a host, in small runs started as the hosts come
in, without nmap's own host discovery (``-Pn``). Options and their defaults: the package's ``DESCRIPTOR``.
"""

from __future__ import annotations

import os
import queue
import shlex
import threading
from collections.abc import Callable, Iterator
from functools import lru_cache
from pathlib import Path

from netaddr import IPAddress, IPSet

from netdiscover.observation import Observation
from netdiscover.scanners.base import ScanContext, ScannerUnavailable, ScanOutcome
from netdiscover.scanners.feed import FeedReader, split_targets
from netdiscover.scanners.nmap import DESCRIPTOR
from netdiscover.scanners.nmap.args import Command, build_command, found_host_args
from netdiscover.scanners.nmap.process import ChunkResult, find_nmap, run_nmap, too_old

NAME = DESCRIPTOR.name
MAX_PARALLEL = 8
MAX_ADDRESSES = 1 << 24
FED_CHUNK = 64             # ARP's hosts per nmap run: small, so that nmap starts early
FEED_LINGER_S = 0.3        # the feed quiet this long: start a run with the hosts found so far


@lru_cache(maxsize=8)
def check_nmap(path: str | None = None) -> tuple[int, int]:
    """The version of the nmap found, asked once per process and path through python-nmap
    (``nmap -V``); ScannerUnavailable when it is missing or too old. A sweep does not need it:
    it reads the version from its own runs' XML."""
    try:
        import nmap as python_nmap
    except ImportError:
        raise ScannerUnavailable("python-nmap is not installed (pip install python-nmap)") from None
    try:
        scanner = python_nmap.PortScanner(nmap_search_path=(find_nmap(path),))
    except python_nmap.PortScannerError:
        where = f" at {path}" if path else ""
        raise ScannerUnavailable(f"nmap binary not found{where}: install it (apt install nmap)") from None
    version = tuple(scanner.nmap_version())
    refused = too_old(".".join(map(str, version)))
    if refused:
        raise ScannerUnavailable(refused)
    return version


def is_privileged() -> bool:
    """Whether raw-socket scans (-sS, -sU, -O) can run: root here."""
    return os.geteuid() == 0


def local_addresses() -> set[str]:
    """The addresses of this network namespace (IPv4 from fib_trie, IPv6 from if_inet6)."""
    found: set[str] = set()
    trie = Path("/proc/net/fib_trie")
    if trie.is_file():
        last = None
        for line in trie.read_text().splitlines():
            parts = line.split()
            if len(parts) >= 2 and parts[0] in ("|--", "+--"):
                last = parts[1].split("/")[0]
            elif "/32 host LOCAL" in line and last:
                found.add(last)
    inet6 = Path("/proc/net/if_inet6")
    if inet6.is_file():
        for line in inet6.read_text().splitlines():
            raw = line.split()[0] if line.split() else ""
            if len(raw) == 32:
                found.add(str(IPAddress(":".join(raw[i:i + 4] for i in range(0, 32, 4)))))
    return found


def chunk_targets(targets: IPSet, size: int) -> Iterator[tuple[int, list[str]]]:
    """Split an IPSet into (ip_version, [cidr, ...]) groups of at most ``size`` addresses."""
    size = max(1, size)
    for version in (4, 6):
        batch: list[str] = []
        count = 0
        for cidr in targets.iter_cidrs():
            if cidr.version != version:
                continue
            pieces = [cidr]
            if cidr.size > size:
                host_bits = size.bit_length() - 1      # largest power of two <= size
                pieces = cidr.subnet((32 if version == 4 else 128) - host_bits)
            for piece in pieces:
                if count + piece.size > size and batch:
                    yield version, batch
                    batch, count = [], 0
                batch.append(str(piece))
                count += piece.size
        if batch:
            yield version, batch


def nmap_argv(nmap: str, args: list[str], targets: list[str], version: int) -> list[str]:
    """The command line of one nmap run: XML on stdout, the arguments, then the targets."""
    extra = ["-6"] if version == 6 and "-6" not in args else []
    return [nmap, "-oX", "-", *args, *extra, *targets]


def plan(ctx: ScanContext, targets: IPSet | None = None, fed: bool = False
         ) -> tuple[Command, list[tuple[int, list[str]]], int]:
    """The nmap arguments, the chunks and the parallelism this context asks for.

    ``targets``: the addresses to chunk now (default: every target but ``ctx.skip``); ``fed``:
    more chunks will come from ARP's feed, so the parallelism is not bounded by these chunks.
    """
    if ctx.targets.size > MAX_ADDRESSES:
        raise ScannerUnavailable(f"{ctx.targets.size} addresses is more than nmap sweeps at once "
                                 f"({MAX_ADDRESSES}); narrow the targets")
    opts = DESCRIPTOR.defaults() | ctx.options
    chunks = list(chunk_targets(ctx.targets - ctx.skip if targets is None else targets,
                                int(opts["nmap_chunk_size"])))
    parallel = max(1, min(int(opts["nmap_parallel"]), MAX_PARALLEL,
                          MAX_PARALLEL if fed else max(1, len(chunks))))
    command = build_command(ctx.nmap_profile or "quick", ctx.nmap_args, rate=ctx.rate,
                            privileged=is_privileged(), parallel=parallel, interface=ctx.interface,
                            timeout=ctx.timeout, retries=ctx.retries)
    return command, chunks, parallel


Job = tuple[int, list[str], bool]    # (IP version, targets, fed: hosts ARP found)


def jobs(chunks: list[tuple[int, list[str]]], reader: FeedReader | None, probe: IPSet, size: int,
         idle: Callable[[], bool]) -> Iterator[Job | None]:
    """The nmap runs to start, in order: ARP's hosts in groups of ``size`` as they are found (a
    smaller group when the feed goes quiet and a run is free), the other chunks when a run is
    free, then what ARP left undone. None now and then while waiting, so the caller can look at
    finished runs."""
    pending = list(chunks)
    if reader is None:
        yield from ((ipv, targets, False) for ipv, targets in pending)
        return
    batch: list[str] = []
    while (new := reader.take(FEED_LINGER_S)) is not None:
        batch += [ip for ip in new if ip in probe]
        while len(batch) >= size:
            yield 4, batch[:size], True
            batch = batch[size:]
        if new:
            yield None
        elif batch and idle():
            yield 4, batch, True
            batch = []
        elif pending and idle():
            ipv, targets = pending.pop(0)
            yield ipv, targets, False
        else:
            yield None
    if batch:
        yield 4, batch, True
    yield from ((ipv, targets, False) for ipv, targets in pending)
    yield from ((ipv, targets, False) for ipv, targets in chunk_targets(reader.leftover() & probe, size))


def _run_into(results: queue.Queue[ChunkResult], argv: list[str], targets: list[str], timeout: float,
              local_ips: set[str]) -> None:
    """One nmap run, its result put on ``results`` whatever happens."""
    try:
        result = run_nmap(argv, targets, timeout, local_ips)
    except Exception as exc:     # a bug here must fail this chunk, not leave the sweep waiting for it
        result = ChunkResult(targets=targets, error=f"nmap run crashed: {type(exc).__name__}: {exc}")
    results.put(result)


def scan(ctx: ScanContext) -> ScanOutcome:
    """Sweep ``ctx.targets`` with nmap; one Observation per host that is up."""
    probe = ctx.targets - ctx.skip
    now, reader = split_targets(probe, ctx.feed)
    command, chunks, parallel = plan(ctx, now, fed=reader is not None)   # bad --nmap-args raise first
    opts = DESCRIPTOR.defaults() | ctx.options
    nmap = find_nmap(opts["nmap_path"])
    outcome = ScanOutcome(method=NAME, messages=[f"nmap: {note}" for note in command.notes])
    if not chunks and reader is None:
        outcome.status = "skipped"
        outcome.messages.append("nmap: no targets")
        return outcome
    timeout = float(opts["nmap_chunk_timeout"])
    local_ips = local_addresses()
    fed_args = found_host_args(command.args)
    ctx.log.info("nmap: %d chunk(s)%s, %d at once: nmap %s", len(chunks),
                 " and ARP's hosts as found" if reader is not None else "", parallel,
                 shlex.join(command.args))
    done = started = failed = 0
    nmap_seconds = parse_seconds = 0.0
    versions: set[str] = set()
    unusable: list[str] = []
    seen: dict[str, Observation] = {}
    asked = IPSet()
    running = 0
    results: queue.Queue[ChunkResult] = queue.Queue()

    def finish(result: ChunkResult) -> None:
        nonlocal done, failed, nmap_seconds, parse_seconds
        done += 1
        if result.version:
            versions.add(result.version)
        if result.unusable:
            unusable.append(result.unusable)
        nmap_seconds += result.elapsed
        parse_seconds += result.parse_seconds
        label = ",".join(result.targets[:3]) + ("…" if len(result.targets) > 3 else "")
        if result.error:
            failed += 1
            outcome.messages.append(f"nmap: chunk {label} failed: {result.error}")
        for warning in result.warnings:
            if f"nmap: {warning}" not in outcome.messages:
                outcome.messages.append(f"nmap: {warning}")
        for obs in result.observations:
            key = obs.ip or obs.mac or ""
            seen.setdefault(key, obs)
        ctx.progress(done, started, f"{len(seen)} up; {label}" + (" failed" if result.error else ""))

    def reap(block: bool) -> None:
        """Take in the finished runs (with ``block``, wait for one first)."""
        nonlocal running
        while running:
            try:
                result = results.get(block=block)
            except queue.Empty:
                return
            running -= 1
            finish(result)
            block = False

    def idle() -> bool:
        return running < parallel

    ctx.progress(0, len(chunks), f"nmap: {len(chunks)} chunk(s)" + (", waiting for ARP" if reader else ""))
    size = min(int(opts["nmap_chunk_size"]), FED_CHUNK)
    for job in jobs(chunks, reader, probe, size, idle):
        if unusable:
            break
        if job is not None:
            while running >= parallel:       # at most ``parallel`` nmap at once
                reap(block=True)
            ipv, targets, fed = job
            started += 1
            running += 1
            asked.update(IPSet(targets))
            argv = nmap_argv(nmap, fed_args if fed else command.args, targets, ipv)
            ctx.log.info("nmap run %d, %d at once: %s", started, parallel, shlex.join(argv))
            # a daemon thread per run: a process that is leaving does not wait for nmap (process.py
            # kills it at exit)
            threading.Thread(target=_run_into, args=(results, argv, targets, timeout, local_ips),
                             name=f"nmap-{started}", daemon=True).start()
        reap(block=False)
    while running:
        reap(block=True)
    if unusable:
        raise ScannerUnavailable(unusable[0])
    outcome.observations = list(seen.values())
    if not started:
        outcome.status = "skipped"
        outcome.messages.append("nmap: no targets (ARP found no host)")
    elif failed == started:
        outcome.status = "failed"
    elif failed:
        outcome.status = "partial"
    outcome.stats = {"chunks": started, "failed_chunks": failed, "parallel": parallel,
                     "hosts_up": len(outcome.observations), "nmap_seconds": round(nmap_seconds, 3),
                     "parse_seconds": round(parse_seconds, 4),
                     "nmap_version": ", ".join(sorted(versions)), "arguments": shlex.join(command.args)}
    if reader is not None:
        # what was asked, for absence (reconcile.absence): not the segment's addresses ARP did not find
        outcome.stats["covered"] = [str(c) for c in asked.iter_cidrs()]
    return outcome
