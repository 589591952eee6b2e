"""The reports reviewers work from, as rows: unknown devices, recent changes, missing documented
assets and discrepancies (``reports.unknown.summary`` counts the top of the unknown report).

Rows are the plain dicts the renderers (``reports.render_*``) and the API take; the CLI's
``--format json`` and the API print the same ones.
"""

from __future__ import annotations

import json
import threading
from collections import defaultdict
from collections.abc import Callable, Iterator, Sequence
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from netdiscover.durations import MAX_DAYS
from netdiscover.gcpause import gc_paused
from netdiscover.reports import risk
from netdiscover.reports.changes import HIDDEN_KINDS, MAX_ROWS, change_row
from netdiscover.reports.discrepancies import discrepancy_row
from netdiscover.reports.missing import EXPECTED_STATUSES, OFF_NETWORK_STATES, missing_order, missing_row
from netdiscover.reports.unknown import REPORTED_STATUSES, build_row
from netdiscover.reports.unknown_json import row_listings, row_summaries, row_texts
from netdiscover.services.errors import OperationError
from netdiscover.services.paging import page_of_ids
from netdiscover.services.read_ahead import read_ahead
from netdiscover.storage import reports as stored
from netdiscover.storage.asset_pages import AssetQuery
from netdiscover.storage.assets import BULK_BATCH
from netdiscover.storage.subnet_groups import subnet_groups

UNKNOWN_STATUSES = ("undocumented", "rogue")
RECORDS_PER_ASSET = 50
RECENT = timedelta(days=30)
SIGHTINGS_CHUNK = 500


def subnet_index(session: Session) -> risk.SubnetIndex:
    """Who lives on which subnet (for the subnet risk hints): one pass over current addresses in
    SQL, grouped there by subnet, class and status."""
    return risk.SubnetIndex.from_groups(subnet_groups(session))


def records_by_asset(session: Session, assets: Sequence[Any]) -> dict[int, list[Any]]:
    """Recent neighbour/location sightings and SNMP answers per asset (the 'how found' evidence).

    Rows carry ``kind`` and ``data``; at most RECORDS_PER_ASSET per asset, newest first, from the
    RECENT days before each chunk's oldest last sighting.
    """
    out: dict[int, list[Any]] = defaultdict(list)
    for start in range(0, len(assets), SIGHTINGS_CHUNK):
        chunk = assets[start : start + SIGHTINGS_CHUNK]
        # last_seen as unknown_keys gives it (SQLite's text sorts as the times do), or datetimes
        seen = [a.last_seen for a in chunk if a.last_seen]
        since = stored.stored_moment(min(seen)) - RECENT if seen else None
        for rec in stored.report_sightings(session, [a.id for a in chunk], since):
            bucket = out[rec.asset_id]
            if len(bucket) < RECORDS_PER_ASSET:
                bucket.append(rec)
    return out


def unknown_row(session: Session, asset: Any, index: risk.Index | None) -> dict[str, Any]:
    """The unknown-device report row of one asset (children loaded), whatever its status."""
    return build_row(asset, records_by_asset(session, [asset]).get(asset.id, []), index)


def unknown_rows(session: Session, since: datetime | None = None,
                 site: str | None = None) -> list[dict[str, Any]]:
    """Undocumented and rogue assets (rogue first, then newest first); ignored ones never appear.

    ``since``: only devices seen at or after this moment; ``site``: only this site.
    """
    return list(iter_unknown_rows(session, since=since, site=site))


def iter_unknown_rows(session: Session, since: datetime | None = None,
                      site: str | None = None) -> Iterator[dict[str, Any]]:
    """``unknown_rows`` one row at a time: assets are read in batches as plain rows, not ORM objects."""
    return _unknown_batches(session, since, site, decoded_rows)


def decoded_rows(batch: Any, records: dict[int, list[Any]], index: risk.Index | None) -> list[dict[str, Any]]:
    """The report rows of one ``report_text_batch`` as data: written as the report's JSON
    (``row_texts``, byte for byte ``build_row``'s) and decoded, which is cheaper than loading the
    assets with their children and building the rows as objects."""
    return [json.loads(text) for text in row_texts(batch, records, index)]


BatchWriter = Callable[[Any, dict[int, list[Any]], risk.Index | None], Iterator[Any]]


