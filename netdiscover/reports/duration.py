"""Parse the ``--since`` values reviewers type: ``24h``, ``7d``, ``90m``, ``2w``, ``1d12h`` or an ISO date."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

_PART = re.compile(r"(\d+)\s*([smhdw])")
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days", "w": "weeks"}
MAX_DAYS = 36500


def parse_since(text: str, now: datetime | None = None) -> datetime:
    """The moment ``text`` points to (a duration back from ``now``, or an ISO date/time, UTC).

    Raises ValueError with a one-line message for anything else.
    """
    now = now or datetime.now(UTC)
    value = text.strip().lower()
    if value and _PART.sub("", value).strip() == "" and _PART.search(value):
        delta = timedelta()
        for number, unit in _PART.findall(value):
            delta += timedelta(**{_UNITS[unit]: int(number)})
        if delta > timedelta(days=MAX_DAYS):
            raise ValueError(f"duration {text!r} is too long")
        return now - delta
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        raise ValueError(
            f"cannot read {text!r} as a duration (like 24h, 7d, 90m, 2w) or an ISO date (2024-05-01)"
        ) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
