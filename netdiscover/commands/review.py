"""``netdiscover review``: approve, ignore or flag discovered assets as rogue, and undo a decision."""

from __future__ import annotations

import click

from netdiscover.commands.context import UserError

IDS = click.argument("asset_ids", nargs=-1, required=True, metavar="ASSET_ID...")
NOTE = click.option("--note", metavar="TEXT", help="Why (kept in the change log).")
BY = click.option("--by", "by", metavar="NAME", help="Who decides (default: the logged-in user).")


def _resolve(session, keys: tuple[str, ...]) -> list[int]:
    """Asset ids from ids, MACs, IPs or hostnames as the reviewer typed them."""
    from netdiscover.services.assets import find_asset_ids

    ids = []
    for key in keys:
        text = key.strip()
        if text.isdigit():
            ids.append(int(text))
            continue
        named = find_asset_ids(session, text)
        if not named:
            raise UserError(f"no asset matches {text!r} (give an asset id, MAC, IP or hostname)")
        if len(named) > 1:     # a decision is never guessed: one IP may be in use at two sites
            raise UserError(f"{text!r} names {len(named)} assets ({', '.join(map(str, named))}): "
                            "give the asset id")
        ids.append(named[0])
    return ids


def _apply(app, decision: str, asset_ids: tuple[str, ...], note: str | None, by: str | None) -> None:
    from netdiscover.services.review import ReviewError, decide
    from netdiscover.storage.engine import write_session

    with write_session(app.sessions()) as session:
        try:
            outcomes = decide(session, decision, _resolve(session, asset_ids), by=by, note=note)
        except ReviewError as exc:
            raise UserError(str(exc)) from None
    for o in outcomes:
        click.echo(f"asset {o.asset_id}: {o.old_status} -> {o.new_status}")


@click.group()
def review() -> None:
    """Decide about discovered devices; every decision is logged with who and why.

    ASSET_ID is the id the reports show; a MAC, an IP or a hostname works too.
    """


@review.command("approve")
@IDS
@NOTE
@BY
@click.pass_obj
def approve(app, asset_ids, note, by) -> None:
    """Make assets documented: they leave the unknown-device report."""
    _apply(app, "approve", asset_ids, note, by)


@review.command("ignore")
@IDS
@NOTE
@BY
@click.pass_obj
def ignore(app, asset_ids, note, by) -> None:
    """Hide assets from the unknown-device report (a guest phone, a known visitor)."""
    _apply(app, "ignore", asset_ids, note, by)


@review.command("rogue")
@IDS
@NOTE
@BY
@click.pass_obj
def rogue(app, asset_ids, note, by) -> None:
    """Flag assets as rogue: they stay at the top of every report and alert when they reappear."""
    _apply(app, "rogue", asset_ids, note, by)


@review.command("undo")
@click.argument("asset_id")
@NOTE
@BY
@click.pass_obj
def undo(app, asset_id: str, note, by) -> None:
    """Revert the latest decision on ASSET_ID."""
    from netdiscover.services.review import ReviewError
    from netdiscover.services.review import undo as undo_decision
    from netdiscover.storage.engine import write_session

    with write_session(app.sessions()) as session:
        try:
            (key,) = _resolve(session, (asset_id,))
            o = undo_decision(session, key, by=by, note=note)
        except ReviewError as exc:
            raise UserError(str(exc)) from None
    click.echo(f"asset {o.asset_id}: {o.old_status} -> {o.new_status}")
