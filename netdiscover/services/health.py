"""Health of the asset database for the front doors' checks and metrics."""

from __future__ import annotations

from sqlalchemy.orm import Session, sessionmaker

from netdiscover.storage import health
from netdiscover.storage.assets import count_by_status


def check_database(sessions: sessionmaker[Session]) -> None:
    """Return when the database answers; raises the driver's error when it does not."""
    with sessions() as session:
        health.ping(session)


def database_alive(sessions: sessionmaker[Session]) -> bool:
    """True when the database answers a trivial query."""
    try:
        check_database(sessions)
    except Exception:
        return False
    return True


def assets_by_status(sessions: sessionmaker[Session]) -> dict[str, int]:
    """Number of assets per review status."""
    with sessions() as session:
        return count_by_status(session)


def undocumented_count(sessions: sessionmaker[Session]) -> int:
    """How many assets are still undocumented."""
    with sessions() as session:
        return health.count_with_status(session, "undocumented")
