"""Call a read service (which takes the caller's Session) from a test that holds a sessionmaker."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

T = TypeVar("T")


def in_session(sessions: Any, read: Callable[..., T], *args: Any) -> T:
    """``read(session, *args)`` in a session of its own, closed before returning (fresh on each
    call, as a poll needs)."""
    with sessions() as session:
        return read(session, *args)


def sweep_state_of(sessions: Any, sweep_id: str) -> Any:
    """Where a site's sweep is, read in a fresh session (``services.sites.sweep_state``)."""
    from netdiscover.services.sites import sweep_state

    return in_session(sessions, sweep_state, sweep_id)
