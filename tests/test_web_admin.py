"""Admin pages: users (add with a role, disable) and API tokens (shown once, revoked), with CSRF and
role checks; sites and their collectors in the pages and the API, and the unknown list by site."""

from __future__ import annotations

import json
import re

import pytest
from click.testing import CliRunner
from fastapi.testclient import TestClient
from sqlalchemy import select
from test_web_pages import csrf_of, login
from webdata import XSS, seeded_sqlite

from netdiscover.cli import main
from netdiscover.services.accounts import digest
from netdiscover.services.sites import add_site, record_heartbeat
from netdiscover.storage.auth_models import ApiToken, User
from netdiscover.storage.engine import open_database
from netdiscover.web.app import create_app

NEW_PASSWORD = "a long enough password"


@pytest.fixture
def site(sqlite_url):
    data = seeded_sqlite(sqlite_url)
    sessions = open_database(sqlite_url)
    data.update(sessions=sessions, app=create_app(sessions), db_url=sqlite_url)
    yield data
    sessions.kw["bind"].dispose()


def users_of(sessions) -> dict[str, tuple[str, bool]]:
    with sessions() as s:
        return {u.name: (u.role, u.disabled) for u in s.scalars(select(User))}


def test_users_page_is_for_admins_only(site):
    for role in ("viewer", "reviewer"):
        client = login(site["app"], role)
        assert 'href="/users"' not in client.get("/").text
        r = client.get("/users")
        assert r.status_code == 403 and "admin role" in r.text
        token = csrf_of(client.get("/").text)
        r = client.post("/users", data={"csrf": token, "name": "mallory", "role": "admin",
                                        "password": NEW_PASSWORD})
        assert r.status_code == 403
        assert client.post("/tokens", data={"csrf": token, "user": role}).status_code == 403
    assert "mallory" not in users_of(site["sessions"])
    admin = login(site["app"], "admin")
    page = admin.get("/users")
    assert page.status_code == 200 and 'href="/users"' in page.text
    assert re.findall(r'data-user="([^"]+)"', page.text) == ["admin", "reviewer", "viewer"]
    assert "password_hash" not in page.text and "$argon2" not in page.text


def test_admin_adds_a_user_who_can_then_log_in_with_that_role(site):
    admin = login(site["app"], "admin")
    token = csrf_of(admin.get("/users").text)
    forged = admin.post("/users", data={"csrf": "forged", "name": "carol", "role": "reviewer",
                                        "password": NEW_PASSWORD})
    assert forged.status_code == 403 and "carol" not in users_of(site["sessions"])
    r = admin.post("/users", follow_redirects=False,
                   data={"csrf": token, "name": "carol", "role": "reviewer", "password": NEW_PASSWORD})
    assert r.status_code == 303 and r.headers["location"] == "/users"
    assert users_of(site["sessions"])["carol"] == ("reviewer", False)
    carol = login(site["app"], "carol", NEW_PASSWORD)
    assert "carol <small>(reviewer)</small>" in carol.get("/").text
    refusals = ((("carol", "viewer", NEW_PASSWORD), "already exists"),
                (("dave", "viewer", "short"), "password too short"),
                (("dave", "superuser", NEW_PASSWORD), "unknown role"),
                ((XSS, "viewer", NEW_PASSWORD), "invalid user name"))
    for (name, role, password), reason in refusals:
        r = admin.post("/users", data={"csrf": token, "name": name, "role": role, "password": password})
        assert r.status_code == 422 and reason in r.text, (name, r.text[-500:])
        assert XSS not in r.text
    assert set(users_of(site["sessions"])) == {"admin", "reviewer", "viewer", "carol"}


def test_disabling_a_user_ends_their_sessions_and_tokens(site):
    reviewer = login(site["app"], "reviewer")
    api = TestClient(site["app"])
    bearer = {"Authorization": f"Bearer {site['tokens']['reviewer']}"}
    assert api.get("/api/v1/scans", headers=bearer).status_code == 200
    admin = login(site["app"], "admin")
    token = csrf_of(admin.get("/users").text)
    r = admin.post("/users/disable", data={"csrf": token, "name": "admin"})
    assert r.status_code == 422 and "your own account" in r.text
    assert admin.post("/users/disable", data={"csrf": token, "name": "nobody"}).status_code == 422
    r = admin.post("/users/disable", data={"csrf": token, "name": "reviewer"}, follow_redirects=False)
    assert r.status_code == 303
    assert users_of(site["sessions"])["reviewer"] == ("reviewer", True)
    assert reviewer.get("/unknown", follow_redirects=False).status_code == 303, "session refused"
    assert api.get("/api/v1/scans", headers=bearer).status_code == 401
    page = admin.get("/users").text
    assert re.search(r'data-user="reviewer">.*?disabled', page, re.S)
    assert 'value="reviewer">reviewer' not in page, "no new token for a disabled user"


