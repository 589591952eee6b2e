"""The changes report on a terminal: a switch's per-interface events from one sweep make one line
that names the ports whole; JSON (and CSV) keep every event."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta

from click.testing import CliRunner

from netdiscover.cli import main
from netdiscover.observation import Interface, Observation
from netdiscover.reports.changes import CHANGES_TABLE, compact, group_rows
from netdiscover.reports.render_table import render_table
from netdiscover.services.reconcile import reconcile
from netdiscover.services.reports import change_rows
from netdiscover.storage.engine import open_database
from netdiscover.storage.models import Address, Asset, AssetEvent

T0 = datetime.now(UTC) - timedelta(hours=2)


def switch(ports: range, seen: datetime) -> Observation:
    return Observation(
        method="snmp", ip="10.20.0.2", mac="00:1b:54:00:00:01", hostname="sw-core", seen_at=seen,
        interfaces=[Interface(name=f"GigabitEthernet1/0/{n}", mac=f"00:1b:54:00:01:{n:02x}", index=n)
                    for n in ports])


def swept_switch(url: str) -> None:
    sessions = open_database(url)
    reconcile(sessions, [switch(range(1, 1), T0)], now=T0, fingerprinter=lambda o: None)
    later = T0 + timedelta(minutes=30)
    reconcile(sessions, [switch(range(1, 49), later)], now=later, fingerprinter=lambda o: None)
    sessions.kw["bind"].dispose()


def test_48_mac_added_events_make_one_line_naming_the_ports(sqlite_url):
    swept_switch(sqlite_url)
    factory = open_database(sqlite_url)
    with factory() as session:
        rows = change_rows(session, T0 - timedelta(minutes=1))
    factory.kw["bind"].dispose()
    added = [r for r in rows if r["kind"] == "mac_added"]
    assert len(added) == 48
    assert {r["interface"] for r in added} == {f"GigabitEthernet1/0/{n}" for n in range(1, 49)}
    for width in (80, 120, 300):
        table = render_table(rows, CHANGES_TABLE, width=width)
        lines = table.splitlines()
        assert all(len(line) <= width for line in lines), (width, table)
        assert table.count("MACs added") == 1 and "mac_added" in table
        grouped = next(line for line in lines if "MACs added" in line)
        assert "48 MACs added on sw-core" in grouped
        joined = " ".join(line.strip() for line in lines)
        assert "GigabitEthernet1/0/1-48" in joined.replace("1/0/1- 48", "1/0/1-48"), table
        assert "…" not in table
    assert sum(1 for line in render_table(rows, CHANGES_TABLE, width=300).splitlines()
               if "mac_added" in line) == 1


def test_json_and_csv_keep_every_event(sqlite_url):
    swept_switch(sqlite_url)
    runner = CliRunner()
    res = runner.invoke(main, ["--db", sqlite_url, "report", "changes", "--since", "1d", "--format", "json"])
    assert res.exit_code == 0, res.output
    events = json.loads(res.output)
    assert sum(1 for e in events if e["kind"] == "mac_added") == 48
    res = runner.invoke(main, ["--db", sqlite_url, "report", "changes", "--since", "1d", "--format", "csv"])
    assert res.output.count("mac_added") == 48
    res = runner.invoke(main, ["--db", sqlite_url, "report", "changes", "--since", "1d"])
    assert res.exit_code == 0 and res.output.count("48 MACs added on sw-core") == 1
    assert res.output.count("mac_added") == 1


def test_ports_that_do_not_fit_are_counted_never_cut():
    rows = [{"event_id": n, "kind": "mac_added", "asset_id": 7, "scan_id": 3, "hostname": "access-sw-7",
             "at": T0.isoformat(), "new": {"mac": f"00:1b:54:00:02:{n:02x}"},
             "interface": f"GigabitEthernet1/0/{n}"} for n in range(1, 48, 2)]
    (row,) = group_rows(rows)
    text = row["change_text"]
    assert text.startswith("24 MACs added on access-sw-7: GigabitEthernet1/0/1")
    assert len(text) <= 60
    more = int(re.search(r" \+(\d+) more$", text).group(1))
    names = re.findall(r"GigabitEthernet1/0/\d+", text)
    assert len(names) + more == 24 and len(names) >= 1
    assert text.removesuffix(f" +{more} more").endswith(names[-1])     # the last name shown is whole
    for width in (80, 120):
        table = render_table(rows, CHANGES_TABLE, width=width)
        assert all(len(line) <= width for line in table.splitlines())
        for token in re.findall(r"GigabitEth\S*", table):
            assert re.fullmatch(r"GigabitEthernet1/0/\d+,?", token), (token, table)


def test_only_events_of_one_asset_and_one_sweep_are_grouped():
    base = {"kind": "mac_added", "hostname": "h", "at": T0.isoformat(), "new": {"mac": "00:1b:54:00:00:09"}}
    rows = [{**base, "event_id": 1, "asset_id": 1, "scan_id": 1, "interface": "eth0"},
            {**base, "event_id": 2, "asset_id": 1, "scan_id": 1, "interface": "eth1"},
            {**base, "event_id": 3, "asset_id": 1, "scan_id": 2, "interface": "eth2"},
            {**base, "event_id": 4, "asset_id": 2, "scan_id": 1, "interface": "eth3"},
            {**base, "event_id": 5, "kind": "ip_changed", "asset_id": 1, "scan_id": 1}]
    out = group_rows(rows)
    assert [r.get("events", 1) for r in out] == [2, 1, 1, 1]
    assert out[0]["change_text"] == "2 MACs added on h: eth0-1"


def test_services_opened_in_one_sweep_group_too(sessions):
    with sessions() as db:
        asset = Asset(status="undocumented", hostname="nas", first_seen=T0, last_seen=T0, created_at=T0,
                      updated_at=T0, methods=["nmap"])
        db.add(asset)
        db.flush()
        db.add(Address(asset_id=asset.id, ip="10.20.0.50", current=True, first_seen=T0, last_seen=T0))
        for port in (22, 80, 139, 445, 5000):
            db.add(AssetEvent(asset_id=asset.id, kind="service_opened", at=T0, new={
                "port": port, "protocol": "tcp", "name": None}))
        db.commit()
        rows = change_rows(db, T0 - timedelta(minutes=1))
    assert len(rows) == 5
    table = render_table(rows, CHANGES_TABLE, width=120)
    assert "5 services opened on nas: 22/tcp, 80/tcp, 139/tcp +2 more" in table


def test_compact_joins_runs_and_leaves_macs_and_zero_padded_names_whole():
    assert compact([f"Gi1/0/{n}" for n in (3, 1, 2, 5)] + ["Vlan1"]) == ["Gi1/0/1-3", "Gi1/0/5", "Vlan1"]
    assert compact(["port01", "port02"]) == ["port01", "port02"]
    macs = [f"00:11:22:33:44:0{n}" for n in range(3)]
    assert compact(macs) == macs
