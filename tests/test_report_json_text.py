"""``report unknown --format json`` is written from plain rows (reports/unknown_json.py), not from a
dict per row; its bytes must stay those of rendering ``build_row``'s dicts (the definition, and
what the API serves), on SQLite and PostgreSQL, whatever the stored values hold.

The reference here is built independently: ORM assets with their children, ``build_row`` per
asset, the report's order written out in Python, ``render_json``.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from click.testing import CliRunner
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from netdiscover.cli import main
from netdiscover.reports.render_json import iter_json_array, render_json
from netdiscover.reports.unknown import build_row, summary
from netdiscover.reports.unknown_json import json_array
from netdiscover.services.assets import iter_asset_dicts, iter_asset_json
from netdiscover.services.reports import (
    iter_unknown_json_rows,
    iter_unknown_summaries,
    records_by_asset,
    subnet_index,
    unknown_rows,
)
from netdiscover.storage.assets import list_assets
from netdiscover.storage.models import Address, Asset, Interface, ObservationRecord, Service
from netdiscover.storage.repository import asset_to_dict

HOSTILE = ['"quoted" \\back\\slash', "<script>alert(1)</script>", "line\nbreak\ttab\r\x08\x0c\x1f",
           "\x1b[31mred\x1b[0m", "100% %s %(x)s {0}", "é ü ß 中文 🎉", "\u2028\u2029\u202eevil", "\x7f",
           "", " ", "null", "[]", "{}", "\\u0000"]
BASE = datetime(2026, 3, 4, 5, 6, 7, tzinfo=UTC)


def _seed(factory) -> None:
    with factory.begin() as s:
        for i, bad in enumerate(HOSTILE * 2):
            at = BASE - timedelta(hours=i % 5, microseconds=(i * 137) % 3 if i % 3 else 0)
            status = ("rogue", "undocumented", "undocumented", "ignored", "documented")[i % 5]
            asset = Asset(
                status=status, hostname=bad or None, vendor=bad, model=None if i % 2 else bad,
                os_name=bad if i % 3 else None, os_version=("1.0", None, bad)[i % 3], serial=bad,
                site=("hq", None, bad)[i % 3], owner=bad, location=bad, lifecycle_state=None, asset_tag=bad,
                snmp_engine_id=bad, device_class=("camera", "workstation", "", "iot")[i % 4],
                confidence=(0.0, 0.5, 0.73456, 0.9999, 1 / 3, -0.0, 1, 0.0005)[i % 8],
                methods=[["snmp", "arp", bad], ["arp"], [], None][i % 4],
                attributes=[{}, {"room": bad, "nested": {"k": [1, 2.5, None, True, bad]}}, None][i % 3],
                field_sources=[None, {"hostname": "inventory", bad: bad}][i % 2],
                snmp_credential=[None, "public", "v3:ops", bad][i % 4], present=bool(i % 2),
                missed_sweeps=i % 3, first_seen=None if i == 7 else at, last_seen=at,
                created_at=at, updated_at=at,
                fingerprint=[None, {}, {"confidence": {"vendor": 0.9, bad: 0.1},
                                        "evidence": [{"source": "snmp", "rule": bad, "field": "vendor",
                                                      "value": bad, "weight": 0.8}, bad],
                                        "conflicts": [{"field": "model", "value": bad}]}][i % 3])
            s.add(asset)
            s.flush()
            for n in range(i % 3 + (i == 0)):        # none, one, two or three interfaces
                mac = f"{2 * (i % 2):02x}:11:22:33:{i:02x}:{n:02x}"
                seen = None if (i + n) % 4 == 3 else at - timedelta(minutes=n * (i % 2 * 2 - 1))
                s.add(Interface(asset_id=asset.id, mac=mac, mac_vendor=bad if n else None, name=bad,
                                switch=bad if n == 1 else None, switch_port="Gi0/1" if n == 2 else None,
                                randomised=bool(n % 2), first_seen=seen, last_seen=seen))
                s.add(Address(asset_id=asset.id, ip=f"10.{i % 2}.{n}.{i + 1}", mac=mac, current=n != 1,
                              first_seen=seen, last_seen=seen))
                s.add(Address(asset_id=asset.id, ip=f"fd00::{i:x}:{n:x}", mac=None, current=n == 1,
                              first_seen=at, last_seen=seen if n else at + timedelta(seconds=n)))
            for port, name, is_open in ((80, "http", True), (23, bad, i % 2 == 0), (8883, "ssl/mqtt", True))[
                    : i % 4]:
                s.add(Service(asset_id=asset.id, port=port, protocol=("tcp", "udp")[port == 8883 and i % 2],
                              name=name, product=bad, version=bad, cpe=[bad] if port == 80 else None,
                              banner=bad if port != 8883 else None, extrainfo=None, open=is_open,
                              first_seen=at, last_seen=at))
            if i % 4 == 1:
                s.add(ObservationRecord(asset_id=asset.id, method="snmp", kind="neighbour", seen_at=at,
                                        data={"reporter": bad or "r1", "credential": "public"}))
                s.add(ObservationRecord(asset_id=asset.id, method="lldp", kind="location", seen_at=at,
                                        data={"reporter": "sw1", "switch": bad, "switch_port": "Gi0/2"}))
                s.add(ObservationRecord(asset_id=asset.id, method="snmp", kind="host", seen_at=at,
                                        data={"flags": ["default community"], "facts": {"snmp": {
                                            "default_community": True}}}))


def _reference(session) -> str:
    """render_json of build_row over the ORM assets, in the report's order written out here."""
    assets = list(session.scalars(
        select(Asset).where(Asset.status.in_(["rogue", "undocumented"]))
        .options(selectinload(Asset.interfaces), selectinload(Asset.addresses),
                 selectinload(Asset.services))))

    def order(a):
        first = a.first_seen
        return (a.status != "rogue", -first.timestamp() if first else float("inf"), -a.id)

    assets.sort(key=order)
    index = subnet_index(session)
    rows = []
    for start in range(0, len(assets), 500):           # records_by_asset's chunks, as the report reads them
        chunk = assets[start:start + 500]
        records = records_by_asset(session, chunk)
        rows += [build_row(a, records.get(a.id, []), index) for a in chunk]
    return render_json(rows)


