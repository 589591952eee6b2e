"""``netdiscover worker``: the central ingest, reconciling site sweeps into the asset database."""

from __future__ import annotations

from typing import Any

import click


@click.command("worker")
@click.option("--broker", required=True, envvar="NETDISCOVER_BROKER", metavar="URL",
              help="amqp://user:password@host:5672/vhost or redis://host:6379/0. Env: NETDISCOVER_BROKER.")
@click.option("--concurrency", type=click.IntRange(1, 64), default=1, show_default=True,
              help="Messages handled at the same time (run several workers for more).")
@click.pass_obj
def worker(app: Any, broker: str, concurrency: int) -> None:
    """Receive the collectors' batches and reconcile each finished sweep into the database (--db)."""
    from netdiscover.services.sites import site_names
    from netdiscover.workers.app import declare, ingest_app, run_worker

    sessions = app.sessions()          # a bad --db fails here, with one line
    celery = ingest_app(broker, lambda: sessions)
    with sessions() as session:
        names = site_names(session)
    declare(celery, sorted(names))
    run_worker(celery, ["ingest"], "ingest@%h", concurrency)
