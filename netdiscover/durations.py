"""The one reader of the durations users type, and of "since" moments.

A duration is one or more parts ``<number><unit>``, units ``s`` ``m`` ``h`` ``d`` ``w`` (any case,
spaces allowed, decimals allowed): ``30s``, ``15m``, ``4h``, ``7d``, ``2w``, ``1h30m``, ``1.5h``. A
bare number alone is seconds (``90``, or the number 90 from a settings file); a number without a
unit after other parts (``1h30``) is refused, as it reads as minutes to some and seconds to others.
A moment (``--since``, ``seen_since``) is an ISO date or date-time (UTC unless it says otherwise) or
a duration back from now.

Every refusal is a ``DurationError`` (a ValueError) with a one-line message.
"""

from __future__ import annotations

import math
import re
from datetime import UTC, datetime, timedelta

UNIT_SECONDS = {"w": 604800, "d": 86400, "h": 3600, "m": 60, "s": 1}
MAX_DAYS = 36500
LONGEST = timedelta(days=MAX_DAYS)
EXAMPLES = "like 30s, 15m, 24h, 7d, 1h30m"
HELP = "a duration (30s, 15m, 24h, 7d, 2w, 1h30m; a bare number is seconds)"
MOMENT_HELP = ("a duration back from now (24h, 7d, 1h30m; a bare number is seconds) or an ISO date "
               "(2024-05-01, 2024-05-01T08:00)")

_NUMBER = r"\d+(?:\.\d+)?"
_PART = re.compile(rf"({_NUMBER})\s*([smhdw])")
_DURATION = re.compile(rf"(?:{_NUMBER}\s*[smhdw]\s*)+|{_NUMBER}")


class DurationError(ValueError):
    """A duration or moment that cannot be read (one-line message for the user)."""


def parse_duration(text: object, *, zero_ok: bool = False, longest: timedelta = LONGEST) -> timedelta:
    """The duration ``text`` spells (a number is seconds); above zero (or zero, when ``zero_ok``) and
    at most ``longest``."""
    seconds = _seconds(text)
    if seconds is None:
        raise DurationError(f"cannot read {text!r} as a duration ({EXAMPLES})")
    if seconds == 0 and not zero_ok:
        raise DurationError(f"duration {text!r} must be longer than zero")
    if not math.isfinite(seconds) or seconds > longest.total_seconds():
        raise DurationError(f"duration {text!r} is longer than {format_duration(longest)}")
    return timedelta(seconds=seconds)


def parse_moment(text: str, now: datetime | None = None) -> datetime:
    """The moment ``text`` points to: an ISO date/time (UTC when it names no zone) or a duration
    back from ``now`` (zero means now)."""
    value = text.strip() if isinstance(text, str) else ""
    try:        # first, so that a basic-format date (20240501) stays a date
        moment = datetime.fromisoformat(value)
    except ValueError:
        if _seconds(value) is None:
            raise DurationError(f"cannot read {text!r} as a duration ({EXAMPLES}) "
                                "or an ISO date (2024-05-01)") from None
        return (now or datetime.now(UTC)) - parse_duration(value, zero_ok=True)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _seconds(text: object) -> float | None:
    """The seconds ``text`` spells, or None when it is not a duration."""
    if isinstance(text, int | float) and not isinstance(text, bool):
        return float(text) if text >= 0 else None
    value = text.strip().lower() if isinstance(text, str) else ""
    if not _DURATION.fullmatch(value):
        return None
    return sum(float(number) * UNIT_SECONDS[unit] for number, unit in _PART.findall(value) or [(value, "s")])


def format_duration(value: timedelta) -> str:
    """The shortest spelling of ``value`` in whole seconds that ``parse_duration`` reads back
    (``1h30m``, ``2s``, ``36500d``); weeks are written as days."""
    seconds = round(value.total_seconds())
    if seconds == 0:
        return "0s"
    parts = []
    for unit in ("d", "h", "m", "s"):
        count, seconds = divmod(seconds, UNIT_SECONDS[unit])
        if count:
            parts.append(f"{count}{unit}")
    return "".join(parts)
