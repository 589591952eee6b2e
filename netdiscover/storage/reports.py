"""The bulk reads behind the reports: which assets the unknown-device report lists, change-log
events with the few asset columns a change row shows, missing assets and discrepancies. Rows are
plain where a report reads many (no ORM objects to track). Who lives on which subnet is read,
already counted, by ``storage.subnet_groups``.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from operator import itemgetter
from types import SimpleNamespace
from typing import Any, NamedTuple

from sqlalchemy import JSON, Boolean, DateTime, String, Text, case, cast, func, or_, select, type_coerce
from sqlalchemy.orm import Session, selectinload

from netdiscover.observation import as_utc
from netdiscover.storage.bulk import fetch_in_sql
from netdiscover.storage.models import (
    SIGHTINGS,
    Address,
    Asset,
    AssetEvent,
    Discrepancy,
    Interface,
    ObservationRecord,
    Service,
    UTCDateTime,
)


def unknown_keys(session: Session, statuses: Sequence[str], since: datetime | None,
                 site: str | None) -> list[Any]:
    """``(id, last_seen)`` of the assets with these statuses, seen since ``since``, of ``site``, in
    the unknown report's order: rogue first, then newest first (never seen last), then newest id.

    ``last_seen`` is as the database gives it (``stored_moment`` reads one): an aware datetime,
    or on SQLite the stored text, which sorts as the times do; the report only needs the
    earliest of each few hundred, not 100,000 timestamps converted.
    """
    dialect = session.get_bind().dialect.name
    seen = type_coerce(Asset.last_seen, String if dialect == "sqlite" else DateTime(timezone=True))
    stmt = (select(Asset.id, seen.label("last_seen"))
            .where(Asset.status.in_(list(statuses)))
            .order_by(case((Asset.status == "rogue", 0), else_=1), Asset.first_seen.is_(None),
                      Asset.first_seen.desc(), Asset.id.desc()))
    if since is not None:
        stmt = stmt.where(Asset.last_seen >= since)
    if site is not None:
        stmt = stmt.where(Asset.site == site)
    return list(session.execute(stmt))


def stored_moment(value: datetime | str | None) -> datetime | None:
    """An aware datetime of a ``last_seen`` as ``unknown_keys`` gives it (or of a datetime)."""
    if value is None:
        return None
    return as_utc(datetime.fromisoformat(value) if isinstance(value, str) else value)


class _Key(NamedTuple):
    id: int
    last_seen: datetime | None


def report_keys(assets: Sequence[tuple[Any, ...]]) -> list[Any]:
    """``(id, last_seen)`` of the asset rows of a ``report_text_batch`` (what ``unknown_keys``
    gives), read back from the rows' ISO text."""
    at = REPORT_ASSET_COLUMNS.index("last_seen")
    return [_Key(row[0], datetime.fromisoformat(row[at]) if row[at] else None) for row in assets]


def served_apart(session: Session) -> bool:
    """Whether the database does its work in a server process (PostgreSQL), so that a thread
    reading ahead overlaps the server's work with Python's. SQLite works in this process and
    builds its rows under the GIL: reading ahead cost it more CPU than it hid (about a tenth,
    benchmarks/report_bench.py on a loaded machine) for little to hide."""
    return session.get_bind().dialect.name != "sqlite"


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


def iso_text(column: Any, dialect: str) -> Any:
    """SQL giving a timestamp column as ``datetime.isoformat()`` writes it, aware in UTC
    (``2026-01-02T03:04:05+00:00``, microseconds only when there are some), or NULL.

    A report of 100,000 assets holds 600,000 timestamps: the database writes their text
    instead of the driver parsing each and Python formatting it again.
    """
    if dialect == "postgresql":
        # one to_char per value: '.000000' can only be the fraction, and isoformat leaves it out
        full = func.to_char(func.timezone("UTC", column), 'YYYY-MM-DD"T"HH24:MI:SS.US')
        return type_coerce(func.replace(full, ".000000", "") + "+00:00", String)
    # SQLite holds what UTCDateTime wrote: 'YYYY-MM-DD HH:MM:SS.ffffff' (naive UTC; without the
    # fraction when written elsewhere with none). Two replaces cost SQLite half what cutting
    # the text up did; NULL stays NULL.
    raw = type_coerce(column, String)
    return type_coerce(func.replace(func.replace(raw, " ", "T"), ".000000", "") + "+00:00", String)


def json_text(column: Any, dialect: str) -> Any:
    """A JSON column as its stored text (decoded by the caller, once per distinct value)."""
    return cast(column, Text) if dialect == "postgresql" else type_coerce(column, String)


def _report_columns(table: Any, names: Sequence[str], dialect: str) -> list[Any]:
    out = []
    for name in names:
        column = table.c[name]
        if isinstance(column.type, UTCDateTime):
            out.append(iso_text(column, dialect))
        elif isinstance(column.type, JSON):
            out.append(json_text(column, dialect))
        elif isinstance(column.type, Boolean):      # 1 or 0 on every database, NULL as 0
            out.append(case((column, 1), else_=0))
        else:
            out.append(column)
    return out


