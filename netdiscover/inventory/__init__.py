"""Inventory import and export: the records an organisation already keeps become documented assets.

A CSV file (any delimiter, UTF-8 with or without BOM, or a product export in Windows-1252) or a
JSON array of objects is read row by row (reader.py); each column goes to one of our fields or
is kept as an attribute, by a product preset detected from the header (presets.toml), the
user's ``--map``/mapping file, or generic synonyms (mapping.py, names.py). Records are matched
to existing assets by the identity keys reconciliation uses (apply.py) and stored in batches in
one transaction (``services.inventory.import_records``); ``export.py`` writes assets back in a
form this reads unchanged.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from netdiscover.inventory.apply import ImportResult
from netdiscover.inventory.export import (
    EXPORT_COLUMNS,
    export_csv,
    export_json,
    export_rows,
)
from netdiscover.inventory.mapping import Record
from netdiscover.inventory.reader import MAX_FILE_BYTES, InventoryError, Source

__all__ = [
    "EXPORT_COLUMNS", "MAX_FILE_BYTES", "ImportResult", "InventoryError", "Record", "Source", "export_csv",
    "export_json", "export_rows", "parse_csv", "parse_file", "parse_json",
]


def parse_file(
    path: str | Path, fmt: str | None = None, encoding: str = "auto", skip_invalid: bool = False,
    preset: str | None = None, columns: dict[str, str] | None = None,
) -> tuple[list[Record], list[str]]:
    """Parse a whole inventory file (format from ``fmt`` or the file extension) into a list.

    Raises InventoryError when the file cannot be read or (without ``skip_invalid``) when any
    row is malformed; otherwise returns the good records and the skipped rows' errors.
    Large files are better streamed through ``Source`` straight into ``import_records``.
    """
    source = Source(path, fmt=fmt, encoding=encoding, skip_invalid=skip_invalid, preset=preset,
                    columns=columns)
    records = list(source)
    if source.errors and not skip_invalid:
        raise InventoryError(source.errors)
    return records, source.errors


def _parse_text(text: str, suffix: str) -> tuple[list[Record], list[str]]:
    with tempfile.TemporaryDirectory(prefix="netdiscover-inventory-") as tmp:
        path = Path(tmp) / f"inventory{suffix}"
        path.write_text(text, encoding="utf-8")
        source = Source(path, encoding="utf-8", skip_invalid=True)
        return list(source), source.errors


def parse_csv(text: str) -> tuple[list[Record], list[str]]:
    """Records and per-line errors of CSV text with a header row (InventoryError if unusable)."""
    return _parse_text(text, ".csv")


def parse_json(text: str) -> tuple[list[Record], list[str]]:
    """Records and per-entry errors of a JSON array of objects (InventoryError if unusable)."""
    return _parse_text(text, ".json")
