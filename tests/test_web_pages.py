"""Review pages over HTTP: login, sessions, CSRF, login limits, bulk decisions, escaping, CSP."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from webdata import PASSWORD, XSS, seeded_sqlite

from netdiscover.storage.auth_models import SweepRequest
from netdiscover.storage.engine import open_database
from netdiscover.storage.models import Asset, AssetEvent
from netdiscover.web.app import CSP, create_app

PAGES = ("/", "/unknown", "/assets/1", "/sweeps", "/sites", "/changes")


@pytest.fixture
def site(sqlite_url):
    data = seeded_sqlite(sqlite_url)
    sessions = open_database(sqlite_url)
    data["sessions"] = sessions
    data["app"] = create_app(sessions)
    yield data
    sessions.kw["bind"].dispose()


def csrf_of(html: str) -> str:
    return re.search(r'name="csrf" value="([^"]+)"', html).group(1)


def login(app, user: str, password: str = PASSWORD, base_url: str = "http://testserver") -> TestClient:
    client = TestClient(app, base_url=base_url)
    form = client.get("/login")
    r = client.post("/login", data={"username": user, "password": password, "csrf": csrf_of(form.text),
                                    "next": "/unknown"}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/unknown", r.text
    return client


def test_pages_need_a_login(site):
    client = TestClient(site["app"])
    for page in PAGES:
        r = client.get(page + "?q=a", follow_redirects=False)
        assert r.status_code == 303 and r.headers["location"].startswith("/login?next=")
    location = client.get("/unknown?q=a", follow_redirects=False).headers["location"]
    assert location == "/login?next=%2Funknown%3Fq%3Da"
    assert client.post("/unknown/decide", data={"ids": "1", "decision": "approve"},
                       follow_redirects=False).status_code == 303


def test_session_cookie_is_httponly_strict_and_secure_over_https(site):
    for base, secure in (("http://testserver", False), ("https://testserver", True)):
        client = TestClient(site["app"], base_url=base)
        token = csrf_of(client.get("/login").text)
        r = client.post("/login", data={"username": "viewer", "password": PASSWORD, "csrf": token},
                        follow_redirects=False)
        cookie = r.headers["set-cookie"].split(", nd_login")[0]
        assert cookie.startswith("nd_session=") and "HttpOnly" in cookie and "SameSite=strict" in cookie
        assert ("Secure" in cookie) == secure
        assert r.headers["location"] == "/"


def test_login_form_needs_its_csrf_cookie(site):
    client = TestClient(site["app"])
    client.get("/login")
    r = client.post("/login", data={"username": "viewer", "password": PASSWORD, "csrf": "forged"},
                    follow_redirects=False)
    assert r.status_code == 403 and "nd_session" not in r.headers.get("set-cookie", "")


def test_failed_logins_are_limited(site):
    client = TestClient(site["app"])
    token = csrf_of(client.get("/login").text)
    for _ in range(5):
        r = client.post("/login", data={"username": "admin", "password": "wrong password", "csrf": token})
        assert r.status_code == 401 and "Wrong user name or password" in r.text
    r = client.post("/login", data={"username": "admin", "password": PASSWORD, "csrf": token},
                    follow_redirects=False)
    assert r.status_code == 429 and int(r.headers["Retry-After"]) > 0
    assert "nd_session" not in r.headers.get("set-cookie", "")
    other = TestClient(site["app"], client=("10.9.9.9", 5000))
    r = other.post("/login", data={"username": "admin", "password": PASSWORD,
                                   "csrf": csrf_of(other.get("/login").text)}, follow_redirects=False)
    assert r.status_code == 429, "the user name is limited from every address"


def test_bulk_approve_with_note_leaves_the_list_and_is_logged(site):
    client = login(site["app"], "reviewer")
    page = client.get("/unknown?device_class=printer")
    listed = [int(i) for i in re.findall(r'name="ids" value="(\d+)"', page.text)]
    assert listed
    with site["sessions"]() as s:
        printers = s.scalars(select(Asset.id).where(Asset.device_class == "printer",
                                                    Asset.status.in_(("undocumented", "rogue")))).all()
    assert sorted(listed) == sorted(printers)
    chosen = listed[:2]
    forged = client.post("/unknown/decide", data={"ids": chosen, "decision": "approve", "csrf": "x"},
                         follow_redirects=False)
    assert forged.status_code == 403
    r = client.post("/unknown/decide", follow_redirects=False,
                    data={"ids": chosen, "decision": "approve", "note": "ticket <42>",
                          "csrf": csrf_of(page.text), "back": "device_class=printer&evil=1"})
    assert r.status_code == 303 and r.headers["location"] == "/unknown?device_class=printer"
    after = client.get(r.headers["location"]).text
    left = [int(i) for i in re.findall(r'name="ids" value="(\d+)"', after)]
    assert not set(chosen) & set(left) and set(left) == set(listed) - set(chosen)
    asset_page = client.get(f"/assets/{chosen[0]}").text
    assert "ticket &lt;42&gt;" in asset_page and "approved" in asset_page
    with site["sessions"]() as s:
        ev = s.scalars(select(AssetEvent).where(AssetEvent.asset_id == chosen[0],
                                                AssetEvent.kind == "approved")).one()
        assert (ev.actor, ev.note) == ("reviewer", "ticket <42>")


def test_asset_page_decisions_and_viewer_limits(site):
    asset_id = site["assets"][10]
    viewer = login(site["app"], "viewer")
    page = viewer.get(f"/assets/{asset_id}").text
    assert 'value="approve"' not in page
    r = viewer.post(f"/assets/{asset_id}/decide", data={"decision": "rogue", "csrf": csrf_of(page)})
    assert r.status_code == 403 and "reviewer role" in r.text
    reviewer = login(site["app"], "reviewer")
    page = reviewer.get(f"/assets/{asset_id}").text
    r = reviewer.post(f"/assets/{asset_id}/decide", follow_redirects=False,
                      data={"decision": "rogue", "note": "odd", "csrf": csrf_of(page)})
    assert r.status_code == 303
    with site["sessions"]() as s:
        assert s.get(Asset, asset_id).status == "rogue"
    bad = reviewer.post(f"/assets/{asset_id}/decide", data={"decision": "explode", "csrf": csrf_of(page)})
    assert bad.status_code == 422 and "decision must be one of" in bad.text
    for huge in (2**63, 10**30):
        r = reviewer.post(f"/assets/{huge}/decide", data={"decision": "approve", "csrf": csrf_of(page)})
        assert r.status_code == 404
    r = reviewer.post("/unknown/decide",
                      data={"ids": [asset_id, 2**64], "decision": "ignore", "csrf": csrf_of(page)})
    assert r.status_code == 404


def test_hostile_names_are_escaped_and_every_page_has_the_csp(site):
    client = login(site["app"], "reviewer")
    for page in (*PAGES, f"/assets/{site['hostile'][0]}", "/unknown?q=192.168.77.", "/changes?since=7d"):
        r = client.get(page)
        assert r.status_code == 200, page
        assert r.headers["content-security-policy"] == CSP and "'unsafe-inline'" not in CSP
        assert r.headers["x-frame-options"] == "DENY"
        assert XSS not in r.text and "<script>alert" not in r.text, page
    listing = client.get("/unknown?q=192.168.77.").text
    assert "&lt;img src=x onerror=alert(1)&gt;" in listing
    assert "naïve- txt.exe" in listing and "\u202e" not in listing, "bidi override removed"
    assert "<script" not in listing.replace('<script src="/static/app.js" defer></script>', "")


def test_filters_and_bad_filters_on_the_list(site):
    client = login(site["app"], "viewer")
    rogue = client.get("/unknown?status=rogue").text
    assert 'class="chip undocumented"' not in rogue and 'class="chip rogue"' in rogue
    r = client.get("/unknown?subnet=10.0.0.0/33")
    assert r.status_code == 422 and "is not a CIDR" in r.text
    assert client.get("/unknown?status=approved").status_code == 422
    telnet = client.get("/unknown?risk=telnet").text
    assert re.findall(r'data-asset-id="(\d+)"', telnet) == [str(site["assets"][5])]


def test_sweep_form_queues_for_admins_only(site):
    admin = login(site["app"], "admin")
    page = admin.get("/sweeps").text
    assert "office &lt;b&gt;" in page and "1.0 min" not in page
    r = admin.post("/sweeps", data={"targets": "10.30.0.0/24, 10.31.0.1", "methods": ["arp", "nmap"],
                                    "csrf": csrf_of(page)}, follow_redirects=False)
    assert r.status_code == 303
    with site["sessions"]() as s:
        (row,) = s.scalars(select(SweepRequest)).all()
        assert row.targets == ["10.30.0.0/24", "10.31.0.1/32"]
        assert (row.methods, row.requested_by) == (["arp", "nmap"], "admin")
    reviewer = login(site["app"], "reviewer")
    token = csrf_of(reviewer.get("/sweeps").text)
    r = reviewer.post("/sweeps", data={"targets": "10.0.0.0/24", "csrf": token})
    assert r.status_code == 403


def test_dashboard_and_logout(site):
    client = login(site["app"], "viewer")
    page = client.get("/").text
    assert page.count('class="bar"') == 30 and "undocumented" in page and "telnet" in page
    r = client.post("/logout", data={"csrf": csrf_of(page)}, follow_redirects=False)
    assert r.status_code == 303
    assert client.get("/", follow_redirects=False).status_code == 303


def test_stale_subnet_index_is_refreshed_in_the_background(site, monkeypatch):
    from netdiscover.services import reports
    from netdiscover.web import pages

    client = login(site["app"], "viewer")
    client.get("/unknown")
    first = site["app"].state.subnet_index
    assert first is not None
    built = []
    real = reports.subnet_index
    monkeypatch.setattr(reports, "subnet_index", lambda s: (built.append(1), real(s))[1])
    monkeypatch.setattr(pages, "INDEX_TTL_S", 0.0)
    assert client.get("/unknown").status_code == 200
    site["app"].state.index_lock.acquire(timeout=10)      # waits for the refresh thread
    site["app"].state.index_lock.release()
    assert built == [1] and site["app"].state.subnet_index is not first
