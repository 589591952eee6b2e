"""Web accounts from the CLI: users with roles, argon2 hashes, tokens shown once and stored hashed."""

from __future__ import annotations

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from netdiscover.cli import main
from netdiscover.services.accounts import authenticate, principal_for_token
from netdiscover.storage.auth_models import ApiToken, User
from netdiscover.storage.engine import open_database

PASSWORD = "correct horse battery"


def run(db_url: str, *args: str, stdin: str | None = None):
    return CliRunner().invoke(main, ["--db", db_url, *args], input=stdin, catch_exceptions=False)


def test_user_add_list_disable_and_tokens(db_url):
    assert run(db_url, "user", "list").output.startswith("no users")
    result = run(db_url, "user", "add", "alice", "--role", "reviewer", "--password-stdin",
                 stdin=PASSWORD + "\n")
    assert result.exit_code == 0, result.output
    created = run(db_url, "token", "create", "--user", "alice", "--label", "ci <script>")
    assert created.exit_code == 0
    token = created.stdout.strip().splitlines()[-1]
    assert token.startswith("ndt_") and len(token) > 40
    sessions = open_database(db_url)
    with sessions() as s:
        user = s.scalars(select(User)).one()
        assert user.password_hash.startswith("$argon2id$") and PASSWORD not in user.password_hash
        row = s.scalars(select(ApiToken)).one()
        assert token not in row.token_hash and len(row.token_hash) == 64
        assert principal_for_token(s, token).name == "alice"
        assert principal_for_token(s, token + "x") is None
        assert authenticate(s, "alice", PASSWORD).role == "reviewer"
        assert authenticate(s, "alice", "wrong password!") is None
        assert authenticate(s, "nobody", PASSWORD) is None
    listing = run(db_url, "token", "list")
    assert "alice" in listing.output and token not in listing.output
    assert run(db_url, "token", "revoke", str(row.id)).exit_code == 0
    with sessions() as s:
        assert principal_for_token(s, token) is None
    second = run(db_url, "token", "create", "--user", "alice").stdout.strip().splitlines()[-1]
    assert run(db_url, "user", "disable", "alice").exit_code == 0
    with sessions() as s:
        assert principal_for_token(s, second) is None
        assert authenticate(s, "alice", PASSWORD) is None
    assert "disabled" in run(db_url, "user", "list").output
    sessions.kw["bind"].dispose()


@pytest.mark.parametrize(("args", "stdin", "message"), [
    (("user", "add", "bob", "--role", "admin", "--password-stdin"), "short\n", "password too short"),
    (("user", "add", "bad name", "--role", "admin", "--password-stdin"), PASSWORD + "\n",
     "invalid user name"),
    (("user", "add", "bob", "--role", "root", "--password-stdin"), PASSWORD + "\n", "Invalid value"),
    (("user", "disable", "ghost"), None, "no user named 'ghost'"),
    (("token", "create", "--user", "ghost"), None, "no user named 'ghost'"),
    (("token", "revoke", "99"), None, "no token with id 99"),
])
def test_bad_account_requests_are_one_line_errors(sqlite_url, args, stdin, message):
    result = CliRunner().invoke(main, ["--db", sqlite_url, *args], input=stdin)
    assert result.exit_code == 2
    assert message in result.output and "Traceback" not in result.output


def test_duplicate_user_is_refused(sqlite_url):
    assert run(sqlite_url, "user", "add", "carol", "--role", "viewer", "--password-stdin",
               stdin=PASSWORD + "\n").exit_code == 0
    again = CliRunner().invoke(main, ["--db", sqlite_url, "user", "add", "carol", "--role", "admin",
                                      "--password-stdin"], input=PASSWORD + "\n")
    assert again.exit_code == 2 and "already exists" in again.output


def test_password_prompt_asks_twice(sqlite_url):
    result = run(sqlite_url, "user", "add", "dave", "--role", "admin", stdin=f"{PASSWORD}\n{PASSWORD}\n")
    assert result.exit_code == 0 and "dave (admin) created" in result.output
