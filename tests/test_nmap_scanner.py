"""The nmap scanner's own rules, without a network: chunking, binary checks, bad arguments."""

from __future__ import annotations

import stat

import pytest
from netaddr import IPSet

from netdiscover.scanners import load
from netdiscover.scanners.base import ScanContext, ScannerUnavailable
from netdiscover.scanners.nmap.args import NmapArgsError
from netdiscover.scanners.nmap.scanner import check_nmap, chunk_targets, local_addresses, plan, scan


def test_registered_under_its_name():
    module = load("nmap")
    assert module.NAME == "nmap" and module.scan is scan


def test_chunks_cover_the_targets_exactly_and_stay_bounded():
    targets = IPSet(["10.0.0.0/22", "10.9.0.5", "10.9.0.7", "fd00::/126"])
    chunks = list(chunk_targets(targets, 256))
    covered = IPSet()
    for version, cidrs in chunks:
        part = IPSet(cidrs)
        assert part.size <= 256
        assert all(ip.version == version for ip in part)
        assert not (covered & part)
        covered |= part
    assert covered == targets
    assert [v for v, _ in chunks].count(6) == 1
    assert len(list(chunk_targets(IPSet(["10.0.0.0/24"]), 100))) == 4      # 64-address pieces
    assert list(chunk_targets(IPSet(), 256)) == []


def test_plan_shares_the_rate_between_parallel_chunks():
    ctx = ScanContext(targets=IPSet(["10.0.0.0/23"]), rate=300, nmap_args="-p 80",
                      options={"nmap_parallel": 4})
    command, chunks, parallel = plan(ctx)
    assert len(chunks) == 2 and parallel == 2                 # no more workers than chunks
    assert command.args[command.args.index("--max-rate") + 1] == "150"


def test_too_many_addresses_refused():
    with pytest.raises(ScannerUnavailable):
        plan(ScanContext(targets=IPSet(["10.0.0.0/7"])))


def test_bad_args_refused_before_anything_runs():
    ctx = ScanContext(targets=IPSet(["192.0.2.1"]), nmap_args="--datadir /tmp/x",
                      options={"nmap_path": "/nonexistent/nmap"})
    with pytest.raises(NmapArgsError, match="--datadir"):
        scan(ctx)


def test_missing_nmap_binary_is_a_clear_message():
    ctx = ScanContext(targets=IPSet(["192.0.2.1"]), options={"nmap_path": "/nonexistent/nmap"})
    with pytest.raises(ScannerUnavailable, match=r"nmap binary not found.*apt install nmap"):
        scan(ctx)


def test_too_old_nmap_is_refused(tmp_path):
    old = tmp_path / "nmap"
    old.write_text("#!/bin/sh\necho 'Nmap version 5.21 ( https://nmap.org )'\n")
    old.chmod(old.stat().st_mode | stat.S_IXUSR)
    with pytest.raises(ScannerUnavailable, match=r"nmap 5\.21 is too old"):
        check_nmap(str(old))


def test_installed_nmap_is_accepted():
    try:
        version = check_nmap()
    except ScannerUnavailable as exc:
        pytest.skip(str(exc))
    assert version >= (7, 0)


def test_local_addresses_include_loopback():
    assert "127.0.0.1" in local_addresses()
