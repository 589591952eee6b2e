"""Serve SNMP recordings with snmpsim in a lab namespace and sweep them with the real scanner.

Shared by the accuracy benchmarks (the labelled corpus and the unseen recordings): every
recording gets its own address and SNMP engine (one snmpsim process per ``batch`` recordings,
so that a process never needs more sockets and files than its user may open), the SNMP scanner
runs in a second namespace on the same segment, and each recording's observations come back
under the key it was given. The namespaces are the lab's own (``netdiscover_lab.netns.Lab``)
and are removed when the batch ends, even on failure. Needs root.
"""

from __future__ import annotations

import shutil
import sys
import tempfile
import time
from collections.abc import Mapping
from pathlib import Path

from netdiscover.observation import Observation


def require_lab() -> None:
    """Exit with a one-line error when the namespace lab or snmpsim cannot run here."""
    from netdiscover_lab.netns import lab_unavailable_reason
    from netdiscover_lab.snmp_agents import LabError, ensure_snmpsim

    reason = lab_unavailable_reason()
    if reason:
        raise SystemExit(f"error: lab mode needs the namespace lab: {reason} (or use --offline)")
    try:
        ensure_snmpsim()
    except LabError as exc:
        raise SystemExit(f"error: snmpsim unavailable: {exc}") from None


def sweep(recordings: Mapping[str, Path], depth: str = "system",
          batch: int = 120) -> dict[str, list[Observation]]:
    """Observations per recording key, from the SNMP scanner sweeping each served recording."""
    require_lab()
    keys = list(recordings)
    address = {key: f"10.40.{1 + i // 250}.{2 + i % 250}" for i, key in enumerate(keys)}
    by_ip: dict[str, list[Observation]] = {}
    for first in range(0, len(keys), batch):
        chunk = {address[k]: recordings[k] for k in keys[first:first + batch]}
        for data in _sweep_chunk(chunk, depth):
            if data.get("kind") == "host" and data.get("ip"):
                by_ip.setdefault(data["ip"], []).append(Observation.from_dict(data))
    answered = sum(1 for k in keys if by_ip.get(address[k]))
    print(f"devices that answered the scanner: {answered}/{len(keys)}", file=sys.stderr)
    return {k: by_ip.get(address[k], []) for k in keys}


def servable(path: Path, scratch: Path) -> Path:
    """The recording itself, or a scratch copy without the lines snmpsim cannot parse (bad OIDs)."""
    lines = path.read_text(encoding="utf-8", errors="replace").splitlines(keepends=True)
    good = [ln for ln in lines if ln.split("|", 1)[0].replace(".", "").isdigit()]
    if len(good) == len(lines):
        return path
    scratch.mkdir(parents=True, exist_ok=True)
    scratch.chmod(0o755)
    clean = scratch / f"{len(list(scratch.iterdir())):04d}-{path.name}"
    clean.write_text("".join(good), encoding="utf-8")
    clean.chmod(0o644)
    return clean


def _sweep_chunk(chunk: Mapping[str, Path], depth: str) -> list[dict]:
    from netdiscover_lab.netns import Lab
    from netdiscover_lab.snmp_agents import scan_in_namespace, start_snmpsim

    work = Path(tempfile.mkdtemp(prefix="netdiscover-fp-bench-"))
    work.chmod(0o755)
    try:
        with Lab() as built:
            seg = built.segment()
            scanner = built.host("scan", seg, "10.40.0.1/16")
            agents = built.host("agents", seg, "10.40.0.2/16")
            for ip in chunk:
                built.run(agents.ns, ["ip", "addr", "add", f"{ip}/16", "dev", "eth0"])
            started = time.perf_counter()
            served = {ip: servable(path, work / "clean") for ip, path in chunk.items()}
            start_snmpsim(built, agents.ns, served, work / "snmpsim", timeout=60 + len(chunk))
            ready = time.perf_counter() - started
            started = time.perf_counter()
            credential = [{"version": "2c", "community": "public", "label": "bench"}]
            targets = list(chunk)
            result = scan_in_namespace(built, scanner.ns, targets, credential, {"snmp_depth": depth},
                                       timeout=1800)
            observations = result["observations"]
            answered = {o.get("ip") for o in observations if o.get("kind") == "host"}
            missing = [ip for ip in targets if ip not in answered]
            if missing:
                # a busy simulator can miss the first contact window: ask the silent ones again, slowly
                again = scan_in_namespace(built, scanner.ns, missing, credential,
                                          {"snmp_depth": depth, "snmp_timeout": 5, "snmp_retries": 3,
                                           "snmp_concurrency": 8}, timeout=1800)
                observations += again["observations"]
            print(f"{len(chunk)} devices: snmpsim ready in {ready:.0f} s, SNMP sweep ({depth}) "
                  f"{time.perf_counter() - started:.0f} s, status {result['status']}, "
                  f"{len(missing)} asked again", file=sys.stderr)
            return observations
    finally:
        shutil.rmtree(work, ignore_errors=True)
