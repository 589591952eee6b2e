"""The messages between collectors and the central ingest, and their checks.

A batch carries at most ``MAX_BATCH`` observations as zlib-compressed JSON (each observation's
``to_dict`` form without its empty fields, which ``Observation.from_dict`` restores as they were),
base64 in the task argument, at most ``MAX_WIRE`` bytes on the wire and ``MAX_JSON`` bytes once
inflated (a small message that inflates to gigabytes is refused while it inflates). A sweep's
closing message says how many batches it sent and whether the sweep was complete, partial or
aborted. Anything that fails these checks raises ``PoisonMessage``: the ingest sends it to the
dead-letter queue.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import asdict, fields
from typing import Any

from netdiscover.gcpause import gc_paused
from netdiscover.observation import NESTED_FIELDS, Observation

VERSION = 1
MAX_BATCH = 5000                 # observations per batch
MAX_WIRE = 4 * 1024 * 1024       # bytes of one encoded batch
MAX_JSON = 64 * 1024 * 1024      # bytes of one batch's JSON once inflated
OUTCOMES = ("complete", "partial", "aborted")
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")


class PoisonMessage(ValueError):
    """A message the ingest must not process: malformed, oversized or from an unknown site."""


def check_name(value: Any, what: str) -> str:
    """A site name or sweep id: 1-64 letters, digits, '.', '_' or '-'."""
    if not isinstance(value, str) or not _NAME.match(value):
        raise PoisonMessage(f"bad {what}: {str(value)[:80]!r}")
    return value


_NESTED = tuple(name for name, _kind in NESTED_FIELDS)
_PLAIN = tuple(f.name for f in fields(Observation) if f.name != "seen_at" and f.name not in _NESTED)


def wire_dict(o: Observation) -> dict[str, Any]:
    """``o.to_dict()`` without the fields that hold None, an empty list or an empty dict (their
    defaults): a plain ARP sighting is a third of the size and decodes in half the time."""
    out: dict[str, Any] = {}
    for name in _PLAIN:
        value = getattr(o, name)
        if value is not None and not (type(value) in (list, dict) and not value):
            out[name] = value
    out["seen_at"] = o.seen_at.isoformat()
    for name in _NESTED:
        items = getattr(o, name)
        if items:
            out[name] = [asdict(item) for item in items]
    return out


def encode_batch(site: str, sweep_id: str, batch: int, observations: list[Observation],
                 run: str = "0") -> dict[str, Any]:
    """One batch message (a dict of JSON types) for the ingest queue. ``run`` names one execution
    of the sweep: a sweep redelivered to a collector after a crash runs again under a new one."""
    if len(observations) > MAX_BATCH:
        raise ValueError(f"a batch holds at most {MAX_BATCH} observations")
    raw = json.dumps([wire_dict(o) for o in observations], separators=(",", ":")).encode()
    data = base64.b64encode(zlib.compress(raw, 6)).decode("ascii")
    return {"v": VERSION, "kind": "batch", "site": site, "sweep": sweep_id, "run": run, "batch": batch,
            "count": len(observations), "data": data}


def batches(site: str, sweep_id: str, observations: list[Observation], run: str = "0",
            size: int = MAX_BATCH) -> Iterator[dict[str, Any]]:
    """The batch messages of a sweep's observations, numbered from 0."""
    for n, start in enumerate(range(0, len(observations), size)):
        yield encode_batch(site, sweep_id, n, observations[start:start + size], run)


def closing(site: str, sweep_id: str, *, outcome: str, batches: int, run: str = "0",
            reason: str | None = None,
            scope: Iterable[str] = (), coverage: dict[str, list[str]] | None = None,
            methods: Iterable[str] = (), messages: Iterable[str] = ()) -> dict[str, Any]:
    """The message that ends a sweep: how it ended, how many batches it sent, what it covered."""
    if outcome not in OUTCOMES:
        raise ValueError(f"outcome must be one of {', '.join(OUTCOMES)}")
    return {"v": VERSION, "kind": "close", "site": site, "sweep": sweep_id, "run": run, "outcome": outcome,
            "reason": reason, "batches": batches, "scope": list(scope), "coverage": coverage or {},
            "methods": list(methods), "messages": list(messages)[:100]}


