"""Plain-text table for terminals: bounded cells, ANSI and control characters removed.

On a terminal the table fits the width: low-priority columns (the rightmost ones not marked
``key``) are dropped first, then key columns shrink towards their ``min_width`` and their text
wraps onto more lines instead of being cut. ``full=True`` (output to a pipe or a file) keeps
every column and every character, one line per row.
"""

from __future__ import annotations

import shutil
from collections.abc import Sequence
from typing import Any

from netdiscover.reports.columns import Column
from netdiscover.reports.text import plain, shorten, shorten_words, wrap

# A wrapping cell shows at most this many lines; the rest is cut at a word boundary.
MAX_WRAP_LINES = 6
# Piped tables keep every real value whole (a DNS name is at most 253 characters, a sysDescr 255);
# only hostile, oversized values are cut, so no line grows without bound.
FULL_LIMIT = 256


def terminal_width() -> int:
    """The terminal's width (COLUMNS wins), never below 80."""
    return max(shutil.get_terminal_size((160, 24)).columns, 80)


def _cell(col: Column, row: dict[str, Any], full: bool) -> str:
    if full:
        return plain(col.get(row), FULL_LIMIT)
    if col.wrap:
        return shorten_words(plain(col.get(row), col.width * MAX_WRAP_LINES * 2), col.width * MAX_WRAP_LINES)
    return plain(col.get(row), col.width)


def _fit(columns: Sequence[Column], widths: list[int], width: int) -> list[int]:
    """Indexes of the columns to show; shrinks ``widths`` of key columns in place when needed."""
    keep = list(range(len(columns)))

    def total() -> int:
        return sum(widths[i] for i in keep) + 2 * (len(keep) - 1)

    while total() > width:
        droppable = [i for i in keep[1:] if not columns[i].key]
        if droppable:
            keep.remove(droppable[-1])
            continue
        shrinkable = [i for i in keep if widths[i] > max(columns[i].min_width, len(columns[i].header))]
        if not shrinkable:
            break
        widest = max(shrinkable, key=lambda i: widths[i])
        widths[widest] -= 1
    return keep


def _lines(text: str, width: int) -> list[str]:
    return [text] if len(text) <= width else wrap(text, width)


def render_table(rows: Sequence[dict[str, Any]], columns: Sequence[Column], width: int | None = None,
                 empty: str = "nothing to report", full: bool = False,
                 more: str = "use --format json, csv or html") -> str:
    """Rows as aligned columns fitting ``width`` (default: the terminal's), or every column when ``full``.

    ``columns`` may carry a ``prepare`` step (see ``columns.TableColumns``) that turns the rows
    into table rows first, e.g. grouping many similar events into one line.
    """
    prepare = getattr(columns, "prepare", None)
    if prepare is not None:
        rows = prepare(rows)
    if not rows:
        return empty + "\n"
    cells = [[_cell(col, row, full) for col in columns] for row in rows]
    widths = [max(len(col.header), *(len(c[i]) for c in cells)) for i, col in enumerate(columns)]
    if full:
        keep = list(range(len(columns)))
    else:
        width = width or terminal_width()
        widths = [min(w, col.width) if col.wrap else w for w, col in zip(widths, columns, strict=True)]
        keep = _fit(columns, widths, width)
    lines = ["  ".join(columns[i].header.ljust(widths[i]) for i in keep).rstrip()]
    for c in cells:
        parts = [[c[i]] if full else _lines(c[i], widths[i]) for i in keep]
        for n in range(max(len(p) for p in parts)):
            line = "  ".join((p[n] if n < len(p) else "").ljust(widths[i]) for p, i in zip(parts, keep,
                                                                                          strict=True))
            lines.append(line.rstrip())
    hidden = len(columns) - len(keep)
    if hidden:
        note = f"({hidden} more column(s) hidden at this width; {more})"
        lines.append(shorten(note, width) if width else note)
    return "\n".join(lines) + "\n"
