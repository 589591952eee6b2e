"""Alerts after a sweep: a new undocumented device appeared, or a rogue one came back.

Channels, configured in the ``[alerts]`` table of the settings file::

    [alerts]
    events = ["new_undocumented", "rogue_reappeared"]   # default: both
    max_per_sweep = 50                                   # the rest go out after later sweeps

    [alerts.webhook]
    url = "https://hooks.example.org/netdiscover"        # JSON POST, one per alert
    timeout = 5          # seconds per attempt
    retries = 3          # further attempts after a failure (5xx, 429, timeouts, refused)
    backoff = 1.0        # seconds before the first retry, doubled after each
    headers = { "X-Token" = "..." }                      # never logged

    [alerts.syslog]
    address = "/dev/log"  # or "host:514" (UDP), "tcp://host:514"
    facility = "user"

Each delivery is logged as an asset_event of kind ``alerted`` naming the alert key and the
channels that took it, so one device alerts once per event: a channel that failed is retried
after later sweeps (for ``RETRY_WINDOW``), a channel that succeeded is never sent the same alert
again. Webhook bodies carry the key (``id``, also the ``X-Netdiscover-Alert-Id`` header) so a
receiver can drop the rare duplicate after a lost reply.
"""

from __future__ import annotations

import json
import logging
import logging.handlers
import socket
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from netdiscover import __version__
from netdiscover.fields import ALERT_KEYS
from netdiscover.observation import utcnow
from netdiscover.reports.text import plain
from netdiscover.storage import alert_log
from netdiscover.storage.assets import get_asset
from netdiscover.storage.events import record_event
from netdiscover.storage.models import Asset

log = logging.getLogger("netdiscover.alerts")

EVENTS = {
    "new_undocumented": "new undocumented device",
    "rogue_reappeared": "rogue device reappeared",
}
ALERTED = "alerted"
RETRY_WINDOW = timedelta(days=7)
MAX_TIMEOUT = 60.0
MAX_RETRIES = 10
MAX_BACKOFF = 60.0


class AlertSettingsError(ValueError):
    """The [alerts] table cannot be understood."""


@dataclass
class WebhookSettings:
    url: str
    timeout: float = 5.0
    retries: int = 3
    backoff: float = 1.0
    headers: dict[str, str] = field(default_factory=dict, repr=False)


@dataclass
class SyslogSettings:
    address: str | tuple[str, int] = "/dev/log"
    socktype: int = socket.SOCK_DGRAM
    facility: str = "user"


@dataclass
class AlertSettings:
    events: tuple[str, ...] = tuple(EVENTS)
    max_per_sweep: int = 50
    webhook: WebhookSettings | None = None
    syslog: SyslogSettings | None = None

    @property
    def channels(self) -> list[str]:
        return [name for name, on in (("webhook", self.webhook), ("syslog", self.syslog)) if on]


def _number(table: dict, key: str, default: float, low: float, high: float, where: str) -> float:
    value = table.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int | float) or not low <= value <= high:
        raise AlertSettingsError(f"{where}: {key} must be a number from {low:g} to {high:g}")
    return float(value)


def _syslog_address(text: str) -> tuple[str | tuple[str, int], int]:
    if text.startswith("/"):
        return text, socket.SOCK_DGRAM
    socktype = socket.SOCK_DGRAM
    for prefix, kind in (("udp://", socket.SOCK_DGRAM), ("tcp://", socket.SOCK_STREAM)):
        if text.startswith(prefix):
            text, socktype = text[len(prefix):], kind
    host, sep, port = text.rpartition(":")
    if not sep:
        host, port = text, "514"
    host = host.strip("[]")
    if not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise AlertSettingsError(f"[alerts.syslog]: address {text!r} is not a path, host:port or tcp://host:port")
    return (host, int(port)), socktype


