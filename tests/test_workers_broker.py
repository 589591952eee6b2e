"""The Celery wiring against the real RabbitMQ (a throw-away vhost and users) and once Redis:
collector permissions, the ingest worker end to end into PostgreSQL, the dead-letter queue, and
an ingest worker killed while it holds a message."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest
from in_session import sweep_state_of
from sqlalchemy import func, select
from waiting import wait_for

from netdiscover.observation import Observation
from netdiscover.services.sites import add_site
from netdiscover.storage.engine import open_database
from netdiscover.storage.models import Asset
from netdiscover.storage.site_models import SweepBatch
from netdiscover.workers import messages, rabbitadmin
from netdiscover.workers.app import INGEST_TASK, declare, make_app, send

CLI = [sys.executable, "-c", "from netdiscover.cli import main; main()"]
T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def _port_open(port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(1)
        return s.connect_ex(("127.0.0.1", port)) == 0


@pytest.fixture(scope="module")
def rabbit():
    """A fresh vhost with a collector user for sites paris and lyon; removed afterwards."""
    if not shutil.which("rabbitmqctl") or not _port_open(5672):
        pytest.skip("RabbitMQ is not running on 127.0.0.1:5672 (scripts/services.sh starts it)")
    with rabbitadmin.throwaway_vhost(["paris", "lyon"]) as urls:
        yield urls


def hosts(n: int, at: datetime = T0) -> list[Observation]:
    return [Observation(method="arp", ip=f"10.1.{i // 250}.{i % 250 + 1}",
                        mac=f"00:00:5e:01:{i // 256:02x}:{i % 256:02x}", seen_at=at) for i in range(n)]


def publish_batches(app, site: str, sweep: str, obs: list[Observation], size: int = 100) -> int:
    sent = list(messages.batches(site, sweep, obs, run="r1", size=size))
    for msg in sent:
        send(app, INGEST_TASK, msg)
    return len(sent)


def publish_closing(app, site: str, sweep: str, batches: int) -> None:
    send(app, INGEST_TASK, messages.closing(site, sweep, outcome="complete", batches=batches, run="r1",
                                            scope=["10.1.0.0/16"], coverage={"arp": ["10.1.0.0/16"]}))


def publish_sweep(app, site: str, sweep: str, obs: list[Observation], size: int = 100) -> int:
    sent = publish_batches(app, site, sweep, obs, size)
    publish_closing(app, site, sweep, sent)
    return sent



class Worker:
    """``netdiscover worker`` in a subprocess, its log in a file."""

    def __init__(self, db_url: str, broker: str, log: Path) -> None:
        self.log = log
        self.proc = subprocess.Popen([*CLI, "--db", db_url, "worker", "--broker", broker],
                                     stdout=open(log, "ab"), stderr=subprocess.STDOUT,  # noqa: SIM115
                                     start_new_session=True)

    def text(self) -> str:
        return self.log.read_text(errors="replace")

    def stop(self, sig: int = signal.SIGTERM) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, sig)
        try:
            self.proc.wait(15)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(5)


def stored_batches(sessions) -> int:
    with sessions() as s:
        return s.scalar(select(func.count()).select_from(SweepBatch))


def count_assets(sessions) -> int:
    with sessions() as s:
        return s.scalar(select(func.count()).select_from(Asset))


def test_a_collector_user_reads_only_its_own_sites_queue(rabbit):
    from amqp.exceptions import AccessRefused

    central = make_app(rabbit["central"])
    declare(central, ["paris", "lyon"])
    paris = make_app(rabbit["paris"])
    with paris.connection_for_write() as conn:
        assert conn.default_channel.basic_get("sweeps.paris") is None      # allowed, empty
    for queue in ("sweeps.lyon", "ingest", "ingest.dead"):
        with paris.connection_for_write() as conn, pytest.raises(AccessRefused):
            conn.default_channel.basic_get(queue)
    with paris.connection_for_write() as conn, pytest.raises(AccessRefused):
        conn.default_channel.queue_declare("mine", durable=True)        # declares nothing
    with paris.connection_for_write() as conn, pytest.raises(AccessRefused):
        conn.default_channel.queue_bind("sweeps.paris", "nd.sweeps", "lyon")  # cannot steal lyon's sweeps
    send(paris, INGEST_TASK, {"kind": "ping"})                          # may publish to the ingest
    with central.connection_for_write() as conn:
        assert conn.default_channel.queue_declare("ingest", passive=True).message_count == 1
        conn.default_channel.queue_purge("ingest")


def _dead_letters(app) -> list:
    import json

    out = []
    with app.connection_for_write() as conn:
        ch = conn.default_channel
        while (m := ch.basic_get("ingest.dead", no_ack=True)) is not None:
            try:
                out.append(json.loads(m.body))
            except ValueError:
                out.append(m.body)               # rejected by the consumer, dead-lettered by the broker
    return out


@pytest.mark.postgres
def test_ingest_worker_over_rabbitmq_into_postgresql(rabbit, pg_url, tmp_path):
    sessions = open_database(pg_url)
    for site in ("paris", "lyon"):
        add_site(sessions, site)
    central = make_app(rabbit["central"])
    declare(central, ["paris", "lyon"])
    worker = Worker(pg_url, rabbit["central"], tmp_path / "worker.log")
    try:
        paris, lyon = make_app(rabbit["paris"]), make_app(rabbit["lyon"])
        publish_sweep(paris, "paris", "sw-paris", hosts(600))
        publish_sweep(lyon, "lyon", "sw-lyon", [Observation(method="nmap", ip=o.ip, seen_at=T0)
                                                for o in hosts(300)])
        # a malformed batch, one from an unknown site, and a message that is no task at all
        send(paris, INGEST_TASK, {**messages.encode_batch("paris", "sw-bad", 0, hosts(2)), "data": "!!"})
        send(paris, INGEST_TASK, messages.encode_batch("atlantis", "sw-x", 0, hosts(2)))
        with paris.connection_for_write() as conn:
            from amqp import Message

            conn.default_channel.basic_publish(Message(b"\x00garbage"), exchange="nd.ingest",
                                               routing_key="ingest")
        wait_for(lambda: all(getattr(sweep_state_of(sessions, s), "state", None) == "reconciled"
                             for s in ("sw-paris", "sw-lyon")), 60, "both sweeps reconciled")
        assert count_assets(sessions) == 900
        with sessions() as s:
            by_site = dict(s.execute(select(Asset.site, func.count()).group_by(Asset.site)).all())
        assert by_site == {"paris": 600, "lyon": 300}
        dead: list = []
        wait_for(lambda: dead.extend(_dead_letters(central)) or len(dead) >= 3, 20, "three dead letters")
        reasons = " | ".join(str(d) for d in dead)
        assert "not compressed base64" in reasons and "unknown site" in reasons
        assert b"\x00garbage" in dead
        assert worker.proc.poll() is None                                   # never crashed
        assert "poison message" in worker.text()
        # every message again: nothing doubles
        publish_sweep(paris, "paris", "sw-paris", hosts(600))
        time.sleep(2)
        assert count_assets(sessions) == 900
    finally:
        worker.stop()
        sessions.kw["bind"].dispose()


@pytest.mark.postgres
def test_killed_ingest_worker_leaves_its_message_to_another(rabbit, pg_url, tmp_path, monkeypatch):
    """SIGKILL of a worker while it holds a batch: the broker gives the batch to the next worker."""
    sessions = open_database(pg_url)
    add_site(sessions, "paris")
    central = make_app(rabbit["central"])
    declare(central, ["paris"])
    first = Worker(pg_url, rabbit["central"], tmp_path / "w1.log")
    try:
        # wait until the worker consumes, then kill it with a message it has taken but not acked
        wait_for(lambda: "ready" in first.text(), 30, "worker ready")
        paris = make_app(rabbit["paris"])
        sent = publish_batches(paris, "paris", "sw-k", hosts(3000), size=500)
        wait_for(lambda: stored_batches(sessions) >= 1, 30, "a first batch stored")
        first.stop(signal.SIGKILL)
    finally:
        first.stop()
    second = Worker(pg_url, rabbit["central"], tmp_path / "w2.log")
    try:
        # closed only now, so the kill always hits batch storing, never a reconciliation under way
        publish_closing(paris, "paris", "sw-k", sent)
        wait_for(lambda: getattr(sweep_state_of(sessions, "sw-k"), "state", None) == "reconciled", 60,
                 "the sweep reconciled by the second worker")
        assert count_assets(sessions) == 3000
        assert sweep_state_of(sessions, "sw-k").counts["new"] == 3000
    finally:
        second.stop()
        sessions.kw["bind"].dispose()


def sweep_row_state(sessions, sweep_id: str) -> str | None:
    return getattr(sweep_state_of(sessions, sweep_id), "state", None)


@pytest.mark.postgres
def test_ingest_worker_killed_mid_reconcile(rabbit, pg_url, tmp_path):
    """SIGKILL of the worker while it reconciles a big sweep: its claim dies with it, the
    redelivered message brings the sweep to the next worker, which reconciles it once."""
    from netdiscover.storage.models import ObservationRecord, Scan

    n = 40_000
    sessions = open_database(pg_url)
    add_site(sessions, "paris")
    declare(make_app(rabbit["central"]), ["paris"])
    first = Worker(pg_url, rabbit["central"], tmp_path / "w1.log")
    second = None
    try:
        wait_for(lambda: "ready" in first.text(), 30, "worker ready")
        publish_sweep(make_app(rabbit["paris"]), "paris", "sw-mid", hosts(n), size=5000)
        wait_for(lambda: sweep_row_state(sessions, "sw-mid") in ("reconciling", "reconciled"), 120,
                 "the reconciliation started", interval=0.02)
        first.stop(signal.SIGKILL)
        assert sweep_row_state(sessions, "sw-mid") == "reconciling", "the kill came too late"
        started = time.monotonic()
        second = Worker(pg_url, rabbit["central"], tmp_path / "w2.log")
        wait_for(lambda: sweep_row_state(sessions, "sw-mid") == "reconciled", 120,
                 "the sweep reconciled by the next worker")
        took = time.monotonic() - started
        state = sweep_state_of(sessions, "sw-mid")
        assert (state.counts["new"], state.counts["devices"]) == (n, n)
        assert count_assets(sessions) == n
        with sessions() as s:
            assert s.scalar(select(func.count()).select_from(ObservationRecord)) == n   # nothing doubled
            scans = s.execute(select(Scan.id, Scan.status)).all()
        assert [(state.scan_id, "completed")] == [tuple(r) for r in scans]
        assert stored_batches(sessions) == n // 5000
        assert took < 120
    finally:
        first.stop()
        if second is not None:
            second.stop()
        sessions.kw["bind"].dispose()


@pytest.mark.postgres
def test_a_sweep_held_by_a_live_worker_is_looked_at_again(rabbit, pg_url, tmp_path):
    """While another (live) worker holds the sweep's guard, the message that completes the sweep
    is published again with a delay, not dropped; once the guard is free the sweep is reconciled."""
    import threading

    from netdiscover.storage.sites import reconcile_guard

    sessions = open_database(pg_url)
    add_site(sessions, "paris")
    declare(make_app(rabbit["central"]), ["paris"])
    worker = Worker(pg_url, rabbit["central"], tmp_path / "worker.log")
    holding, release = threading.Event(), threading.Event()

    def live_worker() -> None:
        with reconcile_guard(sessions, "sw-held"):
            holding.set()
            release.wait(120)

    thread = threading.Thread(target=live_worker)
    thread.start()
    try:
        assert holding.wait(10)
        publish_sweep(make_app(rabbit["paris"]), "paris", "sw-held", hosts(300))
        wait_for(lambda: "being reconciled; looking again" in worker.text(), 60, "a retry")
        time.sleep(6)                               # a retry or two while the guard is held
        assert sweep_row_state(sessions, "sw-held") == "closed"
        release.set()
        wait_for(lambda: sweep_row_state(sessions, "sw-held") == "reconciled", 90, "the sweep reconciled")
        assert count_assets(sessions) == 300 and sweep_state_of(sessions, "sw-held").counts["new"] == 300
    finally:
        release.set()
        thread.join(10)
        worker.stop()
        sessions.kw["bind"].dispose()


def test_ingest_worker_over_redis(sqlite_url, tmp_path):
    if not _port_open(6379):
        pytest.skip("Redis is not running on 127.0.0.1:6379 (scripts/services.sh starts it)")
    import redis

    db = 13
    broker = f"redis://127.0.0.1:6379/{db}"
    client = redis.Redis(db=db)
    client.flushdb()
    sessions = open_database(sqlite_url)
    add_site(sessions, "paris")
    app = make_app(broker)
    declare(app, ["paris"])
    worker = Worker(sqlite_url, broker, tmp_path / "worker.log")
    try:
        publish_sweep(app, "paris", "sw-r", hosts(250))
        wait_for(lambda: getattr(sweep_state_of(sessions, "sw-r"), "state", None) == "reconciled", 60,
                 "sweep reconciled over Redis")
        assert count_assets(sessions) == 250
    finally:
        worker.stop()
        client.flushdb()
        sessions.kw["bind"].dispose()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class PgRelay:
    """socat between the worker and PostgreSQL: stopping it is the database going away."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.proc: subprocess.Popen | None = None

    def start(self) -> None:
        self.proc = subprocess.Popen(["socat", f"TCP-LISTEN:{self.port},bind=127.0.0.1,reuseaddr,fork",
                                      "TCP:127.0.0.1:5432"], start_new_session=True,
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_for(lambda: _port_open(self.port), 10, "the PostgreSQL relay")

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)      # the relay and every connection it carries
            self.proc.wait(5)


