"""The scheduler in-process: timing, no overlap, catch-up after downtime, reload, crashes, DB outage.

The sweep runner here is a stand-in that writes real scan rows (the daemon's history lives in
the scans table); the real sweep over a real network is in test_daemon_lab.py.
"""

from __future__ import annotations

import itertools
import logging
import sqlite3
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from in_session import in_session

from netdiscover.config import load_settings
from netdiscover.daemon.runner import Daemon, EventFormatter
from netdiscover.services.sweep_history import sweep_history
from netdiscover.services.sweeps import SweepResult
from netdiscover.storage import engine as engine_mod
from netdiscover.storage.engine import open_database, write_session
from netdiscover.storage.models import Scan
from netdiscover.storage.scans import finish_scan, start_scan


class FakeRunner:
    """Writes a scans row like the real sweep, waits ``delay`` (abortable), records concurrency."""

    def __init__(self, delay: float = 0.0, crash_for: set[str] = frozenset()) -> None:
        self.delay = delay
        self.crash_for = set(crash_for)
        self.starts: list[tuple[str, float]] = []
        self.active: dict[str, int] = {}
        self.max_active: dict[str, int] = {}
        self.lock = threading.Lock()

    def __call__(self, sessions, request, progress=None, should_stop=None):
        name = request.sweep_name
        with self.lock:
            self.starts.append((name, time.monotonic()))
            self.active[name] = self.active.get(name, 0) + 1
            self.max_active[name] = max(self.max_active.get(name, 0), self.active[name])
        try:
            if name in self.crash_for:
                raise RuntimeError("scanner exploded")
            with write_session(sessions) as s:
                scan_id = start_scan(s, targets=request.targets, methods=request.methods,
                                                sweep_name=name, started_by=request.started_by)
            status = "completed"
            end = time.monotonic() + self.delay
            while time.monotonic() < end:
                if should_stop and should_stop():
                    status = "aborted"
                    break
                time.sleep(0.02)
            with write_session(sessions) as s:
                finish_scan(s, scan_id, status=status, counts={"devices": 1})
            return SweepResult(scan_id=scan_id, status=status, counts={"devices": 1})
        finally:
            with self.lock:
                self.active[name] -= 1

    def count(self, name: str) -> int:
        return sum(1 for n, _ in self.starts if n == name)


def settings_file(tmp_path: Path, sweeps: str, extra: str = "") -> Path:
    path = tmp_path / "nd.toml"
    path.write_text(f'[database]\nurl = "sqlite:///{tmp_path}/nd.db"\n'
                    f'[daemon]\nstop_timeout = "10s"\nstate = "state.json"\n{extra}\n{sweeps}')
    return path


SWEEP = ('[[sweep]]\nname = "{name}"\ntargets = ["10.77.0.0/29"]\nmethods = ["arp"]\n'
         'every = "{every}"\njitter = "0s"\n')


def sweep(name: str, every: str = "1s") -> str:
    return SWEEP.format(name=name, every=every)


class Running:
    """A daemon running in a background thread (no signal handlers: we call its control methods)."""

    def __init__(self, path: Path, runner, **kw) -> None:
        self.daemon = Daemon(load_settings(path), config_path=str(path), runner=runner, **kw)
        self.code: int | None = None
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        self.code = self.daemon.run(install_signals=False)

    def __enter__(self) -> Running:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.daemon.request_stop()
        self.thread.join(15)
        assert not self.thread.is_alive()


def wait_for(check, timeout: float = 10.0) -> bool:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if check():
            return True
        time.sleep(0.05)
    return False


def test_sweeps_run_on_schedule(tmp_path, events):
    path = settings_file(tmp_path, sweep("fast", "1s") + sweep("slow", "1h"))
    runner = FakeRunner()
    with Running(path, runner):
        time.sleep(3.6)
    fast = [t for n, t in runner.starts if n == "fast"]
    assert 3 <= len(fast) <= 5, fast
    gaps = [b - a for a, b in itertools.pairwise(fast)]
    assert all(g >= 0.9 for g in gaps), gaps
    assert runner.count("slow") == 1                     # first run at start, next in an hour
    finished = events.named("sweep.finished")
    assert all(f["run"].startswith(f["sweep"] + "-") and f["scan_id"] for f in finished)
    sessions = open_database(f"sqlite:///{tmp_path}/nd.db")
    history = in_session(sessions, sweep_history)
    assert history["fast"]["status"] == "completed" and history["slow"]["status"] == "completed"


def test_overrun_is_logged_and_runs_never_overlap(tmp_path, events):
    path = settings_file(tmp_path, sweep("long", "1s"))
    runner = FakeRunner(delay=2.2)
    with Running(path, runner):
        assert wait_for(lambda: runner.count("long") >= 2, 8)
    assert runner.max_active["long"] == 1
    over = events.named("sweep.overrun")
    assert over and over[0]["missed_starts"] >= 2