def parse_settings(raw: dict[str, Any] | None) -> AlertSettings:
    """Validate the raw ``[alerts]`` table; raises AlertSettingsError with a one-line message."""
    raw = dict(raw or {})
    known = {"events", "max_per_sweep", "webhook", "syslog"}
    extra = sorted(set(raw) - known)
    if extra:
        raise AlertSettingsError(f"[alerts]: unknown key {extra[0]!r}; known: {', '.join(sorted(known))}")
    settings = AlertSettings()
    events = raw.get("events", list(EVENTS))
    if not isinstance(events, list) or any(e not in EVENTS for e in events):
        raise AlertSettingsError(f"[alerts]: events must be a list of {', '.join(EVENTS)}")
    settings.events = tuple(events)
    settings.max_per_sweep = int(_number(raw, "max_per_sweep", 50, 1, 10000, "[alerts]"))

    hook = raw.get("webhook")
    if isinstance(hook, str):
        hook = {"url": hook}
    if hook is not None:
        if not isinstance(hook, dict) or not isinstance(hook.get("url"), str):
            raise AlertSettingsError("[alerts.webhook]: url is required")
        url = hook["url"].strip()
        if not url.lower().startswith(("http://", "https://")):
            raise AlertSettingsError("[alerts.webhook]: url must start with http:// or https://")
        headers = hook.get("headers", {})
        if not isinstance(headers, dict) or not all(isinstance(v, str) for v in headers.values()):
            raise AlertSettingsError("[alerts.webhook]: headers must be a table of strings")
        settings.webhook = WebhookSettings(
            url=url,
            timeout=_number(hook, "timeout", 5.0, 0.1, MAX_TIMEOUT, "[alerts.webhook]"),
            retries=int(_number(hook, "retries", 3, 0, MAX_RETRIES, "[alerts.webhook]")),
            backoff=_number(hook, "backoff", 1.0, 0.0, MAX_BACKOFF, "[alerts.webhook]"),
            headers={str(k): v for k, v in headers.items()},
        )

    sys_raw = raw.get("syslog")
    if sys_raw is True or isinstance(sys_raw, str):
        sys_raw = {} if sys_raw is True else {"address": sys_raw}
    if isinstance(sys_raw, dict):
        facility = str(sys_raw.get("facility", "user"))
        if facility not in logging.handlers.SysLogHandler.facility_names:
            raise AlertSettingsError(f"[alerts.syslog]: unknown facility {facility!r}")
        address, socktype = _syslog_address(str(sys_raw.get("address", "/dev/log")))
        settings.syslog = SyslogSettings(address=address, socktype=socktype, facility=facility)
    elif sys_raw not in (None, False):
        raise AlertSettingsError("[alerts.syslog]: must be a table, true, or an address")
    return settings


# -- what to alert about ---------------------------------------------------------------------------

@dataclass
class Alert:
    """One alert about one asset; ``key`` identifies it across sweeps for deduplication."""

    event: str
    asset_id: int
    ref: str
    scan_id: int | None
    asset: dict[str, Any] = field(default_factory=dict)

    @property
    def key(self) -> str:
        return f"{self.event}:{self.asset_id}:{self.ref}"

    def text(self) -> str:
        a = self.asset
        parts = [f"{EVENTS[self.event]}: asset {self.asset_id}"]
        for label, value in (("ip", ", ".join(a.get("ips") or [])), ("mac", ", ".join(a.get("macs") or [])),
                             ("hostname", a.get("hostname")), ("class", a.get("device_class")),
                             ("vendor", a.get("vendor")), ("model", a.get("model"))):
            if value:
                parts.append(f"{label}={plain(value, 120)}")
        return " ".join(parts)

    def payload(self) -> dict[str, Any]:
        return {"id": self.key, "event": self.event, "title": EVENTS[self.event], "text": self.text(),
                "scan_id": self.scan_id, "at": utcnow().isoformat(), "asset": self.asset,
                "source": f"netdiscover {__version__}"}


def _result_value(result: Any, name: str) -> Any:
    if isinstance(result, dict):
        return result.get(name)
    return getattr(result, name, None)


def _asset_data(asset: Asset) -> dict[str, Any]:
    from netdiscover.reports.unknown import base_dict

    data = base_dict(asset)
    return {k: data.get(k) for k in ALERT_KEYS}