@pytest.fixture
def seeded(sessions):
    _seed(sessions)
    return sessions


def test_text_rows_equal_rendered_dicts(seeded, db_url):
    with seeded() as session:
        expected = _reference(session)
        assert "".join(json_array(iter_unknown_json_rows(session))) + "\n" == expected
        assert render_json(unknown_rows(session)) == expected         # what the API serves
        since = BASE - timedelta(hours=2, seconds=1)
        assert ("".join(json_array(iter_unknown_json_rows(session, since=since, site="hq"))) + "\n"
                == render_json(unknown_rows(session, since=since, site="hq")))
    res = CliRunner().invoke(main, ["--db", db_url, "report", "unknown", "--format", "json"])
    assert res.exit_code == 0, res.output
    assert res.output == expected
    # the seed reaches the paths the writer treats apart from the common one
    assert '"risks": [\n      {' in expected and '"routers": [\n        "' in expected
    assert '"evidence": [\n      {' in expected and '"banners": [\n      {' in expected
    assert re.search(r'"first_seen": "[-0-9T:]+\.\d{6}\+00:00"', expected)
    assert re.search(r'"first_seen": "[-0-9T:]+\+00:00"', expected) and '"first_seen": null' in expected


def test_summaries_count_as_the_rows_do(seeded):
    with seeded() as session:
        rows = unknown_rows(session)
        assert list(iter_unknown_summaries(session)) == [
            {"status": r["status"], "device_class": r["device_class"], "risks": r["risks"]} for r in rows]
        assert summary(list(iter_unknown_summaries(session))) == summary(rows)
        assert any(r["risks"] for r in rows)


def test_asset_rows_equal_rendered_dicts(seeded, db_url):
    with seeded() as session:
        for status, site in ((None, None), ("rogue", None), (None, "hq")):
            expected = "".join(iter_json_array(iter_asset_dicts(session, status=status, site=site)))
            assert "".join(json_array(iter_asset_json(session, status=status, site=site))) == expected
    res = CliRunner().invoke(main, ["--db", db_url, "assets", "list", "--format", "json"])
    assert res.exit_code == 0, res.output
    with seeded() as session:
        assert res.output == render_json([asset_to_dict(a) for a in list_assets(session)])


def test_empty_report_is_an_empty_array(sessions):
    with sessions() as session:
        assert "".join(json_array(iter_unknown_json_rows(session))) + "\n" == render_json([]) == "[]\n"


def test_pieces_join_to_one_array():
    rows = [f'{{"n": {i}}}' for i in range(5)]
    assert list(json_array(rows, rows_per_piece=2)) == [
        '[\n  {"n": 0},\n  {"n": 1}', ',\n  {"n": 2},\n  {"n": 3}', ',\n  {"n": 4}\n]']


def test_rows_read_ahead_in_small_batches_are_the_same(seeded, db_url, monkeypatch):
    """Many batches, each read while the one before is written (services.read_ahead), with the
    subnet index read on the writer's side meanwhile: the same bytes as one batch."""
    import netdiscover.services.assets as asset_service
    import netdiscover.services.reports as report_service

    with seeded() as session:
        expected = _reference(session)
        listing = "".join(iter_json_array(iter_asset_dicts(session)))
        summaries = list(iter_unknown_summaries(session))
    monkeypatch.setattr(report_service, "BULK_BATCH", 4)
    monkeypatch.setattr(report_service, "SIGHTINGS_CHUNK", 2)
    monkeypatch.setattr(asset_service, "BULK_BATCH", 3)
    with seeded() as session:
        assert "".join(json_array(iter_unknown_json_rows(session))) + "\n" == expected
        assert list(iter_unknown_summaries(session)) == summaries
        assert render_json(unknown_rows(session)) == expected
        assert "".join(json_array(iter_asset_json(session))) == listing
    res = CliRunner().invoke(main, ["--db", db_url, "report", "unknown", "--format", "html"])
    assert res.exit_code == 0, res.output
