"""Absence as evidence: only a method that could have seen a device, only after the grace (SQLite and
PostgreSQL)."""

from __future__ import annotations

import sys
import types
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import netaddr
import pytest
from sqlalchemy import select

from netdiscover import scanners
from netdiscover.observation import NEIGHBOUR, Observation
from netdiscover.reconcile import Grace, coverage_of
from netdiscover.scanners.base import ScanContext, ScanOutcome
from netdiscover.services.reconcile import reconcile
from netdiscover.services.sweeps import SweepRequest, run_sweep
from netdiscover.storage.assets import list_assets
from netdiscover.storage.models import Address, Asset, AssetEvent, Interface
from netdiscover.storage.repository import asset_to_dict
from netdiscover.storage.scans import start_scan

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
SCOPE = netaddr.IPSet(["10.20.0.0/24"])
OWN_IP = "10.20.0.2"                     # the scanner's own host
ARP_COVERS = SCOPE - netaddr.IPSet([OWN_IP])

ROUTER = ("10.20.0.1", "00:1b:21:00:00:01")      # answers SNMP
SWITCH = ("10.20.0.3", "00:1b:21:00:00:03")      # answers SNMP
PC = ("10.20.0.10", "3c:d9:2b:00:00:10")
PRINTER = ("10.20.0.11", "00:80:77:00:00:11")    # also announces itself (mDNS)
SCANNER = (OWN_IP, "00:1b:21:00:00:02")


def no_fp(_obs):
    return None


def obs(method: str, host: tuple[str, str], at: datetime, **kw) -> Observation:
    return Observation(method=method, ip=host[0], mac=host[1], seen_at=at, **kw)


def sweep(sessions, observations, at, coverage, grace=None, scan_id=None):
    return reconcile(sessions, observations, scope=SCOPE, now=at, fingerprinter=no_fp, coverage=coverage,
                     grace=grace, scan_id=scan_id)


def new_scan(sessions, methods: list[str]) -> int:
    with sessions() as s:
        scan_id = start_scan(s, targets=["10.20.0.0/24"], methods=methods)
        s.commit()
    return scan_id


def full_sweep(sessions, at=T0):
    """ARP sees everyone but our own address; nmap sees everyone; SNMP the router and switch."""
    seen = [obs("arp", h, at) for h in (ROUTER, SWITCH, PC, PRINTER)]
    seen += [obs("nmap", h, at) for h in (ROUTER, SWITCH, PC, PRINTER, SCANNER)]
    seen += [obs("snmp", h, at, hostname=name) for h, name in ((ROUTER, "core-r1"), (SWITCH, "sw1"))]
    seen.append(obs("iot", PRINTER, at, hostname="prn-hq.local"))
    return sweep(sessions, seen, at, {"arp": ARP_COVERS, "nmap": SCOPE, "snmp": SCOPE})


def present(sessions) -> dict[str, bool]:
    with sessions() as s:
        return {a["ips"][0]: a["present"] for a in map(asset_to_dict, list_assets(s))}


def disappeared_events(sessions) -> list[AssetEvent]:
    with sessions() as s:
        return list(s.scalars(select(AssetEvent).where(AssetEvent.kind == "disappeared")))


def test_iot_and_snmp_sweeps_after_a_full_sweep_mark_nothing_disappeared(sessions):
    assert full_sweep(sessions).new == 5
    strict = Grace(misses=1, after_s=0)           # even with no grace at all
    at = T0 + timedelta(hours=2)
    iot = sweep(sessions, [obs("iot", PRINTER, at)], at, coverage_of(
        [ScanOutcome("iot", [obs("iot", PRINTER, at)])], SCOPE), strict)
    at += timedelta(hours=2)
    snmp_seen = [obs("snmp", ROUTER, at), obs("snmp", SWITCH, at)]
    # the router's ARP table (NEIGHBOUR) names the PC: never proof of anything's absence either
    snmp_seen.append(Observation(method="snmp", kind=NEIGHBOUR, ip=PC[0], mac=PC[1], seen_at=at,
                                 reporter="core-r1"))
    snmp = sweep(sessions, snmp_seen, at, coverage_of([ScanOutcome("snmp", snmp_seen)], SCOPE), strict)
    assert (iot.disappeared, iot.missed, snmp.disappeared, snmp.missed) == (0, 0, 0, 0)
    assert all(present(sessions).values()) and len(present(sessions)) == 5
    assert disappeared_events(sessions) == []


