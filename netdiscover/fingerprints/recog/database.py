"""Recog fingerprint databases: XML read on first use, patterns compiled, first match wins.

Each vendored file (``data/*.xml``) is one database, keyed by its file stem and by its
``matches`` attribute (``http_header.server``, ``ssh.banner``...). A fingerprint's ``<param>``
with ``pos="0"`` is a constant (``{name}`` placeholders filled from the other params), with
``pos="N"`` capture group N.

Some Recog patterns backtrack badly (``^\\s*(?:\\S)*\\s*::`` on a page of blank lines is cubic), and
Python's ``re`` has no timeout, so the input is bounded before matching: cut to ``MAX_INPUT``
characters, whitespace runs cut to ``MAX_SPACE_RUN`` and runs of one character to
``MAX_CHAR_RUN``. No fingerprint needs longer runs (every example still matches, see the
tests), and hostile strings then cost milliseconds. A fingerprint whose pattern requires a
literal (``literal_screen.anchors_of``) is tried only when the text contains it; results are memoised
per (database, text).
"""

from __future__ import annotations

import base64
import binascii
import logging
import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from defusedxml import ElementTree as SafeET

from netdiscover.fingerprints.literal_screen import anchors_of, pair_buckets, pairs_of
from netdiscover.fingerprints.recog.translate import Untranslatable, compile_ruby

log = logging.getLogger(__name__)

DATA = Path(__file__).with_name("data")
MAX_INPUT = 2048
MAX_SPACE_RUN = 32
MAX_CHAR_RUN = 64
_LONG_RUN = re.compile(rf"(\s{{{MAX_SPACE_RUN}}})\s+|((.)\3{{{MAX_CHAR_RUN - 1}}})\3+", re.DOTALL)
_PLACEHOLDER = re.compile(r"\{([^\s{}]+)\}")
_EXAMPLE_META = frozenset({"_encoding", "_filename"})


@dataclass(slots=True)
class Example:
    """One labelled sample of a fingerprint: its text and the params it must yield."""

    text: str
    expected: dict[str, str]


@dataclass(slots=True)
class RecogFingerprint:
    """One ``<fingerprint>``: compiled pattern, its params, its examples."""

    description: str
    pattern: str
    regex: re.Pattern[str] | None
    constants: tuple[tuple[str, str], ...]
    captures: tuple[tuple[str, int], ...]
    examples: list[Example] = field(default_factory=list)
    error: str | None = None        # why the pattern could not be compiled
    # lower-cased literals one of which any match contains (a cheap test before the regex)
    anchors: tuple[str, ...] | None = None

    def match(self, text: str) -> dict[str, str] | None:
        """The params this fingerprint yields for ``text`` (already bounded), or None."""
        if self.regex is None:
            return None
        found = self.regex.search(text)
        if found is None:
            return None
        return self.params(found)

    def params(self, found: re.Match[str]) -> dict[str, str]:
        result: dict[str, str] = {}
        for name, pos in self.captures:
            try:
                value = found.group(pos)
            except IndexError:
                continue
            if value is not None:
                result[name] = value
        templated = []
        for name, value in self.constants:
            if "{" in value:
                templated.append((name, value))
            else:
                result[name] = value
        for name, value in templated:
            filled = _fill(value, result)
            if filled is not None:
                result[name] = filled
        return result


def _fill(value: str, params: dict[str, str]) -> str | None:
    missing = False

    def sub(found: re.Match[str]) -> str:
        nonlocal missing
        got = params.get(found.group(1))
        if got is None:
            missing = True
            return ""
        return got

    filled = _PLACEHOLDER.sub(sub, value)
    return None if missing else filled


