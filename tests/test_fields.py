"""The field table (netdiscover.fields) agrees with the database, the import and the presets."""

from __future__ import annotations

import dataclasses

import pytest
from sqlalchemy import String

from netdiscover.fields import (
    BY_NAME,
    EXPORT_COLUMNS,
    FIELDS,
    IMPORT_SYNONYMS,
    KINDS,
    LIST_TABLE,
)
from netdiscover.inventory.mapping import Record
from netdiscover.inventory.names import header_key
from netdiscover.inventory.presets import get as preset
from netdiscover.storage.models import Asset

COMPUTED = ("derived", "list")


def test_every_field_has_a_known_kind_and_a_unique_name():
    assert all(f.kind in KINDS for f in FIELDS)
    assert len(BY_NAME) == len(FIELDS)


@pytest.mark.parametrize("position", ["show", "page", "export", "imported", "documented"])
def test_each_view_numbers_its_fields_one_to_n(position):
    places = sorted(getattr(f, position) for f in FIELDS if getattr(f, position) is not None)
    assert places == list(range(1, len(places) + 1))


def test_table_columns_are_numbered_one_to_n():
    assert [f.table.order for f in LIST_TABLE if f.table] == list(range(1, len(LIST_TABLE) + 1))


def test_stored_fields_are_asset_columns_and_import_limits_are_their_sizes():
    columns = Asset.__table__.columns
    for field in FIELDS:
        if field.kind in COMPUTED:
            assert field.name not in columns, field.name
            continue
        assert field.name in columns, field.name
        if field.length is not None:
            assert isinstance(columns[field.name].type, String)
            assert columns[field.name].type.length == field.length, field.name


def test_imported_fields_are_fields_of_an_inventory_record():
    record_fields = {f.name for f in dataclasses.fields(Record)}
    assert {f.name for f in FIELDS if f.imported is not None} <= record_fields


def test_synonyms_are_header_keys_and_name_one_field_each():
    keys = [k for f in FIELDS for k in (*f.synonyms, *f.foreign)]
    assert all(header_key(k) == k for k in keys)
    assert len(keys) == len(set(keys)) == len(IMPORT_SYNONYMS)


def test_our_own_export_preset_reads_back_every_exported_column():
    columns = preset("netdiscover").columns
    for field in (f for f in FIELDS if f.export is not None):
        target = field.column if field.imported is not None else "ignore"
        assert columns[header_key(field.column)] == target, field.name
    assert len(EXPORT_COLUMNS) == len(set(EXPORT_COLUMNS))


def test_our_own_preset_names_every_key_of_the_json_listing():
    """``assets list --format json`` output imports back: the preset maps or ignores every key."""
    from netdiscover.fields import ASSET_KEYS

    columns = preset("netdiscover").columns
    unnamed = [k for k in ASSET_KEYS if header_key(k) not in columns and k != "attributes"]
    assert unnamed == []


def test_the_json_listing_imports_back(tmp_path):
    import json

    from netdiscover.fields import ASSET_KEYS
    from netdiscover.inventory import parse_file

    row = dict.fromkeys(ASSET_KEYS)
    row.update(id=1, status="documented", device_class="switch", hostname="sw1", macs=["00:11:22:33:44:55"],
               ips=["10.0.0.1"], services=[], methods=["arp"], attributes={"rack": "A1"},
               field_sources={"hostname": "inventory"}, missed_sweeps=0, switch_ports=[], present=True)
    path = tmp_path / "assets.json"
    path.write_text(json.dumps([row]))
    records, errors = parse_file(path)
    assert errors == [] and [r.hostname for r in records] == ["sw1"]
    assert records[0].macs == ["00:11:22:33:44:55"] and records[0].attributes.get("rack") == "A1"
