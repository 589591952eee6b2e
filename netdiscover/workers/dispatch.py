"""Sending a sweep to a site's collector: recorded in the database, then published to the site's
queue. Used by ``netdiscover sweep submit`` and by the daemon for a ``[[sweep]]`` with a ``site``."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from netdiscover.services.sites import forget_sweep, record_sweep
from netdiscover.workers.app import SWEEP_TASK, SWEEPS, declare, make_app, send
from netdiscover.workers.collector import sweep_request


def submit_sweep(sessions: sessionmaker[Session], broker: str, site: str, targets: list[str], *,
                 methods: list[str], exclude: list[str] | None = None, credentials: str | None = None,
                 interface: str | None = None, rate: int | None = None, nmap_profile: str = "quick",
                 options: dict[str, Any] | None = None) -> str:
    """Record and publish one sweep for ``site``; returns its sweep id. Raises PoisonMessage for an
    unknown site. Credentials go by name only."""
    sweep_id = f"{site[:24]}-{uuid.uuid4().hex[:16]}"
    record_sweep(sessions, site, sweep_id, list(targets), list(methods))
    app = make_app(broker)
    app.conf.broker_connection_max_retries = 3
    try:
        declare(app, [site])
        send(app, SWEEP_TASK, sweep_request(site, sweep_id, list(targets), methods=list(methods),
                                            exclude=list(exclude or []), credentials=credentials,
                                            interface=interface, rate=rate, nmap_profile=nmap_profile,
                                            options=options),
             exchange=SWEEPS.name, routing_key=site, retry_policy={"max_retries": 3, "interval_max": 2})
    except Exception as exc:     # kombu/amqp raise many kinds: the sweep was not sent, say so
        forget_sweep(sessions, sweep_id)
        raise BrokerError(f"broker {_safe(broker)}: {type(exc).__name__}: {str(exc)[:200]}") from None
    return sweep_id


class BrokerError(RuntimeError):
    """The broker could not take the sweep."""


def _safe(url: str) -> str:
    """A broker URL without its password."""
    from kombu.utils.url import maybe_sanitize_url

    return maybe_sanitize_url(url)


def dispatch_settings_sweep(sessions: sessionmaker[Session], broker: str, sweep: Any) -> Any:
    """The daemon's runner for a ``[[sweep]]`` with a ``site``: send it, and say so in a SweepResult
    (the central ingest reconciles it when the collector is done)."""
    from netdiscover.services.sweeps import SweepResult

    sweep_id = submit_sweep(sessions, broker, sweep.site, list(sweep.targets), methods=list(sweep.methods),
                            exclude=list(sweep.exclude), credentials=sweep.credentials_name,
                            interface=sweep.interface, rate=sweep.rate, nmap_profile=sweep.nmap_profile,
                            options=dict(sweep.options))
    return SweepResult(scan_id=None, status="completed",
                       messages=[f"sent to site {sweep.site} as sweep {sweep_id}"])
