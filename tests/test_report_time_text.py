"""The database writes report timestamps as ``datetime.isoformat()`` does (storage.reports.iso_text)."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import text

from netdiscover.storage.models import Asset
from netdiscover.storage.reports import REPORT_ASSET_COLUMNS, report_text_batch

MOMENTS = (datetime(2026, 3, 4, 5, 6, 7, tzinfo=UTC), datetime(2026, 3, 4, 5, 6, 7, 1, tzinfo=UTC),
           datetime(2026, 12, 31, 23, 59, 59, 999999, tzinfo=UTC),
           datetime(2026, 1, 1, 0, 0, 0, 500000, tzinfo=UTC), None)
MADE = datetime(2026, 1, 1, tzinfo=UTC)
FIRST, LAST = REPORT_ASSET_COLUMNS.index("first_seen"), REPORT_ASSET_COLUMNS.index("last_seen")


def test_timestamps_come_as_isoformat_text(sessions):
    with sessions.begin() as s:
        ids = []
        for moment in MOMENTS:
            asset = Asset(status="undocumented", first_seen=moment, last_seen=moment, created_at=MADE,
                          updated_at=MADE)
            s.add(asset)
            s.flush()
            ids.append(asset.id)
    with sessions() as s:
        rows = report_text_batch(s, ids)[0]
    assert [(r[FIRST], r[LAST]) for r in rows] == [
        (m.isoformat(), m.isoformat()) if m else (None, None) for m in MOMENTS]


def test_sqlite_text_written_without_a_fraction(sqlite_url):
    from netdiscover.storage.engine import open_database

    factory = open_database(sqlite_url)
    with factory.begin() as s:
        s.add(Asset(id=1, status="undocumented", created_at=MADE, updated_at=MADE))
        s.flush()
        s.execute(text("UPDATE assets SET first_seen = '2026-03-04 05:06:07', "
                       "last_seen = '2026-03-04 05:06:07.000100' WHERE id = 1"))
    with factory() as s:
        row = report_text_batch(s, [1])[0][0]
    factory.kw["bind"].dispose()
    assert (row[FIRST], row[LAST]) == ("2026-03-04T05:06:07+00:00", "2026-03-04T05:06:07.000100+00:00")
