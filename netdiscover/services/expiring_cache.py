"""Values remembered for a few seconds: each entry is dropped ``ttl`` seconds after it was stored.

The web server keeps who a token or a browser session acts as here, so a burst of requests
with one token reads it from the database once per ``ttl``; a change made elsewhere (a token
revoked from the command line, a user disabled by another server process) takes effect within
``ttl``. Safe to share between threads.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class ExpiringCache(Generic[K, V]):
    """At most ``max_entries`` values, each kept ``ttl`` seconds (by ``clock``) after it was stored."""

    def __init__(self, ttl: float, max_entries: int = 10_000,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.ttl = ttl
        self.max_entries = max_entries
        self._clock = clock
        self._entries: dict[K, tuple[V, float]] = {}
        self._lock = threading.Lock()

    def get(self, key: K) -> V | None:
        """The value stored under ``key`` less than ``ttl`` seconds ago, else None."""
        found = self._entries.get(key)
        if found is None:
            return None
        value, expires = found
        if self._clock() < expires:
            return value
        self._entries.pop(key, None)
        return None

    def put(self, key: K, value: V) -> None:
        """Remember ``value`` under ``key`` for ``ttl`` seconds from now."""
        with self._lock:
            now = self._clock()
            if len(self._entries) >= self.max_entries and key not in self._entries:
                for stale in [k for k, (_v, expires) in self._entries.items() if expires <= now]:
                    del self._entries[stale]
                if len(self._entries) >= self.max_entries:
                    self._entries.clear()
            self._entries[key] = (value, now + self.ttl)

    def clear(self) -> None:
        """Forget every value."""
        with self._lock:
            self._entries.clear()

    def __len__(self) -> int:
        return len(self._entries)
