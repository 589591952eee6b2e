"""The operations the web pages and the REST API offer, as typed calls over the existing functions.

Each one calls what the CLI calls (``asset_to_dict``, ``unknown_rows``, ``change_rows``,
``missing_rows``, ``decide``/``undo``, ``parse_file``/``import_records``), so the API returns what
``--format json`` prints. Validation problems raise ``OperationError`` (the API's 422); an
unknown id raises ``NotFound`` (404). Callers own the session and commit writes.
"""

from __future__ import annotations

import base64
import binascii
import json
import tempfile
from collections import Counter
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import netaddr
from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session, sessionmaker

from netdiscover.observation import clean_text, utcnow
from netdiscover.reports import risk as risk_mod
from netdiscover.reports.duration import parse_since
from netdiscover.storage.auth_models import SweepRequest
from netdiscover.storage.models import TZ, Address, Asset, AssetEvent, Interface, Scan, Software
from netdiscover.storage.repository import asset_to_dict, events_for, get_asset, iter_asset_views, list_scans
from netdiscover.vocabulary import ASSET_STATUSES, DEVICE_CLASSES, SCAN_METHODS

SORTS = ("id", "-id", "first_seen", "-first_seen", "last_seen", "-last_seen")
DECISIONS = ("approve", "ignore", "rogue", "undo")
UNKNOWN_STATUSES = ("undocumented", "rogue")
MAX_LIMIT = 1000
MAX_EVENTS = 200
MAX_UPLOAD = 50 * 1024 * 1024
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


class OperationError(ValueError):
    """A request the operation cannot carry out as asked (bad filter, bad body); one line."""


class NotFound(LookupError):
    """The asset (or other object) asked for does not exist."""


@dataclass(frozen=True)
class AssetQuery:
    """Validated filters and order of an asset listing."""

    statuses: tuple[str, ...] = ()
    device_class: str | None = None
    vendor: str | None = None
    site: str | None = None
    subnet: netaddr.IPNetwork | None = None
    q: str | None = None
    seen_since: datetime | None = None
    sort: str = "id"


def _blank(value: str | None) -> str | None:
    return value.strip() or None if isinstance(value, str) else None


def parse_asset_query(
    status: list[str] | str | None = None,
    device_class: str | None = None,
    vendor: str | None = None,
    site: str | None = None,
    subnet: str | None = None,
    q: str | None = None,
    seen_since: str | None = None,
    sort: str | None = None,
) -> AssetQuery:
    """Check and normalise listing filters as users type them; OperationError names the bad one."""
    raw = [status] if isinstance(status, str) else list(status or [])
    statuses = tuple(dict.fromkeys(s.strip() for part in raw for s in part.split(",") if s.strip()))
    for s in statuses:
        if s not in ASSET_STATUSES:
            raise OperationError(f"status {clean_text(s, 40)!r} is not one of {', '.join(ASSET_STATUSES)}")
    device_class = _blank(device_class)
    if device_class is not None and device_class not in DEVICE_CLASSES:
        raise OperationError(f"device_class {clean_text(device_class, 40)!r} is not a known class")
    net = None
    if _blank(subnet):
        try:
            net = netaddr.IPNetwork(subnet.strip()).cidr
        except (netaddr.AddrFormatError, ValueError, TypeError):
            raise OperationError(
                f"subnet {clean_text(subnet, 60)!r} is not a CIDR like 10.0.0.0/24") from None
    cutoff = None
    if _blank(seen_since):
        try:
            cutoff = parse_since(seen_since)
        except (ValueError, OverflowError) as exc:
            raise OperationError(f"seen_since: {clean_text(str(exc), 200)}") from None
    sort = _blank(sort) or "id"
    if sort not in SORTS:
        raise OperationError(f"sort {clean_text(sort, 40)!r} is not one of {', '.join(SORTS)}")
    text = _blank(q)
    if text is not None and len(text) > 200:
        raise OperationError("q is longer than 200 characters")
    return AssetQuery(statuses, device_class, _blank(vendor), _blank(site), net, text, cutoff, sort)


