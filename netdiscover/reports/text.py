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


def plain(value: Any, limit: int = 1000) -> str:
    """One line of safe text: ANSI sequences, control and bidi characters removed, bounded."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return when(value)
    text = str(value)[: limit * 4]
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
