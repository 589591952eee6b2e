"""``netdiscover inventory import|export``: bring existing asset records in, and write them back out."""

from __future__ import annotations

import getpass
import sys
from pathlib import Path
from typing import Any

import click

from netdiscover.commands.context import UserError
from netdiscover.commands.output import emit, output_option

MAX_SHOWN_ERRORS = 20
MAX_SHOWN_WARNINGS = 20
PRESET_CHOICES = ("snipeit", "netbox", "glpi", "lansweeper", "netdiscover", "generic")


def _user() -> str | None:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return None


@click.group()
def inventory() -> None:
    """Import the records you already keep (CSV or JSON) and export the database."""


def _column_maps(values: tuple[str, ...]) -> dict[str, str]:
    from netdiscover.inventory.mapping import parse_target

    found: dict[str, str] = {}
    for value in values:
        source, sep, target = value.rpartition("=")
        if not sep or not source.strip():
            raise UserError(f"--map {value!r}: write it as 'Source column=field'")
        try:
            parse_target(target)
        except ValueError as exc:
            raise UserError(f"--map {value!r}: {exc}") from None
        found[source.strip()] = target.strip()
    return found


def _fail(file: Path, errors: list[str], skip_invalid: bool) -> UserError:
    for line in errors[:MAX_SHOWN_ERRORS]:
        click.echo(f"error: {line}", err=True)
    if len(errors) > MAX_SHOWN_ERRORS:
        click.echo(f"error: ... and {len(errors) - MAX_SHOWN_ERRORS} more", err=True)
    hint = "" if skip_invalid else " (--skip-invalid imports the valid rows)"
    count = len(errors)
    return UserError(f"{file.name}: {count} problem{'s' if count > 1 else ''}, nothing imported{hint}")


def _show_mapping(source: Any, full: bool) -> None:
    how = "detected from the header" if source.detected else "as asked"
    extra = "" if source.format == "json" else f", delimiter {source.delimiter!r}"
    click.echo(f"preset: {source.preset.name} ({source.preset.title}), {how}; "
               f"encoding {source.encoding.replace('utf-8-sig', 'utf-8')}{extra}", err=True)
    for note in source.notes:
        click.echo(f"note: {note}", err=True)
    if full:
        for col in source.plan:
            click.echo(f"  {col.describe()}", err=True)
        return
    fields = [f"{c.header!r}->{c.target}" for c in source.plan if c.target not in ("attribute", "ignore")]
    kept = [c.header for c in source.plan if c.target == "attribute"]
    click.echo(f"columns: {', '.join(fields)}" + (f"; kept as attributes: {', '.join(kept)}" if kept else ""),
               err=True)


class _Progress:
    """A progress bar over the file's bytes, on a terminal only."""

    def __init__(self, source: Any) -> None:
        self.source = source
        self.bar: Any = None
        if sys.stderr.isatty() and source.size > 1_000_000:
            from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn

            self.bar = Progress(TextColumn("importing"), BarColumn(), TextColumn("{task.fields[rows]} rows"),
                                TimeRemainingColumn(), transient=True)
            self.task = self.bar.add_task("import", total=source.size, rows=0)
            self.bar.start()

    def update(self, result: Any) -> None:
        if self.bar is not None:
            self.bar.update(self.task, completed=self.source.position(), rows=result.records)

    def stop(self) -> None:
        if self.bar is not None:
            self.bar.stop()


@inventory.command("import")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--preset", type=click.Choice(PRESET_CHOICES),
              help="Which tool wrote the file (default: detected from the header).")
@click.option("--map", "maps", multiple=True, metavar="'COLUMN=FIELD'",
              help="Send a column to a field (or attribute:NAME, or ignore); repeatable.")
@click.option("--mapping", "mapping_file", type=click.Path(dir_okay=False, path_type=Path),
              help="TOML file: [columns] \"Column\" = \"field\", [device_class] \"Word\" = \"class\".")
@click.option("--dry-run", is_flag=True, help="Show the mapping and what would change; write nothing.")
@click.option("--skip-invalid", is_flag=True, help="Import the valid rows and report the invalid ones.")
@click.option("--format", "fmt", type=click.Choice(("csv", "json")),
              help="File format (default: from the extension; .json is JSON, anything else CSV).")
