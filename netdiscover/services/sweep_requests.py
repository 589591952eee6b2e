"""The queue of sweeps asked for over the web (``sweep_requests`` rows).

The web process checks a request and stores it ``queued`` (nothing is scanned there). The daemon
claims the oldest one (an atomic ``queued -> running`` update, so two daemons never run the same
request), checks it again, runs it like a scheduled sweep and records ``done`` or ``failed`` with
the scan id and a one-line reason. A request aborted because the daemon is stopping goes back to
``queued``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import netaddr
from sqlalchemy.orm import Session, sessionmaker

from netdiscover.observation import clean_text
from netdiscover.scanners import SCANNERS
from netdiscover.services.errors import OperationError
from netdiscover.storage import sweep_requests as store
from netdiscover.storage.auth_models import SweepRequest
from netdiscover.storage.engine import write_session

MAX_ERROR = 500


@dataclass(frozen=True)
class QueuedSweep:
    """One claimed request, detached from its session."""

    id: int
    targets: list[str]
    methods: list[str]
    profile: str | None
    requested_by: str | None


def claim_next(sessions: sessionmaker[Session]) -> QueuedSweep | None:
    """Mark the oldest queued request running and return it; None when the queue is empty."""
    for _ in range(5):                       # another claimer may win the race for a row
        with write_session(sessions) as session:
            row = store.oldest_queued(session)
            if row is None:
                return None
            if store.mark_running(session, row.id):
                return QueuedSweep(id=row.id, targets=[str(t) for t in row.targets or []],
                                   methods=[str(m) for m in row.methods or []] or ["arp"],
                                   profile=row.profile, requested_by=row.requested_by)
    return None


def check_request(job: QueuedSweep) -> str | None:
    """Why this request cannot run (bad or too large targets, unknown method or profile), or None."""
    from netdiscover.scanners.nmap import PROFILES as NMAP_PROFILES
    from netdiscover.scope import ScopeError, parse_scope

    if not job.targets:
        return "no targets"
    known = tuple(SCANNERS)
    unknown = [m for m in job.methods if m not in known]
    if unknown:
        return f"unknown method {unknown[0]!r} (known: {', '.join(known)})"
    if job.profile is not None and job.profile not in NMAP_PROFILES:
        return f"unknown nmap profile {job.profile!r} (known: {', '.join(NMAP_PROFILES)})"
    try:
        parse_scope(job.targets, [], resolve=False)
    except ScopeError as exc:
        return f"targets: {exc}"
    return None


def finish_request(sessions: sessionmaker[Session], request_id: int, status: str, scan_id: int | None = None,
                   error: str | None = None) -> None:
    """Record the outcome of a claimed request (``done``, ``failed``, or ``queued`` to retry)."""
    with write_session(sessions) as session:
        store.record_outcome(session, request_id, status, scan_id, one_line(error) if error else None)


def one_line(text: str) -> str:
    """The first line of ``text``, at most MAX_ERROR characters."""
    return (str(text).splitlines() or [""])[0][:MAX_ERROR]


def queue_sweep(session: Session, targets: list[str], methods: list[str] | None, profile: str | None,
                note: str | None, by: str) -> dict[str, Any]:
    """Record a sweep request for the daemon or a worker; nothing is scanned here (caller commits)."""
    if not targets or len(targets) > 256:
        raise OperationError("targets: give 1 to 256 networks or addresses")
    clean = []
    for target in targets:
        try:
            clean.append(str(netaddr.IPNetwork(str(target).strip()).cidr))
        except (netaddr.AddrFormatError, ValueError, TypeError):
            raise OperationError(f"target {clean_text(target, 60)!r} is not an IP or CIDR") from None
    methods = list(dict.fromkeys(methods or ["arp"]))
    for m in methods:
        if m not in SCANNERS:
            raise OperationError(f"method {clean_text(m, 20)!r} is not one of {', '.join(SCANNERS)}")
    if profile is not None and (len(profile) > 64 or not profile.replace("-", "").replace("_", "").isalnum()):
        raise OperationError("profile: letters, digits, - and _ only (at most 64)")
    row = store.add_request(session, targets=clean, methods=methods, profile=profile,
                      note=clean_text(note, 2000), requested_by=clean_text(by, 128))
    return sweep_request_dict(row)


def sweep_request_dict(row: SweepRequest) -> dict[str, Any]:
    """A sweep request as plain data."""
    return {"id": row.id, "status": row.status, "targets": list(row.targets or []),
            "methods": list(row.methods or []), "profile": row.profile, "note": row.note,
            "requested_by": row.requested_by,
            "requested_at": row.requested_at.isoformat() if row.requested_at else None,
            "scan_id": row.scan_id, "error": row.error}


def sweep_requests(session: Session, limit: int = 50) -> list[dict[str, Any]]:
    """The latest sweep requests, newest first."""
    return [sweep_request_dict(r) for r in store.latest_requests(session, limit)]
