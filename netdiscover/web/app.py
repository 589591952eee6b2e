"""The ASGI application: API and pages on one FastAPI app, JSON errors, security headers, metrics.

``create_app(sessions)`` takes the migrated sessionmaker of the asset database; nothing else
is global, so tests build one app per database.
"""

from __future__ import annotations

import gc
import logging
import threading
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import anyio.to_thread
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, PlainTextResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily
from sqlalchemy.orm import Session, sessionmaker
from starlette.exceptions import HTTPException as StarletteHTTPException

from netdiscover import __version__
from netdiscover.services.accounts import Remembered, remembered_principals
from netdiscover.services.errors import NotFound, OperationError
from netdiscover.services.health import assets_by_status, check_database
from netdiscover.storage.engine import read_sessions
from netdiscover.web import account_pages, api, pages
from netdiscover.web.security import LoginLimiter

log = logging.getLogger(__name__)

CSP = ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; "
       "form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
SECURITY_HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    "Cache-Control": "no-store",
}
# Request work is CPU-bound Python under one GIL: 40 threads taking turns cost more CPU per
# request than a few, and the rest queue fairly; a few more than cores still overlap the waits
# on the database. At 20 clients on 100k assets (SQLite, load average 12-15, two rounds each),
# server CPU per API call was 8.0-9.9 ms with 40 threads, 7.0-7.5 with 8, 8.5-10.4 with 4 under
# h11 and asyncio's loop. Since httptools, uvloop and one session per request (two processes,
# three rounds each, load average 5-9), 4 threads against 8: API p95 62-63 ms against 81-114 on
# PostgreSQL and 100-120 against 116-135 on SQLite; page 104-163 against 131-171 and 173-227
# against 221-260. The price: four slow requests at once (a whole report) hold up the rest.
WORKER_THREADS = 4
ERROR_NAMES = {400: "bad_request", 401: "unauthorized", 403: "forbidden", 404: "not_found",
               405: "method_not_allowed", 409: "conflict", 413: "too_large", 415: "unsupported_media_type",
               422: "invalid_request", 429: "too_many_requests", 500: "internal_error",
               503: "service_unavailable"}


def error_response(status: int, detail: str, headers: dict[str, str] | None = None) -> JSONResponse:
    """The one shape of every API error: {"error", "detail"}."""
    return JSONResponse({"error": ERROR_NAMES.get(status, "error"), "detail": detail}, status_code=status,
                        headers=headers)


def _validation_text(exc: RequestValidationError) -> str:
    parts = []
    for err in exc.errors()[:5]:
        where = ".".join(str(p) for p in err.get("loc", ()) if p not in ("query", "body", "path"))
        parts.append(f"{where or 'request'}: {err.get('msg', 'invalid')}")
    return "; ".join(parts) or "invalid request"


class _AssetCounts:
    """Prometheus collector: assets by review status, read at scrape time."""

    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self.sessions = sessions

    def collect(self) -> Any:
        family = GaugeMetricFamily("netdiscover_assets", "Assets in the database by review status",
                                   labels=["status"])
        with self.sessions() as session:
            counts = assets_by_status(session)
        for status, count in counts.items():
            family.add_metric([status], count)
        yield family


def _metrics(app: FastAPI, sessions: sessionmaker[Session]) -> None:
    registry = CollectorRegistry()
    app.state.registry = registry
    app.state.requests = Counter("netdiscover_http_requests", "HTTP requests by route and status",
                                 ["method", "route", "status"], registry=registry)
    app.state.latency = Histogram("netdiscover_http_request_duration_seconds", "HTTP request latency",
                                  ["route"], registry=registry,
                                  buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10))
    registry.register(_AssetCounts(sessions))


class _HeadersAndMetrics:
    """ASGI middleware: security headers on every response; request count and latency per route."""

    def __init__(self, app: Any, app_state: Any) -> None:
        self.app = app
        self.state = app_state
        self.headers = [(k.lower().encode(), v.encode()) for k, v in SECURITY_HEADERS.items()]

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def send_with_headers(message: Any) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                present = {k.lower() for k, _v in message.get("headers", [])}
                message["headers"] = [*message.get("headers", []),
                                      *(h for h in self.headers if h[0] not in present)]
            await send(message)

        try:
            await self.app(scope, receive, send_with_headers)
        finally:
            route = getattr(scope.get("route"), "path", "unmatched")
            self.state.requests.labels(scope["method"], route, str(status)).inc()
            self.state.latency.labels(route).observe(time.perf_counter() - started)


