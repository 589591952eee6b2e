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

    def lowered(self, name: str) -> str:
        """The text as the literal prefilters see it (``fold``)."""
        found = self._lower.get(name)
        if found is None:
            found = self._lower[name] = fold(self.texts.get(name, ""))
        return found


# Characters that a case-insensitive regex matches to an ASCII letter but str.lower() does not
# fold to it: dotless i and long s (re's own extra cases), and the dotted capital I, which
# lower() turns into two characters.
_FOLD_EXTRA = str.maketrans({"\u0131": "i", "\u017f": "s"})


def fold(text: str) -> str:
    """``text`` lower-cased so that an ASCII literal that an IGNORECASE regex finds in ``text``
    occurs in it: the prefilters' view of a text."""
    if text.isascii():
        return text.lower()
    return text.replace("\u0130", "i").lower().translate(_FOLD_EXTRA)


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


def _literals(tree: Any) -> set[str] | None:
    """Lower-cased literal strings one of which must occur in any match, or None if unknown."""
    from re import _parser  # type: ignore[attr-defined]

    runs: list[str] = []
    current: list[str] = []
    for op, arg in tree:
        if op is _parser.LITERAL:
            current.append(chr(arg))
            continue
        if current:
            runs.append("".join(current))
            current = []
    if current:
        runs.append("".join(current))
    best = max(runs, key=len, default="")
    if len(best.strip()) >= 3:
        return {best.lower()}
    for op, arg in tree:
        if op is _parser.SUBPATTERN:
            found = _literals(arg[-1])
            if found:
                return found
        elif op is _parser.BRANCH:
            alternatives: set[str] = set()
            for branch in arg[1]:
                found = _literals(branch)
                if not found:
                    alternatives = set()
                    break
                alternatives |= found
            if alternatives:
                return alternatives
        elif (op is _parser.MAX_REPEAT or op is _parser.MIN_REPEAT) and arg[0] >= 1:
            found = _literals(arg[2])
            if found:
                return found
    return None


Requirement = tuple[str, bool]        # (lower-cased ASCII literal, only at the start of the text)


def _required(items: Any, anchored: bool, multiline: bool) -> set[Requirement] | None:
    """Literals one of which any match of the parsed sequence ``items`` contains, however short
    (None if none is known). ``anchored``: the sequence begins where the text begins, so a
    literal that opens it is looked for at the start only."""
    from re import _constants as c  # type: ignore[attr-defined]

    best: set[Requirement] | None = None
    best_score = 0

    def consider(found: set[Requirement] | None) -> None:
        nonlocal best, best_score
        if found:
            score = min(len(lit) + (4 if start else 0) for lit, start in found)
            if score > best_score:
                best, best_score = found, score

    at_begin, consumed, run, run_start = anchored, False, [], False
    for op, arg in [*items, (None, None)]:
        if op is c.LITERAL and arg < 128:
            if not run:
                run_start = at_begin and not consumed
            run.append(chr(arg).lower())
            consumed = True
            continue
        if run:
            consider({("".join(run), run_start)})
            run = []
        if op is c.AT and not consumed and (arg is c.AT_BEGINNING_STRING
                                            or (arg is c.AT_BEGINNING and not multiline)):
            at_begin = True
            continue
        here = at_begin and not consumed
        consumed = True
        if op is c.SUBPATTERN:
            inner_multiline = multiline or bool(arg[1] & c.SRE_FLAG_MULTILINE)
            consider(_required(arg[-1], here, inner_multiline))
        elif op is c.BRANCH:
            alternatives: set[Requirement] = set()
            for branch in arg[1]:
                found = _required(branch, here, multiline)
                if not found:
                    alternatives = set()
                    break
                alternatives |= found
            consider(alternatives)
        elif op in (c.MAX_REPEAT, c.MIN_REPEAT) and arg[0] >= 1:
            consider(_required(arg[2], False, multiline))
    return best


