"""Weigh every source's evidence per field into one Fingerprint.

Each source module in ``SOURCES`` exposes ``evidence(observations) -> list[Evidence]``.
Per field, evidence naming the same value adds up across sources (noisy-or of each source's
strongest weight for it, so two independent clues beat one; within one source the most
specific rule speaks, as its rules are not independent); the value with the highest score
wins. Its confidence is that score, reduced by the strongest disagreeing value. Evidence for
the losing values is kept in ``Fingerprint.conflicts``. The weights encode the order of
trust: a serial-bearing ENTITY-MIB model > a sysDescr pattern > an nmap osclass > a port
heuristic > a MAC OUI.

Once the vendor is decided, a maker with one dominant product range (``vendor_ranges.csv``)
lends a weak fallback class/OS when no rule recognised the product. Sources that only read
certain facts are skipped for devices without them, and the decision is memoised per evidence
signature, so large sweeps stay cheap.

A maker that split in two under one registration is named after the half that sells the
decided class (``SPLIT_MAKERS``). Finally the vendor and OS confidences of answers that SNMP
evidence backs go through calibration tables learned from held-out corpus devices
(``class_model.json`` "fields"), so that a confidence is the share of such answers that were
right; an uncontested OS answer is looked up in the table of the kind of evidence that decided it
(a generic "Linux" kernel word and a maker's own OS rule are not equally often the OS a device
is labelled with, whatever their weights). The device class's confidence is already calibrated
by its model.
"""

from __future__ import annotations

import csv
import importlib
import logging
import re
from collections.abc import Sequence
from functools import lru_cache
from operator import attrgetter
from pathlib import Path
from types import ModuleType
from typing import Any, NamedTuple

from netdiscover.fingerprints import class_model
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
    "netdiscover.fingerprints.banners",
    "netdiscover.fingerprints.dhcp",
]
# Modules that may legitimately be absent (built separately); others must import.
OPTIONAL_SOURCES = frozenset({"netdiscover.fingerprints.iot"})

# Makers that split in two and keep one IANA enterprise number and OUI blocks: the name the
# registries give -> (classes that stayed with it, the other half's name). Hewlett-Packard split
# in November 2015: HP Inc. kept printers and personal systems, Hewlett Packard Enterprise took
# servers, storage, networking (ProCurve, Aruba) and data-centre power.
SPLIT_MAKERS: dict[str, tuple[frozenset[str], str]] = {
    "hp": (frozenset({"printer", "workstation", "mobile", "unknown"}), "HPE"),
}
# os_version is decided after the OS it belongs to
_ORDER = (*(f for f in FIELDS if f != "os_version"), "os_version")
# A known maker's usual product range, used when no rule recognised the product itself.
RANGES = Path(__file__).with_name("vendor_ranges.csv")
RANGE_SOURCE = "vendor-range"
W_RANGE_CLASS = 0.45
W_RANGE_OS = 0.4
RANGE_ONLY_BELOW = 0.7

# Cheap prefilter: a source that only reads certain ``Observation.facts`` keys is skipped for
# devices that have none of them. A module may declare its own ``FACT_KEYS``. ``SERVICES``
# stands for the observations' services (nmap reads their CPEs, ports their ports and banners):
# most devices of a sweep (ARP, SNMP) have none.
SERVICES = "@services"
SOURCE_FACTS: dict[str, tuple[str, ...]] = {
    "netdiscover.fingerprints.iot": ("mdns", "ssdp", "netbios"),
    "netdiscover.fingerprints.nmap": ("nmap", SERVICES),
    "netdiscover.fingerprints.ports": (SERVICES,),
}

_CLASSES = frozenset(DEVICE_CLASSES) - {"unknown"}
_NOT_ALNUM = re.compile(r"[\W_]+")
_BY_WEIGHT = attrgetter("weight")
_FIELDS = frozenset(FIELDS)
_loaded: list[tuple[ModuleType, tuple[str, ...] | None]] | None = None
_field_tables: dict[str, list[tuple[float, float]]] | None = None
# confidence fields and the calibration table that maps them (OS name/version follow the family)
CALIBRATED_SOURCE = "snmp"    # the tables were learned on SNMP-answered devices
CALIBRATED = {"vendor": "vendor", "os_family": "os_family", "os_name": "os_family", "os_version": "os_family"}
# Answers that other evidence contradicted (two registries, or a registry and a rule, naming
# different makers) are right less often than uncontested ones at the same score: they get
# their own table ("vendor~contested") where the training found enough of them.
CONTESTED = "~contested"


