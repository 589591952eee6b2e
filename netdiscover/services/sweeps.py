"""Running a sweep, end to end: scope -> scanners -> observations -> fingerprint + reconcile -> storage.

``run_sweep`` is what the ``scan`` command and the daemon both call: ``start_sweep`` puts the
scanners to work in their own thread at once, and ``RunningSweep.finish`` records the sweep, loads
what storing needs (fingerprint tables, the reconciler) while they work, then stores what they
found (the ``scan`` command opens the database in between). Each scanner runs on its
own; one that fails or cannot run is reported in the result and the others go on. With ARP in
the sweep, SNMP and nmap run beside it and start on each host of ARP's segment as ARP finds it
(``collect``, ``scanners.feed``); the other methods run one after another. Nothing is
written to the asset tables until every scanner has finished: reconciliation is one
transaction, so an abort or a crash before or during it leaves the assets as they were.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from netdiscover import scanners
from netdiscover.credentials import SnmpCredential
from netdiscover.observation import Observation, utcnow
from netdiscover.scanners import DEFAULT_METHODS
from netdiscover.scanners.base import ScanContext, ScannerUnavailable, ScanOutcome
from netdiscover.scanners.feed import HostFeed
from netdiscover.scope import Scope, parse_scope

if TYPE_CHECKING:
    from sqlalchemy.orm import Session, sessionmaker

    from netdiscover.reconcile.absence import Grace

log = logging.getLogger("netdiscover.sweep")

MethodProgress = Callable[[str, int, int, str], None]   # (method, done, total, message)
FED_METHODS = ("snmp", "nmap")     # unicast probers that wait for ARP's hosts on its segment


@dataclass
class SweepRequest:
    """What to sweep and how."""

    targets: list[str]
    exclude: list[str] = field(default_factory=list)
    methods: list[str] = field(default_factory=lambda: list(DEFAULT_METHODS))
    interface: str | None = None
    rate: int | None = None
    credentials: list[SnmpCredential] = field(default_factory=list)
    nmap_profile: str = "quick"
    nmap_args: str | None = None
    sweep_name: str | None = None
    started_by: str | None = None
    allow_large: bool = False
    options: dict[str, Any] = field(default_factory=dict)
    grace: Grace | None = None          # before a missed device is disappeared (default 2 sweeps, 1 h)


@dataclass
class SweepResult:
    """How a sweep went and what it changed."""

    scan_id: int | None
    status: str                                   # completed | partial | failed | aborted
    counts: dict[str, int] = field(default_factory=dict)
    messages: list[str] = field(default_factory=list)
    outcomes: dict[str, str] = field(default_factory=dict)   # method -> scanner status
    new_asset_ids: list[int] = field(default_factory=list)
    new_undocumented_ids: list[int] = field(default_factory=list)
    reappeared_rogue_ids: list[int] = field(default_factory=list)
    duration_s: float = 0.0


class SweepAborted(Exception):
    """Raised inside the sweep when ``should_stop`` says so."""


def run_scanner(method: str, ctx: ScanContext) -> ScanOutcome:
    """Run one scanner; turn any failure into a ScanOutcome instead of an exception."""
    try:
        module = scanners.load(method)
        return module.scan(ctx)
    except ScannerUnavailable as exc:
        return ScanOutcome(method=method, status="failed", messages=[f"{method}: {exc}"])
    except Exception as exc:   # a scanner bug must fail that method only, never the sweep
        log.exception("scanner %s crashed", method)
        return ScanOutcome(method=method, status="failed",
                           messages=[f"{method}: crashed: {type(exc).__name__}: {exc}"])


def collect(scope: Scope, request: SweepRequest, progress: MethodProgress | None = None,
            should_stop: Callable[[], bool] | None = None) -> tuple[list[Observation], list[ScanOutcome]]:
    """Run every requested scanner over ``scope``; return all observations and each outcome.

    Methods run one after another, except that ARP and the probers that can wait for its hosts
    (``FED_METHODS``) run side by side, joined by a HostFeed (``scanners.feed``): SNMP and nmap
    start on each host of ARP's segment as soon as ARP has found it.
    """
    done: dict[str, ScanOutcome] = {}
    for group in method_groups(request.methods):
        if should_stop and should_stop():
            raise SweepAborted(f"stopped before {group[0]}")
        if len(group) == 1:
            done[group[0]] = _run_method(group[0], scope, request, progress)
        else:
            done.update(_run_fed(group, scope, request, progress))
    outcomes = [done[method] for method in request.methods]
    return [obs for outcome in outcomes for obs in outcome.observations], outcomes


def method_groups(methods: list[str]) -> list[list[str]]:
    """The order the methods run in: one group per method, but ARP with the fed probers together
    (at the place of the first of them)."""
    fed = [m for m in methods if m in FED_METHODS]
    if "arp" not in methods or not fed:
        return [[m] for m in methods]
    groups: list[list[str]] = []
    for method in methods:
        if method == "arp" or method in FED_METHODS:
            if not any("arp" in g for g in groups):
                groups.append(["arp", *fed])
        else:
            groups.append([method])
    return groups


def _run_fed(group: list[str], scope: Scope, request: SweepRequest,
             progress: MethodProgress | None) -> dict[str, ScanOutcome]:
    """ARP in this thread, each fed prober in its own thread reading the feed ARP fills."""
    feed = HostFeed()
    done: dict[str, ScanOutcome] = {}

    def run_prober(method: str) -> None:
        done[method] = _run_method(method, scope, request, progress, feed)

    # daemon threads: an interrupted sweep (Ctrl-C lands in this thread) must not wait for them
    threads = [threading.Thread(target=run_prober, args=(m,), name=f"sweep-{m}", daemon=True)
               for m in group if m != "arp"]
    for thread in threads:
        thread.start()
    try:
        done["arp"] = arp = _run_method("arp", scope, request, progress, feed)
    except BaseException:               # interrupted: the probers ask what ARP did not
        feed.close(complete=False)
        raise
    feed.close(complete=arp.status == "done")
    for thread in threads:
        thread.join()
    return done


def _run_method(method: str, scope: Scope, request: SweepRequest, progress: MethodProgress | None,
                feed: HostFeed | None = None) -> ScanOutcome:
    """One scanner over the scope, timed, its observations named from the scope's hostnames."""

    def method_progress(done: int, total: int, message: str) -> None:
        if progress:
            progress(method, done, total, message)

    ctx = ScanContext(
        targets=scope.ipset, skip=scope.edges, interface=request.interface, rate=request.rate,
        credentials=list(request.credentials), nmap_profile=request.nmap_profile,
        nmap_args=request.nmap_args, options=dict(request.options), progress=method_progress,
        log=logging.getLogger(f"netdiscover.scan.{method}"), feed=feed,
    )
    started = time.monotonic()
    outcome = run_scanner(method, ctx)
    outcome.stats.setdefault("seconds", round(time.monotonic() - started, 3))
    for obs in outcome.observations:
        if not obs.hostname and obs.ip in scope.hostnames:
            obs.hostname = scope.hostnames[obs.ip]
    log.info("method %s: %s, %d observations in %.2fs", method, outcome.status,
             len(outcome.observations), outcome.stats["seconds"])
    return outcome


