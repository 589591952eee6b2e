"""The sweep daemon: runs each configured sweep on its schedule, unattended, for months.

One scheduler loop (the main thread) decides what is due; each run happens in a worker thread
so that different sweeps can overlap while one sweep never overlaps itself. The loop sleeps on
a self-pipe that signals and finishing workers write to, so it reacts at once and never works
inside a signal handler.

Rules it keeps:
- a run that overruns its period is logged; the missed starts collapse into one run;
- after downtime each sweep runs once, not once per missed slot (last starts come from the
  scans table, so they survive restarts);
- SIGTERM/SIGINT abort the running sweeps between stages (or let them finish, per settings);
  the sweep never leaves a half-written asset, and the scan row ends "aborted";
- SIGHUP reloads the settings file; a broken file is reported with its line and the old
  schedule stays;
- a database that is down or locked is retried with backoff while the daemon keeps running;
- a failing scanner or sweep fails that run only;
- sweeps queued over the web (``sweep_requests``) run one at a time, only while no scheduled
  sweep runs (services/sweep_requests.py); ``[[listen]]`` tables keep passive listeners running beside
  the schedule (listen.py).
Every event is one log line carrying the sweep name and run id (JSON optional).
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import random
import secrets
import selectors
import signal
import socket
import threading
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from netdiscover.config import Settings, SettingsError, SweepSettings, load_settings
from netdiscover.daemon.listen import ListenerFactory, ListenJob
from netdiscover.daemon.schedule import missed_runs, next_run
from netdiscover.fingerprints.rules import RuleError, load_user_rules
from netdiscover.services.health import database_alive, undocumented_count
from netdiscover.services.sweep_history import close_stale_scans, sweep_history

log = logging.getLogger("netdiscover.daemon")

DB_RETRY_FIRST = 2.0                 # seconds before the first database retry; doubles each time
ONCE_DB_ATTEMPTS = 3                 # --once gives up after this many failed connections
IDLE_TICK = 30.0                     # longest sleep of the loop with nothing due
_DB_ERROR_NAMES = ("OperationalError", "DatabaseError", "InterfaceError", "InternalError",
                   "PendingRollbackError", "DisconnectionError", "TimeoutError")

Runner = Callable[..., Any]          # run_sweep(sessions, request, progress=, should_stop=)


def now_local() -> datetime:
    """The current time, timezone-aware, in the daemon's local zone (windows and cron use it)."""
    return datetime.now().astimezone()


def _iso(value: datetime | None) -> str | None:
    return value.isoformat(timespec="seconds") if value else None


def is_database_error(exc: BaseException) -> bool:
    """True when ``exc`` means the database is down, locked or refusing, not a bug."""
    from sqlalchemy.exc import SQLAlchemyError

    from netdiscover.storage.engine import DatabaseError

    seen: set[int] = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        if isinstance(exc, SQLAlchemyError | DatabaseError):
            return True
        if type(exc).__module__.split(".")[0] in ("sqlite3", "psycopg"):
            return True
        exc = exc.__cause__ or exc.__context__
    return False


def _message_says_database(messages: list[str]) -> bool:
    return any(m.startswith("failed:") and any(name in m for name in _DB_ERROR_NAMES) for m in messages)


def _database_answers(sessions: Any) -> bool:
    with sessions() as session:
        return database_alive(session)


# -- structured logging ---------------------------------------------------------------------------

class EventFormatter(logging.Formatter):
    """One line per record: ``time level event key=value ...`` or one JSON object."""

    def __init__(self, json_lines: bool = False, tracebacks: bool = False) -> None:
        super().__init__()
        self.json_lines = json_lines
        self.tracebacks = tracebacks

    def format(self, record: logging.LogRecord) -> str:
        fields: dict[str, Any] = dict(getattr(record, "fields", None) or {})
        event = getattr(record, "event", None)
        when = datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds")
        if record.exc_info and record.exc_info[0] is not None:
            exc = record.exc_info[1]
            fields.setdefault("error", _one_line(exc))
            if self.tracebacks:
                fields["traceback"] = "".join(traceback.format_exception(*record.exc_info))
        message = record.getMessage()
        if self.json_lines:
            data = {"ts": when, "level": record.levelname.lower(), "logger": record.name}
            if event:
                data["event"] = event
            if message and message != event:
                data["msg"] = message
            data.update(fields)
            return json.dumps(data, default=str, ensure_ascii=False)
        parts = [when, record.levelname, event or record.name]
        if message and message != event:
            parts.append(_quote(message))
        parts.extend(f"{k}={_quote(v)}" for k, v in fields.items())
        return " ".join(parts)