def test_downtime_catch_up_runs_once_and_recent_runs_are_respected(tmp_path, events):
    path = settings_file(tmp_path, sweep("missed", "10m") + sweep("recent", "1h"))
    sessions = open_database(f"sqlite:///{tmp_path}/nd.db")
    now = datetime.now(UTC)
    with sessions.begin() as s:
        for name, ago in (("missed", timedelta(hours=2)), ("recent", timedelta(minutes=5))):
            scan_id = start_scan(s, targets=["10.77.0.0/29"], methods=["arp"], sweep_name=name,
                                            started_at=now - ago)
            finish_scan(s, scan_id, status="completed")
    runner = FakeRunner()
    with Running(path, runner) as running:
        assert wait_for(lambda: runner.count("missed") == 1)
        time.sleep(1.5)
        snap = running.daemon.snapshot()
    assert runner.count("missed") == 1 and runner.count("recent") == 0
    catch = events.named("sweep.catch_up")
    assert catch and catch[0]["sweep"] == "missed" and catch[0]["missed_starts"] == 11
    nxt = datetime.fromisoformat(snap["sweeps"]["recent"]["next_run"])
    assert timedelta(minutes=50) < nxt - now < timedelta(minutes=60)


def test_stale_running_rows_of_a_dead_daemon_are_closed(tmp_path, events):
    path = settings_file(tmp_path, sweep("lan", "1h"))
    sessions = open_database(f"sqlite:///{tmp_path}/nd.db")
    runner = FakeRunner()
    probe = Daemon(load_settings(path), runner=runner)
    with sessions.begin() as s:
        stale = start_scan(s, targets=["x"], methods=["arp"], sweep_name="lan",
                                      started_by=probe.started_by)
    with Running(path, runner):
        assert wait_for(lambda: runner.count("lan") == 1)
    with sessions() as s:
        row = s.get(Scan, stale)
        assert row.status == "aborted" and "daemon stopped" in row.error
    assert events.named("scan.closed_stale")[0]["scan_id"] == stale


def test_reload_good_and_broken_file(tmp_path, events):
    path = settings_file(tmp_path, sweep("a", "1h"))
    runner = FakeRunner()
    with Running(path, runner) as running:
        assert wait_for(lambda: runner.count("a") == 1)
        path.write_text(path.read_text() + sweep("b", "1s"))
        running.daemon.request_reload()
        assert wait_for(lambda: runner.count("b") >= 2)
        reloaded = events.named("settings.reloaded")
        assert reloaded and reloaded[-1]["added"] == ["b"]
        good = path.read_text()
        path.write_text(good.replace('every = "1s"', 'every = "1 sec"'))
        running.daemon.request_reload()
        assert wait_for(lambda: events.named("settings.reload_failed"))
        before = runner.count("b")
        time.sleep(2.2)
        assert runner.count("b") >= before + 1          # the old schedule keeps running
        assert runner.count("a") == 1
    failed = events.named("settings.reload_failed")[0]
    assert f"{path}:" in failed["error"] and "cannot read '1 sec' as a duration" in failed["error"]


def test_a_crashing_sweep_fails_alone(tmp_path, events):
    path = settings_file(tmp_path, sweep("bad", "1s") + sweep("good", "1s"))
    runner = FakeRunner(crash_for={"bad"})
    with Running(path, runner):
        assert wait_for(lambda: runner.count("good") >= 3 and runner.count("bad") >= 2)
    crashed = events.named("sweep.crashed")
    assert crashed and crashed[0]["sweep"] == "bad" and "scanner exploded" in crashed[0]["error"]


def test_stop_aborts_the_running_sweep(tmp_path, events):
    path = settings_file(tmp_path, sweep("long", "1h"))
    runner = FakeRunner(delay=30)
    running = Running(path, runner)
    with running:
        assert wait_for(lambda: runner.count("long") == 1)
        time.sleep(0.3)
        started = time.monotonic()
    assert time.monotonic() - started < 5
    assert running.code == 0
    sessions = open_database(f"sqlite:///{tmp_path}/nd.db")
    assert in_session(sessions, sweep_history)["long"]["status"] == "aborted"


def test_database_locked_then_back(tmp_path, events, monkeypatch):
    monkeypatch.setattr(engine_mod, "BUSY_TIMEOUT_S", 0.3)
    path = settings_file(tmp_path, sweep("lan", "1s"), extra='db_retry_max = "1s"')
    runner = FakeRunner()
    with Running(path, runner) as running:
        assert wait_for(lambda: runner.count("lan") >= 1)
        holder = sqlite3.connect(tmp_path / "nd.db", timeout=5, isolation_level=None)
        holder.execute("BEGIN EXCLUSIVE")
        holder.execute("CREATE TABLE IF NOT EXISTS lock_probe(x)")
        assert wait_for(lambda: len(events.named("db.unavailable")) >= 2, 10)
        holder.execute("ROLLBACK")
        holder.close()
        done = len(events.named("sweep.finished"))
        assert wait_for(lambda: sum(f["status"] == "completed" for f in events.named("sweep.finished")[done:])
                        >= 2, 15)
        assert running.thread.is_alive()
    down = events.named("db.unavailable")
    delays = [d["retry_in_s"] for d in down]
    assert delays[0] < delays[1] or delays[0] == 1.0     # backoff grows up to its cap


