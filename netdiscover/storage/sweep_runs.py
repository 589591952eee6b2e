"""The scans table as the scheduler reads it: each named sweep's latest row and last run, and
rows left ``running`` by a process that is gone."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from netdiscover.storage.models import Scan


def latest_scans(session: Session, names: list[str] | None = None) -> list[Scan]:
    """The newest scan row (any status) of each sweep name (of ``names``, or every name)."""
    latest = select(Scan.sweep_name, func.max(Scan.id).label("id")).where(Scan.sweep_name.is_not(None))
    if names is not None:
        latest = latest.where(Scan.sweep_name.in_(names))
    ids = [row.id for row in session.execute(latest.group_by(Scan.sweep_name))]
    return list(session.scalars(select(Scan).where(Scan.id.in_(ids)))) if ids else []


def last_starts(session: Session, statuses: Iterable[str],
                names: list[str] | None = None) -> list[tuple[str, datetime]]:
    """(sweep name, latest start) over the scan rows whose status is one of ``statuses``."""
    ran = select(Scan.sweep_name, func.max(Scan.started_at).label("at")).where(
        Scan.sweep_name.is_not(None), Scan.status.in_(tuple(statuses)))
    if names is not None:
        ran = ran.where(Scan.sweep_name.in_(names))
    return [(row.sweep_name, row.at) for row in session.execute(ran.group_by(Scan.sweep_name))]


def orphaned_running(session: Session, names: list[str], started_by: str, before: datetime,
                     extra_ids: Iterable[int] = ()) -> list[Scan]:
    """Scan rows still ``running``: of ``names`` started by ``started_by`` before ``before``,
    or with one of ``extra_ids``."""
    clauses = [Scan.sweep_name.in_(names) & (Scan.started_by == started_by) & (Scan.started_at < before)]
    extra = list(extra_ids)
    if extra:
        clauses.append(Scan.id.in_(extra))
    return list(session.scalars(select(Scan).where(Scan.status == "running", or_(*clauses))))
