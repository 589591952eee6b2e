"""Documented facts win, observed facts are kept beside them as discrepancies; hostnames do not flap;
an OS CPE never names the hardware maker (SQLite and PostgreSQL)."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime, timedelta

import netaddr
from click.testing import CliRunner
from sqlalchemy import func, select

from netdiscover.cli import main
from netdiscover.fingerprints.combine import combine
from netdiscover.inventory import parse_csv
from netdiscover.observation import Observation, Service
from netdiscover.reconcile.sources import mark_documented, same
from netdiscover.services.inventory import import_records
from netdiscover.services.reconcile import reconcile
from netdiscover.storage.assets import get_asset
from netdiscover.storage.models import Asset, AssetEvent, Discrepancy, Interface

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
SCOPE = netaddr.IPSet(["10.20.0.0/24"])
ALICE = ("10.20.0.21", "3c:d9:2b:00:00:21")
HPE_MAC = "94:40:c9:00:00:05"
LINUX = {"nmap": {"osmatch": [{"name": "Linux 4.15 - 5.8", "accuracy": "100", "osclass": [
    {"type": "general purpose", "vendor": "Linux", "osfamily": "Linux", "osgen": "5.X", "accuracy": "100",
     "cpe": ["cpe:/o:linux:linux_kernel:5"]}]}]}}
SSH = Service(port=22, protocol="tcp", name="ssh", product="OpenSSH",
              cpe=["cpe:/a:openbsd:openssh:8.2", "cpe:/o:linux:linux_kernel"])


def no_fp(_obs):
    return None


def sweep(sessions, observations, at, fingerprinter=no_fp):
    return reconcile(sessions, observations, scope=SCOPE, now=at, fingerprinter=fingerprinter,
                     coverage={})


def at(n: int) -> datetime:
    return T0 + timedelta(hours=n)


def asset(sessions, asset_id: int = 1) -> Asset:
    with sessions() as s:
        found = get_asset(s, asset_id)
        s.expunge_all()
        return found


def events(sessions, kind: str) -> list[AssetEvent]:
    with sessions() as s:
        return list(s.scalars(select(AssetEvent).where(AssetEvent.kind == kind)))


def documented_alice(sessions) -> None:
    """Alice's PC as the inventory records it: ws-alice, a Dell, serial CZC1234."""
    records, errors = parse_csv("hostname,mac,ip,vendor,model,serial\n"
                                f"ws-alice,{ALICE[1]},{ALICE[0]},Dell,OptiPlex 7090,CZC1234\n")
    assert errors == []
    import_records(sessions, records, now=T0)


def test_inventory_hostname_survives_ten_sweeps_and_the_discrepancy_is_listed_once(sessions, db_url):
    documented_alice(sessions)
    assert asset(sessions).field_sources["hostname"] == "inventory"
    for n in range(1, 11):
        netbios = Observation("iot", ip=ALICE[0], mac=ALICE[1], hostname="ALICE-PC", seen_at=at(n))
        res = sweep(sessions, [netbios], at(n))
        assert res.discrepancies == (1 if n == 1 else 0)
    alice = asset(sessions)
    assert alice.hostname == "ws-alice" and alice.present and alice.last_seen == at(10)
    assert events(sessions, "hostname_changed") == []
    with sessions() as s:
        [row] = s.scalars(select(Discrepancy)).all()
        assert (row.field, row.documented, row.observed, row.source, row.count) == (
            "hostname", "ws-alice", "ALICE-PC", "iot", 10)
        assert (row.first_seen, row.last_seen) == (at(1), at(10))
    runner = CliRunner()
    out = runner.invoke(main, ["--db", db_url, "report", "discrepancies", "--format", "json"])
    assert out.exit_code == 0, out.output
    [listed] = json.loads(out.output)
    assert (listed["asset_id"], listed["documented"], listed["observed"], listed["count"]) == (
        1, "ws-alice", "ALICE-PC", 10)
    out = runner.invoke(main, ["--db", db_url, "report", "discrepancies", "--format", "csv"])
    rows = list(csv.DictReader(io.StringIO(out.output)))
    assert out.exit_code == 0 and len(rows) == 1 and rows[0]["observed"] == "ALICE-PC"
    out = runner.invoke(main, ["--db", db_url, "report", "discrepancies"])
    assert out.exit_code == 0 and out.output.count("ALICE-PC") == 1 and "ws-alice" in out.output


def test_dot_local_and_case_are_the_same_name(sessions):
    records, _ = parse_csv("hostname,mac\nprn-hq,00:80:77:00:00:11\n")
    import_records(sessions, records, now=T0)
    for n, name in enumerate(("prn-hq.local", "PRN-HQ", "prn-hq.local."), 1):
        sweep(sessions, [Observation("iot", ip="10.20.0.11", mac="00:80:77:00:00:11", hostname=name,
                                     seen_at=at(n))], at(n))
    assert asset(sessions).hostname == "prn-hq"
    with sessions() as s:
        assert s.scalar(select(func.count()).select_from(Discrepancy)) == 0
    assert same("hostname", "prn-hq", "PRN-HQ.local") and not same("hostname", "ws-alice", "ALICE-PC")


