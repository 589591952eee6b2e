"""``netdiscover fingerprint explain``: from the database and from an observation file."""

from __future__ import annotations

import json

from click.testing import CliRunner

from netdiscover.cli import main
from netdiscover.fingerprints import rules
from netdiscover.observation import Observation
from netdiscover.storage.engine import open_database
from netdiscover.storage.models import Asset, Interface, ObservationRecord

SWITCH = Observation(method="snmp", ip="10.20.0.2", mac="00:1b:54:11:22:33", facts={"snmp": {
    "sysDescr": "Cisco IOS Software, C3750E Software (C3750E-UNIVERSALK9-M), Version 15.0(2)SE11",
    "sysObjectID": "1.3.6.1.4.1.9.1.516",
    "entity": [{"index": 1001, "class": 3, "model": "WS-C3750X-48P", "serial": "FDO1234A0BC"}]}})


def store(url: str) -> int:
    factory = open_database(url)
    with factory() as session:
        now = SWITCH.seen_at
        asset = Asset(hostname="core-sw", created_at=now, updated_at=now, first_seen=now, last_seen=now)
        session.add(asset)
        session.flush()
        session.add(Interface(asset_id=asset.id, mac=SWITCH.mac, first_seen=now, last_seen=now))
        session.add(ObservationRecord(asset_id=asset.id, method="snmp", kind="host", ip=SWITCH.ip,
                                      mac=SWITCH.mac, seen_at=SWITCH.seen_at, data=SWITCH.to_dict()))
        session.commit()
        return asset.id


def test_explain_asset_by_id_and_mac(sqlite_url):
    asset_id = store(sqlite_url)
    runner = CliRunner()
    for key in (str(asset_id), "00-1B-54-11-22-33"):
        res = runner.invoke(main, ["--db", sqlite_url, "fingerprint", "explain", key])
        assert res.exit_code == 0, res.output
        lines = res.output.splitlines()
        assert "vendor" in lines[1] and "Cisco" in lines[1]
        assert any("model" in ln and "WS-C3750X-48P" in ln for ln in lines)
        weights = [float(ln.split()[1] if ln.startswith("  x") else ln.split()[0])
                   for ln in lines[lines.index("evidence (strongest first):") + 1:] if ln.startswith("    ")
                   or ln.startswith("  x")]
        # strongest first: the class model's calibrated answer, then the serial-bearing ENTITY model
        assert weights == sorted(weights, reverse=True) and 0.95 in weights[:2]
        assert any("class-model" in ln for ln in lines)


def test_explain_json_and_unknown_asset(sqlite_url):
    store(sqlite_url)
    runner = CliRunner()
    res = runner.invoke(main, ["--db", sqlite_url, "fingerprint", "explain", "core-sw", "--json"])
    assert res.exit_code == 0
    data = json.loads(res.output)
    assert data["device_class"] == "switch" and data["os_family"] == "ios"
    res = runner.invoke(main, ["--db", sqlite_url, "fingerprint", "explain", "10.99.99.99"])
    assert res.exit_code == 2 and "no asset matches" in res.output
    assert "Traceback" not in res.output


def test_explain_observation_file_with_user_rules(tmp_path):
    path = tmp_path / "obs.json"
    path.write_text(json.dumps([SWITCH.to_dict()]))
    local = tmp_path / "local.yaml"
    local.write_text("snmp:\n  - {id: cisco-ios-switch, descr: 'C3750E', set: {device_class: router},"
                     " weight: 0.99}\n")
    runner = CliRunner()
    try:
        res = runner.invoke(main, ["fingerprint", "explain", "--observations", str(path),
                                   "--rules", str(local), "--json"])
        assert res.exit_code == 0, res.output
        assert json.loads(res.output)["device_class"] == "router"
    finally:
        rules.load_user_rules(None)


def test_bad_inputs_are_one_line_errors(tmp_path):
    runner = CliRunner()
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    odd = tmp_path / "odd.json"
    odd.write_text(json.dumps([{"no": "observation"}]))
    broken_rules = tmp_path / "r.yaml"
    broken_rules.write_text("snmp: [{id: x, descr: '('}]")
    for args in (["--observations", str(bad)], ["--observations", str(odd)], [],
                 ["--observations", str(odd), "--rules", str(broken_rules)]):
        res = runner.invoke(main, ["fingerprint", "explain", *args])
        assert res.exit_code == 2, (args, res.output)
        assert "Traceback" not in res.output and len(res.output.strip().splitlines()) <= 2
