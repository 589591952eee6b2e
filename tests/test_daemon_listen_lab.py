"""The daemon process in a lab namespace: a [[listen]] table hears the segment beside the
schedule and a sweep queued over the web is run, both ending cleanly on SIGTERM."""

from __future__ import annotations

import signal

import pytest
from sqlalchemy import select

from netdiscover.services.sweep_requests import queue_sweep
from netdiscover.storage.auth_models import SweepRequest
from netdiscover.storage.engine import open_database
from netdiscover.storage.models import ObservationRecord, Scan
from netdiscover_lab.arp_lab import small_lab
from netdiscover_lab.daemon_lab import DaemonProcess, settings_text

pytestmark = [pytest.mark.lab, pytest.mark.timeout(90)]

HOSTS = {"10.20.0.10": "00:1b:21:00:00:10", "10.20.0.11": "3c:d9:2b:00:00:11"}


def test_listen_and_queued_request_in_the_daemon(lab, tmp_path):
    net = small_lab(lab)
    for i, (ip, mac) in enumerate(HOSTS.items()):
        net.add_host(f"h{i}", ip, mac)
    d = DaemonProcess(lab, net.scanner.ns, tmp_path / "daemon")
    db = f"sqlite:///{tmp_path}/nd.db"
    sessions = open_database(db)
    with sessions.begin() as s:
        request_id = queue_sweep(s, ["10.20.0.10/32"], ["arp"], None, None, "alice")["id"]
    sweep = {"name": "lan", "targets": ["10.20.0.0/27"], "methods": ["arp"], "interface": "eth0",
             "every": "3s", "jitter": "0s"}
    text = settings_text(db, [sweep], {"log_format": "json", "stop_timeout": "15s", "request_poll": "1s"})
    d.write_settings(text + '\n[[listen]]\ninterfaces = ["eth0"]\nflush = "1s"\n')
    d.start()
    d.wait_for(lambda: d.events("request.finished"), 30, "the queued request")
    d.wait_for(lambda: d.events("listen.flushed"), 30, "a passive flush")
    d.signal(signal.SIGTERM)
    assert d.wait(20) == 0

    finished = d.events("request.finished")[0]
    assert finished["status"] == "done" and finished["request"] == request_id
    stopped = d.events("listen.stopped")
    assert len(stopped) == 1 and stopped[0]["status"] == "completed"
    with sessions() as s:
        row = s.get(SweepRequest, request_id)
        assert row.status == "done" and row.scan_id == finished["scan_id"] and row.error is None
        assert s.get(Scan, row.scan_id).status == "completed"
        listen_scan = s.get(Scan, stopped[0]["scan_id"])
        assert listen_scan.methods == ["passive"] and listen_scan.status == "completed"
        heard = set(s.scalars(select(ObservationRecord.mac)
                              .where(ObservationRecord.scan_id == listen_scan.id)))
        assert heard & set(HOSTS.values()), heard
        assert not list(s.scalars(select(Scan).where(Scan.status == "running")))
