"""The web door's own guards: cookie names, constant-time secret comparison, login limits.

A browser session is a random id in an HttpOnly, SameSite=Strict cookie (Secure behind HTTPS);
services/accounts.py stores and checks it. Failed logins are counted per client address and
per user name in memory.
"""

from __future__ import annotations

import hmac
import threading
import time
from collections import deque

SESSION_COOKIE = "nd_session"
LOGIN_COOKIE = "nd_login"


def same_secret(expected: str | None, given: str | None) -> bool:
    """Constant-time comparison of two secrets; False when either is missing."""
    if not expected or not given:
        return False
    return hmac.compare_digest(expected.encode(), given.encode())


class LoginLimiter:
    """At most ``attempts`` failed logins per ``window`` seconds per client and per user name."""

    def __init__(self, attempts: int = 5, window: float = 300.0, max_keys: int = 10_000) -> None:
        self.attempts = attempts
        self.window = window
        self.max_keys = max_keys
        self._failures: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def _recent(self, key: str, now: float) -> deque[float]:
        bucket = self._failures.get(key)
        if bucket is None:
            return deque()
        while bucket and bucket[0] <= now - self.window:
            bucket.popleft()
        return bucket

    def retry_after(self, *keys: str) -> int:
        """Seconds until another attempt is allowed for these keys (0: allowed now)."""
        now = time.monotonic()
        with self._lock:
            wait = 0.0
            for key in keys:
                bucket = self._recent(key, now)
                if len(bucket) >= self.attempts:
                    wait = max(wait, bucket[0] + self.window - now)
            return int(wait) + 1 if wait > 0 else 0

    def failed(self, *keys: str) -> None:
        """Count one failed attempt against each key."""
        now = time.monotonic()
        with self._lock:
            if len(self._failures) >= self.max_keys:
                for key in [k for k, b in self._failures.items() if not b or b[-1] <= now - self.window]:
                    del self._failures[key]
            for key in keys:
                self._failures.setdefault(key, deque(maxlen=self.attempts * 4)).append(now)

    def succeeded(self, *keys: str) -> None:
        """Clear the failures of these keys."""
        with self._lock:
            for key in keys:
                self._failures.pop(key, None)
