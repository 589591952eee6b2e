"""Web accounts: users and roles, passwords, API tokens and signed-in browser sessions.

Passwords are hashed with argon2id (argon2-cffi); tokens are 256-bit random strings shown once
and stored as their SHA-256 digest, which is enough for a value nobody can guess. There is no
default account: the first admin is made with ``netdiscover user add NAME --role admin``.

A browser session is a random id kept in a cookie; the database keeps its SHA-256 digest, the
user and a per-session CSRF token that every form must send back.

Every function works in the caller's session (the front door commits or rolls back).

A server may pass a ``Remembered`` cache to the token and cookie checks: who a secret acts as is
then read from the database at most once per PRINCIPAL_CACHE_S seconds, so revoking a token,
disabling a user or ending a session elsewhere takes effect within that bound.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy.orm import Session

from netdiscover.observation import clean_text, utcnow
from netdiscover.services.expiring_cache import ExpiringCache
from netdiscover.storage import accounts as store
from netdiscover.storage.auth_models import ROLES, ApiToken, User

NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$")
MIN_PASSWORD = 10
TOKEN_PREFIX = "ndt_"
ROLE_RANK = {role: rank for rank, role in enumerate(ROLES)}
SESSION_LIFETIME = timedelta(hours=12)
# How long a server may go on trusting what it read about a token or a browser session.
PRINCIPAL_CACHE_S = 5.0

_hasher = PasswordHasher()
# Verifying against this keeps a login for an unknown name as slow as one for a known name.
_DUMMY_HASH = _hasher.hash("not a real password")


class AccountError(ValueError):
    """A request about users or tokens that cannot be carried out; the message is one line."""


@dataclass(frozen=True)
class Principal:
    """Who a request acts as."""

    user_id: int
    name: str
    role: str

    def can(self, role: str) -> bool:
        """True when this principal's role is ``role`` or above it."""
        return ROLE_RANK[self.role] >= ROLE_RANK[role]


@dataclass(frozen=True)
class UserInfo:
    """A user as listed: never its password hash."""

    id: int
    name: str
    role: str
    disabled: bool
    created_at: datetime

    @classmethod
    def of(cls, user: User) -> UserInfo:
        return cls(user.id, user.name, user.role, bool(user.disabled), user.created_at)


@dataclass(frozen=True)
class TokenInfo:
    """A token as listed: never the token itself."""

    id: int
    user: str
    label: str | None
    created_at: datetime
    revoked_at: datetime | None

    @classmethod
    def of(cls, row: ApiToken) -> TokenInfo:
        return cls(row.id, row.user.name, row.label, row.created_at, row.revoked_at)


@dataclass(frozen=True)
class BrowserSession:
    """A signed-in browser: who, and the CSRF token its forms carry."""

    principal: Principal
    csrf_token: str


def digest(secret: str) -> str:
    """SHA-256 hex digest of a token or session id."""
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def check_name(name: str) -> str:
    """The user name, or AccountError when it is not a plain login name."""
    if not NAME_RE.match(name or ""):
        raise AccountError(f"invalid user name {clean_text(name, 80)!r}: letters, digits and . _ @ - "
                           "(at most 64, starting with a letter or digit)")
    return name


def check_password(password: str) -> str:
    """The password, or AccountError when it is too short."""
    if len(password or "") < MIN_PASSWORD:
        raise AccountError(f"password too short: at least {MIN_PASSWORD} characters")
    return password


def _user(session: Session, name: str) -> User:
    user = store.user_named(session, name)
    if user is None:
        raise AccountError(f"no user named {clean_text(name, 80)!r}")
    return user


# -- users -----------------------------------------------------------------------------------------

def add_user(session: Session, name: str, role: str, password: str) -> UserInfo:
    """Create a user (flushed; caller commits)."""
    check_name(name)
    if role not in ROLES:
        raise AccountError(f"unknown role {clean_text(role, 40)!r}; choose from {', '.join(ROLES)}")
    check_password(password)
    if store.name_taken(session, name):
        raise AccountError(f"user {name!r} already exists")
    return UserInfo.of(store.insert_user(session, name, role, _hasher.hash(password), utcnow()))


def list_users(session: Session) -> list[UserInfo]:
    """Every user, by name."""
    return [UserInfo.of(user) for user in store.all_users(session)]


