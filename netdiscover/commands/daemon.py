"""``netdiscover daemon`` (scheduled sweeps) and ``netdiscover status`` (what ran, what is next)."""

from __future__ import annotations

import contextlib
import json
import os
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from netdiscover.commands.context import AppContext, UserError

if TYPE_CHECKING:
    from netdiscover.config import Settings


class _NoJitter:
    """A random source that always picks zero (status shows the un-jittered estimate)."""

    @staticmethod
    def uniform(_low: float, _high: float) -> float:
        return 0.0


def _load(config_path: str) -> Settings:
    from netdiscover.config import SettingsError, load_settings

    try:
        return load_settings(config_path)
    except SettingsError as exc:
        raise UserError(str(exc)) from None


@click.command("daemon")
@click.option("--config", "config_path", required=True, metavar="PATH", envvar="NETDISCOVER_CONFIG",
              help="Settings file (TOML); see examples/netdiscover.toml. Env: NETDISCOVER_CONFIG.")
@click.option("--once", is_flag=True, help="Run every sweep once now, ignoring schedules and windows, "
              "then the sweeps queued over the web, and exit (non-zero if a configured sweep failed).")
@click.option("--check", is_flag=True, help="Validate the settings file, print a summary and exit.")
@click.pass_obj
def daemon(app: AppContext, config_path: str, once: bool, check: bool) -> None:
    """Run the configured sweeps on their schedules until stopped.

    \b
    Signals: SIGTERM/SIGINT stop (the running sweep is aborted cleanly, or finishes when
    [daemon] on_stop = "finish"); SIGHUP reloads the settings file (a broken file is
    reported and the old schedule kept).

    \b
    Also runs the sweeps queued over the web ([daemon] request_poll) one at a time, and the
    passive listeners of [[listen]] tables.
    """
    if check:
        settings = _load(config_path)
        from netdiscover.fingerprints.rules import RuleError, load_user_rules

        try:
            load_user_rules(settings.fingerprint_rules)
        except RuleError as exc:
            raise UserError(str(exc)) from None
        _print_check(settings, app.db_url)
        return
    from netdiscover.config import SettingsError
    from netdiscover.daemon.runner import build_daemon

    try:
        runner = build_daemon(config_path, db_url=app.db_url, verbose=app.verbose)
    except SettingsError as exc:
        raise UserError(str(exc)) from None
    except OSError as exc:     # e.g. the metrics port is taken
        raise UserError(f"cannot start the daemon: {exc.strerror or exc}") from None
    code = runner.run(once=once)
    if code:
        raise SystemExit(code)


def _safe_db(url: str | None) -> str:
    from netdiscover.storage.engine import DatabaseError, normalise_url, safe_url

    try:
        return safe_url(normalise_url(url))
    except DatabaseError as exc:
        raise UserError(str(exc)) from None


def _print_check(settings: Settings, db_override: str | None) -> None:
    from netdiscover.daemon.runner import now_local
    from netdiscover.daemon.schedule import next_run

    now = now_local()
    click.echo(f"settings: {settings.path}: OK")
    click.echo(f"database: {_safe_db(db_override or settings.database_url)}")
    d = settings.daemon
    metrics = f"{d.metrics_address}:{d.metrics_port}" if d.metrics_port else "off"
    click.echo(f"daemon:   log {d.log_format}, metrics {metrics}, max {d.max_parallel} parallel, "
               f"on stop {d.on_stop}, state {d.state or 'none'}")
    click.echo(f"sweeps:   {len(settings.sweeps)}")
    for sweep in settings.sweeps:
        count = len(sweep.credentials)
        creds = (f"{sweep.credentials_name} ({count} credential{'' if count == 1 else 's'})"
                 if sweep.credentials_name else "none")
        first = next_run(sweep.schedule, None, now, _NoJitter())
        click.echo(f"  - {sweep.name}{'' if sweep.enabled else ' (disabled)'}: {sweep.schedule.describe()}; "
                   f"first run {first:%Y-%m-%d %H:%M %Z} at the earliest")
        click.echo(f"      targets {', '.join(sweep.targets)}"
                   + (f" minus {', '.join(sweep.exclude)}" if sweep.exclude else ""))
        click.echo(f"      methods {', '.join(sweep.methods)}; interface {sweep.interface or 'auto'}; "
                   f"credentials {creds}")
    for listen in settings.listens:
        click.echo(f"listen:   {', '.join(listen.interfaces)}; flush every {listen.flush:g}s"
                   + (f"; site {listen.site}" if listen.site else ""))
    if settings.alerts:
        click.echo(f"alerts:   {', '.join(sorted(settings.alerts))}")
    for warning in settings.warnings:
        click.echo(f"warning: {warning}", err=True)


