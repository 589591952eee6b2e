"""The sweep_requests table as the web writes and lists it: queued sweeps for the daemon or a worker."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from netdiscover.observation import utcnow
from netdiscover.storage.auth_models import SweepRequest


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
