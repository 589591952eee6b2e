"""``netdiscover collector``: a site's collector, a Celery worker that runs that site's sweeps."""

from __future__ import annotations

import logging
import threading

import click

from netdiscover.commands.context import UserError

log = logging.getLogger(__name__)


@click.command("collector")
@click.option("--site", required=True, help="This collector's site (it consumes only sweeps.SITE).")
@click.option("--broker", required=True, envvar="NETDISCOVER_BROKER", metavar="URL",
              help="amqp://user:password@host:5672/vhost or redis://host:6379/0. Env: NETDISCOVER_BROKER.")
@click.option("--secrets", type=click.Path(dir_okay=False), envvar="NETDISCOVER_SECRETS",
              help="Local file of [credentials.NAME] tables; sweeps name credentials, never carry them.")
@click.option("--concurrency", type=click.IntRange(1, 64), default=1, show_default=True,
              help="Sweeps run at the same time.")
@click.option("--heartbeat", "every", type=click.FloatRange(1, 3600), default=30.0, show_default=True,
              help="Seconds between heartbeats.")
def collector(site: str, broker: str, secrets: str | None, concurrency: int, every: float) -> None:
    """Run this site's sweeps with the local scanners and send the observations to the central ingest."""
    from netdiscover.config import SettingsError
    from netdiscover.workers import messages
    from netdiscover.workers.app import INGEST_TASK, run_worker, send
    from netdiscover.workers.collector import collector_app, heartbeat, load_secrets

    try:
        messages.check_name(site, "site name")
    except messages.PoisonMessage as exc:
        raise UserError(str(exc)) from None
    try:
        creds = load_secrets(secrets)
    except SettingsError as exc:
        raise UserError(str(exc)) from None
    app = collector_app(broker, site, creds)
    stop = threading.Event()

    def beat() -> None:
        while not stop.is_set():
            try:
                send(app, INGEST_TASK, heartbeat(site))
            except Exception as exc:     # the broker may be restarting: the next beat tries again
                log.warning("heartbeat not sent: %s", exc)
            stop.wait(every)

    threading.Thread(target=beat, name="heartbeat", daemon=True).start()
    try:
        run_worker(app, [f"sweeps.{site}"], f"collector-{site}@%h", concurrency)
    finally:
        stop.set()
