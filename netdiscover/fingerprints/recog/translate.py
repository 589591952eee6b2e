"""Recog's Ruby (Onigmo) regular expressions rewritten for Python's ``re``.

The two dialects differ in a few places that matter for the fingerprint database:
- ``^``/``$`` always match at line boundaries in Ruby (Python needs ``re.MULTILINE``), and
  Ruby's ``m`` flag, spelled ``REG_MULTILINE``/``REG_DOT_NEWLINE`` by Recog, is Python's ``s``;
- ``\\z`` is Python's ``\\Z``, while Ruby's ``\\Z`` also allows one final newline;
- ``\\h`` is a hex digit, ``(?<name>...)`` a named group, ``[[:alpha:]]`` a POSIX class,
  ``[a[bc]]`` a class union;
- ``(?i)`` in the middle of a pattern applies to the rest of its enclosing group.
``\\d``, ``\\w``, ``\\s`` and ``\\b`` are ASCII in Ruby, hence ``re.ASCII``. Constructs with no
faithful rewrite (class intersection, ``\\K``, Unicode properties) raise ``Untranslatable``.
"""

from __future__ import annotations

import re

from netdiscover.fingerprints.recog.posix import POSIX_CLASSES

FLAG_MAP = {"REG_ICASE": re.IGNORECASE, "IGNORECASE": re.IGNORECASE, "REG_MULTILINE": re.DOTALL,
            "REG_DOT_NEWLINE": re.DOTALL, "REG_LINE_ANY_CRLF": re.DOTALL}
BASE_FLAGS = re.MULTILINE | re.ASCII
_INLINE_FLAGS = {"i": "i", "m": "s", "x": "x"}
_SIMPLE_ESCAPES = {"A": r"\A", "z": r"\Z", "Z": r"(?=\n?\Z)", "h": "[0-9a-fA-F]", "H": "[^0-9a-fA-F]",
                   "e": r"\x1b", "G": r"\A", "R": r"(?:\r\n|[\n\v\f\r])"}
_CLASS_ESCAPES = {"h": "0-9a-fA-F", "e": r"\x1b"}
_UNSUPPORTED = frozenset("KXpPgk")
_FLAG_GROUP = re.compile(r"\(\?([imx]*)(?:-([imx]*))?([:)])")


class Untranslatable(ValueError):
    """The Ruby pattern uses a construct with no faithful Python equivalent."""


def flags(names: str | None) -> int:
    """Python ``re`` flags for a Recog ``flags`` attribute (comma-separated names)."""
    out = BASE_FLAGS
    for name in (names or "").replace("|", ",").split(","):
        name = name.strip()
        if name:
            if name not in FLAG_MAP:
                raise Untranslatable(f"unknown flag {name}")
            out |= FLAG_MAP[name]
    return out


def translate(pattern: str) -> str:
    """The Python spelling of Ruby regex ``pattern``."""
    out: list[str] = []
    # per open group: how many scoped flag groups opened inside it must close with it
    pending = [0]
    i, n = 0, len(pattern)
    while i < n:
        char = pattern[i]
        if char == "\\":
            if i + 1 >= n:
                raise Untranslatable("pattern ends with a backslash")
            nxt = pattern[i + 1]
            if nxt in _SIMPLE_ESCAPES:
                out.append(_SIMPLE_ESCAPES[nxt])
            elif nxt in _UNSUPPORTED:
                raise Untranslatable(f"\\{nxt} is not supported")
            else:
                out.append(pattern[i:i + 2])
            i += 2
        elif char == "[":
            text, i = _char_class(pattern, i)
            out.append(text)
        elif char == "(":
            i = _open_group(pattern, i, out, pending)
        elif char == ")":
            if len(pending) < 2:
                raise Untranslatable("unbalanced parenthesis")
            out.append(")" * (pending.pop() + 1))
            i += 1
        else:
            out.append(char)
            i += 1
    if len(pending) != 1:
        raise Untranslatable("unbalanced parenthesis")
    out.append(")" * pending[0])
    text = "".join(out)
    if "(?P<" in text and re.search(r"(?<!\\)\((?!\?)", text):
        # Ruby: once a group is named, plain parentheses stop capturing; numbering would differ
        raise Untranslatable("named and numbered groups together")
    return text


