"""Review decisions: approve, ignore, rogue, undo; logged with who and why; all-or-nothing."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from netdiscover.cli import main
from netdiscover.services.reports import unknown_rows
from netdiscover.services.review import ReviewError, decide, undo
from netdiscover.storage.engine import open_database
from netdiscover.storage.models import Asset, AssetEvent

NOW = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)


def new_asset(session, hostname: str, status: str = "undocumented") -> int:
    asset = Asset(status=status, hostname=hostname, first_seen=NOW, last_seen=NOW, created_at=NOW,
                  updated_at=NOW)
    session.add(asset)
    session.flush()
    return asset.id


def events(session, asset_id):
    return list(session.scalars(select(AssetEvent).where(AssetEvent.asset_id == asset_id)
                                .order_by(AssetEvent.id)))


def test_decisions_change_status_and_log_who_and_why(sessions):
    with sessions.begin() as s:
        a, b, c = (new_asset(s, n) for n in ("laptop", "guest", "pineapple"))
    with sessions.begin() as s:
        decide(s, "approve", [a], by="alice", note="new finance laptop, ticket 4411")
        decide(s, "ignore", [b], by="bob", note="visitor phone")
        decide(s, "rogue", [c], by="carol", note="unknown AP in meeting room")
    with sessions() as s:
        assert [s.get(Asset, i).status for i in (a, b, c)] == ["approved", "ignored", "rogue"]
        (ev,) = events(s, a)
        assert (ev.kind, ev.actor, ev.note, ev.old, ev.new) == (
            "approved", "alice", "new finance laptop, ticket 4411", {"status": "undocumented"},
            {"status": "approved"})
        assert [r["id"] for r in unknown_rows(s)] == [c]


def test_undo_walks_back_one_decision_at_a_time(sessions):
    with sessions.begin() as s:
        a = new_asset(s, "printer")
    with sessions.begin() as s:
        decide(s, "approve", [a], by="alice")
        decide(s, "rogue", [a], by="bob", note="not ours after all")
    with sessions.begin() as s:
        assert undo(s, a, by="carol").new_status == "approved"
    with sessions.begin() as s:
        assert undo(s, a, by="carol").new_status == "undocumented"
    with sessions.begin() as s:
        with pytest.raises(ReviewError, match="no review decision to undo"):
            undo(s, a)
        kinds = [(e.kind, (e.new or {}).get("status")) for e in events(s, a)]
        assert kinds == [("approved", "approved"), ("rogue", "rogue"), ("review_undone", "approved"),
                         ("review_undone", "undocumented")]


def test_unknown_asset_changes_nothing(sessions):
    with sessions.begin() as s:
        a = new_asset(s, "box")
    with sessions() as s:
        with pytest.raises(ReviewError, match="no asset with id 999"):
            decide(s, "approve", [a, 999], by="x")
        s.rollback()
        assert s.get(Asset, a).status == "undocumented" and events(s, a) == []
    with sessions() as s, pytest.raises(ReviewError, match="unknown decision"):
        decide(s, "bless", [a])


def test_cli_review(sqlite_url):
    factory = open_database(sqlite_url)
    with factory.begin() as s:
        a, b = new_asset(s, "one"), new_asset(s, "two")
    runner = CliRunner()
    res = runner.invoke(main, ["--db", sqlite_url, "review", "rogue", str(a), str(b),
                               "--note", "seen at night", "--by", "dana"])
    assert res.exit_code == 0, res.output
    assert f"asset {a}: undocumented -> rogue" in res.output
    res = runner.invoke(main, ["--db", sqlite_url, "review", "undo", str(b), "--by", "dana"])
    assert res.exit_code == 0 and f"asset {b}: rogue -> undocumented" in res.output
    res = runner.invoke(main, ["--db", sqlite_url, "review", "approve", "12345"])
    assert res.exit_code == 2 and "no asset with id 12345" in res.output and "Traceback" not in res.output
    res = runner.invoke(main, ["--db", sqlite_url, "review", "approve", "no-such-host"])
    assert res.exit_code == 2 and "no asset matches 'no-such-host'" in res.output
    res = runner.invoke(main, ["--db", sqlite_url, "review", "ignore", "TWO", "--by", "dana"])
    assert res.exit_code == 0 and f"asset {b}: undocumented -> ignored" in res.output
    with factory() as s:
        assert s.get(Asset, a).status == "rogue"
        ev = events(s, a)[0]
        assert (ev.actor, ev.note) == ("dana", "seen at night")
    factory.kw["bind"].dispose()