def test_once_mode_exit_code(tmp_path):
    path = settings_file(tmp_path, sweep("ok", "1h") + sweep("bad", "1h"))
    d = Daemon(load_settings(path), config_path=str(path), runner=FakeRunner(crash_for={"bad"}))
    assert d.run(once=True, install_signals=False) == 1
    d = Daemon(load_settings(path), config_path=str(path), runner=FakeRunner())
    assert d.run(once=True, install_signals=False) == 0


def test_event_lines_are_single_lines():
    rec = logging.LogRecord("netdiscover.daemon", logging.ERROR, __file__, 1, "sweep.finished", None, None)
    rec.event = "sweep.finished"
    rec.fields = {"sweep": "office lan", "messages": ["a\nb"], "scan_id": 3}
    text = EventFormatter().format(rec)
    assert "\n" not in text and 'sweep="office lan"' in text and "scan_id=3" in text
    import json

    data = json.loads(EventFormatter(json_lines=True).format(rec))
    assert data["event"] == "sweep.finished" and data["scan_id"] == 3 and data["level"] == "error"


def test_on_stop_finish_lets_the_sweep_end_and_a_second_stop_aborts(tmp_path, events):
    path = settings_file(tmp_path, sweep("long", "1h"), extra='on_stop = "finish"')
    runner = FakeRunner(delay=1.5)
    with Running(path, runner):
        assert wait_for(lambda: runner.count("long") == 1)
    sessions = open_database(f"sqlite:///{tmp_path}/nd.db")
    assert in_session(sessions, sweep_history)["long"]["status"] == "completed"

    path = settings_file(tmp_path, sweep("again", "1h"), extra='on_stop = "finish"')
    runner = FakeRunner(delay=30)
    running = Running(path, runner)
    running.thread.start()
    assert wait_for(lambda: runner.count("again") == 1)
    running.daemon.request_stop()
    time.sleep(0.5)
    assert running.thread.is_alive()                 # still finishing
    running.daemon.request_stop()                    # impatient: abort now
    running.thread.join(10)
    assert not running.thread.is_alive()
    assert in_session(sessions, sweep_history)["again"]["status"] == "aborted"


def test_database_down_at_start_is_retried_with_backoff(tmp_path, events, monkeypatch):
    from netdiscover.daemon import runner as daemon_mod
    from netdiscover.storage.engine import DatabaseError

    monkeypatch.setattr(daemon_mod, "DB_RETRY_FIRST", 0.2)
    path = settings_file(tmp_path, sweep("lan", "1h"))
    attempts = []

    def flaky_open(url):
        attempts.append(time.monotonic())
        if len(attempts) <= 3:
            raise DatabaseError("cannot open database: connection refused")
        return open_database(url)

    runner = FakeRunner()
    with Running(path, runner, open_db=flaky_open):
        assert wait_for(lambda: runner.count("lan") == 1, 10)
    gaps = [b - a for a, b in itertools.pairwise(attempts)]
    assert len(attempts) == 4 and gaps[0] >= 0.19 and gaps[1] >= 0.39 and gaps[2] >= 0.79
    assert [e["retry_in_s"] for e in events.named("db.unavailable")] == [0.2, 0.4, 0.8]
    assert events.named("db.recovered")[0]["after_failures"] == 3

    def never(url):
        raise DatabaseError("cannot open database: connection refused")

    d = Daemon(load_settings(path), config_path=str(path), runner=FakeRunner(), open_db=never)
    assert d.run(once=True, install_signals=False) == 1


def test_alerts_are_dispatched_after_each_good_sweep(tmp_path, events, monkeypatch):
    from netdiscover.daemon import alerts

    calls = []
    monkeypatch.setattr(alerts, "dispatch",
                        lambda settings, sessions, result: calls.append((settings, result.status)) or
                        ["webhook: sent new_undocumented asset 1"])
    path = settings_file(tmp_path, sweep("lan", "1h"), extra="")
    path.write_text(path.read_text() + '\n[alerts]\nevents = ["new_undocumented"]\n')
    with Running(path, FakeRunner()):
        assert wait_for(lambda: calls)
    assert calls == [({"events": ["new_undocumented"]}, "completed")]
    assert events.named("alert")[0]["detail"] == "webhook: sent new_undocumented asset 1"