# Uncontested answers decided by one kind of evidence (a rule, a registry, Recog, a maker's range)
# are right as often as that kind is, whatever its weight: where the training saw enough of them,
# the kind has its own table ("os_family@snmp:netsnmp-linux"), fitted on those answers alone.
BY_KIND = "@"


def table_name(field: str, contested: bool) -> str:
    """The calibration table's name for ``field`` (a CALIBRATED table) answered with or without dissent."""
    return field + CONTESTED if contested else field


def kind_table(field: str, kind: str) -> str:
    """The name of the calibration table of ``field`` answers decided by evidence of ``kind``."""
    return f"{field}{BY_KIND}{kind}"


def evidence_kind(item: Evidence) -> str:
    """What kind of evidence an item is: its source and its rule without the rule's detail
    (``snmp:netsnmp-linux``, ``snmp:iana-pen``, ``recog:snmp_sysdescr``, ``vendor-range:vendor-range``)."""
    rule = item.rule if isinstance(item.rule, str) else ""
    return f"{item.source}:{rule.split(':', 1)[0]}"


def deciding_kind(fp: Fingerprint, field: str) -> str | None:
    """The kind of the strongest evidence behind ``fp``'s answer for ``field`` (None without one)."""
    value = getattr(fp, field, None)
    if not isinstance(value, str):
        return None
    key = _key(value)
    for item in fp.evidence:      # strongest first
        if item.field == field and item.value.__class__ is str and _key(item.value) == key:
            return evidence_kind(item)
    return None


def field_calibration() -> dict[str, list[tuple[float, float]]]:
    """Per field, combined confidence -> share right on held-out devices (from the shipped model)."""
    global _field_tables
    if _field_tables is None:
        model = class_model.shipped()
        _field_tables = dict(model.fields) if model is not None else {}
    return _field_tables


def set_field_calibration(tables: dict[str, list[tuple[float, float]]] | None) -> None:
    """Replace the vendor/OS calibration tables ({} = raw scores, None = the shipped ones)."""
    global _field_tables
    _field_tables = tables
    _plan.cache_clear()


def sources() -> list[ModuleType]:
    """The source modules, imported once; an optional module that does not exist is skipped."""
    return [module for module, _ in _prepared()]


def _prepared() -> list[tuple[ModuleType, tuple[str, ...] | None]]:
    global _loaded
    if _loaded is None:
        modules = []
        for name in SOURCES:
            try:
                module = importlib.import_module(name)
            except ModuleNotFoundError as exc:
                if exc.name == name and name in OPTIONAL_SOURCES:
                    continue
                raise
            modules.append((module, _fact_keys(module)))
        _loaded = modules
    return _loaded


def reload_sources() -> None:
    """Forget imported sources (after SOURCES changes or a module lands)."""
    global _loaded
    _loaded = None


@lru_cache(maxsize=1)
def _ranges() -> dict[str, tuple[str, str, str, str]]:
    table: dict[str, tuple[str, str, str, str]] = {}
    with RANGES.open(encoding="utf-8") as handle:
        for row in csv.DictReader(line for line in handle if not line.startswith("#")):
            vendor = (row.get("vendor") or "").strip()
            if vendor:
                table[_key(vendor)] = tuple(  # type: ignore[assignment]
                    (row.get(k) or "").strip() for k in ("device_class", "os_family", "os_name", "when"))
    return table


def vendor_range(vendor: str) -> tuple[str, str, str, str] | None:
    """(device class, OS family, OS name, when) of a maker's usual product range, or None."""
    return _ranges().get(_key(vendor)) if isinstance(vendor, str) and vendor else None


def _range_evidence(vendor: str, confidence: float, answered_snmp: bool) -> list[Evidence]:
    """Fallback class/OS for a known maker's unrecognised product (``vendor_ranges.csv``)."""
    found = _ranges().get(_key(vendor))
    if not found:
        return []
    klass, family, name, when = found
    if when == "snmp" and not answered_snmp:
        return []
    rule = f"vendor-range:{vendor}"
    out = []
    if klass in _CLASSES:
        out.append(Evidence(RANGE_SOURCE, rule, "device_class", klass, W_RANGE_CLASS * confidence, vendor))
    if family:
        out.append(Evidence(RANGE_SOURCE, rule, "os_family", family, W_RANGE_OS * confidence, vendor))
        if name:
            out.append(Evidence(RANGE_SOURCE, rule, "os_name", name, W_RANGE_OS * confidence, vendor))
    return out


