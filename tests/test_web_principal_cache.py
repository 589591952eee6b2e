"""Who a token or a browser session acts as is remembered for a few seconds, not longer: a token
revoked, a user disabled or a session ended by another process (the CLI, another server worker)
is refused once that bound has passed; changes made through this server's own pages at once."""

from __future__ import annotations

import pytest
from click.testing import CliRunner
from fastapi.testclient import TestClient
from sqlalchemy import event, select
from test_web_pages import csrf_of, login
from webdata import open_seeded

from netdiscover.cli import main
from netdiscover.services.accounts import PRINCIPAL_CACHE_S, end_session
from netdiscover.services.expiring_cache import ExpiringCache
from netdiscover.storage.auth_models import ApiToken
from netdiscover.web.app import create_app
from netdiscover.web.security import SESSION_COOKIE


class Clock:
    """A monotonic clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class Statements:
    """The SQL statements the engine sent, from the moment it is made."""

    def __init__(self, engine) -> None:
        self.sent: list[str] = []
        event.listen(engine, "before_cursor_execute", self._seen)

    def _seen(self, _conn, _cursor, statement, *_args) -> None:
        self.sent.append(statement)

    def naming(self, table: str) -> list[str]:
        return [s for s in self.sent if table in s]


@pytest.fixture
def web(db_url):
    sessions, data = open_seeded(db_url)
    clock = Clock()
    app = create_app(sessions, principals=ExpiringCache(PRINCIPAL_CACHE_S, clock=clock))
    data.update(app=app, client=TestClient(app), sessions=sessions, db_url=db_url, clock=clock)
    yield data
    data["client"].close()
    sessions.kw["bind"].dispose()


def cli(db_url: str, *args: str) -> None:
    result = CliRunner().invoke(main, ["--db", db_url, *args], catch_exceptions=False)
    assert result.exit_code == 0, result.output


def token_id(sessions, label: str) -> int:
    with sessions() as s:
        return s.scalars(select(ApiToken.id).where(ApiToken.label == label)).one()


def test_the_cache_forgets_each_value_after_its_ttl():
    clock = Clock()
    cache: ExpiringCache[str, int] = ExpiringCache(5.0, max_entries=3, clock=clock)
    cache.put("a", 1)
    clock.now += 4.9
    assert cache.get("a") == 1 and cache.get("b") is None
    cache.put("b", 2)
    clock.now += 0.1
    assert cache.get("a") is None and cache.get("b") == 2
    cache.put("c", 3)
    cache.put("d", 4)
    cache.put("e", 5)                # full: the expired "a" is dropped first, then everything
    assert len(cache) == 1 and cache.get("e") == 5 and cache.get("b") is None
    cache.clear()
    assert cache.get("e") is None and len(cache) == 0


def test_a_token_revoked_elsewhere_is_refused_within_the_bound(web):
    api, clock = web["client"], web["clock"]
    bearer = {"Authorization": f"Bearer {web['tokens']['viewer']}"}
    statements = Statements(web["sessions"].kw["bind"])
    for _ in range(3):
        assert api.get("/api/v1/scans", headers=bearer).status_code == 200
    assert len(statements.naming("api_tokens")) == 1, "the token is read once, then remembered"
    cli(web["db_url"], "token", "revoke", str(token_id(web["sessions"], "viewer test")))
    clock.now += PRINCIPAL_CACHE_S - 0.5
    assert api.get("/api/v1/scans", headers=bearer).status_code == 200, "still remembered"
    clock.now += 0.5
    r = api.get("/api/v1/scans", headers=bearer)
    assert r.status_code == 401 and r.json()["error"] == "unauthorized"
    clock.now += 60
    assert api.get("/api/v1/scans", headers=bearer).status_code == 401, "a refusal is never remembered"


def test_a_user_disabled_elsewhere_loses_tokens_and_sessions_within_the_bound(web):
    api, clock = web["client"], web["clock"]
    bearer = {"Authorization": f"Bearer {web['tokens']['reviewer']}"}
    browser = login(web["app"], "reviewer")
    assert api.get("/api/v1/assets", headers=bearer).status_code == 200
    assert browser.get("/unknown", follow_redirects=False).status_code == 200
    cli(web["db_url"], "user", "disable", "reviewer")
    assert api.get("/api/v1/assets", headers=bearer).status_code == 200
    clock.now += PRINCIPAL_CACHE_S
    assert api.get("/api/v1/assets", headers=bearer).status_code == 401
    assert browser.get("/unknown", follow_redirects=False).status_code == 303, "sent to the login page"


def test_a_session_ended_by_another_worker_is_refused_within_the_bound(web):
    browser, clock = login(web["app"], "viewer"), web["clock"]
    assert browser.get("/", follow_redirects=False).status_code == 200
    with web["sessions"].begin() as s:            # the logout as another server process does it
        end_session(s, browser.cookies[SESSION_COOKIE])
    assert browser.get("/", follow_redirects=False).status_code == 200
    clock.now += PRINCIPAL_CACHE_S
    r = browser.get("/", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].startswith("/login")


def test_changes_through_this_server_take_effect_at_once(web):
    bearer = {"Authorization": f"Bearer {web['tokens']['viewer']}"}
    api = web["client"]
    assert api.get("/api/v1/scans", headers=bearer).status_code == 200
    admin = login(web["app"], "admin")
    revoked = {"csrf": csrf_of(admin.get("/users").text),
               "token_id": token_id(web["sessions"], "viewer test")}
    assert admin.post("/tokens/revoke", data=revoked, follow_redirects=False).status_code == 303
    assert api.get("/api/v1/scans", headers=bearer).status_code == 401, "no waiting for the bound"
    viewer = login(web["app"], "viewer")
    cookie = viewer.cookies[SESSION_COOKIE]
    assert viewer.get("/", follow_redirects=False).status_code == 200
    viewer.post("/logout", data={"csrf": csrf_of(viewer.get("/").text)})
    replayed = TestClient(web["app"], cookies={SESSION_COOKIE: cookie}).get("/", follow_redirects=False)
    assert replayed.status_code == 303, "a logged-out session is refused at once"
