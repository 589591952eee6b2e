"""``netdiscover user add|list|disable`` and ``netdiscover token create|list|revoke``: web accounts.

There is no default account; the first admin is created here. A token is printed once, when
it is created, and only its digest is stored.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import click

from netdiscover.commands.context import UserError
from netdiscover.vocabulary import USER_ROLES as ROLES


@contextmanager
def _account_errors() -> Iterator[None]:
    """An account problem (bad name, unknown user or token) becomes the one-line UserError."""
    from netdiscover.services.accounts import AccountError

    try:
        yield
    except AccountError as exc:
        raise UserError(str(exc)) from None


def _read_password(from_stdin: bool) -> str:
    if from_stdin:
        line = sys.stdin.readline()
        return line.rstrip("\r\n")
    return click.prompt("Password", hide_input=True, confirmation_prompt=True)


@click.group("user")
def user() -> None:
    """Accounts of the web interface and the REST API (viewer, reviewer, admin)."""


@user.command("add")
@click.argument("name")
@click.option("--role", type=click.Choice(ROLES), required=True,
              help="viewer reads; reviewer also decides; admin also imports, sweeps, manages users.")
@click.option("--password-stdin", is_flag=True, help="Read the password from the first line of stdin.")
@click.pass_obj
def add_command(app: Any, name: str, role: str, password_stdin: bool) -> None:
    """Create user NAME with a password (prompted, or from stdin)."""
    from netdiscover.services.accounts import add_user, check_name, check_password

    with _account_errors():
        check_name(name)
        password = check_password(_read_password(password_stdin))
        with app.sessions().begin() as session:
            add_user(session, name, role, password)
    click.echo(f"user {name} ({role}) created")


@user.command("list")
@click.pass_obj
def list_command(app: Any) -> None:
    """Every user with role and state."""
    from netdiscover.commands.assets import cell_text
    from netdiscover.services.accounts import list_users

    with app.sessions()() as session:
        users = list_users(session)
    if not users:
        click.echo("no users (create one with: netdiscover user add NAME --role admin)")
    for u in users:
        state = "disabled" if u.disabled else "active"
        click.echo(f"{cell_text(u.name, 64):<24} {u.role:<9} {state:<9} "
                   f"created {u.created_at:%Y-%m-%d %H:%M}")


@user.command("disable")
@click.argument("name")
@click.pass_obj
def disable_command(app: Any, name: str) -> None:
    """Disable user NAME: no more logins, tokens or sessions."""
    from netdiscover.services.accounts import disable_user

    with _account_errors(), app.sessions().begin() as session:
        disable_user(session, name)
    click.echo(f"user {name} disabled")


@click.group("token")
def token() -> None:
    """API tokens (Authorization: Bearer TOKEN) of web users."""


@token.command("create")
@click.option("--user", "user_name", required=True, metavar="NAME", help="The user the token acts as.")
@click.option("--label", metavar="TEXT", help="What the token is for.")
@click.pass_obj
def create_command(app: Any, user_name: str, label: str | None) -> None:
    """Create a token and print it (this once only)."""
    from netdiscover.services.accounts import create_token

    with _account_errors(), app.sessions().begin() as session:
        info, text = create_token(session, user_name, label)
    click.echo(f"token {info.id} for {user_name} (shown once, store it now):", err=True)
    click.echo(text)


@token.command("list")
@click.option("--user", "user_name", metavar="NAME", help="Only this user's tokens.")
@click.pass_obj
def tokens_command(app: Any, user_name: str | None) -> None:
    """Tokens by id, user, label and state (never the token itself)."""
    from netdiscover.commands.assets import cell_text
    from netdiscover.services.accounts import list_tokens

    with _account_errors(), app.sessions()() as session:
        rows = list_tokens(session, user_name)
    for t in rows:
        state = f"revoked {t.revoked_at:%Y-%m-%d}" if t.revoked_at else "active"
        click.echo(f"{t.id:<6} {cell_text(t.user, 64):<24} {state:<18} created {t.created_at:%Y-%m-%d}  "
                   f"{cell_text(t.label, 80)}")


@token.command("revoke")
@click.argument("token_id", type=click.IntRange(min=1))
@click.pass_obj
def revoke_command(app: Any, token_id: int) -> None:
    """Revoke token TOKEN_ID (see `token list`)."""
    from netdiscover.services.accounts import revoke_token

    with _account_errors(), app.sessions().begin() as session:
        revoke_token(session, token_id)
    click.echo(f"token {token_id} revoked")