def _daemon_state(settings: Settings | None) -> tuple[dict[str, Any] | None, bool]:
    """The state file the daemon publishes, and whether its process is alive."""
    if settings is None or not settings.daemon.state:
        return None, False
    try:
        state = json.loads(Path(settings.daemon.state).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None, False
    alive = False
    pid = state.get("pid")
    if isinstance(pid, int) and pid > 0:
        try:
            os.kill(pid, 0)
            alive = True
        except PermissionError:
            alive = True
        except OSError:
            alive = False
    return state, alive


def _when(value: Any) -> str:
    if not value:
        return "-"
    if isinstance(value, str):
        with contextlib.suppress(ValueError):
            value = datetime.fromisoformat(value)
    if isinstance(value, datetime):
        return value.astimezone().strftime("%Y-%m-%d %H:%M:%S")
    return str(value)


def status_rows(settings: Settings | None, history: dict[str, dict[str, Any]],
                state: dict[str, Any] | None, alive: bool, now: datetime) -> list[dict[str, Any]]:
    """One row per sweep: schedule, last run and outcome, next run."""
    from netdiscover.daemon.schedule import next_run

    rows: list[dict[str, Any]] = []
    live = (state or {}).get("sweeps", {}) if alive else {}
    configured = settings.sweeps if settings else []
    for sweep in configured:
        h = history.get(sweep.name, {})
        info = live.get(sweep.name, {})
        if info.get("running_since"):
            nxt, state_word = None, "running"
        elif info.get("next_run"):
            nxt, state_word = info["next_run"], "scheduled"
        elif not sweep.enabled:
            nxt, state_word = None, "disabled"
        else:
            nxt = next_run(sweep.schedule, h.get("last_ran"), now, _NoJitter()).isoformat()
            state_word = "scheduled" if alive else "daemon not running"
        rows.append(_row(sweep.name, sweep.schedule.describe(), h, info, nxt, state_word))
    names = {s.name for s in configured}
    for name in sorted(set(history) - names):
        rows.append(_row(name, "-", history[name], {}, None,
                         "not configured" if settings else "-"))
    return rows


def _row(name: str, schedule: str, h: dict, info: dict, nxt: str | None, state_word: str) -> dict:
    duration = None
    if h.get("started_at") and h.get("finished_at"):
        duration = round((h["finished_at"] - h["started_at"]).total_seconds(), 1)
    return {
        "sweep": name, "schedule": schedule, "state": state_word,
        "running_since": info.get("running_since"),
        "last_scan_id": h.get("scan_id"), "last_started": h.get("started_at"),
        "last_status": h.get("status"), "last_duration_s": duration,
        "last_error": h.get("error"), "last_counts": h.get("counts") or {},
        "last_completed_run": h.get("last_ran"), "next_run": nxt,
    }


@click.command("status")
@click.option("--config", "config_path", metavar="PATH", envvar="NETDISCOVER_CONFIG",
              help="Daemon settings file: adds schedules and next runs. Env: NETDISCOVER_CONFIG.")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True)
@click.pass_obj
def status(app: AppContext, config_path: str | None, fmt: str) -> None:
    """Show each sweep's schedule, last and next run, and the outcome of its last run."""
    from netdiscover.daemon.runner import now_local
    from netdiscover.services.sweep_history import sweep_history
    from netdiscover.storage.engine import DatabaseError, open_database

    settings = _load(config_path) if config_path else None
    url = app.db_url or (settings.database_url if settings else None)
    try:
        with open_database(url)() as session:
            history = sweep_history(session)
    except DatabaseError as exc:
        raise UserError(str(exc)) from None
    state, alive = _daemon_state(settings)
    rows = status_rows(settings, history, state, alive, now_local())
    if fmt == "json":
        daemon_info = {"running": alive, "pid": (state or {}).get("pid") if alive else None}
        click.echo(json.dumps({"daemon": daemon_info, "sweeps": rows}, default=str, indent=2))
        return
    _print_status(rows, state, alive, settings)


def _print_status(rows: list[dict], state: dict | None, alive: bool, settings: Settings | None) -> None:
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    if settings is not None and settings.daemon.state:
        click.echo(f"daemon: running (pid {state['pid']})" if alive and state else
                   "daemon: not running (next runs are estimates)")
    if not rows:
        click.echo("no sweeps configured or recorded yet")
        return
    table = Table()
    for column in ("sweep", "schedule", "state", "last run", "outcome", "scan", "took", "next run"):
        table.add_column(column)
    for r in rows:
        outcome = r["last_status"] or "never ran"
        if r["last_error"]:
            outcome += f": {r['last_error'][:60]}"
        took = f"{r['last_duration_s']}s" if r["last_duration_s"] is not None else "-"
        state_word = r["state"] if not r["running_since"] else f"running since {_when(r['running_since'])}"
        table.add_row(*(Text(str(v)) for v in (
            r["sweep"], r["schedule"], state_word, _when(r["last_started"]), outcome,
            r["last_scan_id"] or "-", took, _when(r["next_run"]),
        )))
    Console(width=max(120, Console().width)).print(table)
