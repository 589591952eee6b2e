"""Storage: engine, migrations and the repository basics, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
import multiprocessing
from datetime import UTC, datetime

import pytest
from sqlalchemy import func, inspect, select

from netdiscover.fields import ASSET_KEYS
from netdiscover.services.history import asset_events
from netdiscover.storage.assets import find_asset, list_assets
from netdiscover.storage.engine import (
    DatabaseError,
    current_revision,
    default_db_url,
    head_revision,
    normalise_url,
    open_database,
)
from netdiscover.storage.events import events_for, record_event
from netdiscover.storage.models import Address, Asset, Interface, Service
from netdiscover.storage.repository import asset_to_dict
from netdiscover.storage.scans import finish_scan, list_scans, start_scan


def test_new_database_is_migrated_to_head(sessions):
    engine = sessions.kw["bind"]
    assert current_revision(engine) == head_revision()
    tables = set(inspect(engine).get_table_names())
    assert {"assets", "interfaces", "addresses", "services", "software", "observations", "scans",
            "asset_events", "alembic_version"} <= tables


def test_migrations_build_the_schema_the_models_declare(sessions):
    """Every table, column, index (partial ones included) and constraint of the models exists."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from netdiscover.storage.models import Base

    with sessions.kw["bind"].connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    assert diff == []


def test_sparse_asset_columns_use_partial_indexes(sessions):
    engine = sessions.kw["bind"]
    indexes = {ix["name"]: ix for ix in inspect(engine).get_indexes("assets")}
    for column in ("asset_tag", "hostname", "serial", "snmp_engine_id", "site"):
        assert indexes[f"ix_assets_{column}"]["column_names"] == [column]
    with engine.connect() as conn:
        if engine.dialect.name == "sqlite":
            sql = conn.exec_driver_sql(
                "SELECT sql FROM sqlite_master WHERE name = 'ix_assets_hostname'").scalar()
            plan = " ".join(str(r) for r in conn.exec_driver_sql(
                "EXPLAIN QUERY PLAN SELECT id FROM assets WHERE hostname IN ('a', 'b')"))
            assert "ix_assets_hostname" in plan
        else:
            sql = conn.exec_driver_sql(
                "SELECT indexdef FROM pg_indexes WHERE indexname = 'ix_assets_hostname'").scalar()
    assert "IS NOT NULL" in sql


def test_swept_tables_leave_room_for_in_place_updates(sessions):
    engine = sessions.kw["bind"]
    if engine.dialect.name != "postgresql":
        pytest.skip("fillfactor is a PostgreSQL setting")
    with engine.connect() as conn:
        rows = conn.exec_driver_sql("SELECT relname, reloptions FROM pg_class "
                                    "WHERE relname IN ('assets', 'interfaces', 'addresses')")
        options = {name: opts for name, opts in rows}
    assert options == {name: ["fillfactor=50"] for name in ("assets", "interfaces", "addresses")}


def test_open_twice_is_idempotent(db_url):
    first = open_database(db_url)
    with first() as s, s.begin():
        s.add(Asset(hostname="keep", created_at=datetime.now(UTC), updated_at=datetime.now(UTC)))
    second = open_database(db_url)
    with second() as s:
        assert s.scalars(select(Asset.hostname)).all() == ["keep"]
    for f in (first, second):
        f.kw["bind"].dispose()


def _open(url: str) -> str:
    factory = open_database(url)
    rev = current_revision(factory.kw["bind"])
    factory.kw["bind"].dispose()
    return rev


def test_two_processes_migrate_at_once(db_url):
    ctx = multiprocessing.get_context("spawn")
    with ctx.Pool(3) as pool:
        revs = pool.map(_open, [db_url] * 3)
    assert revs == [head_revision()] * 3


def test_sqlite_pragmas(sqlite_url):
    factory = open_database(sqlite_url)
    with factory() as s:
        conn = s.connection()
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() >= 5000
    factory.kw["bind"].dispose()


def test_default_url_follows_xdg(monkeypatch, tmp_path):
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path))
    assert default_db_url() == f"sqlite:///{tmp_path}/netdiscover/netdiscover.db"
    factory = open_database(None)
    assert (tmp_path / "netdiscover" / "netdiscover.db").exists()
    factory.kw["bind"].dispose()


def test_plain_postgresql_url_uses_psycopg():
    assert normalise_url("postgresql://u:secret@h/db").drivername == "postgresql+psycopg"
    assert normalise_url("/tmp/x.db").drivername == "sqlite"