# What report_text_batches reads, in this order; timestamps come as ISO text and JSON as text.
REPORT_ASSET_COLUMNS = (
    "id", "status", "vendor", "model", "os_name", "os_version", "hostname", "serial", "first_seen",
    "last_seen", "site", "owner", "location", "lifecycle_state", "asset_tag", "snmp_engine_id",
    "snmp_credential", "device_class", "methods", "confidence", "present", "attributes", "field_sources",
    "missed_sweeps", "fingerprint")
REPORT_INTERFACE_COLUMNS = ("asset_id", "id", "mac", "mac_vendor", "name", "switch", "switch_port",
                            "randomised", "first_seen", "last_seen")
REPORT_ADDRESS_COLUMNS = ("asset_id", "id", "ip", "mac", "current", "first_seen", "last_seen")
REPORT_SERVICE_COLUMNS = ("asset_id", "id", "port", "protocol", "name", "product", "version", "cpe",
                          "open", "banner", "extrainfo")


_HEADS: dict[tuple[str, str], str] = {}


def _report_head(session: Session, model: Any, names: Sequence[str]) -> str:
    """``SELECT <names> FROM <table> WHERE <key> `` in the session's dialect, compiled once."""
    dialect = session.get_bind().dialect
    found = _HEADS.get((dialect.name, model.__tablename__))
    if found is None:
        table = model.__table__
        stmt = select(*_report_columns(table, names, dialect.name))
        sql = str(stmt.compile(dialect=dialect, compile_kwargs={"literal_binds": True}))
        key = "id" if model is Asset else "asset_id"       # (observations too)
        found = _HEADS[(dialect.name, model.__tablename__)] = (
            f"{sql} WHERE {dialect.identifier_preparer.quote(table.name)}.{key} ")
    return found


def report_text_batch(session: Session,
                      ids: Sequence[int]) -> tuple[list[Any], list[Any], list[Any], list[Any]]:
    """Assets with these ids (in this order) and their interfaces, addresses and open services
    (by asset, then id), as plain tuples of the REPORT_*_COLUMNS: timestamps as ISO text, JSON as
    text, flags as 1 or 0. Services that have closed since are left in the database: no report
    or listing shows them.
    """
    conn = session.connection()
    quote = conn.dialect.identifier_preparer.quote
    wanted = sorted(set(ids))
    out = []
    for model, names in ((Asset, REPORT_ASSET_COLUMNS), (Interface, REPORT_INTERFACE_COLUMNS),
                         (Address, REPORT_ADDRESS_COLUMNS), (Service, REPORT_SERVICE_COLUMNS)):
        where = f"{quote(Service.__tablename__)}.{quote('open')}" if model is Service else ""
        rows = fetch_in_sql(conn, _report_head(session, model, names), wanted, where)
        if model is not Asset:
            rows.sort(key=_asset_then_id)
        out.append(rows)
    found = {row[0]: row for row in out[0]}
    out[0] = [found[i] for i in ids if i in found]
    return out[0], out[1], out[2], out[3]


_asset_then_id = itemgetter(0, 1)


class Sighting(NamedTuple):
    """A stored neighbour/location sighting or SNMP answer of an asset, as the reports read it."""

    asset_id: int
    kind: str
    data: Any


def _time_literal(moment: datetime, dialect: str) -> str:
    """SQL text of an aware timestamp as the column type binds it (SQLite compares stored text)."""
    moment = moment.astimezone(UTC)
    if dialect == "postgresql":
        return f"'{moment.isoformat()}'::timestamptz"
    return f"'{moment.replace(tzinfo=None).isoformat(' ', 'microseconds')}'"


def report_sightings(session: Session, asset_ids: Sequence[int], since: datetime | None) -> list[Sighting]:
    """``asset_observations.recent_sightings`` as plain rows: the neighbour/location sightings and
    SNMP answers of these assets seen at or after ``since`` (all when None), newest first.

    A report asks this for every few hundred assets; through the driver with a statement made
    once, it costs a tenth of the ORM query's overhead (most such reads find nothing).
    """
    conn = session.connection()
    dialect = conn.dialect.name
    where = f"({SIGHTINGS})"           # literal, as the partial index has it
    if since is not None:
        where += f" AND seen_at >= {_time_literal(since, dialect)}"
    head = _report_head(session, ObservationRecord, ("id", "asset_id", "kind", "data"))
    rows = fetch_in_sql(conn, head, sorted(set(asset_ids)), where)
    rows.sort(key=_newest_first)
    return [Sighting(asset_id, kind, None if data is None else json.loads(data))
            for _id, asset_id, kind, data in rows]


def _newest_first(row: tuple[Any, ...]) -> int:
    return -row[0]
