"""Optional Prometheus endpoint of the daemon (prometheus-client): sweep durations and outcomes,
devices seen, undocumented assets and the schedule.

Metrics live in their own registry so several daemons in one process (tests) never clash.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, start_http_server

DURATION_BUCKETS = (1, 5, 15, 30, 60, 120, 300, 600, 1800, 3600, 7200)


class DaemonMetrics:
    """The daemon's metrics; ``serve`` exposes them over HTTP for Prometheus to scrape."""

    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry or CollectorRegistry()
        r = self.registry
        self.duration = Histogram("netdiscover_sweep_duration_seconds", "Wall time of each sweep run",
                                  ["sweep"], buckets=DURATION_BUCKETS, registry=r)
        self.runs = Counter("netdiscover_sweep_runs_total", "Sweep runs by outcome",
                            ["sweep", "status"], registry=r)
        self.devices = Gauge("netdiscover_sweep_devices_seen", "Devices seen by the last run of a sweep",
                             ["sweep"], registry=r)
        self.new_undocumented = Counter("netdiscover_sweep_new_undocumented_total",
                                        "Undocumented devices first seen by a sweep", ["sweep"], registry=r)
        self.last_success = Gauge("netdiscover_sweep_last_success_timestamp_seconds",
                                  "When a sweep last completed (Unix time)", ["sweep"], registry=r)
        self.next_run = Gauge("netdiscover_sweep_next_run_timestamp_seconds",
                              "When a sweep is next due (Unix time)", ["sweep"], registry=r)
        self.running = Gauge("netdiscover_sweep_running", "1 while a sweep runs", ["sweep"], registry=r)
        self.undocumented = Gauge("netdiscover_undocumented_assets",
                                  "Assets nobody has documented, approved or ignored yet", registry=r)
        self.database_up = Gauge("netdiscover_database_up", "1 when the daemon's database answers",
                                 registry=r)

    def serve(self, port: int, address: str = "127.0.0.1") -> None:
        """Start the HTTP endpoint in a background thread."""
        start_http_server(port, addr=address, registry=self.registry)

    def observe_sweep(self, sweep: str, status: str, duration_s: float, result: Any = None) -> None:
        """Record one finished run."""
        self.duration.labels(sweep).observe(duration_s)
        self.runs.labels(sweep, status).inc()
        if result is None:
            return
        counts = getattr(result, "counts", None) or {}
        seen = _devices_seen(counts)
        if seen is not None:
            self.devices.labels(sweep).set(seen)
        new = len(getattr(result, "new_undocumented_ids", None) or [])
        if new:
            self.new_undocumented.labels(sweep).inc(new)
        if status in ("completed", "partial"):
            self.last_success.labels(sweep).set_to_current_time()

    def set_undocumented(self, count: int) -> None:
        self.undocumented.set(count)

    def update_schedule(self, snapshot: dict[str, Any]) -> None:
        """Next-run times, running flags and database health from the daemon's snapshot."""
        self.database_up.set(1 if snapshot.get("database") else 0)
        for name, info in snapshot.get("sweeps", {}).items():
            self.running.labels(name).set(1 if info.get("running_since") else 0)
            if info.get("next_run"):
                self.next_run.labels(name).set(datetime.fromisoformat(info["next_run"]).timestamp())


def _devices_seen(counts: dict[str, Any]) -> int | None:
    for key in ("devices", "devices_seen", "assets_seen", "seen"):
        value = counts.get(key)
        if isinstance(value, int):
            return value
    return None