@pytest.mark.parametrize("url", [
    "mysql://root@localhost/x",
    "postgresql://nobody:hunter2@127.0.0.1:1/x",
    "sqlite:////proc/no/such/dir/x.db",
    "not a url",
    "sqlite:///:memory:x\x00",
])
def test_bad_database_is_one_line_error(url):
    with pytest.raises(DatabaseError) as err:
        open_database(url)
    message = str(err.value)
    assert "\n" not in message and message
    assert "hunter2" not in message


def _tz(value):
    return value.tzinfo is not None and value.utcoffset().total_seconds() == 0


def test_asset_to_dict_and_find(sessions):
    seen = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
    with sessions() as s, s.begin():
        asset = Asset(hostname="printer-1", vendor="HP", os_name="Linux", os_version="4.1",
                      device_class="printer", status="undocumented", methods=["arp", "snmp"],
                      first_seen=seen, last_seen=seen, created_at=seen, updated_at=seen)
        asset.interfaces.append(Interface(mac="00:11:22:33:44:55", first_seen=seen, last_seen=seen,
                                          switch="sw1", switch_port="Gi1/0/3"))
        asset.addresses.append(Address(ip="10.20.0.9", current=True, first_seen=seen, last_seen=seen))
        asset.addresses.append(Address(ip="10.20.0.8", current=False, first_seen=seen, last_seen=seen))
        asset.services.append(Service(port=631, protocol="tcp", name="ipp", product="CUPS", version="2.4"))
        s.add(asset)
    with sessions() as s:
        by_id = find_asset(s, str(asset.id))
        assert by_id is not None
        assert find_asset(s, "00-11-22-33-44-55").id == asset.id
        assert find_asset(s, "10.20.0.9").id == asset.id
        assert find_asset(s, "10.20.0.8").id == asset.id       # a past address still finds it
        assert find_asset(s, "10.99.0.1") is None
        assert find_asset(s, "PRINTER-1").id == asset.id
        data = asset_to_dict(by_id)
        assert _tz(by_id.last_seen)
    assert data["ips"] == ["10.20.0.9"] and data["macs"] == ["00:11:22:33:44:55"]
    assert data["services"] == [{"port": 631, "protocol": "tcp", "name": "ipp", "product": "CUPS",
                                 "version": "2.4", "cpe": []}]
    assert data["os"] == "Linux 4.1" and data["methods"] == ["arp", "snmp"]
    assert data["last_seen"] == "2026-01-02T03:04:05+00:00"
    assert data["switch_ports"] == [{"mac": "00:11:22:33:44:55", "switch": "sw1", "port": "Gi1/0/3"}]
    assert tuple(data) == ASSET_KEYS          # every field of the table, in its order


def test_scans_and_events(sessions):
    with sessions() as s, s.begin():
        scan_id = start_scan(s, targets=["10.0.0.0/24"], methods=["arp"], started_by="alice")
        asset = Asset(created_at=datetime.now(UTC), updated_at=datetime.now(UTC))
        s.add(asset)
        s.flush()
        record_event(s, asset.id, "discovered", scan_id=scan_id, new={"ip": "10.0.0.5"})
        finish_scan(s, scan_id, status="completed", counts={"new": 1}, messages=["ok"])
    with sessions() as s:
        row = list_scans(s)[0]
        assert row.status == "completed" and row.counts == {"new": 1} and _tz(row.finished_at)
        assert [e.kind for e in events_for(s, asset.id)] == ["discovered"]
        with pytest.raises(ValueError):
            record_event(s, asset.id, "exploded")
        with pytest.raises(ValueError):
            list_assets(s, status="bogus")
        assert [a.id for a in list_assets(s, status="undocumented")] == [asset.id]


def test_latest_events_are_read_newest_first_and_returned_oldest_first(sessions):
    with sessions() as s, s.begin():
        asset = Asset(created_at=datetime.now(UTC), updated_at=datetime.now(UTC))
        other = Asset(created_at=datetime.now(UTC), updated_at=datetime.now(UTC))
        s.add_all([asset, other])
        s.flush()
        for n in range(30):
            record_event(s, asset.id, "ip_changed", new={"n": n})
            record_event(s, other.id, "ip_changed", new={"n": 100 + n})
    with sessions() as s:
        everything = events_for(s, asset.id)
        assert [e.new["n"] for e in everything] == list(range(30))
        assert [e.id for e in events_for(s, asset.id, latest=7)] == [e.id for e in everything[-7:]]
        assert [e["new"]["n"] for e in asset_events(s, asset.id, 5)] == [25, 26, 27, 28, 29]
        assert len(events_for(s, asset.id, latest=100)) == 30
        assert events_for(s, asset.id, latest=0) == []


