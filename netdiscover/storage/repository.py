"""Queries over the asset database that the CLI, reports, the daemon and (later) an API share.

Functions take an open Session and leave committing to the caller, unless they say otherwise.
``asset_to_dict`` is the one rendering of an asset as plain data: every output format
(JSON, CSV, tables, HTML) starts from it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import datetime
from operator import attrgetter
from typing import Any

import netaddr
from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from netdiscover.fields import ASSET_KEYS, FIELDS
from netdiscover.observation import clean_text, normalise_mac, utcnow
from netdiscover.storage.models import (
    Address,
    Asset,
    AssetEvent,
    Interface,
    ObservationRecord,
    Scan,
    Service,
)
from netdiscover.vocabulary import ASSET_STATUSES, EVENT_KINDS, SCAN_OUTCOMES


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def os_label(asset: Asset) -> str | None:
    """Operating system name and version as one string."""
    parts = [p for p in (asset.os_name, asset.os_version) if p]
    if len(parts) == 2 and parts[1].lower() in parts[0].lower():
        return parts[0]
    return " ".join(parts) or None


def _macs(asset: Asset) -> list[str]:
    return [i.mac for i in sorted(asset.interfaces, key=lambda i: (i.first_seen or utcnow(), i.id or 0))]


def _ips(asset: Asset) -> list[str]:
    current = [a for a in asset.addresses if a.current]
    current.sort(key=lambda a: (a.last_seen or utcnow(), a.id or 0), reverse=True)
    return [a.ip for a in current]


def _services(asset: Asset) -> list[dict[str, Any]]:
    return [
        {"port": s.port, "protocol": s.protocol, "name": s.name, "product": s.product,
         "version": s.version, "cpe": list(s.cpe or [])}
        for s in sorted((s for s in asset.services if s.open), key=lambda s: (s.protocol, s.port))
    ]


def _switch_ports(asset: Asset) -> list[dict[str, Any]]:
    return [{"mac": i.mac, "switch": i.switch, "port": i.switch_port}
            for i in asset.interfaces if i.switch or i.switch_port]


# How a stored field of each kind (netdiscover.fields.KINDS) becomes plain data; "value" is as stored.
_CONVERT: dict[str, Callable[[Any], Any]] = {
    "class": lambda v: v or "unknown",
    "time": _iso,
    "tags": lambda v: sorted(v or []),
    "score": lambda v: round(float(v or 0.0), 3),
    "flag": bool,
    "count": lambda v: int(v or 0),
    "map": lambda v: dict(v or {}),
}
# How each field of kind "derived" or "list" is computed from the whole asset.
_COMPUTE: dict[str, Callable[[Asset], Any]] = {
    "os": os_label, "macs": _macs, "ips": _ips, "services": _services, "switch_ports": _switch_ports,
}
_COMPUTED = tuple((f.name, _COMPUTE[f.name]) for f in FIELDS if f.kind in ("derived", "list"))
_STORED_NAMES = tuple(f.name for f in FIELDS if f.kind not in ("derived", "list"))
_READ_STORED = attrgetter(*_STORED_NAMES)
_CONVERTED = tuple((f.name, _CONVERT[f.kind]) for f in FIELDS if f.kind in _CONVERT)


def asset_to_dict(asset: Asset) -> dict[str, Any]:
    """Plain-data view of an asset (JSON-ready), the shape `assets list/show --format json` print:
    the fields of netdiscover.fields, in its order."""
    data = dict.fromkeys(ASSET_KEYS)          # every key in place first: the order is the table's
    data.update(zip(_STORED_NAMES, _READ_STORED(asset), strict=True))
    for name, convert in _CONVERTED:
        data[name] = convert(data[name])
    for name, compute in _COMPUTED:
        data[name] = compute(asset)
    return data


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
    id (psycopg parses a 1,000-placeholder statement anew on every batch)."""
    if session.get_bind().dialect.name == "postgresql":
        from sqlalchemy import Integer, any_, bindparam
        from sqlalchemy.dialects.postgresql import ARRAY

        return column == any_(bindparam(None, list(ids), type_=ARRAY(Integer)))
    return column.in_(list(ids))


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
    stmt = _listing(status, present, site, device_class, limit).with_only_columns(Asset.id)
    return iter_asset_views(session, list(session.scalars(stmt)), listing=True)


def get_asset(session: Session, asset_id: int) -> Asset | None:
    """The asset with this id, children loaded, or None."""
    return session.scalars(_with_children(select(Asset).where(Asset.id == asset_id))).first()


