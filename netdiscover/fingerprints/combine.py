"""Weigh every source's evidence per field into one Fingerprint.

Each source module in ``SOURCES`` exposes ``evidence(observations) -> list[Evidence]``.
Per field, evidence naming the same value adds up across sources (noisy-or of each source's
strongest weight for it, so two independent clues beat one; within one source the most
specific rule speaks, as its rules are not independent); the value with the highest score
wins. Its confidence is that score, reduced by the strongest disagreeing value. Evidence for
the losing values is kept in ``Fingerprint.conflicts``. The weights encode the order of
trust: a serial-bearing ENTITY-MIB model > a sysDescr pattern > an nmap osclass > a port
heuristic > a MAC OUI.
"""

from __future__ import annotations

import importlib
import logging
from collections.abc import Sequence
from types import ModuleType

from netdiscover.fingerprints.model import FIELDS, Evidence, Fingerprint
from netdiscover.observation import Observation
from netdiscover.vocabulary import DEVICE_CLASSES

log = logging.getLogger(__name__)

SOURCES: list[str] = [
    "netdiscover.fingerprints.oui",
    "netdiscover.fingerprints.snmp",
    "netdiscover.fingerprints.nmap",
    "netdiscover.fingerprints.ports",
    "netdiscover.fingerprints.iot",
]
# Modules that may legitimately be absent (built separately); others must import.
OPTIONAL_SOURCES = frozenset({"netdiscover.fingerprints.iot"})

# os_version is decided after the OS it belongs to
_ORDER = (*(f for f in FIELDS if f != "os_version"), "os_version")
_CLASSES = frozenset(DEVICE_CLASSES) - {"unknown"}
_FIELDS = frozenset(FIELDS)
_loaded: list[ModuleType] | None = None


def sources() -> list[ModuleType]:
    """The source modules, imported once; an optional module that does not exist is skipped."""
    global _loaded
    if _loaded is None:
        modules = []
        for name in SOURCES:
            try:
                modules.append(importlib.import_module(name))
            except ModuleNotFoundError as exc:
                if exc.name == name and name in OPTIONAL_SOURCES:
                    continue
                raise
        _loaded = modules
    return _loaded


def reload_sources() -> None:
    """Forget imported sources (after SOURCES changes or a module lands)."""
    global _loaded
    _loaded = None


def gather(observations: Sequence[Observation]) -> list[Evidence]:
    """Every source's evidence; a source that fails on odd input is logged and skipped."""
    found: list[Evidence] = []
    for module in sources():
        try:
            found.extend(module.evidence(observations))
        except Exception:  # one bad source must not lose the others' evidence
            log.warning("fingerprint source %s failed", module.__name__, exc_info=True)
    return found


def combine(observations: Sequence[Observation]) -> Fingerprint:
    """The Fingerprint for one device's observations (pure; never raises on bad data)."""
    return decide(gather(list(observations or ())))


def _key(field: str, value: str) -> str:
    return "".join(ch for ch in value.casefold() if ch.isalnum()) or value.casefold()


def _valid(item: Evidence) -> bool:
    if item.field not in _FIELDS or not isinstance(item.value, str) or not item.value.strip():
        return False
    if item.field == "device_class" and item.value not in _CLASSES:
        return False
    return isinstance(item.weight, int | float) and item.weight > 0


def decide(evidence: Sequence[Evidence]) -> Fingerprint:
    """Weigh evidence per field; the winner per field, its confidence, and the conflicts."""
    items = [e for e in evidence if _valid(e)]
    for item in items:
        item.weight = round(min(float(item.weight), 1.0), 3)
    items.sort(key=lambda e: -e.weight)
    result = Fingerprint()
    conflicts: list[Evidence] = []
    os_rules: set[tuple[str, str]] = set()
    by_field: dict[str, list[Evidence]] = {}
    for item in items:
        by_field.setdefault(item.field, []).append(item)
    for field in _ORDER:
        candidates = by_field.get(field, [])
        if field == "os_version" and os_rules:
            # a version only means something next to the OS it was read for
            tied = [item for item in candidates if (item.source, item.rule) in os_rules]
            candidates = tied or candidates
        groups: dict[str, list[Evidence]] = {}
        for item in candidates:
            groups.setdefault(_key(field, item.value), []).append(item)
        if not groups:
            continue
        scored = []
        for key, group in groups.items():
            strongest: dict[str, float] = {}
            for item in group:
                strongest[item.source] = max(strongest.get(item.source, 0.0), item.weight)
            miss = 1.0
            for weight in strongest.values():
                miss *= 1.0 - weight
            scored.append((1.0 - miss, group[0].weight, key))
        scored.sort(key=lambda s: (-s[0], -s[1]))
        best_score, _, best_key = scored[0]
        # a source that also backs the winner is refining its own guess, not disagreeing
        backers = {item.source for item in groups[best_key]}
        runner_up = 0.0
        for _, _, key in scored[1:]:
            miss = 1.0
            for item in groups[key]:
                if item.source not in backers:
                    miss *= 1.0 - item.weight
            runner_up = max(runner_up, 1.0 - miss)
        winner = groups[best_key][0]
        setattr(result, field, winner.value)
        result.confidence[field] = round(max(0.0, min(1.0, best_score - 0.5 * runner_up)), 3)
        if field in ("os_family", "os_name"):
            os_rules.update((item.source, item.rule) for item in groups[best_key])
        for key, group in groups.items():
            if key != best_key:
                conflicts.extend(group)
    if "device_class" not in result.confidence:
        result.device_class = "unknown"
        result.confidence["device_class"] = 0.0
    result.evidence = items
    result.conflicts = sorted(conflicts, key=lambda e: -e.weight)
    return result
