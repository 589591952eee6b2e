"""``netdiscover sweep submit``: send one sweep to a site's collector (and wait for it)."""

from __future__ import annotations

import time
from typing import Any

import click

from netdiscover.commands.context import UserError
from netdiscover.scanners import SCANNERS


@click.group("sweep")
def sweep() -> None:
    """Sweeps run by a site's collector."""


@sweep.command("submit")
@click.argument("targets", nargs=-1, required=True)
@click.option("-m", "--method", "methods", multiple=True, default=("arp",), show_default=True,
              help=f"Method to run (repeatable): {', '.join(SCANNERS)}.")
@click.option("--site", required=True, help="The site whose collector runs the sweep.")
@click.option("--exclude", multiple=True, help="Address or range not to touch (repeatable).")
@click.option("--credentials", help="Name of credentials in the collector's secrets file.")
@click.option("--broker", required=True, envvar="NETDISCOVER_BROKER", metavar="URL")
@click.option("--wait", is_flag=True, help="Wait until the sweep is reconciled and print its summary.")
@click.option("--timeout", type=click.FloatRange(1, 86400), default=3600.0, show_default=True,
              help="Seconds --wait waits.")
@click.pass_obj
def submit_command(app: Any, targets: tuple[str, ...], methods: tuple[str, ...], site: str,
                   exclude: tuple[str, ...], credentials: str | None, broker: str, wait: bool,
                   timeout: float) -> None:
    """Send a sweep of TARGETS to SITE's collector; prints the sweep id."""
    from netdiscover.scope import ScopeError, parse_scope
    from netdiscover.services.sites import sweep_state
    from netdiscover.workers.dispatch import BrokerError, submit_sweep
    from netdiscover.workers.messages import PoisonMessage

    try:
        parse_scope(list(targets), list(exclude), resolve=False)
    except ScopeError as exc:
        raise UserError(str(exc)) from None
    sessions = app.sessions()
    try:
        sweep_id = submit_sweep(sessions, broker, site, list(targets), methods=list(methods),
                                exclude=list(exclude), credentials=credentials)
    except (PoisonMessage, BrokerError) as exc:
        raise UserError(str(exc)) from None
    click.echo(sweep_id)
    if not wait:
        return
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with sessions() as session:
            row = sweep_state(session, sweep_id)
        if row is not None and row.state == "reconciled":
            counts = row.counts or {}
            click.echo(f"{row.outcome}: " + ", ".join(f"{k} {v}" for k, v in counts.items())
                       + (f" ({row.reason})" if row.reason else ""))
            raise SystemExit(0 if row.outcome == "complete" else 1)
        time.sleep(0.5)
    raise UserError(f"sweep {sweep_id} not finished after {timeout:g} s")