@pytest.mark.postgres
def test_database_outage_during_ingest_is_retried(rabbit, pg_url, tmp_path):
    if not shutil.which("socat"):
        pytest.skip("socat is not installed")
    from netdiscover.storage.engine import normalise_url

    sessions = open_database(pg_url)
    add_site(sessions, "paris")
    central = make_app(rabbit["central"])
    declare(central, ["paris"])
    relay = PgRelay(_free_port())
    relay.start()
    relayed = normalise_url(pg_url).set(port=relay.port).render_as_string(hide_password=False)
    worker = Worker(relayed, rabbit["central"], tmp_path / "worker.log")
    try:
        paris = make_app(rabbit["paris"])
        publish_sweep(paris, "paris", "sw-up", hosts(100))
        wait_for(lambda: getattr(sweep_state_of(sessions, "sw-up"), "state", None) == "reconciled", 60,
                 "the first sweep")
        relay.stop()
        publish_sweep(paris, "paris", "sw-down", hosts(400), size=100)
        wait_for(lambda: "retried with backoff" in worker.text(), 30, "a retry")
        time.sleep(3)
        down = sweep_state_of(sessions, "sw-down")
        assert down is None or down.state != "reconciled"          # nothing reached the database
        relay.start()
        wait_for(lambda: getattr(sweep_state_of(sessions, "sw-down"), "state", None) == "reconciled", 90,
                 "the sweep sent while the database was away")
        assert count_assets(sessions) == 400
        assert stored_batches(sessions) == 1 + 4
        assert worker.proc.poll() is None
    finally:
        worker.stop()
        relay.stop()
        sessions.kw["bind"].dispose()


