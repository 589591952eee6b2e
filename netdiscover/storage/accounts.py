"""Rows of the web service's accounts: users, API tokens and browser sessions.

Plain functions over a Session; the caller owns the transaction. Secrets arrive already
hashed or digested (services/accounts.py does that), so nothing here ever sees a password.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from netdiscover.storage.auth_models import ApiToken, User, WebSession

# (user id, name, role) of the user behind a token or a browser session
PrincipalRow = tuple[int, str, str]


def user_named(session: Session, name: str) -> User | None:
    """The user called ``name``, or None."""
    return session.scalars(select(User).where(User.name == name)).first()


def name_taken(session: Session, name: str) -> bool:
    """True when a user is called ``name``."""
    return session.scalars(select(User.id).where(User.name == name)).first() is not None


def insert_user(session: Session, name: str, role: str, password_hash: str, created_at: datetime) -> User:
    """Store a new, enabled user (flushed)."""
    user = User(name=name, role=role, password_hash=password_hash, disabled=False, created_at=created_at)
    session.add(user)
    session.flush()
    return user


def all_users(session: Session) -> list[User]:
    """Every user, by name."""
    return list(session.scalars(select(User).order_by(User.name)))


def disable(session: Session, user: User) -> None:
    """Mark ``user`` disabled (flushed)."""
    user.disabled = True
    session.flush()


def insert_token(session: Session, user: User, label: str | None, token_hash: str,
                 created_at: datetime) -> ApiToken:
    """Store a new token of ``user`` (flushed)."""
    row = ApiToken(user_id=user.id, label=label, token_hash=token_hash, created_at=created_at)
    session.add(row)
    session.flush()
    return row


def tokens(session: Session, user_id: int | None = None) -> list[ApiToken]:
    """Tokens (of one user, or all), oldest first."""
    stmt = select(ApiToken).order_by(ApiToken.id)
    if user_id is not None:
        stmt = stmt.where(ApiToken.user_id == user_id)
    return list(session.scalars(stmt))


def token(session: Session, token_id: int) -> ApiToken | None:
    """The token with id ``token_id``, or None."""
    return session.get(ApiToken, token_id)


def revoke(session: Session, row: ApiToken, at: datetime) -> None:
    """Revoke ``row`` at ``at`` unless it already is (flushed)."""
    if row.revoked_at is None:
        row.revoked_at = at
    session.flush()


def token_principal(session: Session, token_hash: str) -> PrincipalRow | None:
    """The enabled user behind a live (unrevoked) token with this digest, or None."""
    row = session.execute(
        select(ApiToken.id, User.id, User.name, User.role)
        .join(User, User.id == ApiToken.user_id)
        .where(ApiToken.token_hash == token_hash, ApiToken.revoked_at.is_(None), User.disabled.is_(False))
    ).first()
    return None if row is None else (row[1], row[2], row[3])


def insert_web_session(session: Session, session_hash: str, user_id: int, csrf_token: str, now: datetime,
                       lifetime: timedelta) -> None:
    """Drop expired browser sessions and store a new one (flushed)."""
    session.execute(delete(WebSession).where(WebSession.expires_at < now))
    session.add(WebSession(session_hash=session_hash, user_id=user_id, csrf_token=csrf_token,
                           created_at=now, expires_at=now + lifetime))
    session.flush()


def web_session_principal(session: Session, session_hash: str,
                          now: datetime) -> tuple[str, PrincipalRow] | None:
    """The CSRF token and enabled user of an unexpired browser session with this digest, or None."""
    row = session.execute(
        select(WebSession.csrf_token, User.id, User.name, User.role)
        .join(User, User.id == WebSession.user_id)
        .where(WebSession.session_hash == session_hash, WebSession.expires_at > now, User.disabled.is_(False))
    ).first()
    return None if row is None else (row[0], (row[1], row[2], row[3]))


def delete_web_session(session: Session, session_hash: str) -> None:
    """Forget the browser session with this digest."""
    session.execute(delete(WebSession).where(WebSession.session_hash == session_hash))