def requirements_of(pattern: str, flags: int = 0) -> tuple[Requirement, ...] | None:
    """What a text must contain for ``pattern`` (searched with IGNORECASE) to match it: any one
    of these literals, in ``fold``'s lower case (at the start when so marked); None: no such
    literal is known."""
    try:
        from re import _constants as c  # type: ignore[attr-defined]
        from re import _parser  # type: ignore[attr-defined]

        tree = _parser.parse(pattern, flags)
        found = _required(tree, False, bool(tree.state.flags & c.SRE_FLAG_MULTILINE))
    except Exception:
        return None
    return tuple(sorted(found)) if found else None


def anchors_of(pattern: str) -> tuple[str, ...] | None:
    """Literal anchors for a cheap substring prefilter of ``pattern`` (None: always test)."""
    try:
        from re import _parser  # type: ignore[attr-defined]

        found = _literals(_parser.parse(pattern, 0))
    except Exception:
        return None
    return tuple(sorted(found)) if found else None


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


@lru_cache(maxsize=16)
def pairs_of(text: str) -> frozenset[str]:
    """The pairs of adjacent characters in ``text`` (memoised: several screens look at one text)."""
    return frozenset({text[i:i + 2] for i in range(len(text) - 1)})


def pair_buckets(literals: Iterable[tuple[str, Any]]) -> dict[str, list[tuple[str, Any]]]:
    """(literal, tag) items of two characters or more, bucketed by one pair of characters each
    literal holds (a text without that pair cannot hold the literal): the pair fewest of the
    literals hold, so that the buckets of common pairs ("so", ", ") stay small."""
    items = [(literal, tag) for literal, tag in literals if len(literal) >= 2]
    pairs = [{literal[i:i + 2] for i in range(len(literal) - 1)} for literal, _ in items]
    counts: dict[str, int] = {}
    for held in pairs:
        for pair in held:
            counts[pair] = counts.get(pair, 0) + 1
    buckets: dict[str, list[tuple[str, Any]]] = {}
    for item, held in zip(items, pairs, strict=True):
        buckets.setdefault(min(held, key=lambda pair: (counts[pair], pair)), []).append(item)
    return buckets


class Screen:
    """Which of many regexes (searched with IGNORECASE) may match a text, cheaply: each is tried
    only when the ``fold``-ed text holds one of the literals it needs (``requirements_of``);
    those literals are looked up by the text's first character, by the pairs of characters the
    text holds, or (single characters) directly. A regex with no known need is always tried."""

    def __init__(self, patterns: Iterable[re.Pattern[str] | None]) -> None:
        self.size = 0
        self._always: list[int] = []
        self._start: dict[str, list[tuple[str, int]]] = {}
        self._char: list[tuple[str, int]] = []
        anywhere: list[tuple[str, int]] = []
        for at, pattern in enumerate(patterns):
            self.size += 1
            needs = requirements_of(pattern.pattern, pattern.flags) if pattern is not None else None
            if needs is None:
                self._always.append(at)
            for literal, at_start in needs or ():
                if at_start:
                    self._start.setdefault(literal[0], []).append((literal, at))
                elif len(literal) >= 2:
                    anywhere.append((literal, at))
                else:
                    self._char.append((literal, at))
        self._pair: dict[str, list[tuple[str, int]]] = pair_buckets(anywhere)
        self._pairs = frozenset(self._pair)

    def candidates(self, folded: str) -> list[int]:
        """Positions (ascending) of the regexes that may match the text whose ``fold`` is ``folded``."""
        found = set(self._always)
        if folded:
            pair = self._pair
            for key in pairs_of(folded) & self._pairs:
                for literal, at in pair[key]:
                    if literal in folded:
                        found.add(at)
            for literal, at in self._start.get(folded[0], ()):
                if folded.startswith(literal):
                    found.add(at)
            for literal, at in self._char:
                if literal in folded:
                    found.add(at)
        return sorted(found)


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
        for at in self.screen.candidates(subject.lowered(self.anchor_text)):
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