def find_asset(session: Session, key: str | int) -> Asset | None:
    """Find one asset by id, MAC, IP (current holder first, then the latest past one) or hostname."""
    text = str(key).strip()
    if text.isdigit() and len(text) < 12:
        return get_asset(session, int(text))
    mac = normalise_mac(text)
    if mac:
        asset_id = session.scalars(
            select(Interface.asset_id).where(Interface.mac == mac)
            .order_by(Interface.last_seen.desc().nulls_last(), Interface.id.desc())
        ).first()
        return get_asset(session, asset_id) if asset_id is not None else None
    ip = _as_ip(text)
    if ip:
        asset_id = session.scalars(
            select(Address.asset_id).where(Address.ip == ip)
            .order_by(Address.current.desc(), Address.last_seen.desc().nulls_last(), Address.id.desc())
        ).first()
        return get_asset(session, asset_id) if asset_id is not None else None
    name = clean_text(text, 255)
    if not name:
        return None
    asset_id = session.scalars(
        select(Asset.id).where(func.lower(Asset.hostname) == name.lower()).order_by(Asset.id)
    ).first()
    return get_asset(session, asset_id) if asset_id is not None else None


def _as_ip(text: str) -> str | None:
    try:
        return str(netaddr.IPAddress(text, flags=netaddr.INET_PTON))
    except (netaddr.AddrFormatError, ValueError, TypeError):
        return None


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
    """Append one entry to the asset change log (flushed, not committed)."""
    if kind not in EVENT_KINDS:
        raise ValueError(f"unknown event kind {kind!r}")
    event = AssetEvent(
        asset_id=asset_id, scan_id=scan_id, kind=kind, at=at or utcnow(),
        actor=clean_text(actor, 128), note=clean_text(note, 4096), old=old, new=new,
    )
    session.add(event)
    session.flush()
    return event


def events_for(session: Session, asset_id: int, kinds: Iterable[str] | None = None) -> list[AssetEvent]:
    """An asset's change log, oldest first, optionally only some kinds."""
    stmt = select(AssetEvent).where(AssetEvent.asset_id == asset_id)
    if kinds is not None:
        stmt = stmt.where(AssetEvent.kind.in_(list(kinds)))
    return list(session.scalars(stmt.order_by(AssetEvent.id)))


def start_scan(
    session: Session,
    *,
    targets: Sequence[str],
    methods: Sequence[str],
    exclusions: Sequence[str] | None = None,
    started_by: str | None = None,
    sweep_name: str | None = None,
    started_at: datetime | None = None,
) -> int:
    """Create the scans row of a sweep in status 'running'; returns its id (flushed; caller commits)."""
    scan = Scan(
        targets=[clean_text(t, 255) for t in targets],
        methods=list(methods),
        exclusions=[clean_text(e, 255) for e in exclusions] if exclusions else None,
        started_by=clean_text(started_by, 128),
        sweep_name=clean_text(sweep_name, 128),
        started_at=started_at or utcnow(),
        status="running",
    )
    session.add(scan)
    session.flush()
    return scan.id


def finish_scan(
    session: Session,
    scan: Scan | int,
    *,
    status: str = "completed",
    counts: dict[str, Any] | None = None,
    messages: Sequence[str] | None = None,
    error: str | None = None,
    finished_at: datetime | None = None,
) -> Scan:
    """Close a scans row with its outcome, counts and messages (flushed; caller commits)."""
    if status not in SCAN_OUTCOMES:
        raise ValueError(f"unknown scan outcome {status!r}")
    row = session.get(Scan, scan) if isinstance(scan, int) else scan
    if row is None:
        raise ValueError(f"no scan with id {scan}")
    row.status = status
    row.finished_at = finished_at or utcnow()
    if counts is not None:
        row.counts = dict(counts)
    if messages is not None:
        row.messages = [clean_text(m, 2048) for m in messages]
    if error is not None:
        row.error = clean_text(error, 8192)
    session.flush()
    return row


def assets_seen_in_scan(session: Session, scan_id: int) -> list[Asset]:
    """The assets that observations of this scan were tied to, ordered by id."""
    ids = select(ObservationRecord.asset_id).where(ObservationRecord.scan_id == scan_id).distinct()
    return list(session.scalars(_with_children(select(Asset).where(Asset.id.in_(ids)).order_by(Asset.id))))


def list_scans(session: Session, limit: int = 50) -> list[Scan]:
    """The latest scans, newest first."""
    return list(session.scalars(select(Scan).order_by(Scan.started_at.desc(), Scan.id.desc()).limit(limit)))