def _unknown_batches(session: Session, since: datetime | None, site: str | None,
                     write: BatchWriter) -> Iterator[Any]:
    """``write(batch, records, index)`` over the unknown report's assets, read a batch at a time as
    plain rows (``storage.reports.report_text_batch``), in the report's order; the next batch
    is read (``read_ahead``) while this one is written when the database is a server."""
    keys = stored.unknown_keys(session, REPORTED_STATUSES, since, site)
    in_use = threading.Lock()        # the reads and the subnet index take turns on the session

    def read(chunk: list[Any]) -> tuple[Any, dict[int, list[Any]]]:
        with in_use:
            return stored.report_text_batch(session, [k.id for k in chunk]), records_by_asset(session, chunk)

    def read_index() -> risk.SubnetIndex:
        with in_use:
            return subnet_index(session)

    index = risk.LazySubnetIndex(read_index)
    # batches are a multiple of records_by_asset's chunk, so its chunks stay those of the whole list
    chunks = (keys[start:start + BULK_BATCH] for start in range(0, len(keys), BULK_BATCH))
    # rows hold no reference cycles: with the collector paused, it does not walk every object
    # of the process again and again while 100,000 rows are written
    with gc_paused():
        for batch, records in read_ahead(read, chunks, on_thread=stored.served_apart(session)):
            yield from write(batch, records, index)


def iter_unknown_json_rows(session: Session, since: datetime | None = None,
                           site: str | None = None) -> Iterator[str]:
    """The report rows of ``unknown_rows`` as JSON texts (items of ``render_json``'s array, byte for
    byte), written from plain rows (``reports.unknown_json``) without a dict per row; memory holds
    two batches (one written, the next being read). ``reports.unknown_json.json_array`` makes the
    array."""
    return _unknown_batches(session, since, site, row_texts)


def iter_unknown_summaries(session: Session, since: datetime | None = None,
                           site: str | None = None) -> Iterator[dict[str, Any]]:
    """``status``, ``device_class`` and ``risks`` of each row of ``unknown_rows`` (what
    ``reports.unknown.summary`` counts), without building the rows."""
    return _unknown_batches(session, since, site, row_summaries)


def unknown_page(session: Session, query: AssetQuery, limit: int, cursor: str | None,
                 risk_code: str | None, index: risk.Index | None) -> dict[str, Any]:
    """A page of the unknown-device list (the listed fields of report rows, ``row_listings``) in
    the query's order, optionally only rows with risk hint ``risk_code``: ``{"items",
    "next_cursor"}``. Statuses other than undocumented and rogue are left out of the query."""
    statuses = tuple(s for s in query.statuses if s in UNKNOWN_STATUSES) or UNKNOWN_STATUSES
    query = replace(query, statuses=statuses)
    rows: list[dict[str, Any]] = []
    next_cursor = cursor
    for _ in range(20):                       # a risk filter may need several batches; bounded
        ids, next_cursor = page_of_ids(session, query, limit, next_cursor)
        for row in _rows_of_ids(session, ids, index):
            if risk_code is None or any(h.get("code") == risk_code for h in row["risks"]):
                rows.append(row)
        if risk_code is None or len(rows) >= limit or next_cursor is None:
            break
    return {"items": rows, "next_cursor": next_cursor}


def _rows_of_ids(session: Session, ids: list[int], index: risk.Index | None) -> list[dict[str, Any]]:
    """The listed fields of the report rows of these assets (``row_listings``), in this order."""
    if not ids:
        return []
    batch = stored.report_text_batch(session, ids)
    return list(row_listings(batch, records_by_asset(session, stored.report_keys(batch[0])), index))


def change_rows(session: Session, since: datetime, site: str | None = None) -> list[dict[str, Any]]:
    """One row per event at or after ``since``, newest first (at most MAX_ROWS).

    Events and the few asset columns a row shows are read as plain rows, in bulk.
    """
    found = stored.change_events(session, since, HIDDEN_KINDS, site, MAX_ROWS)
    assets = stored.change_assets(session, sorted({ev.asset_id for ev in found if ev.asset_id is not None}))
    return [change_row(ev, assets.get(ev.asset_id)) for ev in found]


def missing_rows(session: Session, days: int, site: str | None = None,
                 now: datetime | None = None) -> list[dict[str, Any]]:
    """Expected assets last seen more than ``days`` days ago (never-seen first, then longest gone)."""
    if not 0 <= days <= MAX_DAYS:
        raise OperationError(f"days must be between 0 and {MAX_DAYS}")
    now = now or datetime.now(UTC)
    found = stored.missing_assets(session, EXPECTED_STATUSES, OFF_NETWORK_STATES,
                                  now - timedelta(days=days), site)
    return sorted((missing_row(a, now) for a in found), key=missing_order)


def discrepancy_rows(session: Session, site: str | None = None,
                     field: str | None = None) -> list[dict[str, Any]]:
    """Every discrepancy, most recently seen first, with the asset's name and tag."""
    return [discrepancy_row(*found) for found in stored.discrepancies(session, site, field)]
