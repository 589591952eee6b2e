"""``netdiscover sites``: the sites whose collectors report, and ``sites add``."""

from __future__ import annotations

import json
from typing import Any

import click

from netdiscover.commands.context import UserError


@click.group("sites", invoke_without_command=True)
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True)
@click.option("--broker", envvar="NETDISCOVER_BROKER", metavar="URL", help="Also show each queue's depth.")
@click.pass_context
def sites(ctx: click.Context, fmt: str, broker: str | None) -> None:
    """List sites with their collector's last heartbeat, version, queue depth and last sweep."""
    if ctx.invoked_subcommand is not None:
        return
    from netdiscover.services.sites import site_rows

    with ctx.obj.sessions()() as session:
        rows = site_rows(session)
    if broker:
        from netdiscover.workers.app import make_app, queue_depth

        celery = make_app(broker)
        for row in rows:
            row["queue_depth"] = queue_depth(celery, f"sweeps.{row['site']}")
    if fmt == "json":
        click.echo(json.dumps(rows, indent=2))
        return
    if not rows:
        click.echo("no sites (add one with: netdiscover sites add NAME)")
        return
    cols = ("site", "last_heartbeat", "version", "root", "nmap", "queue_depth", "last_sweep",
            "last_sweep_state")
    lines = [[("-" if r.get(c) is None else str(r.get(c)))[:40] for c in cols] for r in rows]
    widths = [max(len(c), *(len(line[i]) for line in lines)) for i, c in enumerate(cols)]
    click.echo("  ".join(c.ljust(w) for c, w in zip(cols, widths, strict=True)).rstrip())
    for line in lines:
        click.echo("  ".join(v.ljust(w) for v, w in zip(line, widths, strict=True)).rstrip())


@sites.command("add")
@click.argument("name")
@click.option("--broker", envvar="NETDISCOVER_BROKER", metavar="URL", help="Also declare the site's queue.")
@click.pass_obj
def add_command(app: Any, name: str, broker: str | None) -> None:
    """Register site NAME: its collector's messages are accepted from now on."""
    from netdiscover.services.sites import add_site
    from netdiscover.workers.messages import PoisonMessage

    try:
        added = add_site(app.sessions(), name)
    except PoisonMessage as exc:
        raise UserError(str(exc)) from None
    if broker:
        from netdiscover.workers.app import declare, make_app

        declare(make_app(broker), [name])
    click.echo(f"site {name} {'added' if added else 'already known'}")