def disable_user(session: Session, name: str) -> UserInfo:
    """Disable a user: no login, every token and session refused from now on (caller commits)."""
    user = _user(session, name)
    store.disable(session, user)
    return UserInfo.of(user)


def authenticate(session: Session, name: str, password: str) -> Principal | None:
    """The principal for a correct name and password of an enabled user, else None."""
    user = store.user_named(session, name) if NAME_RE.match(name or "") else None
    stored = user.password_hash if user is not None and user.password_hash else _DUMMY_HASH
    try:
        _hasher.verify(stored, password or "")
    except (VerificationError, InvalidHashError):
        return None
    if user is None or user.disabled:
        return None
    if _hasher.check_needs_rehash(stored):
        user.password_hash = _hasher.hash(password)
    return Principal(user.id, user.name, user.role)


# -- API tokens ------------------------------------------------------------------------------------

def create_token(session: Session, user_name: str, label: str | None = None) -> tuple[TokenInfo, str]:
    """A new token for the user: what lists it, and the token text (shown once, never stored)."""
    user = _user(session, user_name)
    if user.disabled:
        raise AccountError(f"user {user_name!r} is disabled")
    text = TOKEN_PREFIX + secrets.token_urlsafe(32)
    row = store.insert_token(session, user, clean_text(label, 128), digest(text), utcnow())
    return TokenInfo.of(row), text


def list_tokens(session: Session, user_name: str | None = None) -> list[TokenInfo]:
    """Tokens (of one user, or all), oldest first."""
    user_id = None if user_name is None else _user(session, user_name).id
    return [TokenInfo.of(row) for row in store.tokens(session, user_id)]


def revoke_token(session: Session, token_id: int) -> TokenInfo:
    """Revoke a token by its id (caller commits)."""
    row = store.token(session, token_id)
    if row is None:
        raise AccountError(f"no token with id {token_id}")
    store.revoke(session, row, utcnow())
    return TokenInfo.of(row)


# Who recently checked tokens and browser sessions act as, by ("token" or "session", digest).
Remembered = ExpiringCache[tuple[str, str], Any]


def remembered_principals(ttl: float = PRINCIPAL_CACHE_S) -> Remembered:
    """A cache for ``principal_for_token`` and ``session_for_cookie`` (one per server process)."""
    return ExpiringCache(ttl)


def principal_for_token(session: Session, text: str, recent: Remembered | None = None) -> Principal | None:
    """The principal a bearer token acts as, or None (unknown, revoked, or user disabled); with
    ``recent``, as read at most its ttl ago (only valid tokens are remembered)."""
    if not text.startswith(TOKEN_PREFIX) or len(text) > 200:
        return None
    key = ("token", digest(text))
    if recent is not None and (known := recent.get(key)) is not None:
        return known
    found = store.token_principal(session, key[1])
    if found is None:
        return None
    principal = Principal(*found)
    if recent is not None:
        recent.put(key, principal)
    return principal


# -- browser sessions ------------------------------------------------------------------------------

def new_session(session: Session, principal: Principal) -> str:
    """Store a new browser session for ``principal``; returns the cookie value (caller commits)."""
    cookie = secrets.token_urlsafe(32)
    store.insert_web_session(session, digest(cookie), principal.user_id, secrets.token_urlsafe(32), utcnow(),
                             SESSION_LIFETIME)
    return cookie


def session_for_cookie(session: Session, cookie: str | None,
                       recent: Remembered | None = None) -> BrowserSession | None:
    """The live session a cookie names (user enabled, not expired), or None; with ``recent``, as
    read at most its ttl ago (only live sessions are remembered)."""
    if not cookie or len(cookie) > 100:
        return None
    key = ("session", digest(cookie))
    if recent is not None and (known := recent.get(key)) is not None:
        return known
    found = store.web_session_principal(session, key[1], utcnow())
    if found is None:
        return None
    csrf_token, who = found
    browser = BrowserSession(Principal(*who), csrf_token)
    if recent is not None:
        recent.put(key, browser)
    return browser


def end_session(session: Session, cookie: str | None) -> None:
    """Forget a browser session (logout; caller commits)."""
    if cookie:
        store.delete_web_session(session, digest(cookie))
