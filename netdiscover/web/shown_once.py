"""A secret shown once on the page a form redirects to (Post/Redirect/Get), such as a new API token.

The POST answers with a redirect and a short-lived cookie holding the secret, encrypted (Fernet)
with a key derived from the browser's session cookie, so it is unreadable without that session
and the same on every web worker process; the GET it redirects to shows it and deletes the cookie.
A reload then re-sends the GET, never the POST, and shows nothing more.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from typing import Any

from cryptography.fernet import Fernet, InvalidToken
from fastapi import Request
from fastapi.responses import Response

from netdiscover.web.security import SESSION_COOKIE

ONCE_COOKIE = "nd_once"
LIFETIME_S = 120


def _cipher(request: Request) -> Fernet | None:
    session = request.cookies.get(SESSION_COOKIE)
    if not session:
        return None
    key = hmac.new(session.encode(), b"netdiscover shown-once cookie", hashlib.sha256).digest()
    return Fernet(base64.urlsafe_b64encode(key))


def keep_for_next_page(request: Request, response: Response, path: str, data: dict[str, Any]) -> None:
    """Set the cookie that carries ``data`` to the next GET of ``path`` by this browser session."""
    cipher = _cipher(request)
    if cipher is None:
        return
    sealed = cipher.encrypt(json.dumps(data).encode()).decode()
    response.set_cookie(ONCE_COOKIE, sealed, max_age=LIFETIME_S, path=path, httponly=True, samesite="strict",
                        secure=request.url.scheme == "https")


def kept(request: Request) -> dict[str, Any] | None:
    """The data kept for this page by this browser session (None when there is none or it expired)."""
    sealed = request.cookies.get(ONCE_COOKIE)
    cipher = _cipher(request)
    if sealed is None or cipher is None:
        return None
    try:
        data = json.loads(cipher.decrypt(sealed.encode(), ttl=LIFETIME_S))
    except (InvalidToken, ValueError):
        return None
    return data if isinstance(data, dict) else None


def forget(request: Request, response: Response, path: str) -> None:
    """Make ``response`` delete the kept data and stay out of caches, so it is shown this once."""
    if ONCE_COOKIE in request.cookies:
        response.delete_cookie(ONCE_COOKIE, path=path, httponly=True, samesite="strict",
                               secure=request.url.scheme == "https")
        response.headers["Cache-Control"] = "no-store"
