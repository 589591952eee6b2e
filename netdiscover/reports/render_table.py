"""Plain-text table for terminals: every cell one line, bounded, ANSI and control characters removed."""

from __future__ import annotations

import shutil
from collections.abc import Sequence
from typing import Any

from netdiscover.reports.columns import Column
from netdiscover.reports.text import plain, shorten


def render_table(rows: Sequence[dict[str, Any]], columns: Sequence[Column], width: int | None = None,
                 empty: str = "nothing to report") -> str:
    """Rows as aligned columns; columns that do not fit ``width`` (the terminal) are dropped."""
    if not rows:
        return empty + "\n"
    width = width or max(shutil.get_terminal_size((160, 24)).columns, 80)
    cells = [[plain(col.get(row), col.width) for col in columns] for row in rows]
    widths = [max(len(col.header), *(len(c[i]) for c in cells)) for i, col in enumerate(columns)]
    keep, used = [], 0
    for i, w in enumerate(widths):
        if keep and used + w > width:
            break
        keep.append(i)
        used += w + 2
    lines = ["  ".join(columns[i].header.ljust(widths[i]) for i in keep).rstrip()]
    for c in cells:
        lines.append("  ".join(shorten(c[i], widths[i]).ljust(widths[i]) for i in keep).rstrip())
    hidden = len(columns) - len(keep)
    if hidden:
        lines.append(f"({hidden} more column(s) hidden at this width; use --format json, csv or html)")
    return "\n".join(lines) + "\n"
