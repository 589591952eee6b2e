"""Reads of assets with their interfaces, addresses and services: list, stream, find, get; and
the review status, the one asset column a reviewer sets.

Functions take an open Session and leave committing to the caller. Bulk readers build
``AssetView``s from plain rows instead of ORM objects (the listing and report fast path).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from datetime import datetime
from typing import Any

import netaddr
from sqlalchemy import func, literal, select
from sqlalchemy.orm import Session, selectinload

from netdiscover.observation import clean_text, normalise_mac, utcnow
from netdiscover.storage.models import Address, Asset, Interface, ObservationRecord, Service, Software
from netdiscover.vocabulary import ASSET_STATUSES


def _with_children(stmt: Any) -> Any:
    return stmt.options(
        selectinload(Asset.interfaces), selectinload(Asset.addresses), selectinload(Asset.services)
    )


def list_assets(
    session: Session,
    status: str | Sequence[str] | None = None,
    *,
    present: bool | None = None,
    site: str | None = None,
    device_class: str | None = None,
    limit: int | None = None,
) -> list[Asset]:
    """Assets ordered by id, filtered by review status (one or several), presence, site, class."""
    stmt = _listing(status, present, site, device_class, limit)
    return list(session.scalars(_with_children(stmt)))


BULK_BATCH = 1000
MAX_NAMED = 10          # assets one id, MAC, IP or hostname may be shown to name


class AssetView:
    """A read-only Asset with its interfaces, addresses and services, built from plain rows.

    Bulk readers (listings and reports over every asset) use it instead of ORM objects: the
    same attribute names, so ``asset_to_dict`` and the reports render it unchanged, at a
    fraction of the cost of loading and tracking 400,000 mapped objects.
    """

    def __init__(self, columns: Iterable[tuple[str, Any]]) -> None:
        self.__dict__.update(columns)
        self.interfaces: list[Any] = []
        self.addresses: list[Any] = []
        self.services: list[Any] = []


def among(session: Session, column: Any, ids: Sequence[int]) -> Any:
    """``column IN ids``; on PostgreSQL ``column = ANY(:array)``, one parameter instead of one per
    id (psycopg parses a 1,000-placeholder statement anew on every batch), sent as one array
    literal (``bulk.pg_array``) rather than a list the driver adapts element by element."""
    from sqlalchemy import bindparam

    if session.get_bind().dialect.name == "postgresql":
        from sqlalchemy import Integer, Text, any_, cast
        from sqlalchemy.dialects.postgresql import ARRAY

        from netdiscover.storage.bulk import pg_array

        literal = bindparam(None, pg_array(list(ids)), type_=Text)
        return column == any_(cast(literal, ARRAY(Integer)))
    # one expanding parameter: the ids are not coerced one by one into a new statement each time
    return column.in_(bindparam(None, list(ids), type_=column.type, expanding=True))


# Asset columns asset_to_dict does not read: a listing leaves them out (fingerprint is the
# largest JSON value of a row; the timestamps each cost a conversion).
NOT_LISTED = frozenset({"fingerprint", "snmp_credential", "created_at", "updated_at",
                        "last_missed_at", "last_missed_scan_id"})


def iter_asset_views(session: Session, ids: Sequence[int], batch: int = BULK_BATCH,
                     listing: bool = False) -> Iterator[AssetView]:
    """The assets with these ids, in this order, with their children, read ``batch`` at a time.

    Children come in id order, as the ORM's selectinload returns them; memory holds one batch.
    ``listing``: only the asset columns ``asset_to_dict`` needs.
    """
    assets, interfaces, addresses, services = (
        Asset.__table__, Interface.__table__, Address.__table__, Service.__table__)
    wanted = [c for c in assets.columns if not (listing and c.name in NOT_LISTED)]
    for start in range(0, len(ids), batch):
        chunk = list(ids[start:start + batch])
        result = session.execute(select(*wanted).where(among(session, assets.c.id, chunk)))
        keys = list(result.keys())
        views = {view.id: view for view in (AssetView(zip(keys, row, strict=True)) for row in result.all())}
        for table, attr in ((interfaces, "interfaces"), (addresses, "addresses"), (services, "services")):
            stmt = (select(table).where(among(session, table.c.asset_id, chunk))
                    .order_by(table.c.asset_id, table.c.id))
            for row in session.execute(stmt).all():
                getattr(views[row.asset_id], attr).append(row)
        for asset_id in chunk:
            view = views.get(asset_id)
            if view is not None:
                yield view


def _listing(
    status: str | Sequence[str] | None,
    present: bool | None,
    site: str | None,
    device_class: str | None,
    limit: int | None,
) -> Any:
    stmt = select(Asset).order_by(Asset.id)
    if status:
        statuses = [status] if isinstance(status, str) else list(status)
        unknown = [s for s in statuses if s not in ASSET_STATUSES]
        if unknown:
            raise ValueError(f"unknown status {unknown[0]!r}; choose from {', '.join(ASSET_STATUSES)}")
        stmt = stmt.where(Asset.status.in_(statuses))
    if present is not None:
        stmt = stmt.where(Asset.present.is_(present))
    if site is not None:
        stmt = stmt.where(Asset.site == site)
    if device_class is not None:
        stmt = stmt.where(Asset.device_class == device_class)
    if limit is not None:
        stmt = stmt.limit(limit)
    return stmt


def iter_assets(
    session: Session,
    status: str | Sequence[str] | None = None,
    *,
    present: bool | None = None,
    site: str | None = None,
    device_class: str | None = None,
    limit: int | None = None,
) -> Iterator[AssetView]:
    """``list_assets`` as a stream of AssetViews: the same assets in the same order, memory bounded."""
    return iter_asset_views(session, listing_ids(session, status, site=site, present=present,
                                                 device_class=device_class, limit=limit), listing=True)


def listing_ids(
    session: Session,
    status: str | Sequence[str] | None = None,
    *,
    present: bool | None = None,
    site: str | None = None,
    device_class: str | None = None,
    limit: int | None = None,
) -> list[int]:
    """The ids of the assets ``list_assets`` lists, in its order."""
    stmt = _listing(status, present, site, device_class, limit).with_only_columns(Asset.id)
    return list(session.scalars(stmt))


def get_asset(session: Session, asset_id: int) -> Asset | None:
    """The asset with this id, children loaded, or None."""
    return session.scalars(_with_children(select(Asset).where(Asset.id == asset_id))).first()


def find_asset(session: Session, key: str | int) -> Asset | None:
    """Find one asset by id, MAC, IP (current holder first, then the latest past one) or hostname."""
    asset_id = find_asset_id(session, key)
    return get_asset(session, asset_id) if asset_id is not None else None


def find_asset_id(session: Session, key: str | int, site: str | None = None) -> int | None:
    """The id of the asset ``find_asset`` finds (of ``site`` when given), or None; read from the
    tables, no ORM object (``assets show`` then reads the asset as a view)."""
    found = find_asset_ids(session, key, site, limit=1)
    return found[0] if found else None


def find_asset_ids(session: Session, key: str | int, site: str | None = None,
                   limit: int = MAX_NAMED) -> list[int]:
    """Every asset ``key`` names (of ``site`` when given), the one ``find_asset`` picks first: an
    id names one asset; a MAC, the assets with that interface, latest seen first; an IP, its
    current holders (two sites may use one private range), or else its latest past holder; a
    hostname, every asset of that name. At most ``limit``."""
    assets, interfaces, addresses = Asset.__table__, Interface.__table__, Address.__table__
    text = str(key).strip()
    if text.isdigit() and len(text) < 12:
        stmt = select(assets.c.id, literal(True)).where(assets.c.id == int(text))
    elif mac := normalise_mac(text):
        stmt = (select(interfaces.c.asset_id, literal(True)).where(interfaces.c.mac == mac)
                .order_by(interfaces.c.last_seen.desc().nulls_last(), interfaces.c.id.desc()))
    elif ip := _as_ip(text):
        stmt = (select(addresses.c.asset_id, addresses.c.current).where(addresses.c.ip == ip)
                .order_by(addresses.c.current.desc(), addresses.c.last_seen.desc().nulls_last(),
                          addresses.c.id.desc()))
    else:
        name = clean_text(text, 255)
        if not name:
            return []
        stmt = (select(assets.c.id, literal(True)).where(func.lower(assets.c.hostname) == name.lower())
                .order_by(assets.c.id))
    if site is not None:
        owner = stmt.selected_columns[0]
        stmt = stmt.where(owner.in_(select(assets.c.id).where(assets.c.site == site)))
    found: list[int] = []
    rows = session.execute(stmt.limit(limit if limit == 1 else limit * 4)).all()
    for asset_id, counts in rows:
        if found and not counts:            # past holders of an IP that has a current one
            break
        if asset_id not in found:
            found.append(asset_id)
            if len(found) == limit or not counts:
                break
    return found


def _as_ip(text: str) -> str | None:
    try:
        return str(netaddr.IPAddress(text, flags=netaddr.INET_PTON))
    except (netaddr.AddrFormatError, ValueError, TypeError):
        return None


def assets_seen_in_scan(session: Session, scan_id: int) -> list[Asset]:
    """The assets that observations of this scan were tied to, ordered by id."""
    ids = select(ObservationRecord.asset_id).where(ObservationRecord.scan_id == scan_id).distinct()
    return list(session.scalars(_with_children(select(Asset).where(Asset.id.in_(ids)).order_by(Asset.id))))


def existing_ids(session: Session, ids: Sequence[int]) -> set[int]:
    """Which of these asset ids exist."""
    return set(session.scalars(select(Asset.id).where(Asset.id.in_(list(ids))))) if ids else set()


def asset_row(session: Session, asset_id: int) -> Asset | None:
    """The asset with this id (its row only, tracked by the session), or None."""
    return session.get(Asset, asset_id)


def set_status(session: Session, asset: Asset, status: str) -> None:
    """Give a tracked asset a new review status (flushed with the session; caller commits)."""
    asset.status = status
    asset.updated_at = utcnow()


def count_by_status(session: Session) -> dict[str, int]:
    """How many assets have each review status (statuses nobody has are left out)."""
    return {status: count for status, count in
            session.execute(select(Asset.status, func.count()).group_by(Asset.status))}


def first_seen_since(session: Session, statuses: Sequence[str], since: datetime) -> list[datetime]:
    """When assets of these statuses first seen at or after ``since`` were first seen."""
    return list(session.scalars(select(Asset.first_seen).where(
        Asset.status.in_(list(statuses)), Asset.first_seen >= since)))


def software_of(session: Session, asset_id: int) -> list[Software]:
    """The software an asset runs, by name."""
    return list(session.scalars(select(Software).where(Software.asset_id == asset_id)
                                .order_by(Software.name, Software.id)))
