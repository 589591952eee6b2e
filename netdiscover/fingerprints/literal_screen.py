"""Literal screens: which of many regexes may match a text, decided without running them.

A regex searched case-insensitively can only match a text that holds one of the literals it
needs (``requirements_of``, read from the parsed pattern). ``Screen`` buckets those literals by
pairs of characters, so a text is tested against the few regexes whose literals it holds; ``fold``
lower-cases a text the way an IGNORECASE regex sees it. Used by the rule sets (``rules``), the
vendor-name table (``vendors``) and Recog's databases (``recog.database``: ``anchors_of``,
``pair_buckets``, ``pairs_of``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache
from typing import Any

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
