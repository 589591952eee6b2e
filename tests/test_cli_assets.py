"""The assets, inventory and db commands end to end through click, on SQLite and PostgreSQL."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime

import pytest
from click.testing import CliRunner

from netdiscover.cli import main
from netdiscover.fields import ASSET_KEYS, LIST_CSV
from netdiscover.observation import Observation, Service
from netdiscover.services.reconcile import reconcile
from netdiscover.storage.engine import open_database

REQUIRED = {  # the agreed JSON contract: these keys never go away (netdiscover.fields has them all)
    "id",
    "status",
    "device_class",
    "vendor",
    "model",
    "os",
    "hostname",
    "serial",
    "macs",
    "ips",
    "services",
    "first_seen",
    "last_seen",
    "methods",
    "confidence",
}
INVENTORY = (
    "asset_tag,name,mac,ip,owner\r\n"
    "A-1,printer-1,00:11:22:33:44:55,10.20.0.9,alice\r\n"
    'A-2,[bold]markup[/bold],00:11:22:33:44:56,,=HYPERLINK("http://x")\r\n'
)


def run(db_url: str, *args: str):
    result = CliRunner().invoke(main, ["--db", db_url, *args], catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture
def filled(db_url, tmp_path):
    path = tmp_path / "inv.csv"
    path.write_text(INVENTORY)
    code, out, _ = run(db_url, "inventory", "import", str(path))
    assert code == 0 and "2 new" in out
    sessions = open_database(db_url)
    seen = datetime(2026, 3, 1, tzinfo=UTC)
    reconcile(
        sessions,
        [
            Observation(
                method="nmap",
                ip="10.20.0.9",
                mac="00:11:22:33:44:55",
                seen_at=seen,
                services=[Service(631, name="ipp", product="CUPS", version="2.4")],
            ),
            Observation(
                method="arp", ip="10.20.0.66", mac="00:11:22:33:44:66", hostname="-cmd|calc", seen_at=seen
            ),
        ],
        now=seen,
        fingerprinter=lambda o: None,
    )
    sessions.kw["bind"].dispose()
    return db_url


def test_db_upgrade_is_repeatable(db_url):
    code, out, _ = run(db_url, "db", "upgrade")
    assert code == 0 and "migrated from empty to" in out
    code, out, _ = run(db_url, "db", "upgrade")
    assert code == 0 and "already at" in out


def test_assets_list_json_has_the_agreed_shape(filled):
    code, out, _ = run(filled, "assets", "list", "--format", "json")
    assert code == 0
    rows = json.loads(out)
    assert len(rows) == 3 and all(set(r) >= REQUIRED for r in rows)
    assert all(tuple(r) == ASSET_KEYS for r in rows)          # every field of the table, in its order
    printer = next(r for r in rows if r["hostname"] == "printer-1")
    assert printer["status"] == "documented" and printer["methods"] == ["nmap"]
    assert printer["services"] == [
        {"port": 631, "protocol": "tcp", "name": "ipp", "product": "CUPS", "version": "2.4", "cpe": []}
    ]
    code, out, _ = run(filled, "assets", "list", "--status", "undocumented", "--format", "json")
    assert [r["ips"] for r in json.loads(out)] == [["10.20.0.66"]]


def test_assets_list_table_and_csv_render_hostile_text_inertly(filled):
    code, out, _ = run(filled, "assets", "list")
    assert code == 0 and "[bold]markup[/bold]" in out and "printer-1" in out
    code, out, _ = run(filled, "assets", "list", "--format", "csv")
    rows = list(csv.DictReader(io.StringIO(out)))
    assert tuple(rows[0]) == LIST_CSV
    assert {r["hostname"] for r in rows} == {"printer-1", "[bold]markup[/bold]", "'-cmd|calc"}
    assert next(r for r in rows if r["hostname"] == "printer-1")["services"] == "631/tcp ipp CUPS 2.4"


def test_assets_show_by_id_mac_and_ip(filled):
    code, out, _ = run(filled, "assets", "show", "00-11-22-33-44-55", "--format", "json")
    assert code == 0
    shown = json.loads(out)
    assert isinstance(shown, dict) and shown["hostname"] == "printer-1" and set(shown) >= REQUIRED
    for key in (str(shown["id"]), "10.20.0.9"):
        assert json.loads(run(filled, "assets", "show", key, "--format", "json")[1])["id"] == shown["id"]
    code, out, _ = run(filled, "assets", "show", "10.20.0.9")
    assert code == 0 and "printer-1" in out and "CUPS" in out and "imported" in out
    code, out, err = run(filled, "assets", "show", "10.99.0.1")
    assert code == 2 and err.count("\n") == 1 and "no asset matches" in err


def test_inventory_import_errors_are_one_line_and_atomic(db_url, tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_bytes(b"name,mac\r\nok,00:11:22:33:44:55\r\nbroken,00:zz\r\n\xff\xfe,00:11:22:33:44:57\r\n")
    code, _out, err = run(db_url, "inventory", "import", str(bad))
    assert code == 2 and "Traceback" not in err
    assert "line 4: not valid UTF-8" in err
    bad.write_bytes(b"name,mac\r\nok,00:11:22:33:44:55\r\nbroken,00:zz\r\n")
    code, _out, err = run(db_url, "inventory", "import", str(bad))
    assert code == 2 and "error: line 3: invalid MAC address '00:zz'" in err and "nothing imported" in err
    assert json.loads(run(db_url, "assets", "list", "--format", "json")[1]) == []
    code, out, err = run(db_url, "inventory", "import", "--skip-invalid", str(bad))
    assert code == 0 and "1 new" in out and "skipped: line 3" in err
    code, _out, err = run(db_url, "inventory", "import", str(tmp_path / "missing.csv"))
    assert code == 2 and "cannot read" in err


def test_inventory_export_to_file(filled, tmp_path):
    target = tmp_path / "out.json"
    code, _out, err = run(filled, "inventory", "export", "--format", "json", "-o", str(target))
    assert code == 0 and "wrote 3 assets" in err
    assert {r["asset_tag"] for r in json.loads(target.read_text())} == {"A-1", "A-2", None}
    code, out, _ = run(filled, "inventory", "export")
    assert code == 0 and out.startswith("id,asset_tag,hostname") and "'=HYPERLINK" in out


def test_unreachable_database_is_a_one_line_error():
    code, _out, err = run("postgresql://nobody:s3cret@127.0.0.1:1/x", "assets", "list")
    assert code == 2 and err.count("\n") == 1 and "s3cret" not in err and "Traceback" not in err
