"""The server-rendered review pages: login, dashboard, unknown devices, asset, sweeps, sites, changes.

Templates are Jinja2 with autoescaping on; every network-supplied string is also passed
through ``plain`` (controls and bidi overrides removed). Forms carry the session's CSRF token;
decisions go through the same operations as the API and the CLI, with the user as author.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Form, HTTPException, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from jinja2 import Environment, PackageLoader, select_autoescape
from sqlalchemy.orm import Session

from netdiscover.fields import PAGE_FIELDS
from netdiscover.reports.text import plain, when
from netdiscover.scanners import SCANNERS
from netdiscover.services import reports, sweep_requests
from netdiscover.services.accounts import (
    BrowserSession,
    authenticate,
    end_session,
    new_session,
    session_for_cookie,
)
from netdiscover.services.assets import asset_detail, parse_asset_query
from netdiscover.services.dashboard import dashboard_figures
from netdiscover.services.errors import NotFound, OperationError
from netdiscover.services.history import scans
from netdiscover.services.params import since_param
from netdiscover.services.review import review
from netdiscover.services.sites import site_names, site_rows
from netdiscover.storage.engine import write_session
from netdiscover.vocabulary import DEVICE_CLASSES
from netdiscover.web.security import LOGIN_COOKIE, SESSION_COOKIE, same_secret

API_PREFIXES = ("/api/", "/healthz", "/metrics", "/openapi.json", "/static/")
UNKNOWN_FILTERS = ("status", "device_class", "risk", "site", "subnet", "q")
RISK_CODES = ("telnet", "ftp", "http-admin", "snmp-default-community", "randomised-mac",
              "iot-on-user-subnet", "new-class-on-subnet")
INDEX_TTL_S = 60.0
PAGE_SIZE = 100

router = APIRouter(include_in_schema=False)
_env = Environment(loader=PackageLoader("netdiscover.web", "templates"),
                   autoescape=select_autoescape(default=True), trim_blocks=True, lstrip_blocks=True)
_env.filters["plain"] = lambda value, limit=200: plain(value, limit)
# a list as one line of safe text, escaped once on output (Jinja's join escapes each item into
# Markup first: twice the work, and plain() of that Markup was escaped a second time)
_env.filters["joined"] = lambda values, limit=200: plain(", ".join(map(str, values or ())), limit)
_env.filters["when"] = when
_env.globals["asset_facts"] = PAGE_FIELDS


def is_page(request: Request) -> bool:
    """True for browser pages (HTML errors), False for the API (JSON errors)."""
    return not request.url.path.startswith(API_PREFIXES)


def render(request: Request, name: str, status: int = 200, **context: Any) -> HTMLResponse:
    """A template rendered with the signed-in user and CSRF token in its context."""
    bs: BrowserSession | None = getattr(request.state, "browser", None)
    html = _env.get_template(name).render(me=bs.principal if bs else None, csrf=bs.csrf_token if bs else "",
                                          path=request.url.path, **context)
    return HTMLResponse(html, status_code=status)


def error_page(request: Request, status: int, detail: str) -> HTMLResponse:
    """An error as a page."""
    return render(request, "error.html", status=status, status_code=status, detail=detail)


def reading(request: Request) -> Session:
    """A session for one page's reads, to be closed in the same thread hop that opens it.

    Pages read on the worker threads (``signed_page``, the forms) and never hold a pooled
    connection across hops (a yield dependency would hold it until after the response): with more
    requests than pooled connections, requests holding one while waiting for a thread, and
    threads waiting for a connection, would stall each other until the pool timeout.
    """
    return request.app.state.reads()


def signed_in(request: Request, session: Session) -> BrowserSession:
    """The signed-in browser, read in ``session``; anyone else goes to the login page."""
    found = session_for_cookie(session, request.cookies.get(SESSION_COOKIE), request.app.state.principals)
    if found is None:
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        location = "/login?" + urlencode({"next": target})
        raise HTTPException(303, "login needed", headers={"Location": location})
    request.state.browser = found
    return found


def browser(request: Request) -> BrowserSession:
    """The signed-in browser (a dependency, for the forms and the pages of other services).

    Its session is its own and closed here (see ``reading``): a route that holds a pooled
    connection must never wait for a second one (services that own their transactions open their own).
    """
    with reading(request) as session:
        return signed_in(request, session)


Signed = Annotated[BrowserSession, Depends(browser)]


async def signed_page(request: Request, work: Callable[[Session, BrowserSession], Response]) -> Response:
    """A signed-in browser's page: the cookie check, ``work``'s reads and the rendering in one
    session, opened and closed in one worker-thread hop (see ``reading``; the ``browser``
    dependency took a hop and a pooled connection of its own)."""
    def run() -> Response:
        with reading(request) as session:
            return work(session, signed_in(request, session))
    return await run_in_threadpool(run)


def check_role(bs: BrowserSession, role: str) -> None:
    """403 unless the signed-in user has ``role`` or above."""
    if not bs.principal.can(role):
        raise HTTPException(403, f"this needs the {role} role; {bs.principal.name} is {bs.principal.role}")


def check_form(bs: BrowserSession, csrf: str, role: str) -> None:
    """403 unless the form carries the session's CSRF token and the user has ``role`` or above."""
    if not same_secret(bs.csrf_token, csrf):
        raise HTTPException(403, "this form has expired or did not come from this site; reload the page")
    check_role(bs, role)