@pytest.mark.parametrize("values", [
    [3, 1, 2],
    ["00:11:22:33:44:55", "10.0.0.1"],
    ['a"quote', "back\\slash", "comma,brace}{", "NULL", "", " spaced ", "ünï"],
])
def test_in_lists_find_exactly_the_given_values(sessions, values):
    """bulk.fetch_in (PostgreSQL: one array literal) matches hostile strings exactly."""
    from netdiscover.storage import bulk

    now = datetime.now(UTC)
    with sessions.begin() as s:
        for v in (*values, "other", 99):
            s.add(Asset(hostname=str(v), asset_tag=str(v), created_at=now, updated_at=now))
    with sessions() as s:
        conn = s.connection()
        found = bulk.fetch_in(conn, Asset.__table__, ("hostname",), "hostname", [str(v) for v in values])
        ids = [r[0] for r in bulk.fetch_in(conn, Asset.__table__, ("id",), "id", [1, 2])]
    assert sorted(r[0] for r in found) == sorted(str(v) for v in values)
    assert sorted(ids) == [1, 2]


@pytest.mark.parametrize("count", [3, 120])
def test_bulk_inserts_read_back_as_the_models_write(sessions, count):
    """Few rows go through executemany, many through COPY on PostgreSQL: both store the same values."""
    from netdiscover.storage import bulk
    from netdiscover.storage.models import AssetEvent

    at = datetime(2026, 3, 1, 12, 0, 0, 250000, tzinfo=UTC)
    rows = [(None, None, "discovered", at, "sweep", None if i % 2 else "n\tote\\", None,
             {"ips": [f"10.0.0.{i}"], "hostname": None, "quote": 'a"b'}) for i in range(count)]
    with sessions.begin() as s:
        bulk.insert_tuples(s.connection(), AssetEvent.__table__,
                           ("asset_id", "scan_id", "kind", "at", "actor", "note", "old", "new"), rows)
        s.add(Asset(hostname="x", methods=["arp"], created_at=at, updated_at=at))
    with sessions() as s:
        events = s.scalars(select(AssetEvent).order_by(AssetEvent.id)).all()
        assert len(events) == count
        assert [e.new for e in events] == [r[7] for r in rows]
        assert all(e.at == at and e.old is None and e.actor == "sweep" for e in events)
        assert [e.note for e in events] == [r[5] for r in rows]
        conn = s.connection()
        assets = bulk.fetch_in(conn, Asset.__table__, ("methods", "present", "confidence"), "hostname", ["x"])
    assert assets == [(["arp"], True, 0.0)]


def test_bulk_insert_takes_loosely_typed_values_as_an_insert_would(sessions):
    """A "5" for an integer column or 7 for a text one: COPY falls back from binary to text."""
    from netdiscover.storage import bulk

    now = datetime.now(UTC)
    with sessions.begin() as s:
        asset = Asset(hostname="switch", created_at=now, updated_at=now)
        s.add(asset)
        s.flush()
        rows = [(asset.id, f"00:11:22:33:{i // 256:02x}:{i % 256:02x}", 7, str(i), False, now, now)
                for i in range(120)]
        names = ("asset_id", "mac", "name", "if_index", "randomised", "first_seen", "last_seen")
        bulk.insert_tuples(s.connection(), Interface.__table__, names, rows)
    with sessions() as s:
        got = s.execute(select(Interface.name, Interface.if_index).order_by(Interface.id)).all()
    assert [tuple(r) for r in got] == [("7", i) for i in range(120)]


