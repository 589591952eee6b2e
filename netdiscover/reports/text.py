"""Small text helpers shared by the renderers: bounding and cleaning untrusted strings."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

_ANSI = re.compile(r"\x1b(\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]*(\x07|\x1b\\)?|[@-Z\\-_])")
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")


def shorten(text: str, limit: int) -> str:
    """Cut ``text`` to ``limit`` characters, marking the cut with an ellipsis."""
    if len(text) <= limit:
        return text
    return text[: max(limit - 1, 0)] + "…"


# Inside a word too long for its line, a break may follow a dot, slash, comma, colon or hyphen.
_PIECE = re.compile(r"[^./,:-]*[./,:-]*")


def _pieces(word: str, width: int) -> list[str]:
    """A word longer than ``width`` split after name separators, and hard only where it must."""
    out: list[str] = []
    line = ""
    for piece in (p for p in _PIECE.findall(word) if p):
        if len(line + piece) <= width:
            line += piece
            continue
        if line:
            out.append(line)
        line = piece
        while len(line) > width:
            out.append(line[:width])
            line = line[width:]
    if line:
        out.append(line)
    return out


def wrap(text: str, width: int) -> list[str]:
    """``text`` in lines of at most ``width`` characters, broken between words; a word longer
    than a line is broken after a name separator (``.``, ``/``, ``,``, ``:``, ``-``) where it has one."""
    width = max(width, 1)
    lines: list[str] = []
    line = ""
    for word in text.split():
        if len(word) > width:
            if line:
                lines.append(line)
            *full, line = _pieces(word, width)
            lines.extend(full)
        elif not line:
            line = word
        elif len(line) + 1 + len(word) <= width:
            line += " " + word
        else:
            lines.append(line)
            line = word
    if line or not lines:
        lines.append(line)
    return lines


def shorten_words(text: str, limit: int) -> str:
    """Cut ``text`` to at most ``limit`` characters at a word boundary, marking the cut with " …".

    A name (a port, a hostname) is never cut in the middle; only a single word longer than
    ``limit`` is cut.
    """
    if len(text) <= limit:
        return text
    head = text[: max(limit - 2, 0)]
    cut = head.rfind(" ")
    if cut <= 0:
        return shorten(text, limit)
    return head[:cut].rstrip(" ,;") + " …"


def plain(value: Any, limit: int = 1000) -> str:
    """One line of safe text: ANSI sequences, control and bidi characters removed, bounded."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return when(value)
    text = str(value)[: limit * 4]
    # the usual case, already one clean line: every character _ANSI and _CONTROL remove and every
    # space but " " is unprintable, so there is nothing to remove or collapse
    if text.isprintable() and "  " not in text and text[:1] != " " and text[-1:] != " ":
        return shorten(text, limit)
    text = _ANSI.sub("", text)
    text = _CONTROL.sub(" ", text)
    return shorten(" ".join(text.split()), limit)


def when(value: Any) -> str:
    """A timestamp as ``YYYY-MM-DD HH:MM`` UTC (ISO strings accepted)."""
    if value is None or value == "":
        return ""
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            return plain(value, 40)
    return value.strftime("%Y-%m-%d %H:%M")