def _safe_next(target: str | None) -> str:
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    return target


def _secure(request: Request) -> bool:
    return request.url.scheme == "https"


# ---- login


@router.get("/login")
def login_form(request: Request, next: str | None = None) -> Response:
    import secrets

    token = secrets.token_urlsafe(24)
    response = render(request, "login.html", login_csrf=token, next=_safe_next(next), error=None)
    response.set_cookie(LOGIN_COOKIE, token, httponly=True, samesite="strict", secure=_secure(request),
                        max_age=3600, path="/login")
    return response


@router.post("/login")
def login(request: Request, username: Annotated[str, Form(max_length=200)] = "",
          password: Annotated[str, Form(max_length=1000)] = "", csrf: Annotated[str, Form()] = "",
          next: Annotated[str, Form()] = "/") -> Response:
    limiter = request.app.state.limiter
    client = request.client.host if request.client else "?"
    keys = (f"ip:{client}", f"user:{username.strip().lower()}")
    if not same_secret(request.cookies.get(LOGIN_COOKIE), csrf):
        return render(request, "login.html", status=403, login_csrf=request.cookies.get(LOGIN_COOKIE) or "",
                      next=_safe_next(next), error="The login form expired; please try again.")
    wait = limiter.retry_after(*keys)
    if wait:
        response = render(request, "login.html", status=429, login_csrf=csrf, next=_safe_next(next),
                          error=f"Too many failed logins; try again in {wait} s.")
        response.headers["Retry-After"] = str(wait)
        return response
    with request.app.state.sessions.begin() as session:     # commits a rehash and the new session
        who = authenticate(session, username.strip(), password)
        cookie = new_session(session, who) if who is not None else None
    if who is None or cookie is None:
        limiter.failed(*keys)
        return render(request, "login.html", status=401, login_csrf=csrf, next=_safe_next(next),
                      error="Wrong user name or password.")
    limiter.succeeded(*keys)
    response = RedirectResponse(_safe_next(next), status_code=303)
    response.set_cookie(SESSION_COOKIE, cookie, httponly=True, samesite="strict", secure=_secure(request),
                        path="/")
    response.delete_cookie(LOGIN_COOKIE, path="/login")
    return response


@router.post("/logout")
def logout(request: Request, bs: Signed, csrf: Annotated[str, Form()] = "") -> Response:
    check_form(bs, csrf, "viewer")
    with request.app.state.sessions.begin() as session:
        end_session(session, request.cookies.get(SESSION_COOKIE))
    request.app.state.principals.clear()
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


# ---- pages


@router.get("/")
async def dashboard(request: Request) -> Response:
    def page(session: Session, _bs: BrowserSession) -> Response:
        data = dashboard_figures(session)
        peak = max([n for _d, n in data["new_per_day"]] + [1])
        return render(request, "dashboard.html", data=data, peak=peak)
    return await signed_page(request, page)


def _subnet_index(request: Request, session: Session) -> Any:
    """Who lives on which subnet, for the subnet risk hints: built once, then refreshed in the
    background when older than INDEX_TTL_S (a pass over every current address takes seconds
    on 100k assets; pages keep using the previous index meanwhile)."""
    state = request.app.state
    cached = state.subnet_index
    if cached is None:
        cached = (time.monotonic(), reports.subnet_index(session))
        state.subnet_index = cached
    elif time.monotonic() - cached[0] > INDEX_TTL_S and state.index_lock.acquire(blocking=False):
        def refresh() -> None:
            try:
                with state.reads() as fresh:
                    state.subnet_index = (time.monotonic(), reports.subnet_index(fresh))
            finally:
                state.index_lock.release()
        threading.Thread(target=refresh, name="subnet-index", daemon=True).start()
    return cached[1]


def _site_names(request: Request, session: Session) -> list[str]:
    """The registered sites, suggested by the list's site filter: read at most every INDEX_TTL_S."""
    state = request.app.state
    cached = state.site_names
    if cached is None or time.monotonic() - cached[0] > INDEX_TTL_S:
        cached = state.site_names = (time.monotonic(), sorted(site_names(session)))
    return cached[1]


