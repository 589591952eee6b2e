"""``scan -o FILE`` writes what it would print into FILE (as the report commands' ``-o`` does).

The sweep is SNMP to one loopback address where no agent listens: it times out, finds nothing
and sends nothing off this machine.
"""

from __future__ import annotations

import json

from click.testing import CliRunner

from netdiscover.cli import main

TARGET = "127.0.9.1"


def scan(tmp_path, *args: str):
    return CliRunner().invoke(main, ["--db", f"sqlite:///{tmp_path / 'db.sqlite'}", "scan", TARGET,
                                     "-m", "snmp", *args])


def test_scan_writes_its_json_or_table_to_the_output_file(tmp_path):
    found = tmp_path / "found.json"
    result = scan(tmp_path, "--format", "json", "-o", str(found))
    assert result.exit_code == 0, result.output
    assert json.loads(found.read_text()) == []
    assert result.stdout == "" and f"wrote {found}" in result.stderr

    table = tmp_path / "found.txt"
    result = scan(tmp_path, "--output", str(table))
    assert result.exit_code == 0, result.output
    lines = table.read_text().splitlines()
    assert lines[0].startswith("scan 2: completed, 0 devices")
    assert "no assets" in lines and lines[-1].startswith("new: 0  updated: 0")
    assert result.stdout == ""


def test_scan_without_output_prints_the_same_table(tmp_path):
    result = scan(tmp_path)
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("scan 1: completed, 0 devices") and "no assets\n" in result.stdout
