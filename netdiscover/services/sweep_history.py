"""What the scans table says about named (scheduled) sweeps: their last run and outcome, and
closing the rows a stopped daemon left ``running``. Used by the daemon and ``daemon status``."""

from __future__ import annotations

from collections.abc import Set
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from netdiscover.storage import sweep_runs
from netdiscover.storage.scans import finish_scan

# Statuses that count as "the sweep ran" when deciding when it is next due.
RAN = ("completed", "partial", "failed")


def _aware(value: datetime | None) -> datetime | None:
    """Datetimes read back from SQLite are naive UTC; make every one timezone-aware."""
    if value is None:
        return None
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def sweep_history(session: Session, names: list[str] | None = None) -> dict[str, dict[str, Any]]:
    """Per sweep name: the latest scan row (any status) and the last start that counts as a run."""
    out: dict[str, dict[str, Any]] = {}
    for scan in sweep_runs.latest_scans(session, names):
        out[scan.sweep_name] = {
            "scan_id": scan.id, "status": scan.status, "started_at": _aware(scan.started_at),
            "finished_at": _aware(scan.finished_at), "counts": scan.counts or {},
            "error": scan.error, "started_by": scan.started_by,
        }
    for name, at in sweep_runs.last_starts(session, RAN, names):
        out.setdefault(name, {})["last_ran"] = _aware(at)
    return out


def close_stale_scans(sessions: sessionmaker[Session], names: list[str], started_by: str, before: datetime,
                      extra_ids: Set[int] = frozenset()) -> list[int]:
    """Mark scan rows still 'running' that no live run owns as aborted/failed; return their ids.

    Rows of ``names`` started by this daemon's identity before ``before`` (this process's
    start) were left by a previous process that died; ``extra_ids`` are runs of this process
    whose outcome could not be recorded because the database went away.
    """
    closed: list[int] = []
    with sessions.begin() as session:
        for scan in sweep_runs.orphaned_running(session, names, started_by, before, extra_ids):
            lost_db = scan.id in extra_ids
            finish_scan(session, scan, status="failed" if lost_db else "aborted",
                        error=("database unavailable while the sweep ran" if lost_db
                               else "the daemon stopped before the sweep finished"))
            closed.append(scan.id)
    return closed
