"""``netdiscover report``: the unknown-device report, recent changes, missing documented assets and
discrepancies between documented and observed values."""

from __future__ import annotations

import itertools
import sys
from pathlib import Path

import click

from netdiscover.commands.context import UserError
from netdiscover.commands.output import emit, emit_pieces, output_option
from netdiscover.durations import MOMENT_HELP, parse_moment

FORMAT = click.Choice(["table", "json", "csv", "html"])
FLAT = click.Choice(["table", "json", "csv"])


def _since(value: str | None):
    if value is None:
        return None
    try:
        return parse_moment(value)
    except ValueError as exc:
        raise UserError(str(exc)) from None


def _render(rows, columns_table, columns_csv, fmt: str, empty: str, to_file: bool = False) -> str:
    from netdiscover.reports.render_csv import render_csv
    from netdiscover.reports.render_json import render_json
    from netdiscover.reports.render_table import render_table

    if fmt == "json":
        return render_json(rows)
    if fmt == "csv":
        return render_csv(rows, columns_csv)
    # A terminal gets the columns that fit; a file or a pipe gets them all.
    wide = to_file or not sys.stdout.isatty()
    return render_table(rows, columns_table, empty=empty, full=wide)


@click.group()
def report() -> None:
    """Reports for reviewers: undocumented devices, recent changes, missing assets, discrepancies."""


@report.command("unknown")
@click.option("--format", "fmt", type=FORMAT, default="table", show_default=True)
@output_option
@click.option("--since", metavar="WHEN", help=f"Only devices seen since WHEN: {MOMENT_HELP}.")
@click.option("--site", metavar="S", help="Only devices of site S.")
@click.pass_obj
def unknown(app, fmt: str, output: Path | None, since: str | None, site: str | None) -> None:
    """Every device nobody documented: rogue first, then newest first, with evidence and risk hints.

    Ignored devices are hidden; approve, ignore or flag devices with `netdiscover review`.
    """
    from netdiscover.reports.columns import UNKNOWN_CSV, UNKNOWN_TABLE
    from netdiscover.reports.render_html import render_html
    from netdiscover.reports.unknown import summary
    from netdiscover.services.reports import iter_unknown_rows, iter_unknown_summaries, unknown_rows

    cutoff = _since(since)
    if fmt == "json":    # streamed: rows are written as JSON text as they are read
        from netdiscover.reports.unknown_json import json_array
        from netdiscover.services.reports import iter_unknown_json_rows

        with app.sessions()() as session:
            rows_in = iter_unknown_json_rows(session, since=cutoff, site=site)
            emit_pieces(itertools.chain(json_array(rows_in), ["\n"]), output)
        return
    if fmt == "html":
        from netdiscover.reports.render_html import MAX_HTML_ROWS

        # full rows for the table's first part; only what the summary counts of every row
        with app.sessions()() as session:
            shown = list(itertools.islice(iter_unknown_rows(session, since=cutoff, site=site), MAX_HTML_ROWS))
            counted = list(iter_unknown_summaries(session, since=cutoff, site=site))
        scope = " · ".join(p for p in (f"site {site}" if site else "",
                                       f"seen since {cutoff:%Y-%m-%d %H:%M} UTC" if cutoff else "") if p)
        emit(render_html(shown, summary(counted), scope=scope, total=len(counted)), output)
        return
    with app.sessions()() as session:
        rows = unknown_rows(session, since=cutoff, site=site)
    text = _render(rows, UNKNOWN_TABLE, UNKNOWN_CSV, fmt, "no undocumented devices", output is not None)
    emit(text, output)


@report.command("changes")
@click.option("--since", metavar="WHEN", default="24h", show_default=True,
              help=f"Changes since WHEN: {MOMENT_HELP}.")
@click.option("--format", "fmt", type=FLAT, default="table", show_default=True)
@output_option
@click.option("--site", metavar="S", help="Only assets of site S.")
@click.pass_obj
def changes(app, since: str, fmt: str, output: Path | None, site: str | None) -> None:
    """New, changed and disappeared assets, from the change log."""
    from netdiscover.reports.changes import CHANGES_CSV, CHANGES_TABLE
    from netdiscover.services.reports import change_rows

    cutoff = _since(since)
    with app.sessions()() as session:
        rows = change_rows(session, cutoff, site=site)
    empty = f"no changes since {cutoff:%Y-%m-%d %H:%M} UTC"
    emit(_render(rows, CHANGES_TABLE, CHANGES_CSV, fmt, empty, output is not None), output)


@report.command("missing")
@click.option("--days", type=click.IntRange(0, 36500), default=7, show_default=True,
              help="Documented assets not seen for this many days.")
@click.option("--format", "fmt", type=FLAT, default="table", show_default=True)
@output_option
@click.option("--site", metavar="S", help="Only assets of site S.")
@click.pass_obj
def missing(app, days: int, fmt: str, output: Path | None, site: str | None) -> None:
    """Documented assets the network has not shown for N days (or never)."""
    from netdiscover.reports.missing import MISSING_CSV, MISSING_TABLE
    from netdiscover.services.reports import missing_rows

    with app.sessions()() as session:
        rows = missing_rows(session, days, site=site)
    empty = f"every documented asset was seen in the last {days} days"
    emit(_render(rows, MISSING_TABLE, MISSING_CSV, fmt, empty, output is not None), output)


@report.command("discrepancies")
@click.option("--format", "fmt", type=FLAT, default="table", show_default=True)
@output_option
@click.option("--site", metavar="S", help="Only assets of site S.")
@click.option("--field", type=click.Choice(["hostname", "serial", "model", "vendor"]),
              help="Only this field.")
@click.pass_obj
def discrepancies(app, fmt: str, output: Path | None, site: str | None, field: str | None) -> None:
    """Where sweeps saw another hostname, serial, model or vendor than the documented one.

    The documented value stays on the asset; each different observed value is one line, with
    the source that saw it, how many sweeps did, and when.
    """
    from netdiscover.reports.discrepancies import DISCREPANCY_CSV, DISCREPANCY_TABLE
    from netdiscover.services.reports import discrepancy_rows

    with app.sessions()() as session:
        rows = discrepancy_rows(session, site=site, field=field)
    empty = "no discrepancies: sweeps agree with every documented value"
    emit(_render(rows, DISCREPANCY_TABLE, DISCREPANCY_CSV, fmt, empty, output is not None), output)
