"""The discrepancies report: where sweeps saw another value than the documented one.

One row per (asset, field, observed value), from the ``discrepancies`` table that
reconciliation keeps (``netdiscover.reconcile.sources``): the documented value stays on the
asset; what the network said instead, by which source, how often and when, is listed here.
"""

from __future__ import annotations

from typing import Any

from netdiscover.reports.columns import Column
from netdiscover.reports.text import when
from netdiscover.storage.models import Discrepancy


def discrepancy_row(d: Discrepancy, hostname: str | None, tag: str | None,
                    asset_site: str | None) -> dict[str, Any]:
    """The row of one discrepancy, with its asset's name, tag and site."""
    return {
        "asset_id": d.asset_id, "hostname": hostname, "asset_tag": tag, "site": asset_site,
        "field": d.field, "documented": d.documented, "observed": d.observed, "source": d.source,
        "count": d.count, "first_seen": d.first_seen.isoformat() if d.first_seen else None,
        "last_seen": d.last_seen.isoformat() if d.last_seen else None, "last_scan_id": d.last_scan_id,
    }


DISCREPANCY_TABLE = [
    Column("ASSET", lambda r: r.get("asset_id"), 7),
    Column("HOSTNAME", lambda r: r.get("hostname"), 22),
    Column("FIELD", lambda r: r.get("field"), 9),
    Column("DOCUMENTED", lambda r: r.get("documented"), 24),
    Column("OBSERVED", lambda r: r.get("observed"), 24),
    Column("SOURCE", lambda r: r.get("source"), 8),
    Column("COUNT", lambda r: r.get("count"), 6),
    Column("LAST SEEN", lambda r: when(r.get("last_seen")), 16),
]

DISCREPANCY_CSV = [
    Column(name, lambda r, _n=name: r.get(_n))
    for name in ("asset_id", "asset_tag", "hostname", "site", "field", "documented", "observed", "source",
                 "count", "first_seen", "last_seen", "last_scan_id")
]
