"""Sites in identity: the same private range at two sites never merges devices by IP; a MAC seen
at another site is the same device, moved (SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import netaddr

from netdiscover.observation import Observation
from netdiscover.services.reconcile import reconcile
from netdiscover.storage.assets import list_assets
from netdiscover.storage.events import events_for
from netdiscover.storage.repository import asset_to_dict

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
SCOPE = netaddr.IPSet(["10.1.0.0/24"])


def seen(ip: str, mac: str | None = None, method: str = "nmap", **kw) -> Observation:
    return Observation(method=method, ip=ip, mac=mac, seen_at=kw.pop("at", T0), **kw)


def sweep(sessions, obs, site, at=T0, **kw):
    return reconcile(sessions, obs, scope=kw.pop("scope", SCOPE), now=at, fingerprinter=lambda _o: None,
                     site=site, **kw)


def assets(sessions) -> list[dict]:
    with sessions() as s:
        return [asset_to_dict(a) for a in list_assets(s)]


def test_same_range_at_two_sites_stays_apart(sessions):
    """IP-only sightings (nmap from a routed site) at 10.1.0.x in two sites are separate assets."""
    ips = [f"10.1.0.{i}" for i in range(1, 11)]
    a = sweep(sessions, [seen(ip) for ip in ips], "paris")
    b = sweep(sessions, [seen(ip) for ip in ips], "lyon")
    assert (a.new, b.new) == (10, 10)
    rows = assets(sessions)
    assert len(rows) == 20
    assert {(r["site"], r["ips"][0]) for r in rows} == {(s, ip) for s in ("paris", "lyon") for ip in ips}
    # a rescan at each site finds its own assets again, nothing new
    t1 = T0 + timedelta(minutes=10)
    again = [sweep(sessions, [seen(ip, at=t1) for ip in ips], site, at=t1) for site in ("paris", "lyon")]
    assert [r.new for r in again] == [0, 0]
    assert sorted(r.asset_ids == a.asset_ids for r in again) == [False, True]
    assert len(assets(sessions)) == 20
    # the other site's addresses stay current: site lyon's sweep took nothing from paris
    assert all(r["ips"] for r in assets(sessions))


def test_same_ip_and_different_mac_at_two_sites(sessions):
    sweep(sessions, [seen("10.1.0.5", "00:11:22:00:00:05", "arp")], "paris")
    sweep(sessions, [seen("10.1.0.5", "00:11:22:00:00:99", "arp")], "lyon")
    rows = sorted(assets(sessions), key=lambda r: r["site"])
    assert [(r["site"], r["ips"]) for r in rows] == [("lyon", ["10.1.0.5"]), ("paris", ["10.1.0.5"])]
    with sessions() as s:
        kinds = {e.kind for r in rows for e in events_for(s, r["id"])}
    assert "ip_changed" not in kinds


def test_absence_is_decided_per_site(sessions):
    """Site lyon's sweeps, which saw nothing at 10.1.0.5, never mark paris's 10.1.0.5 disappeared."""
    sweep(sessions, [seen("10.1.0.5", "00:11:22:00:00:05", "arp")], "paris")
    sweep(sessions, [seen("10.1.0.6", "00:11:22:00:00:06", "arp")], "lyon")
    for hours in (1, 2, 3):
        t = T0 + timedelta(hours=hours)
        res = sweep(sessions, [seen("10.1.0.6", "00:11:22:00:00:06", "arp", at=t)], "lyon", at=t)
        assert (res.missed, res.disappeared) == (0, 0)
    # the same empty sweeps at paris do conclude
    for hours in (4, 5):
        res = sweep(sessions, [], "paris", at=T0 + timedelta(hours=hours), coverage={"arp": SCOPE})
    assert res.disappeared == 1
    present = {r["site"]: r["present"] for r in assets(sessions)}
    assert present == {"paris": False, "lyon": True}


def test_a_mac_at_another_site_is_one_device_that_moved(sessions):
    first = sweep(sessions, [seen("10.1.0.5", "00:11:22:00:00:05", "arp")], "paris")
    t1 = T0 + timedelta(hours=1)
    moved = sweep(sessions, [seen("10.2.0.9", "00:11:22:00:00:05", "arp", at=t1)], "lyon", at=t1,
                  scope=netaddr.IPSet(["10.2.0.0/24"]))
    assert moved.new == 0 and moved.asset_ids == first.asset_ids
    (row,) = assets(sessions)
    assert row["site"] == "lyon"
    assert row["ips"] == ["10.2.0.9"]          # paris's address is no longer current
    with sessions() as s:
        events = [e for e in events_for(s, row["id"]) if e.kind == "site_changed"]
    assert len(events) == 1
    assert (events[0].old, events[0].new) == ({"site": "paris"}, {"site": "lyon"})
    assert "moved from site paris to site lyon" in events[0].note
    # seen again at lyon: no further event
    sweep(sessions, [seen("10.2.0.9", "00:11:22:00:00:05", "arp", at=t1)], "lyon", at=t1 + timedelta(hours=1),
          scope=netaddr.IPSet(["10.2.0.0/24"]))
    with sessions() as s:
        assert sum(e.kind == "site_changed" for e in events_for(s, row["id"])) == 1


def test_an_unsited_asset_takes_the_site_and_a_local_sweep_keeps_it(sessions):
    sweep(sessions, [seen("10.1.0.5")], None)
    res = sweep(sessions, [seen("10.1.0.5")], "paris", at=T0 + timedelta(minutes=5))
    assert res.new == 0
    (row,) = assets(sessions)
    assert row["site"] == "paris"
    # a sweep without a site (single-site install) still finds it by IP and leaves its site alone
    res = sweep(sessions, [seen("10.1.0.5")], None, at=T0 + timedelta(minutes=10))
    assert res.new == 0
    assert [r["site"] for r in assets(sessions)] == ["paris"]
    # another site's sweep does not take it
    res = sweep(sessions, [seen("10.1.0.5")], "lyon", at=T0 + timedelta(minutes=15))
    assert res.new == 1
    assert sorted(r["site"] for r in assets(sessions)) == ["lyon", "paris"]


def test_assets_list_filters_by_site(tmp_path):
    import json

    from click.testing import CliRunner

    from netdiscover.cli import main
    from netdiscover.storage.engine import open_database

    url = f"sqlite:///{tmp_path}/nd.db"
    sessions = open_database(url)
    sweep(sessions, [seen("10.1.0.5"), seen("10.1.0.6")], "paris")
    sweep(sessions, [seen("10.1.0.5")], "lyon")
    out = CliRunner().invoke(main, ["--db", url, "assets", "list", "--site", "lyon", "--format", "json"])
    assert out.exit_code == 0, out.output
    assert [(a["site"], a["ips"]) for a in json.loads(out.output)] == [("lyon", ["10.1.0.5"])]
    sessions.kw["bind"].dispose()