@click.option("--encoding", default="auto", show_default=True,
              help="Text encoding (auto: UTF-8, with or without BOM; a product export in Windows-1252).")
@click.pass_obj
def import_command(app: Any, file: Path, preset: str | None, maps: tuple[str, ...], mapping_file: Path | None,
                   dry_run: bool, skip_invalid: bool, fmt: str | None, encoding: str) -> None:
    """Import FILE as documented assets (re-importing the same file changes nothing).

    \b
    Reads exports of Snipe-IT, NetBox (API or UI headers), GLPI (';'-separated), Lansweeper,
    this tool's own `inventory export`, and any CSV/JSON whose columns say what they hold:
    asset_tag, name/hostname, mac, ip, serial, vendor/manufacturer, model, owner, location,
    site, lifecycle_state, type/category/role. Headers match whatever their case, spaces or
    punctuation; columns that match no field are kept as attributes. Cells may hold several
    MACs or IPs (comma, semicolon, space or newline); 10.1.0.2/24 is read as 10.1.0.2.
    A malformed row (broken quote, wrong number of cells, NUL byte) stops the import with its
    line number and nothing is written. An export's status column is restored as it was.

    \b
    Examples:
      netdiscover inventory import assets.csv --dry-run          # see the mapping and counts first
      netdiscover inventory import netbox_devices.csv --preset netbox
      netdiscover inventory import glpi.csv --map 'Inventory number=asset_tag' --map 'Rack=attribute:rack'
      netdiscover inventory import cmdb.csv --mapping cmdb.toml --skip-invalid
    """
    from netdiscover.inventory import InventoryError, Source
    from netdiscover.inventory.presets import load_mapping_file
    from netdiscover.services.inventory import import_records

    columns = _column_maps(maps)
    mapping = None
    if mapping_file is not None:
        try:
            mapping = load_mapping_file(mapping_file)
        except ValueError as exc:
            raise UserError(str(exc)) from None
    try:
        source = Source(file, fmt=fmt, encoding=encoding, preset=preset, mapping=mapping, columns=columns,
                        skip_invalid=skip_invalid)
    except InventoryError as exc:
        raise _fail(file, exc.errors, skip_invalid) from None
    if dry_run:
        _show_mapping(source, full=True)

    def check() -> None:
        if source.errors and not skip_invalid:
            raise InventoryError(source.errors)

    progress = _Progress(source)
    try:
        result = import_records(app.sessions(), source, actor=_user(), dry_run=dry_run,
                                after_batch=progress.update, check=check)
    except InventoryError as exc:
        progress.stop()
        raise _fail(file, exc.errors, skip_invalid) from None
    finally:
        progress.stop()
        source.close()
    if not dry_run:
        _show_mapping(source, full=False)
    for line in source.warnings[:MAX_SHOWN_WARNINGS]:
        click.echo(f"warning: {line}", err=True)
    if source.warning_count > MAX_SHOWN_WARNINGS:
        click.echo(f"warning: ... and {source.warning_count - MAX_SHOWN_WARNINGS} more", err=True)
    for line in source.errors[:MAX_SHOWN_ERRORS]:
        click.echo(f"skipped: {line}", err=True)
    if len(source.errors) > MAX_SHOWN_ERRORS:
        click.echo(f"skipped: ... and {len(source.errors) - MAX_SHOWN_ERRORS} more", err=True)
    skipped = f", {len(source.errors)} invalid rows skipped" if source.errors else ""
    prefix = "dry run, nothing written: " if dry_run else ""
    click.echo(f"{prefix}{result.records} records: {result.created} new, {result.updated} updated, "
               f"{result.unchanged} unchanged{skipped}")


@inventory.command("export")
@click.option("--format", "fmt", type=click.Choice(("csv", "json")), default="csv", show_default=True)
@output_option
@click.pass_obj
def export_command(app: Any, fmt: str, output: Path | None) -> None:
    """Export every asset in a form `inventory import` reads back.

    The status column holds each asset's review status: importing the export restores it, so
    an undocumented device stays undocumented.
    """
    from netdiscover.inventory import export_csv, export_json
    from netdiscover.services.inventory import export_inventory

    with app.sessions()() as session:
        rows = export_inventory(session)
    text = export_json(rows) if fmt == "json" else export_csv(rows)
    emit(text, output, what=f"{len(rows)} assets")
