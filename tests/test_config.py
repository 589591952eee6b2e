"""Settings file: the documented shape loads, mistakes give file:line:column, secrets stay hidden."""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

import pytest

from netdiscover.config import SettingsError, load_settings, parse_settings

ROOT = Path(__file__).resolve().parents[1]

ISSUE_SHAPE = """\
[database]
url = "sqlite:////var/lib/netdiscover/netdiscover.db"

[[sweep]]
name = "office-lan"
targets = ["10.20.0.0/24"]
exclude = ["10.20.0.1"]
methods = ["arp", "snmp", "nmap"]
interface = "eth1"
every = "15m"            # or: cron = "0 */4 * * *"
window = "22:00-06:00"   # optional
credentials = "office"   # names a [credentials.*] entry

[credentials.office]
snmp_communities = ["public"]
"""


def write(tmp_path: Path, text: str, name: str = "nd.toml", mode: int = 0o600) -> Path:
    path = tmp_path / name
    path.write_text(text)
    path.chmod(mode)
    return path


def error_of(tmp_path: Path, text: str) -> SettingsError:
    with pytest.raises(SettingsError) as info:
        load_settings(write(tmp_path, text))
    return info.value


def test_documented_shape_loads(tmp_path, monkeypatch):
    monkeypatch.delenv("NETDISCOVER_DB", raising=False)
    s = load_settings(write(tmp_path, ISSUE_SHAPE))
    assert s.database_url == "sqlite:////var/lib/netdiscover/netdiscover.db"
    (sw,) = s.sweeps
    assert sw.name == "office-lan" and sw.targets == ["10.20.0.0/24"] and sw.exclude == ["10.20.0.1"]
    assert sw.methods == ["arp", "snmp", "nmap"] and sw.interface == "eth1"
    assert sw.schedule.every == timedelta(minutes=15) and str(sw.schedule.window) == "22:00-06:00"
    assert sw.credentials_name == "office"
    assert [c.community for c in sw.credentials] == ["public"]
    assert s.warnings == []


def test_example_file_loads(monkeypatch):
    monkeypatch.delenv("NETDISCOVER_DB", raising=False)
    s = load_settings(ROOT / "examples" / "netdiscover.toml")
    assert {sw.name for sw in s.sweeps} == {"office-lan", "servers"}
    assert s.sweep("servers").schedule.cron == "0 */4 * * *"
    assert s.daemon.log_format == "json"


def test_env_overrides_database(tmp_path, monkeypatch):
    monkeypatch.setenv("NETDISCOVER_DB", "postgresql://x@db/nd")
    assert load_settings(write(tmp_path, ISSUE_SHAPE)).database_url == "postgresql://x@db/nd"


def test_cron_sweep_and_daemon_table(tmp_path):
    s = load_settings(write(tmp_path, """
[daemon]
metrics_port = 9464
log_format = "json"
state = "state.json"
db_retry_max = "2m"
on_stop = "finish"
[fingerprint]
rules = "rules.yaml"
[alerts]
events = ["new_undocumented"]
[[sweep]]
name = "dc"
targets = ["10.30.0.0/24", "10.30.1.10-50"]
cron = "0 */4 * * *"
jitter = "30s"
rate = 100
"""))
    assert s.daemon.metrics_port == 9464 and s.daemon.db_retry_max == 120 and s.daemon.on_stop == "finish"
    assert s.daemon.state == str(tmp_path / "state.json")
    assert s.fingerprint_rules == str(tmp_path / "rules.yaml")
    assert s.alerts == {"events": ["new_undocumented"]}
    assert s.sweeps[0].schedule.jitter == timedelta(seconds=30) and s.sweeps[0].rate == 100


def test_v3_credentials_and_no_secret_in_repr(tmp_path):
    s = load_settings(write(tmp_path, ISSUE_SHAPE.replace(
        'snmp_communities = ["public"]',
        'snmp_communities = ["s3cretcomm"]\nsnmp_v3 = ["monitor:sha/authpass123:aes/privpass456"]')))
    creds = s.sweeps[0].credentials
    assert [c.version for c in creds] == ["2c", "3"]
    assert creds[1].user == "monitor" and creds[1].auth_key == "authpass123"
    assert creds[1].priv_protocol == "aes"
    text = repr(s) + repr(s.sweeps) + str(creds)
    for secret in ("s3cretcomm", "authpass123", "privpass456"):
        assert secret not in text


def test_bad_v3_credential_names_line_not_secret(tmp_path):
    err = error_of(tmp_path, ISSUE_SHAPE.replace('snmp_communities = ["public"]',
                                                  'snmp_v3 = ["monitor:md9/authpass123"]'))
    assert err.line == 15 and "md9" in str(err) and "authpass123" not in str(err)


