"""The missing report: documented assets the network has not shown for N days, or never.

Only assets expected on the network count: documented or approved, and not in a lifecycle
state that keeps them off it (planned, procured, retired, disposed).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from netdiscover.reports.columns import Column, joined
from netdiscover.reports.text import when
from netdiscover.storage.models import Asset

EXPECTED_STATUSES = ("documented", "approved")
OFF_NETWORK_STATES = ("planned", "procured", "retired", "disposed")


def missing_row(a: Asset, now: datetime) -> dict[str, Any]:
    """The row of one missing asset (interfaces and addresses loaded), ``days_unseen`` as of ``now``."""
    last = a.last_seen if a.last_seen is None or a.last_seen.tzinfo else a.last_seen.replace(tzinfo=UTC)
    return {
        "id": a.id, "asset_tag": a.asset_tag, "hostname": a.hostname, "status": a.status,
        "device_class": a.device_class, "vendor": a.vendor, "model": a.model,
        "owner": a.owner, "location": a.location, "site": a.site,
        "lifecycle_state": a.lifecycle_state,
        "macs": sorted({i.mac for i in a.interfaces}),
        "ips": sorted({ad.ip for ad in a.addresses if ad.current}),
        "last_seen": last.isoformat() if last else None,
        "days_unseen": (now - last).days if last else None,
    }


def missing_order(row: dict[str, Any]) -> tuple[bool, int, int]:
    """Sort key of missing rows: never-seen first, then longest gone."""
    return (row["days_unseen"] is not None, -(row["days_unseen"] or 0), row["id"])


MISSING_TABLE = [
    Column("ID", lambda r: r.get("id"), 7),
    Column("TAG", lambda r: r.get("asset_tag"), 14),
    Column("HOSTNAME", lambda r: r.get("hostname"), 24),
    Column("CLASS", lambda r: r.get("device_class"), 14),
    Column("IP", lambda r: joined(r.get("ips")), 18),
    Column("MAC", lambda r: joined(r.get("macs")), 17),
    Column("OWNER", lambda r: r.get("owner"), 18),
    Column("LOCATION", lambda r: r.get("location"), 20),
    Column("LAST SEEN", lambda r: when(r.get("last_seen")) or "never", 16),
    Column("DAYS", lambda r: r.get("days_unseen") if r.get("days_unseen") is not None else "-", 5),
]

MISSING_CSV = [
    Column("id", lambda r: r.get("id")),
    Column("asset_tag", lambda r: r.get("asset_tag")),
    Column("hostname", lambda r: r.get("hostname")),
    Column("status", lambda r: r.get("status")),
    Column("device_class", lambda r: r.get("device_class")),
    Column("vendor", lambda r: r.get("vendor")),
    Column("model", lambda r: r.get("model")),
    Column("ips", lambda r: joined(r.get("ips"), " ")),
    Column("macs", lambda r: joined(r.get("macs"), " ")),
    Column("owner", lambda r: r.get("owner")),
    Column("location", lambda r: r.get("location")),
    Column("site", lambda r: r.get("site")),
    Column("lifecycle_state", lambda r: r.get("lifecycle_state")),
    Column("last_seen", lambda r: r.get("last_seen")),
    Column("days_unseen", lambda r: r.get("days_unseen")),
]
