"""``inventory export``: every asset as rows that ``inventory import`` reads back unchanged.

The ``status`` column carries the review status, so importing an export restores it (an
undocumented device stays undocumented). Attributes become extra columns; one whose name is
also an export column is written as ``attribute:NAME`` so it cannot be read back as a field.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator, Sequence
from typing import Any

from sqlalchemy.orm import Session

from netdiscover.fields import EXPORT_COLUMNS, FIELDS

# Fields whose export column is named differently from the field (macs -> mac): a JSON row
# carries them after the others.
_RENAMED = {f.name: f.column for f in FIELDS if f.export is not None and f.column != f.name}
# What neutralise() puts before a cell a spreadsheet would run as a formula.
FORMULA_GUARD = "'"


def export_rows(session: Session) -> list[dict[str, Any]]:
    """Every asset as a flat row for CSV/JSON export (lists joined by ';' for CSV by the writer)."""
    from netdiscover.storage.assets import iter_assets
    from netdiscover.storage.repository import asset_to_dict

    rows = []
    for asset in iter_assets(session):
        data = asset_to_dict(asset)
        row = {c: data.get(c) for c in EXPORT_COLUMNS if c not in _RENAMED.values()}
        row.update({column: data[name] for name, column in _RENAMED.items()})
        row["attributes"] = data.get("attributes") or {}
        rows.append(row)
    return rows


def attribute_column(name: str) -> str:
    """The CSV column an attribute is written under."""
    return f"attribute:{name}" if name in EXPORT_COLUMNS or name.startswith("attribute:") else name


def export_csv(rows: Sequence[dict[str, Any]]) -> str:
    """CSV with our import's column names plus one column per attribute; cells spreadsheet-safe."""
    return "".join(iter_csv(rows))


def iter_csv(rows: Sequence[dict[str, Any]]) -> Iterator[str]:
    """``export_csv`` line by line."""
    from netdiscover.reports.render_csv import neutralise

    extra = sorted({k for r in rows for k in r.get("attributes") or {}})
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([*EXPORT_COLUMNS, *(attribute_column(k) for k in extra)])
    for r in rows:
        cells = []
        for col in EXPORT_COLUMNS:
            value = r.get(col)
            if isinstance(value, list):
                value = ";".join(str(v) for v in value)
            cells.append(neutralise(value))
        cells += [neutralise((r.get("attributes") or {}).get(k)) for k in extra]
        writer.writerow(cells)
        yield out.getvalue()
        out.seek(0)
        out.truncate()
    if out.tell():
        yield out.getvalue()


def unguard(cell: str) -> str:
    """A cell of our own export without the formula guard neutralise() added."""
    from netdiscover.reports.render_csv import FORMULA_START

    if cell.startswith(FORMULA_GUARD) and cell[1:].lstrip(" ").startswith(FORMULA_START):
        return cell[1:]
    return cell


def export_json(rows: Sequence[dict[str, Any]]) -> str:
    """A JSON array that ``inventory import`` reads back."""
    return json.dumps(list(rows), indent=2, ensure_ascii=False) + "\n"
