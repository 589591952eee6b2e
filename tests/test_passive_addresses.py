"""Link-local IPv6 (and IPv4) addresses in the addresses table, tied to the MAC that holds them,
but never used to match a device by IP: the same fe80::1 exists on every link (SQLite and
PostgreSQL)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import netaddr
from click.testing import CliRunner
from sqlalchemy import select

from netdiscover.cli import main
from netdiscover.identity import identity_ip, link_local_ip
from netdiscover.observation import Observation
from netdiscover.reconcile.absence import coverage_of, unseen_in_scope
from netdiscover.reports.risk import subnet_of
from netdiscover.scanners.passive.records import Sighting
from netdiscover.scanners.passive.sightings import SightingTable
from netdiscover.services.reconcile import reconcile
from netdiscover.storage.assets import list_assets
from netdiscover.storage.events import events_for
from netdiscover.storage.models import Address
from netdiscover.storage.repository import asset_to_dict

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
PHONE = "00:1b:21:aa:00:01"
LAPTOP = "00:1b:21:aa:00:02"


def sweep(sessions, obs, *, at=T0, complete=False, scope=None):
    return reconcile(sessions, obs, now=at, fingerprinter=lambda _o: None, complete=complete, scope=scope)


def assets(sessions) -> list[dict]:
    with sessions() as s:
        return sorted((asset_to_dict(a) for a in list_assets(s)), key=lambda r: r["id"])


def addresses(sessions) -> set[tuple[int, str, str | None, bool]]:
    with sessions() as s:
        return {(r.asset_id, r.ip, r.mac, r.current) for r in s.scalars(select(Address))}


def heard(mac: str, *ips: str, at: datetime = T0) -> list[Observation]:
    """What the listener's sightings table hands the reconciler for one MAC heard with ``ips``."""
    table = SightingTable()
    for ip in ips:
        table.add(Sighting("icmpv6", mac, [ip]), now=at)
    return table.drain()


def test_link_local_ip_is_stored_but_never_an_identity():
    assert link_local_ip("FE80::1%eth0") == "fe80::1" and identity_ip("fe80::1") is None
    assert link_local_ip("febf::1") == "febf::1" and link_local_ip("fec0::1") is None
    assert link_local_ip("169.254.7.9") == "169.254.7.9" and link_local_ip("169.254.0.9") is None
    for other in ("fd00::1", "2001:db8::1", "10.0.0.1", "ff02::1", "::", "junk", None):
        assert link_local_ip(other) is None


def test_passive_sighting_stores_every_address_with_its_mac(sessions):
    sweep(sessions, heard(PHONE, "fe80::21b:21ff:feaa:1", "10.0.0.5", "fd00:1::5", "2001:db8::5"))
    (row,) = assets(sessions)
    assert row["ips"][-1] == "fe80::21b:21ff:feaa:1"          # link-local never the one shown first
    assert set(row["ips"]) == {"10.0.0.5", "fd00:1::5", "2001:db8::5", "fe80::21b:21ff:feaa:1"}
    assert {(ip, mac, cur) for _a, ip, mac, cur in addresses(sessions)} == {
        (ip, PHONE, True) for ip in row["ips"]}


def test_same_link_local_on_two_links_is_two_assets_both_current(sessions):
    """Routers on two links both answer from fe80::1: no merge, no IP move between them."""
    sweep(sessions, heard(PHONE, "fe80::1"))
    sweep(sessions, heard(LAPTOP, "fe80::1", at=T0 + timedelta(minutes=5)), at=T0 + timedelta(minutes=5))
    rows = assets(sessions)
    assert [r["macs"] for r in rows] == [[PHONE], [LAPTOP]]
    assert all(r["ips"] == ["fe80::1"] for r in rows)
    with sessions() as s:
        assert not list(events_for(s, rows[0]["id"], ["ip_changed"]))


def test_only_a_link_local_address_without_a_mac_makes_no_asset(sessions):
    result = sweep(sessions, [Observation(method="ndp", ip="fe80::9")])
    assert result.new == 0 and assets(sessions) == []