def _open_group(pattern: str, i: int, out: list[str], pending: list[int]) -> int:
    if pattern.startswith("(?<", i) and not pattern.startswith(("(?<=", "(?<!"), i):
        end = pattern.find(">", i)
        if end < 0:
            raise Untranslatable("unterminated group name")
        out.append(f"(?P<{pattern[i + 3:end]}>")
        pending.append(0)
        return end + 1
    if pattern.startswith("(?'", i):
        end = pattern.find("'", i + 3)
        if end < 0:
            raise Untranslatable("unterminated group name")
        out.append(f"(?P<{pattern[i + 3:end]}>")
        pending.append(0)
        return end + 1
    found = _FLAG_GROUP.match(pattern, i)
    if found and (found.group(1) or found.group(2) is not None):
        on = "".join(_INLINE_FLAGS[f] for f in found.group(1))
        off = "".join(_INLINE_FLAGS[f] for f in found.group(2) or "")
        spec = on + (f"-{off}" if off else "")
        if found.group(3) == ":":
            out.append(f"(?{spec}:")
            pending.append(0)
        else:
            # Ruby: the flags hold to the end of the enclosing group; Python only takes them
            # at the very start, so they open a scoped group that closes with the enclosing one
            out.append(f"(?{spec}:")
            pending[-1] += 1
        return found.end()
    out.append("(")
    pending.append(0)
    return i + 1


def _char_class(pattern: str, i: int) -> tuple[str, int]:
    """Translate the class opening at ``pattern[i]``; return it and the index after it."""
    body, i, negated = _class_body(pattern, i)
    return ("[^" if negated else "[") + body + "]", i


def _class_body(pattern: str, i: int) -> tuple[str, int, bool]:
    n = len(pattern)
    i += 1
    negated = i < n and pattern[i] == "^"
    if negated:
        i += 1
    out: list[str] = []
    first = True
    while i < n:
        char = pattern[i]
        if char == "]" and not first:
            return "".join(out), i + 1, negated
        if char == "\\":
            if i + 1 >= n:
                raise Untranslatable("pattern ends with a backslash")
            nxt = pattern[i + 1]
            if nxt in _CLASS_ESCAPES:
                out.append(_CLASS_ESCAPES[nxt])
            elif nxt in _UNSUPPORTED or nxt == "H":
                raise Untranslatable(f"\\{nxt} in a class is not supported")
            else:
                out.append(pattern[i:i + 2])
            i += 2
        elif char == "[":
            posix = re.match(r"\[:(\^?)(\w+):\]", pattern[i:])
            if posix:
                if posix.group(1) or posix.group(2) not in POSIX_CLASSES:
                    raise Untranslatable(f"POSIX class {posix.group(0)} is not supported")
                out.append(POSIX_CLASSES[posix.group(2)])
                i += posix.end()
            else:
                inner, i, inner_negated = _class_body(pattern, i)
                if inner_negated:
                    raise Untranslatable("negated nested class is not supported")
                out.append(inner)     # a union: [a[bc]] is [abc]
        elif char == "&" and pattern.startswith("&&", i):
            raise Untranslatable("class intersection is not supported")
        elif char in "&~|" or (char == "-" and out and out[-1] == "-"):
            out.append("\\" + char)   # Python reserves doubled &, ~, |, - in classes
            i += 1
        elif char == "]" and first:
            out.append(r"\]")
            i += 1
        else:
            out.append(char)
            i += 1
        first = False
    raise Untranslatable("unterminated character class")


def compile_ruby(pattern: str, flag_names: str | None = None) -> re.Pattern[str]:
    """Compile a Recog pattern with its Recog flags; ``Untranslatable`` or ``re.error`` if it cannot."""
    return re.compile(translate(pattern), flags(flag_names))