@router.get("/unknown")
async def unknown(request: Request, status: str | None = None,
                  device_class: str | None = None, risk: str | None = None, site: str | None = None,
                  subnet: str | None = None, q: str | None = None, cursor: str | None = None,
                  limit: Annotated[int, Query(ge=1, le=500)] = PAGE_SIZE) -> Response:
    filters = {"status": status, "device_class": device_class, "risk": risk, "site": site,
               "subnet": subnet, "q": q}
    kept = {k: v for k, v in filters.items() if v}

    def listing(session: Session, _bs: BrowserSession) -> Response:
        error = None
        try:
            if status and status not in reports.UNKNOWN_STATUSES:
                raise OperationError("status must be undocumented or rogue")
            query = parse_asset_query(status, device_class, None, site, subnet, q, None, "-id")
            page = reports.unknown_page(session, query, limit, cursor, (risk or "").strip() or None,
                                        _subnet_index(request, session))
        except OperationError as exc:
            error, page = str(exc), {"items": [], "next_cursor": None}
        next_url = None
        if page["next_cursor"]:
            next_url = "/unknown?" + urlencode({**kept, "cursor": page["next_cursor"]})
        return render(request, "unknown.html", status=422 if error else 200, rows=page["items"],
                      filters=filters, error=error, next_url=next_url, back=urlencode(kept),
                      classes=DEVICE_CLASSES, risk_codes=RISK_CODES, sites=_site_names(request, session))
    return await signed_page(request, listing)


def _back(query: str) -> str:
    from urllib.parse import parse_qsl

    kept = [(k, v) for k, v in parse_qsl(query)[:20] if k in UNKNOWN_FILTERS]
    return "/unknown" + (f"?{urlencode(kept)}" if kept else "")


@router.post("/unknown/decide")
def decide_many(request: Request, bs: Signed, csrf: Annotated[str, Form()] = "",
                decision: Annotated[str, Form()] = "", note: Annotated[str, Form(max_length=2000)] = "",
                ids: Annotated[list[int], Form()] = [],  # noqa: B006  (FastAPI reads the default)
                back: Annotated[str, Form(max_length=2000)] = "") -> Response:
    check_form(bs, csrf, "reviewer")
    if not ids:
        raise OperationError("select at least one device")
    if len(ids) > 1000:
        raise OperationError("at most 1000 devices at once")
    with write_session(request.app.state.sessions) as session:
        review(session, ids, decision, bs.principal.name, note.strip() or None)
    return RedirectResponse(_back(back), status_code=303)


@router.get("/assets/{asset_id}")
async def asset_page(request: Request, asset_id: int) -> Response:
    def page(session: Session, _bs: BrowserSession) -> Response:
        if not 1 <= asset_id <= 2**62:
            raise NotFound(f"no asset with id {asset_id}")
        row = asset_detail(session, asset_id, _subnet_index(request, session))
        return render(request, "asset.html", a=row)
    return await signed_page(request, page)


@router.post("/assets/{asset_id}/decide")
def decide_one(request: Request, bs: Signed, asset_id: int, csrf: Annotated[str, Form()] = "",
               decision: Annotated[str, Form()] = "",
               note: Annotated[str, Form(max_length=2000)] = "") -> Response:
    check_form(bs, csrf, "reviewer")
    with write_session(request.app.state.sessions) as session:
        review(session, [asset_id], decision, bs.principal.name, note.strip() or None)
    return RedirectResponse(f"/assets/{asset_id}", status_code=303)


@router.get("/sweeps")
async def sweeps(request: Request) -> Response:
    def page(session: Session, _bs: BrowserSession) -> Response:
        return render(request, "sweeps.html", scans=scans(session, 100),
                      requests=sweep_requests.sweep_requests(session), methods=tuple(SCANNERS))
    return await signed_page(request, page)


@router.post("/sweeps")
def queue_sweep(request: Request, bs: Signed, csrf: Annotated[str, Form()] = "",
                targets: Annotated[str, Form(max_length=10000)] = "",
                methods: Annotated[list[str], Form()] = [],  # noqa: B006  (FastAPI reads the default)
                profile: Annotated[str, Form(max_length=64)] = "",
                note: Annotated[str, Form(max_length=2000)] = "") -> Response:
    check_form(bs, csrf, "admin")
    wanted = [t for t in targets.replace(",", " ").split() if t]
    with write_session(request.app.state.sessions) as session:
        sweep_requests.queue_sweep(session, wanted, methods or None, profile.strip() or None,
                                   note.strip() or None, bs.principal.name)
    return RedirectResponse("/sweeps", status_code=303)


@router.get("/sites")
async def sites(request: Request) -> Response:
    def page(session: Session, _bs: BrowserSession) -> Response:
        return render(request, "sites.html", sites=site_rows(session))
    return await signed_page(request, page)


@router.get("/changes")
async def changes(request: Request, since: str = "24h") -> Response:
    def page(session: Session, _bs: BrowserSession) -> Response:
        rows = reports.change_rows(session, since_param(since, default="24h"))
        return render(request, "changes.html", rows=rows[:2000], total=len(rows), since=since)
    return await signed_page(request, page)