def _one_line(exc: BaseException | None) -> str:
    return (f"{type(exc).__name__}: {exc}".splitlines() or [""])[0][:500]


def _quote(value: Any) -> str:
    if isinstance(value, list | dict):
        value = json.dumps(value, default=str)
    text = str(value).replace("\n", "\\n")
    if not text or any(c in text for c in ' "='):
        return json.dumps(text)
    return text


def configure_logging(log_format: str, verbose: int = 0) -> None:
    """Route every log record through one EventFormatter handler on stderr."""
    root = logging.getLogger()
    for handler in list(root.handlers):
        root.removeHandler(handler)
    handler = logging.StreamHandler()
    handler.setFormatter(EventFormatter(json_lines=log_format == "json", tracebacks=verbose >= 2))
    root.addHandler(handler)
    root.setLevel(logging.DEBUG if verbose >= 2 else logging.INFO)
    # Third-party chatter stays out of the event stream unless asked for.
    for noisy in ("scapy", "alembic", "sqlalchemy", "pysnmp", "asyncio"):
        logging.getLogger(noisy).setLevel(logging.DEBUG if verbose >= 3 else logging.WARNING)


def emit(event: str, level: int = logging.INFO, exc_info: Any = None, **fields: Any) -> None:
    """Log one event with its fields (sweep, run, scan_id, ...)."""
    if isinstance(exc_info, BaseException):
        fields.setdefault("error", _one_line(exc_info))
    log.log(level, event, extra={"event": event, "fields": fields}, exc_info=exc_info)


# -- per-sweep state ------------------------------------------------------------------------------

@dataclass
class ScheduledSweep:
    """What the scheduler knows about one sweep between and during runs."""

    sweep: SweepSettings
    last_start: datetime | None = None
    last_status: str | None = None
    last_scan_id: int | None = None
    last_duration: float | None = None
    next_due: datetime | None = None
    running_since: datetime | None = None
    run_id: str | None = None
    stop: threading.Event = field(default_factory=threading.Event)
    thread: threading.Thread | None = None
    db_failures: int = 0
    runs: int = 0
    retired: bool = False              # removed from the settings; dropped once it finishes

    @property
    def running(self) -> bool:
        return self.running_since is not None