def test_known_asset_gains_its_link_local_address(sessions):
    sweep(sessions, [Observation(method="arp", mac=PHONE, ip="10.0.0.5", seen_at=T0)], complete=True)
    at = T0 + timedelta(hours=1)
    sweep(sessions, heard(PHONE, "10.0.0.5", "fe80::5", at=at), at=at)
    (row,) = assets(sessions)
    assert row["ips"] == ["10.0.0.5", "fe80::5"]
    with sessions() as s:
        (changed,) = list(events_for(s, row["id"], ["ip_changed"]))
    assert changed.new == {"ips": ["10.0.0.5", "fe80::5"]}


def test_complete_sweeps_retire_a_link_local_only_where_its_mac_shows_another(sessions):
    scope = netaddr.IPSet(["10.0.0.0/24", "fd00:1::/64"])
    sweep(sessions, heard(PHONE, "10.0.0.5", "fe80::a"), complete=True, scope=scope)
    # an ARP sweep sees only the IPv4 address: the link-local one is no evidence either way
    for minutes in (60, 90):         # the second ARP sweep finds nothing new: the quiet path
        at = T0 + timedelta(minutes=minutes)
        result = sweep(sessions, [Observation(method="arp", mac=PHONE, ip="10.0.0.5", seen_at=at)],
                       at=at, complete=True, scope=scope)
    assert result.unchanged == 1
    assert {(ip, cur) for _a, ip, _m, cur in addresses(sessions)} == {("10.0.0.5", True), ("fe80::a", True)}
    # the same MAC now answers from another link-local address: the old one is retired
    at = T0 + timedelta(hours=2)
    sweep(sessions, heard(PHONE, "10.0.0.5", "fe80::b", at=at), at=at, complete=True, scope=scope)
    assert {(ip, cur) for _a, ip, _m, cur in addresses(sessions)} == {
        ("10.0.0.5", True), ("fe80::a", False), ("fe80::b", True)}
    # the same sighting again says nothing new
    at = T0 + timedelta(hours=3)
    assert sweep(sessions, heard(PHONE, "10.0.0.5", "fe80::b", at=at), at=at, complete=True,
                 scope=scope).unchanged == 1


def test_link_local_addresses_never_count_for_absence():
    rows = [(1, "fe80::1"), (1, "10.0.0.5"), (2, "fe80::2")]
    assert unseen_in_scope(rows, set(), lambda _ip: True, None) == {1: ["10.0.0.5"]}


def test_an_ndp_sweep_proves_no_absence():
    """ndp's echo to all-nodes may go unanswered by a present host: its silence is no coverage."""
    done = SimpleNamespace(status="done", method="ndp", stats={"covered": ["fd00:1::/64"]})
    assert coverage_of([done], netaddr.IPSet(["fd00:1::/64"])) == {}


def test_assets_show_and_unknown_report_list_link_local_addresses(sessions, db_url):
    sweep(sessions, heard(PHONE, "10.0.0.5", "fe80::5"))
    sweep(sessions, heard(LAPTOP, "10.0.1.7", "fe80::7"))
    shown = CliRunner().invoke(main, ["--db", db_url, "assets", "show", "1", "--format", "json"])
    assert shown.exit_code == 0, shown.output
    assert json.loads(shown.stdout)["ips"] == ["10.0.0.5", "fe80::5"]
    result = CliRunner().invoke(main, ["--db", db_url, "report", "unknown", "--format", "json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    rows = data["rows"] if isinstance(data, dict) else data
    (phone,) = [r for r in rows if PHONE in r["macs"]]
    assert phone["ips"] == ["10.0.0.5", "fe80::5"]
    history = {(a["ip"], a["mac"]) for a in phone["address_history"]}
    assert history == {("10.0.0.5", PHONE), ("fe80::5", PHONE)}


def test_link_local_addresses_are_no_subnet_for_risk_hints():
    assert subnet_of("fe80::5") is None and subnet_of("169.254.3.4") is None
    assert subnet_of("fd00:1::5") == "fd00:1::/64" and subnet_of("10.0.0.5") == "10.0.0.0/24"
