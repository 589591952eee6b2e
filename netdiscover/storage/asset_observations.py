"""Reads of the observations stored for assets: the recent sightings reports show as 'how found',
and an asset's records from which ``fingerprint explain`` derives its fingerprint again."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from netdiscover.storage.assets import among
from netdiscover.storage.models import SIGHTINGS, ObservationRecord


def recent_sightings(session: Session, asset_ids: Sequence[int], since: datetime | None) -> Iterable[Any]:
    """Neighbour/location sightings and SNMP answers of these assets seen at or after ``since``
    (all when None), newest first, as rows of ``asset_id``, ``kind`` and ``data``."""
    stmt = select(ObservationRecord.asset_id, ObservationRecord.kind, ObservationRecord.data).where(
        among(session, ObservationRecord.asset_id, asset_ids),
        text(f"({SIGHTINGS})"),         # literal, as the partial index has it
    ).order_by(ObservationRecord.id.desc())
    if since is not None:
        stmt = stmt.where(ObservationRecord.seen_at >= since)
    return session.execute(stmt)


def observations_of(session: Session, asset_id: int, limit: int) -> list[ObservationRecord]:
    """The asset's latest ``limit`` stored observations, newest first."""
    return list(session.scalars(
        select(ObservationRecord).where(ObservationRecord.asset_id == asset_id)
        .order_by(ObservationRecord.seen_at.desc()).limit(limit)))
