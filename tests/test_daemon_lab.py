"""The daemon as a real process inside the lab's scanner namespace, sweeping with the ARP scanner.

Covers: sweeps on schedule without overlap, SIGHUP reload (good and broken file), SIGTERM in
the middle of a sweep leaving the database consistent, a database outage survived (SQLite
locked by another writer; PostgreSQL refusing connections), --once exit codes, and a broken
settings file failing with its line.
"""

from __future__ import annotations

import itertools
import json
import os
import shutil
import signal
import sqlite3
import subprocess
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import create_engine, func, select, text

from netdiscover.storage.engine import normalise_url, open_database
from netdiscover.storage.models import Asset, AssetEvent, Interface, ObservationRecord, Scan
from netdiscover_lab.arp_lab import small_lab
from netdiscover_lab.daemon_lab import (
    DAEMON_CMD,
    ChurnHost,
    DaemonProcess,
    postgres_socket,
    settings_text,
    terminate,
)

pytestmark = pytest.mark.lab

HOSTS = {"10.20.0.10": "00:1b:21:00:00:10", "10.20.0.11": "3c:d9:2b:00:00:11",
         "10.20.0.12": "00:1e:c9:00:00:12"}


def build(lab, tmp_path: Path) -> DaemonProcess:
    net = small_lab(lab)
    for i, (ip, mac) in enumerate(HOSTS.items()):
        net.add_host(f"h{i}", ip, mac)
    return DaemonProcess(lab, net.scanner.ns, tmp_path / "daemon")


def lan(name: str = "lan", every: str = "2s", **extra) -> dict:
    return {"name": name, "targets": ["10.20.0.0/27"], "methods": ["arp"], "interface": "eth0",
            "every": every, "jitter": "0s", **extra}


DAEMON = {"log_format": "json", "stop_timeout": "15s", "db_retry_max": "2s"}


def finished(d: DaemonProcess, sweep: str | None = None, status: str | None = None) -> list[dict]:
    return [e for e in d.events("sweep.finished")
            if (sweep is None or e["sweep"] == sweep) and (status is None or e["status"] == status)]


def check_consistent(sessions, lab_macs: dict[str, str]) -> list[Scan]:
    """No running scans, no half-written sweeps, no duplicate devices; returns the scans."""
    with sessions() as s:
        scans = list(s.scalars(select(Scan).order_by(Scan.id)))
        assert scans and all(sc.status in ("completed", "aborted") for sc in scans), \
            [(sc.id, sc.status, sc.error) for sc in scans]
        for sc in scans:
            if sc.status == "aborted":
                assert s.scalar(select(func.count()).select_from(ObservationRecord)
                                .where(ObservationRecord.scan_id == sc.id)) == 0
                assert s.scalar(select(func.count()).select_from(AssetEvent)
                                .where(AssetEvent.scan_id == sc.id)) == 0
        macs = [row.mac for row in s.scalars(select(Interface))]
        assert len(macs) == len(set(macs)), "a MAC sits on two assets"
        assert sorted(macs) == sorted(lab_macs.values())
        assert s.scalar(select(func.count()).select_from(Asset)) == len(lab_macs)
    return scans