def _head(msg: Any, kind: str) -> dict[str, Any]:
    if not isinstance(msg, dict):
        raise PoisonMessage(f"not a message object: {type(msg).__name__}")
    if msg.get("v") != VERSION or msg.get("kind") != kind:
        raise PoisonMessage(f"not a version {VERSION} {kind} message")
    check_name(msg.get("site"), "site")
    check_name(msg.get("sweep"), "sweep id")
    check_name(msg.get("run"), "run id")
    return msg


def _count(value: Any, what: str, top: int) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= top:
        raise PoisonMessage(f"bad {what}: {str(value)[:40]!r}")
    return value


def inflate(data: Any) -> tuple[bytes, bytes]:
    """The compressed and the JSON bytes of a batch's ``data``, refusing oversized input or output."""
    if not isinstance(data, str):
        raise PoisonMessage("batch data missing")
    if len(data) > MAX_WIRE:
        raise PoisonMessage(f"batch data larger than {MAX_WIRE} bytes")
    try:
        packed = base64.b64decode(data, validate=True)
        raw = unpack(packed)
    except (binascii.Error, ValueError, zlib.error) as exc:
        raise PoisonMessage(f"batch data is not compressed base64: {exc}") from None
    return packed, raw


def unpack(packed: bytes) -> bytes:
    """Inflate a stored batch, at most ``MAX_JSON`` bytes."""
    inflater = zlib.decompressobj()
    raw = inflater.decompress(packed, MAX_JSON)
    if inflater.unconsumed_tail or not inflater.eof:
        raise PoisonMessage(f"batch inflates past {MAX_JSON} bytes or is truncated")
    return raw


def decode_observations(raw: bytes, count: int) -> list[Observation]:
    """The observations of a batch's JSON; their number must be ``count``."""
    try:
        # (without the cyclic collector: with a worker's decoded batches held, it tripled the time)
        with gc_paused():
            items = json.loads(raw)
            if not isinstance(items, list) or len(items) != count:
                raise PoisonMessage(f"batch says {count} observations, holds "
                                    f"{len(items) if isinstance(items, list) else 'none'}")
            return [Observation.from_dict(item) for item in items]
    except PoisonMessage:
        raise
    except (ValueError, TypeError, KeyError, AttributeError) as exc:
        raise PoisonMessage(f"bad observation in batch: {type(exc).__name__}: {str(exc)[:120]}") from None


def check_batch(msg: Any) -> tuple[dict[str, Any], bytes, list[Observation]]:
    """A batch message's header, its compressed observations and those observations, every one
    checked."""
    msg = _head(msg, "batch")
    _count(msg.get("batch"), "batch number", 1_000_000)
    count = _count(msg.get("count"), "observation count", MAX_BATCH)
    packed, raw = inflate(msg.get("data"))
    return msg, packed, decode_observations(raw, count)


def check_close(msg: Any) -> dict[str, Any]:
    """A closing message, checked."""
    msg = _head(msg, "close")
    if msg.get("outcome") not in OUTCOMES:
        raise PoisonMessage(f"bad outcome: {str(msg.get('outcome'))[:40]!r}")
    _count(msg.get("batches"), "batch count", 1_000_000)
    scope, coverage = msg.get("scope"), msg.get("coverage")
    if not isinstance(scope, list) or not all(isinstance(s, str) for s in scope):
        raise PoisonMessage("bad scope")
    if not isinstance(coverage, dict) or not all(
            isinstance(v, list) and all(isinstance(s, str) for s in v) for v in coverage.values()):
        raise PoisonMessage("bad coverage")
    if len(json.dumps(msg)) > MAX_WIRE:
        raise PoisonMessage("closing message too large")
    return msg
