"""Who lives on which subnet, read for the subnet risk hints with the counting done in SQL.

One pass over the current addresses of assets that are not ignored, grouped by address key,
class and status: an IPv4 address whose last octet is written plainly is keyed by its text with
that octet replaced by 0 (so a /24 is one key), any other address (IPv6, odd texts) by its text.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import and_, case, func, literal_column, or_, select
from sqlalchemy.orm import Session

from netdiscover.storage.models import Address, Asset

_DIGITS = literal_column("'0123456789'")


def _key() -> Any:
    """The address's group key: "10.0.1.0" for 10.0.1.7 (a last octet of 1-3 digits, no leading
    zero, at most 255, as subnet_of reads it: the /24 of the key is the address's); else the text."""
    prefix = func.rtrim(Address.ip, _DIGITS)
    last = func.substr(Address.ip, func.length(prefix) + 1)
    plain = and_(Address.ip.not_like("%:%"), func.length(last).between(1, 3),
                 or_(last == "0", last.not_like("0%")), or_(func.length(last) < 3, last <= "255"))
    return case((plain, prefix + "0"), else_=Address.ip)


def subnet_groups(session: Session) -> Iterable[tuple[str, str | None, str, datetime | None, int, int]]:
    """``(address key, device_class, status, earliest first_seen, lowest id, highest id)`` of the
    current addresses of assets that are not ignored, by key, class and status."""
    rows = (select(_key().label("key"), Asset.device_class, Asset.status, Asset.first_seen, Asset.id)
            .join(Asset, Asset.id == Address.asset_id)
            .where(Address.current.is_(True), Asset.status != "ignored")
            .subquery())
    return session.execute(
        select(rows.c.key, rows.c.device_class, rows.c.status, func.min(rows.c.first_seen),
               func.min(rows.c.id), func.max(rows.c.id))
        .group_by(rows.c.key, rows.c.device_class, rows.c.status)
    )
