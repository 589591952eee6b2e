"""Sweep alerts: webhook delivered once to a receiver on loopback, retried when it fails; syslog."""

from __future__ import annotations

import json
import socket
import threading
import time
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from sqlalchemy import select

from netdiscover.daemon.alerts import AlertSettingsError, dispatch, parse_settings
from netdiscover.services.sweeps import SweepResult
from netdiscover.storage.models import Address, Asset, AssetEvent, Interface

NOW = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)


class Receiver:
    """A webhook receiver on 127.0.0.1 that answers with scripted status codes (then 200)."""

    def __init__(self, statuses=(), delay: float = 0.0) -> None:
        self.statuses = list(statuses)
        self.delay = delay
        self.requests: list[dict] = []      # every attempt
        self.accepted: list[dict] = []      # the ones answered 2xx
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                body["_alert_id_header"] = self.headers.get("X-Netdiscover-Alert-Id")
                receiver.requests.append(body)
                if receiver.delay:
                    time.sleep(receiver.delay)
                code = receiver.statuses.pop(0) if receiver.statuses else 200
                if 200 <= code < 300:
                    receiver.accepted.append(body)
                self.send_response(code)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver():
    made = []

    def make(statuses=(), delay=0.0):
        r = Receiver(statuses, delay)
        made.append(r)
        return r

    yield make
    for r in made:
        r.close()


def add(session, hostname, status="undocumented", ip="10.40.0.9", mac="00:11:22:33:44:99") -> int:
    asset = Asset(status=status, hostname=hostname, device_class="camera", vendor="Axis", first_seen=NOW,
                  last_seen=NOW, created_at=NOW, updated_at=NOW, methods=["arp"])
    session.add(asset)
    session.flush()
    session.add(Interface(asset_id=asset.id, mac=mac, first_seen=NOW, last_seen=NOW))
    session.add(Address(asset_id=asset.id, ip=ip, current=True, first_seen=NOW, last_seen=NOW))
    return asset.id


def hook(url, **extra):
    return {"webhook": {"url": url, "timeout": 2, "retries": 3, "backoff": 0.05, **extra}}


def alerted(sessions, asset_id):
    with sessions() as s:
        return [e.new for e in s.scalars(select(AssetEvent).where(
            AssetEvent.asset_id == asset_id, AssetEvent.kind == "alerted").order_by(AssetEvent.id))]


def test_webhook_retried_after_500_and_delivered_exactly_once(sessions, receiver):
    r = receiver([500, 503])
    with sessions.begin() as s:
        aid = add(s, "cam-lobby")
    result = SweepResult(scan_id=None, status="completed", new_undocumented_ids=[aid])
    messages = dispatch(hook(r.url), sessions, result)
    assert len(r.requests) == 3 and len(r.accepted) == 1
    body = r.accepted[0]
    assert body["event"] == "new_undocumented" and body["asset"]["id"] == aid
    assert body["asset"]["ips"] == ["10.40.0.9"] and body["asset"]["macs"] == ["00:11:22:33:44:99"]
    assert body["_alert_id_header"] == body["id"]
    assert "webhook ok" in messages[0]
    # The same sweep result again, and a later sweep naming the device again: no second alert.
    assert dispatch(hook(r.url), sessions, result) == []
    assert dispatch(hook(r.url), sessions, SweepResult(scan_id=None, status="completed",
                                                       new_undocumented_ids=[aid])) == []
    assert len(r.accepted) == 1 and len(r.requests) == 3
    assert alerted(sessions, aid) == [{"key": body["id"], "event": "new_undocumented", "ref": "first",
                                       "delivered": ["webhook"], "failed": []}]


def test_failed_delivery_is_retried_after_a_later_sweep(sessions, receiver):
    r = receiver([500, 500])
    with sessions.begin() as s:
        aid = add(s, "cam-yard")
    result = SweepResult(scan_id=None, status="completed", new_undocumented_ids=[aid])
    messages = dispatch(hook(r.url, retries=1), sessions, result)
    assert "FAILED (HTTP 500 after 2 attempts)" in messages[0] and r.accepted == []
    # Next sweep finds nothing new, but the pending alert goes out now that the receiver is back.
    dispatch(hook(r.url, retries=1), sessions, SweepResult(scan_id=None, status="completed"))
    assert [b["asset"]["id"] for b in r.accepted] == [aid]
    dispatch(hook(r.url, retries=1), sessions, SweepResult(scan_id=None, status="completed"))
    assert len(r.accepted) == 1 and len(r.requests) == 3


def test_client_errors_are_not_retried(sessions, receiver):
    bad = receiver([400])
    with sessions.begin() as s:
        a = add(s, "one")
    messages = dispatch(hook(bad.url), sessions,
                        SweepResult(scan_id=None, status="completed", new_undocumented_ids=[a]))
    assert len(bad.requests) == 1 and bad.accepted == [] and "FAILED (HTTP 400)" in messages[0]


def test_timeouts_are_bounded(sessions, receiver):
    slow = receiver(delay=1.5)
    with sessions.begin() as s:
        b = add(s, "two")
    started = time.monotonic()
    messages = dispatch(hook(slow.url, timeout=0.3, retries=1, backoff=0), sessions,
                        SweepResult(scan_id=None, status="completed", new_undocumented_ids=[b]))
    assert time.monotonic() - started < 1.4
    assert len(slow.requests) == 2
    assert "FAILED" in messages[0] and "timed out" in messages[0].lower()


