"""Listing, finding and showing assets: filtered, sorted pages with opaque cursors (the API and
pages), the whole listing as a stream (``assets list``) and one asset in detail (``assets show``,
the asset page).

Every asset comes out as ``asset_to_dict`` data, so every front door shows the same fields.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy.orm import Session

from netdiscover.observation import clean_text
from netdiscover.services.errors import NotFound, OperationError
from netdiscover.services.history import asset_events
from netdiscover.services.params import blank, since_param
from netdiscover.storage.assets import (
    BULK_BATCH,
    assets_seen_in_scan,
    find_asset_ids,
    get_asset,
    iter_asset_views,
    iter_assets,
    listing_ids,
    software_of,
)
from netdiscover.storage.assets import find_asset_id as find_asset_id  # the service op, as stored
from netdiscover.storage.repository import asset_to_dict
from netdiscover.vocabulary import ASSET_STATUSES, DEVICE_CLASSES

if TYPE_CHECKING:
    from netdiscover.reports import risk
    from netdiscover.storage.asset_pages import AssetQuery

# The listing, its filters and the report row of the asset page are imported where they are
# used: `assets show`, the command users time most, needs none of them.

MAX_EVENTS = 200
SHOWN_EVENTS = 20


def parse_asset_query(
    status: list[str] | str | None = None,
    device_class: str | None = None,
    vendor: str | None = None,
    site: str | None = None,
    subnet: str | None = None,
    q: str | None = None,
    seen_since: str | None = None,
    sort: str | None = None,
) -> AssetQuery:
    """Check and normalise listing filters as users type them; OperationError names the bad one."""
    import netaddr

    from netdiscover.storage.asset_pages import SORTS, AssetQuery

    raw = [status] if isinstance(status, str) else list(status or [])
    statuses = tuple(dict.fromkeys(s.strip() for part in raw for s in part.split(",") if s.strip()))
    for s in statuses:
        if s not in ASSET_STATUSES:
            raise OperationError(f"status {clean_text(s, 40)!r} is not one of {', '.join(ASSET_STATUSES)}")
    device_class = blank(device_class)
    if device_class is not None and device_class not in DEVICE_CLASSES:
        raise OperationError(f"device_class {clean_text(device_class, 40)!r} is not a known class")
    net = None
    if blank(subnet):
        try:
            net = netaddr.IPNetwork(subnet.strip()).cidr
        except (netaddr.AddrFormatError, ValueError, TypeError):
            raise OperationError(
                f"subnet {clean_text(subnet, 60)!r} is not a CIDR like 10.0.0.0/24") from None
    cutoff = since_param(seen_since, "seen_since")
    sort = blank(sort) or "id"
    if sort not in SORTS:
        raise OperationError(f"sort {clean_text(sort, 40)!r} is not one of {', '.join(SORTS)}")
    text = blank(q)
    if text is not None and len(text) > 200:
        raise OperationError("q is longer than 200 characters")
    return AssetQuery(statuses, device_class, blank(vendor), blank(site), net, text, cutoff, sort)


def asset_page_json(session: Session, query: AssetQuery, limit: int = 100,
                    cursor: str | None = None) -> str:
    """One page of assets as the JSON text of ``{"items", "next_cursor"}``, each item an
    ``assets list --format json`` row, written from plain rows without a dict per asset."""
    from netdiscover.reports.unknown_json import json_array
    from netdiscover.services.paging import page_of_ids

    ids, next_cursor = page_of_ids(session, query, limit, cursor)
    items = "".join(json_array(_asset_texts(session, ids)))
    return f'{{"items": {items}, "next_cursor": {json.dumps(next_cursor)}}}'


def iter_asset_dicts(session: Session, status: str | None = None,
                     site: str | None = None) -> Iterator[dict[str, Any]]:
    """Every asset (of one review status, of one site) by id, as ``asset_to_dict`` data, streamed."""
    return (asset_to_dict(a) for a in iter_assets(session, status=status, site=site))


def iter_asset_json(session: Session, status: str | None = None, site: str | None = None) -> Iterator[str]:
    """``iter_asset_dicts`` as the JSON text of each row (items of ``render_json``'s array, byte
    for byte), written from plain rows without a dict per asset; memory holds two batches (one
    written, the next being read)."""
    from netdiscover.gcpause import gc_paused
    from netdiscover.reports.unknown_json import asset_texts
    from netdiscover.services.read_ahead import read_ahead
    from netdiscover.storage.reports import report_text_batch, served_apart

    ids = listing_ids(session, status=status, site=site)
    chunks = (ids[start:start + BULK_BATCH] for start in range(0, len(ids), BULK_BATCH))
    with gc_paused():            # rows hold no reference cycles (see netdiscover.gcpause)
        # the next batch is read while this one is written (when the database is a server)
        batches = read_ahead(lambda chunk: report_text_batch(session, chunk), chunks,
                             on_thread=served_apart(session))
        for batch in batches:
            yield from asset_texts(batch)


def _asset_texts(session: Session, ids: list[int]) -> Iterator[str]:
    """The ``assets list --format json`` row texts of these assets, in this order."""
    # imported here: `assets show` and the web pages never need the writer
    from netdiscover.reports.unknown_json import asset_texts
    from netdiscover.storage.reports import report_text_batch

    return asset_texts(report_text_batch(session, ids))


def assets_of_scan(session: Session, scan_id: int) -> list[dict[str, Any]]:
    """The assets a scan saw, as ``asset_to_dict`` data (what ``scan`` prints when it is done)."""
    return [asset_to_dict(a) for a in assets_seen_in_scan(session, scan_id)]


@dataclass(frozen=True)
class ShownAsset:
    """One asset as ``assets show`` prints it: its data and its latest changes, oldest first."""

    data: dict[str, Any]
    events: list[dict[str, Any]]
    others: tuple[int, ...] = ()       # other assets the same key names (an IP at two sites)


def show_asset(session: Session, key: str, site: str | None = None) -> ShownAsset | None:
    """The asset an id, MAC, IP or hostname names (of ``site`` when given), with its
    SHOWN_EVENTS latest events and the ids of the other assets the key names; or None.

    Read from the tables as a view (no ORM object: the ORM's first query configures every
    mapper, some 20 ms of a command users time)."""
    named = find_asset_ids(session, key, site)
    asset = next(iter_asset_views(session, named[:1]), None) if named else None
    if asset is None:
        return None
    return ShownAsset(asset_to_dict(asset), asset_events(session, named[0], SHOWN_EVENTS), tuple(named[1:]))


def _evidence_strength(item: dict[str, Any]) -> float:
    try:
        return float(item.get("weight") or 0.0)
    except (TypeError, ValueError):
        return 0.0


def asset_detail(session: Session, asset_id: int, index: risk.SubnetIndex | None = None) -> dict[str, Any]:
    """The ``assets show --format json`` fields plus interfaces, IP history, software, evidence
    (strongest first), risks and the latest events (oldest first)."""
    from netdiscover.services.reports import unknown_row

    asset = get_asset(session, asset_id)
    if asset is None:
        raise NotFound(f"no asset with id {asset_id}")
    row = unknown_row(session, asset, index)
    row["evidence"] = sorted(row["evidence"], key=_evidence_strength, reverse=True)
    row["software"] = [
        {"name": s.name, "version": s.version, "cpe": s.cpe,
         "first_seen": s.first_seen.isoformat() if s.first_seen else None,
         "last_seen": s.last_seen.isoformat() if s.last_seen else None}
        for s in software_of(session, asset_id)
    ]
    row["events"] = asset_events(session, asset_id, MAX_EVENTS)
    return row