def overall_status(outcomes: list[ScanOutcome]) -> str:
    """completed when every method ran fully; failed when none produced anything usable."""
    states = [o.status for o in outcomes if o.status != "skipped"]
    if not states or all(s == "done" for s in states):
        return "completed"
    if all(s == "failed" for s in states):
        return "failed"
    return "partial"


class RunningSweep:
    """A sweep whose scanners are at work in their own thread (``start_sweep``); ``finish`` stores
    what they find, so that the caller can open the database meanwhile."""

    def __init__(self, request: SweepRequest, scope: Scope, progress: MethodProgress | None,
                 should_stop: Callable[[], bool] | None) -> None:
        self.request = request
        self.scope = scope
        self.should_stop = should_stop
        self.started = time.monotonic()
        self.started_at = utcnow()
        self._found: tuple[list[Observation], list[ScanOutcome]] | None = None
        self._error: BaseException | None = None
        # a daemon thread: an interrupted sweep (Ctrl-C lands in the caller's thread) must not wait for it
        self._thread = threading.Thread(target=self._collect, args=(progress,), name="sweep", daemon=True)
        self._thread.start()

    def _collect(self, progress: MethodProgress | None) -> None:
        try:
            self._found = collect(self.scope, self.request, progress, self.should_stop)
        except BaseException as exc:     # handed to the caller's thread by wait()
            self._error = exc

    def wait(self) -> tuple[list[Observation], list[ScanOutcome]]:
        """Every observation and each method's outcome, once the scanners are done (their
        exception, if collecting raised one)."""
        self._thread.join()
        if self._error is not None:
            raise self._error
        assert self._found is not None
        return self._found

    def _mark(self, scan_id: int, what: str) -> None:
        log.debug("sweep %s: %s %.3f s after it started", scan_id, what, time.monotonic() - self.started)

    def finish(self, sessions: sessionmaker[Session]) -> SweepResult:
        """Record the sweep, get reconciling ready while the scanners work, then store what they
        found; never leaves a half-written asset. Everything that goes wrong is recorded on the
        scan row and returned in the result."""
        from netdiscover.reconcile.absence import coverage_of
        from netdiscover.services.reconcile import reconcile
        from netdiscover.storage import scans
        from netdiscover.storage.engine import write_session

        request, scope = self.request, self.scope
        with write_session(sessions) as session:
            scan_id = scans.start_scan(
                session, targets=scope.specs, exclusions=scope.excluded, methods=list(request.methods),
                sweep_name=request.sweep_name, started_by=request.started_by, started_at=self.started_at,
            )
        result = SweepResult(scan_id=scan_id, status="running")
        try:
            _load_fingerprint_tables(request)
            self._mark(scan_id, "ready to store")
            observations, outcomes = self.wait()
            self._mark(scan_id, "scanners done")
            for outcome in outcomes:
                result.messages.extend(outcome.messages)
                result.outcomes[outcome.method] = outcome.status
            result.status = overall_status(outcomes)
            if self.should_stop and self.should_stop():
                raise SweepAborted("stopped before storing")
            if result.status != "failed" or observations:
                rec = reconcile(
                    sessions, observations, scan_id=scan_id, scope=scope.ipset,
                    complete=result.status == "completed", grace=request.grace,
                    coverage=coverage_of(outcomes, scope.ipset),
                )
                result.counts = dict(rec.counts)
                result.new_asset_ids = list(rec.new_asset_ids)
                result.new_undocumented_ids = list(rec.new_undocumented_ids)
                result.reappeared_rogue_ids = list(getattr(rec, "rogue_seen_ids", []) or [])
            result.counts["observations"] = len(observations)
            self._mark(scan_id, "stored")
        except SweepAborted as exc:
            result.status = "aborted"
            result.messages.append(f"aborted: {exc}")
        except KeyboardInterrupt:
            result.status = "aborted"
            result.messages.append("aborted: interrupted")
            raise
        except Exception as exc:
            log.exception("sweep %s failed", scan_id)
            result.status = "failed"
            result.messages.append(f"failed: {type(exc).__name__}: {exc}")
        finally:
            result.duration_s = round(time.monotonic() - self.started, 3)
            _record_outcome(sessions, result)
        return result


