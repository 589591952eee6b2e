"""One page of a filtered, sorted asset listing: the ids, read by keyset (stable while rows are added).

``AssetQuery`` is the validated filter and order (``services.assets.parse_asset_query`` builds it
from what users type); ``page_ids`` turns it into one statement.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import netaddr
from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session

from netdiscover.storage.models import TZ, Address, Asset, Interface

SORTS = ("id", "-id", "first_seen", "-first_seen", "last_seen", "-last_seen")
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class AssetQuery:
    """Validated filters and order of an asset listing."""

    statuses: tuple[str, ...] = ()
    device_class: str | None = None
    vendor: str | None = None
    site: str | None = None
    subnet: netaddr.IPNetwork | None = None
    q: str | None = None
    seen_since: datetime | None = None
    sort: str = "id"


def _like_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _ipv4_patterns(net: netaddr.IPNetwork) -> list[str]:
    """LIKE patterns (or exact IPs) whose union is exactly the IPv4 network's dotted addresses."""
    aligned = min(32, -(-net.prefixlen // 8) * 8)   # the next octet boundary at or after the prefix
    if aligned == 0:
        return ["%.%.%.%"]
    # aligned - prefixlen < 8, so there are at most 2**7 of them.
    subnets = list(net.subnet(aligned)) if aligned != net.prefixlen else [net]
    out = []
    for sub in subnets:
        octets = str(sub.network).split(".")[: aligned // 8]
        out.append(".".join(octets) if aligned == 32 else ".".join(octets) + ".%")
    return out


def _ipv6_starts(net: netaddr.IPNetwork) -> list[str]:
    """Texts one of which the canonical text (RFC 5952, as addresses are stored) of every address
    in the IPv6 network starts with: its whole leading hextets and a ":" (the address written
    out past them, or compressed from there on; for a /128 the address written out), or the
    hextets before a zero hextet among them and "::" (compressed from there). Addresses of other
    networks may share them too."""
    whole = net.prefixlen // 16
    words = [f"{w:x}" for w in net.network.words[:whole]]
    if whole == 0:
        return [""]
    starts = [":".join(words) + (":" if whole < 8 else "")]
    starts += [":".join(words[:at]) + "::" for at, word in enumerate(words) if word == "0"]
    return starts


def _subnet_clause(session: Session, net: netaddr.IPNetwork) -> Any:
    current = select(Address.asset_id).where(Address.current.is_(True))
    if net.version == 4:
        patterns = _ipv4_patterns(net)
        terms = [Address.ip == p if "%" not in p else Address.ip.like(p) for p in patterns]
        return Asset.id.in_(current.where(or_(*terms)))
    # IPv6 texts of one network share a few beginnings (_ipv6_starts), found in SQL; those
    # candidates are then tested in Python, since other networks' texts may begin alike.
    starts = [Address.ip.like(f"{start}%") for start in _ipv6_starts(net)]
    ids = set()
    candidates = select(Address.asset_id, Address.ip).where(Address.current.is_(True), Address.ip.like("%:%"),
                                                             or_(*starts))
    for asset_id, ip in session.execute(candidates):
        try:
            if netaddr.IPAddress(ip) in net:
                ids.add(asset_id)
        except (netaddr.AddrFormatError, ValueError):
            continue
    return Asset.id.in_(sorted(ids)) if ids else Asset.id.is_(None)


def _filtered(session: Session, query: AssetQuery) -> Any:
    stmt = select(Asset.id)
    if query.statuses:
        stmt = stmt.where(Asset.status.in_(query.statuses))
    if query.device_class:
        stmt = stmt.where(Asset.device_class == query.device_class)
    if query.vendor:
        stmt = stmt.where(func.lower(Asset.vendor) == query.vendor.lower())
    if query.site:
        stmt = stmt.where(Asset.site == query.site)
    if query.seen_since is not None:
        stmt = stmt.where(Asset.last_seen >= query.seen_since)
    if query.subnet is not None:
        stmt = stmt.where(_subnet_clause(session, query.subnet))
    if query.q:
        pattern = f"%{_like_escape(query.q.lower())}%"
        stmt = stmt.where(or_(
            func.lower(Asset.hostname).like(pattern, escape="\\"),
            func.lower(Asset.vendor).like(pattern, escape="\\"),
            func.lower(Asset.model).like(pattern, escape="\\"),
            Asset.id.in_(select(Address.asset_id).where(Address.ip.like(pattern, escape="\\"))),
            Asset.id.in_(select(Interface.asset_id).where(Interface.mac.like(pattern, escape="\\"))),
        ))
    return stmt


def _sort_column(sort: str) -> Any:
    name = sort.lstrip("-")
    if name == "id":
        return None
    # Assets never seen sort as the epoch, so the order (and a cursor into it) is total.
    return func.coalesce(getattr(Asset, name), EPOCH, type_=TZ)


def _keyset(stmt: Any, sort: str, after: tuple[datetime | None, int] | None) -> Any:
    """Order by the sort key then id, and start after the (sort value, id) ``after``."""
    col = _sort_column(sort)
    desc = sort.startswith("-")
    if col is None:
        stmt = stmt.order_by(Asset.id.desc() if desc else Asset.id)
    else:
        stmt = stmt.order_by(col.desc() if desc else col, Asset.id.desc() if desc else Asset.id)
    if after is not None:
        value, last_id = after
        if col is None:
            stmt = stmt.where(Asset.id < last_id if desc else Asset.id > last_id)
        else:
            value = value or EPOCH
            later = (col < value) if desc else (col > value)
            tie = Asset.id < last_id if desc else Asset.id > last_id
            stmt = stmt.where(or_(later, and_(col == value, tie)))
    return stmt


def page_ids(session: Session, query: AssetQuery, after: tuple[datetime | None, int] | None,
             limit: int) -> list[int]:
    """The ids of at most ``limit`` assets matching ``query``, in its order, after ``after``."""
    stmt = _keyset(_filtered(session, query), query.sort, after).limit(limit)
    return list(session.scalars(stmt))


def sort_value_of(session: Session, asset_id: int, sort: str) -> datetime | None:
    """The value the asset with this id is sorted by in this order (None when sorted by id)."""
    name = sort.lstrip("-")
    if name == "id":
        return None
    return session.scalar(select(getattr(Asset, name)).where(Asset.id == asset_id)) or EPOCH

