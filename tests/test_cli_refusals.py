"""Mistakes that must not look like an empty network: a database path in a missing directory and
an interface that does not exist are refused with one line, and nothing is created or recorded."""

from __future__ import annotations

import sqlite3

from click.testing import CliRunner

from netdiscover.cli import main
from netdiscover.storage.engine import DatabaseError, open_database


def invoke(*args: str, env: dict[str, str] | None = None):
    return CliRunner().invoke(main, list(args), env=env)


def test_sqlite_url_in_a_missing_directory_is_refused_and_creates_nothing(tmp_path):
    missing = tmp_path / "no" / "such" / "dir"
    result = invoke("--db", f"sqlite:///{missing / 'x.db'}", "assets", "list")
    assert result.exit_code == 2, result.output
    assert result.output.count("\n") == 1 and "Traceback" not in result.output
    assert f"directory {missing} does not exist" in result.output
    assert "no assets" not in result.output
    assert not (tmp_path / "no").exists(), "nothing may be created for a mistyped path"


def test_bare_path_and_nonexistent_root_are_refused_too(tmp_path):
    for url in ("sqlite:////nonexistent-netdiscover-dir/x.db", str(tmp_path / "gone" / "x.db")):
        result = invoke("--db", url, "assets", "list")
        assert result.exit_code == 2 and "does not exist" in result.output, (url, result.output)
    assert not (tmp_path / "gone").exists()
    try:
        open_database(f"sqlite:///{tmp_path / 'gone' / 'x.db'}")
    except DatabaseError as exc:
        assert "does not exist" in str(exc) and "\n" not in str(exc)
    else:
        raise AssertionError("open_database accepted a missing directory")


def test_file_where_the_directory_should_be_is_refused(tmp_path):
    (tmp_path / "afile").write_text("x")
    result = invoke("--db", f"sqlite:///{tmp_path / 'afile' / 'x.db'}", "assets", "list")
    assert result.exit_code == 2 and "is not a directory" in result.output


def test_default_location_is_still_created_on_first_use(tmp_path):
    data = tmp_path / "xdg"
    result = invoke("assets", "list", env={"XDG_DATA_HOME": str(data), "NETDISCOVER_DB": None})
    assert result.exit_code == 0, result.output
    assert "no assets" in result.output
    assert (data / "netdiscover" / "netdiscover.db").is_file()


def test_existing_directory_with_a_new_file_still_works(tmp_path):
    result = invoke("--db", f"sqlite:///{tmp_path / 'fresh.db'}", "assets", "list")
    assert result.exit_code == 0 and "no assets" in result.output
    assert (tmp_path / "fresh.db").is_file()


def test_unknown_interface_is_exit_2_and_records_no_scan(tmp_path):
    db = tmp_path / "nd.db"
    url = f"sqlite:///{db}"
    assert invoke("--db", url, "db", "upgrade").exit_code == 0
    result = invoke("--db", url, "scan", "10.250.0.0/30", "-m", "arp", "--iface", "nd-nosuch-if9")
    assert result.exit_code == 2, result.output
    assert result.output.count("\n") == 1 and "Traceback" not in result.output
    assert "no interface named 'nd-nosuch-if9'" in result.output
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT count(*) FROM scans").fetchone() == (0,)


def test_unknown_interface_is_refused_whatever_the_method(tmp_path):
    result = invoke("--db", f"sqlite:///{tmp_path / 'nd.db'}", "scan", "10.250.0.1", "-m", "snmp",
                    "--iface", "nd-nosuch-if9")
    assert result.exit_code == 2 and "no interface named" in result.output
    assert not (tmp_path / "nd.db").exists()


def test_existing_interface_passes_the_check():
    from netdiscover.scanners.arp.link import missing_interface

    assert missing_interface("lo") is None
    problem = missing_interface("nd-nosuch-if9")
    assert problem is not None and problem.startswith("no interface named 'nd-nosuch-if9'")