def start_sweep(request: SweepRequest, progress: MethodProgress | None = None,
                should_stop: Callable[[], bool] | None = None, scope: Scope | None = None) -> RunningSweep:
    """Put the sweep's scanners to work now, before anything else is loaded or opened.

    Raises ScopeError for bad targets (before anything is sent). Store the result with
    ``RunningSweep.finish(sessions)``.
    """
    scope = scope or parse_scope(request.targets, request.exclude, allow_large=request.allow_large)
    for method in request.methods:
        # imported here, before the sweep's thread starts, so that the caller's next work (opening
        # the database) does not hold the interpreter while a scanner's modules load
        with contextlib.suppress(Exception):     # run_scanner reports it as that method's failure
            scanners.load(method)
    return RunningSweep(request, scope, progress, should_stop)


def run_sweep(sessions: sessionmaker[Session], request: SweepRequest,
              progress: MethodProgress | None = None,
              should_stop: Callable[[], bool] | None = None,
              scope: Scope | None = None) -> SweepResult:
    """Run one sweep and store its result; never leaves a half-written asset.

    Raises ScopeError for bad targets (before anything is written). Everything else that goes
    wrong is recorded on the scan row and returned in the result.
    """
    return start_sweep(request, progress, should_stop, scope).finish(sessions)


def _load_fingerprint_tables(request: SweepRequest) -> None:
    """Load the fingerprint tables this sweep's observations will need now, while the scanners
    work, instead of after them (fingerprinting is optional: without it there is nothing to load)."""
    try:
        from netdiscover.fingerprints.warm import warm
    except ImportError:
        return
    from netdiscover.scanners.nmap.args import detects_services

    kinds = {"mac"}
    if "nmap" in request.methods:
        kinds.add("ports")
        if detects_services(request.nmap_profile, request.nmap_args):
            kinds.add("banners")       # products and banners to match
    if "snmp" in request.methods:
        kinds.add("snmp")
    try:
        warm(kinds)
    except Exception:      # only a head start: reconciling loads (and reports) whatever failed here
        log.debug("loading the fingerprint tables ahead failed", exc_info=True)


def _record_outcome(sessions: sessionmaker[Session], result: SweepResult) -> None:
    """Write the sweep's status, figures and messages on its scans row (a failure is only logged)."""
    from netdiscover.storage import scans
    from netdiscover.storage.engine import write_session

    error = next((m for m in result.messages if m.startswith(("failed:", "aborted:"))), None)
    try:
        with write_session(sessions) as session:
            scans.finish_scan(session, result.scan_id, status=result.status, counts=result.counts,
                                   messages=result.messages, error=error)
    except Exception:
        log.exception("could not record the outcome of scan %s", result.scan_id)
