"""REST API on SQLite and PostgreSQL: tokens and roles, the CLI's JSON, filters, pagination, errors."""

from __future__ import annotations

import json
import threading
from datetime import timedelta

import pytest
from click.testing import CliRunner
from fastapi.testclient import TestClient
from sqlalchemy import select
from webdata import HOSTILE, NOW, add_asset, open_seeded

from netdiscover.cli import main
from netdiscover.storage.auth_models import SweepRequest
from netdiscover.storage.models import Asset, AssetEvent, Scan
from netdiscover.web.app import create_app

GETS = ("/api/v1/assets", "/api/v1/assets/1", "/api/v1/reports/unknown", "/api/v1/reports/changes",
        "/api/v1/reports/missing", "/api/v1/scans", "/api/v1/events", "/api/v1/sites")


@pytest.fixture
def web(db_url):
    sessions, data = open_seeded(db_url)
    client = TestClient(create_app(sessions))
    data.update(client=client, sessions=sessions, db_url=db_url)
    yield data
    client.close()
    sessions.kw["bind"].dispose()


def auth(web, role: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {web['tokens'][role]}"}


def cli_json(db_url: str, *args: str):
    result = CliRunner().invoke(main, ["--db", db_url, *args], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.output


def all_pages(client, headers, **params) -> list[dict]:
    items, cursor = [], None
    for _ in range(100):
        page = client.get("/api/v1/assets", headers=headers, params={**params, "cursor": cursor} if cursor
                          else params)
        assert page.status_code == 200, page.text
        body = page.json()
        items += body["items"]
        cursor = body["next_cursor"]
        if cursor is None:
            return items
    raise AssertionError("pagination did not end")


def test_every_endpoint_wants_a_valid_token(web):
    client = web["client"]
    for url in GETS:
        for headers in ({}, {"Authorization": "Bearer ndt_not-a-token"}, {"Authorization": "Basic eDp5"}):
            r = client.get(url, headers=headers)
            assert r.status_code == 401, url
            assert r.json()["error"] == "unauthorized" and r.headers["WWW-Authenticate"] == "Bearer"
        assert client.get(url, headers=auth(web, "viewer")).status_code == 200, url
    assert client.post("/api/v1/assets/1/review", json={"decision": "approve"}).status_code == 401
    assert client.get("/healthz").json()["status"] == "ok"


def test_review_roles_and_author(web):
    client, asset_id = web["client"], web["assets"][5]
    body = {"decision": "rogue", "note": "unknown AP <b>in</b> room 4"}
    denied = client.post(f"/api/v1/assets/{asset_id}/review", headers=auth(web, "viewer"), json=body)
    assert denied.status_code == 403 and denied.json() == {
        "error": "forbidden", "detail": "this needs the reviewer role; viewer is viewer"}
    ok = client.post(f"/api/v1/assets/{asset_id}/review", headers=auth(web, "reviewer"), json=body)
    assert ok.status_code == 200, ok.text
    assert ok.json()[0]["new_status"] == "rogue"
    undo = client.post(f"/api/v1/assets/{asset_id}/review", headers=auth(web, "admin"),
                       json={"decision": "undo"})
    assert undo.json()[0]["new_status"] == "undocumented"
    with web["sessions"]() as s:
        decided = s.scalars(select(AssetEvent).where(AssetEvent.asset_id == asset_id,
                                                     AssetEvent.kind.in_(("rogue", "review_undone")))
                            .order_by(AssetEvent.id)).all()
        assert [(e.kind, e.actor, e.note) for e in decided] == [
            ("rogue", "reviewer", "unknown AP <b>in</b> room 4"), ("review_undone", "admin", None)]
    events = client.get(f"/api/v1/assets/{asset_id}", headers=auth(web, "viewer")).json()["events"]
    assert events[-2]["actor"] == "reviewer" and events[-2]["note"] == body["note"]
    for bad, code in (({"decision": "delete"}, 422), ({"decision": "approve", "note": "x" * 2001}, 422),
                      ({}, 422)):
        r = client.post(f"/api/v1/assets/{asset_id}/review", headers=auth(web, "reviewer"), json=bad)
        assert r.status_code == code and set(r.json()) == {"error", "detail"}
    missing = client.post("/api/v1/assets/999999/review", headers=auth(web, "reviewer"),
                          json={"decision": "approve"})
    assert missing.status_code == 404 and missing.json()["error"] == "not_found"
    nothing = client.post(f"/api/v1/assets/{web['assets'][1]}/review", headers=auth(web, "reviewer"),
                          json={"decision": "undo"})
    assert nothing.status_code == 422 and "no review decision to undo" in nothing.json()["detail"]


def test_asset_list_items_are_the_cli_json(web):
    cli = json.loads(cli_json(web["db_url"], "assets", "list", "--format", "json"))
    api = all_pages(web["client"], auth(web, "viewer"), limit=7)
    assert api == cli
    undocumented = all_pages(web["client"], auth(web, "viewer"), status="undocumented", limit=100)
    assert undocumented == [a for a in cli if a["status"] == "undocumented"]


def test_asset_detail_has_the_cli_show_fields(web):
    asset_id = web["assets"][5]
    cli = json.loads(cli_json(web["db_url"], "assets", "show", str(asset_id), "--format", "json"))
    api = web["client"].get(f"/api/v1/assets/{asset_id}", headers=auth(web, "viewer")).json()
    assert {k: api[k] for k in cli} == cli
    assert api["interfaces"][0]["switch_port"] == "Gi1/0/5"
    assert api["address_history"][0]["ip"] == cli["ips"][0]
    assert "telnet" in [h["code"] for h in api["risks"]]
    assert api["events"][0]["kind"] == "discovered" and api["software"] == []
    for bad in ("/api/v1/assets/0", "/api/v1/assets/abc", "/api/v1/assets/99999999999999999999999"):
        r = web["client"].get(bad, headers=auth(web, "viewer"))
        assert r.status_code == 422, bad


def test_reports_are_the_cli_json_byte_for_byte(web):
    client, headers = web["client"], auth(web, "viewer")
    web["client"].post(f"/api/v1/assets/{web['assets'][4]}/review", headers=auth(web, "reviewer"),
                       json={"decision": "rogue", "note": "n"})
    for url, args in (("/api/v1/reports/unknown", ("report", "unknown")),
                      ("/api/v1/reports/unknown?site=hq", ("report", "unknown", "--site", "hq")),
                      ("/api/v1/reports/changes?since=7d", ("report", "changes", "--since", "7d")),
                      ("/api/v1/reports/missing?days=0", ("report", "missing", "--days", "0"))):
        api = client.get(url, headers=headers)
        assert api.status_code == 200 and api.headers["content-type"] == "application/json"
        cli = cli_json(web["db_url"], *args, "--format", "json")
        if "changes" in url:    # the CLI's 7-day window starts a moment later
            assert json.loads(api.text) == json.loads(cli)
        else:
            assert api.text == cli
    rows = client.get("/api/v1/reports/unknown", headers=headers).json()
    assert rows[0]["status"] == "rogue" and len(rows) > 10
    assert client.get("/api/v1/reports/unknown?since=soon", headers=headers).status_code == 422


def test_filters(web):
    client, headers = web["client"], auth(web, "viewer")

    def ids(**params):
        return [a["id"] for a in all_pages(client, headers, **params)]

    everything = all_pages(client, headers)
    assert ids(status="rogue") == [a["id"] for a in everything if a["status"] == "rogue"]
    assert ids(status="rogue,ignored") == [a["id"] for a in everything if a["status"] in ("rogue", "ignored")]
    assert ids(device_class="printer") == [a["id"] for a in everything if a["device_class"] == "printer"]
    assert ids(vendor="acme") == [a["id"] for a in everything if a["vendor"] == "Acme"]
    assert ids(site="lab") == [a["id"] for a in everything if a["site"] == "lab"]
    assert ids(subnet="10.0.0.0/29") == [a["id"] for a in everything if a["ips"][0] in
                                          {f"10.0.0.{i}" for i in range(8)}]
    assert ids(subnet="10.0.0.0/24") == [a["id"] for a in everything if a["ips"][0].startswith("10.0.0.")]
    assert ids(subnet="192.168.76.0/23") == web["hostile"]
    assert ids(subnet="2001:db8::/64") == [web["v6"]]
    assert ids(q="HOST-1") == [a["id"] for a in everything if (a["hostname"] or "").startswith("host-1")]
    assert ids(q="192.168.77.3") == [web["hostile"][2]]
    assert ids(q="02:00:00:00:00:1e") == [web["assets"][30]]
    assert ids(q="%") == [a["id"] for a in everything if "%" in (a["hostname"] or "") + (a["vendor"] or "")]
    cutoff = NOW - timedelta(minutes=30, seconds=30)
    assert ids(seen_since=cutoff.isoformat()) == [a["id"] for a in everything
                                                  if a["last_seen"] >= cutoff.isoformat()]
    assert len(ids(seen_since="7d")) == len(everything)
    assert ids(sort="-id") == sorted((a["id"] for a in everything), reverse=True)
    by_seen = [a["id"] for a in all_pages(client, headers, sort="-last_seen", limit=4)]
    newest_first = sorted(everything, key=lambda a: (a["last_seen"], a["id"]), reverse=True)
    assert by_seen == [a["id"] for a in newest_first]


@pytest.mark.parametrize("params", [
    {"status": "lost"}, {"device_class": "toaster"}, {"subnet": "10.0.0.0/33"}, {"subnet": "eleven"},
    {"seen_since": "yesterday"}, {"sort": "vendor"}, {"limit": "0"}, {"limit": "5000"}, {"limit": "x"},
    {"cursor": "!!!"}, {"cursor": "WyJpZCIsbnVsbCwiMSJd"}, {"q": "x" * 201}, {"seen_since": "99999999d"},
])
def test_bad_filters_are_422_never_500(web, params):
    r = web["client"].get("/api/v1/assets", headers=auth(web, "viewer"), params=params)
    assert r.status_code == 422, r.text
    assert r.json()["error"] == "invalid_request" and r.json()["detail"]


def test_cursor_of_another_sort_is_refused(web):
    client, headers = web["client"], auth(web, "viewer")
    cursor = client.get("/api/v1/assets", headers=headers, params={"limit": 2}).json()["next_cursor"]
    r = client.get("/api/v1/assets", headers=headers, params={"limit": 2, "sort": "-id", "cursor": cursor})
    assert r.status_code == 422 and "another sort" in r.json()["detail"]


def test_pagination_is_stable_under_concurrent_inserts(web):
    client, headers, sessions = web["client"], auth(web, "viewer"), web["sessions"]
    before = [a["id"] for a in all_pages(client, headers, limit=100)]
    stop = threading.Event()
    inserted: list[int] = []

    def writer() -> None:
        for n in range(300, 400):
            if stop.is_set():
                return
            with sessions.begin() as s:
                inserted.append(add_asset(s, n, "undocumented", f"late-{n}"))

    thread = threading.Thread(target=writer)
    thread.start()
    try:
        seen = [a["id"] for a in all_pages(client, headers, limit=3)]
    finally:
        stop.set()
        thread.join(timeout=30)
    assert len(seen) == len(set(seen)), "an asset appeared on two pages"
    assert seen == sorted(seen)
    assert seen[: len(before)] == before, "an asset that existed before was skipped"
    assert set(seen[len(before):]) <= set(inserted)


def test_hostile_strings_come_back_intact(web):
    client, headers = web["client"], auth(web, "viewer")
    items = all_pages(client, headers, q="192.168.77.")
    assert [a["hostname"] for a in items] == list(HOSTILE)
    assert [a["vendor"] for a in items] == list(HOSTILE)
    detail = client.get(f"/api/v1/assets/{web['hostile'][0]}", headers=headers)
    assert detail.headers["content-type"] == "application/json"
    assert detail.json()["hostname"] == HOSTILE[0]
    unknown = {r["id"]: r["hostname"] for r in client.get("/api/v1/reports/unknown", headers=headers).json()}
    assert [unknown[i] for i in web["hostile"]] == list(HOSTILE)


def test_scans_and_events(web):
    client, headers = web["client"], auth(web, "viewer")
    (scan,) = client.get("/api/v1/scans", headers=headers).json()
    assert (scan["sweep_name"], scan["duration_s"], scan["counts"]["devices"]) == ("office <b>", 60.0, 31)
    first = client.get("/api/v1/events", headers=headers, params={"limit": 5}).json()
    assert len(first["items"]) == 5 and first["next_cursor"] == str(first["items"][-1]["id"])
    rest = client.get("/api/v1/events", headers=headers,
                      params={"cursor": first["next_cursor"], "limit": 1000})
    ids = [e["id"] for e in first["items"] + rest.json()["items"]]
    assert ids == sorted(set(ids)) and rest.json()["next_cursor"] is None
    recent = client.get("/api/v1/events", headers=headers, params={"since": "90m", "limit": 1000}).json()
    cutoff = (NOW - timedelta(minutes=90)).isoformat()
    assert recent["items"] and all(e["at"] >= cutoff for e in recent["items"])
    assert client.get("/api/v1/events", headers=headers, params={"since": "later"}).status_code == 422


CSV = "asset_tag,hostname,mac,ip,vendor\nT-1,files-1,02:aa:00:00:00:01,10.9.0.1,Acme\nT-2,host-1,,10.0.0.2,\n"


def test_inventory_upload_admin_only_and_dry_run(web):
    client, sessions = web["client"], web["sessions"]
    files = {"file": ("inv.csv", CSV.encode(), "text/csv")}
    for role in ("viewer", "reviewer"):
        assert client.post("/api/v1/inventory", headers=auth(web, role), files=files).status_code == 403
    with sessions() as s:
        count = len(s.scalars(select(Asset.id)).all())
    dry = client.post("/api/v1/inventory", headers=auth(web, "admin"), files=files, data={"dry_run": "true"})
    assert dry.status_code == 200, dry.text
    # the second row is host-1 (10.0.0.2): an update of a discovered asset
    assert dry.json() == {"records": 2, "created": 1, "updated": 1, "unchanged": 0, "skipped": [],
                          "dry_run": True}
    with sessions() as s:
        assert len(s.scalars(select(Asset.id)).all()) == count
    real = client.post("/api/v1/inventory", headers=auth(web, "admin"), files=files)
    assert real.json()["created"] == 1 and real.json()["dry_run"] is False
    with sessions() as s:
        assert len(s.scalars(select(Asset.id)).all()) == count + 1
        event = s.scalars(select(AssetEvent).where(AssetEvent.kind == "imported")).first()
        assert event.actor == "admin"
    again = client.post("/api/v1/inventory", headers=auth(web, "admin"), files=files, data={"dry_run": "1"})
    assert again.json()["unchanged"] == 2
    bad = client.post("/api/v1/inventory", headers=auth(web, "admin"),
                      files={"file": ("x.csv", b"hostname,mac\nh,not-a-mac\n", "text/csv")})
    assert bad.status_code == 422 and "line 2" in bad.json()["detail"]
    assert client.post("/api/v1/inventory", headers=auth(web, "admin")).status_code == 422


def test_sweeps_are_queued_never_run(web):
    client, sessions = web["client"], web["sessions"]
    body = {"targets": ["10.20.0.0/24", "10.20.1.7"], "methods": ["arp", "snmp"], "profile": "quick"}
    assert client.post("/api/v1/sweeps", headers=auth(web, "reviewer"), json=body).status_code == 403
    r = client.post("/api/v1/sweeps", headers=auth(web, "admin"), json=body)
    assert r.status_code == 202, r.text
    assert r.json()["targets"] == ["10.20.0.0/24", "10.20.1.7/32"] and r.json()["status"] == "queued"
    with sessions() as s:
        (row,) = s.scalars(select(SweepRequest)).all()
        assert (row.requested_by, row.methods, row.scan_id) == ("admin", ["arp", "snmp"], None)
        assert len(s.scalars(select(Scan.id)).all()) == 1, "a sweep request must not start a scan"
    for bad in ({"targets": []}, {"targets": ["example.com"]},
                {"targets": ["10.0.0.0/8"], "methods": ["ping"]},
                {"targets": ["10.0.0.0/8"], "profile": "a b"}):
        r = client.post("/api/v1/sweeps", headers=auth(web, "admin"), json=bad)
        assert r.status_code == 422, bad


def test_sweep_methods_are_the_scanner_registry(web):
    from netdiscover.scanners import SCANNERS

    client = web["client"]
    r = client.post("/api/v1/sweeps", headers=auth(web, "admin"),
                    json={"targets": ["fd00:20::/64"], "methods": ["ndp"]})
    assert r.status_code == 202, r.text
    assert r.json()["methods"] == ["ndp"]
    schema = client.get("/openapi.json").json()["components"]["schemas"]["SweepCreate"]
    variants = schema["properties"]["methods"]["anyOf"]
    (listed,) = [v["items"]["enum"] for v in variants if v.get("type") == "array"]
    assert listed == list(SCANNERS)


def test_metrics_openapi_and_unknown_routes(web):
    client = web["client"]
    client.get("/api/v1/assets", headers=auth(web, "viewer"))
    text = client.get("/metrics").text
    assert 'netdiscover_http_requests_total{method="GET",route="/api/v1/assets",status="200"}' in text
    assert 'netdiscover_assets{status="undocumented"}' in text
    spec = client.get("/openapi.json").json()
    assert {"/api/v1/assets", "/api/v1/assets/{asset_id}/review", "/api/v1/sweeps"} <= set(spec["paths"])
    assert not any(p.startswith(("/login", "/unknown")) for p in spec["paths"])
    r = client.get("/api/v1/nothing-here", headers=auth(web, "viewer"))
    assert r.status_code == 404 and r.json()["error"] == "not_found"
    assert client.delete("/api/v1/assets", headers=auth(web, "viewer")).status_code == 405
