"""An inventory file uploaded over the web, parsed and imported like ``inventory import``."""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from netdiscover.inventory.apply import ImportResult
from netdiscover.observation import clean_text
from netdiscover.services.errors import OperationError

MAX_UPLOAD = 50 * 1024 * 1024


@dataclass
class ImportOutcome:
    """What an inventory upload did (or, with dry_run, would do): the import's counts, the rows
    the reader skipped."""

    result: ImportResult
    skipped: list[str]
    dry_run: bool

    def to_dict(self) -> dict[str, Any]:
        """Plain data for the API."""
        r = self.result
        return {"records": r.records, "created": r.created, "updated": r.updated,
                "unchanged": r.unchanged, "skipped": self.skipped, "dry_run": self.dry_run}


def import_inventory(sessions: sessionmaker[Session], data: bytes, filename: str, *, fmt: str | None,
                     skip_invalid: bool, encoding: str, dry_run: bool, actor: str) -> ImportOutcome:
    """Parse and import an uploaded inventory file like ``inventory import``; dry_run rolls it back."""
    from netdiscover.inventory import InventoryError, parse_file
    from netdiscover.services.inventory import import_records

    if len(data) > MAX_UPLOAD:
        raise OperationError(f"file is larger than {MAX_UPLOAD} bytes")
    if fmt not in (None, "csv", "json"):
        raise OperationError("format must be csv or json")
    suffix = ".json" if (fmt == "json" or (fmt is None and filename.lower().endswith(".json"))) else ".csv"
    with tempfile.TemporaryDirectory(prefix="netdiscover-upload-") as tmp:
        path = Path(tmp) / f"upload{suffix}"
        path.write_bytes(data)
        try:
            records, errors = parse_file(path, fmt=fmt, encoding=encoding, skip_invalid=skip_invalid)
        except InventoryError as exc:
            raise OperationError("; ".join(exc.errors[:5])) from None
        except LookupError:
            raise OperationError(f"unknown encoding {clean_text(encoding, 40)!r}") from None
    result = import_records(sessions, records, actor=actor, dry_run=dry_run)
    return ImportOutcome(result, errors, dry_run)