def test_arp_sweep_marks_gone_only_after_the_grace_and_never_the_scanner_itself(sessions):
    full_sweep(sessions)
    others = [ROUTER, SWITCH, PRINTER]

    def arp_sweep(minutes: int):
        at = T0 + timedelta(minutes=minutes)
        return sweep(sessions, [obs("arp", h, at) for h in others], at, {"arp": ARP_COVERS},
                     scan_id=new_scan(sessions, ["arp"]))

    first = arp_sweep(10)       # PC missed once
    second = arp_sweep(20)      # missed twice, but seen 20 minutes ago
    assert (first.missed, first.disappeared, second.missed, second.disappeared) == (1, 0, 1, 0)
    assert present(sessions)[PC[0]] is True
    third = arp_sweep(65)       # three misses and over an hour unseen
    last = third.scan_id
    assert (third.disappeared, third.disappeared_ids) == (1, [3])
    assert present(sessions) == {ROUTER[0]: True, SWITCH[0]: True, PC[0]: False, PRINTER[0]: True,
                                 OWN_IP: True}
    [event] = disappeared_events(sessions)
    assert event.scan_id == last and event.new["method"] == "arp" and event.new["scan_id"] == last
    assert event.new["missed_sweeps"] == 3 and "arp" in event.note and f"scan {last}" in event.note
    with sessions() as s:
        pc = s.get(Asset, 3)
        assert pc.missed_sweeps == 0 and pc.last_missed_scan_id == last
        assert s.get(Asset, 5).missed_sweeps == 0        # the scanner's host: ARP never asked it


def test_a_sighting_by_any_method_resets_the_count(sessions):
    full_sweep(sessions)
    grace = Grace(misses=2, after_s=0)
    t1, t2, t3 = (T0 + timedelta(hours=h) for h in (1, 2, 3))
    assert sweep(sessions, [obs("arp", ROUTER, t1)], t1, {"arp": ARP_COVERS}, grace).missed == 3
    with sessions() as s:
        assert s.get(Asset, 3).missed_sweeps == 1 and s.get(Asset, 3).last_missed_at is not None
    sweep(sessions, [obs("iot", PC, t2)], t2, {}, grace)     # IoT saw the PC and proves nothing else
    with sessions() as s:
        assert s.get(Asset, 3).missed_sweeps == 0 and s.get(Asset, 3).last_missed_at is None
        assert s.get(Asset, 2).missed_sweeps == 1
    res = sweep(sessions, [obs("arp", ROUTER, t3)], t3, {"arp": ARP_COVERS}, grace)
    assert sorted(res.disappeared_ids) == [2, 4]         # switch and printer: second miss in a row
    assert present(sessions)[PC[0]] is True


def test_snmp_silence_counts_only_where_the_asset_answered_snmp_before(sessions):
    full_sweep(sessions)
    at = T0 + timedelta(hours=2)
    res = sweep(sessions, [obs("snmp", SWITCH, at)], at, {"snmp": SCOPE}, Grace(misses=1, after_s=0),
                scan_id=new_scan(sessions, ["snmp"]))
    assert res.disappeared_ids == [1]           # the router answered SNMP before; the PC never did
    [event] = disappeared_events(sessions)
    assert event.new["method"] == "snmp" and event.old["ips"] == [ROUTER[0]]


def test_coverage_of_counts_only_methods_that_ran_to_the_end():
    arp_done = ScanOutcome("arp", stats={"covered": ["10.20.0.0/25", "10.99.0.0/24"]})
    nmap_partial = ScanOutcome("nmap", status="partial")
    snmp_failed = ScanOutcome("snmp", status="failed")
    cov = coverage_of([arp_done, nmap_partial, ScanOutcome("iot"), snmp_failed], SCOPE)
    assert cov == {"arp": netaddr.IPSet(["10.20.0.0/25"])}
    assert coverage_of([ScanOutcome("arp")], SCOPE) == {}        # ARP that does not say where it asked


@pytest.fixture
def lab_free_scanners(monkeypatch):
    """Scanners ``arp``/``iot``/``snmp``/``nmap`` replaced by functions returning set sightings."""
    seen: dict[str, list[tuple[str, str]]] = {}

    def make(method: str):
        def scan(ctx: ScanContext) -> ScanOutcome:
            hosts = seen.get(method, [])
            stats = {"covered": [str(c) for c in (ctx.targets - netaddr.IPSet([OWN_IP])).iter_cidrs()]}
            return ScanOutcome(method, [Observation(method, ip=ip, mac=mac) for ip, mac in hosts],
                               stats=stats if method == "arp" else {})
        return scan

    for method in ("arp", "iot", "snmp", "nmap"):
        module = types.ModuleType(f"absencetest_{method}")
        module.NAME, module.scan = method, make(method)
        monkeypatch.setitem(sys.modules, module.__name__, module)
        fake = replace(scanners.SCANNERS[method], scan=f"{module.__name__}.scan")
        monkeypatch.setitem(scanners.SCANNERS, method, fake)
    return seen


