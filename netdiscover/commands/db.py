"""``netdiscover db upgrade``: migrate the database to the newest schema (also done on first use)."""

from __future__ import annotations

from typing import Any

import click

from netdiscover.commands.context import UserError


@click.group()
def db() -> None:
    """Database maintenance."""


@db.command("upgrade")
@click.pass_obj
def upgrade_command(app: Any) -> None:
    """Create or migrate the database to the newest schema revision (safe to repeat)."""
    from netdiscover.storage.engine import (
        DatabaseError,
        create_db_engine,
        current_revision,
        head_revision,
        normalise_url,
        safe_url,
        upgrade,
    )

    try:
        url = normalise_url(app.db_url)
        engine = create_db_engine(url)
        try:
            before = current_revision(engine)
            ran = upgrade(engine)
        finally:
            engine.dispose()
    except DatabaseError as exc:
        raise UserError(str(exc)) from None
    except Exception as exc:  # driver errors: one line, no traceback
        orig = getattr(exc, "orig", None) or exc
        raise UserError(
            f"cannot upgrade {safe_url(url)}: {str(orig).strip().splitlines()[0][:200]}"
        ) from None
    if ran:
        click.echo(f"{safe_url(url)}: migrated from {before or 'empty'} to {head_revision()}")
    else:
        click.echo(f"{safe_url(url)}: already at {head_revision()}")