@asynccontextmanager
async def _server_process(_app: FastAPI) -> AsyncIterator[None]:
    """Settings of a process that serves the app: database work on at most WORKER_THREADS
    threads at once (anyio's default is 40), and everything built at startup (modules, the
    app, its templates and table metadata) kept out of the cyclic garbage collector's passes
    (gc.freeze): a page makes enough objects to set off collections, which walked that whole
    heap each time (the unknown list, in process: 7.4 ms of CPU per page, 6.2-6.3 frozen)."""
    anyio.to_thread.current_default_thread_limiter().total_tokens = WORKER_THREADS
    gc.collect()
    gc.freeze()
    yield


def create_app(sessions: sessionmaker[Session], *, limiter: LoginLimiter | None = None,
               principals: Remembered | None = None) -> FastAPI:
    """The web application over the asset database of ``sessions``; ``principals`` remembers who
    tokens and browser sessions act as (``accounts.remembered_principals()`` unless given)."""
    app = FastAPI(title="netdiscover", version=__version__, docs_url=None, redoc_url=None,
                  openapi_url="/openapi.json", lifespan=_server_process,
                  description="Discovered assets, the unknown-device report and review decisions.")
    app.state.sessions = sessions           # writes (write_session) and logins
    app.state.reads = read_sessions(sessions)

    app.state.limiter = limiter or LoginLimiter()
    app.state.principals = principals if principals is not None else remembered_principals()
    app.state.subnet_index = None
    app.state.site_names = None
    app.state.index_lock = threading.Lock()
    _metrics(app, app.state.reads)

    def error(request: Request, status: int, message: str, headers: dict[str, str] | None = None) -> Response:
        if pages.is_page(request):
            return pages.error_page(request, status, message)
        return error_response(status, message, headers)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        if pages.is_page(request) and exc.status_code == 303 and exc.headers:
            return RedirectResponse(exc.headers["Location"], status_code=303)
        return error(request, exc.status_code, str(exc.detail), getattr(exc, "headers", None))

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError) -> Response:
        return error(request, 422, _validation_text(exc))

    @app.exception_handler(OperationError)
    async def bad_operation(request: Request, exc: OperationError) -> Response:
        return error(request, 422, str(exc))

    @app.exception_handler(NotFound)
    async def not_found(request: Request, exc: NotFound) -> Response:
        return error(request, 404, str(exc))

    @app.exception_handler(Exception)
    async def crashed(request: Request, exc: Exception) -> Response:
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        return error_response(500, "internal error; the server log has the details")

    @app.get("/healthz", include_in_schema=True, summary="Liveness and database check (no auth)",
             responses={503: {"model": api.ErrorBody}})
    def healthz() -> Response:
        try:
            with app.state.reads() as session:
                check_database(session)
        except Exception as exc:  # any database failure means "not healthy", reported not raised
            return error_response(503, f"database unavailable: {type(exc).__name__}")
        return JSONResponse({"status": "ok", "version": __version__})

    @app.get("/metrics", include_in_schema=False)
    def metrics() -> Response:
        return PlainTextResponse(generate_latest(app.state.registry).decode(), media_type=CONTENT_TYPE_LATEST)

    app.add_middleware(_HeadersAndMetrics, app_state=app.state)
    app.include_router(api.router)
    app.include_router(pages.router)
    app.include_router(account_pages.router)
    app.mount("/static", StaticFiles(directory=Path(__file__).parent / "static"), name="static")
    return app


def app_from_env() -> FastAPI:
    """The app for the database named by NETDISCOVER_DB (for ``serve --workers N``: one per process)."""
    import os

    from netdiscover.storage.engine import open_database

    return create_app(open_database(os.environ.get("NETDISCOVER_DB")))
