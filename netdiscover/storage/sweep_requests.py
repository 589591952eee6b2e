"""Rows of ``sweep_requests``: the queue of sweeps asked for over the web, as the web writes and
lists it and the daemon claims and closes it."""

from __future__ import annotations

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from netdiscover.observation import utcnow
from netdiscover.storage.auth_models import SweepRequest


def oldest_queued(session: Session) -> SweepRequest | None:
    """The oldest request still queued, or None."""
    return session.scalars(select(SweepRequest).where(SweepRequest.status == "queued")
                           .order_by(SweepRequest.id).limit(1)).first()


def mark_running(session: Session, request_id: int) -> bool:
    """Move a request from ``queued`` to ``running`` atomically; False when someone else did first."""
    claimed = session.execute(
        update(SweepRequest).where(SweepRequest.id == request_id, SweepRequest.status == "queued")
        .values(status="running", error=None).execution_options(synchronize_session=False))
    return claimed.rowcount == 1


def record_outcome(session: Session, request_id: int, status: str, scan_id: int | None,
                   error: str | None) -> None:
    """Store a request's status, scan and error line; nothing when the request was deleted meanwhile."""
    row = session.get(SweepRequest, request_id)
    if row is None:
        return
    row.status = status
    if scan_id is not None:
        row.scan_id = scan_id
    row.error = error


def add_request(session: Session, *, targets: list[str], methods: list[str], profile: str | None,
                note: str | None, requested_by: str | None) -> SweepRequest:
    """Store a queued request (flushed, so it has its id; caller commits)."""
    row = SweepRequest(requested_by=requested_by, requested_at=utcnow(), targets=targets,
                       methods=methods, profile=profile, note=note, status="queued")
    session.add(row)
    session.flush()
    return row


def latest_requests(session: Session, limit: int) -> list[SweepRequest]:
    """The latest requests, newest first."""
    return list(session.scalars(select(SweepRequest).order_by(SweepRequest.id.desc()).limit(limit)))
