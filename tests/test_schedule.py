"""Schedule rules: intervals, cron, windows across midnight, jitter and the next-run rule."""

from __future__ import annotations

import random
from datetime import UTC, datetime, time, timedelta, timezone

import pytest

from netdiscover.daemon.schedule import (
    Schedule,
    ScheduleError,
    Window,
    base_due,
    missed_runs,
    next_run,
    parse_window,
    validate_cron,
)

T0 = datetime(2026, 3, 2, 12, 0, 0, tzinfo=UTC)
NO_JITTER = timedelta(0)


def test_cron_validation():
    assert validate_cron(" 0 */4 * * * ") == "0 */4 * * *"
    for bad in ("0 */4 * *", "61 * * * *", "every hour", "* * * * * *", ""):
        with pytest.raises(ScheduleError):
            validate_cron(bad)


def test_window_parse_and_contains_across_midnight():
    w = parse_window("22:00-06:00")
    assert w == Window(time(22, 0), time(6, 0))
    assert str(w) == "22:00-06:00"
    at = lambda h, m=0: T0.replace(hour=h, minute=m)  # noqa: E731
    assert w.contains(at(22)) and w.contains(at(23, 59)) and w.contains(at(0)) and w.contains(at(5, 59))
    assert not w.contains(at(6)) and not w.contains(at(12)) and not w.contains(at(21, 59))
    day = parse_window("09:00-17:30")
    assert day.contains(at(9)) and day.contains(at(17, 29)) and not day.contains(at(17, 30))


@pytest.mark.parametrize("text", ["22:00", "22-06", "25:00-06:00", "22:00-06:60", "10:00-10:00", "a-b"])
def test_window_rejects(text):
    with pytest.raises(ScheduleError):
        parse_window(text)


def test_window_next_open():
    w = parse_window("22:00-06:00")
    assert w.next_open(T0) == T0.replace(hour=22)                       # noon -> tonight
    late = T0.replace(hour=23, minute=10)
    assert w.next_open(late) == late                                      # already open
    morning = T0.replace(hour=7)
    assert w.next_open(morning) == T0.replace(hour=22)
    assert w.closes_after(late) == (T0 + timedelta(days=1)).replace(hour=6)


def test_schedule_needs_exactly_one_kind():
    with pytest.raises(ScheduleError):
        Schedule()
    with pytest.raises(ScheduleError):
        Schedule(every=timedelta(minutes=5), cron="* * * * *")


def test_interval_first_run_is_now_then_one_period_after_last_start():
    s = Schedule(every=timedelta(minutes=15), jitter=NO_JITTER)
    assert next_run(s, None, T0) == T0
    assert next_run(s, T0, T0 + timedelta(minutes=1)) == T0 + timedelta(minutes=15)


def test_missed_runs_after_downtime_collapse_into_one_run_now():
    s = Schedule(every=timedelta(minutes=15), jitter=NO_JITTER)
    now = T0 + timedelta(hours=10)                    # 40 starts missed
    assert next_run(s, T0, now) == now
    assert missed_runs(s, T0, now) == 40
    # once it ran, the next is one period later, not another catch-up
    assert next_run(s, now, now + timedelta(seconds=5)) == now + timedelta(minutes=15)


def test_overrun_is_counted_and_not_stacked():
    s = Schedule(every=timedelta(minutes=15), jitter=NO_JITTER)
    finished = T0 + timedelta(minutes=47)             # a run that took 47 minutes
    assert missed_runs(s, T0, finished) == 3
    assert next_run(s, T0, finished) == finished      # one run, straight away
    assert missed_runs(s, T0, T0 + timedelta(minutes=14)) == 0


def test_cron_next_and_missed():
    s = Schedule(cron="0 */4 * * *", jitter=NO_JITTER)
    assert next_run(s, None, T0 + timedelta(minutes=1)) == T0.replace(hour=16)
    assert next_run(s, T0, T0 + timedelta(minutes=1)) == T0.replace(hour=16)
    # down for a day: one run now; the six missed slots are counted, not run
    now = T0 + timedelta(days=1, minutes=30)
    assert next_run(s, T0, now) == now
    assert missed_runs(s, T0, now) == 6


def test_cron_uses_the_timezone_of_now():
    tz = timezone(timedelta(hours=2))
    now = datetime(2026, 3, 2, 1, 30, tzinfo=tz)
    s = Schedule(cron="0 3 * * *", jitter=NO_JITTER)
    due = next_run(s, None, now)
    assert due == datetime(2026, 3, 2, 3, 0, tzinfo=tz)


def test_window_moves_due_time_to_next_opening():
    s = Schedule(every=timedelta(hours=1), window=parse_window("22:00-06:00"), jitter=NO_JITTER)
    assert next_run(s, None, T0) == T0.replace(hour=22)
    night = T0.replace(hour=23)
    assert next_run(s, None, night) == night
    # last run at 05:30, due 06:30 -> outside -> 22:00 the same day
    last = T0.replace(hour=5, minute=30)
    assert next_run(s, last, T0.replace(hour=5, minute=45)) == T0.replace(hour=22)


def test_jitter_is_bounded_and_spreads_starts():
    s = Schedule(every=timedelta(minutes=10), jitter=timedelta(seconds=30))
    rng = random.Random(7)
    dues = [next_run(s, T0, T0, rng) for _ in range(200)]
    offsets = [(d - (T0 + timedelta(minutes=10))).total_seconds() for d in dues]
    assert all(0 <= o <= 30 for o in offsets)
    assert max(offsets) - min(offsets) > 20            # actually spread, not constant


def test_default_jitter_is_a_tenth_of_the_period_capped():
    assert Schedule(every=timedelta(minutes=10)).max_jitter(T0) == timedelta(minutes=1)
    assert Schedule(every=timedelta(hours=4)).max_jitter(T0) == timedelta(minutes=5)
    assert Schedule(cron="*/20 * * * *").max_jitter(T0) == timedelta(minutes=2)


def test_jitter_never_pushes_a_start_out_of_its_window():
    s = Schedule(every=timedelta(hours=1), window=parse_window("22:00-22:01"), jitter=timedelta(minutes=30))
    rng = random.Random(1)
    for _ in range(50):
        due = next_run(s, None, T0, rng)
        assert s.window.contains(due)


def test_base_due_never_in_the_past():
    s = Schedule(every=timedelta(seconds=2), jitter=NO_JITTER)
    assert base_due(s, T0 - timedelta(days=3), T0) == T0
    assert describe_ok(s)


def describe_ok(s: Schedule) -> bool:
    return s.describe() == "every 2s"