@dataclass(slots=True)
class Database:
    """One vendored file's fingerprints, in file order."""

    name: str
    matches: str
    fingerprints: list[RecogFingerprint]
    # anchors bucketed by a pair of characters they hold (literal_screen.pair_buckets) -> (anchor,
    # fingerprint index); the fingerprints without an anchor are always tried
    by_pair: dict[str, list[tuple[str, int]]] = field(default_factory=dict)
    always: tuple[int, ...] = ()
    pairs: frozenset[str] = frozenset()
    anchors: tuple[tuple[str, int], ...] = ()     # every (anchor, index): a few are looked for directly

    def __post_init__(self) -> None:
        always, anchors = [], []
        for index, fp in enumerate(self.fingerprints):
            if fp.regex is None:
                continue
            if fp.anchors is None:
                always.append(index)
            else:
                anchors.extend((anchor, index) for anchor in fp.anchors)
        self.always = tuple(always)
        self.anchors = tuple(anchors)
        self.by_pair = pair_buckets(anchors)
        self.pairs = frozenset(self.by_pair)

    def candidates(self, lowered: str) -> list[int]:
        """Indexes of the fingerprints that may match ``lowered`` text, in file order."""
        found = set(self.always)
        if len(self.anchors) < len(lowered):     # fewer anchors than the text has pairs
            found.update(index for anchor, index in self.anchors if anchor in lowered)
            return sorted(found)
        by_pair = self.by_pair
        for pair in pairs_of(lowered) & self.pairs:
            for anchor, index in by_pair[pair]:
                if index not in found and anchor in lowered:
                    found.add(index)
        return sorted(found)

    def match(self, text: Any) -> tuple[RecogFingerprint, dict[str, str]] | None:
        """The first fingerprint matching ``text`` and its params, or None (never raises)."""
        if not isinstance(text, str) or not text:
            return None
        found = _match(self.name, bounded(text))
        return None if found is None else (found[0], dict(found[1]))

    def match_all(self, text: str) -> list[tuple[RecogFingerprint, dict[str, str]]]:
        """Every fingerprint matching ``text`` (for tests and analysis, not memoised)."""
        subject = bounded(text)
        hits = []
        for fp in self.fingerprints:
            params = fp.match(subject)
            if params is not None:
                hits.append((fp, params))
        return hits


def _cut_run(found: re.Match[str]) -> str:
    return found.group(1) or found.group(2)


def bounded(text: str) -> str:
    """``text`` as it is matched: at most MAX_INPUT characters, long runs cut (see module doc)."""
    return _LONG_RUN.sub(_cut_run, text[:MAX_INPUT])


def names() -> list[str]:
    """The stems of the vendored database files."""
    return sorted(p.stem for p in DATA.glob("*.xml"))


@lru_cache(maxsize=64)
def load(name: str) -> Database:
    """The database in ``data/<name>.xml`` (parsed and compiled once)."""
    path = DATA / f"{name}.xml"
    if not path.is_file() or path.parent != DATA:
        raise KeyError(f"no Recog database {name!r}")
    root = SafeET.parse(str(path)).getroot()
    fingerprints = [_fingerprint(elem) for elem in root.iter("fingerprint")]
    broken = [fp for fp in fingerprints if fp.error]
    if broken:
        log.debug("recog %s: %d patterns skipped (%s)", name, len(broken), broken[0].error)
    return Database(name, root.get("matches") or name, fingerprints)


def _fingerprint(elem: Any) -> RecogFingerprint:
    pattern = elem.get("pattern") or ""
    regex, error, anchors = None, None, None
    try:
        regex = compile_ruby(pattern, elem.get("flags"))
        if not regex.flags & re.VERBOSE and "(?x" not in regex.pattern:
            anchors = anchors_of(regex.pattern)
    except (Untranslatable, re.error) as exc:
        error = str(exc)
    constants, captures = [], []
    for param in elem.iter("param"):
        name = param.get("name")
        try:
            pos = int(param.get("pos") or "0")
        except ValueError:
            continue
        if not name:
            continue
        if pos == 0:
            constants.append((name, param.get("value") or ""))
        else:
            captures.append((name, pos))
    description = (elem.findtext("description") or "").strip()
    examples = [_example(e) for e in elem.iter("example")]
    return RecogFingerprint(description, pattern, regex, tuple(constants), tuple(captures),
                            [e for e in examples if e is not None], error, anchors)


def _example(elem: Any) -> Example | None:
    text = elem.text or ""
    if elem.get("_encoding") == "base64":
        try:
            text = base64.b64decode("".join(text.split()), validate=True).decode("utf-8", "replace")
        except (binascii.Error, ValueError):
            return Example(f"\x00undecodable base64: {text[:40]}", {})
    expected = {k: v for k, v in elem.attrib.items() if k not in _EXAMPLE_META}
    return Example(text, expected)


@lru_cache(maxsize=32768)
def _match(name: str, text: str) -> tuple[RecogFingerprint, dict[str, str]] | None:
    db = load(name)
    fingerprints = db.fingerprints
    for index in db.candidates(text.lower()):
        fp = fingerprints[index]
        found = fp.regex.search(text)  # type: ignore[union-attr]
        if found is not None:
            return fp, fp.params(found)
    return None


def match(name: str, text: Any) -> tuple[RecogFingerprint, dict[str, str]] | None:
    """First match of ``text`` in database ``name`` (a file stem), or None; never raises on bad text."""
    return load(name).match(text)
