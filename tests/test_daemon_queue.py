"""The daemon works the web's sweep queue and runs [[listen]] listeners (fakes, loopback-free, SQLite)."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime

from sqlalchemy import select
from test_daemon import FakeRunner, Running, settings_file, sweep, wait_for

from netdiscover.config import load_settings
from netdiscover.daemon.runner import Daemon
from netdiscover.observation import Observation
from netdiscover.services.sweep_requests import queue_sweep
from netdiscover.storage.auth_models import SweepRequest
from netdiscover.storage.engine import open_database
from netdiscover.storage.models import Asset, Scan

POLL = 'request_poll = "0.2s"'


def queue(sessions, targets, methods=("arp",), profile=None) -> int:
    with sessions.begin() as s:
        return queue_sweep(s, list(targets), list(methods), profile, None, "alice")["id"]


def request_row(sessions, request_id):
    with sessions() as s:
        row = s.get(SweepRequest, request_id)
        return row.status, row.scan_id, row.error


def test_queued_requests_run_one_at_a_time_and_record_outcome(tmp_path, events):
    path = settings_file(tmp_path, sweep("lan", "1h"), extra=POLL)
    sessions = open_database(f"sqlite:///{tmp_path}/nd.db")
    runner = FakeRunner(delay=0.4)
    with Running(path, runner):
        assert wait_for(lambda: runner.count("lan") == 1)
        first = queue(sessions, ["10.77.1.0/29"])
        second = queue(sessions, ["10.77.2.0/29"], methods=["arp", "nmap"], profile="standard")
        assert wait_for(lambda: request_row(sessions, second)[0] == "done", 10)
    assert runner.count(None) == 2 and runner.max_active[None] == 1
    status, scan_id, error = request_row(sessions, first)
    assert status == "done" and scan_id and error is None
    with sessions() as s:
        assert s.get(Scan, scan_id).targets == ["10.77.1.0/29"]
    finished = events.named("request.finished")
    assert [f["request"] for f in finished] == [first, second]
    assert all(f["status"] == "done" and f["scan_id"] for f in finished)


def test_request_never_overlaps_a_running_sweep(tmp_path, events):
    path = settings_file(tmp_path, sweep("long", "1h"), extra=POLL)
    sessions = open_database(f"sqlite:///{tmp_path}/nd.db")
    request_id = queue(sessions, ["10.77.3.0/29"])
    runner = FakeRunner(delay=1.5)
    with Running(path, runner):
        assert wait_for(lambda: request_row(sessions, request_id)[0] == "done", 10)
    starts = dict((n, t) for n, t in runner.starts)
    # the request waited for the scheduled sweep, which started first, to end
    assert starts[None] - starts["long"] >= 1.4


def test_bad_requests_fail_with_reason_and_the_daemon_keeps_going(tmp_path, events):
    path = settings_file(tmp_path, sweep("lan", "1h"), extra=POLL)
    sessions = open_database(f"sqlite:///{tmp_path}/nd.db")
    big = queue(sessions, ["10.0.0.0/8"])          # the web accepts it; the sweep's size limit does not
    now = datetime.now(UTC)
    with sessions.begin() as s:          # rows the web would refuse, written straight to the table
        junk = SweepRequest(requested_by="bob", requested_at=now, targets=["not-an-ip"],
                            methods=["arp"], status="queued")
        method = SweepRequest(requested_by="bob", requested_at=now, targets=["10.77.4.0/30"],
                              methods=["teleport"], status="queued")
        s.add_all([junk, method])
        s.flush()
        ids = [big, junk.id, method.id]
    good = queue(sessions, ["10.77.5.0/30"])
    runner = FakeRunner(crash_for={None})
    with Running(path, runner) as running:
        assert wait_for(lambda: request_row(sessions, good)[0] == "failed", 10)
        assert running.thread.is_alive()
    rows = [request_row(sessions, i) for i in ids]
    assert all(status == "failed" and scan_id is None for status, scan_id, _ in rows)
    assert "too large" in rows[0][2] or "allow" in rows[0][2], rows[0][2]
    assert rows[1][2].startswith("targets:") and rows[2][2].startswith("unknown method 'teleport'")
    assert all("\n" not in e for _, _, e in rows)
    assert request_row(sessions, good)[2] == "RuntimeError: scanner exploded"
    assert runner.count(None) == 1                  # the invalid ones never reached the runner


def test_once_runs_the_queue_after_the_sweeps(tmp_path):
    path = settings_file(tmp_path, sweep("lan", "1h"))
    sessions = open_database(f"sqlite:///{tmp_path}/nd.db")
    ids = [queue(sessions, ["10.77.6.0/30"]), queue(sessions, ["10.77.7.0/30"])]
    runner = FakeRunner()
    d = Daemon(load_settings(path), config_path=str(path), runner=runner)
    assert d.run(once=True, install_signals=False) == 0
    assert [request_row(sessions, i)[0] for i in ids] == ["done", "done"]
    assert runner.count("lan") == 1 and runner.count(None) == 2
    assert runner.starts[0][0] == "lan"


def test_stop_puts_an_aborted_request_back_in_the_queue(tmp_path, events):
    path = settings_file(tmp_path, "", extra=POLL)
    sessions = open_database(f"sqlite:///{tmp_path}/nd.db")
    request_id = queue(sessions, ["10.77.8.0/30"])
    runner = FakeRunner(delay=30)
    with Running(path, runner):
        assert wait_for(lambda: request_row(sessions, request_id)[0] == "running")
        time.sleep(0.2)
        started = time.monotonic()
    assert time.monotonic() - started < 5
    assert request_row(sessions, request_id)[0] == "queued"


class FakeListener:
    """Stands in for the passive listener: hands over one window of sightings, then waits for stop."""

    instances: list[FakeListener] = []

    def __init__(self, interfaces):
        self.interfaces = interfaces
        self.stopped = threading.Event()
        self.closed = False
        FakeListener.instances.append(self)

    def open(self):
        if "missing0" in self.interfaces:
            raise OSError("no such interface missing0")

    def run(self, duration, flush_every=30.0, on_flush=None):
        on_flush([Observation(method="passive", ip="10.77.9.5", mac="02:00:00:00:09:05", hostname="printer")])
        self.stopped.wait(min(duration, 20))
        return type("Stats", (), {"observations": 1})()

    def stop(self):
        self.stopped.set()

    def close(self):
        self.closed = True


def test_listen_sections_run_beside_the_schedule_and_stop_cleanly(tmp_path, events):
    FakeListener.instances.clear()
    listens = ('[[listen]]\ninterfaces = ["veth-a"]\nsite = "hq"\nflush = "5s"\n'
               '[[listen]]\ninterfaces = ["missing0"]\n')
    path = settings_file(tmp_path, sweep("lan", "1h") + listens)
    sessions = open_database(f"sqlite:///{tmp_path}/nd.db")
    runner = FakeRunner()
    running = Running(path, runner, listener_factory=FakeListener)
    with running:
        assert wait_for(lambda: events.named("listen.flushed"))
        assert wait_for(lambda: runner.count("lan") == 1)
    assert running.code == 0
    assert [x.interfaces for x in FakeListener.instances] == [["veth-a"], ["missing0"]]
    assert FakeListener.instances[0].closed and FakeListener.instances[0].stopped.is_set()
    assert "missing0" in events.named("listen.failed")[0]["error"]
    stopped = events.named("listen.stopped")
    assert len(stopped) == 1 and stopped[0]["status"] == "completed"
    with sessions() as s:
        asset = s.scalars(select(Asset).where(Asset.hostname == "printer")).one()
        scan = s.get(Scan, stopped[0]["scan_id"])
        assert scan.methods == ["passive"] and scan.status == "completed"
        assert asset.site == "hq"