def test_credentials_file_and_world_readable_warning(tmp_path):
    secret = write(tmp_path, 'snmp_communities = ["fromfile"]\n', "creds.toml", 0o644)
    text = ISSUE_SHAPE.replace('snmp_communities = ["public"]', 'file = "creds.toml"')
    s = load_settings(write(tmp_path, text))
    assert [c.community for c in s.sweeps[0].credentials] == ["fromfile"]
    assert len(s.warnings) == 1 and "creds.toml" in s.warnings[0] and "chmod 600" in s.warnings[0]
    secret.chmod(0o600)
    assert load_settings(write(tmp_path, text)).warnings == []


def test_inline_secrets_in_world_readable_file_warn(tmp_path):
    s = load_settings(write(tmp_path, ISSUE_SHAPE, mode=0o644))
    assert any("readable by every user" in w for w in s.warnings)


def test_missing_credentials_file(tmp_path):
    err = error_of(tmp_path, ISSUE_SHAPE.replace('snmp_communities = ["public"]', 'file = "nope.toml"'))
    assert err.line == 15 and "nope.toml" in str(err)


def test_broken_credentials_file_reports_its_own_line(tmp_path):
    write(tmp_path, 'snmp_communities = ["a"]\nsnmp_v3 = [\n', "creds.toml")
    err = error_of(tmp_path, ISSUE_SHAPE.replace('snmp_communities = ["public"]', 'file = "creds.toml"'))
    assert err.path.endswith("creds.toml") and err.line is not None


@pytest.mark.parametrize(("old", "new", "line", "words"), [
    ('every = "15m"', 'every = "15x"', 10, "cannot read '15x' as a duration"),
    ('window = "22:00-06:00"', 'window = "22:00-25:00"', 11, "window"),
    ('methods = ["arp", "snmp", "nmap"]', 'methods = ["arp", "smtp"]', 8, "unknown method 'smtp'"),
    ('targets = ["10.20.0.0/24"]', 'targets = ["10.20.0.0/33"]', 6, "10.20.0.0/33"),
    ('exclude = ["10.20.0.1"]', 'exclude = ["10.20.0.300"]', 7, "10.20.0.300"),
    ('credentials = "office"', 'credentials = "lab"', 12, "no [credentials.lab]"),
    ('interface = "eth1"', 'interfce = "eth1"', 9, "unknown key 'interfce'"),
    ('every = "15m"', 'cron = "0 */4 * *"', 10, "cron expression"),
    ('every = "15m"', 'every = "15m"\ncron = "0 * * * *"', 10, "exactly one"),
    ('name = "office-lan"', 'name = "office lan"', 5, "sweep name"),
])
def test_semantic_errors_point_at_the_line(tmp_path, old, new, line, words):
    err = error_of(tmp_path, ISSUE_SHAPE.replace(old, new))
    assert err.line == line, str(err)
    assert words in str(err)
    assert str(err).startswith(f"{tmp_path / 'nd.toml'}:{line}:")
    assert "\n" not in str(err)


def test_toml_syntax_error_has_line_and_column(tmp_path):
    err = error_of(tmp_path, ISSUE_SHAPE.replace('every = "15m"', 'every = "15m'))
    assert (err.line, err.column) == (10, err.column) and err.column and err.column > 1
    assert "not valid TOML" in str(err) and str(err).count("\n") == 0


def test_second_sweep_errors_point_into_the_second_block(tmp_path):
    text = ISSUE_SHAPE + '\n[[sweep]]\nname = "b"\ntargets = ["10.9.0.0/24"]\nevery = "soon"\n'
    err = error_of(tmp_path, text)
    assert err.line == 20 and "'b'" in str(err)


def test_duplicate_sweep_names(tmp_path):
    text = ISSUE_SHAPE + '\n[[sweep]]\nname = "office-lan"\ntargets = ["10.9.0.0/24"]\nevery = "1h"\n'
    err = error_of(tmp_path, text)
    assert err.line == 18 and "unique" in str(err)


def test_daemon_table_errors(tmp_path):
    err = error_of(tmp_path, ISSUE_SHAPE + '\n[daemon]\nlog_format = "xml"\n')
    assert err.line == 18 and "log_format" in str(err)
    err = error_of(tmp_path, ISSUE_SHAPE + '\n[daemon]\nmetrics_port = 70000\n')
    assert err.line == 18


def test_unknown_top_level_table(tmp_path):
    err = error_of(tmp_path, ISSUE_SHAPE + '\n[databse]\nurl = "x"\n')
    assert "databse" in str(err)


def test_missing_and_unreadable_file(tmp_path):
    with pytest.raises(SettingsError, match="no such settings file"):
        load_settings(tmp_path / "absent.toml")
    bad = tmp_path / "bin.toml"
    bad.write_bytes(b"\xff\xfe\x00")
    with pytest.raises(SettingsError, match="cannot read"):
        load_settings(bad)


