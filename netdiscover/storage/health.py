"""Is the database there, and how many assets have a review status (health checks, metrics)."""

from __future__ import annotations

from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from netdiscover.storage.models import Asset


def ping(session: Session) -> None:
    """Run a trivial statement; raises whatever the database driver raises when it is not there."""
    session.execute(text("SELECT 1"))


def count_with_status(session: Session, status: str) -> int:
    """Number of assets with review status ``status``."""
    return int(session.scalar(select(func.count(Asset.id)).where(Asset.status == status)) or 0)
