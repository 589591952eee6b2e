"""Keeping what sweeps saw where it disagrees with a documented value: one row per
(asset, field, observed value), its count and first/last sighting updated, never duplicated."""

from __future__ import annotations

from datetime import datetime
from typing import Any, NamedTuple

from sqlalchemy import Connection

from netdiscover.observation import clean_text
from netdiscover.reconcile.sources import norm
from netdiscover.storage import bulk
from netdiscover.storage.models import Discrepancy

D = Discrepancy.__table__


class Seen(NamedTuple):
    """One disagreement a sweep found."""

    asset_id: int
    field: str
    documented: Any
    observed: Any
    source: str | None


def record(conn: Connection, found: list[Seen], *, now: datetime, scan_id: int | None) -> int:
    """Store this sweep's disagreements; returns how many rows were new."""
    if not found:
        return 0
    wanted: dict[tuple[int, str, str | None], Seen] = {}
    for item in found:
        wanted.setdefault((item.asset_id, item.field, norm(item.field, item.observed)), item)
    existing = {}
    for r in bulk.select_in(conn, [D.c.id, D.c.asset_id, D.c.field, D.c.observed, D.c.count, D.c.documented],
                            D.c.asset_id, {k[0] for k in wanted}):
        existing[(r.asset_id, r.field, norm(r.field, r.observed))] = r
    inserts, updates = [], []
    for key, item in wanted.items():
        documented = clean_text(item.documented, 255)
        row = existing.get(key)
        if row is None:
            inserts.append({"asset_id": item.asset_id, "field": item.field, "documented": documented,
                            "observed": clean_text(item.observed, 255) or "", "source": item.source,
                            "first_seen": now, "last_seen": now, "count": 1, "last_scan_id": scan_id})
        else:
            updates.append({"id": row.id, "count": (row.count or 0) + 1, "last_seen": now,
                            "source": item.source, "documented": documented, "last_scan_id": scan_id})
    bulk.update_rows(conn, D, updates)
    bulk.insert_rows(conn, D, inserts)
    return len(inserts)
