"""``assets list`` and ``scan`` tables: readable at 80 and 120 columns on a terminal (key columns
kept, no line wider than the terminal), every column untruncated when piped."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
from click.testing import CliRunner

from netdiscover.cli import main
from netdiscover.observation import Observation
from netdiscover.services.reconcile import reconcile
from netdiscover.services.sweeps import SweepResult
from netdiscover.storage.engine import open_database, write_session
from netdiscover.storage.scans import finish_scan, start_scan

SEEN = datetime(2026, 3, 1, 9, 30, tzinfo=UTC)
LONG_HOST = "build-agent-07.eu-west.ci.engineering.example-corp.internal"
HEADERS = ["ID", "STATUS", "IP", "MAC", "HOSTNAME", "VENDOR", "CLASS", "MODEL", "OS", "LAST SEEN", "METHODS"]
KEY_HEADERS = ["ID", "STATUS", "IP", "MAC", "HOSTNAME", "VENDOR"]


def observations() -> list[Observation]:
    obs = [Observation(method="arp", ip=f"10.20.0.{n}", mac=f"00:1b:54:00:00:{n:02x}",
                       hostname=f"ws-{n}", seen_at=SEEN) for n in range(1, 6)]
    obs.append(Observation(method="nmap", ip="10.20.0.77", mac="00:1b:54:00:00:77", hostname=LONG_HOST,
                           seen_at=SEEN))
    obs.append(Observation(method="arp", ip="10.20.0.78", mac="00:1b:54:00:00:78", seen_at=SEEN))
    obs.append(Observation(method="arp", ip="10.20.0.79", mac="00:1b:54:00:00:78", seen_at=SEEN))
    return obs


def fingerprint(o: Observation):
    return None


def fill(url: str, scan_id: int | None = None) -> None:
    sessions = open_database(url)
    reconcile(sessions, observations(), scan_id=scan_id, now=SEEN, fingerprinter=fingerprint)
    sessions.kw["bind"].dispose()


def vendor_model(url: str) -> None:
    """Give one asset a long vendor, model and OS so every column has something to show."""
    from netdiscover.storage.models import Asset

    sessions = open_database(url)
    with sessions() as s:
        for asset in s.query(Asset):
            asset.vendor, asset.model = "Hewlett Packard Enterprise", "ProLiant DL380 Gen10"
            asset.os = "Linux"
        s.commit()
    sessions.kw["bind"].dispose()


@pytest.fixture
def terminal(monkeypatch):
    def at(width: int) -> None:
        monkeypatch.setattr("netdiscover.commands.assets.on_terminal", lambda: True)
        monkeypatch.setenv("COLUMNS", str(width))
    return at


def headers(line: str) -> list[str]:
    return re.split(r"\s{2,}", line.strip())


def column_text(out: str, header: str, first: str) -> str:
    """The text of column ``header`` in the row whose cell starts with ``first``, lines rejoined."""
    lines = out.splitlines()
    names = headers(lines[0])
    start = lines[0].index(header)
    after = names.index(header) + 1
    end = lines[0].index(names[after]) if after < len(names) else None
    row = next(i for i, line in enumerate(lines) if line[start:end].strip().startswith(first))
    parts = [lines[row][start:end].strip()]
    for line in lines[row + 1:]:
        if line[:start].strip():
            break
        parts.append(line[start:end].strip())
    return "".join(parts)


def check_fits(out: str, width: int) -> None:
    lines = out.splitlines()
    assert lines, out
    too_wide = [line for line in lines if len(line) > width]
    assert not too_wide, f"{len(too_wide)} line(s) wider than {width}:\n" + "\n".join(too_wide)
    header = next(line for line in lines if line.startswith("ID "))
    assert set(KEY_HEADERS) <= set(headers(header)), header
    text = " ".join(lines)
    for n in range(1, 6):
        assert f"10.20.0.{n} " in text + " " and f"00:1b:54:00:00:{n:02x}" in text and f"ws-{n}" in text
    assert "undocumented" in text
    assert "10.20.0.78" in text and "10.20.0.79" in text          # both IPs of one asset


@pytest.mark.parametrize("width", [80, 120])
def test_assets_list_fits_the_terminal_and_keeps_key_columns(sqlite_url, terminal, width):
    fill(sqlite_url)
    vendor_model(sqlite_url)
    terminal(width)
    res = CliRunner().invoke(main, ["--db", sqlite_url, "assets", "list"])
    assert res.exit_code == 0, res.output
    check_fits(res.output, width)
    assert "Hewlett" in res.output and "Enterprise" in res.output
    assert "more column(s) hidden" in res.output
    # the long hostname and vendor wrap at dots, hyphens and spaces instead of being cut
    assert column_text(res.output, "HOSTNAME", "build-") == LONG_HOST
    assert column_text(res.output, "VENDOR", "Hewlett").replace(" ", "") == "HewlettPackardEnterprise"
    assert "…" not in res.output


def test_wider_terminal_shows_more_columns(sqlite_url, terminal):
    fill(sqlite_url)
    vendor_model(sqlite_url)
    shown = {}
    for width in (80, 120, 200):
        terminal(width)
        out = CliRunner().invoke(main, ["--db", sqlite_url, "assets", "list"]).output
        header = out.splitlines()[0]
        shown[width] = headers(header)
    assert set(KEY_HEADERS) <= set(shown[80])
    assert len(shown[80]) < len(shown[120]) <= len(shown[200])


def test_piped_assets_list_has_every_column_untruncated(sqlite_url):
    fill(sqlite_url)
    vendor_model(sqlite_url)
    res = CliRunner().invoke(main, ["--db", sqlite_url, "assets", "list"], env={"COLUMNS": "80"})
    assert res.exit_code == 0
    lines = res.output.splitlines()
    header = lines[0]
    assert headers(header) == HEADERS
    assert "hidden" not in res.output and "…" not in res.output
    assert len(lines) == 1 + 7                                      # one line per asset
    assert any(LONG_HOST in line and "ProLiant DL380 Gen10" in line for line in lines)
    assert any("10.20.0.78" in line and "10.20.0.79" in line for line in lines)
    assert any("2026-03-01 09:30" in line and "arp" in line for line in lines)


@pytest.mark.parametrize("width", [80, 120])
def test_scan_table_fits_the_terminal(sqlite_url, terminal, monkeypatch, width):
    class FakeSweep:
        def __init__(self, request, progress=None, scope=None):
            self.request = request

        def finish(self, sessions):
            return fake_sweep(sessions, self.request)

    def fake_sweep(sessions, request):
        with write_session(sessions) as s:
            scan_id = start_scan(s, targets=request.targets, methods=request.methods)
        reconcile(sessions, observations(), scan_id=scan_id, now=SEEN, fingerprinter=fingerprint)
        with write_session(sessions) as s:
            finish_scan(s, scan_id, status="completed", counts={"new": 7})
        return SweepResult(scan_id=scan_id, status="completed", counts={"new": 7}, duration_s=1.0)

    monkeypatch.setattr("netdiscover.services.sweeps.start_sweep", FakeSweep)
    terminal(width)
    res = CliRunner().invoke(main, ["--db", sqlite_url, "scan", "10.20.0.0/24", "-m", "arp"])
    assert res.exit_code == 0, res.output
    assert "7 devices" in res.output and "new: 7" in res.output
    body = res.output.split("\n", 1)[1]
    check_fits(body, width)
    monkeypatch.setattr("netdiscover.commands.assets.on_terminal", lambda: False)
    res = CliRunner().invoke(main, ["--db", sqlite_url, "scan", "10.20.0.0/24", "-m", "arp"])
    assert LONG_HOST in res.output and headers(res.output.splitlines()[1]) == HEADERS