def test_observed_names_do_not_flap_and_snmp_outranks_announcements(sessions):
    mac, ip = "3c:d9:2b:00:00:31", "10.20.0.31"
    for n in range(4):     # reverse DNS (nmap) and NetBIOS (iot) disagree, sweep after sweep
        method, name = ("nmap", "ws-bob") if n % 2 == 0 else ("iot", "BOB-PC")
        sweep(sessions, [Observation(method, ip=ip, mac=mac, hostname=name, seen_at=at(n))], at(n))
        assert asset(sessions).hostname == "ws-bob"
    assert events(sessions, "hostname_changed") == []
    sweep(sessions, [Observation("snmp", ip=ip, mac=mac, hostname="bob-ws.corp", seen_at=at(5))], at(5))
    sweep(sessions, [Observation("iot", ip=ip, mac=mac, hostname="BOB-PC", seen_at=at(6))], at(6))
    bob = asset(sessions)
    assert bob.hostname == "bob-ws.corp" and bob.field_sources == {"hostname": "snmp"}
    assert len(events(sessions, "hostname_changed")) == 1
    sweep(sessions, [Observation("snmp", ip=ip, mac=mac, hostname="bob-ws2.corp", seen_at=at(7))], at(7))
    assert asset(sessions).hostname == "bob-ws2.corp"        # renamed: its own source says so


def test_documented_serial_vendor_and_model_stay_beside_what_sweeps_see(sessions):
    documented_alice(sessions)
    seen = Observation("snmp", ip=ALICE[0], mac=ALICE[1], serial="SN-OTHER", seen_at=at(1),
                       facts={"snmp": {"sysDescr": "HP ProCurve J9019B Switch 2510-24"}})
    res = reconcile(sessions, [seen], scope=SCOPE, now=at(1), coverage={})   # the real fingerprinter
    alice = asset(sessions)
    assert (alice.serial, alice.vendor, alice.model) == ("CZC1234", "Dell", "OptiPlex 7090")
    with sessions() as s:
        found = {r.field: (r.documented, r.observed) for r in s.scalars(select(Discrepancy))}
    assert found["serial"] == ("CZC1234", "SN-OTHER")
    assert res.discrepancies == len(found) >= 2 and found["vendor"][0] == "Dell"
    assert events(sessions, "serial_changed") == [] and events(sessions, "vendor_changed") == []


def test_an_operator_edit_outranks_a_sweep(sessions):
    sweep(sessions, [Observation("nmap", ip="10.20.0.40", mac="3c:d9:2b:00:00:40", hostname="old-name",
                                 seen_at=at(0))], at(0))
    with sessions() as s:
        a = s.get(Asset, 1)
        a.hostname = "lab-scope-2"
        mark_documented(a, ["hostname"], "operator")
        s.commit()
    sweep(sessions, [Observation("nmap", ip="10.20.0.40", mac="3c:d9:2b:00:00:40", hostname="old-name",
                                 seen_at=at(1))], at(1))
    assert asset(sessions).hostname == "lab-scope-2"
    with sessions() as s:
        assert s.scalars(select(Discrepancy.observed)).all() == ["old-name"]


def test_os_cpe_never_names_the_hardware_vendor():
    fp = combine([Observation("nmap", ip="10.20.0.5", mac=HPE_MAC, facts=LINUX, services=[SSH])])
    assert (fp.vendor, fp.os_name) == ("HPE", "Linux")
    # a hardware CPE still does
    hw = combine([Observation("nmap", ip="10.20.0.6", services=[Service(port=80, protocol="tcp",
                                                                        cpe=["cpe:/h:hp:laserjet_4250"])])])
    assert hw.vendor == "HP"


def test_nmap_os_cpe_leaves_the_oui_vendor_in_place(sessions):
    reconcile(sessions, [Observation("arp", ip="10.20.0.5", mac=HPE_MAC, seen_at=at(0))], scope=SCOPE,
              now=at(0))
    assert asset(sessions).vendor == "HPE"
    reconcile(sessions, [Observation("nmap", ip="10.20.0.5", mac=HPE_MAC, facts=LINUX, services=[SSH],
                                     seen_at=at(1))], scope=SCOPE, now=at(1))
    server = asset(sessions)
    assert (server.vendor, server.os_name) == ("HPE", "Linux")
    assert server.field_sources["os_name"] == "nmap" and "vendor" not in server.field_sources
    assert events(sessions, "vendor_changed") == []
    with sessions() as s:
        assert s.scalar(select(func.count()).select_from(Interface)) == 1
