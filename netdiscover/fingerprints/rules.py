"""Rule files: loading, user overrides, and fast matching of text and OID rules.

Each source keeps its rules in a YAML file beside its module (``<source>_rules.yaml``):

    version: 3
    rules:
      - id: cisco-ios                    # unique; a user rule with the same id replaces it
        oid: [1.3.6.1.4.1.9.1]           # sysObjectID prefixes (any)
        descr: 'Cisco IOS Software'      # regex, searched case-insensitively
        not_descr: 'IOS-XE'              # regex that must NOT match
        set: {vendor: Cisco, os_family: ios, device_class: router}
        extract: {os_version: 'Version ([^ ,]+)'}   # first group of a regex over the text
        weight: 0.85

A rule matches when every condition it states holds. What a condition is checked against is
the source's business (``Subject``); this module only compiles, indexes and tests.

A user rules file (``load_user_rules(path)``, settings key ``fingerprint_rules``) is one YAML
mapping of source name -> list of rules in the same form; its entries override shipped rules
with the same id and add the others.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from netdiscover.fingerprints.literal_screen import Screen, fold
from netdiscover.fingerprints.model import FIELDS

MAX_TEXT = 1024          # rules look at most at this much of any text
DEFAULT_WEIGHT = 0.8
TEXT_CONDITIONS = ("descr", "entity", "hr", "text")
SET_CONDITIONS = ("enterprise", "mib", "service", "port")

_user_rules: dict[str, list[dict[str, Any]]] = {}
_generation = 0
_lock = threading.Lock()


class RuleError(ValueError):
    """A rule file that cannot be used (one-line message naming the rule)."""


@dataclass(slots=True)
class Subject:
    """What rules are tested against: texts by condition name, the OID, sets of values."""

    texts: dict[str, str] = field(default_factory=dict)
    oid: str = ""
    sets: dict[str, frozenset[Any]] = field(default_factory=dict)
    subtrees: tuple[str, ...] = ()       # OIDs a walk returned (enterprise_oids)
    _lower: dict[str, str] = field(default_factory=dict)

    def text(self, name: str) -> str:
        return self.texts.get(name, "")

    def folded(self, name: str) -> str:
        """The text as the literal prefilters see it (``fold``)."""
        found = self._lower.get(name)
        if found is None:
            found = self._lower[name] = fold(self.texts.get(name, ""))
        return found


@dataclass(slots=True)
class Rule:
    """One compiled rule."""

    id: str
    values: dict[str, str]
    weight: float
    oids: tuple[str, ...] = ()
    texts: dict[str, re.Pattern[str]] = field(default_factory=dict)
    negated: dict[str, re.Pattern[str]] = field(default_factory=dict)
    sets: dict[str, frozenset[Any]] = field(default_factory=dict)
    extract: dict[str, tuple[str, re.Pattern[str]]] = field(default_factory=dict)
    subtrees: tuple[str, ...] = ()            # any walked OID under any of these


    def matches(self, subject: Subject) -> dict[str, str] | None:
        """The fields this rule sets on ``subject``, or None when it does not match."""
        if self.oids and not any(_oid_under(subject.oid, p) for p in self.oids):
            return None
        if self.subtrees and not any(
            _oid_under(seen, p) for p in self.subtrees for seen in subject.subtrees
        ):
            return None
        for name, wanted in self.sets.items():
            if not (wanted & subject.sets.get(name, frozenset())):
                return None
        for name, pattern in self.texts.items():
            if not pattern.search(subject.text(name)):
                return None
        for name, pattern in self.negated.items():
            if pattern.search(subject.text(name)):
                return None
        values = dict(self.values)
        for out_field, (where, pattern) in self.extract.items():
            found = pattern.search(subject.text(where))
            if found:
                got = next((g for g in found.groups() if g), None) if found.groups() else found.group(0)
                if got and got.strip():
                    values[out_field] = got.strip()[:128]
        return values


def _oid_under(oid: str, prefix: str) -> bool:
    return oid == prefix or oid.startswith(prefix + ".")


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return list(value) if isinstance(value, list | tuple | set) else [value]


def _compile(raw: Mapping[str, Any], anchor_text: str) -> Rule:
    rid = str(raw.get("id") or "").strip()
    if not rid:
        raise RuleError(f"rule without an id: {dict(raw)!r:.80}")
    try:
        values = {str(k): str(v) for k, v in (raw.get("set") or {}).items() if v is not None}
        for key in values:
            if key not in FIELDS:
                raise RuleError(f"rule {rid}: unknown field {key!r}")
        flags = re.IGNORECASE | re.DOTALL
        texts = {n: re.compile(str(raw[n]), flags) for n in TEXT_CONDITIONS if raw.get(n)}
        negated = {n: re.compile(str(raw[f"not_{n}"]), flags) for n in TEXT_CONDITIONS if raw.get(f"not_{n}")}
        sets = {}
        for name in SET_CONDITIONS:
            if raw.get(name) is not None:
                sets[name] = frozenset(
                    int(v) if name in ("enterprise", "port") else str(v).lower() for v in _as_list(raw[name])
                )
        extract = {}
        for out_field, spec in (raw.get("extract") or {}).items():
            if out_field not in FIELDS:
                raise RuleError(f"rule {rid}: unknown field {out_field!r}")
            where, pattern = (spec.get("from", anchor_text), spec["regex"]) if isinstance(spec, dict) \
                else (anchor_text, spec)
            extract[out_field] = (where, re.compile(str(pattern), flags))
        oids = tuple(str(o).strip(".") for o in _as_list(raw.get("oid")))
        subtrees = tuple(str(o).strip(".") for o in _as_list(raw.get("subtree")))
        weight = float(raw.get("weight", DEFAULT_WEIGHT))
    except re.error as exc:
        raise RuleError(f"rule {rid}: bad regex: {exc}") from None
    except (TypeError, ValueError, KeyError, AttributeError) as exc:
        if isinstance(exc, RuleError):
            raise
        raise RuleError(f"rule {rid}: {exc}") from None
    if not 0 < weight <= 1:
        raise RuleError(f"rule {rid}: weight must be in (0, 1]")
    return Rule(rid, values, weight, oids, texts, negated, sets, extract, subtrees)


class RuleSet:
    """Compiled rules of one source, indexed for speed.

    Rules with an OID condition are found through a prefix index; the others are screened
    (``Screen``) by the literals their anchor text regex needs, and tried in file order.
    """

    def __init__(self, rules: Iterable[Mapping[str, Any]], anchor_text: str = "descr") -> None:
        self.anchor_text = anchor_text
        self.rules = [_compile(r, anchor_text) for r in rules]
        self.by_oid: dict[str, list[Rule]] = {}
        self.screened: list[Rule] = []
        for rule in self.rules:
            if rule.oids:
                for prefix in rule.oids:
                    self.by_oid.setdefault(prefix, []).append(rule)
            else:
                self.screened.append(rule)
        self.screen = Screen(rule.texts.get(anchor_text) for rule in self.screened)
        # a cheap first look at each screened rule's other conditions: one value set it needs to
        # meet, and whether it needs walked subtrees
        self._gates = [(next(iter(rule.sets.items()), None), bool(rule.subtrees)) for rule in self.screened]

    def match(self, subject: Subject) -> list[tuple[Rule, dict[str, str]]]:
        """Every rule that matches, with the field values it sets."""
        candidates: list[Rule] = []
        if subject.oid and self.by_oid:
            parts = subject.oid.split(".")
            for n in range(min(len(parts), 40), 0, -1):
                candidates.extend(self.by_oid.get(".".join(parts[:n]), ()))
        screened, gates, sets = self.screened, self._gates, subject.sets
        for at in self.screen.candidates(subject.folded(self.anchor_text)):
            needs_set, needs_subtrees = gates[at]
            if needs_set is not None and needs_set[1].isdisjoint(sets.get(needs_set[0], ())):
                continue
            if needs_subtrees and not subject.subtrees:
                continue
            candidates.append(screened[at])
        out = []
        seen: set[str] = set()
        for rule in candidates:
            if rule.id in seen:
                continue
            seen.add(rule.id)
            values = rule.matches(subject)
            if values is not None:
                out.append((rule, values))
        return out


_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)   # libyaml when present: ~10x faster


def load_yaml(handle: Any) -> Any:
    """Parse a rules file (libyaml's safe loader when present)."""
    return yaml.load(handle, Loader=_LOADER)


def read_rules(path: Path | str) -> list[dict[str, Any]]:
    """The raw rule list of a shipped rules file (parsed once per file version)."""
    stat = Path(path).stat()
    return list(_read_rules(str(path), stat.st_mtime_ns, stat.st_size))


@lru_cache(maxsize=16)
def _read_rules(path: str, mtime: int, size: int) -> tuple[dict[str, Any], ...]:
    with open(path, encoding="utf-8") as handle:
        data = load_yaml(handle) or {}
    rules = data.get("rules") if isinstance(data, dict) else data
    if not isinstance(rules, list):
        raise RuleError(f"{path}: expected a list of rules")
    return tuple(rules)


def merged(source: str, shipped: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Shipped rules with the user's rules for ``source`` applied (same id replaces)."""
    user = _user_rules.get(source) or []
    if not user:
        return shipped
    ids = {str(r.get("id")) for r in user}
    return [*user, *(r for r in shipped if str(r.get("id")) not in ids)]


def user_rule_ids(source: str) -> frozenset[str]:
    """Ids of the user's rules for ``source`` (site knowledge, which outranks learned evidence)."""
    return frozenset(str(r.get("id")) for r in _user_rules.get(source) or [])


def load_user_rules(path: Path | str | None) -> int:
    """Load a user rules file (source -> rules); returns how many rules it holds.

    Raises RuleError with a one-line message when the file is unreadable or malformed;
    ``None`` clears user rules.
    """
    global _generation
    if path is None:
        with _lock:
            _user_rules.clear()
            _generation += 1
        return 0
    try:
        with open(path, encoding="utf-8") as handle:
            data = load_yaml(handle) or {}
    except OSError as exc:
        raise RuleError(f"cannot read rules file {path}: {exc.strerror or exc}") from None
    except yaml.YAMLError as exc:
        raise RuleError(f"rules file {path} is not valid YAML: {str(exc).splitlines()[0]}") from None
    if not isinstance(data, dict):
        raise RuleError(f"rules file {path}: expected a mapping of source name to a list of rules")
    loaded: dict[str, list[dict[str, Any]]] = {}
    for source, rules in data.items():
        if not isinstance(rules, list) or not all(isinstance(r, dict) for r in rules):
            raise RuleError(f"rules file {path}: {source!r} must be a list of rules")
        for raw in rules:
            _compile(raw, "descr")   # validate now: a bad user rule is reported at load time
        loaded[str(source)] = rules
    with _lock:
        _user_rules.clear()
        _user_rules.update(loaded)
        _generation += 1
    return sum(len(r) for r in loaded.values())


def generation() -> int:
    """Changes whenever user rules change; sources rebuild their RuleSet when it does."""
    return _generation