class Daemon:
    """The scheduler. ``run()`` blocks until stopped (or, with ``once``, until every sweep ran)."""

    def __init__(self, settings: Settings, *, config_path: str | None = None, db_url: str | None = None,
                 runner: Runner | None = None, open_db: Callable[[str | None], Any] | None = None,
                 clock: Callable[[], datetime] = now_local, rng: random.Random | None = None,
                 metrics: Any = None, listener_factory: ListenerFactory | None = None) -> None:
        self.settings = settings
        self.config_path = config_path
        self.db_override = db_url
        self.runner = runner
        self.open_db = open_db
        self.clock = clock
        self.rng = rng or random.Random()
        self.metrics = metrics
        self.started_by = f"daemon@{socket.gethostname()}"
        self.booted = datetime.now(UTC)
        self.sessions: Any = None
        self.db_url_in_use: str | None = None
        self.db_failures = 0
        self.db_retry_at = 0.0
        self.history_pending: set[str] = set()
        self.stale_scan_ids: set[int] = set()
        self.states: dict[str, ScheduledSweep] = {}
        self.lock = threading.RLock()
        self.once = False
        self.once_results: dict[str, str] = {}
        self._stop_requests = 0
        self._reload_requested = False
        self._rfd, self._wfd = os.pipe()
        os.set_blocking(self._rfd, False)
        os.set_blocking(self._wfd, False)
        self.listener_factory = listener_factory
        self.listen_jobs: list[ListenJob] = []
        self.listens_started = False
        self.request_thread: threading.Thread | None = None
        self.request_stop_event = threading.Event()
        self.next_request_poll = 0.0
        self.queue_drained = False            # --once: the queue was found empty with nothing running
        self._apply_sweeps(settings.sweeps)

    # -- control (thread- and signal-safe: they only set flags and poke the pipe) -------------
    def request_stop(self) -> None:
        """Stop after the running sweeps end (SIGTERM); a second request aborts them at once."""
        self._stop_requests += 1
        self._poke()

    def request_reload(self) -> None:
        """Reload the settings file at the next loop turn (SIGHUP)."""
        self._reload_requested = True
        self._poke()

    def _poke(self) -> None:
        with contextlib.suppress(BlockingIOError, OSError):
            os.write(self._wfd, b"\0")

    def _on_signal(self, signum: int, _frame: Any) -> None:
        if signum == signal.SIGHUP:
            self.request_reload()
        else:
            self.request_stop()

    # -- database ------------------------------------------------------------------------------
    @property
    def db_url(self) -> str | None:
        return self.db_override or self.settings.database_url

    def _connect(self) -> bool:
        """Open the database unless already open; back off while it is unavailable."""
        if self.sessions is not None:
            return True
        if time.monotonic() < self.db_retry_at:
            return False
        opener = self.open_db
        if opener is None:
            from netdiscover.storage.engine import open_database as opener
        try:
            self.sessions = opener(self.db_url)
        except Exception as exc:
            self._db_down("connect", exc)
            return False
        self.db_url_in_use = self.db_url
        if self.db_failures:
            emit("db.recovered", after_failures=self.db_failures)
        self.db_failures = 0
        self.history_pending = set(self.states)
        emit("db.connected")
        return True

    def _db_down(self, during: str, exc: BaseException | str) -> float:
        self.db_failures += 1
        delay = min(self.settings.daemon.db_retry_max, DB_RETRY_FIRST * 2 ** (self.db_failures - 1))
        self.db_retry_at = time.monotonic() + delay
        error = exc if isinstance(exc, str) else f"{type(exc).__name__}: {exc}"
        emit("db.unavailable", logging.ERROR, during=during, error=error.splitlines()[0][:300],
             attempt=self.db_failures, retry_in_s=round(delay, 1))
        return delay

    def _load_history(self) -> None:
        """Last start and outcome of each sweep from the scans table; close rows left 'running'."""
        names = [n for n in self.history_pending if n in self.states]
        if not names:
            self.history_pending.clear()
            return
        try:
            with self.sessions() as session:
                history = sweep_history(session, names)
            lost = set(self.stale_scan_ids)
            closed = close_stale_scans(self.sessions, names, self.started_by, self.booted, extra_ids=lost)
        except Exception as exc:
            if not is_database_error(exc):
                raise
            self._db_down("history", exc)
            return
        self.stale_scan_ids -= lost
        for scan_id in closed:
            emit("scan.closed_stale", logging.WARNING, scan_id=scan_id,
                 note="left running by a daemon that stopped or lost its database")
        now = self.clock()
        with self.lock:
            for name in names:
                state = self.states[name]
                row = history.get(name)
                if row and not state.running:
                    ran = row.get("last_ran")
                    if ran and (state.last_start is None or ran > state.last_start):
                        state.last_start = ran.astimezone(now.tzinfo)
                    state.last_status = state.last_status or row.get("status")
                    state.last_scan_id = state.last_scan_id or row.get("scan_id")
                if not state.running:
                    self._plan(state, now, quiet=True)
            self.history_pending.difference_update(names)
        self._publish_state()

    # -- scheduling ------------------------------------------------------------------------------
    def _apply_sweeps(self, sweeps: list[SweepSettings]) -> dict[str, list[str]]:
        """Install a sweep list, keeping the history of sweeps that keep their name."""
        changes: dict[str, list[str]] = {"added": [], "removed": [], "changed": []}
        with self.lock:
            wanted = {s.name: s for s in sweeps if s.enabled}
            for name, state in list(self.states.items()):
                if name not in wanted:
                    changes["removed"].append(name)
                    if state.running:
                        state.retired = True
                    else:
                        del self.states[name]
            now = self.clock()
            for name, sweep in wanted.items():
                state = self.states.get(name)
                if state is None:
                    self.states[name] = ScheduledSweep(sweep=sweep)
                    self.history_pending.add(name)
                    changes["added"].append(name)
                    continue
                state.retired = False
                if state.sweep != sweep:
                    changes["changed"].append(name)
                    schedule_changed = state.sweep.schedule != sweep.schedule
                    state.sweep = sweep
                    if schedule_changed and not state.running and name not in self.history_pending:
                        self._plan(state, now, quiet=True)
        return changes

    def _plan(self, state: ScheduledSweep, now: datetime, quiet: bool = False) -> None:
        """Set ``state.next_due`` from its last start; log an overrun when starts were missed."""
        sched = state.sweep.schedule
        if self.once:
            state.next_due = now if state.sweep.name not in self.once_results else None
            return
        missed = missed_runs(sched, state.last_start, now) if not quiet else 0
        state.next_due = next_run(sched, state.last_start, now, self.rng)
        if missed:
            emit("sweep.overrun", logging.WARNING, sweep=state.sweep.name, run=state.run_id,
                 missed_starts=missed, schedule=sched.describe(),
                 note="the run outlasted its period; missed starts are not stacked")

    def _due(self, now: datetime) -> list[ScheduledSweep]:
        if self.request_thread is not None:      # a queued request runs alone
            return []
        with self.lock:
            running = sum(1 for s in self.states.values() if s.running)
            room = self.settings.daemon.max_parallel - running
            ready = [s for s in self.states.values()
                     if not s.running and not s.retired and s.next_due is not None
                     and s.next_due <= now and s.sweep.name not in self.history_pending]
        ready.sort(key=lambda s: s.next_due)
        return ready[:max(0, room)]

    def _seconds_to_next(self, now: datetime) -> float:
        with self.lock:
            dues = [s.next_due for s in self.states.values()
                    if not s.running and s.next_due is not None]
        wait = IDLE_TICK
        if dues:
            wait = min(wait, max(0.0, (min(dues) - now).total_seconds()))
        if self.sessions is None or self.history_pending:
            wait = min(wait, max(0.05, self.db_retry_at - time.monotonic()))
        if self.settings.daemon.request_poll > 0 and self.request_thread is None:
            wait = min(wait, self.next_request_poll - time.monotonic())
        return max(0.05, wait)

    # -- running one sweep -----------------------------------------------------------------------
    def _start(self, state: ScheduledSweep) -> None:
        now = self.clock()
        with self.lock:
            state.run_id = f"{state.sweep.name}-{secrets.token_hex(3)}"
            state.running_since = now
            state.stop.clear()
            state.next_due = None
            if state.last_start is not None:
                late = missed_runs(state.sweep.schedule, state.last_start, now) - 1
                if late > 0 and not self.once:
                    emit("sweep.catch_up", sweep=state.sweep.name, run=state.run_id, missed_starts=late,
                         last_start=_iso(state.last_start),
                         note="starts missed while down or busy collapse into this one run")
            state.last_start = now
        if self._stop_requests:
            state.stop.set()
        thread = threading.Thread(target=self._run_one, args=(state, self.sessions),
                                  name=f"sweep-{state.sweep.name}", daemon=True)
        state.thread = thread
        thread.start()

    def _request(self, sweep: SweepSettings, run_id: str) -> Any:
        from netdiscover.reconcile.absence import Grace
        from netdiscover.services.sweeps import SweepRequest

        options = dict(sweep.options)
        options.setdefault("run_id", run_id)
        return SweepRequest(
            targets=list(sweep.targets), exclude=list(sweep.exclude), methods=list(sweep.methods),
            interface=sweep.interface, rate=sweep.rate, credentials=list(sweep.credentials),
            nmap_profile=sweep.nmap_profile, nmap_args=sweep.nmap_args, sweep_name=sweep.name,
            started_by=self.started_by, options=options,
            grace=Grace(self.settings.daemon.disappear_after_misses, self.settings.daemon.disappear_after),
        )

    def _run_one(self, state: ScheduledSweep, sessions: Any) -> None:
        sweep, run_id = state.sweep, state.run_id
        started = time.monotonic()
        emit("sweep.started", sweep=sweep.name, run=run_id, targets=sweep.targets, methods=sweep.methods)
        status, result, db_trouble = "failed", None, None
        try:
            runner = self.runner
            if sweep.site:         # the site's collector runs it; the central ingest reconciles it
                from netdiscover.workers.dispatch import dispatch_settings_sweep

                result = dispatch_settings_sweep(sessions, self.settings.daemon.broker, sweep)
            else:
                if runner is None:
                    from netdiscover.services.sweeps import run_sweep as runner
                result = runner(sessions, self._request(sweep, run_id), progress=None,
                                should_stop=state.stop.is_set)
            status = result.status
            if status == "failed" and (_message_says_database(result.messages)
                                       or not _database_answers(sessions)):
                db_trouble = next((m for m in result.messages if m.startswith("failed:")),
                                  "database check failed")
                if result.scan_id:
                    self.stale_scan_ids.add(result.scan_id)
        except Exception as exc:
            if is_database_error(exc):
                db_trouble = f"{type(exc).__name__}: {exc}"
            else:
                emit("sweep.crashed", logging.ERROR, exc_info=exc, sweep=sweep.name, run=run_id)
        duration = round(time.monotonic() - started, 3)
        fields: dict[str, Any] = {"sweep": sweep.name, "run": run_id, "status": status,
                                  "duration_s": duration}
        if result is not None:
            fields.update(scan_id=result.scan_id, counts=result.counts)
            if result.messages:
                fields["messages"] = result.messages[:5]
            new = list(getattr(result, "new_undocumented_ids", []) or [])
            if new:
                fields["new_undocumented"] = len(new)
        level = logging.INFO if status in ("completed", "aborted") else logging.WARNING
        emit("sweep.finished", level, **fields)
        if db_trouble:
            with self.lock:
                delay = self._db_down(f"sweep {sweep.name}", db_trouble)
            # Retry the sweep when the database is expected back, or at its normal time if sooner.
            retry_due = self.clock() + timedelta(seconds=delay)
        else:
            retry_due = None
            if result is not None and self.db_failures:
                with self.lock:
                    emit("db.recovered", after_failures=self.db_failures)
                    self.db_failures = 0
            if result is not None and status in ("completed", "partial"):
                self._after_sweep(sweep, result, sessions, duration)
        if self.metrics is not None:
            with contextlib.suppress(Exception):
                self.metrics.observe_sweep(sweep.name, status, duration, result)
        with self.lock:
            state.running_since = None
            state.thread = None
            state.last_status = status
            state.last_duration = duration
            state.runs += 1
            if result is not None and result.scan_id:
                state.last_scan_id = result.scan_id
            if self.once:
                self.once_results[sweep.name] = status
                state.next_due = None
            else:
                now = self.clock()
                self._plan(state, now)
                if retry_due is not None and (state.next_due is None or retry_due < state.next_due):
                    state.next_due = retry_due
            if state.retired:
                self.states.pop(sweep.name, None)
        self._poke()

    def _after_sweep(self, sweep: SweepSettings, result: Any, sessions: Any, duration: float) -> None:
        """Alerts and undocumented-asset metrics; failures here never fail the sweep."""
        try:
            from netdiscover.daemon import alerts
        except ImportError:
            alerts = None
        if alerts is not None and hasattr(alerts, "dispatch"):
            try:
                for line in alerts.dispatch(self.settings.alerts, sessions, result) or []:
                    emit("alert", sweep=sweep.name, scan_id=result.scan_id, detail=line)
            except Exception as exc:
                emit("alerts.failed", logging.ERROR, exc_info=exc, sweep=sweep.name, scan_id=result.scan_id)
        if self.metrics is not None:
            try:
                with sessions() as session:
                    self.metrics.set_undocumented(undocumented_count(session))
            except Exception as exc:
                emit("metrics.failed", logging.WARNING, error=f"{type(exc).__name__}: {exc}")

    # -- sweeps queued over the web -------------------------------------------------------------
    def _poll_requests(self) -> None:
        """Claim and start the oldest queued request when nothing else runs and it is time to look."""
        poll = self.settings.daemon.request_poll
        if self.request_thread is not None or (poll <= 0 and not self.once) or self._stop_requests:
            return
        if not self.once and time.monotonic() < self.next_request_poll:
            return
        with self.lock:
            if any(s.running for s in self.states.values()):
                return
        self.next_request_poll = time.monotonic() + poll
        from netdiscover.services.sweep_requests import claim_next

        try:
            job = claim_next(self.sessions)
        except Exception as exc:
            if not is_database_error(exc):
                raise
            self._db_down("sweep queue", exc)
            return
        if job is None:
            self.queue_drained = True
            return
        self.request_stop_event.clear()
        self.request_thread = threading.Thread(target=self._run_request, args=(job, self.sessions),
                                               name=f"request-{job.id}", daemon=True)
        self.request_thread.start()

    def _run_request(self, job: Any, sessions: Any) -> None:
        from netdiscover.reconcile.absence import Grace
        from netdiscover.scope import ScopeError
        from netdiscover.services.sweep_requests import check_request, finish_request, one_line
        from netdiscover.services.sweeps import SweepRequest

        run_id = f"request-{job.id}-{secrets.token_hex(3)}"
        started = time.monotonic()
        emit("request.started", request=job.id, run=run_id, targets=job.targets, methods=job.methods,
             requested_by=job.requested_by)
        status, scan_id, error = "failed", None, check_request(job)
        if error is None:
            request = SweepRequest(
                targets=list(job.targets), methods=list(job.methods), nmap_profile=job.profile or "quick",
                started_by=f"web request {job.id} ({job.requested_by or 'unknown'})"[:128],
                options={"run_id": run_id},
                grace=Grace(self.settings.daemon.disappear_after_misses,
                            self.settings.daemon.disappear_after))
            runner = self.runner
            if runner is None:
                from netdiscover.services.sweeps import run_sweep as runner
            try:
                result = runner(sessions, request, progress=None, should_stop=self.request_stop_event.is_set)
                scan_id = result.scan_id
                if result.status in ("completed", "partial"):
                    status = "done"
                elif result.status == "aborted" and self._stop_requests:
                    status, error = "queued", None       # run again at the next start
                else:
                    error = next((m for m in result.messages if m.startswith(("failed:", "aborted:"))),
                                 f"sweep {result.status}")
            except ScopeError as exc:
                error = f"targets: {exc}"
            except Exception as exc:
                error = _one_line(exc)
                emit("request.crashed", logging.ERROR, exc_info=exc, request=job.id, run=run_id)
        try:
            finish_request(sessions, job.id, status, scan_id=scan_id, error=error)
        except Exception as exc:
            emit("request.record_failed", logging.ERROR, request=job.id, error=_one_line(exc))
        emit("request.finished", logging.INFO if status != "failed" else logging.WARNING, request=job.id,
             run=run_id, status=status, scan_id=scan_id, duration_s=round(time.monotonic() - started, 3),
             **({"error": one_line(error)} if error else {}))
        self.request_thread = None
        self._poke()

    # -- passive listening ----------------------------------------------------------------------
    def _start_listens(self) -> None:
        self.listens_started = True
        for listen in self.settings.listens:
            job = ListenJob(listen, self.sessions, emit, self.started_by, self.listener_factory)
            if job.start():
                self.listen_jobs.append(job)

    def _stop_listens(self, deadline: float) -> list[str]:
        for job in self.listen_jobs:
            job.stop()
        return [job.name for job in self.listen_jobs if not job.join(max(0.0, deadline - time.monotonic()))]

    # -- reload and state file ---------------------------------------------------------------------
    def _reload(self) -> None:
        self._reload_requested = False
        if not self.config_path:
            emit("settings.reload_skipped", logging.WARNING, note="no settings file to reload")
            return
        try:
            fresh = load_settings(self.config_path)
            load_user_rules(fresh.fingerprint_rules)
        except (SettingsError, RuleError) as exc:
            emit("settings.reload_failed", logging.ERROR, error=str(exc),
                 note="keeping the previous settings and schedule")
            return
        old_db, old_daemon, old_listens = self.db_url, self.settings.daemon, self.settings.listens
        with self.lock:
            self.settings = fresh
            changes = self._apply_sweeps(fresh.sweeps)
        for warning in fresh.warnings:
            emit("settings.warning", logging.WARNING, warning=warning)
        if self.db_url != old_db:
            emit("db.switch", note="database URL changed; reconnecting")
            self.sessions = None
            self.db_retry_at = 0.0
        if (fresh.daemon.metrics_port, fresh.daemon.metrics_address) != (old_daemon.metrics_port,
                                                                       old_daemon.metrics_address):
            emit("settings.restart_needed", logging.WARNING, note="metrics endpoint changes need a restart")
        if fresh.listens != old_listens:
            emit("settings.restart_needed", logging.WARNING, note="[[listen]] changes need a restart")
        emit("settings.reloaded", sweeps=sorted(self.states), **{k: v for k, v in changes.items() if v})
        self._publish_state()

    def snapshot(self) -> dict[str, Any]:
        """The schedule as plain data (what the state file and ``status`` show)."""
        with self.lock:
            sweeps = {
                name: {
                    "schedule": s.sweep.schedule.describe(),
                    "next_run": _iso(s.next_due),
                    "running_since": _iso(s.running_since),
                    "run": s.run_id if s.running else None,
                    "last_start": _iso(s.last_start),
                    "last_status": s.last_status,
                    "last_scan_id": s.last_scan_id,
                }
                for name, s in sorted(self.states.items())
            }
        return {"pid": os.getpid(), "updated": _iso(self.clock()), "config": self.config_path,
                "database": self.sessions is not None, "sweeps": sweeps}

    def _publish_state(self) -> None:
        target = self.settings.daemon.state
        if self.metrics is not None:
            with contextlib.suppress(Exception):
                self.metrics.update_schedule(self.snapshot())
        if not target:
            return
        try:
            path = Path(target)
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
            tmp.write_text(json.dumps(self.snapshot(), indent=1), encoding="utf-8")
            os.replace(tmp, path)
        except OSError as exc:
            emit("state.write_failed", logging.WARNING, path=target, error=exc.strerror)

    # -- the loop ----------------------------------------------------------------------------------
    def run(self, once: bool = False, install_signals: bool = True) -> int:
        """Run until stopped; with ``once``, run every sweep once and return 1 if any failed."""
        self.once = once
        if once:
            with self.lock:
                for state in self.states.values():
                    state.next_due = self.clock()
        previous: dict[int, Any] = {}
        if install_signals:
            for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
                previous[sig] = signal.signal(sig, self._on_signal)
        selector = selectors.DefaultSelector()
        selector.register(self._rfd, selectors.EVENT_READ)
        emit("daemon.started", pid=os.getpid(), config=self.config_path, once=once,
             sweeps=sorted(self.states))
        for warning in self.settings.warnings:
            emit("settings.warning", logging.WARNING, warning=warning)
        try:
            self._loop(selector)
        finally:
            code = self._shutdown()
            selector.close()
            for sig, handler in previous.items():
                signal.signal(sig, handler)
        return code

    def _loop(self, selector: selectors.BaseSelector) -> None:
        while not self._stop_requests:
            if self._reload_requested:
                self._reload()
            if self.sessions is None and not self._connect() and self.once \
                    and self.db_failures >= ONCE_DB_ATTEMPTS:
                emit("daemon.giving_up", logging.ERROR, note="database unavailable",
                     attempts=self.db_failures)
                for name in self.states:
                    self.once_results.setdefault(name, "failed")
                return
            if self.sessions is not None and self.history_pending and time.monotonic() >= self.db_retry_at:
                self._load_history()
            if self.sessions is not None and time.monotonic() >= self.db_retry_at:
                if self.stale_scan_ids and not self.history_pending:
                    self.history_pending.update(self.states)
                if not self.listens_started and not self.once and self.settings.listens:
                    self._start_listens()
                for state in self._due(self.clock()):
                    self._start(state)
                self._poll_requests()
                self._publish_state()
            if self.once and self._once_done():
                return
            for _key, _events in selector.select(self._seconds_to_next(self.clock())):
                with contextlib.suppress(BlockingIOError, OSError):
                    while os.read(self._rfd, 512):
                        pass

    def _once_done(self) -> bool:
        with self.lock:
            sweeps_done = all(name in self.once_results for name in self.states) and \
                not any(s.running for s in self.states.values())
        if not sweeps_done:
            return False
        if self.request_thread is None and not self.queue_drained and self.sessions is not None:
            self._poll_requests()                # the queue runs after the sweeps, one by one
        return self.request_thread is None and (self.queue_drained or self.sessions is None)

    def _shutdown(self) -> int:
        with self.lock:
            running = [s for s in self.states.values() if s.running]
        abort = self.settings.daemon.on_stop == "abort" or self._stop_requests > 1
        if running:
            emit("daemon.stopping", running=[s.sweep.name for s in running],
                 action="abort" if abort else "finish")
        if abort:
            for state in running:
                state.stop.set()
        deadline = time.monotonic() + self.settings.daemon.stop_timeout
        deaf = self._stop_listens(deadline)
        request = self.request_thread
        if request is not None:
            if abort:
                self.request_stop_event.set()
            while request.is_alive() and time.monotonic() < deadline:
                if self._stop_requests > 1:
                    self.request_stop_event.set()
                request.join(timeout=0.2)
        for state in running:
            thread = state.thread
            while thread is not None and thread.is_alive() and time.monotonic() < deadline:
                if not abort and self._stop_requests > 1:
                    abort = True
                    for other in running:
                        other.stop.set()
                thread.join(timeout=0.2)
        left = [s.sweep.name for s in running if s.thread is not None and s.thread.is_alive()]
        if request is not None and request.is_alive():
            left.append(request.name)
        left.extend(f"listen:{name}" for name in deaf)
        if left:
            emit("daemon.stop_timeout", logging.ERROR, still_running=left,
                 note="exiting anyway; their scan rows are closed at the next start")
        self._publish_state()
        code = 0
        if self.once:
            failed = sorted(n for n, st in self.once_results.items() if st not in ("completed", "partial"))
            code = 1 if failed or left else 0
            emit("daemon.stopped", results=self.once_results, exit_code=code)
        else:
            emit("daemon.stopped", exit_code=code)
        for fd in (self._rfd, self._wfd):
            with contextlib.suppress(OSError):
                os.close(fd)
        return code


def build_daemon(config_path: str, db_url: str | None = None, verbose: int = 0,
                 configure_logs: bool = True) -> Daemon:
    """Load settings, set up logging and metrics, and return a ready Daemon (SettingsError on bad file)."""
    settings = load_settings(config_path)
    try:
        load_user_rules(settings.fingerprint_rules)
    except RuleError as exc:
        raise SettingsError(str(exc)) from None
    if configure_logs:
        configure_logging(settings.daemon.log_format, verbose)
    metrics = None
    if settings.daemon.metrics_port:
        from netdiscover.daemon.metrics import DaemonMetrics

        metrics = DaemonMetrics()
        metrics.serve(settings.daemon.metrics_port, settings.daemon.metrics_address)
    return Daemon(settings, config_path=str(config_path), db_url=db_url, metrics=metrics)
