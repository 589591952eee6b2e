"""Importing and exporting inventories: the records an organisation keeps become documented assets.

``import_records`` stores a stream of ``inventory.Record`` (read by ``inventory.Source`` or
``parse_file``) in one write transaction, batch by batch (matching and applying:
``inventory.apply``; rows: ``storage.inventory_writes``). ``export_inventory`` returns every
asset as the rows ``inventory.export_csv``/``export_json`` write and the import reads back.
"""

from __future__ import annotations

import gc
from collections.abc import Callable, Iterable, Iterator
from contextlib import suppress
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from netdiscover.gcpause import gc_paused
from netdiscover.inventory.apply import ImportResult, store_batch
from netdiscover.inventory.export import export_rows
from netdiscover.inventory.mapping import Record
from netdiscover.observation import clean_text, utcnow
from netdiscover.services.reconcile import refresh_statistics_after
from netdiscover.storage.inventory_writes import import_transaction

BATCH = 5000


class _DryRun(Exception):
    """Raised to roll a dry run's transaction back."""


def _batches(records: Iterable[Record], size: int) -> Iterator[list[Record]]:
    """The records in lists of ``size`` (the last may be shorter), read from the stream as needed."""
    pending: list[Record] = []
    for rec in records:
        pending.append(rec)
        if len(pending) >= size:
            yield pending
            pending = []
    if pending:
        yield pending


def import_records(
    sessions: sessionmaker[Session],
    records: Iterable[Record],
    *,
    actor: str | None = None,
    now: datetime | None = None,
    dry_run: bool = False,
    batch_size: int = BATCH,
    after_batch: Callable[[ImportResult], None] | None = None,
    check: Callable[[], None] | None = None,
) -> ImportResult:
    """Store records as documented assets in one transaction (all or nothing).

    ``records`` may be a stream; it is consumed in batches of ``batch_size``. ``check`` runs
    after the last batch, inside the transaction: raising there (a malformed row found late in
    the file, say) rolls everything back. ``dry_run`` computes the same result and rolls back.
    """
    now = now or utcnow()
    actor = clean_text(actor, 128)
    result = ImportResult()
    # A batch allocates hundreds of thousands of small objects, none of them in a reference
    # cycle; automatic collection would walk them all again and again (half the import's time).
    # It is paused and run once per batch instead.
    with gc_paused(), suppress(_DryRun), import_transaction(sessions) as store:
        for pending in _batches(records, batch_size):
            store_batch(store, pending, result, actor, now)
            gc.collect(1)
            if after_batch:
                after_batch(result)
        if check:
            check()
        if dry_run:
            raise _DryRun
    if not dry_run:
        refresh_statistics_after(sessions, result.created)
    return result


def export_inventory(session: Session) -> list[dict[str, Any]]:
    """Every asset as a flat export row (``inventory.export``'s columns plus its attributes)."""
    return export_rows(session)
