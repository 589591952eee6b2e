"""The REST API under /api/v1: assets, reports, review decisions, scans, events, sites, inventory, sweeps.

Every route authenticates a bearer token, checks the role, and calls one function of
``netdiscover.services``; the JSON it returns is what the matching CLI command prints.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, File, Form, HTTPException, Path, Query, Request, Response, UploadFile
from fastapi.concurrency import run_in_threadpool
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel, Field
from sqlalchemy.orm import Session

from netdiscover.scanners import SCANNERS
from netdiscover.services import history, reports, sweep_requests, uploads
from netdiscover.services.accounts import Principal, principal_for_token
from netdiscover.services.assets import asset_detail, asset_page_json, parse_asset_query
from netdiscover.services.params import MAX_LIMIT, blank, since_param
from netdiscover.services.review import review
from netdiscover.services.sites import site_rows
from netdiscover.storage.engine import write_session


class ErrorBody(BaseModel):
    """Every error response."""

    error: str
    detail: str


class Page(BaseModel):
    """One page of a listing; pass ``next_cursor`` back as ``cursor`` for the next (null: no more)."""

    items: list[dict[str, Any]]
    next_cursor: str | None


class ReviewRequest(BaseModel):
    """A reviewer's decision on one asset."""

    decision: Literal["approve", "ignore", "rogue", "undo"]
    note: str | None = Field(default=None, max_length=2000)


class ReviewOutcome(BaseModel):
    """What a decision did."""

    asset_id: int
    old_status: str
    new_status: str
    event_id: int


# The methods a sweep may name are the scanner registry's, so a new scanner is accepted here too.
ScanMethod = Literal[tuple(SCANNERS)]  # type: ignore[valid-type]


class SweepCreate(BaseModel):
    """A sweep to queue for the daemon or a worker."""

    targets: list[str] = Field(min_length=1, max_length=256)
    methods: list[ScanMethod] | None = None
    profile: str | None = Field(default=None, max_length=64)
    note: str | None = Field(default=None, max_length=2000)


class ImportResult(BaseModel):
    """What an inventory upload did (or would do, with dry_run)."""

    records: int
    created: int
    updated: int
    unchanged: int
    skipped: list[str]
    dry_run: bool


ERRORS: dict[int | str, dict[str, Any]] = {
    code: {"model": ErrorBody, "description": text}
    for code, text in ((400, "unreadable body"), (401, "no or bad token"), (403, "role too low"),
                       (404, "no such asset"), (422, "bad parameter"))
}
bearer = HTTPBearer(auto_error=False, description="A token from `netdiscover token create`.")
router = APIRouter(prefix="/api/v1", responses=ERRORS)


Token = Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]


def authorise(request: Request, session: Session, credentials: HTTPAuthorizationCredentials | None,
              needed: str) -> Principal:
    """The token's user when its role is ``needed`` or above; 401 without a valid token, else 403.
    Who a token acts as is remembered for a few seconds (``app.state.principals``)."""
    found = None
    if credentials is not None:
        found = principal_for_token(session, credentials.credentials, request.app.state.principals)
    if found is None:
        raise HTTPException(401, "a valid token is needed: Authorization: Bearer TOKEN",
                            headers={"WWW-Authenticate": "Bearer"})
    if not found.can(needed):
        raise HTTPException(403, f"this needs the {needed} role; {found.name} is {found.role}")
    return found


def role(needed: str) -> Any:
    """A dependency admitting ``needed`` and the roles above it (for the writing routes).

    Synchronous on purpose, like everything that touches the database: when all pooled
    connections are busy, waiting for one must block a worker thread, never the event loop.
    Its session is closed before it returns: no connection is held from one thread hop to
    the next (see ``pages.reading``), so the route's own write session never waits on it.
    """
    def check(request: Request, credentials: Token) -> Principal:
        with request.app.state.reads() as session:
            return authorise(request, session, credentials, needed)
    return check


async def read(request: Request, credentials: HTTPAuthorizationCredentials | None,
               work: Callable[[Session], Any]) -> Response:
    """A viewer's read: token check, ``work`` and its JSON in one session, opened and closed in
    one worker-thread hop (see ``pages.reading``; per-step dependencies took four hops)."""
    def run() -> Any:
        with request.app.state.reads() as session:
            authorise(request, session, credentials, "viewer")
            return work(session)
    return await run_in_threadpool(run)


Reviewer = Annotated[Principal, Depends(role("reviewer"))]
Admin = Annotated[Principal, Depends(role("admin"))]
Limit = Annotated[int, Query(ge=1, le=MAX_LIMIT)]
AssetId = Annotated[int, Path(ge=1, le=2**62)]
STATUS_HELP = "documented, undocumented, approved, ignored, rogue (repeat or comma-separate)"


def fast_json(data: Any, status_code: int = 200) -> Response:
    """JSON text written straight from plain data (the routes' data is JSON-native already)."""
    return Response(json.dumps(data, ensure_ascii=False, separators=(",", ":"), default=str),
                    status_code=status_code, media_type="application/json")


def report_json(rows: list[dict[str, Any]]) -> Response:
    """The rows as the CLI's ``--format json`` prints them, byte for byte."""
    from netdiscover.reports.render_json import render_json

    return Response(render_json(rows), media_type="application/json")