def _like_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _ipv4_patterns(net: netaddr.IPNetwork) -> list[str]:
    """LIKE patterns (or exact IPs) whose union is exactly the IPv4 network's dotted addresses."""
    aligned = min(32, -(-net.prefixlen // 8) * 8)   # the next octet boundary at or after the prefix
    if aligned == 0:
        return ["%.%.%.%"]
    # aligned - prefixlen < 8, so there are at most 2**7 of them.
    subnets = list(net.subnet(aligned)) if aligned != net.prefixlen else [net]
    out = []
    for sub in subnets:
        octets = str(sub.network).split(".")[: aligned // 8]
        out.append(".".join(octets) if aligned == 32 else ".".join(octets) + ".%")
    return out


def _subnet_clause(session: Session, net: netaddr.IPNetwork) -> Any:
    current = select(Address.asset_id).where(Address.current.is_(True))
    if net.version == 4:
        patterns = _ipv4_patterns(net)
        terms = [Address.ip == p if "%" not in p else Address.ip.like(p) for p in patterns]
        return Asset.id.in_(current.where(or_(*terms)))
    # IPv6 text forms do not share prefixes reliably: test the (few) IPv6 addresses in Python.
    ids = set()
    for asset_id, ip in session.execute(select(Address.asset_id, Address.ip)
                                        .where(Address.current.is_(True), Address.ip.like("%:%"))):
        try:
            if netaddr.IPAddress(ip) in net:
                ids.add(asset_id)
        except (netaddr.AddrFormatError, ValueError):
            continue
    return Asset.id.in_(sorted(ids)) if ids else Asset.id.is_(None)


def _filtered(session: Session, query: AssetQuery) -> Any:
    stmt = select(Asset.id)
    if query.statuses:
        stmt = stmt.where(Asset.status.in_(query.statuses))
    if query.device_class:
        stmt = stmt.where(Asset.device_class == query.device_class)
    if query.vendor:
        stmt = stmt.where(func.lower(Asset.vendor) == query.vendor.lower())
    if query.site:
        stmt = stmt.where(Asset.site == query.site)
    if query.seen_since is not None:
        stmt = stmt.where(Asset.last_seen >= query.seen_since)
    if query.subnet is not None:
        stmt = stmt.where(_subnet_clause(session, query.subnet))
    if query.q:
        pattern = f"%{_like_escape(query.q.lower())}%"
        stmt = stmt.where(or_(
            func.lower(Asset.hostname).like(pattern, escape="\\"),
            func.lower(Asset.vendor).like(pattern, escape="\\"),
            func.lower(Asset.model).like(pattern, escape="\\"),
            Asset.id.in_(select(Address.asset_id).where(Address.ip.like(pattern, escape="\\"))),
            Asset.id.in_(select(Interface.asset_id).where(Interface.mac.like(pattern, escape="\\"))),
        ))
    return stmt


def _sort_column(sort: str) -> Any:
    name = sort.lstrip("-")
    if name == "id":
        return None
    # Assets never seen sort as the epoch, so the order (and a cursor into it) is total.
    return func.coalesce(getattr(Asset, name), EPOCH, type_=TZ)


def encode_cursor(sort: str, value: datetime | None, last_id: int) -> str:
    """Opaque cursor text for the row after which the next page starts."""
    payload = [sort, value.isoformat() if value else None, last_id]
    return base64.urlsafe_b64encode(json.dumps(payload).encode()).decode().rstrip("=")


def decode_cursor(cursor: str, sort: str) -> tuple[datetime | None, int]:
    """The (sort value, id) a cursor points after; OperationError when it is not one of ours."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        got_sort, value, last_id = json.loads(raw)
        moment = datetime.fromisoformat(value) if value is not None else None
        if not isinstance(last_id, int) or isinstance(last_id, bool) or abs(last_id) > 2**62:
            raise ValueError("bad id")
    except (binascii.Error, ValueError, TypeError, UnicodeDecodeError, OverflowError):
        raise OperationError("cursor is not a cursor this server returned") from None
    if got_sort != sort:
        raise OperationError("cursor belongs to another sort order; start again without it")
    if moment is not None and moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment, last_id


def _keyset(stmt: Any, sort: str, cursor: str | None) -> Any:
    """Order by the sort key then id, and start after the cursor (stable while rows are added)."""
    col = _sort_column(sort)
    desc = sort.startswith("-")
    if col is None:
        stmt = stmt.order_by(Asset.id.desc() if desc else Asset.id)
    else:
        stmt = stmt.order_by(col.desc() if desc else col, Asset.id.desc() if desc else Asset.id)
    if cursor:
        value, last_id = decode_cursor(cursor, sort)
        if col is None:
            stmt = stmt.where(Asset.id < last_id if desc else Asset.id > last_id)
        else:
            value = value or EPOCH
            after = (col < value) if desc else (col > value)
            tie = Asset.id < last_id if desc else Asset.id > last_id
            stmt = stmt.where(or_(after, and_(col == value, tie)))
    return stmt


def _cursor_after(asset: Any, sort: str) -> str:
    name = sort.lstrip("-")
    value = None if name == "id" else (getattr(asset, name) or EPOCH)
    return encode_cursor(sort, value, asset.id)


def _check_limit(limit: int) -> int:
    if not 1 <= limit <= MAX_LIMIT:
        raise OperationError(f"limit must be between 1 and {MAX_LIMIT}")
    return limit


def _page_assets(session: Session, query: AssetQuery, limit: int,
                 cursor: str | None) -> tuple[list[Any], str | None]:
    stmt = _keyset(_filtered(session, query), query.sort, cursor).limit(_check_limit(limit) + 1)
    assets = list(iter_asset_views(session, list(session.scalars(stmt))))
    more = len(assets) > limit
    assets = assets[:limit]
    return assets, (_cursor_after(assets[-1], query.sort) if more and assets else None)


def asset_page(session: Session, query: AssetQuery, limit: int = 100,
               cursor: str | None = None) -> dict[str, Any]:
    """One page of assets as ``assets list --format json`` items: ``{"items", "next_cursor"}``."""
    assets, next_cursor = _page_assets(session, query, limit, cursor)
    return {"items": [asset_to_dict(a) for a in assets], "next_cursor": next_cursor}


def _event_dict(e: AssetEvent) -> dict[str, Any]:
    return {"id": e.id, "asset_id": e.asset_id, "scan_id": e.scan_id, "kind": e.kind,
            "at": e.at.isoformat() if e.at else None, "actor": e.actor, "note": e.note,
            "old": e.old, "new": e.new}


def _evidence_strength(item: dict[str, Any]) -> float:
    try:
        return float(item.get("weight") or 0.0)
    except (TypeError, ValueError):
        return 0.0


def asset_detail(session: Session, asset_id: int,
                 index: risk_mod.SubnetIndex | None = None) -> dict[str, Any]:
    """The ``assets show --format json`` fields plus interfaces, IP history, software, evidence
    (strongest first), risks and the latest events (oldest first)."""
    from netdiscover.reports.unknown import build_row, records_by_asset

    asset = get_asset(session, asset_id)
    if asset is None:
        raise NotFound(f"no asset with id {asset_id}")
    row = build_row(asset, records_by_asset(session, [asset]).get(asset.id, []), index)
    row["evidence"] = sorted(row["evidence"], key=_evidence_strength, reverse=True)
    row["software"] = [
        {"name": s.name, "version": s.version, "cpe": s.cpe,
         "first_seen": s.first_seen.isoformat() if s.first_seen else None,
         "last_seen": s.last_seen.isoformat() if s.last_seen else None}
        for s in session.scalars(select(Software).where(Software.asset_id == asset_id)
                                 .order_by(Software.name, Software.id))
    ]
    row["events"] = [_event_dict(e) for e in events_for(session, asset_id)[-MAX_EVENTS:]]
    return row


def _since(value: str | None, name: str = "since") -> datetime | None:
    if not _blank(value):
        return None
    try:
        return parse_since(value)
    except (ValueError, OverflowError) as exc:
        raise OperationError(f"{name}: {clean_text(str(exc), 200)}") from None


def unknown_report(session: Session, since: str | None = None,
                   site: str | None = None) -> list[dict[str, Any]]:
    """Exactly the rows of ``report unknown --format json`` (same filters, order and fields)."""
    from netdiscover.reports.unknown import unknown_rows

    return unknown_rows(session, since=_since(since), site=_blank(site))


def subnet_index(session: Session) -> risk_mod.SubnetIndex:
    """Who lives on which subnet (for the subnet risk hints); costs one pass over current addresses."""
    from netdiscover.reports.unknown import subnet_index as build_index

    return build_index(session)


def unknown_page(session: Session, query: AssetQuery, limit: int, cursor: str | None,
                 risk: str | None, index: risk_mod.SubnetIndex | None) -> dict[str, Any]:
    """A page of the unknown-device list (report rows), optionally only rows with risk hint ``risk``."""
    from netdiscover.reports.unknown import build_row, records_by_asset

    statuses = tuple(s for s in query.statuses if s in UNKNOWN_STATUSES) or UNKNOWN_STATUSES
    query = replace(query, statuses=statuses)
    rows: list[dict[str, Any]] = []
    next_cursor = cursor
    for _ in range(20):                       # a risk filter may need several batches; bounded
        assets, next_cursor = _page_assets(session, query, limit, next_cursor)
        records = records_by_asset(session, assets)
        for a in assets:
            row = build_row(a, records.get(a.id, []), index)
            if risk is None or any(h.get("code") == risk for h in row["risks"]):
                rows.append(row)
        if risk is None or len(rows) >= limit or next_cursor is None:
            break
    return {"items": rows, "next_cursor": next_cursor}


def review(session: Session, asset_ids: list[int], decision: str, by: str,
           note: str | None) -> list[dict[str, Any]]:
    """Apply a reviewer's decision (approve, ignore, rogue, undo) to assets; events carry ``by``."""
    from netdiscover.review import ReviewError, decide, undo

    if decision not in DECISIONS:
        raise OperationError(f"decision must be one of {', '.join(DECISIONS)}")
    if note is not None and len(note) > 2000:
        raise OperationError("note is longer than 2000 characters")
    ids = list(dict.fromkeys(asset_ids))
    in_range = [i for i in ids if 1 <= i <= 2**62]
    known = set(session.scalars(select(Asset.id).where(Asset.id.in_(in_range)))) if in_range else set()
    for asset_id in ids:
        if asset_id not in known:
            raise NotFound(f"no asset with id {asset_id}")
    try:
        if decision == "undo":
            outcomes = [undo(session, i, by=by, note=note) for i in ids]
        else:
            outcomes = decide(session, decision, ids, by=by, note=note)
    except ReviewError as exc:
        raise OperationError(str(exc)) from None
    return [{"asset_id": o.asset_id, "old_status": o.old_status, "new_status": o.new_status,
             "event_id": o.event_id} for o in outcomes]


def scan_dict(scan: Scan) -> dict[str, Any]:
    """A scans row as plain data, with its duration in seconds."""
    duration = None
    if scan.finished_at and scan.started_at:
        duration = round((scan.finished_at - scan.started_at).total_seconds(), 3)
    return {"id": scan.id, "sweep_name": scan.sweep_name, "started_by": scan.started_by,
            "targets": list(scan.targets or []), "exclusions": list(scan.exclusions or []),
            "methods": list(scan.methods or []), "status": scan.status,
            "started_at": scan.started_at.isoformat() if scan.started_at else None,
            "finished_at": scan.finished_at.isoformat() if scan.finished_at else None,
            "duration_s": duration, "counts": dict(scan.counts or {}),
            "messages": list(scan.messages or []), "error": scan.error}


def scans(session: Session, limit: int = 50) -> list[dict[str, Any]]:
    """The latest sweeps, newest first."""
    return [scan_dict(s) for s in list_scans(session, limit=_check_limit(limit))]


def events(session: Session, since: str | None = None, after: int | None = None,
           limit: int = 500) -> dict[str, Any]:
    """Asset events in id order: since a moment and/or after an event id (for polling)."""
    stmt = select(AssetEvent).order_by(AssetEvent.id).limit(_check_limit(limit) + 1)
    cutoff = _since(since)
    if cutoff is not None:
        stmt = stmt.where(AssetEvent.at >= cutoff)
    if after is not None:
        stmt = stmt.where(AssetEvent.id > after)
    rows = list(session.scalars(stmt))
    more = len(rows) > limit
    rows = rows[:limit]
    return {"items": [_event_dict(e) for e in rows],
            "next_cursor": str(rows[-1].id) if more and rows else None}


def changes(session: Session, since: str | None = "24h", site: str | None = None) -> list[dict[str, Any]]:
    """The rows of ``report changes --format json``."""
    from netdiscover.reports.changes import change_rows

    return change_rows(session, _since(since or "24h") or parse_since("24h"), site=_blank(site))


def missing(session: Session, days: int = 7, site: str | None = None) -> list[dict[str, Any]]:
    """The rows of ``report missing --format json``."""
    from netdiscover.reports.missing import missing_rows

    if not 0 <= days <= 36500:
        raise OperationError("days must be between 0 and 36500")
    return missing_rows(session, days, site=_blank(site))


@dataclass
class ImportOutcome:
    """What an inventory upload did (or, with dry_run, would do)."""

    records: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    skipped: list[str] = field(default_factory=list)
    dry_run: bool = False

    def to_dict(self) -> dict[str, Any]:
        """Plain data for the API."""
        return {"records": self.records, "created": self.created, "updated": self.updated,
                "unchanged": self.unchanged, "skipped": self.skipped, "dry_run": self.dry_run}


def import_inventory(sessions: sessionmaker[Session], data: bytes, filename: str, *, fmt: str | None,
                     skip_invalid: bool, encoding: str, dry_run: bool, actor: str) -> ImportOutcome:
    """Parse and import an uploaded inventory file like ``inventory import``; dry_run rolls it back."""
    from netdiscover.inventory import InventoryError, parse_file
    from netdiscover.services.inventory import import_records

    if len(data) > MAX_UPLOAD:
        raise OperationError(f"file is larger than {MAX_UPLOAD} bytes")
    if fmt not in (None, "csv", "json"):
        raise OperationError("format must be csv or json")
    suffix = ".json" if (fmt == "json" or (fmt is None and filename.lower().endswith(".json"))) else ".csv"
    with tempfile.TemporaryDirectory(prefix="netdiscover-upload-") as tmp:
        path = Path(tmp) / f"upload{suffix}"
        path.write_bytes(data)
        try:
            records, errors = parse_file(path, fmt=fmt, encoding=encoding, skip_invalid=skip_invalid)
        except InventoryError as exc:
            raise OperationError("; ".join(exc.errors[:5])) from None
        except LookupError:
            raise OperationError(f"unknown encoding {clean_text(encoding, 40)!r}") from None
    result = import_records(sessions, records, actor=actor, dry_run=dry_run)
    return ImportOutcome(result.records, result.created, result.updated, result.unchanged, errors, dry_run)


def queue_sweep(session: Session, targets: list[str], methods: list[str] | None, profile: str | None,
                note: str | None, by: str) -> dict[str, Any]:
    """Record a sweep request for the daemon or a worker; nothing is scanned here."""
    if not targets or len(targets) > 256:
        raise OperationError("targets: give 1 to 256 networks or addresses")
    clean = []
    for target in targets:
        try:
            clean.append(str(netaddr.IPNetwork(str(target).strip()).cidr))
        except (netaddr.AddrFormatError, ValueError, TypeError):
            raise OperationError(f"target {clean_text(target, 60)!r} is not an IP or CIDR") from None
    methods = list(dict.fromkeys(methods or ["arp"]))
    for m in methods:
        if m not in SCAN_METHODS:
            raise OperationError(f"method {clean_text(m, 20)!r} is not one of {', '.join(SCAN_METHODS)}")
    if profile is not None and (len(profile) > 64 or not profile.replace("-", "").replace("_", "").isalnum()):
        raise OperationError("profile: letters, digits, - and _ only (at most 64)")
    row = SweepRequest(requested_by=clean_text(by, 128), requested_at=utcnow(), targets=clean,
                       methods=methods, profile=profile, note=clean_text(note, 2000), status="queued")
    session.add(row)
    session.flush()
    return sweep_request_dict(row)


def sweep_request_dict(row: SweepRequest) -> dict[str, Any]:
    """A sweep request as plain data."""
    return {"id": row.id, "status": row.status, "targets": list(row.targets or []),
            "methods": list(row.methods or []), "profile": row.profile, "note": row.note,
            "requested_by": row.requested_by,
            "requested_at": row.requested_at.isoformat() if row.requested_at else None,
            "scan_id": row.scan_id, "error": row.error}


def sweep_requests(session: Session, limit: int = 50) -> list[dict[str, Any]]:
    """The latest sweep requests, newest first."""
    stmt = select(SweepRequest).order_by(SweepRequest.id.desc()).limit(limit)
    return [sweep_request_dict(r) for r in session.scalars(stmt)]


def dashboard(session: Session, days: int = 30, now: datetime | None = None) -> dict[str, Any]:
    """Counts by status, new undocumented devices per day, risk hints (small lists), last sweeps."""
    from netdiscover.reports.unknown import summary

    now = now or utcnow()
    by_status = dict.fromkeys(ASSET_STATUSES, 0)
    for status, count in session.execute(select(Asset.status, func.count()).group_by(Asset.status)):
        by_status[status] = count
    start = (now - timedelta(days=days - 1)).date()
    per_day: Counter[str] = Counter()
    since = datetime.combine(start, datetime.min.time(), tzinfo=UTC)
    for (first_seen,) in session.execute(select(Asset.first_seen).where(
            Asset.status.in_(UNKNOWN_STATUSES), Asset.first_seen >= since)):
        per_day[first_seen.astimezone(UTC).date().isoformat()] += 1
    dates = [(start + timedelta(days=i)).isoformat() for i in range(days)]
    series = [(d, per_day.get(d, 0)) for d in dates]
    unknown = by_status["undocumented"] + by_status["rogue"]
    risks = summary(unknown_report(session))["by_risk"] if unknown <= 2000 else None
    return {"by_status": by_status, "new_per_day": series, "unknown": unknown, "risks": risks,
            "scans": scans(session, 5)}