def _fact_keys(module: ModuleType) -> tuple[str, ...] | None:
    keys = getattr(module, "FACT_KEYS", None)
    return tuple(keys) if keys else SOURCE_FACTS.get(module.__name__)


def gather(observations: Sequence[Observation]) -> list[Evidence]:
    """Every source's evidence; a source that fails on odd input is logged and skipped."""
    found: list[Evidence] = []
    present: set[str] = set()
    for obs in observations:
        if isinstance(obs.facts, dict):
            present.update(obs.facts)
        if obs.services:
            present.add(SERVICES)
    for module, keys in _prepared():
        if keys is not None and present.isdisjoint(keys):
            continue
        try:
            found.extend(module.evidence(observations))
        except Exception:  # one bad source must not lose the others' evidence
            log.warning("fingerprint source %s failed", module.__name__, exc_info=True)
    return found


def combine(observations: Sequence[Observation]) -> Fingerprint:
    """The Fingerprint for one device's observations (pure; never raises on bad data)."""
    return decide(gather(list(observations or ())))


@lru_cache(maxsize=65536)
def split_maker(vendor: str) -> tuple[frozenset[str], str] | None:
    """``SPLIT_MAKERS``'s entry for ``vendor`` (the classes its first half keeps, the other half's
    name), or None for a maker that did not split."""
    return SPLIT_MAKERS.get(_key(vendor))


def _key(value: str) -> str:
    folded = value.casefold()
    return _NOT_ALNUM.sub("", folded) or folded


def _valid(item: Evidence) -> bool:
    weight = item.weight
    if weight.__class__ not in (float, int) or weight <= 0 or weight != weight:
        return False
    value, field = item.value, item.field
    if field not in _FIELDS or value.__class__ is not str or not value or value.isspace():
        return False
    return field != "device_class" or value in _CLASSES


def _weight(item: Evidence) -> float:
    weight = item.weight
    return -weight if weight.__class__ in (float, int) else 0.0


def _score(group: list[Evidence], skip: set[str] | frozenset[str] = frozenset()) -> float:
    """Noisy-or over sources of each source's strongest weight (``group`` sorted strongest first)."""
    miss = 1.0
    seen: set[str] = set()
    for item in group:
        if item.source not in seen and item.source not in skip:
            seen.add(item.source)
            miss *= 1.0 - item.weight
    return 1.0 - miss


class _Plan(NamedTuple):
    """How a given evidence list decides: reused for every device with the same evidence."""

    values: dict[str, Any]
    confidence: tuple[tuple[str, float], ...]
    order: tuple[int | tuple[Any, ...], ...]        # input index, or a derived Evidence's fields
    conflicts: tuple[int | tuple[Any, ...], ...]
    clamp: tuple[int, ...]                          # input indexes whose weight above 1 becomes 1


_SIGNATURE = attrgetter("source", "rule", "field", "value", "weight")


def decide(evidence: Sequence[Evidence]) -> Fingerprint:
    """Weigh evidence per field; the winner per field, its confidence, and the conflicts.

    Devices with the same evidence (same sources, rules, values and weights; the matched text
    may differ) decide the same way, so the decision is memoised on that signature.
    """
    evidence = list(evidence)
    try:
        plan = _plan(tuple(map(_SIGNATURE, evidence)))
    except TypeError:            # unhashable odd values: decide without the memo
        return _decide(evidence)
    for at in plan.clamp:
        evidence[at].weight = 1.0
    return Fingerprint(
        **plan.values, confidence=dict(plan.confidence),
        evidence=[evidence[ref] if ref.__class__ is int else Evidence(*ref) for ref in plan.order],
        conflicts=[evidence[ref] if ref.__class__ is int else Evidence(*ref) for ref in plan.conflicts])


