"""The scan command refuses bad input with one line and exit 2, before sending anything."""

import pytest
from click.testing import CliRunner

from netdiscover.cli import main


@pytest.mark.parametrize(("args", "message"), [
    (["10.0.0.300"], "not a valid target"),
    (["10.0.0.0/8"], "allow-large"),
    (["10.0.0.1", "--exclude", "10.0.0.0/24"], "nothing left"),
    (["10.0.0.1", "-m", "nmap", "--nmap-args", "-oN /tmp/x"], "-oN is not allowed"),
    (["10.0.0.1", "-m", "nmap", "--nmap-args", "--script /tmp/evil.nse"], "--script"),
    (["10.0.0.1", "--snmp-v3", "onlyuser"], "SNMPv3"),
    (["10.0.0.1", "-m", "telepathy"], "Invalid value"),
    (["10.0.0.1", "-o", "/nonexistent-dir/found.json"], "cannot write /nonexistent-dir/found.json"),
])
def test_bad_scan_input_is_one_line_and_exit_2(tmp_path, args, message):
    result = CliRunner().invoke(main, ["--db", f"sqlite:///{tmp_path / 'db.sqlite'}", "scan", *args])
    assert result.exit_code == 2, result.output
    assert message in result.output
    assert "Traceback" not in result.output
    assert not (tmp_path / "db.sqlite").exists(), "nothing may be written for refused input"


def test_secrets_do_not_leak_into_help_or_errors(tmp_path):
    args = ["scan", "10.0.0.300", "--community", "Sup3rSecret",
            "--snmp-v3", "ops:sha/AuthKey123:aes/PrivKey456"]
    result = CliRunner().invoke(main, ["--db", f"sqlite:///{tmp_path / 'db.sqlite'}", *args])
    assert result.exit_code == 2
    for secret in ("Sup3rSecret", "AuthKey123", "PrivKey456"):
        assert secret not in result.output


@pytest.mark.parametrize("url, message", [
    ("mysql://x/y", "unsupported database 'mysql'"),
    ("nodb", "invalid database URL 'nodb'"),
])
def test_a_database_url_no_database_answers_is_refused_before_the_scanners_start(monkeypatch, url, message):
    import netdiscover.services.sweeps as sweeps

    def never(*_args, **_kwargs):
        raise AssertionError("the scanners started")

    monkeypatch.setattr(sweeps, "start_sweep", never)
    result = CliRunner().invoke(main, ["--db", url, "scan", "127.0.9.1", "-m", "snmp"])
    assert result.exit_code == 2 and message in result.output, result.output
    assert "Traceback" not in result.output
