"""Passive listening inside the daemon: one thread per ``[[listen]]`` table.

Each job opens the receive-only listener on its interfaces, records one ``scans`` row
(method ``passive``) for its whole life, and every ``flush`` seconds reconciles what it heard
through the same entry point as ``netdiscover listen`` (never proving that anything is gone).
``stop()`` is safe from any thread; the job then flushes once more and closes its scan row.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from netdiscover.config import ListenSettings

if TYPE_CHECKING:
    from netdiscover.services.listening import ListenRun

LISTEN_FOREVER = 10 * 366 * 86400.0     # the listener's duration; stop() ends it sooner
MAX_ERRORS = 20                         # messages kept on the scan row

ListenerFactory = Callable[[list[str]], Any]   # interfaces -> Listener-like (open/run/stop/close)
Emit = Callable[..., None]


def default_listener(interfaces: list[str]) -> Any:
    """The real passive listener."""
    from netdiscover.scanners.passive.listener import Listener

    return Listener(interfaces)


class ListenJob:
    """One ``[[listen]]`` section running in its own thread."""

    def __init__(self, settings: ListenSettings, sessions: Any, emit: Emit, started_by: str,
                 factory: ListenerFactory | None = None) -> None:
        self.settings = settings
        self.sessions = sessions
        self.emit = emit
        self.started_by = started_by
        self.factory = factory or default_listener
        self.listener: Any = None
        self.scan_id: int | None = None
        self.run: ListenRun | None = None
        self.counts: dict[str, int] = {"new": 0, "updated": 0, "unchanged": 0, "devices": 0}
        self.errors: list[str] = []
        self._stopped = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True,
                                       name=f"listen-{'+'.join(settings.interfaces)}")

    @property
    def name(self) -> str:
        return ",".join(self.settings.interfaces)

    def start(self) -> bool:
        """Open the listener (False, with an event, when it cannot) and start listening."""
        try:
            self.listener = self.factory(list(self.settings.interfaces))
            self.listener.open()
        except Exception as exc:     # no such interface, no privilege: the schedule keeps running
            self.emit("listen.failed", logging.ERROR, interfaces=self.name,
                      error=f"{type(exc).__name__}: {exc}")
            return False
        self.thread.start()
        return True

    def stop(self) -> None:
        self._stopped.set()
        if self.listener is not None:
            self.listener.stop()

    def join(self, timeout: float) -> bool:
        """Wait for the job to end; True when it did."""
        if self.thread.is_alive():
            self.thread.join(timeout)
        return not self.thread.is_alive()

    def _run(self) -> None:
        from netdiscover.services.listening import ListenRun

        try:
            self.run = ListenRun.start(self.sessions, self.settings.interfaces, self.started_by,
                                       site=self.settings.site)
            self.scan_id = self.run.scan_id
        except Exception as exc:
            self.emit("listen.failed", logging.ERROR, interfaces=self.name,
                      error=f"{type(exc).__name__}: {exc}")
            self.listener.close()
            return
        self.emit("listen.started", interfaces=self.name, site=self.settings.site, scan_id=self.scan_id,
                  flush_s=self.settings.flush)
        stats = None
        try:
            if not self._stopped.is_set():
                stats = self.listener.run(LISTEN_FOREVER, flush_every=self.settings.flush,
                                          on_flush=self._flush)
        except Exception as exc:
            self.errors.append(f"listener stopped: {type(exc).__name__}: {exc}")
            self.emit("listen.crashed", logging.ERROR, interfaces=self.name, error=self.errors[-1])
        finally:
            self.listener.close()
        observations = getattr(stats, "observations", 0) if stats is not None else 0
        status = "completed" if not self.errors else ("partial" if self.counts["devices"] else "failed")
        try:
            self.run.finish(status, {**self.counts, "observations": observations}, self.errors,
                            error=self.errors[0] if self.errors else None)
        except Exception as exc:
            self.emit("listen.record_failed", logging.ERROR, scan_id=self.scan_id,
                      error=f"{type(exc).__name__}: {exc}")
        self.emit("listen.stopped", interfaces=self.name, scan_id=self.scan_id, status=status,
                  counts=self.counts)

    def _flush(self, observations: list) -> None:
        try:
            rec = self.run.store(observations)
        except Exception as exc:   # keep listening; the next window is stored on its own
            error = f"storing {len(observations)} observations failed: {type(exc).__name__}: {exc}"
            if len(self.errors) < MAX_ERRORS:    # months of a database outage must not fill memory
                self.errors.append(error)
            self.emit("listen.flush_failed", logging.ERROR, interfaces=self.name, error=error)
            return
        for key in self.counts:
            self.counts[key] += getattr(rec, key)
        self.emit("listen.flushed", interfaces=self.name, scan_id=self.scan_id,
                  observations=len(observations), new=rec.new, updated=rec.updated)
