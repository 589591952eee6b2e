"""A key that names several assets: one private IP in use at two sites.

``assets show`` shows the likeliest and names the others on standard error (``--site`` picks
one); ``review`` refuses to guess which asset a decision is about.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from click.testing import CliRunner

from netdiscover.cli import main
from netdiscover.services.assets import find_asset_ids
from netdiscover.storage.engine import open_database
from netdiscover.storage.models import Address, Asset

AT = datetime(2026, 6, 1, tzinfo=UTC)
SHARED = "10.1.0.5"


def _seed(sessions) -> dict[str, int]:
    made = {}
    with sessions.begin() as s:
        for n, site in enumerate(("paris", "lyon", "nantes")):
            asset = Asset(status="undocumented", site=site, hostname=f"box-{site}", first_seen=AT,
                          last_seen=AT + timedelta(hours=n), created_at=AT, updated_at=AT)
            s.add(asset)
            s.flush()
            made[site] = asset.id
        # paris and lyon hold the address now (lyon seen last); nantes held it before
        for site, current, seen in (("paris", True, 1), ("lyon", True, 2), ("nantes", False, 3)):
            s.add(Address(asset_id=made[site], ip=SHARED, current=current, first_seen=AT,
                          last_seen=AT + timedelta(hours=seen)))
        s.add(Address(asset_id=made["nantes"], ip="10.3.0.9", current=False, first_seen=AT,
                      last_seen=AT + timedelta(hours=1)))
        s.add(Address(asset_id=made["lyon"], ip="10.3.0.9", current=False, first_seen=AT,
                      last_seen=AT + timedelta(hours=5)))
    return made


def test_an_ip_names_its_current_holders_at_every_site(sqlite_url):
    sessions = open_database(sqlite_url)
    made = _seed(sessions)
    with sessions() as session:
        assert find_asset_ids(session, SHARED) == [made["lyon"], made["paris"]]
        assert find_asset_ids(session, SHARED, site="paris") == [made["paris"]]
        assert find_asset_ids(session, SHARED, site="nantes") == [made["nantes"]]     # only past
        assert find_asset_ids(session, SHARED, site="nowhere") == []
        assert find_asset_ids(session, "10.3.0.9") == [made["lyon"]]     # no current holder: latest
        assert find_asset_ids(session, "box-paris") == [made["paris"]]


def _cli(url: str, *args: str):
    return CliRunner().invoke(main, ["--db", url, *args])


def test_assets_show_names_the_other_assets_and_site_picks_one(sqlite_url):
    made = _seed(open_database(sqlite_url))
    shown = _cli(sqlite_url, "assets", "show", SHARED, "--format", "json")
    assert shown.exit_code == 0, shown.output
    assert f'"id": {made["lyon"]}' in shown.stdout
    assert f"also names asset {made['paris']}" in shown.stderr
    at_paris = _cli(sqlite_url, "assets", "show", SHARED, "--site", "paris", "--format", "json")
    assert at_paris.exit_code == 0 and f'"id": {made["paris"]}' in at_paris.stdout
    assert "also names" not in at_paris.stderr
    nowhere = _cli(sqlite_url, "assets", "show", SHARED, "--site", "nowhere")
    assert nowhere.exit_code != 0 and "at site 'nowhere'" in nowhere.stderr
    assert "Traceback" not in nowhere.output and len(nowhere.stderr.strip().splitlines()) == 1


def test_review_refuses_a_key_that_names_two_assets(sqlite_url):
    sessions = open_database(sqlite_url)
    made = _seed(sessions)
    refused = _cli(sqlite_url, "review", "approve", SHARED, "--note", "x", "--by", "alice")
    assert refused.exit_code != 0 and "names 2 assets" in refused.stderr
    assert str(made["paris"]) in refused.stderr and str(made["lyon"]) in refused.stderr
    with sessions() as session:
        assert {session.get(Asset, i).status for i in made.values()} == {"undocumented"}
    by_id = _cli(sqlite_url, "review", "approve", str(made["paris"]), "--by", "alice")
    assert by_id.exit_code == 0, by_id.output
    with sessions() as session:
        assert session.get(Asset, made["paris"]).status == "approved"