def _candidates(session: Session, result: Any, settings: AlertSettings) -> list[Alert]:
    scan_id = _result_value(result, "scan_id")
    new_ids = list(_result_value(result, "new_undocumented_ids") or [])
    rogue_ids = list(_result_value(result, "reappeared_rogue_ids") or [])
    if scan_id is not None and _result_value(result, "new_undocumented_ids") is None:
        new_ids = alert_log.assets_with_event(session, scan_id, "discovered")
    if scan_id is not None and _result_value(result, "reappeared_rogue_ids") is None:
        rogue_ids = alert_log.assets_with_event(session, scan_id, "reappeared")
    wanted: list[tuple[str, int]] = []
    if "new_undocumented" in settings.events:
        wanted += [("new_undocumented", i) for i in new_ids if i is not None]
    if "rogue_reappeared" in settings.events:
        wanted += [("rogue_reappeared", i) for i in rogue_ids if i is not None]
    alerts = []
    for event, asset_id in dict.fromkeys(wanted):
        ref = "first"
        if event == "rogue_reappeared":
            # A rogue alerts when it comes back after the decision, once per return; one flagged
            # while on the network alerts after it has left and come back.
            latest = alert_log.latest_event_ids(session, asset_id, ("reappeared", "rogue"))
            back, flagged = latest.get("reappeared"), latest.get("rogue")
            if back is None or (flagged is not None and back < flagged):
                continue
            ref = f"event{back}"
        alerts.append(Alert(event, asset_id, ref, scan_id))
    return alerts


def _pending_from_log(session: Session, channels: list[str]) -> tuple[dict[str, set[str]], list[Alert]]:
    """Channels each alert key already reached, and logged alerts some channel still misses."""
    since = utcnow() - RETRY_WINDOW
    delivered: dict[str, set[str]] = {}
    logged: dict[str, Alert] = {}
    for asset_id, new, at, scan_id in alert_log.events_of_kind(session, ALERTED):
        new = new or {}
        key = new.get("key")
        if not key or asset_id is None:
            continue
        delivered.setdefault(key, set()).update(new.get("delivered") or [])
        at = at if at is None or at.tzinfo else at.replace(tzinfo=since.tzinfo)
        if at is not None and at >= since and new.get("event") in EVENTS:
            logged[key] = Alert(new["event"], asset_id, str(new.get("ref")), scan_id)
    retry = [a for k, a in logged.items() if not set(channels) <= delivered.get(k, set())]
    return delivered, retry


# -- channels --------------------------------------------------------------------------------------

def post_webhook(hook: WebhookSettings, payload: dict[str, Any], key: str,
                 sleep: Callable[[float], None] = time.sleep) -> tuple[bool, str]:
    """POST ``payload`` as JSON; retry 5xx, 429 and network errors with doubling backoff.

    Returns (delivered, detail). Every attempt is bounded by ``hook.timeout``; the whole call by
    roughly ``(retries + 1) * timeout`` plus the backoff sleeps.
    """
    body = json.dumps(payload, default=str).encode("utf-8")
    headers = {"Content-Type": "application/json", "User-Agent": f"netdiscover/{__version__}",
               "X-Netdiscover-Alert-Id": key, **hook.headers}
    delay = hook.backoff
    detail = ""
    for attempt in range(hook.retries + 1):
        if attempt:
            sleep(min(delay, MAX_BACKOFF))
            delay *= 2
        request = urllib.request.Request(hook.url, data=body, headers=headers, method="POST")
        try:
            with urllib.request.urlopen(request, timeout=hook.timeout) as response:
                response.read(65536)
                return True, f"HTTP {response.status}"
        except urllib.error.HTTPError as exc:
            detail = f"HTTP {exc.code}"
            if exc.code < 500 and exc.code != 429:
                return False, detail
        except (urllib.error.URLError, TimeoutError, OSError) as exc:
            reason = getattr(exc, "reason", exc)
            detail = f"{type(reason).__name__}: {plain(reason, 200)}"
    return False, f"{detail} after {hook.retries + 1} attempts"