def test_hostnames_are_accepted_without_resolving(tmp_path):
    s = parse_settings('[[sweep]]\nname = "h"\ntargets = ["printer.example.internal"]\nevery = "1h"\n',
                       tmp_path / "x.toml")
    assert s.sweeps[0].targets == ["printer.example.internal"]


def test_cli_check(tmp_path, monkeypatch):
    from click.testing import CliRunner

    from netdiscover.cli import main

    monkeypatch.delenv("NETDISCOVER_DB", raising=False)
    good = write(tmp_path, ISSUE_SHAPE)
    res = CliRunner().invoke(main, ["daemon", "--config", str(good), "--check"])
    assert res.exit_code == 0, res.output
    assert "office-lan: every 15m, window 22:00-06:00" in res.output
    assert "public" not in res.output
    bad = write(tmp_path, ISSUE_SHAPE.replace('every = "15m"', 'every = "15x"'), "bad.toml")
    res = CliRunner().invoke(main, ["daemon", "--config", str(bad), "--check"])
    assert res.exit_code == 2
    assert f"{bad}:10:" in res.output and "Traceback" not in res.output
    assert os.path.exists(bad)


def test_listen_tables_and_request_poll(tmp_path):
    text = (ISSUE_SHAPE + '\n[daemon]\nrequest_poll = "2s"\n\n'
            '[[listen]]\ninterfaces = ["eth1", "eth1", "eth2"]\nsite = "hq"\nflush = "10s"\n\n'
            '[[listen]]\ninterfaces = "eth3"\n')
    settings = load_settings(write(tmp_path, text))
    assert settings.daemon.request_poll == 2.0
    assert [(x.interfaces, x.site, x.flush) for x in settings.listens] == [
        (["eth1", "eth2"], "hq", 10.0), (["eth3"], None, 30.0)]
    plain = parse_settings(ISSUE_SHAPE)
    assert plain.listens == [] and plain.daemon.request_poll == 5.0


@pytest.mark.parametrize("block, line, words", [
    ('[[listen]]\nsite = "hq"\n', 17, "needs interfaces"),
    ('[[listen]]\ninterfaces = ["eth1"]\nflush = "0.5s"\n', 19, "flush must be between 1s and 1d"),
    ('[[listen]]\ninterfaces = ["eth1"]\nflush = "soon"\n', 19, "flush:"),
    ('[[listen]]\ninterfaces = ["eth1"]\nport = 1\n', 19, "unknown key 'port' in [[listen]]"),
    ('[[listen]]\ninterfaces = ["a-name-far-too-long"]\n', 18, "not a valid interface name"),
    ('[[listen]]\ninterfaces = []\n', 18, "at least one interface"),
    ('[[listen]]\ninterfaces = ["eth1"]\nsite = "h q"\n', 19, "site 'h q'"),
    ('[[listen]]\ninterfaces = ["eth1"]\n[[listen]]\ninterfaces = ["eth1"]\n', 20, "listened on twice"),
])
def test_listen_errors_name_the_line(tmp_path, block, line, words):
    path = write(tmp_path, ISSUE_SHAPE + "\n" + block)
    with pytest.raises(SettingsError) as info:
        load_settings(path)
    message = str(info.value)
    assert message.startswith(str(path.absolute()) + (f":{line}:" if line else ""))
    assert "\n" not in message
    if words:
        assert words in message, message


def test_listen_must_be_tables(tmp_path):
    err = error_of(tmp_path, 'listen = "eth0"\n' + ISSUE_SHAPE)
    assert err.line == 1 and "[[listen]] tables" in str(err)


@pytest.mark.parametrize(("options", "words"), [
    ('{ snmp_concurency = 8 }', "unknown option 'snmp_concurency'"),
    ('{ iot_quiet = 2.0 }', "belongs to method iot, which this sweep does not run"),
    ('{ snmp_timeout = "fast" }', "'snmp_timeout' must be a number"),
    ('{ snmp_concurrency = 2.5 }', "'snmp_concurrency' must be a whole number"),
    ('{ snmp_retries = true }', "'snmp_retries' must be a whole number"),
    ('{ snmp_depth = "deep" }', "'snmp_depth' must be one of"),
])
def test_sweep_options_are_checked_against_the_methods_descriptors(tmp_path, options, words):
    err = error_of(tmp_path, ISSUE_SHAPE.replace('credentials = "office"',
                                                 f'credentials = "office"\noptions = {options}'))
    assert words in str(err) and err.line == 13, str(err)


def test_sweep_options_of_the_right_kind_load(tmp_path):
    text = ISSUE_SHAPE.replace('credentials = "office"', 'credentials = "office"\n'
                               'options = { snmp_timeout = 2, snmp_depth = "system", quiet_ms = 50.0 }')
    sweep = load_settings(write(tmp_path, text)).sweeps[0]
    assert sweep.options == {"snmp_timeout": 2, "snmp_depth": "system", "quiet_ms": 50.0}
