"""`netdiscover inventory import|export` through the CLI: broken files refused whole, dry runs,
column maps, and exact export -> import round trips on SQLite and PostgreSQL."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import netaddr
import pytest
from click.testing import CliRunner

from netdiscover.cli import main
from netdiscover.observation import Observation
from netdiscover.services.reconcile import reconcile
from netdiscover.storage.assets import list_assets
from netdiscover.storage.engine import open_database

EXPORTS = Path(__file__).parent / "data" / "exports"
T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
HEADER = b"name,mac,ip\r\n"
GOOD = b"pc-1,00:11:22:33:44:01,10.20.0.11\r\n"


def run(db_url: str, *args: str):
    result = CliRunner().invoke(main, ["--db", db_url, *args], catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


def assets(db_url: str) -> list[dict]:
    code, out, _ = run(db_url, "assets", "list", "--format", "json")
    assert code == 0
    return json.loads(out)


@pytest.mark.parametrize(
    ("body", "message"),
    [
        # the quote opened on line 3 never closes: it would swallow lines 4 and 5 into one cell
        (GOOD + b'"pc-2,00:11:22:33:44:02,10.20.0.12\r\npc-3,00:11:22:33:44:03,10.20.0.13\r\n'
         b"pc-4,00:11:22:33:44:04,10.20.0.14\r\n", "error: line 3: unterminated quote"),
        # closes again further down, leaving the right number of cells: still a swallowed row
        (GOOD + b'"pc-2,00:11:22:33:44:02\r\npc-3,00:11:22:33:44:03,10.20.0.13\r\npc-4",'
         b"00:11:22:33:44:04,10.20.0.14\r\n", "error: line 3: unterminated quote"),
        (GOOD + b"pc-2,00:11:22:33:44:02\r\n", "error: line 3: 2 cells but the header has 3 columns"),
        (GOOD + b"pc-2,00:11:22:33:44:02,10.20.0.12,x\r\n", "error: line 3: 4 cells but the header has 3"),
        (GOOD + b"pc-2,00:11:22:33:44:02,10.20.0.12\r\npc\x00-3,00:11:22:33:44:03,10.20.0.13\r\n",
         "error: line 4: NUL byte in the row"),
    ],
    ids=["unterminated-quote", "quote-closed-late", "too-few-cells", "too-many-cells", "nul-byte"],
)
def test_malformed_files_are_refused_whole_with_the_line(sqlite_url, tmp_path, body, message):
    path = tmp_path / "bad.csv"
    path.write_bytes(HEADER + body)
    code, out, err = run(sqlite_url, "inventory", "import", str(path))
    assert code == 2 and out == "" and "Traceback" not in err
    lines = err.splitlines()
    assert lines[0].startswith(message), err
    assert lines[-1] == "Error: bad.csv: 1 problem, nothing imported (--skip-invalid imports the valid rows)"
    assert len(lines) == 2 and all(len(line) < 200 for line in lines)
    assert assets(sqlite_url) == []
    code, out, err = run(sqlite_url, "inventory", "import", "--skip-invalid", str(path))
    assert code == 0 and "skipped: line" in err
    assert "pc-1" in {a["hostname"] for a in assets(sqlite_url)}


def test_a_late_bad_row_rolls_back_batches_already_written(sqlite_url, tmp_path):
    rows = b"".join(b"pc-%d,00:11:22:%02x:%02x:01,\r\n" % (i, i // 256, i % 256) for i in range(12_000))
    path = tmp_path / "big.csv"
    path.write_bytes(HEADER + rows + b"broken,00:zz,\r\n")
    code, _out, err = run(sqlite_url, "inventory", "import", str(path))
    assert code == 2 and "error: line 12002: invalid MAC address '00:zz'" in err
    assert assets(sqlite_url) == []


def test_dry_run_shows_every_column_and_writes_nothing(sqlite_url):
    code, out, err = run(sqlite_url, "inventory", "import", "--dry-run", str(EXPORTS / "glpi_computers.csv"))
    assert code == 0
    assert out == "dry run, nothing written: 12 records: 12 new, 0 updated, 0 unchanged\n"
    assert err.startswith("preset: glpi (GLPI computer export), detected from the header; encoding utf-8, "
                          "delimiter ';'")
    for shown in ("'Name' -> hostname", "'Network ports - MAC' -> mac", "'IP - Address' -> ip",
                  "'Type' -> device_class", "'Entity' -> attribute entity", "'Status' -> attribute status",
                  "'Operating System - Name' -> attribute os"):
        assert shown in err
    assert "warning: line 4: link-local address 'fe80::8e8c:aaff:fe01:203' skipped" in err
    assert assets(sqlite_url) == []
    code, out, _ = run(sqlite_url, "inventory", "import", str(EXPORTS / "glpi_computers.csv"))
    assert code == 0 and out == "12 records: 12 new, 0 updated, 0 unchanged\n"
    code, out, _ = run(sqlite_url, "inventory", "import", "--dry-run", str(EXPORTS / "glpi_computers.csv"))
    assert out == "dry run, nothing written: 12 records: 0 new, 0 updated, 12 unchanged\n"


def test_map_and_mapping_file_send_columns_where_asked(sqlite_url, tmp_path):
    path = tmp_path / "cmdb.csv"
    path.write_text("CI Name,Hardware Address,Kind,Cabinet,Room\n"
                    "db-01,00:11:22:33:44:aa,Datenbankserver,C3,Raum 2\n")
    mapping = tmp_path / "cmdb.toml"
    mapping.write_text('[columns]\n"CI Name" = "hostname"\n"Kind" = "device_class"\n\n'
                       '[device_class]\n"Datenbankserver" = "server"\n')
    code, _out, err = run(sqlite_url, "inventory", "import", str(path), "--mapping", str(mapping),
                          "--map", "Hardware Address=mac", "--map", "Cabinet=attribute:rack")
    assert code == 0, err
    (asset,) = assets(sqlite_url)
    assert asset["hostname"] == "db-01" and asset["device_class"] == "server"
    assert asset["macs"] == ["00:11:22:33:44:aa"] and asset["location"] == "Raum 2"
    code, _out, err = run(sqlite_url, "inventory", "import", str(path), "--map", "Cabinet=shoe_size")
    assert code == 2 and "--map 'Cabinet=shoe_size': unknown field 'shoe_size'" in err
    code, _out, err = run(sqlite_url, "inventory", "import", str(path), "--preset", "netbox")
    assert code == 0   # a forced preset still maps what it does not name through the synonyms


def test_forced_preset_and_unreadable_mapping_file(sqlite_url, tmp_path):
    bad = tmp_path / "m.toml"
    bad.write_text("[columns\n")
    code, _out, err = run(sqlite_url, "inventory", "import", str(EXPORTS / "snipeit_assets.csv"),
                          "--mapping", str(bad))
    assert code == 2 and "not a valid TOML mapping file" in err and err.count("\n") == 1
    code, _out, err = run(sqlite_url, "inventory", "import", str(EXPORTS / "snipeit_assets.csv"),
                          "--preset", "snipeit")
    assert code == 0 and "preset: snipeit (Snipe-IT asset export), as asked" in err


def _office(db_url: str, tmp_path: Path) -> None:
    """A documented inventory, then sweeps that also find three devices nobody documented."""
    inv = tmp_path / "inventory.csv"
    inv.write_text("asset_tag,name,mac,ip,vendor,owner\n"
                   "A-1,printer-1,00:11:22:33:44:55,10.20.0.9,HP,alice\n"
                   "A-2,files,00:11:22:33:44:66,10.20.0.10,,bob\n")
    assert run(db_url, "inventory", "import", str(inv))[0] == 0
    sessions = open_database(db_url)
    try:
        reconcile(sessions, [
            Observation(method="arp", ip="10.20.0.9", mac="00:11:22:33:44:55", seen_at=T0),
            Observation(method="arp", ip="10.20.0.10", mac="00:11:22:33:44:66", seen_at=T0),
            Observation(method="arp", ip="10.20.0.77", mac="00:11:22:33:44:77", seen_at=T0, hostname="cam-1"),
            Observation(method="arp", ip="10.20.0.78", mac="3c:22:fb:00:00:78", seen_at=T0),
            Observation(method="nmap", ip="10.20.0.79", seen_at=T0, hostname="mystery.local"),
        ], now=T0, scope=netaddr.IPSet(["10.20.0.0/24"]), fingerprinter=lambda o: None)
    finally:
        sessions.kw["bind"].dispose()


@pytest.mark.parametrize("fmt", ["csv", "json"])
def test_export_then_import_leaves_the_unknown_report_identical(db_url, tmp_path, fmt):
    _office(db_url, tmp_path)
    code, before, _ = run(db_url, "report", "unknown", "--format", "json")
    assert code == 0 and len(json.loads(before)) == 3
    listed = assets(db_url)
    out = tmp_path / f"export.{fmt}"
    assert run(db_url, "inventory", "export", "--format", fmt, "-o", str(out))[0] == 0
    code, stdout, err = run(db_url, "inventory", "import", str(out))
    assert code == 0, err
    assert stdout == "5 records: 0 new, 0 updated, 5 unchanged\n"
    assert "preset: netdiscover" in err
    assert run(db_url, "report", "unknown", "--format", "json")[1] == before
    assert assets(db_url) == listed
    # into an empty database, the export recreates the same picture, statuses included
    other = tmp_path / "other.db"
    empty = f"sqlite:///{other}"
    assert run(empty, "inventory", "import", str(out))[0] == 0
    statuses = sorted((a["hostname"] or "", a["status"]) for a in assets(empty))
    assert statuses == sorted((a["hostname"] or "", a["status"]) for a in listed)


def test_a_plain_inventory_still_documents_what_it_lists(db_url, tmp_path):
    _office(db_url, tmp_path)
    plain = tmp_path / "plain.csv"
    plain.write_text("asset_tag,mac,owner\nA-9,00:11:22:33:44:77,dave\n")
    code, out, _ = run(db_url, "inventory", "import", str(plain))
    assert code == 0 and out == "1 records: 0 new, 1 updated, 0 unchanged\n"
    sessions = open_database(db_url)
    try:
        with sessions() as s:
            by_tag = {a.asset_tag: a for a in list_assets(s)}
        assert by_tag["A-9"].status == "documented" and by_tag["A-9"].hostname == "cam-1"
    finally:
        sessions.kw["bind"].dispose()
    assert len(json.loads(run(db_url, "report", "unknown", "--format", "json")[1])) == 2


def test_a_product_import_exported_and_imported_elsewhere_is_the_same(sqlite_url, tmp_path):
    """Attributes named like export columns (GLPI's os, status) survive the trip as attributes."""
    assert run(sqlite_url, "inventory", "import", str(EXPORTS / "glpi_computers.csv"))[0] == 0
    out = tmp_path / "export.csv"
    assert run(sqlite_url, "inventory", "export", "-o", str(out))[0] == 0
    header = out.read_text().splitlines()[0]
    assert "attribute:os" in header and "attribute:status" in header
    other = f"sqlite:///{tmp_path / 'other.db'}"
    code, stdout, _ = run(other, "inventory", "import", str(out))
    assert code == 0 and stdout == "12 records: 12 new, 0 updated, 0 unchanged\n"

    def comparable(url: str) -> list[dict]:
        return sorted(({k: v for k, v in a.items() if k != "id"} for a in assets(url)),
                      key=lambda a: a["asset_tag"])

    original = comparable(sqlite_url)
    assert original[0]["attributes"]["os"] and original[0]["attributes"]["status"] == "In use"
    assert comparable(other) == original


def test_blank_rows_and_unnamed_columns(sqlite_url, tmp_path):
    path = tmp_path / "sheet.csv"
    path.write_text("name,mac,,\npc-1,00:11:22:33:44:01,x,y\n,,,\n\n")
    code, out, err = run(sqlite_url, "inventory", "import", str(path))
    assert code == 0 and out.startswith("1 records: 1 new"), err
    (asset,) = assets(sqlite_url)
    assert asset["attributes"] == {"column_3": "x", "column_4": "y"}


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('[{"name": "a", "mac": "00:11:22:33:44:01"},\n {"name": "b\x00", "mac": "00:11:22:33:44:02"}]',
         "error: line 2: invalid JSON (Invalid control character at)"),
        ('[{"name": "a", "mac": "00:11:22:33:44:01"},\n {"name": "b\\u0000", "mac": "00:11:22:33:44:02"}]',
         "error: entry 2: NUL character in column 'name'"),
        ('[{"name": "a", "mac": "00:11:22:33:44:01"},\n {"name": "b, "mac": "00:11:22:33:44:02"}]',
         "error: line 2: invalid JSON"),
    ],
    ids=["raw-nul", "escaped-nul", "unterminated-string"],
)
def test_malformed_json_is_refused_whole(sqlite_url, tmp_path, text, message):
    path = tmp_path / "bad.json"
    path.write_text(text)
    code, _out, err = run(sqlite_url, "inventory", "import", str(path))
    assert code == 2 and err.startswith(message), err
    assert assets(sqlite_url) == []
