"""Health of the asset database for the front doors' checks and metrics (reads in the caller's session)."""

from __future__ import annotations

from sqlalchemy.orm import Session

from netdiscover.storage import health
from netdiscover.storage.assets import count_by_status


def check_database(session: Session) -> None:
    """Return when the database answers; raises the driver's error when it does not."""
    health.ping(session)


def database_alive(session: Session) -> bool:
    """True when the database answers a trivial query."""
    try:
        check_database(session)
    except Exception:
        return False
    return True


def assets_by_status(session: Session) -> dict[str, int]:
    """Number of assets per review status."""
    return count_by_status(session)


def undocumented_count(session: Session) -> int:
    """How many assets are still undocumented."""
    return health.count_with_status(session, "undocumented")
