"""The unknown-device report: which devices it lists, in what order, with which risk hints."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime, timedelta

import pytest
from click.testing import CliRunner

from netdiscover.cli import main
from netdiscover.reports.columns import UNKNOWN_CSV, UNKNOWN_TABLE
from netdiscover.reports.render_csv import render_csv
from netdiscover.reports.render_table import render_table
from netdiscover.reports.unknown import summary
from netdiscover.services.reports import unknown_rows
from netdiscover.storage.models import Address, Asset, AssetEvent, Interface, ObservationRecord, Service

NOW = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)


def add_asset(session, status="undocumented", hostname=None, ips=(), macs=(), services=(),
              device_class="unknown", first_seen=NOW, last_seen=None, site=None, **extra) -> int:
    asset = Asset(status=status, hostname=hostname, device_class=device_class, first_seen=first_seen,
                  last_seen=last_seen or first_seen, site=site, created_at=first_seen or NOW,
                  updated_at=first_seen or NOW,
                  methods=["arp"], confidence=extra.pop("confidence", 0.5), **extra)
    session.add(asset)
    session.flush()
    for mac in macs:
        session.add(Interface(asset_id=asset.id, mac=mac, first_seen=first_seen, last_seen=last_seen))
    for ip in ips:
        session.add(Address(asset_id=asset.id, ip=ip, current=True, first_seen=first_seen,
                            last_seen=last_seen or first_seen))
    for port, name in services:
        session.add(Service(asset_id=asset.id, port=port, protocol="tcp", name=name, open=True))
    session.flush()
    return asset.id


@pytest.fixture
def db(sessions):
    with sessions() as session:
        yield session


def test_lists_exactly_undocumented_and_rogue_rogue_first_then_newest(db):
    add_asset(db, "documented", "core-sw", ["10.0.0.2"], ["00:11:22:00:00:02"], device_class="switch")
    add_asset(db, "approved", "nas", ["10.0.0.3"], ["00:11:22:00:00:03"])
    hidden = add_asset(db, "ignored", "guest-phone", ["10.0.0.4"], ["02:11:22:00:00:04"])
    old = add_asset(db, "undocumented", "old-box", ["10.0.0.5"], ["00:11:22:00:00:05"],
                    first_seen=NOW - timedelta(days=3))
    new = add_asset(db, "undocumented", "new-box", ["10.0.0.6"], ["00:11:22:00:00:06"],
                    first_seen=NOW - timedelta(hours=1))
    rogue = add_asset(db, "rogue", "evil", ["10.0.0.7"], ["00:11:22:00:00:07"],
                      first_seen=NOW - timedelta(days=10))
    db.commit()
    rows = unknown_rows(db)
    assert [r["id"] for r in rows] == [rogue, new, old]
    assert hidden not in {r["id"] for r in rows}
    row = rows[1]
    for key in ("id", "status", "device_class", "vendor", "model", "os", "hostname", "serial", "macs", "ips",
                "services", "first_seen", "last_seen", "methods", "confidence", "found_by", "risks"):
        assert key in row, key
    assert row["ips"] == ["10.0.0.6"] and row["macs"] == ["00:11:22:00:00:06"]
    assert summary(rows)["by_status"] == {"rogue": 1, "undocumented": 2}


def test_since_and_site_filters(db):
    add_asset(db, hostname="stale", ips=["10.1.0.5"], first_seen=NOW - timedelta(days=30),
              last_seen=NOW - timedelta(days=20), site="hq")
    fresh = add_asset(db, hostname="fresh", ips=["10.1.0.6"], first_seen=NOW - timedelta(hours=2), site="hq")
    branch = add_asset(db, hostname="branch", ips=["10.2.0.6"], first_seen=NOW - timedelta(hours=2),
                       site="branch")
    db.commit()
    assert {r["id"] for r in unknown_rows(db, since=NOW - timedelta(days=1))} == {fresh, branch}
    assert [r["id"] for r in unknown_rows(db, since=NOW - timedelta(days=1), site="hq")] == [fresh]


def test_risk_hints(db):
    earlier = NOW - timedelta(days=30)
    # An established user subnet: documented workstations and a printer.
    add_asset(db, "documented", "pc1", ["10.20.0.10"], device_class="workstation", first_seen=earlier)
    add_asset(db, "documented", "pc2", ["10.20.0.11"], device_class="workstation", first_seen=earlier)
    add_asset(db, "documented", "printer", ["10.20.0.12"], device_class="printer", first_seen=earlier)
    cam = add_asset(db, hostname="cam", ips=["10.20.0.50"], macs=["00:40:8c:11:22:33"], device_class="camera",
                    services=[(23, "telnet"), (80, "http"), (443, "https"), (21, "ftp")])
    phone = add_asset(db, hostname="phone", ips=["10.20.0.51"], macs=["da:a1:19:00:00:01"],
                      device_class="mobile")
    printer2 = add_asset(db, hostname="printer2", ips=["10.20.0.52"], device_class="printer",
                         services=[(161, "snmp")])
    guess = add_asset(db, hostname="guess", ips=["10.20.0.53"], device_class="camera", confidence=0.2)
    db.add(ObservationRecord(asset_id=printer2, method="snmp", kind="host", ip="10.20.0.52", seen_at=NOW,
                             data={"method": "snmp", "credential": "v2c#1", "flags": ["default-community"]}))
    db.commit()
    rows = {r["id"]: r for r in unknown_rows(db)}
    codes = {i: [h["code"] for h in r["risks"]] for i, r in rows.items()}
    assert codes[cam][0] == "telnet"     # most severe first
    assert {"telnet", "ftp", "http-admin", "iot-on-user-subnet", "new-class-on-subnet"} <= set(codes[cam])
    assert sum(1 for c in codes[cam] if c == "http-admin") == 1     # 443/https is not plain HTTP
    assert "randomised-mac" in codes[phone] and "randomised-mac" not in codes[cam]
    assert "new-class-on-subnet" in codes[phone]          # no mobile seen there before
    assert "snmp-default-community" in codes[printer2]
    assert "new-class-on-subnet" not in codes[printer2]    # a printer is documented there
    assert "iot-on-user-subnet" not in codes[printer2]
    assert codes[guess] == []           # a class we are unsure of makes no class-based hints


def test_found_by_names_router_and_switch_port(db):
    aid = add_asset(db, hostname="lurker", ips=["10.30.0.9"], macs=["00:11:22:33:44:55"])
    iface = db.query(Interface).filter_by(asset_id=aid).one()
    iface.switch, iface.switch_port = "access-sw1", "Gi1/0/7"
    db.add(ObservationRecord(asset_id=aid, method="snmp", kind="neighbour", ip="10.30.0.9", seen_at=NOW,
                             data={"method": "snmp", "kind": "neighbour", "reporter": "core-rtr"}))
    db.commit()
    (row,) = unknown_rows(db)
    assert row["found_by"] == {"methods": ["arp"], "routers": ["core-rtr"],
                               "switch_ports": ["access-sw1 Gi1/0/7"]}
    table = render_table([row], UNKNOWN_TABLE, width=400)
    assert "arp; ARP table of core-rtr; port access-sw1 Gi1/0/7" in table


def test_table_and_csv_render_every_row(db):
    ids = [add_asset(db, hostname=f"h{i}", ips=[f"10.9.0.{i}"], first_seen=NOW - timedelta(minutes=i))
           for i in range(1, 6)]
    db.commit()
    rows = unknown_rows(db)
    table = render_table(rows, UNKNOWN_TABLE, width=250)
    assert len(table.strip().splitlines()) == 1 + len(ids)
    csv_text = render_csv(rows, UNKNOWN_CSV)
    assert csv_text.count("\r\n") == 1 + len(ids)


def test_cli_unknown_json_and_errors(sqlite_url, tmp_path):
    from netdiscover.storage.engine import open_database

    factory = open_database(sqlite_url)
    with factory() as s:
        aid = add_asset(s, hostname="cli-box", ips=["10.5.0.5"], macs=["00:11:22:33:44:66"],
                        services=[(22, "ssh")], first_seen=datetime.now(UTC))
        s.commit()
    factory.kw["bind"].dispose()
    runner = CliRunner()
    out = tmp_path / "unknown.json"
    res = runner.invoke(main, ["--db", sqlite_url, "report", "unknown", "--format", "json", "-o", str(out)])
    assert res.exit_code == 0, res.output
    data = json.loads(out.read_text())
    assert [d["id"] for d in data] == [aid]
    assert data[0]["services"][0]["port"] == 22 and data[0]["services"][0]["name"] == "ssh"
    res = runner.invoke(main, ["--db", sqlite_url, "report", "unknown", "--since", "1h", "--format", "csv"])
    assert res.exit_code == 0 and "cli-box" in res.output
    res = runner.invoke(main, ["--db", sqlite_url, "report", "unknown", "--since", "yesterday"])
    assert res.exit_code == 2 and "cannot read 'yesterday'" in res.output
    assert "Traceback" not in res.output
    bad_out = str(tmp_path / "no/such/dir/x")
    res = runner.invoke(main, ["--db", sqlite_url, "report", "unknown", "-o", bad_out])
    assert res.exit_code == 2 and "cannot write" in res.output


def test_changes_report(db):
    a = add_asset(db, hostname="mover", ips=["10.7.0.8"])
    b = add_asset(db, hostname="gone", ips=["10.7.0.9"])
    for kind, asset, at, old, new in [
        ("discovered", a, NOW - timedelta(hours=3), None, {"ip": "10.7.0.7"}),
        ("ip_changed", a, NOW - timedelta(hours=2), {"ip": "10.7.0.7"}, {"ip": "10.7.0.8"}),
        ("disappeared", b, NOW - timedelta(hours=1), None, None),
        ("alerted", a, NOW - timedelta(hours=1), None, {"key": "x"}),
        ("discovered", b, NOW - timedelta(days=5), None, None),
    ]:
        db.add(AssetEvent(asset_id=asset, kind=kind, at=at, old=old, new=new))
    db.commit()
    from netdiscover.reports.changes import CHANGES_TABLE
    from netdiscover.services.reports import change_rows

    rows = change_rows(db, NOW - timedelta(hours=24))
    assert [(r["kind"], r["category"]) for r in rows] == [
        ("disappeared", "disappeared"), ("ip_changed", "changed"), ("discovered", "new")]
    assert "ip=10.7.0.7 -> ip=10.7.0.8" in render_table(rows, CHANGES_TABLE, width=300)


def test_missing_report(db):
    never = add_asset(db, "documented", "never-seen", first_seen=None, last_seen=None)
    long_gone = add_asset(db, "documented", "long-gone", ["10.8.0.2"], first_seen=NOW - timedelta(days=60),
                          last_seen=NOW - timedelta(days=40))
    add_asset(db, "documented", "retired", first_seen=None, last_seen=None, lifecycle_state="retired")
    add_asset(db, "approved", "recent", ["10.8.0.3"], first_seen=NOW - timedelta(days=60),
              last_seen=NOW - timedelta(days=1))
    add_asset(db, "undocumented", "stranger", last_seen=NOW - timedelta(days=40),
              first_seen=NOW - timedelta(days=41))
    db.commit()
    from netdiscover.services.reports import missing_rows

    rows = missing_rows(db, 7, now=NOW)
    assert [r["id"] for r in rows] == [never, long_gone]
    assert rows[1]["days_unseen"] == 40 and rows[0]["days_unseen"] is None


def test_cli_changes_and_missing(sqlite_url):
    from netdiscover.storage.engine import open_database

    factory = open_database(sqlite_url)
    now = datetime.now(UTC)
    with factory.begin() as s:
        gone = add_asset(s, "documented", "=HYPERLINK(\"x\")", ["10.6.0.2"],
                         first_seen=now - timedelta(days=30), last_seen=now - timedelta(days=20))
        s.add(AssetEvent(asset_id=gone, kind="disappeared", at=now - timedelta(hours=2)))
    factory.kw["bind"].dispose()
    runner = CliRunner()
    res = runner.invoke(main, ["--db", sqlite_url, "report", "changes", "--since", "1d"])
    assert res.exit_code == 0 and "disappeared" in res.output
    res = runner.invoke(main, ["--db", sqlite_url, "report", "changes", "--since", "1h"])
    assert res.exit_code == 0 and res.output.startswith("no changes since")
    res = runner.invoke(main, ["--db", sqlite_url, "report", "missing", "--days", "7", "--format", "csv"])
    assert res.exit_code == 0
    header, row = list(csv.reader(io.StringIO(res.output)))
    assert header[:3] == ["id", "asset_tag", "hostname"] and row[:3] == [str(gone), "", "'=HYPERLINK(\"x\")"]
    res = runner.invoke(main, ["--db", sqlite_url, "report", "missing", "--days", "30"])
    assert res.exit_code == 0 and "every documented asset was seen" in res.output
    res = runner.invoke(main, ["--db", sqlite_url, "report", "missing", "--days", "-1"])
    assert res.exit_code == 2


def test_subnets_and_randomised_macs():
    from netdiscover.reports.risk import is_randomised_mac, subnet_of

    assert subnet_of("10.20.0.77") == "10.20.0.0/24"
    assert subnet_of("2001:db8::1:2") == "2001:db8::/64"
    assert subnet_of("10.20.0.300") is None and subnet_of("<script>") is None
    assert is_randomised_mac("da:a1:19:00:00:01") and not is_randomised_mac("00:40:8c:11:22:33")