def test_token_is_shown_once_stored_hashed_and_revocable(site):
    admin = login(site["app"], "admin")
    token = csrf_of(admin.get("/users").text)
    r = admin.post("/tokens", data={"csrf": token, "user": "viewer", "label": "<b>siem</b>"})
    assert r.status_code == 200
    (text,) = re.findall(r'value="(ndt_[^"]+)"', r.text)
    assert "&lt;b&gt;siem&lt;/b&gt;" in r.text and "<b>siem" not in r.text
    with site["sessions"]() as s:
        row = s.scalars(select(ApiToken).where(ApiToken.label == "<b>siem</b>")).one()
        assert row.token_hash == digest(text) and text not in json.dumps([row.token_hash, row.label])
    api = TestClient(site["app"])
    headers = {"Authorization": f"Bearer {text}"}
    assert api.get("/api/v1/scans", headers=headers).status_code == 200
    listing = admin.get("/users").text
    assert text not in listing and f'data-token-id="{row.id}"' in listing
    assert admin.post("/tokens", data={"csrf": token, "user": "nobody"}).status_code == 422
    forged = admin.post("/tokens/revoke", data={"csrf": "x", "token_id": row.id})
    assert forged.status_code == 403 and api.get("/api/v1/scans", headers=headers).status_code == 200
    r = admin.post("/tokens/revoke", data={"csrf": token, "token_id": row.id}, follow_redirects=False)
    assert r.status_code == 303
    assert api.get("/api/v1/scans", headers=headers).status_code == 401
    assert admin.post("/tokens/revoke", data={"csrf": token, "token_id": 10**9}).status_code == 422


def tokens_of(sessions) -> int:
    with sessions() as s:
        return len(s.scalars(select(ApiToken)).all())


def test_reloading_after_creating_a_token_creates_no_second_one(site):
    admin = login(site["app"], "admin")
    token = csrf_of(admin.get("/users").text)
    before = tokens_of(site["sessions"])
    r = admin.post("/tokens", data={"csrf": token, "user": "viewer", "label": "once"}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/users"      # Post/Redirect/Get
    sealed = admin.cookies.get("nd_once")
    assert sealed and "ndt_" not in sealed                                   # carried encrypted
    shown = admin.get("/users")
    (text,) = re.findall(r'value="(ndt_[^"]+)"', shown.text)
    assert shown.headers["cache-control"] == "no-store"
    assert TestClient(site["app"]).get("/api/v1/scans",
                                       headers={"Authorization": f"Bearer {text}"}).status_code == 200
    for _ in range(2):                                                       # the browser's reload: a GET
        again = admin.get("/users")
        assert again.status_code == 200 and "ndt_" not in again.text and "data-token>" not in again.text
    assert tokens_of(site["sessions"]) == before + 1
    other = login(site["app"], "admin")                                      # another session, same cookie
    other.cookies.set("nd_once", sealed, path="/users")
    assert "ndt_" not in other.get("/users").text


def collectors(sessions) -> None:
    add_site(sessions, "hq")
    add_site(sessions, "lab")
    record_heartbeat(sessions, "hq", {"version": "1.2", "host": XSS, "root": True, "nmap": False,
                                      "interfaces": ["eth0", "<i>eth1</i>"]})


def test_sites_api_is_the_cli_json_and_the_page_escapes(site):
    collectors(site["sessions"])
    result = CliRunner().invoke(main, ["--db", site["db_url"], "sites", "--format", "json"],
                                catch_exceptions=False)
    api = TestClient(site["app"])
    r = api.get("/api/v1/sites", headers={"Authorization": f"Bearer {site['tokens']['viewer']}"})
    assert r.status_code == 200 and r.json() == json.loads(result.output)
    assert [row["site"] for row in r.json()] == ["hq", "lab"] and r.json()[0]["host"] == XSS
    assert api.get("/api/v1/sites").status_code == 401
    viewer = login(site["app"], "viewer")
    page = viewer.get("/sites").text
    assert re.findall(r'data-site="([^"]+)"', page) == ["hq", "lab"]
    assert XSS not in page and "&lt;img src=x onerror=alert(1)&gt;" in page and "<i>eth1" not in page
    assert 'href="/unknown?site=hq"' in page


def suggested_sites(page: str) -> list[str]:
    return re.findall(r'<option value="([^"]+)">', page.split('id="site-names"')[1].split("</datalist>")[0])


def test_unknown_list_by_site(site, monkeypatch):
    from netdiscover.web import pages

    collectors(site["sessions"])
    viewer = login(site["app"], "viewer")
    page = viewer.get("/unknown").text
    assert suggested_sites(page) == ["hq", "lab"]
    add_site(site["sessions"], "branch")
    assert suggested_sites(viewer.get("/unknown").text) == ["hq", "lab"], "read again only when stale"
    monkeypatch.setattr(pages, "INDEX_TTL_S", 0.0)
    assert suggested_sites(viewer.get("/unknown").text) == ["branch", "hq", "lab"]
    hq = set(re.findall(r'data-asset-id="(\d+)"', viewer.get("/unknown?site=hq").text))
    lab = set(re.findall(r'data-asset-id="(\d+)"', viewer.get("/unknown?site=lab").text))
    everyone = set(re.findall(r'data-asset-id="(\d+)"', page))
    expected_hq = {str(site["assets"][n]) for n in range(1, 15) if n % 5 in (0, 2)}
    assert hq == expected_hq and lab and not hq & lab and hq | lab < everyone