class SyslogSender:
    """A SysLogHandler opened once per dispatch and closed after."""

    def __init__(self, settings: SyslogSettings) -> None:
        facility = logging.handlers.SysLogHandler.facility_names[settings.facility]
        self.handler = logging.handlers.SysLogHandler(address=settings.address, facility=facility,
                                                      socktype=settings.socktype)
        self.handler.ident = "netdiscover: "

    def send(self, text: str) -> tuple[bool, str]:
        record = logging.makeLogRecord({"name": "netdiscover.alerts", "levelno": logging.WARNING,
                                        "levelname": "WARNING", "msg": plain(text, 900)})
        try:
            self.handler.emit(record)
        except OSError as exc:
            return False, f"{type(exc).__name__}: {exc}"
        return True, "sent"

    def close(self) -> None:
        self.handler.close()


# -- the entry point -------------------------------------------------------------------------------

def dispatch(alert_settings: dict[str, Any] | None, sessions: sessionmaker[Session], sweep_result: Any,
             sleep: Callable[[float], None] = time.sleep) -> list[str]:
    """Send the alerts this sweep calls for; return one line per alert (or problem) for the log.

    Never raises for a channel that fails: the failure is returned and retried after a later
    sweep. Raises AlertSettingsError for a bad ``[alerts]`` table.
    """
    settings = parse_settings(alert_settings)
    channels = settings.channels
    if not channels:
        return []
    with sessions() as session:
        delivered, retry = _pending_from_log(session, channels)
        alerts = {a.key: a for a in retry}
        for alert in _candidates(session, sweep_result, settings):
            alerts.setdefault(alert.key, alert)
        todo = []
        for alert in alerts.values():
            missing = [c for c in channels if c not in delivered.get(alert.key, set())]
            asset = get_asset(session, alert.asset_id)
            wanted_status = "rogue" if alert.event == "rogue_reappeared" else "undocumented"
            if not missing or asset is None or asset.status != wanted_status:
                continue
            alert.asset = _asset_data(asset)
            todo.append((alert, missing))
    messages = []
    if len(todo) > settings.max_per_sweep:
        held = todo[settings.max_per_sweep:]
        todo = todo[: settings.max_per_sweep]
        messages.append(f"alerts: {len(held)} more held back for later sweeps")
        log.warning("%s", messages[-1])
        # Logged as not yet delivered, so the next dispatch picks them up.
        _log_deliveries(sessions, [(alert, [], []) for alert, _ in held])
    if not todo:
        return messages

    syslog: SyslogSender | None = None
    syslog_error = ""
    if settings.syslog and any("syslog" in m for _, m in todo):
        try:
            syslog = SyslogSender(settings.syslog)
        except OSError as exc:
            syslog_error = f"syslog unavailable: {type(exc).__name__}: {exc}"
    results = []
    try:
        for alert, missing in todo:
            ok, details = [], []
            for channel in missing:
                if channel == "webhook" and settings.webhook:
                    sent, detail = post_webhook(settings.webhook, alert.payload(), alert.key, sleep=sleep)
                elif channel == "syslog" and syslog is not None:
                    sent, detail = syslog.send(alert.text())
                else:
                    sent, detail = False, syslog_error or "channel unavailable"
                details.append(f"{channel} {'ok' if sent else 'FAILED (' + detail + ')'}")
                if sent:
                    ok.append(channel)
            failed = [c for c in missing if c not in ok]
            results.append((alert, ok, failed))
            line = f"alert {alert.text()}: {', '.join(details)}"
            messages.append(line)
            log.log(logging.WARNING if failed else logging.INFO, "%s", line)
    finally:
        if syslog is not None:
            syslog.close()
    _log_deliveries(sessions, results)
    return messages


def _log_deliveries(sessions: sessionmaker[Session],
                    results: list[tuple[Alert, list[str], list[str]]]) -> None:
    with sessions.begin() as session:
        for alert, ok, failed in results:
            record_event(session, alert.asset_id, ALERTED, scan_id=alert.scan_id, actor="netdiscover",
                         new={"key": alert.key, "event": alert.event, "ref": alert.ref,
                              "delivered": ok, "failed": failed})
