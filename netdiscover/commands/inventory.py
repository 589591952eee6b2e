"""``netdiscover inventory import|export``: bring existing asset records in, and write them back out."""

from __future__ import annotations

import getpass
from pathlib import Path
from typing import Any

import click

from netdiscover.cli import UserError

MAX_SHOWN_ERRORS = 20


def _user() -> str | None:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return None


@click.group()
def inventory() -> None:
    """Import the records you already keep (CSV or JSON) and export the database."""


@inventory.command("import")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--format",
    "fmt",
    type=click.Choice(("csv", "json")),
    help="File format (default: from the extension; .json is JSON, anything else CSV).",
)
@click.option("--skip-invalid", is_flag=True, help="Import the valid rows and report the invalid ones.")
@click.option("--encoding", default="utf-8", show_default=True, help="Text encoding of the file.")
@click.pass_obj
def import_command(app: Any, file: Path, fmt: str | None, skip_invalid: bool, encoding: str) -> None:
    """Import FILE as documented assets (re-importing the same file changes nothing).

    \b
    CSV needs a header row; recognised columns (any case): asset_tag, name/hostname, mac, ip,
    serial, vendor, model, owner, location, site, lifecycle_state, device_class. Several MACs or
    IPs in one cell are separated by ';'. Other columns are kept as attributes.
    """
    from netdiscover.inventory import InventoryError, import_records, parse_file

    try:
        records, errors = parse_file(file, fmt=fmt, encoding=encoding, skip_invalid=skip_invalid)
    except InventoryError as exc:
        for line in exc.errors[:MAX_SHOWN_ERRORS]:
            click.echo(f"error: {line}", err=True)
        if len(exc.errors) > MAX_SHOWN_ERRORS:
            click.echo(f"error: ... and {len(exc.errors) - MAX_SHOWN_ERRORS} more", err=True)
        hint = "" if skip_invalid else " (--skip-invalid imports the valid rows)"
        count = len(exc.errors)
        raise UserError(
            f"{file.name}: {count} problem{'s' if count > 1 else ''}, nothing imported{hint}"
        ) from None
    for line in errors[:MAX_SHOWN_ERRORS]:
        click.echo(f"skipped: {line}", err=True)
    result = import_records(app.sessions(), records, actor=_user())
    click.echo(
        f"{result.records} records: {result.created} new, {result.updated} updated, "
        f"{result.unchanged} unchanged" + (f", {len(errors)} invalid rows skipped" if errors else "")
    )


@inventory.command("export")
@click.option("--format", "fmt", type=click.Choice(("csv", "json")), default="csv", show_default=True)
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, writable=True, path_type=Path),
    help="Write to this file instead of standard output.",
)
@click.pass_obj
def export_command(app: Any, fmt: str, output: Path | None) -> None:
    """Export every asset in a form `inventory import` reads back."""
    from netdiscover.inventory import export_csv, export_json, export_rows

    with app.sessions()() as session:
        rows = export_rows(session)
    text = export_json(rows) if fmt == "json" else export_csv(rows)
    if output is None:
        click.echo(text, nl=False)
        return
    try:
        output.write_text(text, encoding="utf-8", newline="")
    except OSError as exc:
        raise UserError(f"cannot write {output}: {exc.strerror or exc}") from None
    click.echo(f"wrote {len(rows)} assets to {output}", err=True)
