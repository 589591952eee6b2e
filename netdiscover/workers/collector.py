"""The site side: run one sweep with the same scanners as ``netdiscover scan`` and publish its
observations in batches, then the closing message; and the collector's heartbeat.

Credentials never travel: a sweep names them, the collector resolves the name from its own
local secrets file (``[credentials.NAME]`` tables, as in the daemon's settings file).
"""

from __future__ import annotations

import logging
import os
import socket
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

from netdiscover import __version__
from netdiscover.credentials import SnmpCredential
from netdiscover.scanners.nmap.process import has_nmap
from netdiscover.workers import messages

log = logging.getLogger(__name__)

Publish = Callable[[dict[str, Any]], None]


def load_secrets(path: str | os.PathLike | None) -> dict[str, list[SnmpCredential]]:
    """The named credentials of a collector's local secrets file (none without a file)."""
    if not path:
        return {}
    from netdiscover.config import load_settings

    return load_settings(Path(path)).credentials


def sweep_request(site: str, sweep_id: str, targets: list[str], *, methods: list[str],
                  exclude: list[str] | None = None, credentials: str | None = None,
                  interface: str | None = None, rate: int | None = None, nmap_profile: str = "quick",
                  options: dict[str, Any] | None = None) -> dict[str, Any]:
    """The task argument of one sweep sent to a site (credentials by name only)."""
    return {"v": messages.VERSION, "site": site, "sweep": sweep_id, "targets": list(targets),
            "exclude": list(exclude or []), "methods": list(methods), "credentials": credentials,
            "interface": interface, "rate": rate, "nmap_profile": nmap_profile, "options": options or {}}


def run_site_sweep(req: dict[str, Any], *, site: str, secrets: dict[str, list[SnmpCredential]],
                   publish: Publish, batch_size: int = messages.MAX_BATCH,
                   on_batch: Callable[[int], None] | None = None) -> str:
    """Run the sweep ``req`` here and publish its batches and closing message; returns the outcome.

    Never raises for a bad request or a failing scanner: the closing message says aborted and why.
    """
    from netdiscover.reconcile.absence import coverage_of
    from netdiscover.scope import parse_scope
    from netdiscover.services.sweeps import SweepRequest, collect, overall_status

    sweep_id = messages.check_name(req.get("sweep") if isinstance(req, dict) else None, "sweep id")
    run = uuid.uuid4().hex[:16]

    def close(outcome: str, batches: int, reason: str | None = None, **kw: Any) -> str:
        publish(messages.closing(site, sweep_id, outcome=outcome, batches=batches, run=run, reason=reason,
                                 **kw))
        log.info("sweep %s: %s, %d batches%s", sweep_id, outcome, batches, f" ({reason})" if reason else "")
        return outcome

    if req.get("site") != site:
        return close("aborted", 0, f"sweep for site {req.get('site')!r} reached the collector of {site!r}")
    try:
        cred_name = req.get("credentials")
        if cred_name and cred_name not in secrets:
            return close("aborted", 0, f"credentials {cred_name!r} are not in this collector's secrets file")
        scope = parse_scope(req["targets"], req.get("exclude") or [])
        request = SweepRequest(targets=req["targets"], exclude=req.get("exclude") or [],
                               methods=list(req["methods"]), interface=req.get("interface"),
                               rate=req.get("rate"),
                               credentials=list(secrets.get(cred_name, [])) if cred_name else [],
                               nmap_profile=req.get("nmap_profile") or "quick",
                               options=dict(req.get("options") or {}), sweep_name=f"site:{site}")
        observations, outcomes = collect(scope, request)
    except Exception as exc:           # bad targets, a scanner that cannot start: say so, never crash
        log.exception("sweep %s could not run", sweep_id)
        return close("aborted", 0, f"{type(exc).__name__}: {exc}")
    status = overall_status(outcomes)
    outcome = {"completed": "complete", "partial": "partial"}.get(status,
                                                                  "partial" if observations else "aborted")
    coverage = {m: [str(c) for c in s.iter_cidrs()] for m, s in coverage_of(outcomes, scope.ipset).items()}
    sent = 0
    for msg in messages.batches(site, sweep_id, observations, run=run, size=batch_size):
        publish(msg)
        sent += 1
        if on_batch:
            on_batch(sent)
    notes = [m for o in outcomes for m in o.messages]
    return close(outcome, sent, None if outcome == "complete" else f"sweep {status}",
                 scope=[str(c) for c in scope.ipset.iter_cidrs()], coverage=coverage,
                 methods=[o.method for o in outcomes], messages=notes)


def heartbeat(site: str) -> dict[str, Any]:
    """What a collector says about itself: version and capabilities."""
    try:
        ifaces = sorted(name for _i, name in socket.if_nameindex())
    except OSError:
        ifaces = []
    return {"v": messages.VERSION, "kind": "heartbeat", "site": site, "version": __version__,
            "host": socket.gethostname(), "root": os.geteuid() == 0, "interfaces": ifaces,
            "nmap": has_nmap()}


def collector_app(broker: str, site: str, secrets: dict[str, list[SnmpCredential]]) -> Any:
    """A site's collector app: consumes ``sweeps.<site>`` only and publishes to ``nd.ingest``."""
    from netdiscover.workers.app import INGEST_TASK, SWEEP_TASK, make_app, send, site_queue

    app = make_app(broker, queues=[site_queue(site, declare=False)])

    @app.task(name=SWEEP_TASK)
    def sweep_task(req: Any) -> str:
        if not isinstance(req, dict):
            log.warning("sweep task with a %s argument dropped", type(req).__name__)
            return "dropped"
        try:
            return run_site_sweep(req, site=site, secrets=secrets,
                                  publish=lambda m: send(app, INGEST_TASK, m))
        except messages.PoisonMessage as exc:
            log.warning("sweep task dropped: %s", exc)
            return "dropped"

    return app
