"""The Celery wiring: queues, exchanges and the three tasks of the several-sites set-up.

Topology (RabbitMQ; Redis emulates it): direct exchange ``nd.sweeps`` routes a sweep to queue
``sweeps.<site>`` by the site's name; direct exchange ``nd.ingest`` routes collectors' messages
to queue ``ingest`` and poison messages to ``ingest.dead`` (``ingest`` also dead-letters there
whatever the broker's consumer rejects). Every queue is durable, every message persistent,
publishes wait for the broker's confirm, and tasks are acknowledged only when done
(``acks_late``; a worker that dies leaves its message to be delivered again).

Only the central side (``netdiscover worker``, ``sweep submit``, ``sites add``) declares
anything: a collector's broker user needs no configure permission at all, may read only its
own ``sweeps.<site>`` queue and may write only to the ``nd.ingest`` exchange (README, "Several
sites").
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from celery import Celery
from kombu import Exchange, Queue

log = logging.getLogger(__name__)

SWEEPS = Exchange("nd.sweeps", type="direct", durable=True)
INGEST_X = Exchange("nd.ingest", type="direct", durable=True)
INGEST = Queue("ingest", INGEST_X, routing_key="ingest", durable=True,
               queue_arguments={"x-dead-letter-exchange": "nd.ingest", "x-dead-letter-routing-key": "dead"})
DEAD = Queue("ingest.dead", INGEST_X, routing_key="dead", durable=True)
SWEEP_TASK = "netdiscover.sweep"
INGEST_TASK = "netdiscover.ingest"
DEAD_TASK = "netdiscover.dead"
BUSY_RETRIES = 2000          # looks at a sweep a live worker reconciles (every <= 60 s: over a day)
BUSY_RETRY_MAX_S = 60.0


def site_queue(site: str, declare: bool = True) -> Queue:
    """The queue of one site's sweeps (a collector consumes it without declaring it)."""
    return Queue(f"sweeps.{site}", SWEEPS, routing_key=site, durable=True, no_declare=not declare)


def make_app(broker: str, *, queues: list[Queue] | None = None) -> Celery:
    """A Celery app on ``broker`` with the project's delivery guarantees."""
    app = Celery("netdiscover", broker=broker, set_as_current=False)
    app.conf.update(
        task_queues=queues or [],
        task_create_missing_queues=False,
        task_serializer="json", accept_content=["json"],
        task_acks_late=True,
        task_reject_on_worker_lost=True,          # a killed worker's message goes back to the queue
        task_acks_on_failure_or_timeout=True,
        task_ignore_result=True,
        task_default_delivery_mode="persistent",
        task_routes={INGEST_TASK: {"exchange": INGEST_X.name, "routing_key": "ingest"},
                     DEAD_TASK: {"exchange": INGEST_X.name, "routing_key": "dead"}},
        task_publish_retry=True,
        task_publish_retry_policy={"max_retries": 30, "interval_start": 0.2, "interval_step": 0.5,
                                   "interval_max": 5},
        broker_transport_options={"confirm_publish": True, "visibility_timeout": 3600},
        broker_connection_retry_on_startup=True,
        broker_heartbeat=30,
        worker_prefetch_multiplier=1,
        worker_enable_remote_control=False,
        worker_send_task_events=False,
        worker_hijack_root_logger=False,
        worker_redirect_stdouts=False,
    )
    return app


def send(app: Celery, task: str, msg: Any, **options: Any) -> None:
    """Publish one task message without declaring anything (confirmed by the broker)."""
    app.send_task(task, args=[msg], declare=[], **options)


def declare(app: Celery, sites: list[str]) -> None:
    """Declare the ingest and dead-letter queues and the sweep queue of each site."""
    with app.connection_for_write() as conn:
        channel = conn.default_channel
        for queue in (INGEST, DEAD, *(site_queue(s) for s in sites)):
            queue(channel).declare()


def queue_depth(app: Celery, name: str) -> int | None:
    """Messages waiting in a queue, or None when it cannot be asked."""
    try:
        with app.connection_for_write() as conn:
            return conn.default_channel.queue_declare(name, passive=True).message_count
    except Exception as exc:    # a missing queue or an unreachable broker: no figure
        log.debug("queue %s: %s", name, exc)
        return None


