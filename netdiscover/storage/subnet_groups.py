"""Who lives on which subnet, read for the subnet risk hints with the counting done in SQL.

Current IPv4 addresses of assets that are not ignored come grouped by their text up to the
last octet, class and status (one row per group instead of one per address); the addresses
whose last octet is not written plainly (IPv6, odd texts) come one row each, as
``storage.reports.subnet_occupants`` reads them all.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import and_, func, literal_column, not_, or_, select
from sqlalchemy.orm import Session

from netdiscover.storage.models import Address, Asset

# a literal, not a bound parameter: the prefix is selected and grouped by, and PostgreSQL only
# sees the two as one expression when they are written alike
_DIGITS = literal_column("'0123456789'")


def _prefix() -> Any:
    """The address text without its trailing decimal digits ("10.0.1." for 10.0.1.7)."""
    return func.rtrim(Address.ip, _DIGITS)


def _plain_ipv4() -> Any:
    """An IPv4 text whose last octet is written as subnet_of reads it: 1-3 digits, no leading
    zero, at most 255 (so the subnet of the address is the subnet of its prefix + "0")."""
    last = func.substr(Address.ip, func.length(_prefix()) + 1)
    return and_(Address.ip.not_like("%:%"), func.length(last).between(1, 3),
                or_(last == "0", last.not_like("0%")), or_(func.length(last) < 3, last <= "255"))


def _occupied(stmt: Any) -> Any:
    return stmt.join(Asset, Asset.id == Address.asset_id).where(Address.current.is_(True),
                                                                Asset.status != "ignored")


def subnet_groups(session: Session) -> Iterable[tuple[str, str | None, str, datetime | None, int, int]]:
    """``(prefix, device_class, status, earliest first_seen, lowest id, highest id)`` of the plainly
    written current IPv4 addresses of assets that are not ignored, by prefix, class and status."""
    prefix = _prefix()
    return session.execute(
        _occupied(select(prefix, Asset.device_class, Asset.status, func.min(Asset.first_seen),
                         func.min(Asset.id), func.max(Asset.id)))
        .where(_plain_ipv4())
        .group_by(prefix, Asset.device_class, Asset.status)
    )


def other_occupants(session: Session) -> Iterable[tuple[str, int, str, datetime | None, str]]:
    """``(ip, asset_id, device_class, first_seen, status)`` of the other current addresses of
    assets that are not ignored (those ``subnet_groups`` leaves out)."""
    return session.execute(
        _occupied(select(Address.ip, Asset.id, Asset.device_class, Asset.first_seen, Asset.status))
        .where(not_(_plain_ipv4()))
    )
