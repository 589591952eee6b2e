"""What happened when: the sweeps run (scans) and the asset change log (events), as plain data."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from netdiscover.services.params import check_limit, since_param
from netdiscover.storage.events import events_after, events_for
from netdiscover.storage.models import AssetEvent, Scan
from netdiscover.storage.scans import list_scans


def scan_dict(scan: Scan) -> dict[str, Any]:
    """A scans row as plain data, with its duration in seconds."""
    duration = None
    if scan.finished_at and scan.started_at:
        duration = round((scan.finished_at - scan.started_at).total_seconds(), 3)
    return {"id": scan.id, "sweep_name": scan.sweep_name, "started_by": scan.started_by,
            "targets": list(scan.targets or []), "exclusions": list(scan.exclusions or []),
            "methods": list(scan.methods or []), "status": scan.status,
            "started_at": scan.started_at.isoformat() if scan.started_at else None,
            "finished_at": scan.finished_at.isoformat() if scan.finished_at else None,
            "duration_s": duration, "counts": dict(scan.counts or {}),
            "messages": list(scan.messages or []), "error": scan.error}


def scans(session: Session, limit: int = 50) -> list[dict[str, Any]]:
    """The latest sweeps, newest first."""
    return [scan_dict(s) for s in list_scans(session, limit=check_limit(limit))]


def event_dict(e: AssetEvent) -> dict[str, Any]:
    """An asset_events row as plain data."""
    return {"id": e.id, "asset_id": e.asset_id, "scan_id": e.scan_id, "kind": e.kind,
            "at": e.at.isoformat() if e.at else None, "actor": e.actor, "note": e.note,
            "old": e.old, "new": e.new}


def asset_events(session: Session, asset_id: int, latest: int) -> list[dict[str, Any]]:
    """The latest ``latest`` entries of an asset's change log, oldest first."""
    return [event_dict(e) for e in events_for(session, asset_id, latest=latest)]


def events(session: Session, since: str | None = None, after: int | None = None,
           limit: int = 500) -> dict[str, Any]:
    """Asset events in id order: since a moment and/or after an event id (for polling);
    ``{"items", "next_cursor"}``."""
    fetch = check_limit(limit) + 1
    rows = events_after(session, since_param(since), after, fetch)
    more = len(rows) > limit
    rows = rows[:limit]
    return {"items": [event_dict(e) for e in rows],
            "next_cursor": str(rows[-1].id) if more and rows else None}
