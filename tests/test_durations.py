"""The one duration reader: every spelling the CLI, the daemon's settings and the web accept."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from click.testing import CliRunner

from netdiscover.cli import main
from netdiscover.config import SettingsError, load_settings
from netdiscover.durations import DurationError, format_duration, parse_duration, parse_moment
from netdiscover.services.errors import OperationError
from netdiscover.services.params import since_param

NOW = datetime(2026, 3, 2, 12, 0, 0, tzinfo=UTC)


@pytest.mark.parametrize(("text", "seconds"), [
    ("2s", 2), ("30s", 30), ("15m", 900), ("4h", 14400), ("1d", 86400), ("1w", 604800), ("2w", 1209600),
    ("1h30m", 5400), ("1d12h", 129600), ("1.5h", 5400), ("0.5s", 0.5), (" 10 m ", 600), ("90 m", 5400),
    ("1h 30m", 5400), ("90S", 90), ("90", 90), ("2.5", 2.5), ("1h1h", 7200), (90, 90), (2.5, 2.5),
])
def test_durations(text, seconds):
    assert parse_duration(text) == timedelta(seconds=seconds)


@pytest.mark.parametrize("text", ["", " ", "h", "15x", "m15", "ten", "soon", "-5m", "15mm", "1h 30", "1h30",
                                  "1.5.5s", "5y", "1 0m", None, True, -5, [15]])
def test_unreadable_durations(text):
    with pytest.raises(DurationError, match=r"^cannot read .* as a duration \(like 30s, 15m"):
        parse_duration(text)


def test_bounds():
    for zero in ("0", "0s", "0m", "0h0m"):
        with pytest.raises(DurationError, match="must be longer than zero"):
            parse_duration(zero)
        assert parse_duration(zero, zero_ok=True) == timedelta(0)
    with pytest.raises(DurationError, match="is longer than 366d"):
        parse_duration("400d", longest=timedelta(days=366))
    assert parse_duration("366d", longest=timedelta(days=366)) == timedelta(days=366)
    for huge in ("999999999d", "9" * 400 + "w", 1e30, float("inf")):
        with pytest.raises(DurationError, match="is longer than 36500d"):
            parse_duration(huge)


def test_format_round_trips():
    for text in ("0s", "2s", "15m", "4h", "1d", "1h30m", "1d2h3m4s", "36500d"):
        assert format_duration(parse_duration(text, zero_ok=True)) == text
    assert format_duration(timedelta(weeks=1)) == "7d"


@pytest.mark.parametrize(("text", "back"), [
    ("24h", timedelta(hours=24)), ("7d", timedelta(days=7)), ("1d12h", timedelta(days=1, hours=12)),
    ("90 m", timedelta(minutes=90)), ("2w", timedelta(weeks=2)), ("1.5h", timedelta(minutes=90)),
    ("0h", timedelta(0)), ("3600", timedelta(hours=1)),
])
def test_moments_back_from_now(text, back):
    assert parse_moment(text, now=NOW) == NOW - back


def test_moments_as_dates():
    assert parse_moment("2026-03-01", now=NOW) == datetime(2026, 3, 1, tzinfo=UTC)
    assert parse_moment("20260301", now=NOW) == datetime(2026, 3, 1, tzinfo=UTC)     # a date, not seconds
    assert parse_moment("2026-03-01T08:00+02:00", now=NOW) == datetime(2026, 3, 1, 6, tzinfo=UTC)


@pytest.mark.parametrize("text", ["", "h", "yesterday", "5y", "1h30"])
def test_unreadable_moments(text):
    with pytest.raises(DurationError, match=r"^cannot read .* as a duration .* or an ISO date"):
        parse_moment(text, now=NOW)


def test_too_long_moment():
    with pytest.raises(DurationError, match="is longer than 36500d"):
        parse_moment("999999999d", now=NOW)


def test_every_front_door_reads_the_same_spellings(tmp_path):
    """The same text means the same time to the listener, the settings file, the reports and the web."""
    assert since_param("1.5h") is not None and since_param("90") is not None
    with pytest.raises(OperationError, match=r"^since: cannot read '1h30' as a duration"):
        since_param("1h30")
    path = tmp_path / "netdiscover.toml"
    path.write_text('[daemon]\nrequest_poll = "1.5m"\nstop_timeout = "0m"\ndisappear_after = "2w"\n'
                    '[[sweep]]\nname = "a"\ntargets = ["10.20.0.0/24"]\nevery = 5400\njitter = "90"\n')
    settings = load_settings(path)
    assert settings.sweeps[0].schedule.every == timedelta(minutes=90)
    assert settings.sweeps[0].schedule.jitter == timedelta(seconds=90)
    assert (settings.daemon.request_poll, settings.daemon.stop_timeout) == (90.0, 0.0)
    assert settings.daemon.disappear_after == 14 * 86400
    path.write_text('[[sweep]]\nname = "a"\ntargets = ["10.20.0.0/24"]\nevery = "1h30"\n')
    with pytest.raises(SettingsError, match="every: cannot read '1h30' as a duration"):
        load_settings(path)


@pytest.mark.parametrize(("args", "message"), [
    (["report", "changes", "--since", "1h30"], "cannot read '1h30' as a duration"),
    (["report", "unknown", "--since", "999999999d"], "is longer than 36500d"),
    (["listen", "--iface", "lo", "--duration", "400d"], "is longer than 366d"),
    (["listen", "--iface", "lo", "--flush", "1h30"], "cannot read '1h30' as a duration"),
])
def test_cli_errors_are_one_line(tmp_path, args, message):
    res = CliRunner().invoke(main, ["--db", f"sqlite:///{tmp_path / 'd.db'}", *args])
    assert res.exit_code == 2, res.output
    assert message in res.output and "Traceback" not in res.output


def test_help_documents_the_spellings():
    for args in (["report", "changes", "--help"], ["listen", "--help"]):
        out = " ".join(CliRunner().invoke(main, args).output.split())
        assert "1h30m" in out and "7d" in out
