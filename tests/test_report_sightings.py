"""The reports' plain read of 'how found' sightings (storage.reports.report_sightings) gives what
the ORM query (asset_observations.recent_sightings) gives, and is served by the partial index."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from netdiscover.storage import reports as stored
from netdiscover.storage.asset_observations import recent_sightings
from netdiscover.storage.models import Asset, ObservationRecord

AT = datetime(2026, 5, 1, 12, 0, 0, 250000, tzinfo=UTC)
HOSTILE = {"reporter": "r1'; DROP TABLE assets; --", "é": ["中文", None, 1.5], "flags": ["community"]}


def _seed(sessions) -> list[int]:
    with sessions.begin() as s:
        assets = [Asset(status="undocumented", created_at=AT, updated_at=AT) for _ in range(4)]
        s.add_all(assets)
        s.flush()
        for n in range(12):
            for a in assets[:3]:
                seen = AT - timedelta(microseconds=n, hours=n % 3)
                s.add(ObservationRecord(asset_id=a.id, method="arp", kind="host", seen_at=seen,
                                        data={"n": n}))
                s.add(ObservationRecord(asset_id=a.id, method="snmp", kind="host", seen_at=seen,
                                        data={"n": n, "credential": "public"}))
                s.add(ObservationRecord(asset_id=a.id, method="lldp", kind=("neighbour", "location")[n % 2],
                                        seen_at=seen, data=HOSTILE if n == 3 else None))
        return [a.id for a in assets]


ELSEWHERE = timezone(timedelta(hours=-5))


@pytest.mark.parametrize("since", [None, AT, AT - timedelta(microseconds=5), AT - timedelta(hours=1),
                                   (AT - timedelta(hours=2)).astimezone(ELSEWHERE), AT + timedelta(1)])
def test_same_rows_as_the_orm_query(sessions, since):
    ids = _seed(sessions)
    with sessions() as session:
        expected = [(r.asset_id, r.kind, r.data) for r in recent_sightings(session, ids, since)]
        found = [tuple(r) for r in stored.report_sightings(session, list(reversed(ids)), since)]
    assert found == expected
    assert since == AT + timedelta(1) or found


def test_served_by_the_partial_index(sessions, monkeypatch):
    ids = _seed(sessions)
    ran: list[tuple[str, list[int], str]] = []
    real = stored.fetch_in_sql

    def capture(conn, head, values, where="", convs=()):
        ran.append((head, list(values), where))
        return real(conn, head, values, where, convs)

    monkeypatch.setattr(stored, "fetch_in_sql", capture)
    with sessions() as session:
        stored.report_sightings(session, ids, AT)
        head, values, where = ran[-1]
        conn = session.connection()
        if conn.dialect.name == "sqlite":
            sql = f"EXPLAIN QUERY PLAN {head}IN ({', '.join(map(str, values))}) AND {where}"
            plan = " ".join(r[3] for r in conn.exec_driver_sql(sql))
        else:
            conn.exec_driver_sql("SET LOCAL enable_seqscan = off")
            array = "'{" + ",".join(map(str, values)) + "}'::bigint[]"
            sql = f"EXPLAIN {head}IN (SELECT unnest({array})) AND {where}"
            plan = " ".join(r[0] for r in conn.exec_driver_sql(sql.replace("%", "%%")))
    assert "ix_observations_sightings" in plan, plan


def test_records_of_report_keys_as_of_loaded_assets(sessions):
    """The report reads (id, last_seen) as the database gives it; the 'how found' window (RECENT
    before each chunk's earliest last sighting) must come out as from loaded assets."""
    from sqlalchemy import select

    from netdiscover.services.reports import RECENT, records_by_asset

    earliest = AT - timedelta(days=3, microseconds=7)
    with sessions.begin() as s:
        assets = [Asset(status="undocumented", created_at=AT, updated_at=AT, last_seen=seen)
                  for seen in (AT, earliest, None, AT.replace(microsecond=0))]
        s.add_all(assets)
        s.flush()
        for a in assets:
            for gap in (timedelta(0), timedelta(microseconds=1), -timedelta(microseconds=1)):
                s.add(ObservationRecord(asset_id=a.id, method="lldp", kind="neighbour",
                                        seen_at=earliest - RECENT + gap, data={"gap": gap.microseconds}))
    with sessions() as s:
        keys = stored.unknown_keys(s, ("undocumented",), None, None)
        loaded = list(s.scalars(select(Asset).order_by(Asset.id)))
        by_keys = records_by_asset(s, keys)
        by_assets = records_by_asset(s, loaded)
    assert {k: [r.data for r in v] for k, v in by_keys.items()} == \
        {k: [r.data for r in v] for k, v in by_assets.items()}
    assert sorted(len(v) for v in by_keys.values()) == [2, 2, 2, 2]       # the one before the window left out
