"""One nmap process: started, its ``-oX`` XML parsed as it streams, its stderr sorted.

``run_nmap`` starts nmap with the XML on a pipe and feeds every read to ``parse.NmapStream``,
so hosts are parsed while nmap still scans the others, and the result is ready when nmap exits.
nmap's version is read from the document's root element (no separate ``nmap -V``); one older
than ``MIN_VERSION`` is stopped and reported as unusable. A run that times out, dies or writes
broken XML keeps the hosts parsed before that, with an error. Every nmap still running when
this process exits is killed (``atexit``).
"""

from __future__ import annotations

import atexit
import os
import re
import select
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from netdiscover.observation import Observation, clean_text
from netdiscover.scanners.base import ScannerUnavailable

if TYPE_CHECKING:
    from netdiscover.scanners.nmap.parse import NmapStream

MIN_VERSION = (7, 0)
READ_SIZE = 65536
MAX_STDERR = 65536
FALLBACK_PATHS = ("/usr/bin/nmap", "/usr/local/bin/nmap")   # when PATH is bare (cron, systemd)
_VERSION = re.compile(r"^(\d+)\.(\d+)")
_live: set[subprocess.Popen] = set()


@dataclass
class ChunkResult:
    """What one nmap run over one chunk gave."""

    targets: list[str]
    observations: list[Observation] = field(default_factory=list)
    error: str | None = None
    unusable: str | None = None        # this nmap cannot be used at all (too old): the scan stops
    warnings: list[str] = field(default_factory=list)
    version: str | None = None
    elapsed: float = 0.0
    nmap_elapsed: float | None = None
    parse_seconds: float = 0.0
    dropped_local: list[str] = field(default_factory=list)


def find_nmap(path: str | None = None) -> str:
    """The nmap binary to run: ``path`` or nmap on PATH; ScannerUnavailable when there is none."""
    found = shutil.which(path or "nmap")
    if found is None and path is None:
        found = next((p for p in FALLBACK_PATHS if os.access(p, os.X_OK)), None)
    if found is None:
        where = f" at {path}" if path else ""
        raise ScannerUnavailable(f"nmap binary not found{where}: install it (apt install nmap)")
    return found


def has_nmap() -> bool:
    """Whether ``find_nmap`` finds an nmap to run (what a collector reports in its heartbeat)."""
    try:
        find_nmap()
    except ScannerUnavailable:
        return False
    return True


def too_old(version: str | None) -> str | None:
    """Why an nmap of this version cannot be used, or None (an unreadable version is let through)."""
    match = _VERSION.match(version or "")
    if match and (int(match.group(1)), int(match.group(2))) < MIN_VERSION:
        need = ".".join(map(str, MIN_VERSION))
        return f"nmap {version} is too old; netdiscover needs nmap {need} or newer"
    return None


def _stop_all() -> None:
    for proc in list(_live):
        if proc.poll() is None:
            proc.kill()


atexit.register(_stop_all)


def run_nmap(argv: list[str], targets: list[str], timeout: float, local_ips: set[str]) -> ChunkResult:
    """Run ``argv`` (an nmap command writing XML to stdout) and parse its output as it comes."""
    result = ChunkResult(targets=targets)
    broken: str | None = None
    started = time.monotonic()
    with tempfile.TemporaryFile() as stderr:
        try:
            proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=stderr,
                                    bufsize=0)
        except OSError as exc:
            result.error = f"nmap could not start: {clean_text(exc.strerror or str(exc), 200)}"
            return result
        _live.add(proc)
        try:
            # the parser loads while nmap starts, not before
            from netdiscover.scanners.nmap.parse import NmapStream, NmapXmlError

            stream = NmapStream(local_ips)
            broken = _read(proc, stream, result, started + timeout, timeout)
        finally:
            if proc.poll() is None:
                proc.kill()
            proc.wait()
            proc.stdout.close()
            _live.discard(proc)
            result.elapsed = time.monotonic() - started
        stderr.seek(0)
        text = stderr.read(MAX_STDERR).decode("utf-8", "replace")
    lines = [line for line in (clean_text(raw, 300) for raw in text.splitlines()) if line]
    warnings = [line for line in lines if line.lower().startswith("warning:")]
    errors = [line for line in lines if not line.lower().startswith("warning:")]
    result.warnings = warnings[:5]
    if result.error is None and broken is None:
        began = time.monotonic()
        try:
            stream.close()
        except NmapXmlError as exc:
            broken = str(exc)
        result.parse_seconds += time.monotonic() - began
    run = stream.run
    result.observations = run.observations
    result.dropped_local = run.dropped_local
    result.nmap_elapsed = run.elapsed
    if result.error is not None:
        return result
    if broken is not None:
        result.error = errors[0] if errors else broken
    elif run.errors:
        result.error = run.errors[0]
    elif errors and not run.observations and run.elapsed is None:
        result.error = errors[0]
    else:
        result.warnings += errors[:3]
    return result


def _read(proc: subprocess.Popen, stream: NmapStream, result: ChunkResult, deadline: float,
          timeout: float) -> str | None:
    """Feed nmap's stdout to the parser until it ends, the deadline passes or the XML breaks;
    the parse error, if any (a timeout or an unusable nmap is put on ``result``)."""
    from netdiscover.scanners.nmap.parse import NmapXmlError

    pipe = proc.stdout.fileno()
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            result.error = f"nmap timed out after {int(timeout)}s"
            return None
        if not select.select([pipe], [], [], min(left, 5.0))[0]:
            continue
        data = os.read(pipe, READ_SIZE)
        if not data:
            return None
        began = time.monotonic()
        try:
            stream.feed(data)
        except NmapXmlError as exc:
            return str(exc)
        finally:
            result.parse_seconds += time.monotonic() - began
        if result.version is None and stream.version is not None:
            result.version = stream.version
            result.unusable = too_old(stream.version)
            if result.unusable:
                result.error = result.unusable
                return None
