"""Passive listening runs as the database keeps them: one scan row per run (``listen:IFACE``
targets, method ``passive``), every flush of sightings reconciled into it (never a proof of
absence: ``complete=False``, no scope), and the run's outcome recorded when it ends.

``netdiscover listen`` and the daemon's ``[[listen]]`` jobs both use it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from netdiscover.observation import Observation
from netdiscover.reconcile.context import ReconcileResult
from netdiscover.services.reconcile import reconcile
from netdiscover.storage import scans
from netdiscover.storage.engine import write_session


@dataclass
class ListenRun:
    """One listening run: its scan row and the site its sightings belong to."""

    sessions: sessionmaker[Session]
    scan_id: int
    site: str | None = None

    @classmethod
    def start(cls, sessions: sessionmaker[Session], interfaces: Sequence[str], started_by: str,
              site: str | None = None) -> ListenRun:
        """Open the run's scan row."""
        with write_session(sessions) as session:
            scan_id = scans.start_scan(session, targets=[f"listen:{n}" for n in interfaces],
                                       methods=["passive"], started_by=started_by)
        return cls(sessions, scan_id, site)

    def store(self, observations: list[Observation]) -> ReconcileResult:
        """Reconcile one flush of sightings into the run."""
        return reconcile(self.sessions, observations, scan_id=self.scan_id, scope=None, complete=False,
                         site=self.site)

    def finish(self, status: str, counts: dict[str, Any], messages: list[str],
               error: str | None = None) -> None:
        """Record how the run ended."""
        with write_session(self.sessions) as session:
            scans.finish_scan(session, self.scan_id, status=status, counts=counts, messages=messages,
                              error=error)
