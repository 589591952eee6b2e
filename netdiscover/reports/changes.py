"""The changes report: what appeared, changed or disappeared since a moment, from asset_events."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from netdiscover.reports.columns import Column
from netdiscover.reports.text import plain, when
from netdiscover.storage.models import Asset, AssetEvent

NEW_KINDS = {"discovered", "imported"}
GONE_KINDS = {"disappeared"}
REVIEW_KINDS = {"approved", "ignored", "rogue", "review_undone"}
HIDDEN_KINDS = {"alerted"}
MAX_ROWS = 20000


def category(kind: str) -> str:
    """new, disappeared, review or changed."""
    if kind in NEW_KINDS:
        return "new"
    if kind in GONE_KINDS:
        return "disappeared"
    if kind in REVIEW_KINDS:
        return "review"
    return "changed"


def _flat(value: Any) -> str:
    if isinstance(value, list | tuple | set):
        return ",".join(_flat(v) for v in value)
    if isinstance(value, dict):
        return ",".join(f"{k}:{_flat(v)}" for k, v in value.items())
    return plain(value, 80)


def _brief(value: Any) -> str:
    if not value:
        return ""
    if isinstance(value, dict):
        return ", ".join(f"{k}={_flat(v)}" for k, v in value.items() if v not in (None, "", [], {}))
    return plain(value, 200)


def change_rows(session: Session, since: datetime, site: str | None = None) -> list[dict[str, Any]]:
    """One row per event at or after ``since``, newest first (at most MAX_ROWS)."""
    stmt = (
        select(AssetEvent)
        .where(AssetEvent.at >= since, AssetEvent.kind.not_in(HIDDEN_KINDS))
        .options(selectinload(AssetEvent.asset).selectinload(Asset.addresses))
        .order_by(AssetEvent.at.desc(), AssetEvent.id.desc())
        .limit(MAX_ROWS)
    )
    if site is not None:
        stmt = stmt.join(Asset, Asset.id == AssetEvent.asset_id).where(Asset.site == site)
    rows = []
    for ev in session.scalars(stmt):
        asset = ev.asset
        at = ev.at if ev.at is None or ev.at.tzinfo else ev.at.replace(tzinfo=UTC)
        rows.append({
            "event_id": ev.id,
            "at": at.isoformat() if at else None,
            "category": category(ev.kind),
            "kind": ev.kind,
            "asset_id": ev.asset_id,
            "hostname": asset.hostname if asset else None,
            "ips": [a.ip for a in asset.addresses if a.current] if asset else [],
            "status": asset.status if asset else None,
            "old": ev.old,
            "new": ev.new,
            "actor": ev.actor,
            "note": ev.note,
            "scan_id": ev.scan_id,
        })
    return rows


def _change_text(row: dict[str, Any]) -> str:
    old, new = _brief(row.get("old")), _brief(row.get("new"))
    if old and new:
        return f"{old} -> {new}"
    return new or old


CHANGES_TABLE = [
    Column("WHEN", lambda r: when(r.get("at")), 16),
    Column("WHAT", lambda r: r.get("category"), 11),
    Column("EVENT", lambda r: r.get("kind"), 18),
    Column("ASSET", lambda r: r.get("asset_id"), 7),
    Column("HOSTNAME", lambda r: r.get("hostname"), 24),
    Column("IP", lambda r: ", ".join(r.get("ips") or []), 18),
    Column("CHANGE", _change_text, 50),
    Column("BY", lambda r: r.get("actor"), 14),
    Column("NOTE", lambda r: r.get("note"), 30),
]

CHANGES_CSV = [
    Column("at", lambda r: r.get("at")),
    Column("category", lambda r: r.get("category")),
    Column("event", lambda r: r.get("kind")),
    Column("asset_id", lambda r: r.get("asset_id")),
    Column("hostname", lambda r: r.get("hostname")),
    Column("ips", lambda r: " ".join(r.get("ips") or [])),
    Column("status", lambda r: r.get("status")),
    Column("change", _change_text),
    Column("actor", lambda r: r.get("actor")),
    Column("note", lambda r: r.get("note")),
]
