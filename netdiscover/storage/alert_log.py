"""The asset events alerting reads: what a scan discovered or saw come back, a rogue's latest
return and flag, and the log of alert deliveries (events of kind ``alerted``)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from netdiscover.storage.models import AssetEvent


def assets_with_event(session: Session, scan_id: int, kind: str) -> list[int | None]:
    """Asset ids of the events of ``kind`` recorded by scan ``scan_id``."""
    return list(session.scalars(select(AssetEvent.asset_id).where(
        AssetEvent.scan_id == scan_id, AssetEvent.kind == kind)))


def latest_event_ids(session: Session, asset_id: int, kinds: Iterable[str]) -> dict[str, int]:
    """Per event kind (of ``kinds``): the id of the asset's newest event of that kind."""
    return dict(session.execute(
        select(AssetEvent.kind, func.max(AssetEvent.id))
        .where(AssetEvent.asset_id == asset_id, AssetEvent.kind.in_(tuple(kinds)))
        .group_by(AssetEvent.kind)).all())


def events_of_kind(session: Session,
                   kind: str) -> list[tuple[int | None, dict[str, Any] | None, datetime | None, int | None]]:
    """(asset id, new value, time, scan id) of every event of ``kind``, oldest first."""
    rows = session.execute(select(AssetEvent.asset_id, AssetEvent.new, AssetEvent.at, AssetEvent.scan_id)
                           .where(AssetEvent.kind == kind).order_by(AssetEvent.id))
    return [tuple(row) for row in rows]
