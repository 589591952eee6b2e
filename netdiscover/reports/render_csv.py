"""CSV rendering safe to open in a spreadsheet: no cell can start a formula.

A text cell beginning with ``=``, ``+``, ``-``, ``@``, tab or carriage return gets a leading
apostrophe, so spreadsheets show it as text instead of evaluating it. Cells are bounded to what
spreadsheets hold; line breaks inside a cell are left to the csv module's quoting.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from typing import Any

from netdiscover.reports.columns import Column
from netdiscover.reports.text import shorten

FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\n")
MAX_CELL = 32000   # spreadsheets hold at most 32,767 characters per cell


def neutralise(value: Any) -> Any:
    """A CSV-safe cell: numbers unchanged; text bounded, NULs removed, formula starts defused."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int | float):
        return value
    text = shorten(str(value).replace("\x00", ""), MAX_CELL)
    if text.startswith(FORMULA_START) or text.lstrip(" ").startswith(FORMULA_START):
        text = "'" + text
    return text


def render_csv(rows: Sequence[dict[str, Any]], columns: Sequence[Column]) -> str:
    """Header row plus one row per entry, every cell passed through ``neutralise``."""
    out = io.StringIO()
    writer = csv.writer(out, quoting=csv.QUOTE_MINIMAL, lineterminator="\r\n")
    writer.writerow([c.header for c in columns])
    for row in rows:
        writer.writerow([neutralise(c.get(row)) for c in columns])
    return out.getvalue()
