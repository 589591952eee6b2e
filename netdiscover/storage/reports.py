"""The bulk reads behind the reports: which assets the unknown-device report lists, who lives on
which subnet, change-log events with the few asset columns a change row shows, missing assets
and discrepancies. Rows are plain where a report reads many (no ORM objects to track).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from types import SimpleNamespace
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session, selectinload

from netdiscover.storage.models import Address, Asset, AssetEvent, Discrepancy, Interface


def unknown_keys(session: Session, statuses: Sequence[str], since: datetime | None,
                 site: str | None) -> list[Any]:
    """``(id, status, first_seen)`` of the assets with these statuses, seen since ``since``, of ``site``."""
    stmt = select(Asset.id, Asset.status, Asset.first_seen).where(Asset.status.in_(list(statuses)))
    if since is not None:
        stmt = stmt.where(Asset.last_seen >= since)
    if site is not None:
        stmt = stmt.where(Asset.site == site)
    return list(session.execute(stmt))


def subnet_occupants(session: Session) -> Iterable[tuple[str, int, str, datetime | None, str]]:
    """``(ip, asset_id, device_class, first_seen, status)`` of every current address of an asset
    that is not ignored."""
    return session.execute(
        select(Address.ip, Asset.id, Asset.device_class, Asset.first_seen, Asset.status)
        .join(Asset, Asset.id == Address.asset_id)
        .where(Address.current.is_(True), Asset.status != "ignored")
    )


def change_events(session: Session, since: datetime, hidden_kinds: Iterable[str], site: str | None,
                  limit: int) -> list[Any]:
    """At most ``limit`` events at or after ``since`` (not of the hidden kinds), newest first."""
    events = AssetEvent.__table__
    stmt = (
        select(events)
        .where(events.c.at >= since, events.c.kind.not_in(list(hidden_kinds)))
        .order_by(events.c.at.desc(), events.c.id.desc())
        .limit(limit)
    )
    if site is not None:
        stmt = stmt.join(Asset, Asset.id == events.c.asset_id).where(Asset.site == site)
    return session.execute(stmt).all()


def change_assets(session: Session, ids: list[int]) -> dict[int, Any]:
    """hostname, status, addresses (ip, current) and interfaces (mac, name) of these assets."""
    out: dict[int, Any] = {}
    for start in range(0, len(ids), 1000):
        chunk = ids[start:start + 1000]
        for row in session.execute(select(Asset.id, Asset.hostname, Asset.status)
                                   .where(Asset.id.in_(chunk))):
            out[row.id] = SimpleNamespace(hostname=row.hostname, status=row.status,
                                          addresses=[], interfaces=[])
        for row in session.execute(select(Address.asset_id, Address.ip, Address.current)
                                   .where(Address.asset_id.in_(chunk))
                                   .order_by(Address.asset_id, Address.id)):
            out[row.asset_id].addresses.append(row)
        for row in session.execute(select(Interface.asset_id, Interface.mac, Interface.name)
                                   .where(Interface.asset_id.in_(chunk))
                                   .order_by(Interface.asset_id, Interface.id)):
            out[row.asset_id].interfaces.append(row)
    return out


def missing_assets(session: Session, statuses: Sequence[str], off_network_states: Sequence[str],
                   cutoff: datetime, site: str | None) -> list[Asset]:
    """Assets with these statuses, not in an off-network lifecycle state, never seen or last seen
    before ``cutoff``; interfaces and addresses loaded."""
    stmt = (
        select(Asset)
        .where(Asset.status.in_(list(statuses)),
               or_(Asset.lifecycle_state.is_(None), Asset.lifecycle_state.not_in(list(off_network_states))),
               or_(Asset.last_seen.is_(None), Asset.last_seen < cutoff))
        .options(selectinload(Asset.interfaces), selectinload(Asset.addresses))
    )
    if site is not None:
        stmt = stmt.where(Asset.site == site)
    return list(session.scalars(stmt))


def discrepancies(session: Session, site: str | None,
                  field: str | None) -> list[tuple[Discrepancy, str | None, str | None, str | None]]:
    """Every discrepancy with its asset's hostname, tag and site, most recently seen first."""
    stmt = (select(Discrepancy, Asset.hostname, Asset.asset_tag, Asset.site)
            .join(Asset, Asset.id == Discrepancy.asset_id)
            .order_by(Discrepancy.last_seen.desc(), Discrepancy.asset_id, Discrepancy.field, Discrepancy.id))
    if site is not None:
        stmt = stmt.where(Asset.site == site)
    if field is not None:
        stmt = stmt.where(Discrepancy.field == field)
    return [tuple(row) for row in session.execute(stmt)]