@router.get("/assets", response_model=Page, summary="List assets (filters, sort, cursor pagination)")
async def list_assets(
    request: Request, credentials: Token,
    status: Annotated[list[str] | None, Query(description=STATUS_HELP)] = None,
    device_class: str | None = None, vendor: str | None = None, site: str | None = None,
    subnet: Annotated[str | None, Query(description="CIDR, e.g. 10.0.0.0/24")] = None,
    q: Annotated[str | None, Query(description="text in hostname, IP, MAC, vendor or model")] = None,
    seen_since: Annotated[str | None, Query(description="24h, 7d or an ISO date")] = None,
    sort: Annotated[Literal["id", "-id", "first_seen", "-first_seen", "last_seen", "-last_seen"],
                    Query()] = "id",
    limit: Limit = 100, cursor: str | None = None,
) -> Response:
    def page(session: Session) -> Response:
        query = parse_asset_query(status, device_class, vendor, site, subnet, q, seen_since, sort)
        return Response(asset_page_json(session, query, limit, cursor), media_type="application/json")
    return await read(request, credentials, page)


@router.get("/assets/{asset_id}", response_model=dict[str, Any],
            summary="One asset with interfaces, IP history, services, evidence, events")
async def get_asset(request: Request, credentials: Token, asset_id: AssetId) -> Response:
    return await read(request, credentials, lambda session: fast_json(asset_detail(session, asset_id)))


@router.post("/assets/{asset_id}/review", response_model=list[ReviewOutcome],
             summary="Approve, ignore, flag as rogue, or undo (reviewer)")
def review_asset(who: Reviewer, request: Request, asset_id: AssetId,
                 body: ReviewRequest) -> list[dict[str, Any]]:
    with write_session(request.app.state.sessions) as session:
        return review(session, [asset_id], body.decision, who.name, body.note)


@router.get("/reports/unknown", response_model=list[dict[str, Any]],
            summary="The unknown-device report (as `report unknown --format json`)")
async def report_unknown(request: Request, credentials: Token, since: str | None = None,
                         site: str | None = None) -> Response:
    from netdiscover.reports.unknown_json import json_array

    def rows(session: Session) -> Response:
        texts = reports.iter_unknown_json_rows(session, since=since_param(since), site=blank(site))
        return Response("".join(json_array(texts)) + "\n", media_type="application/json")
    return await read(request, credentials, rows)


@router.get("/reports/changes", response_model=list[dict[str, Any]],
            summary="Recent changes (as `report changes --format json`)")
async def report_changes(request: Request, credentials: Token, since: str = "24h",
                         site: str | None = None) -> Response:
    def rows(session: Session) -> Response:
        return report_json(reports.change_rows(session, since_param(since, default="24h"), site=blank(site)))
    return await read(request, credentials, rows)


@router.get("/reports/missing", response_model=list[dict[str, Any]],
            summary="Documented assets not seen lately (as `report missing --format json`)")
async def report_missing(request: Request, credentials: Token,
                         days: Annotated[int, Query(ge=0, le=36500)] = 7,
                         site: str | None = None) -> Response:
    return await read(request, credentials,
                      lambda session: report_json(reports.missing_rows(session, days, site=blank(site))))


@router.get("/scans", response_model=list[dict[str, Any]], summary="The latest sweeps, newest first")
async def list_scans(request: Request, credentials: Token, limit: Limit = 50) -> Response:
    return await read(request, credentials, lambda session: fast_json(history.scans(session, limit)))


@router.get("/events", response_model=Page, summary="Asset events in order (since a moment, after an id)")
async def list_events(request: Request, credentials: Token, since: str | None = None,
                      cursor: Annotated[int | None,
                                        Query(ge=0, le=2**62, description="last event id seen")] = None,
                      limit: Limit = 500) -> Response:
    return await read(request, credentials,
                      lambda session: fast_json(history.events(session, since, cursor, limit)))


@router.get("/sites", response_model=list[dict[str, Any]],
            summary="Sites and their collectors: heartbeat, version, last sweep (as `sites --format json`)")
async def list_sites(request: Request, credentials: Token) -> Response:
    return await read(request, credentials, lambda session: fast_json(site_rows(session)))


@router.post("/inventory", response_model=ImportResult, summary="Import a CSV or JSON inventory (admin)")
def import_inventory(
    who: Admin, request: Request, file: Annotated[UploadFile, File()],
    format: Annotated[Literal["csv", "json"] | None, Form()] = None,
    skip_invalid: Annotated[bool, Form()] = False,
    encoding: Annotated[str, Form(max_length=40)] = "utf-8",
    dry_run: Annotated[bool, Form()] = False,
) -> dict[str, Any]:
    data = file.file.read(uploads.MAX_UPLOAD + 1)
    outcome = uploads.import_inventory(request.app.state.sessions, data, file.filename or "upload",
                                       fmt=format, skip_invalid=skip_invalid, encoding=encoding,
                                       dry_run=dry_run, actor=who.name)
    return outcome.to_dict()


@router.post("/sweeps", status_code=202, response_model=dict[str, Any],
             summary="Queue a sweep for the daemon or a worker (admin); nothing is scanned here")
def queue_sweep(who: Admin, request: Request, body: SweepCreate) -> dict[str, Any]:
    with write_session(request.app.state.sessions) as session:
        return sweep_requests.queue_sweep(session, body.targets, body.methods, body.profile, body.note,
                                          who.name)