@pytest.mark.parametrize("count", [2, 150])
def test_bulk_insert_of_shared_values_reads_back_exactly(sessions, count):
    """A large SQLite batch writes values every row shares into the statement: quotes, SQL,
    non-ASCII, floats and booleans must read back as bound values would; identical rows too."""
    from netdiscover.storage import bulk
    from netdiscover.storage.models import AssetEvent

    at = datetime(2026, 3, 1, 12, 0, 0, 250000, tzinfo=UTC)
    shared = ("o'hara'); DROP TABLE assets; --", "Ünïcode ☃", "tab\there", 0.75, False, ["arp", "snmp"])
    rows = [(1000 + i, *shared, "unknown", "undocumented", at, at, at, at) for i in range(count)]
    names = ("id", "hostname", "vendor", "model", "confidence", "present", "methods", "device_class",
             "status", "first_seen", "last_seen", "created_at", "updated_at")
    with sessions.begin() as s:
        bulk.insert_tuples(s.connection(), Asset.__table__, names, rows)
        bulk.insert_tuples(s.connection(), AssetEvent.__table__, ("kind", "at", "actor", "new"),
                           [("discovered", at, "sweep", {"n": 1})] * count)
    with sessions() as s:
        got = s.scalars(select(Asset).order_by(Asset.id)).all()
        assert [a.id for a in got] == [r[0] for r in rows]
        for a in got:
            assert (a.hostname, a.vendor, a.model, a.confidence, a.present, a.methods) == shared
            assert a.first_seen == at and a.updated_at == at and a.serial is None
        events = s.scalars(select(AssetEvent)).all()
        assert len(events) == count and all(e.new == {"n": 1} and e.at == at for e in events)


def test_bulk_insert_keeps_equal_values_of_different_types_apart(sqlite_url):
    """1, 1.0 and True are equal in Python but not in a text column: a large SQLite batch of
    them (shared values written into the statement) stores what small batches (bound) store."""
    from netdiscover.storage import bulk

    sessions = open_database(sqlite_url)
    now = datetime(2026, 3, 1, tzinfo=UTC)
    names = ("asset_id", "mac", "name", "randomised", "first_seen", "last_seen")
    with sessions.begin() as s:
        asset = Asset(hostname="switch", created_at=now, updated_at=now)
        s.add(asset)
        s.flush()
        for batch, values in enumerate(([1, 1.0, True] * 50, [1, 1.0, True])):
            rows = [(asset.id, f"00:11:22:{batch:02x}:{i // 256:02x}:{i % 256:02x}", v, False, now, now)
                    for i, v in enumerate(values)]
            bulk.insert_tuples(s.connection(), Interface.__table__, names, rows)
    with sessions() as s:
        stored = s.scalars(select(Interface.name).order_by(Interface.id)).all()
    assert len(stored) == 153
    assert stored[:150] == stored[150:] * 50
    assert stored[0] != stored[1]


def test_allocated_ids_are_new_distinct_and_used_by_nobody_else(sessions):
    from netdiscover.storage import bulk

    with sessions() as s, s.begin():
        first = bulk.allocate_ids(s.connection(), Asset.__table__, 300)
        second = bulk.allocate_ids(s.connection(), Asset.__table__, 5)
        s.add(Asset(hostname="later", created_at=datetime.now(UTC), updated_at=datetime.now(UTC)))
        s.flush()
        taken = s.scalar(select(Asset.id).where(Asset.hostname == "later"))
    assert first == sorted(set(first)) and len(first) == 300 and len(second) == 5
    if sessions.kw["bind"].dialect.name == "postgresql":    # SQLite's are reserved only by inserting them
        assert min(second) > max(first) and taken not in first + second


def test_json_documents_encode_as_json_dumps():
    from netdiscover.storage import bulk

    for value in ({"a": [1, 2.5, None, True]}, [], {}, 'q"é\n', 3, 2.5, {"k": {"n": "é\n\x00"}},
                  ["arp"], [float("nan")], {"ips": ["10.0.0.1"], "hostname": None}):
        assert bulk._json(value) == json.dumps(value)


def test_upgrade_to_partial_indexes_and_fillfactor_keeps_data(sessions):
    """Migrations 0003 and 0004 go down to 0002 and up again over a database holding assets."""
    from alembic import command

    from netdiscover.storage.engine import _alembic_config

    engine = sessions.kw["bind"]
    now = datetime.now(UTC)
    with sessions.begin() as s:
        s.add_all([Asset(hostname="core-sw", serial="FOC123", created_at=now, updated_at=now),
                   Asset(created_at=now, updated_at=now)])
    with engine.begin() as conn:
        command.downgrade(_alembic_config(conn), "0002")
    assert current_revision(engine) == "0002"
    with engine.begin() as conn:
        command.upgrade(_alembic_config(conn), "head")
    assert current_revision(engine) == head_revision()
    with sessions() as s:
        assert s.scalars(select(Asset.id).where(Asset.hostname == "core-sw")).all() == [1]
        assert s.scalar(select(func.count()).select_from(Asset).where(Asset.serial.is_(None))) == 1
    indexes = {ix["name"] for ix in inspect(engine).get_indexes("assets")}
    sparse = ("asset_tag", "hostname", "serial", "snmp_engine_id", "site")
    assert {f"ix_assets_{c}" for c in sparse} <= indexes
