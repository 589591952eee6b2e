"""``netdiscover assets list|show``: what the asset database holds, as a table, JSON or CSV.

Every value shown came from the network or an inventory file, so it is rendered as plain
text (rich markup off, control characters removed) and CSV cells cannot start a formula.
"""

from __future__ import annotations

import csv
import io
import json
import shutil
import sys
from itertools import chain
from typing import Any

import click

from netdiscover.commands.context import UserError
from netdiscover.fields import LIST_CSV, SHOW_KEYS
from netdiscover.vocabulary import ASSET_STATUSES


def cell_text(value: Any, limit: int = 60) -> str:
    """One table cell: lists joined, control characters removed, bounded."""
    from netdiscover.observation import clean_text
    from netdiscover.reports.columns import service_text

    if value is None:
        return ""
    if isinstance(value, list):
        value = ", ".join(service_text(v) if isinstance(v, dict) else str(v) for v in value)
    if isinstance(value, float):
        value = f"{value:.2f}"
    return clean_text(str(value).replace("\n", " ").replace("\t", " "), limit) or ""


def _console() -> Any:
    from rich.console import Console

    width = None if sys.stdout.isatty() else max(shutil.get_terminal_size((200, 24)).columns, 200)
    return Console(markup=False, highlight=False, emoji=False, width=width, soft_wrap=False)


def on_terminal() -> bool:
    """Whether standard output is a terminal (tables fit its width) rather than a pipe or file."""
    return sys.stdout.isatty()


def list_table_text(rows: list[dict[str, Any]], full: bool) -> str:
    """The asset table: every column in full, or fitted to the terminal (key columns kept, the
    rest dropped)."""
    from netdiscover.reports.columns import ASSET_TABLE
    from netdiscover.reports.render_table import render_table

    return render_table(rows, ASSET_TABLE, empty="no assets", full=full, more="see --format json or csv")


def render_list_table(rows: list[dict[str, Any]]) -> None:
    """The asset table on standard output: fitted to a terminal, every column in full when the
    output goes to a pipe or a file."""
    click.echo(list_table_text(rows, full=not on_terminal()), nl=False)


def render_csv(rows: list[dict[str, Any]]) -> str:
    """CSV of the asset rows; every cell passed through the spreadsheet-safe neutraliser."""
    from netdiscover.reports.columns import service_text
    from netdiscover.reports.render_csv import neutralise

    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(LIST_CSV)
    for row in rows:
        cells = []
        for col in LIST_CSV:
            value = row.get(col)
            if isinstance(value, list):
                value = ";".join(service_text(v) if isinstance(v, dict) else str(v) for v in value)
            cells.append(neutralise(value))
        writer.writerow(cells)
    return out.getvalue()


@click.group()
def assets() -> None:
    """List and inspect the assets in the database."""


@assets.command("list")
@click.option("--status", type=click.Choice(ASSET_STATUSES), help="Only assets with this review status.")
@click.option(
    "--format", "fmt", type=click.Choice(("table", "json", "csv")), default="table", show_default=True
)
@click.option("--site", metavar="S", help="Only assets of site S.")
@click.pass_obj
def list_command(app: Any, status: str | None, fmt: str, site: str | None) -> None:
    """List assets (all, or one review status)."""
    from netdiscover.services.assets import iter_asset_dicts

    with app.sessions()() as session:
        if fmt == "json":   # streamed: 100,000 assets must not sit in memory at once
            from netdiscover.commands.streamed import write_json_pieces
            from netdiscover.reports.unknown_json import json_array
            from netdiscover.services.assets import iter_asset_json

            write_json_pieces(chain(json_array(iter_asset_json(session, status=status, site=site)), ["\n"]))
            return
        rows = list(iter_asset_dicts(session, status=status, site=site))
    if fmt == "csv":
        click.echo(render_csv(rows), nl=False)
    else:
        render_list_table(rows)


@assets.command("show")
@click.argument("key", metavar="ID|MAC|IP")
@click.option("--format", "fmt", type=click.Choice(("table", "json")), default="table", show_default=True)
@click.option("--site", metavar="S", help="Only an asset of site S (sites may share a private range).")
@click.pass_obj
def show_command(app: Any, key: str, fmt: str, site: str | None) -> None:
    """Show one asset, found by id, MAC, IP or hostname, with its recent changes.

    When the key names several assets (one IP in use at two sites), the likeliest is shown and
    the others are named on standard error.
    """
    from netdiscover.services.assets import show_asset

    with app.sessions()() as session:
        shown = show_asset(session, key, site=site)
    if shown is None:
        where = f" at site {cell_text(site, 80)!r}" if site is not None else ""
        raise UserError(f"no asset matches {cell_text(key, 80)!r}{where} "
                        "(give an asset id, MAC, IP or hostname)")
    if shown.others:
        others = ", ".join(map(str, shown.others))
        click.echo(f"warning: {cell_text(key, 80)} also names asset {others}; showing asset "
                   f"{shown.data.get('id')} (give the id, or --site)", err=True)
    if fmt == "json":
        click.echo(json.dumps(shown.data, indent=2, ensure_ascii=False))
        return
    _render_show(shown.data, shown.events)


def _render_show(data: dict[str, Any], events: list[dict[str, Any]]) -> None:
    from rich.table import Table
    from rich.text import Text

    console = _console()
    facts = Table(box=None, show_header=False, pad_edge=False)
    facts.add_column(style="bold")
    facts.add_column(overflow="fold")
    for key in SHOW_KEYS:
        facts.add_row(Text(key), Text(cell_text(data.get(key), 200)))
    for port in data.get("switch_ports") or []:
        facts.add_row(
            Text("switch port"), Text(cell_text(f"{port['mac']} on {port['switch']} {port['port']}", 200))
        )
    for key, value in sorted((data.get("attributes") or {}).items()):
        facts.add_row(Text(cell_text(key, 40)), Text(cell_text(value, 200)))
    console.print(facts)
    if data.get("services"):
        table = Table(title="services", box=None, pad_edge=False, header_style="bold")
        for header in ("PORT", "PROTO", "NAME", "PRODUCT", "VERSION"):
            table.add_column(header, overflow="ellipsis", no_wrap=True)
        for svc in data["services"]:
            table.add_row(
                *(Text(cell_text(svc.get(k), 50)) for k in ("port", "protocol", "name", "product", "version"))
            )
        console.print(table)
    if events:
        table = Table(title="recent changes", box=None, pad_edge=False, header_style="bold")
        for header in ("AT", "EVENT", "BY", "DETAIL"):
            table.add_column(header, overflow="ellipsis", no_wrap=True)
        for ev in events:
            detail = ev.get("note") or json.dumps(ev.get("new") or ev.get("old") or {}, ensure_ascii=False)
            table.add_row(
                Text(cell_text(ev["at"], 32)),
                Text(cell_text(ev["kind"], 24)),
                Text(cell_text(ev.get("actor"), 20)),
                Text(cell_text(detail, 80)),
            )
        console.print(table)
