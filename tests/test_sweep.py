"""The sweep pipeline: scanners in, one reconciled result out, failures contained."""

from __future__ import annotations

import sys
import types

import pytest
from sqlalchemy import func, select

from netdiscover import scanners
from netdiscover.observation import Observation
from netdiscover.scanners.base import ScanContext, ScannerUnavailable, ScanOutcome
from netdiscover.scanners.descriptor import ScannerDescriptor
from netdiscover.services.sweeps import SweepRequest, run_sweep
from netdiscover.storage.engine import open_database
from netdiscover.storage.models import Asset, Scan


def _module(name: str, scan) -> None:
    module = types.ModuleType(f"sweeptest_{name}")
    module.NAME = name
    module.scan = scan
    sys.modules[module.__name__] = module


@pytest.fixture
def fake_scanners(monkeypatch):
    """Scanner modules whose scan() returns hand-made observations (unit level: no network)."""

    def seen(ctx: ScanContext) -> ScanOutcome:
        ips = [str(ip) for ip in list(ctx.targets)[:3]]
        macs = ["00:1b:21:00:00:0a", "3c:d9:2b:00:00:0b", "00:80:77:00:00:0c"]
        observations = [Observation("arp", ip=ip, mac=mac) for ip, mac in zip(ips, macs, strict=True)]
        return ScanOutcome("fakearp", observations)

    def crashes(ctx: ScanContext) -> ScanOutcome:
        raise RuntimeError("boom")

    def unavailable(ctx: ScanContext) -> ScanOutcome:
        raise ScannerUnavailable("needs root")

    for name, fn in (("fakearp", seen), ("crashes", crashes), ("unavailable", unavailable)):
        _module(name, fn)
        fake = ScannerDescriptor(name, "test scanner", f"sweeptest_{name}.scan")
        monkeypatch.setitem(scanners.SCANNERS, name, fake)


@pytest.fixture
def sessions(tmp_path):
    return open_database(f"sqlite:///{tmp_path / 'sweep.db'}")


def test_sweep_stores_devices_and_contains_failing_scanners(fake_scanners, sessions):
    request = SweepRequest(targets=["10.99.0.0/29"], methods=["fakearp", "crashes", "unavailable"])
    result = run_sweep(sessions, request)
    assert result.status == "partial"
    assert result.outcomes == {"fakearp": "done", "crashes": "failed", "unavailable": "failed"}
    assert any("boom" in m for m in result.messages)
    assert any("needs root" in m for m in result.messages)
    with sessions() as session:
        assert session.scalar(select(func.count(Asset.id))) == 3
        scan = session.get(Scan, result.scan_id)
        assert scan.status == "partial" and scan.finished_at is not None
    again = run_sweep(sessions, SweepRequest(targets=["10.99.0.0/29"], methods=["fakearp"]))
    assert again.status == "completed"
    with sessions() as session:
        assert session.scalar(select(func.count(Asset.id))) == 3, "a rescan must not create duplicates"


def test_stop_request_aborts_before_anything_is_written(fake_scanners, sessions):
    calls = {"n": 0}

    def stop_after_first_method() -> bool:
        calls["n"] += 1
        return calls["n"] > 1

    request = SweepRequest(targets=["10.99.0.0/29"], methods=["fakearp", "fakearp"])
    result = run_sweep(sessions, request, should_stop=stop_after_first_method)
    assert result.status == "aborted"
    with sessions() as session:
        assert session.scalar(select(func.count(Asset.id))) == 0
        assert session.get(Scan, result.scan_id).status == "aborted"


def test_every_method_failing_is_a_failed_sweep(fake_scanners, sessions):
    result = run_sweep(sessions, SweepRequest(targets=["10.99.0.1"], methods=["crashes"]))
    assert result.status == "failed"
    with sessions() as session:
        assert session.get(Scan, result.scan_id).status == "failed"
