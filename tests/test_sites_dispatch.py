"""A ``[[sweep]]`` with ``site = "NAME"``: checked at load time, and sent by the daemon to the
site's queue (real RabbitMQ, throw-away vhost) with credentials by name only, instead of run here."""

from __future__ import annotations

import json
import socket

import pytest
from in_session import sweep_state_of

from netdiscover.config import SettingsError, load_settings
from netdiscover.daemon.runner import Daemon
from netdiscover.services.sites import add_site
from netdiscover.storage.engine import open_database
from netdiscover.workers import rabbitadmin

SWEEP = ('[[sweep]]\nname = "{name}"\ntargets = ["10.1.0.0/24"]\nmethods = ["arp", "snmp"]\n'
         'every = "1h"\n{extra}\n')


def settings(tmp_path, sweeps: str, daemon: str = "") -> str:
    path = tmp_path / "nd.toml"
    path.write_text(f'[database]\nurl = "sqlite:///{tmp_path}/nd.db"\n[daemon]\nstop_timeout = "10s"\n'
                    f'{daemon}\n{sweeps}')
    return str(path)


def test_site_sweeps_need_a_broker_and_a_valid_site(tmp_path, monkeypatch):
    monkeypatch.delenv("NETDISCOVER_BROKER", raising=False)
    with pytest.raises(SettingsError, match="needs broker"):
        load_settings(settings(tmp_path, SWEEP.format(name="paris", extra='site = "paris"')))
    with pytest.raises(SettingsError, match="site 'a b'"):
        load_settings(settings(tmp_path, SWEEP.format(name="paris", extra='site = "a b"'),
                               'broker = "amqp://x"'))
    # a site's collector resolves the credentials: the central file need not hold them
    sited = SWEEP.format(name="p", extra='site = "paris"\ncredentials = "office"')
    s = load_settings(settings(tmp_path, sited, 'broker = "amqp://x"'))
    sweep = s.sweeps[0]
    assert (sweep.site, sweep.credentials_name, sweep.credentials) == ("paris", "office", [])
    with pytest.raises(SettingsError, match="credentials 'office'"):         # a local sweep still must
        load_settings(settings(tmp_path, SWEEP.format(name="p", extra='credentials = "office"')))


def test_daemon_sends_a_site_sweep_to_the_sites_queue(tmp_path):
    with socket.socket() as sock:
        sock.settimeout(1)
        if sock.connect_ex(("127.0.0.1", 5672)) != 0:
            pytest.skip("RabbitMQ is not running on 127.0.0.1:5672")
    with rabbitadmin.throwaway_vhost(["paris"]) as urls:
        sited = SWEEP.format(name="paris-lan", extra='site = "paris"\ncredentials = "office"')
        path = settings(tmp_path, sited, f'broker = "{urls["central"]}"')
        sessions = open_database(f"sqlite:///{tmp_path}/nd.db")
        add_site(sessions, "paris")

        def must_not_run(*_a, **_k):
            raise AssertionError("a site's sweep ran locally")

        d = Daemon(load_settings(path), config_path=path, runner=must_not_run)
        assert d.run(once=True, install_signals=False) == 0
        from netdiscover.workers.app import make_app

        with make_app(urls["paris"]).connection_for_write() as conn:      # as the paris collector
            msg = conn.default_channel.basic_get("sweeps.paris", no_ack=True)
        assert msg is not None
        args = json.loads(msg.body)[0][0]
        assert args["site"] == "paris" and args["credentials"] == "office"
        assert args["targets"] == ["10.1.0.0/24"] and args["methods"] == ["arp", "snmp"]
        assert "community" not in json.dumps(args)
        assert sweep_state_of(sessions, args["sweep"]).state == "submitted"
        sessions.kw["bind"].dispose()
