"""`netdiscover status` and the Prometheus metrics, from what the daemon left in the database."""

from __future__ import annotations

import json
import socket
import urllib.request
from datetime import UTC, datetime, timedelta

from click.testing import CliRunner

from netdiscover.cli import main
from netdiscover.daemon.metrics import DaemonMetrics
from netdiscover.services.sweeps import SweepResult
from netdiscover.storage.engine import open_database, write_session
from netdiscover.storage.scans import finish_scan, start_scan


def settings(tmp_path, state: bool = False) -> str:
    path = tmp_path / "nd.toml"
    path.write_text(
        f'[database]\nurl = "sqlite:///{tmp_path}/nd.db"\n'
        + (f'[daemon]\nstate = "{tmp_path}/state.json"\n' if state else "")
        + '[[sweep]]\nname = "lan"\ntargets = ["10.1.0.0/24"]\nevery = "15m"\njitter = "0s"\n'
        + '[[sweep]]\nname = "dc"\ntargets = ["10.2.0.0/24"]\ncron = "0 3 * * *"\nwindow = "22:00-06:00"\n')
    return str(path)


def record(sessions, name: str, status: str, ago: timedelta, error: str | None = None) -> int:
    start = datetime.now(UTC) - ago
    with write_session(sessions) as s:
        scan_id = start_scan(s, targets=["10.1.0.0/24"], methods=["arp"], sweep_name=name,
                                        started_at=start)
        finish_scan(s, scan_id, status=status, counts={"devices": 4}, error=error,
                               finished_at=start + timedelta(seconds=12))
    return scan_id


def test_status_json_and_table(tmp_path, monkeypatch):
    monkeypatch.delenv("NETDISCOVER_DB", raising=False)
    path = settings(tmp_path)
    sessions = open_database(f"sqlite:///{tmp_path}/nd.db")
    record(sessions, "lan", "completed", timedelta(minutes=10))
    last = record(sessions, "lan", "failed", timedelta(minutes=2), error="arp: no such interface eth9")
    record(sessions, "old-sweep", "completed", timedelta(days=3))

    res = CliRunner().invoke(main, ["status", "--config", path, "--format", "json"])
    assert res.exit_code == 0, res.output
    data = json.loads(res.output)
    rows = {r["sweep"]: r for r in data["sweeps"]}
    assert list(rows) == ["lan", "dc", "old-sweep"]
    lan = rows["lan"]
    assert lan["schedule"] == "every 15m" and lan["last_status"] == "failed" and lan["last_scan_id"] == last
    assert lan["last_duration_s"] == 12.0 and "eth9" in lan["last_error"]
    # next run counts from the last run that actually ran (the failed one, 2 minutes ago)
    nxt = datetime.fromisoformat(lan["next_run"])
    assert timedelta(minutes=12) < nxt - datetime.now(UTC) < timedelta(minutes=14)
    assert rows["dc"]["last_status"] is None
    assert rows["dc"]["schedule"] == "cron 0 3 * * *, window 22:00-06:00"
    assert rows["old-sweep"]["state"] == "not configured"
    assert data["daemon"]["running"] is False

    res = CliRunner().invoke(main, ["status", "--config", path])
    assert res.exit_code == 0, res.output
    assert "lan" in res.output and "failed" in res.output and "never ran" in res.output


def test_status_prefers_the_live_daemon_state(tmp_path, monkeypatch):
    import os

    monkeypatch.delenv("NETDISCOVER_DB", raising=False)
    path = settings(tmp_path, state=True)
    open_database(f"sqlite:///{tmp_path}/nd.db")
    (tmp_path / "state.json").write_text(json.dumps({"pid": os.getpid(), "sweeps": {
        "lan": {"next_run": "2030-01-01T00:00:00+00:00", "running_since": None},
        "dc": {"running_since": "2026-01-01T00:00:00+00:00"}}}))
    res = CliRunner().invoke(main, ["status", "--config", path, "--format", "json"])
    rows = {r["sweep"]: r for r in json.loads(res.output)["sweeps"]}
    assert rows["lan"]["next_run"].startswith("2030-01-01") and rows["dc"]["state"] == "running"


def test_status_bad_settings_is_one_line(tmp_path):
    path = tmp_path / "bad.toml"
    path.write_text("[[sweep]]\nname = 'x'\ntargets = ['10.0.0.0/24']\nevery = 'often'\n")
    res = CliRunner().invoke(main, ["status", "--config", str(path)])
    assert res.exit_code == 2 and f"{path}:4:" in res.output and "Traceback" not in res.output


def test_metrics_endpoint():
    metrics = DaemonMetrics()
    result = SweepResult(scan_id=1, status="completed", counts={"devices": 7}, new_undocumented_ids=[3, 4])
    metrics.observe_sweep("lan", "completed", 2.5, result)
    metrics.observe_sweep("lan", "failed", 0.1, None)
    metrics.set_undocumented(5)
    metrics.update_schedule({"database": True, "sweeps": {"lan": {"next_run": "2030-01-01T00:00:00+00:00",
                                                                  "running_since": None}}})
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    metrics.serve(port, "127.0.0.1")
    body = urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5).read().decode()
    assert 'netdiscover_sweep_devices_seen{sweep="lan"} 7.0' in body
    assert 'netdiscover_sweep_runs_total{status="completed",sweep="lan"} 1.0' in body
    assert 'netdiscover_sweep_runs_total{status="failed",sweep="lan"} 1.0' in body
    assert 'netdiscover_sweep_new_undocumented_total{sweep="lan"} 2.0' in body
    assert "netdiscover_undocumented_assets 5.0" in body
    assert 'netdiscover_sweep_duration_seconds_count{sweep="lan"} 2.0' in body
    assert "netdiscover_database_up 1.0" in body
    assert 'netdiscover_sweep_next_run_timestamp_seconds{sweep="lan"} 1.893456e+09' in body