def test_partial_sweeps_through_run_sweep_invent_nothing(sessions, lab_free_scanners):
    everyone = [ROUTER, SWITCH, PC, PRINTER]
    lab_free_scanners.update(arp=everyone, nmap=[*everyone, SCANNER], snmp=[ROUTER, SWITCH], iot=[PRINTER])
    strict = Grace(misses=1, after_s=0)
    full = run_sweep(sessions, SweepRequest(targets=["10.20.0.0/24"], grace=strict))
    assert full.status == "completed" and full.counts["new"] == 5
    for methods in (["iot"], ["snmp"], ["iot", "snmp"]):
        res = run_sweep(sessions, SweepRequest(targets=["10.20.0.0/24"], methods=methods, grace=strict))
        assert res.status == "completed" and res.counts["disappeared"] == 0, methods
    assert all(present(sessions).values())
    lab_free_scanners["arp"] = [ROUTER, SWITCH, PRINTER]      # the PC is switched off
    res = run_sweep(sessions, SweepRequest(targets=["10.20.0.0/24"], methods=["arp"], grace=strict))
    assert res.counts["disappeared"] == 1
    assert present(sessions)[PC[0]] is False and present(sessions)[OWN_IP] is True
    [event] = disappeared_events(sessions)
    assert event.scan_id == res.scan_id and event.new["method"] == "arp"


def test_the_grace_comes_from_the_settings_file():
    from netdiscover.config import SettingsError, parse_settings

    settings = parse_settings('[daemon]\ndisappear_after_misses = 3\ndisappear_after = "30m"\n')
    assert (settings.daemon.disappear_after_misses, settings.daemon.disappear_after) == (3, 1800.0)
    default = parse_settings("")
    assert (default.daemon.disappear_after_misses, default.daemon.disappear_after) == (2, 3600.0)
    with pytest.raises(SettingsError, match=r"<settings>:2:.*disappear_after_misses must be an integer >= 1"):
        parse_settings("[daemon]\ndisappear_after_misses = 0\n")


@pytest.mark.lab
def test_a_real_arp_sweep_covers_its_own_segment_but_not_its_own_address(lab):
    from netdiscover_lab.arp_lab import run_scan, small_lab

    net = small_lab(lab)                            # the scanner is 10.20.0.2/24
    net.add_host("h0", PC[0], PC[1])
    result = run_scan(lab, net.scanner.ns, ["10.20.0.0/24", "10.30.0.0/29"],
                      options={"quiet_ms": 100, "retry_ms": 50})
    covered = netaddr.IPSet(result["stats"]["covered"])
    assert covered == ARP_COVERS                    # 10.30.0.0/29 is off the segment, 10.20.0.2 is us
    outcome = ScanOutcome("arp", status=result["status"], stats=result["stats"])
    scope = netaddr.IPSet(["10.20.0.0/24", "10.30.0.0/29"])
    assert coverage_of([outcome], scope) == {"arp": ARP_COVERS}


def test_migration_0005_goes_down_and_up_over_assets(sessions):
    from alembic import command
    from sqlalchemy import inspect

    from netdiscover.storage.engine import _alembic_config, current_revision, head_revision

    full_sweep(sessions)
    engine = sessions.kw["bind"]
    with engine.begin() as conn:
        command.downgrade(_alembic_config(conn), "0004")
    assert current_revision(engine) == "0004"
    assert "discrepancies" not in inspect(engine).get_table_names()
    with engine.begin() as conn:
        command.upgrade(_alembic_config(conn), "head")
    assert current_revision(engine) == head_revision()      # 0005 and every later revision
    with sessions() as s:
        assert [a.missed_sweeps for a in s.scalars(select(Asset))] == [0] * 5     # existing rows: 0
        # nothing cascaded away with the columns (a SQLite table copy would have deleted these)
        assert [len(s.scalars(select(t)).all()) for t in (Address, Interface)] == [5, 5]
    at = T0 + timedelta(hours=2)
    res = sweep(sessions, [], at, {"nmap": SCOPE}, Grace(misses=1, after_s=0))
    assert res.disappeared == 5
