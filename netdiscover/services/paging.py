"""Pages of an asset listing: opaque cursors (sort order, sort value, last id) and the page read
after one. A cursor stays valid while assets are added: the next page starts after its row.
"""

from __future__ import annotations

import base64
import binascii
import json
from datetime import UTC, datetime

from sqlalchemy.orm import Session

from netdiscover.services.errors import OperationError
from netdiscover.services.params import check_limit
from netdiscover.storage.asset_pages import AssetQuery, page_ids, sort_value_of


def encode_cursor(sort: str, value: datetime | None, last_id: int) -> str:
    """Opaque cursor text for the row after which the next page starts."""
    payload = [sort, value.isoformat() if value else None, last_id]
    return base64.urlsafe_b64encode(json.dumps(payload).encode()).decode().rstrip("=")


def decode_cursor(cursor: str, sort: str) -> tuple[datetime | None, int]:
    """The (sort value, id) a cursor points after; OperationError when it is not one of ours."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        got_sort, value, last_id = json.loads(raw)
        moment = datetime.fromisoformat(value) if value is not None else None
        if not isinstance(last_id, int) or isinstance(last_id, bool) or abs(last_id) > 2**62:
            raise ValueError("bad id")
    except (binascii.Error, ValueError, TypeError, UnicodeDecodeError, OverflowError):
        raise OperationError("cursor is not a cursor this server returned") from None
    if got_sort != sort:
        raise OperationError("cursor belongs to another sort order; start again without it")
    if moment is not None and moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment, last_id


def page_of_ids(session: Session, query: AssetQuery, limit: int,
                cursor: str | None) -> tuple[list[int], str | None]:
    """The ids of one page of assets, in the query's order, and the cursor of the next page, if any."""
    after = decode_cursor(cursor, query.sort) if cursor else None
    ids = page_ids(session, query, after, check_limit(limit) + 1)
    if len(ids) <= limit:
        return ids, None
    last = ids[limit - 1]
    return ids[:limit], encode_cursor(query.sort, sort_value_of(session, last, query.sort), last)