@lru_cache(maxsize=65536)
def _plan(signature: tuple[tuple[Any, ...], ...]) -> _Plan:
    stand_ins = [Evidence(src, rule, field, value, weight) for src, rule, field, value, weight in signature]
    index = {id(item): n for n, item in enumerate(stand_ins)}
    decided = _decide(stand_ins)

    def ref(item: Evidence) -> int | tuple[Any, ...]:
        found = index.get(id(item))
        if found is not None:
            return found
        return (item.source, item.rule, item.field, item.value, item.weight, item.matched)

    order = tuple(ref(item) for item in decided.evidence)
    conflicts = tuple(ref(item) for item in decided.conflicts)
    picked = {n for n in (*order, *conflicts) if n.__class__ is int}
    return _Plan(
        values={f: getattr(decided, f) for f in FIELDS},
        confidence=tuple(decided.confidence.items()),
        order=order,
        conflicts=conflicts,
        clamp=tuple(sorted(n for n in picked if signature[n][4] > 1)),
    )


def _decide(evidence: Sequence[Evidence]) -> Fingerprint:
    items = [item for item in evidence if _valid(item)]
    items.sort(key=_BY_WEIGHT, reverse=True)
    by_field: dict[str, dict[str, list[Evidence]]] = {}
    for item in items:
        if item.weight > 1:
            item.weight = 1.0
        groups = by_field.get(item.field)
        if groups is None:
            groups = by_field[item.field] = {}
        key = _key(item.value)
        group = groups.get(key)
        if group is None:
            groups[key] = [item]
        else:
            group.append(item)
    result = Fingerprint()
    conflicts: list[Evidence] = []
    os_rules: set[tuple[str, str]] = set()
    calibrate: set[str] = set()
    contested: set[str] = set()
    kinds: dict[str, str] = {}
    for field in _ORDER:
        groups = by_field.get(field)
        if not groups:
            continue
        if field == "os_version" and os_rules:
            # a version only means something next to the OS it was read for
            tied = {k: [i for i in g if (i.source, i.rule) in os_rules] for k, g in groups.items()}
            tied = {k: g for k, g in tied.items() if g}
            groups = tied or groups
        best_key, best_score, best_first = "", -1.0, -1.0
        for key, group in groups.items():
            score = _score(group)
            if score > best_score or (score == best_score and group[0].weight > best_first):
                best_key, best_score, best_first = key, score, group[0].weight
        winners = groups[best_key]
        # a source that also backs the winner is refining its own guess, not disagreeing
        backers = {item.source for item in winners}
        runner_up = 0.0
        for key, group in groups.items():
            if key != best_key:
                runner_up = max(runner_up, _score(group, backers))
                conflicts.extend(group)
                contested.add(field)
        setattr(result, field, winners[0].value)
        result.confidence[field] = round(max(0.0, min(1.0, best_score - 0.5 * runner_up)), 3)
        if any(item.source == CALIBRATED_SOURCE for item in winners):
            calibrate.add(field)
        kinds[field] = evidence_kind(winners[0])
        if field in ("os_family", "os_name"):
            os_rules.update((item.source, item.rule) for item in winners)
        if field == "vendor":
            answered_snmp = any(item.source == "snmp" for item in items)
            for item in _range_evidence(winners[0].value, result.confidence["vendor"], answered_snmp):
                known = by_field.setdefault(item.field, {})
                # only a fallback: a product rule that already spoke for this field wins alone
                if max((g[0].weight for g in known.values()), default=0.0) < RANGE_ONLY_BELOW:
                    known.setdefault(_key(item.value), []).append(item)
                    items.append(item)
    if "device_class" not in result.confidence:
        result.device_class = "unknown"
        result.confidence["device_class"] = 0.0
    split = split_maker(result.vendor) if result.vendor else None
    if split is not None and result.device_class not in split[0]:
        result.vendor = split[1]
    tables = field_calibration()
    answered_snmp = any(item.source == CALIBRATED_SOURCE for item in items)
    for field, base in CALIBRATED.items():
        kind = kinds.get(base)
        own = tables.get(kind_table(base, kind)) if kind and answered_snmp and base not in contested else None
        if own is not None and field in result.confidence:
            calibrate.add(field)      # that kind's answers on SNMP devices were judged, whatever its source
        table = own or tables.get(table_name(base, base in contested)) or tables.get(base)
        if table and field in calibrate:
            result.confidence[field] = round(class_model.interpolate(table, result.confidence[field]), 3)
    items.sort(key=_weight)
    result.evidence = items
    conflicts.sort(key=_weight)
    result.conflicts = conflicts
    return result
