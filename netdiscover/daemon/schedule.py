"""When sweeps run: intervals, cron expressions, scan windows, jitter and the next-run rule.

Everything here is a pure function of its arguments (the clock and the random source are
passed in), so the daemon's timing can be tested without waiting.

The next-run rule: a sweep that never ran starts at once (interval) or at its next cron time;
afterwards it is due one period after its last start. A due time already in the past (the
daemon was down, or the last run overran) means "run once now", never once per missed slot.
A scan window moves a due time to the window's next opening, and jitter adds a random delay
so that sweeps sharing a schedule do not all start in the same second.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass
from datetime import datetime, time, timedelta

from croniter import croniter

from netdiscover.durations import format_duration

_CLOCK = re.compile(r"^([01]?\d|2[0-3]):([0-5]\d)$")

DEFAULT_JITTER_FRACTION = 0.1          # of the period, when no jitter is configured
DEFAULT_JITTER_CAP = timedelta(minutes=5)


class ScheduleError(ValueError):
    """A schedule value that cannot be understood (one-line message for the user)."""


def validate_cron(expr: str) -> str:
    """Return ``expr`` stripped if it is a valid five-field cron expression."""
    if not isinstance(expr, str) or len(expr.split()) != 5 or not croniter.is_valid(expr.strip()):
        raise ScheduleError(f"{expr!r} is not a cron expression (five fields, e.g. \"0 */4 * * *\")")
    return expr.strip()


@dataclass(frozen=True)
class Window:
    """A daily time-of-day range in which sweeps may start; may cross midnight (22:00-06:00)."""

    start: time
    end: time

    def __str__(self) -> str:
        return f"{self.start:%H:%M}-{self.end:%H:%M}"

    def contains(self, moment: datetime) -> bool:
        """True when ``moment`` (in its own timezone) falls inside the window."""
        now = moment.timetz().replace(tzinfo=None)
        if self.start == self.end:
            return True
        if self.start < self.end:
            return self.start <= now < self.end
        return now >= self.start or now < self.end

    def next_open(self, moment: datetime) -> datetime:
        """``moment`` itself when inside the window, else the window's next opening."""
        if self.contains(moment):
            return moment
        opening = moment.replace(hour=self.start.hour, minute=self.start.minute, second=0, microsecond=0)
        if opening <= moment:
            opening += timedelta(days=1)
        return opening

    def closes_after(self, moment: datetime) -> datetime:
        """When the window containing ``moment`` closes (``moment`` must be inside it)."""
        closing = moment.replace(hour=self.end.hour, minute=self.end.minute, second=0, microsecond=0)
        if closing <= moment:
            closing += timedelta(days=1)
        return closing


def parse_window(text: str) -> Window:
    """Parse ``"HH:MM-HH:MM"``; the end may be earlier than the start (crosses midnight)."""
    if not isinstance(text, str) or text.count("-") != 1:
        raise ScheduleError(f"{text!r} is not a window (use HH:MM-HH:MM, e.g. 22:00-06:00)")
    parts = []
    for piece in text.split("-"):
        match = _CLOCK.match(piece.strip())
        if not match:
            raise ScheduleError(f"{text!r} is not a window (use HH:MM-HH:MM, e.g. 22:00-06:00)")
        parts.append(time(int(match.group(1)), int(match.group(2))))
    if parts[0] == parts[1]:
        raise ScheduleError(f"window {text!r} starts and ends at the same time")
    return Window(parts[0], parts[1])


@dataclass(frozen=True)
class Schedule:
    """When one sweep runs: exactly one of ``every`` and ``cron``; optional window and jitter.

    ``jitter`` None means the default: a tenth of the period, at most five minutes.
    """

    every: timedelta | None = None
    cron: str | None = None
    window: Window | None = None
    jitter: timedelta | None = None

    def __post_init__(self) -> None:
        if (self.every is None) == (self.cron is None):
            raise ScheduleError("a schedule needs exactly one of 'every' and 'cron'")

    def describe(self) -> str:
        """Human summary such as ``every 15m, 22:00-06:00`` or ``cron 0 */4 * * *``."""
        text = f"every {format_duration(self.every)}" if self.every else f"cron {self.cron}"
        if self.window:
            text += f", window {self.window}"
        return text

    def period(self, around: datetime) -> timedelta:
        """The interval, or the gap between the two cron times following ``around``."""
        if self.every is not None:
            return self.every
        it = croniter(self.cron, around)
        first = it.get_next(datetime)
        return it.get_next(datetime) - first

    def max_jitter(self, around: datetime) -> timedelta:
        """The configured jitter, or the default derived from the period."""
        if self.jitter is not None:
            return self.jitter
        return min(self.period(around) * DEFAULT_JITTER_FRACTION, DEFAULT_JITTER_CAP)


def base_due(schedule: Schedule, last_start: datetime | None, now: datetime) -> datetime:
    """When the next run is due before window and jitter; never earlier than ``now``.

    Missed slots (downtime, an overrunning run) collapse into one run at ``now``.
    """
    if schedule.every is not None:
        if last_start is None:
            return now
        due = last_start + schedule.every
    else:
        due = croniter(schedule.cron, last_start or now).get_next(datetime)
        # croniter keeps the tzinfo of its start; make sure a naive result cannot sneak through.
        if due.tzinfo is None and now.tzinfo is not None:
            due = due.replace(tzinfo=now.tzinfo)
    return max(due, now)


def missed_runs(schedule: Schedule, last_start: datetime | None, now: datetime) -> int:
    """How many scheduled starts fell in (``last_start``, ``now``]; 0 when it never ran.

    One is the normal case for a run that is due; more means starts were missed (downtime) and
    are collapsed into one run. Measured at the end of a run, one or more means it overran.
    """
    if last_start is None:
        return 0
    if schedule.every is not None:
        return max(0, int((now - last_start) / schedule.every))
    it = croniter(schedule.cron, last_start)
    count = 0
    while count < 10000 and it.get_next(datetime) <= now:
        count += 1
    return count


def next_run(schedule: Schedule, last_start: datetime | None, now: datetime,
             rng: random.Random | None = None) -> datetime:
    """The moment the next run should start (window and jitter applied).

    ``now`` and ``last_start`` must be timezone-aware; windows use ``now``'s timezone.
    """
    if last_start is not None:
        last_start = last_start.astimezone(now.tzinfo)
    due = base_due(schedule, last_start, now)
    if schedule.window is not None:
        due = schedule.window.next_open(due)
    spread = schedule.max_jitter(due).total_seconds()
    if spread > 0:
        jittered = due + timedelta(seconds=(rng or random).uniform(0, spread))
        if schedule.window is None or schedule.window.contains(jittered):
            due = jittered
    return due