def test_schedule_reload_and_sigterm_mid_sweep(lab, tmp_path):
    d = build(lab, tmp_path)
    db = f"sqlite:///{tmp_path}/nd.db"
    state = tmp_path / "state.json"
    d.write_settings(settings_text(db, [lan()], {**DAEMON, "state": str(state)}))
    d.start()
    d.wait_for(lambda: len(finished(d, "lan", "completed")) >= 2, 30, "two completed sweeps")

    # SIGHUP with a good file: a second sweep joins the schedule
    d.write_settings(settings_text(db, [lan(), lan("one", targets=["10.20.0.10"])],
                                   {**DAEMON, "state": str(state)}))
    d.signal(signal.SIGHUP)
    d.wait_for(lambda: d.events("settings.reloaded"), 10, "reload")
    assert d.events("settings.reloaded")[0]["added"] == ["one"]
    d.wait_for(lambda: finished(d, "one", "completed"), 20, "the new sweep to run")

    # SIGHUP with a broken file: the error names the line, the old schedule keeps running
    broken = settings_text(db, [lan(), lan("one", every="2 seconds")], {**DAEMON, "state": str(state)})
    d.write_settings(broken)
    bad_line = next(i for i, line in enumerate(broken.splitlines(), 1) if "2 seconds" in line)
    d.signal(signal.SIGHUP)
    failed = d.wait_for(lambda: d.events("settings.reload_failed"), 10, "reload failure")
    assert failed[0]["error"].startswith(f"{d.config}:{bad_line}:")
    assert failed[0]["level"] == "error"
    seen = len(finished(d, "one"))
    d.wait_for(lambda: len(finished(d, "one")) > seen, 20, "the old schedule to go on")

    # SIGTERM while a sweep runs
    def mid_sweep():
        started = {e["run"] for e in d.events("sweep.started")}
        done = {e["run"] for e in d.events("sweep.finished")}
        return started - done

    d.wait_for(mid_sweep, 20, "a sweep in progress")
    d.signal(signal.SIGTERM)
    assert d.wait(20) == 0
    assert d.events("daemon.stopping"), "the signal should have arrived during a sweep"

    sessions = open_database(db)
    scans = check_consistent(sessions, HOSTS)
    lan_scans = [sc for sc in scans if sc.sweep_name == "lan"]
    # on schedule: starts about 2 s apart (or straight after an overrun), never overlapping
    for a, b in itertools.pairwise(lan_scans):
        assert b.started_at >= a.finished_at, (a.id, b.id)
        gap = (b.started_at - a.started_at).total_seconds()
        assert gap >= 1.9 or gap >= (a.finished_at - a.started_at).total_seconds(), gap
    assert all(sc.started_by.startswith("daemon@") for sc in scans)

    # status reads the same story from the scans table
    d.write_settings(settings_text(db, [lan(), lan("one", targets=["10.20.0.10"])],
                                   {**DAEMON, "state": str(state)}))
    out = subprocess.run([*DAEMON_CMD, "status", "--config", str(d.config), "--format", "json"],
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    rows = {r["sweep"]: r for r in json.loads(out.stdout)["sweeps"]}
    assert rows["lan"]["last_status"] in ("completed", "aborted") and rows["lan"]["schedule"] == "every 2s"
    assert rows["lan"]["last_completed_run"] is not None


def test_sqlite_locked_by_another_writer_is_survived(lab, tmp_path):
    d = build(lab, tmp_path)
    db_file = tmp_path / "nd.db"
    d.write_settings(settings_text(f"sqlite:///{db_file}", [lan()], DAEMON))
    d.start()
    d.wait_for(lambda: finished(d, "lan", "completed"), 30, "a first sweep")
    holder = sqlite3.connect(db_file, timeout=30, isolation_level=None)
    try:
        holder.execute("BEGIN EXCLUSIVE")
        held_from = time.monotonic()
        time.sleep(5)                      # two or three scheduled starts fall inside the lock
        assert d.alive()
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    held = time.monotonic() - held_from
    count = len(finished(d, "lan", "completed"))
    d.wait_for(lambda: len(finished(d, "lan", "completed")) >= count + 2, 30, "sweeps after the lock")
    assert terminate(d) == 0
    scans = check_consistent(open_database(f"sqlite:///{db_file}"), HOSTS)
    longest = max((sc.finished_at - sc.started_at).total_seconds() for sc in scans)
    assert held >= 5 and len(scans) >= 3 and longest < 60
    # the run that met the lock waited for it (no pile of runs behind it), then completed
    assert any(e["duration_s"] >= 3 for e in finished(d, "lan", "completed"))
    assert not d.events("sweep.crashed")


@pytest.fixture
def pg_socket_url(pg_url, tmp_path):
    """The test database reached through a Unix socket, so a process in a namespace can use it."""
    if shutil.which("socat") is None:
        pytest.skip("socat is not installed")
    with postgres_socket(pg_url, tmp_path / "pgsock") as url:
        yield url, normalise_url(pg_url)


def test_postgresql_refusing_connections_is_retried(lab, tmp_path, pg_socket_url):
    socket_url, direct = pg_socket_url
    name = direct.database
    d = build(lab, tmp_path)
    d.write_settings(settings_text(socket_url, [lan()], DAEMON))
    d.start()
    d.wait_for(lambda: finished(d, "lan", "completed"), 40, "a first sweep")
    admin = create_engine(direct.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS false'))
            conn.execute(text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                              "WHERE datname = :n AND pid <> pg_backend_pid()"), {"n": name})
        d.wait_for(lambda: len(d.events("db.unavailable")) >= 2, 30, "the outage to be noticed")
        assert d.alive()
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS true'))
    d.wait_for(lambda: d.events("db.recovered"), 40, "recovery")
    count = len(finished(d, "lan", "completed"))
    d.wait_for(lambda: len(finished(d, "lan", "completed")) >= count + 1, 30, "sweeps after the outage")
    delays = [e["retry_in_s"] for e in d.events("db.unavailable")]
    assert delays == sorted(delays) and max(delays) <= 2.0
    assert terminate(d) == 0
    admin.dispose()
    sessions = open_database(direct.render_as_string(False))
    with sessions() as s:
        statuses = [sc.status for sc in s.scalars(select(Scan))]
        macs = list(s.scalars(select(Interface.mac)))
    assert "running" not in statuses and statuses.count("completed") >= 2
    assert sorted(macs) == sorted(HOSTS.values())


def test_once_and_broken_settings(lab, tmp_path):
    d = build(lab, tmp_path)
    db = f"sqlite:///{tmp_path}/nd.db"
    d.write_settings(settings_text(db, [lan(), lan("dead", interface="nope0")], DAEMON))
    res = d.run_once()
    assert res.returncode == 1, res.stderr[-2000:]          # the sweep on a missing interface failed
    sessions = open_database(db)
    with sessions() as s:
        by_name = {sc.sweep_name: sc for sc in s.scalars(select(Scan))}
        assert by_name["lan"].status == "completed" and by_name["dead"].status == "failed"
        assert sorted(s.scalars(select(Interface.mac))) == sorted(HOSTS.values())

    d.write_settings(settings_text(db, [lan()], DAEMON))
    res = d.run_once()
    assert res.returncode == 0, res.stderr[-2000:]

    text_ = settings_text(db, [lan(window="22:00-26:00")], DAEMON)
    d.write_settings(text_)
    line = next(i for i, row in enumerate(text_.splitlines(), 1) if "26:00" in row)
    res = d.lab.run(d.ns, [*DAEMON_CMD, "daemon", "--config", str(d.config)], check=False, timeout=60)
    assert res.returncode == 2
    assert res.stderr.strip().splitlines() == [res.stderr.strip()]       # one line
    assert f"{d.config}:{line}:" in res.stderr and "window" in res.stderr and "Traceback" not in res.stderr
    assert os.path.exists(d.config)


def test_powered_off_host_disappears_only_after_the_grace(lab, tmp_path):
    """ARP sweeps every 2 s; grace: 2 missed sweeps and 5 s unseen. One host is switched off."""
    net = small_lab(lab)
    hosts = {ip: net.add_host(f"h{i}", ip, mac) for i, (ip, mac) in enumerate(HOSTS.items())}
    d = DaemonProcess(lab, net.scanner.ns, tmp_path / "daemon")
    db = f"sqlite:///{tmp_path}/nd.db"
    d.write_settings(settings_text(db, [lan()], {**DAEMON, "disappear_after_misses": 2,
                                                 "disappear_after": "5s"}))
    d.start()
    d.wait_for(lambda: finished(d, "lan", "completed"), 30, "a first sweep")
    off_at = datetime.now(UTC)
    ChurnHost(lab, hosts["10.20.0.11"]).disappear()
    sessions = open_database(db)

    def gone():
        with sessions() as s:
            return s.scalars(select(AssetEvent).where(AssetEvent.kind == "disappeared")).all()

    [event] = d.wait_for(gone, 60, "the switched-off host to be marked disappeared")
    assert terminate(d) == 0
    with sessions() as s:
        off = s.scalar(select(Asset).join(Interface).where(Interface.mac == HOSTS["10.20.0.11"]))
        assert event.asset_id == off.id and not off.present
        assert all(a.present for a in s.scalars(select(Asset).where(Asset.id != off.id)))
        scans = s.scalars(select(Scan).where(Scan.status == "completed", Scan.id <= event.scan_id))
        missed = [sc for sc in scans if sc.started_at >= off_at]     # read back timezone-aware
        last_seen = off.last_seen
    assert event.new["method"] == "arp" and event.new["scan_id"] == event.scan_id
    assert len(missed) >= 2 and event.new["missed_sweeps"] >= 2      # not at the first silent sweep
    assert event.at - last_seen >= timedelta(seconds=5)