def run_worker(app: Celery, queues: list[str], name: str, concurrency: int = 1,
               loglevel: str = "INFO") -> None:
    """Run a Celery worker on ``queues`` in this process until it is stopped: in the solo pool
    when it handles one message at a time, unless the app asks for threads (``ingest_app``)."""
    pool = "threads" if concurrency > 1 or app.conf.worker_pool == "threads" else "solo"
    argv = ["worker", f"--pool={pool}", f"--concurrency={max(concurrency, 1)}", "-Q", ",".join(queues),
            "-n", name, "--without-gossip", "--without-mingle", "--without-heartbeat", "-l", loglevel]
    app.worker_main(argv)


def ingest_app(broker: str, sessions_factory: Callable[[], Any], fingerprinter: Any = None,
               decoded_limit: int | None = None) -> Celery:
    """The central ingest's app: consumes ``ingest``; poison goes to ``ingest.dead`` with a log line.
    ``fingerprinter`` defaults to the real one (benchmarks may leave it out, and set how many
    decoded observations a worker keeps: ``ingest.DecodedBatches``)."""
    from celery.exceptions import MaxRetriesExceededError
    from sqlalchemy.exc import InterfaceError, OperationalError

    from netdiscover.storage.engine import DatabaseError
    from netdiscover.workers.ingest import Ingest, SweepBusy
    from netdiscover.workers.messages import PoisonMessage

    app = make_app(broker, queues=[INGEST, DEAD])
    # Even one at a time, in a thread: a solo-pool worker that finished a task often waited
    # seconds (up to 8 s measured) for its next message when messages are batch-sized (80 kB),
    # and a reconciliation in its event loop holds up the broker heartbeats.
    app.conf.worker_pool = "threads"
    state: dict[str, Ingest] = {}

    def ingest() -> Ingest:
        if "ingest" not in state:
            extra = {} if decoded_limit is None else {"decoded_limit": decoded_limit}
            state["ingest"] = Ingest(sessions_factory(), fingerprinter=fingerprinter, **extra)
        return state["ingest"]

    @app.task(name=INGEST_TASK, bind=True, autoretry_for=(OperationalError, InterfaceError, DatabaseError),
              retry_backoff=True, retry_backoff_max=60, max_retries=60)
    def ingest_task(self: Any, msg: Any) -> str:
        try:
            return ingest().handle(msg)
        except PoisonMessage as exc:
            dead_letter(app, msg, str(exc))
            return "dead"
        except SweepBusy as exc:       # published again with a delay; this delivery is then acked
            log.info("%s", exc)
            try:
                raise self.retry(countdown=min(exc.retry_in, BUSY_RETRY_MAX_S),
                                 max_retries=BUSY_RETRIES) from None
            except MaxRetriesExceededError:
                dead_letter(app, msg, f"gave up after {BUSY_RETRIES} retries: {exc}")
                return "dead"
        except (OperationalError, InterfaceError, DatabaseError):
            log.warning("database unreachable; message %s retried with backoff", self.request.id)
            raise
        except Exception as exc:          # a bug must not lose the message nor stop the worker
            log.exception("ingest failed on message %s", self.request.id)
            dead_letter(app, msg, f"ingest failed: {type(exc).__name__}: {exc}")
            return "dead"

    @app.task(name=DEAD_TASK)
    def dead_task(msg: Any, reason: str = "") -> None:    # never consumed by us: operators read the queue
        log.warning("dead letter: %s", reason)

    return app


def dead_letter(app: Celery, msg: Any, reason: str) -> None:
    """Park a message the ingest refused in ``ingest.dead``, with a log line saying why."""
    site = msg.get("site") if isinstance(msg, dict) else None
    log.warning("poison message (site %s) to ingest.dead: %s", str(site)[:64], reason[:300])
    app.send_task(DEAD_TASK, args=[msg], kwargs={"reason": reason[:1000]}, declare=[])