def test_rogue_alerts_once_per_return(sessions, receiver):
    from netdiscover.services.review import decide

    r = receiver()
    with sessions.begin() as s:
        aid = add(s, "pineapple")
        decide(s, "rogue", [aid], by="sec", note="flagged while on the network")
    result = SweepResult(scan_id=None, status="completed", reappeared_rogue_ids=[aid])
    dispatch(hook(r.url), sessions, result)          # still there since it was flagged: no news
    assert r.requests == []

    def leave_and_return():
        with sessions.begin() as s:
            s.add(AssetEvent(asset_id=aid, kind="disappeared", at=NOW))
            s.add(AssetEvent(asset_id=aid, kind="reappeared", at=NOW))

    leave_and_return()
    dispatch(hook(r.url), sessions, result)
    dispatch(hook(r.url), sessions, result)          # seen again in the next sweep: no second alert
    assert [b["event"] for b in r.accepted] == ["rogue_reappeared"]
    leave_and_return()
    dispatch(hook(r.url), sessions, result)
    assert [b["event"] for b in r.accepted] == ["rogue_reappeared", "rogue_reappeared"]
    assert r.accepted[0]["id"] != r.accepted[1]["id"]
    assert r.accepted[1]["asset"]["status"] == "rogue"


def test_reviewed_devices_do_not_alert(sessions, receiver):
    r = receiver()
    with sessions.begin() as s:
        aid = add(s, "laptop", status="approved")
    dispatch(hook(r.url), sessions, SweepResult(scan_id=None, status="completed", new_undocumented_ids=[aid]))
    assert r.requests == []


def test_syslog_over_udp_on_loopback(sessions):
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("127.0.0.1", 0))
    sock.settimeout(5)
    try:
        with sessions.begin() as s:
            aid = add(s, "evil\nhost\x1b[2J", ip="10.40.0.11", mac="00:11:22:33:44:97")
        settings = {"syslog": {"address": f"127.0.0.1:{sock.getsockname()[1]}", "facility": "local3"}}
        result = SweepResult(scan_id=None, status="completed", new_undocumented_ids=[aid])
        messages = dispatch(settings, sessions, result)
        data = sock.recv(4096).decode()
        assert "syslog ok" in messages[0]
        assert data.startswith(f"<{19 * 8 + 4}>netdiscover: new undocumented device: asset {aid}")
        assert "ip=10.40.0.11" in data and "\n" not in data and "\x1b" not in data
        assert dispatch(settings, sessions, result) == []
    finally:
        sock.close()


@pytest.mark.parametrize("raw, message", [
    ({"webhook": {"url": "ftp://x"}}, "must start with http"),
    ({"webhook": {"url": "http://127.0.0.1/", "retries": 99}}, "retries must be a number from 0 to 10"),
    ({"sms": True}, "unknown key 'sms'"),
    ({"events": ["everything"]}, "events must be a list"),
    ({"syslog": {"address": "host:99999"}}, "is not a path"),
    ({"syslog": {"facility": "nope"}}, "unknown facility"),
])
def test_bad_settings_are_one_line_errors(raw, message):
    with pytest.raises(AlertSettingsError, match=message):
        parse_settings(raw)


def test_nothing_configured_sends_nothing(sessions):
    result = SweepResult(scan_id=None, status="completed", new_undocumented_ids=[1])
    assert dispatch({}, sessions, result) == []


def test_alerts_follow_reconciled_sweeps(sessions, receiver):
    import netaddr

    from netdiscover.observation import Observation
    from netdiscover.services.reconcile import reconcile
    from netdiscover.services.review import decide

    r = receiver()
    scope = netaddr.IPSet(["10.50.0.0/24"])

    def sweep(hours, present=True):
        obs = [Observation(method="arp", ip="10.50.0.1", mac="00:1b:21:50:00:01")]
        if present:
            obs.append(Observation(method="arp", ip="10.50.0.66", mac="00:13:37:50:00:66"))
        for o in obs:
            o.seen_at = NOW + timedelta(hours=hours)
        rec = reconcile(sessions, obs, scope=scope, now=NOW + timedelta(hours=hours))
        result = SweepResult(scan_id=None, status="completed", new_undocumented_ids=rec.new_undocumented_ids,
                             reappeared_rogue_ids=rec.rogue_seen_ids)
        return dispatch(hook(r.url), sessions, result)

    sweep(0)
    assert sorted(b["asset"]["ips"][0] for b in r.accepted) == ["10.50.0.1", "10.50.0.66"]
    sweep(1)
    assert len(r.accepted) == 2
    stranger = next(b["asset"]["id"] for b in r.accepted if b["asset"]["ips"] == ["10.50.0.66"])
    with sessions.begin() as s:
        decide(s, "rogue", [stranger], by="sec")
    sweep(2)
    sweep(3, present=False)      # missed once: within the grace, not gone yet
    sweep(4, present=False)      # missed twice and unseen for 2 h: disappeared
    assert len(r.accepted) == 2
    sweep(5)
    assert [b["event"] for b in r.accepted][2:] == ["rogue_reappeared"]
    assert r.accepted[2]["asset"]["id"] == stranger


def test_alerts_beyond_the_per_sweep_limit_go_out_later(sessions, receiver):
    r = receiver()
    with sessions.begin() as s:
        ids = [add(s, f"dev{i}", ip=f"10.40.1.{i}", mac=f"00:11:22:33:45:{i:02x}") for i in range(3)]
    settings = {**hook(r.url), "max_per_sweep": 2}
    messages = dispatch(settings, sessions, SweepResult(scan_id=None, status="completed",
                                                        new_undocumented_ids=ids))
    assert len(r.accepted) == 2 and "1 more held back" in messages[0]
    dispatch(settings, sessions, SweepResult(scan_id=None, status="completed"))
    dispatch(settings, sessions, SweepResult(scan_id=None, status="completed"))
    assert sorted(b["asset"]["id"] for b in r.accepted) == sorted(ids)
