"""Checks of the parameters users type into a front door: blank filters, page limits, durations.

Each bad value raises ``OperationError`` with one line naming it.
"""

from __future__ import annotations

from datetime import datetime

from netdiscover.durations import parse_moment
from netdiscover.observation import clean_text
from netdiscover.services.errors import OperationError

MAX_LIMIT = 1000


def blank(value: str | None) -> str | None:
    """The text stripped, or None when it is empty or not text."""
    return value.strip() or None if isinstance(value, str) else None


def check_limit(limit: int) -> int:
    """A page size between 1 and MAX_LIMIT."""
    if not 1 <= limit <= MAX_LIMIT:
        raise OperationError(f"limit must be between 1 and {MAX_LIMIT}")
    return limit


def since_param(value: str | None, name: str = "since", default: str | None = None) -> datetime | None:
    """The moment a ``since`` text (24h, 7d, an ISO date: ``durations.parse_moment``) points to;
    when blank, the moment ``default`` points to (None without one)."""
    if not blank(value):
        return parse_moment(default) if default else None
    try:
        return parse_moment(value)
    except (ValueError, OverflowError) as exc:
        raise OperationError(f"{name}: {clean_text(str(exc), 200)}") from None
