"""The queue of sweeps asked for over the web (``sweep_requests`` rows), as the daemon works it.

The web process only stores ``queued`` rows. The daemon claims the oldest one (an atomic
``queued -> running`` update, so two daemons never run the same request), checks it, runs it
like a scheduled sweep and records ``done`` or ``failed`` with the scan id and a one-line
reason. A request aborted because the daemon is stopping goes back to ``queued``.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session, sessionmaker

from netdiscover.storage import sweep_requests as store
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
    from netdiscover.scanners import SCANNERS
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
