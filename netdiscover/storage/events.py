"""The asset change log (asset_events): append an entry, read an asset's log or the log in order."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from netdiscover.observation import clean_text, utcnow
from netdiscover.storage.models import Asset, AssetEvent
from netdiscover.vocabulary import EVENT_KINDS


def record_event(
    session: Session,
    asset_id: int | None,
    kind: str,
    *,
    scan_id: int | None = None,
    actor: str | None = None,
    note: str | None = None,
    old: dict[str, Any] | None = None,
    new: dict[str, Any] | None = None,
    at: datetime | None = None,
) -> AssetEvent:
    """Append one entry to the asset change log (flushed, not committed). Raises ValueError for an
    unknown kind or asset (the table has no foreign key: its writers keep the reference)."""
    if kind not in EVENT_KINDS:
        raise ValueError(f"unknown event kind {kind!r}")
    if asset_id is not None and session.get(Asset, asset_id) is None:
        raise ValueError(f"no asset {asset_id}")
    event = AssetEvent(
        asset_id=asset_id, scan_id=scan_id, kind=kind, at=at or utcnow(),
        actor=clean_text(actor, 128), note=clean_text(note, 4096), old=old, new=new,
    )
    session.add(event)
    session.flush()
    return event


def events_for(session: Session, asset_id: int, kinds: Iterable[str] | None = None,
               latest: int | None = None) -> list[Any]:
    """An asset's change log, oldest first, optionally only some kinds or only the ``latest``.

    The ``latest`` entries come as table rows with the same attributes, not ORM objects: the
    ORM's first query configures every mapper, which ``assets show`` would otherwise pay for.
    """
    table = AssetEvent.__table__
    stmt = select(AssetEvent) if latest is None else select(table)
    stmt = stmt.where(table.c.asset_id == asset_id)
    if kinds is not None:
        stmt = stmt.where(table.c.kind.in_(list(kinds)))
    if latest is None:
        return list(session.scalars(stmt.order_by(table.c.id)))
    newest_first = session.execute(stmt.order_by(table.c.id.desc()).limit(max(latest, 0))).all()
    return newest_first[::-1]


def events_after(session: Session, since: datetime | None, after: int | None, limit: int) -> list[AssetEvent]:
    """At most ``limit`` events in id order, at or after ``since`` and with an id above ``after``."""
    stmt = select(AssetEvent).order_by(AssetEvent.id).limit(limit)
    if since is not None:
        stmt = stmt.where(AssetEvent.at >= since)
    if after is not None:
        stmt = stmt.where(AssetEvent.id > after)
    return list(session.scalars(stmt))
