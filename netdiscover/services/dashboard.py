"""The dashboard's figures: assets by status, new undocumented devices per day, risk hints, last sweeps."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from netdiscover.observation import utcnow
from netdiscover.reports.unknown import summary
from netdiscover.services.history import scans
from netdiscover.services.reports import UNKNOWN_STATUSES, iter_unknown_summaries
from netdiscover.storage.assets import count_by_status, first_seen_since
from netdiscover.vocabulary import ASSET_STATUSES

MAX_RISK_ROWS = 2000      # above this many unknown devices the risk counts are left out (too slow)


def dashboard_figures(session: Session, days: int = 30, now: datetime | None = None) -> dict[str, Any]:
    """Counts by status, new undocumented devices per day, risk hints (small lists), last sweeps."""
    now = now or utcnow()
    by_status = dict.fromkeys(ASSET_STATUSES, 0)
    by_status.update(count_by_status(session))
    start = (now - timedelta(days=days - 1)).date()
    per_day: Counter[str] = Counter()
    since = datetime.combine(start, datetime.min.time(), tzinfo=UTC)
    for first_seen in first_seen_since(session, UNKNOWN_STATUSES, since):
        per_day[first_seen.astimezone(UTC).date().isoformat()] += 1
    dates = [(start + timedelta(days=i)).isoformat() for i in range(days)]
    series = [(d, per_day.get(d, 0)) for d in dates]
    unknown = by_status["undocumented"] + by_status["rogue"]
    risks = summary(list(iter_unknown_summaries(session)))["by_risk"] if unknown <= MAX_RISK_ROWS else None
    return {"by_status": by_status, "new_per_day": series, "unknown": unknown, "risks": risks,
            "scans": scans(session, 5)}
