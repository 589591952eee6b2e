"""Three lab sites, two with the same 10.1.0.0/24, each swept by its own collector process inside
its namespace, reaching RabbitMQ over a relay; the central ingest reconciles into PostgreSQL.
Every host is one asset with the right site; nothing doubles; a collector killed mid-sweep
leaves no half-written sweep and its sweep runs again when a collector comes back."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import time

import pytest
from in_session import in_session, sweep_state_of
from sqlalchemy import func, select
from waiting import wait_for

from netdiscover.services.sites import add_site, site_rows
from netdiscover.storage.engine import open_database
from netdiscover.storage.models import Asset
from netdiscover.workers import rabbitadmin
from netdiscover.workers.app import declare, make_app
from netdiscover_lab.netns import stop_process_groups
from netdiscover_lab.sites_lab import CLI, BrokerRelay, build_sites, start_collector

pytestmark = pytest.mark.postgres


def _rabbit_up() -> bool:
    with socket.socket() as s:
        s.settimeout(1)
        return s.connect_ex(("127.0.0.1", 5672)) == 0



def _running(pid: int) -> bool:
    try:
        status = open(f"/proc/{pid}/status").read()      # noqa: SIM115
    except OSError:
        return False
    return "\nState:\tZ" not in status


def submit(db: str, broker: str, site: str, target: str, wait: bool = True) -> subprocess.CompletedProcess:
    return subprocess.run([*CLI, "--db", db, "sweep", "submit", target, "-m", "arp", "--site", site,
                           "--broker", broker, *(["--wait", "--timeout", "60"] if wait else [])],
                          capture_output=True, text=True, timeout=90)


def test_three_sites_through_their_collectors(lab, pg_url, tmp_path):
    if not _rabbit_up():
        pytest.skip("RabbitMQ is not running on 127.0.0.1:5672")
    sites = build_sites(lab, 3)            # paris and lyon on the same 10.1.0.0/24, nantes on 10.3.0.0/24
    assert sites["paris"].cidr == sites["lyon"].cidr
    sessions = open_database(pg_url)
    relay = BrokerRelay(tmp_path / "relay")
    worker = None
    try:
        with rabbitadmin.throwaway_vhost(list(sites)) as urls:
            for name in sites:
                add_site(sessions, name)
            declare(make_app(urls["central"]), list(sites))
            worker = subprocess.Popen([*CLI, "--db", pg_url, "worker", "--broker", urls["central"]],
                                      stdout=open(tmp_path / "worker.log", "ab"),  # noqa: SIM115
                                      stderr=subprocess.STDOUT, start_new_session=True)
            for name, site in sites.items():
                relay.into(lab, site.collector.ns)
                start_collector(lab, site, urls[name], tmp_path)
            wait_for(lambda: all(r["last_heartbeat"] for r in in_session(sessions, site_rows)), 60,
                     "three heartbeats")
            runs = {name: subprocess.Popen(
                [*CLI, "--db", pg_url, "sweep", "submit", site.cidr, "-m", "arp", "--site", name,
                 "--broker", urls["central"], "--wait", "--timeout", "60"],
                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for name, site in sites.items()}
            outs = {name: p.communicate(timeout=90) for name, p in runs.items()}
            for name, p in runs.items():
                assert p.returncode == 0, (name, outs[name], (tmp_path / f"collector-{name}.log").read_text())
                assert outs[name][0].splitlines()[1].startswith("complete:")
            with sessions() as s:
                rows = s.execute(select(Asset.site, Asset.id)).all()
                found = {}
                for site_name, asset_id in rows:
                    a = s.get(Asset, asset_id)
                    for iface in a.interfaces:
                        found.setdefault((site_name, iface.mac), []).append(asset_id)
            expected = {(name, mac) for name, site in sites.items() for mac in site.hosts.values()}
            assert set(found) == expected
            assert all(len(ids) == 1 for ids in found.values())              # 0 duplicates
            assert len(rows) == sum(len(s.hosts) for s in sites.values()) == 11
            # the sites listing: version, capabilities, last sweep
            listing = subprocess.run([*CLI, "--db", pg_url, "sites", "--format", "json", "--broker",
                                      urls["central"]], capture_output=True, text=True, timeout=60)
            info = {r["site"]: r for r in json.loads(listing.stdout)}
            assert set(info) == set(sites)
            assert all(r["root"] and r["version"] and r["last_sweep_state"] == "reconciled"
                       and r["queue_depth"] == 0 for r in info.values())

            # a collector SIGKILLed mid-sweep: nothing of that run is reconciled; the broker gives the
            # sweep to the restarted collector, whose new run is reconciled once
            paris = sites["paris"]
            before = paris.log.read_text(errors="replace").count("received")
            sweep_id = submit(pg_url, urls["central"], "paris", paris.cidr, wait=False).stdout.strip()
            wait_for(lambda: paris.log.read_text(errors="replace").count("received") > before, 30,
                     "the collector took the sweep")
            os.killpg(paris.process.pid, signal.SIGKILL)
            paris.process.wait(10)
            time.sleep(1)
            assert sweep_state_of(sessions, sweep_id).state == "submitted"
            start_collector(lab, paris, urls["paris"], tmp_path)
            wait_for(lambda: getattr(sweep_state_of(sessions, sweep_id), "state", None) == "reconciled", 150,
                     "the sweep run again by the restarted collector")
            state = sweep_state_of(sessions, sweep_id)
            assert (state.outcome, state.counts["new"], state.counts["devices"]) == ("complete", 0, 4)
            with sessions() as s:
                assert s.scalar(select(func.count()).select_from(Asset)) == 11
    finally:
        if worker is not None:
            stop_process_groups([worker], 15)
        relay.close()
        sessions.kw["bind"].dispose()


def test_lab_up_sites_and_down(pg_url, tmp_path):
    """``netdiscover lab up --sites 3`` builds the site networks with a collector each (on a vhost
    of its own); a sweep through one of them lands at its site; ``lab down`` removes it all."""
    import secrets

    from netdiscover_lab.netns import lab_unavailable_reason, list_namespaces
    from netdiscover_lab.office import STATE_DIR
    from netdiscover_lab.sites_lab import load_sites_state

    if lab_unavailable_reason() or not _rabbit_up():
        pytest.skip(lab_unavailable_reason() or "RabbitMQ is not running on 127.0.0.1:5672")
    demo = f"nd{secrets.token_hex(3)}"                     # a prefix of our own: no user's lab is touched
    env = {**os.environ, "NETDISCOVER_LAB_PREFIX": demo}
    prefix = f"{demo}sites"
    sessions = open_database(pg_url)
    worker = None
    try:
        up = subprocess.run([*CLI, "--db", pg_url, "lab", "up", "--sites", "3"], env=env, capture_output=True,
                            text=True, timeout=300)
        assert up.returncode == 0, up.stderr
        state = load_sites_state(prefix, STATE_DIR)
        assert set(state["sites"]) == {"paris", "lyon", "nantes"} and "worker --broker" in up.stdout
        assert len([ns for ns in list_namespaces() if ns.startswith(f"{prefix}-")]) == 3 * 2 + 11
        worker = subprocess.Popen([*CLI, "--db", pg_url, "worker", "--broker", state["central"]],
                                  stdout=open(tmp_path / "worker.log", "ab"),  # noqa: SIM115
                                  stderr=subprocess.STDOUT, start_new_session=True)
        wait_for(lambda: [bool(r["last_heartbeat"]) for r in in_session(sessions, site_rows)] == [True] * 3,
                 90, "three heartbeats")
        done = submit(pg_url, state["central"], "lyon", state["sites"]["lyon"]["cidr"])
        assert done.returncode == 0, (done.stdout, done.stderr)
        with sessions() as s:
            assert dict(s.execute(select(Asset.site, func.count()).group_by(Asset.site)).all()) == {"lyon": 4}
        down = subprocess.run([*CLI, "lab", "down"], env=env, capture_output=True, text=True, timeout=120)
        assert down.returncode == 0, down.stderr
        assert not [ns for ns in list_namespaces() if ns.startswith(f"{prefix}-")]
        assert load_sites_state(prefix, STATE_DIR) is None
        assert f"nd_{prefix}" not in rabbitadmin.ctl("list_vhosts", "name").split()
        wait_for(lambda: not _running(state["relay_pid"]), 10, "the broker relay stopped")
    finally:
        if worker is not None:
            stop_process_groups([worker], 15)
        from netdiscover_lab.sites_lab import sites_down

        sites_down(prefix, STATE_DIR)
        sessions.kw["bind"].dispose()
