"""The scans table: one row per sweep, opened when it starts and closed with its outcome."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from netdiscover.observation import clean_text, utcnow
from netdiscover.storage.models import Scan
from netdiscover.vocabulary import SCAN_OUTCOMES


def start_scan(
    session: Session,
    *,
    targets: Sequence[str],
    methods: Sequence[str],
    exclusions: Sequence[str] | None = None,
    started_by: str | None = None,
    sweep_name: str | None = None,
    started_at: datetime | None = None,
) -> int:
    """Create the scans row of a sweep in status 'running'; returns its id (flushed; caller commits)."""
    scan = Scan(
        targets=[clean_text(t, 255) for t in targets],
        methods=list(methods),
        exclusions=[clean_text(e, 255) for e in exclusions] if exclusions else None,
        started_by=clean_text(started_by, 128),
        sweep_name=clean_text(sweep_name, 128),
        started_at=started_at or utcnow(),
        status="running",
    )
    session.add(scan)
    session.flush()
    return scan.id


def finish_scan(
    session: Session,
    scan: Scan | int,
    *,
    status: str = "completed",
    counts: dict[str, Any] | None = None,
    messages: Sequence[str] | None = None,
    error: str | None = None,
    finished_at: datetime | None = None,
) -> Scan:
    """Close a scans row with its outcome, counts and messages (flushed; caller commits)."""
    if status not in SCAN_OUTCOMES:
        raise ValueError(f"unknown scan outcome {status!r}")
    row = session.get(Scan, scan) if isinstance(scan, int) else scan
    if row is None:
        raise ValueError(f"no scan with id {scan}")
    row.status = status
    row.finished_at = finished_at or utcnow()
    if counts is not None:
        row.counts = dict(counts)
    if messages is not None:
        row.messages = [clean_text(m, 2048) for m in messages]
    if error is not None:
        row.error = clean_text(error, 8192)
    session.flush()
    return row


def list_scans(session: Session, limit: int = 50) -> list[Scan]:
    """The latest scans, newest first."""
    return list(session.scalars(select(Scan).order_by(Scan.started_at.desc(), Scan.id.desc()).limit(limit)))
