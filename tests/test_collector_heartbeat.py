"""A collector keeps sending heartbeats while a long sweep runs in its (solo-pool) worker.

The collector process runs with its sweep replaced by a Python loop that keeps the interpreter
busy (no packet is sent), against a throw-away RabbitMQ vhost; every message it publishes to the
ingest queue is read with its arrival time. Skipped without RabbitMQ on 127.0.0.1:5672.
"""

from __future__ import annotations

import itertools
import json
import shutil
import subprocess
import sys
import time

import pytest
from test_workers_broker import _port_open

from netdiscover.workers import rabbitadmin
from netdiscover.workers.app import SWEEP_TASK, SWEEPS, declare, make_app, send
from netdiscover.workers.collector import sweep_request
from netdiscover_lab.netns import stop_process

SWEEP_S = 10.0
EVERY_S = 1.0
# The collector with collect() replaced by a busy loop: a sweep that holds the interpreter. Its
# target is a loopback address, so that nothing could leave this host even if the stand-in failed.
BUSY_COLLECTOR = f"""
import time
import netdiscover.services.sweeps as sweeps

def busy_collect(scope, request, progress=None, should_stop=None):
    end = time.monotonic() + {SWEEP_S}
    while time.monotonic() < end:
        sum(i * i for i in range(10_000))
    return [], []

sweeps.collect = busy_collect
from netdiscover.cli import main
main()
"""


@pytest.fixture
def vhost():
    if not shutil.which("rabbitmqctl") or not _port_open(5672):
        pytest.skip("RabbitMQ is not running on 127.0.0.1:5672 (scripts/services.sh starts it)")
    with rabbitadmin.throwaway_vhost(["paris"]) as urls:
        yield urls


def _ingest_messages(app, until: float, last: str) -> list[tuple[float, str]]:
    """(arrival time, kind) of each message on the ingest queue until ``until`` (monotonic) or
    the first message of kind ``last``."""
    seen: list[tuple[float, str]] = []
    with app.connection_for_write() as conn:
        channel = conn.default_channel
        while time.monotonic() < until:
            message = channel.basic_get("ingest", no_ack=True)
            if message is None:
                time.sleep(0.1)
                continue
            kind = json.loads(message.body)[0][0].get("kind")
            seen.append((time.monotonic(), kind))
            if kind == last:
                break
    return seen


def test_heartbeats_continue_while_a_long_sweep_runs(vhost, tmp_path):
    central = make_app(vhost["central"])
    declare(central, ["paris"])
    log = (tmp_path / "collector.log").open("w")
    collector = subprocess.Popen(
        [sys.executable, "-c", BUSY_COLLECTOR, "collector", "--site", "paris", "--broker", vhost["paris"],
         "--heartbeat", str(EVERY_S)], stdout=log, stderr=subprocess.STDOUT)
    try:
        first = _ingest_messages(central, time.monotonic() + 60, "heartbeat")     # it is up
        assert first and first[0][1] == "heartbeat", (tmp_path / "collector.log").read_text()[-2000:]
        send(central, SWEEP_TASK, sweep_request("paris", "sw-long", ["127.0.0.2"], methods=["arp"]),
             exchange=SWEEPS.name, routing_key="paris")
        sent = time.monotonic()
        seen = _ingest_messages(central, sent + SWEEP_S + 60, "close")
    finally:
        stop_process(collector, 30)
        log.close()
    closing = [at for at, kind in seen if kind == "close"]
    assert closing, (tmp_path / "collector.log").read_text()[-2000:]
    assert closing[0] - sent >= SWEEP_S                      # the sweep did take that long
    beats = [sent, *(at for at, kind in seen if kind == "heartbeat" and at <= closing[0]), closing[0]]
    gaps = [later - earlier for earlier, later in itertools.pairwise(beats)]
    # loose bounds (the machine may be loaded): a starved heartbeat sends none until the sweep ends
    assert len(beats) - 2 >= 3, gaps
    assert max(gaps) <= SWEEP_S / 2, gaps
