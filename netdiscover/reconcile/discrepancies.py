"""Keeping what sweeps saw where it disagrees with a documented value: one row per
(asset, field, observed value), its count and first/last sighting updated, never duplicated.

Planned here; ``storage.sweep_writes`` reads the existing rows and writes the plan."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any, NamedTuple

from netdiscover.observation import clean_text
from netdiscover.reconcile.sources import norm


class Seen(NamedTuple):
    """One disagreement a sweep found."""

    asset_id: int
    field: str
    documented: Any
    observed: Any
    source: str | None


def plan(found: list[Seen], existing: Iterable[Any], *, now: datetime, scan_id: int | None
         ) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The discrepancy rows to insert and to update for this sweep's disagreements ``found``,
    given the ``existing`` rows (id, asset_id, field, observed, count) of their assets."""
    wanted: dict[tuple[int, str, str | None], Seen] = {}
    for item in found:
        wanted.setdefault((item.asset_id, item.field, norm(item.field, item.observed)), item)
    rows = {(r.asset_id, r.field, norm(r.field, r.observed)): r for r in existing}
    inserts, updates = [], []
    for key, item in wanted.items():
        documented = clean_text(item.documented, 255)
        row = rows.get(key)
        if row is None:
            inserts.append({"asset_id": item.asset_id, "field": item.field, "documented": documented,
                            "observed": clean_text(item.observed, 255) or "", "source": item.source,
                            "first_seen": now, "last_seen": now, "count": 1, "last_scan_id": scan_id})
        else:
            updates.append({"id": row.id, "count": (row.count or 0) + 1, "last_seen": now,
                            "source": item.source, "documented": documented, "last_scan_id": scan_id})
    return inserts, updates
