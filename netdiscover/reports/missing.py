"""The missing report: documented assets the network has not shown for N days, or never.

Only assets expected on the network count: documented or approved, and not in a lifecycle
state that keeps them off it (planned, procured, retired, disposed).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from netdiscover.reports.columns import Column, csv_column, field_column
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
    *(field_column(name, width) for name, width in (("id", 7), ("asset_tag", 14), ("hostname", 24),
                                                     ("device_class", 14), ("ips", 18), ("macs", 17),
                                                     ("owner", 18), ("location", 20))),
    field_column("last_seen", 16, get=lambda r: when(r.get("last_seen")) or "never"),
    Column("DAYS", lambda r: r.get("days_unseen") if r.get("days_unseen") is not None else "-", 5),
]

MISSING_CSV = [
    *map(csv_column, ("id", "asset_tag", "hostname", "status", "device_class", "vendor", "model", "ips",
                      "macs", "owner", "location", "site", "lifecycle_state", "last_seen")),
    Column("days_unseen", lambda r: r.get("days_unseen")),
]
