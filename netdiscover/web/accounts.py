"""Users, roles, passwords and API tokens: create, list, disable, authenticate, revoke.

Passwords are hashed with argon2id (argon2-cffi); tokens are 256-bit random strings shown once
and stored as their SHA-256 digest, which is enough for a value nobody can guess. There is no
default account: the first admin is made with ``netdiscover user add NAME --role admin``.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import datetime

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from netdiscover.observation import clean_text, utcnow
from netdiscover.storage.auth_models import ROLES, ApiToken, User

NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$")
MIN_PASSWORD = 10
TOKEN_PREFIX = "ndt_"
ROLE_RANK = {role: rank for rank, role in enumerate(ROLES)}

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
    user = session.scalars(select(User).where(User.name == name)).first()
    if user is None:
        raise AccountError(f"no user named {clean_text(name, 80)!r}")
    return user


def add_user(session: Session, name: str, role: str, password: str) -> User:
    """Create a user (flushed; caller commits)."""
    check_name(name)
    if role not in ROLES:
        raise AccountError(f"unknown role {clean_text(role, 40)!r}; choose from {', '.join(ROLES)}")
    check_password(password)
    if session.scalars(select(User.id).where(User.name == name)).first() is not None:
        raise AccountError(f"user {name!r} already exists")
    user = User(name=name, role=role, password_hash=_hasher.hash(password), disabled=False,
                created_at=utcnow())
    session.add(user)
    session.flush()
    return user


def list_users(session: Session) -> list[User]:
    """Every user, by name."""
    return list(session.scalars(select(User).order_by(User.name)))


def disable_user(session: Session, name: str) -> User:
    """Disable a user: no login, every token and session refused from now on (caller commits)."""
    user = _user(session, name)
    user.disabled = True
    session.flush()
    return user


def authenticate(session: Session, name: str, password: str) -> Principal | None:
    """The principal for a correct name and password of an enabled user, else None."""
    user = session.scalars(select(User).where(User.name == name)).first() if NAME_RE.match(name or "") \
        else None
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


def create_token(session: Session, user_name: str, label: str | None = None) -> tuple[ApiToken, str]:
    """A new token for the user: the row and the token text (shown once, never stored)."""
    user = _user(session, user_name)
    if user.disabled:
        raise AccountError(f"user {user_name!r} is disabled")
    text = TOKEN_PREFIX + secrets.token_urlsafe(32)
    row = ApiToken(user_id=user.id, label=clean_text(label, 128), token_hash=digest(text),
                   created_at=utcnow())
    session.add(row)
    session.flush()
    return row, text


def list_tokens(session: Session, user_name: str | None = None) -> list[ApiToken]:
    """Tokens (of one user, or all), oldest first."""
    stmt = select(ApiToken).order_by(ApiToken.id)
    if user_name is not None:
        stmt = stmt.where(ApiToken.user_id == _user(session, user_name).id)
    return list(session.scalars(stmt))


def revoke_token(session: Session, token_id: int) -> ApiToken:
    """Revoke a token by its id (caller commits)."""
    row = session.get(ApiToken, token_id)
    if row is None:
        raise AccountError(f"no token with id {token_id}")
    if row.revoked_at is None:
        row.revoked_at = utcnow()
    session.flush()
    return row


def principal_for_token(session: Session, text: str, now: datetime | None = None) -> Principal | None:
    """The principal a bearer token acts as, or None (unknown, revoked, or user disabled)."""
    if not text.startswith(TOKEN_PREFIX) or len(text) > 200:
        return None
    row = session.execute(
        select(ApiToken.id, User.id, User.name, User.role)
        .join(User, User.id == ApiToken.user_id)
        .where(ApiToken.token_hash == digest(text), ApiToken.revoked_at.is_(None),
               User.disabled.is_(False))
    ).first()
    if row is None:
        return None
    return Principal(row[1], row[2], row[3])
