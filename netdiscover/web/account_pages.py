"""Account pages for admins: users (list, add with a role, disable) and API tokens (create, the
token shown once on the users page the creation redirects to; revoke).

Every form carries the session's CSRF token and needs the admin role; the work is done by
``services.accounts``, as for ``netdiscover user`` and ``netdiscover token``. A refused change
(bad name, short password, unknown user) comes back as the page with its one-line reason; a done
change redirects to the users page (Post/Redirect/Get), so reloading it never repeats the change.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any, TypeVar

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from netdiscover.services.accounts import (
    AccountError,
    add_user,
    create_token,
    disable_user,
    list_tokens,
    list_users,
    revoke_token,
)
from netdiscover.services.params import blank
from netdiscover.storage.auth_models import ROLES
from netdiscover.storage.engine import write_session
from netdiscover.web import shown_once
from netdiscover.web.pages import Signed, check_form, check_role, reading, render

router = APIRouter(include_in_schema=False)
T = TypeVar("T")
Text = Annotated[str, Form(max_length=200)]
Csrf = Annotated[str, Form()]


def _page(request: Request, status: int = 200, error: str | None = None,
          new_token: dict[str, Any] | None = None) -> Response:
    with reading(request) as session:
        people, tokens = list_users(session), list_tokens(session)
    return render(request, "users.html", status=status, users=people, tokens=tokens, roles=ROLES, error=error,
                  new_token=new_token)


def _change(request: Request, work: Callable[[Any], T]) -> T | Response:
    """Run ``work`` in one write transaction; an AccountError is the users page with its reason.
    What this process remembers about tokens and sessions is forgotten, so a revoked token or a
    disabled user is refused here from the next request on."""
    try:
        with write_session(request.app.state.sessions) as session:
            done = work(session)
    except AccountError as exc:
        return _page(request, 422, str(exc))
    request.app.state.principals.clear()
    return done


def _back() -> Response:
    return RedirectResponse("/users", status_code=303)


@router.get("/users")
def users(request: Request, bs: Signed) -> Response:
    check_role(bs, "admin")
    response = _page(request, new_token=shown_once.kept(request))
    shown_once.forget(request, response, "/users")
    return response


@router.post("/users")
def add(request: Request, bs: Signed, csrf: Csrf = "", name: Text = "", role: Text = "",
        password: Annotated[str, Form(max_length=1000)] = "") -> Response:
    check_form(bs, csrf, "admin")
    done = _change(request, lambda session: add_user(session, name.strip(), role, password))
    return done if isinstance(done, Response) else _back()


@router.post("/users/disable")
def disable(request: Request, bs: Signed, csrf: Csrf = "", name: Text = "") -> Response:
    check_form(bs, csrf, "admin")
    if name == bs.principal.name:
        return _page(request, 422, "you cannot disable your own account; ask another admin")
    done = _change(request, lambda session: disable_user(session, name))
    return done if isinstance(done, Response) else _back()


@router.post("/tokens")
def new_token(request: Request, bs: Signed, csrf: Csrf = "", user: Text = "", label: Text = "") -> Response:
    check_form(bs, csrf, "admin")
    done = _change(request, lambda session: create_token(session, user, blank(label)))
    if isinstance(done, Response):
        return done
    info, text = done
    response = _back()
    shown_once.keep_for_next_page(request, response, "/users",
                                  {"user": info.user, "label": info.label, "id": info.id, "text": text})
    return response


@router.post("/tokens/revoke")
def revoke(request: Request, bs: Signed, csrf: Csrf = "",
           token_id: Annotated[int, Form(ge=1, le=2**62)] = 0) -> Response:
    check_form(bs, csrf, "admin")
    done = _change(request, lambda session: revoke_token(session, token_id))
    return done if isinstance(done, Response) else _back()
