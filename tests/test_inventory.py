"""Inventory import/export: documented records, idempotent re-import, all-or-nothing, hostile files."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import netaddr
import pytest
from sqlalchemy import func, select

from netdiscover.inventory import (
    InventoryError,
    export_csv,
    export_json,
    export_rows,
    parse_file,
)
from netdiscover.observation import Observation
from netdiscover.services.inventory import import_records
from netdiscover.services.reconcile import reconcile
from netdiscover.storage.assets import list_assets
from netdiscover.storage.models import Asset, AssetEvent
from netdiscover.storage.repository import asset_to_dict

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)

CSV = (
    "Asset Tag,NAME,Mac Address,IP,Serial,Vendor,Model,Owner,Location,Site,Lifecycle_State,Cost Center\r\n"
    "A-1,printer-1,00:11:22:33:44:55,10.20.0.9,CN12345678,HP,LaserJet M404,alice,Room 1,hq,deployed,"
    "=SUM(A1)\r\n"
    "A-2,files,00-11-22-33-44-66;00:11:22:33:44:67,,,,,bob,,hq,maintenance,\r\n"
    "A-3,legacy-box,,10.20.0.30,,,,carol,,hq,,\r\n"
)


def write(tmp_path, name: str, data: str | bytes):
    path = tmp_path / name
    path.write_bytes(data.encode() if isinstance(data, str) else data)
    return path


def load(sessions, tmp_path, data, name="inv.csv", **kw):
    records, errors = parse_file(write(tmp_path, name, data), **kw)
    return import_records(sessions, records, actor="tester", now=T0), errors


def dicts(sessions):
    with sessions() as s:
        return {a["asset_tag"] or a["macs"][0]: a for a in map(asset_to_dict, list_assets(s))}


def test_import_creates_documented_assets_and_reimport_changes_nothing(sessions, tmp_path):
    res, errors = load(sessions, tmp_path, CSV)
    assert (res.created, errors) == (3, [])
    assets = dicts(sessions)
    a1 = assets["A-1"]
    assert a1["status"] == "documented" and a1["hostname"] == "printer-1" and a1["vendor"] == "HP"
    assert a1["macs"] == ["00:11:22:33:44:55"] and a1["ips"] == ["10.20.0.9"]
    assert a1["attributes"] == {"cost_center": "=SUM(A1)"} and a1["lifecycle_state"] == "deployed"
    assert sorted(assets["A-2"]["macs"]) == ["00:11:22:33:44:66", "00:11:22:33:44:67"]
    with sessions() as s:
        events_before = s.scalar(select(func.count()).select_from(AssetEvent))
    again, _ = load(sessions, tmp_path, CSV)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 3)
    assert dicts(sessions) == assets
    with sessions() as s:
        assert s.scalar(select(func.count()).select_from(AssetEvent)) == events_before


def test_documented_versus_undocumented_after_a_sweep(sessions, tmp_path):
    load(sessions, tmp_path, CSV)
    obs = [
        Observation(method="arp", ip="10.20.0.9", mac="00:11:22:33:44:55", seen_at=T0),  # A-1 by MAC
        Observation(method="arp", ip="10.20.0.30", mac="00:11:22:33:44:30", seen_at=T0),  # A-3 by IP only
        Observation(method="arp", ip="10.20.0.77", mac="00:11:22:33:44:77", seen_at=T0),  # nobody's
    ]
    res = reconcile(
        sessions, obs, now=T0, scope=netaddr.IPSet(["10.20.0.0/24"]), fingerprinter=lambda o: None
    )
    assert res.new == 1 and len(res.new_undocumented_ids) == 1
    assets = dicts(sessions)
    assert assets["A-1"]["status"] == "documented" and assets["A-1"]["methods"] == ["arp"]
    assert assets["A-3"]["status"] == "documented" and assets["A-3"]["macs"] == ["00:11:22:33:44:30"]
    assert assets["00:11:22:33:44:77"]["status"] == "undocumented"
    with sessions() as s:
        kinds = {
            e.kind for e in s.scalars(select(AssetEvent).where(AssetEvent.asset_id == assets["A-1"]["id"]))
        }
    assert "reappeared" not in kinds  # a first sighting of a record is not a comeback
    # importing a record for a device discovered earlier makes it documented (no duplicate)
    later = "asset_tag,mac,owner\r\nA-9,00:11:22:33:44:77,dave\r\n"
    res2, _ = load(sessions, tmp_path, later, name="later.csv")
    assert (res2.created, res2.updated) == (0, 1)
    assets = dicts(sessions)
    assert assets["A-9"]["status"] == "documented" and assets["A-9"]["owner"] == "dave"
    assert len(assets) == 4


def test_malformed_row_names_the_line_and_imports_nothing(sessions, tmp_path):
    bad = CSV + "A-4,x,not-a-mac,,,,,,,,,\r\nA-5,y,,10.20.0.300,,,,,,,,\r\nA-6,z,,,,,,,,,someday,\r\n"
    with pytest.raises(InventoryError) as err:
        load(sessions, tmp_path, bad)
    assert err.value.errors[0] == "line 5: invalid MAC address 'not-a-mac'"
    assert err.value.errors[1].startswith("line 6: invalid or unusable IP address '10.20.0.300'")
    assert err.value.errors[2].startswith("line 7: unknown lifecycle_state 'someday'")
    with sessions() as s:
        assert s.scalar(select(func.count()).select_from(Asset)) == 0
    res, errors = load(sessions, tmp_path, bad, skip_invalid=True)
    assert res.created == 3 and len(errors) == 3


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "the file is empty"),
        (b"colour,size\r\nred,1\r\n", "line 1: the header names none of the known columns"),
        (
            b"name,mac\r\nok,00:11:22:33:44:55\r\ncaf\xe9,00:11:22:33:44:56\r\n",
            "line 3: not valid UTF-8 text",
        ),
        (b"name,mac\r\nbig,00:11:22:33:44:55\r\n" + b"x" * 10_000_000 + b",00:11:22:33:44:56\r\n", "line 3:"),
        (b"name,mac\r\nx,00:11:22:33:44:55,extra\r\n", "line 2: 3 cells but the header has 2 columns"),
        (b"name,owner\r\n,someone\r\n", "line 2: nothing identifies the device"),
        (b"name,mac\r\na,00:11:22:33:44:55\r\nb,00:11:22:33:44:55\r\n", "line 3: same mac"),
    ],
)
def test_bad_csv_files_get_a_clear_error(tmp_path, data, message):
    with pytest.raises(InventoryError) as err:
        parse_file(write(tmp_path, "bad.csv", data))
    assert str(err.value).startswith(message), str(err.value)[:200]
    assert "\n" not in str(err.value) and len(str(err.value)) < 400


def test_other_encodings_nul_bytes_and_script_hostnames_are_stored_safely(sessions, tmp_path):
    res, _ = load(sessions, tmp_path, b"name,mac\r\ncaf\xe9,00:11:22:33:44:56\r\n", encoding="latin-1")
    assert res.created == 1
    nul = b"name,mac\r\nnu\x00ll,00:11:22:33:44:58\r\n"
    with pytest.raises(InventoryError, match=r"^line 2: NUL byte in the row"):
        load(sessions, tmp_path, nul)  # a NUL is damage to report, not to edit away silently
    res, errors = load(sessions, tmp_path, nul, skip_invalid=True)
    assert res.records == 0 and errors[0].startswith("line 2: NUL byte")
    res, _ = load(sessions, tmp_path, b"name,mac\r\nnull<script>x()</script>,00:11:22:33:44:57\r\n")
    assert res.created == 1
    names = {a["hostname"] for a in dicts(sessions).values()}
    assert names == {"café", "null<script>x()</script>"}
    text = export_csv(export_rows(sessions()))
    assert "null<script>x()</script>" in text  # CSV is data; HTML rendering escapes


def test_json_import_and_bad_json(sessions, tmp_path):
    doc = [
        {
            "asset_tag": "J-1",
            "hostname": "sw1",
            "macs": ["00:11:22:33:44:88"],
            "ips": ["10.20.0.2"],
            "device_class": "switch",
            "attributes": {"rack": "R1"},
        },
        {"name": "ap1", "mac": "00:11:22:33:44:89"},
    ]
    res, _ = load(sessions, tmp_path, json.dumps(doc), name="inv.json")
    assert res.created == 2
    sw = dicts(sessions)["J-1"]
    assert (
        sw["device_class"] == "switch" and sw["attributes"] == {"rack": "R1"} and sw["ips"] == ["10.20.0.2"]
    )
    for data, message in [
        ("{not json", "line 1: invalid JSON"),
        ('{"a": 1}', "the JSON document must be an array"),
        ('[{"name": {"nested": 1}}]', "entry 1: column 'name' must be text or a number"),
        ('[{"name": "x", "device_class": "toaster"}]', "entry 1: unknown device_class 'toaster'"),
        ("[1]", "entry 1: not an object"),
    ]:
        with pytest.raises(InventoryError) as err:
            parse_file(write(tmp_path, "bad.json", data))
        assert str(err.value).startswith(message)


def test_export_round_trip_changes_nothing(sessions, tmp_path):
    load(sessions, tmp_path, CSV)
    reconcile(
        sessions,
        [Observation(method="arp", ip="10.20.0.77", mac="00:11:22:33:44:77", seen_at=T0)],
        now=T0,
        fingerprinter=lambda o: None,
    )
    with sessions() as s:
        rows = export_rows(s)
    csv_text, json_text = export_csv(rows), export_json(rows)
    assert "'=SUM(A1)" in csv_text
    before = dicts(sessions)
    for name, text in (("out.csv", csv_text), ("out.json", json_text)):
        res, errors = load(sessions, tmp_path, text, name=name)
        assert errors == [] and res.created == 0
    after = dicts(sessions)
    # the export carries each review status: the discovered device stays undocumented, nothing moved
    assert after["00:11:22:33:44:77"]["status"] == "undocumented"
    assert after == before


def test_later_sighting_updates_times_not_inventory_fields(sessions, tmp_path):
    load(sessions, tmp_path, CSV)
    t1 = T0 + timedelta(days=1)
    reconcile(
        sessions,
        [Observation(method="arp", ip="10.20.0.9", mac="00:11:22:33:44:55", seen_at=t1)],
        now=t1,
        fingerprinter=lambda o: None,
    )
    a1 = dicts(sessions)["A-1"]
    assert a1["last_seen"] == t1.isoformat() and a1["owner"] == "alice" and a1["present"] is True


@pytest.mark.parametrize("in_memory", [1_000, 1_000_000])
def test_a_repeated_key_far_down_a_large_file_is_still_found(tmp_path, monkeypatch, in_memory):
    """Past IN_MEMORY_KEYS the keys seen are kept on disk; a repeat 30,000 rows later is still named."""
    monkeypatch.setattr("netdiscover.inventory.reader.IN_MEMORY_KEYS", in_memory)
    rows = "".join(f"h{i},00:11:22:00:{i >> 8 & 255:02x}:{i & 255:02x}\r\n" for i in range(30_000))
    path = write(tmp_path, "big.csv", "name,mac\r\n" + rows + "again,00:11:22:00:00:07\r\n")
    with pytest.raises(InventoryError) as err:
        parse_file(path)
    assert err.value.errors == ["line 30002: same mac '00:11:22:00:00:07' as line 9"]
    records, errors = parse_file(path, skip_invalid=True)
    assert len(records) == 30_000 and len(errors) == 1