class AmqpRelay(PgRelay):
    """socat between the clients and RabbitMQ: stopping it drops every broker connection."""

    def start(self) -> None:
        self.proc = subprocess.Popen(["socat", f"TCP-LISTEN:{self.port},bind=127.0.0.1,reuseaddr,fork",
                                      "TCP:127.0.0.1:5672"], start_new_session=True,
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_for(lambda: _port_open(self.port), 10, "the broker relay")


@pytest.mark.postgres
def test_collectors_broker_connection_cut_mid_sweep(rabbit, pg_url, tmp_path):
    """The collector loses the broker for 3 s in the middle of a sweep's batches: its publishes
    wait and retry, every batch still arrives, once (a batch published twice around the cut is
    stored once). (The worker's side of a lost connection: the SIGKILL test above.)"""
    import threading

    if not shutil.which("socat"):
        pytest.skip("socat is not installed")
    sessions = open_database(pg_url)
    add_site(sessions, "paris")
    declare(make_app(rabbit["central"]), ["paris"])
    relay = AmqpRelay(_free_port())
    relay.start()
    via = {k: v.replace(":5672/", f":{relay.port}/") for k, v in rabbit.items()}
    worker = Worker(pg_url, rabbit["central"], tmp_path / "worker.log")
    sent: list[int] = []
    try:
        paris = make_app(via["paris"])
        batches = list(messages.batches("paris", "sw-cut", hosts(2000), run="r1", size=100))

        def collector() -> None:
            for i, msg in enumerate(batches):
                send(paris, INGEST_TASK, msg)
                sent.append(i)
                time.sleep(0.05)
            send(paris, INGEST_TASK, messages.closing("paris", "sw-cut", outcome="complete",
                                                      batches=len(batches), run="r1", scope=["10.1.0.0/16"],
                                                      coverage={"arp": ["10.1.0.0/16"]}))

        thread = threading.Thread(target=collector)
        thread.start()
        wait_for(lambda: len(sent) >= 5, 30, "the first batches")
        relay.stop()
        time.sleep(3)
        relay.start()
        thread.join(120)
        assert not thread.is_alive() and len(sent) == len(batches)
        wait_for(lambda: getattr(sweep_state_of(sessions, "sw-cut"), "state", None) == "reconciled", 90,
                 "the sweep after the cut")
        assert count_assets(sessions) == 2000 and stored_batches(sessions) == len(batches)
        assert sweep_state_of(sessions, "sw-cut").counts["new"] == 2000
    finally:
        worker.stop()
        relay.stop()
        sessions.kw["bind"].dispose()


@pytest.mark.postgres
def test_broker_restarted_mid_sweep(pg_url, tmp_path):
    """A RabbitMQ node of the test's own is stopped and started again while a collector publishes a
    sweep's batches (30 of its 40 into the restart) and the ingest worker consumes them: every
    batch arrives, once."""
    import threading

    from netdiscover_lab.sites_lab import PrivateBroker

    if not Path(PrivateBroker.SERVER).exists():
        pytest.skip("rabbitmq-server is not installed")
    broker = PrivateBroker(tmp_path / "rabbit")
    broker.start()
    sessions = open_database(pg_url)
    add_site(sessions, "paris")
    declare(make_app(broker.url), ["paris"])
    worker = Worker(pg_url, broker.url, tmp_path / "worker.log")
    batches = list(messages.batches("paris", "sw-restart", hosts(4000), run="r1", size=100))
    sent: list[int] = []
    stopped = threading.Event()
    try:
        wait_for(lambda: "ready" in worker.text(), 30, "worker ready")
        collector = make_app(broker.url)

        def publish() -> None:
            for i, msg in enumerate(batches):
                if i == 10:
                    stopped.wait(120)               # the rest is published into the restart
                send(collector, INGEST_TASK, msg)
                sent.append(i)
                time.sleep(0.02)
            publish_closing(collector, "paris", "sw-restart", len(batches))

        thread = threading.Thread(target=publish)
        thread.start()
        wait_for(lambda: len(sent) == 10 and stored_batches(sessions) >= 1, 60, "the first batches consumed")
        broker.stop()
        stopped.set()
        time.sleep(2)
        broker.start()
        thread.join(180)
        assert not thread.is_alive() and len(sent) == len(batches)
        wait_for(lambda: sweep_row_state(sessions, "sw-restart") == "reconciled", 120,
                 "the sweep reconciled after the broker restart")
        state = sweep_state_of(sessions, "sw-restart")
        assert state.counts["new"] == 4000 and count_assets(sessions) == 4000
        assert stored_batches(sessions) == len(batches)
        assert worker.proc.poll() is None
    finally:
        stopped.set()
        worker.stop()
        broker.close()
        sessions.kw["bind"].dispose()
