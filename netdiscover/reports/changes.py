"""The changes report: what appeared, changed or disappeared since a moment, from asset_events.

JSON and CSV keep one row per event. The terminal table groups the per-interface and
per-service events one asset got in one sweep (a switch's 48 ``mac_added``) into one line
that names the ports compactly ("48 MACs added on sw-core: Gi1/0/1-48") and never cuts a name.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import UTC
from typing import Any

from netdiscover.reports.columns import Column, TableColumns
from netdiscover.reports.text import plain, when

NEW_KINDS = {"discovered", "imported"}
GONE_KINDS = {"disappeared"}
REVIEW_KINDS = {"approved", "ignored", "rogue", "review_undone"}
HIDDEN_KINDS = {"alerted"}
MAX_ROWS = 20000


def category(kind: str) -> str:
    """new, disappeared, review or changed."""
    if kind in NEW_KINDS:
        return "new"
    if kind in GONE_KINDS:
        return "disappeared"
    if kind in REVIEW_KINDS:
        return "review"
    return "changed"


def _flat(value: Any) -> str:
    if isinstance(value, list | tuple | set):
        return ",".join(_flat(v) for v in value)
    if isinstance(value, dict):
        return ",".join(f"{k}:{_flat(v)}" for k, v in value.items())
    return plain(value, 80)


def _brief(value: Any) -> str:
    if not value:
        return ""
    if isinstance(value, dict):
        return ", ".join(f"{k}={_flat(v)}" for k, v in value.items() if v not in (None, "", [], {}))
    return plain(value, 200)


def change_row(ev: Any, asset: Any | None) -> dict[str, Any]:
    """The row of one event (an asset_events row) about ``asset`` (hostname, status, addresses and
    interfaces; None when it is gone)."""
    at = ev.at if ev.at is None or ev.at.tzinfo else ev.at.replace(tzinfo=UTC)
    row = {
        "event_id": ev.id,
        "at": at.isoformat() if at else None,
        "category": category(ev.kind),
        "kind": ev.kind,
        "asset_id": ev.asset_id,
        "hostname": asset.hostname if asset else None,
        "ips": [a.ip for a in asset.addresses if a.current] if asset else [],
        "status": asset.status if asset else None,
        "old": ev.old,
        "new": ev.new,
        "actor": ev.actor,
        "note": ev.note,
        "scan_id": ev.scan_id,
    }
    mac = _mac_of(ev.new) or _mac_of(ev.old)
    if mac and asset is not None:
        row["interface"] = next((i.name for i in asset.interfaces if i.mac == mac and i.name), None)
    return row


def _mac_of(value: Any) -> str | None:
    return value.get("mac") if isinstance(value, dict) and isinstance(value.get("mac"), str) else None


# Events that come one per interface or service; many of one asset from one sweep make one line.
GROUPED = {
    "mac_added": "MACs added",
    "switch_port_changed": "MACs moved",
    "service_opened": "services opened",
    "service_closed": "services closed",
}
CHANGE_WIDTH = 60
# A name ending in a number without leading zeros (Gi1/0/7, eth0); a MAC is never numbered.
_NUMBERED = re.compile(r"^(?!(?:[0-9a-f]{2}[:-]){5}[0-9a-f]{2}$)(.*?)(0|[1-9]\d*)$", re.IGNORECASE)


def _item(row: dict[str, Any]) -> str:
    """What one grouped event is about: the port name, the MAC, or the service."""
    kind, new, old = row.get("kind"), row.get("new") or {}, row.get("old") or {}
    if kind in ("service_opened", "service_closed"):
        svc = new if kind == "service_opened" else old
        return plain(f"{svc.get('port')}/{svc.get('protocol') or 'tcp'}", 40)
    if kind == "switch_port_changed":
        where = " ".join(str(v) for v in (new.get("switch"), new.get("port")) if v)
        return plain(where or new.get("mac"), 80)
    return plain(row.get("interface") or _mac_of(new) or "", 80)


def _natural(label: str) -> tuple[Any, ...]:
    return tuple(int(p) if p.isdigit() else p for p in re.split(r"(\d+)", label))


def compact(labels: Sequence[str]) -> list[str]:
    """Names in natural order, runs of consecutive numbers joined: Gi1/0/1 ... Gi1/0/48 -> Gi1/0/1-48."""
    out: list[str] = []
    run: tuple[str, int, int] | None = None
    for label in sorted(set(labels), key=_natural):
        m = _NUMBERED.match(label)
        if m and m.group(1)[-1:].isdigit():
            m = None                                  # "port01": a leading zero, keep it whole
        number = int(m.group(2)) if m else None
        if m and run and run[0] == m.group(1) and number == run[2] + 1:
            run = (run[0], run[1], number)
            continue
        if run:
            out.append(_run_text(run))
        run = (m.group(1), number, number) if m else None
        if not m:
            out.append(label)
    if run:
        out.append(_run_text(run))
    return out


def _run_text(run: tuple[str, int, int]) -> str:
    prefix, first, last = run
    return f"{prefix}{first}" if first == last else f"{prefix}{first}-{last}"


def _summary(kind: str, rows: Sequence[dict[str, Any]], budget: int = CHANGE_WIDTH) -> str:
    """"48 MACs added on sw-core: Gi1/0/1-48", whole names only; what does not fit is counted."""
    many = GROUPED[kind]
    host = plain(rows[0].get("hostname"), 40)
    head = f"{len(rows)} {many}" + (f" on {host}" if host else "")
    items = [i for i in compact([_item(r) for r in rows]) if i]
    shown: list[str] = []
    for n, item in enumerate(items):
        rest = len(items) - n - 1
        tail = f" +{rest} more" if rest else ""
        if shown and len(f"{head}: {', '.join([*shown, item])}{tail}") > budget:
            return f"{head}: {', '.join(shown)} +{len(items) - n} more"
        shown.append(item)
    return f"{head}: {', '.join(shown)}" if shown else head


def group_rows(rows: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """Table rows: the grouped kinds of one asset and one sweep folded into one row (newest first)."""
    groups: dict[tuple[Any, ...], list[dict[str, Any]]] = {}
    order: list[tuple[Any, ...] | int] = []
    for n, row in enumerate(rows):
        if row.get("kind") not in GROUPED:
            order.append(n)
            continue
        key = (row.get("asset_id"), row.get("kind"), row.get("scan_id") or row.get("at"))
        if key not in groups:
            groups[key] = []
            order.append(key)
        groups[key].append(row)
    out = []
    for entry in order:
        if isinstance(entry, int):
            out.append(rows[entry])
            continue
        members = groups[entry]
        if len(members) == 1:
            out.append(members[0])
        else:
            out.append({**members[0], "events": len(members),
                        "change_text": _summary(members[0]["kind"], members)})
    return out


def _change_text(row: dict[str, Any]) -> str:
    if row.get("change_text"):
        return row["change_text"]
    old, new = _brief(row.get("old")), _brief(row.get("new"))
    if old and new:
        return f"{old} -> {new}"
    return new or old


CHANGES_TABLE = TableColumns([  # a narrow terminal drops the unmarked columns from the right
    Column("WHEN", lambda r: when(r.get("at")), 16, key=True),
    Column("EVENT", lambda r: r.get("kind"), 19, key=True),
    Column("HOSTNAME", lambda r: r.get("hostname"), 24, key=True, min_width=10, wrap=True),
    Column("CHANGE", _change_text, CHANGE_WIDTH, key=True, min_width=24, wrap=True),
    Column("IP", lambda r: ", ".join(r.get("ips") or []), 18),
    Column("ASSET", lambda r: r.get("asset_id"), 7),
    Column("WHAT", lambda r: r.get("category"), 11),
    Column("BY", lambda r: r.get("actor"), 14),
    Column("NOTE", lambda r: r.get("note"), 30),
], prepare=group_rows)

CHANGES_CSV = [
    Column("at", lambda r: r.get("at")),
    Column("category", lambda r: r.get("category")),
    Column("event", lambda r: r.get("kind")),
    Column("asset_id", lambda r: r.get("asset_id")),
    Column("hostname", lambda r: r.get("hostname")),
    Column("ips", lambda r: " ".join(r.get("ips") or [])),
    Column("status", lambda r: r.get("status")),
    Column("change", _change_text),
    Column("actor", lambda r: r.get("actor")),
    Column("note", lambda r: r.get("note")),
]
