"""Who is asking: bearer tokens for the API, session cookies and CSRF tokens for the pages, login limits.

A browser session is a random id in an HttpOnly, SameSite=Strict cookie (Secure behind HTTPS);
the database keeps its SHA-256 digest, the user and a per-session CSRF token that every form
must send back. Failed logins are counted per client address and per user name in memory.
"""

from __future__ import annotations

import hmac
import secrets
import threading
import time
from collections import deque
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from netdiscover.observation import utcnow
from netdiscover.storage.auth_models import User, WebSession
from netdiscover.web.accounts import Principal, digest

SESSION_COOKIE = "nd_session"
LOGIN_COOKIE = "nd_login"
SESSION_HOURS = 12


@dataclass(frozen=True)
class BrowserSession:
    """A signed-in browser: who, and the CSRF token its forms carry."""

    principal: Principal
    csrf_token: str


def new_session(session: Session, principal: Principal) -> str:
    """Store a new browser session for ``principal``; returns the cookie value (caller commits)."""
    now = utcnow()
    session.execute(delete(WebSession).where(WebSession.expires_at < now))
    cookie = secrets.token_urlsafe(32)
    session.add(WebSession(session_hash=digest(cookie), user_id=principal.user_id,
                           csrf_token=secrets.token_urlsafe(32), created_at=now,
                           expires_at=now + timedelta(hours=SESSION_HOURS)))
    session.flush()
    return cookie


def session_for_cookie(session: Session, cookie: str | None) -> BrowserSession | None:
    """The live session a cookie names (user enabled, not expired), or None."""
    if not cookie or len(cookie) > 100:
        return None
    row = session.execute(
        select(WebSession.csrf_token, User.id, User.name, User.role)
        .join(User, User.id == WebSession.user_id)
        .where(WebSession.session_hash == digest(cookie), WebSession.expires_at > utcnow(),
               User.disabled.is_(False))
    ).first()
    if row is None:
        return None
    return BrowserSession(Principal(row[1], row[2], row[3]), row[0])


def end_session(session: Session, cookie: str | None) -> None:
    """Forget a browser session (logout; caller commits)."""
    if cookie:
        session.execute(delete(WebSession).where(WebSession.session_hash == digest(cookie)))


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
