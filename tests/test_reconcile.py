"""Reconciliation: identity rules, updates with events, one transaction per sweep (SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import netaddr
import pytest
from sqlalchemy import func, select

from netdiscover.fingerprints.model import Evidence, Fingerprint
from netdiscover.observation import LOCATION, NEIGHBOUR, Interface, Observation, Service
from netdiscover.reconcile import group_devices
from netdiscover.services.reconcile import reconcile
from netdiscover.storage.assets import find_asset, list_assets
from netdiscover.storage.events import events_for
from netdiscover.storage.models import Address, Asset, AssetEvent, ObservationRecord
from netdiscover.storage.repository import asset_to_dict

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
SCOPE = netaddr.IPSet(["10.20.0.0/24"])


def arp(ip: str, mac: str, at: datetime = T0, **kw) -> Observation:
    return Observation(method="arp", ip=ip, mac=mac, seen_at=at, **kw)


def no_fp(_obs):
    return None


def sweep(sessions, obs, at=T0, scope=SCOPE, **kw):
    return reconcile(sessions, obs, scope=scope, now=at, fingerprinter=kw.pop("fingerprinter", no_fp), **kw)


def all_assets(sessions) -> list[dict]:
    with sessions() as s:
        return [asset_to_dict(a) for a in list_assets(s)]


def kinds(sessions, asset_id: int) -> list[str]:
    with sessions() as s:
        return [e.kind for e in events_for(s, asset_id)]


def dangling_references(sessions) -> list[tuple[str, str, int]]:
    """(table, column, id) of observations and events pointing at no asset or scan: the tables
    have no foreign keys (migration 0011), the writers keep the references."""
    from sqlalchemy import text

    found = []
    with sessions() as s:
        for table in ("observations", "asset_events"):
            for column, parent in (("asset_id", "assets"), ("scan_id", "scans")):
                found += [(table, column, i) for i in s.scalars(text(
                    f"SELECT {column} FROM {table} WHERE {column} IS NOT NULL "
                    f"AND {column} NOT IN (SELECT id FROM {parent})"))]
    return found


def test_idempotent_rescan(sessions):
    obs = [arp(f"10.20.0.{i}", f"00:11:22:00:00:{i:02x}") for i in range(1, 6)]
    first = sweep(sessions, obs)
    assert (first.new, first.devices) == (5, 5)
    second = sweep(
        sessions, [arp(o.ip, o.mac, T0 + timedelta(hours=1)) for o in obs], at=T0 + timedelta(hours=1)
    )
    assert (second.new, second.updated, second.unchanged) == (0, 0, 5)
    assets = all_assets(sessions)
    assert len(assets) == 5
    assert sorted(a["ips"][0] for a in assets) == sorted(o.ip for o in obs)
    assert all(a["last_seen"] == (T0 + timedelta(hours=1)).isoformat() for a in assets)
    assert all(a["first_seen"] == T0.isoformat() for a in assets)
    assert all(a["status"] == "undocumented" and a["methods"] == ["arp"] for a in assets)
    with sessions() as s:
        assert s.scalar(select(func.count()).select_from(Address)) == 5
        assert s.scalar(select(func.count()).select_from(ObservationRecord)) == 10
        assert s.scalar(select(func.count()).select_from(AssetEvent)) == 5  # 5 x discovered


def test_ip_change_of_known_mac(sessions):
    sweep(sessions, [arp("10.20.0.5", "00:11:22:33:44:55")])
    later = T0 + timedelta(days=1)
    res = sweep(sessions, [arp("10.20.0.6", "00:11:22:33:44:55", later)], at=later)
    assert (res.new, res.updated) == (0, 1)
    [asset] = all_assets(sessions)
    assert asset["ips"] == ["10.20.0.6"]
    assert "ip_changed" in kinds(sessions, asset["id"])
    with sessions() as s:  # history is kept
        rows = {a.ip: a.current for a in s.scalars(select(Address))}
    assert rows == {"10.20.0.5": False, "10.20.0.6": True}
    with sessions() as s:
        assert find_asset(s, "10.20.0.5").id == asset["id"]


def test_complete_sweep_retires_only_in_scope_ips_a_device_no_longer_shows(sessions):
    mac = "00:11:22:33:44:55"
    sweep(sessions, [arp("10.20.0.5", mac), arp("10.20.0.6", mac), arp("10.99.0.5", mac)],
          scope=netaddr.IPSet(["10.20.0.0/24", "10.99.0.0/24"]))
    [asset] = all_assets(sessions)
    assert sorted(asset["ips"]) == ["10.20.0.5", "10.20.0.6", "10.99.0.5"]
    t1, t2 = T0 + timedelta(hours=1), T0 + timedelta(hours=2)
    res = sweep(sessions, [arp("10.20.0.5", mac, t1)], at=t1)          # scope: 10.20.0.0/24 only
    assert (res.updated, res.unchanged) == (1, 0)
    [asset] = all_assets(sessions)
    assert sorted(asset["ips"]) == ["10.20.0.5", "10.99.0.5"]          # the other subnet was not swept
    assert kinds(sessions, asset["id"]).count("ip_changed") == 1
    res = sweep(sessions, [arp("10.20.0.5", mac, t2)], at=t2)
    assert (res.updated, res.unchanged) == (0, 1)
    sweep(sessions, [arp("10.99.0.5", mac, t2)], at=t2, scope=netaddr.IPSet(["10.99.0.0/24", "10.20.0.0/24"]))
    [asset] = all_assets(sessions)
    assert asset["ips"] == ["10.99.0.5"]
    assert asset["last_seen"] == t2.isoformat()


def test_macs_swapping_ips_and_ip_moving_to_another_mac(sessions):
    sweep(sessions, [arp("10.20.0.5", "00:11:22:00:00:01"), arp("10.20.0.6", "00:11:22:00:00:02")])
    t1 = T0 + timedelta(hours=1)
    res = sweep(
        sessions,
        [arp("10.20.0.6", "00:11:22:00:00:01", t1), arp("10.20.0.5", "00:11:22:00:00:02", t1)],
        at=t1,
    )
    assert res.new == 0
    by_mac = {a["macs"][0]: a for a in all_assets(sessions)}
    assert by_mac["00:11:22:00:00:01"]["ips"] == ["10.20.0.6"]
    assert by_mac["00:11:22:00:00:02"]["ips"] == ["10.20.0.5"]
    # a new device takes .5: the old holder loses it, with an event; the new one holds it
    t2 = T0 + timedelta(hours=2)
    res = sweep(
        sessions,
        [arp("10.20.0.5", "00:11:22:00:00:03", t2), arp("10.20.0.6", "00:11:22:00:00:01", t2)],
        at=t2,
        complete=False,
    )
    assert res.new == 1
    by_mac = {a["macs"][0]: a for a in all_assets(sessions)}
    assert by_mac["00:11:22:00:00:02"]["ips"] == []
    assert by_mac["00:11:22:00:00:03"]["ips"] == ["10.20.0.5"]
    assert kinds(sessions, by_mac["00:11:22:00:00:02"]["id"]).count("ip_changed") == 2
    with sessions() as s:
        assert find_asset(s, "10.20.0.5").id == by_mac["00:11:22:00:00:03"]["id"]


def snmp_router(engine: str, macs_ips: list[tuple[str, str]], name: str = "r1", **kw) -> Observation:
    ifaces = [
        Interface(name=f"eth{i}", mac=mac, index=i + 1, ips=[ip] if ip else [])
        for i, (mac, ip) in enumerate(macs_ips)
    ]
    return Observation(
        method="snmp",
        ip=macs_ips[0][1],
        snmp_engine_id=engine,
        hostname=name,
        interfaces=ifaces,
        seen_at=kw.pop("at", T0),
        **kw,
    )


def test_two_macs_of_one_snmp_agent_are_one_asset(sessions):
    # first seen by ARP only: two MACs, two assets
    sweep(sessions, [arp("10.20.0.1", "00:aa:00:00:00:01"), arp("10.20.0.2", "00:aa:00:00:00:02")])
    assert len(all_assets(sessions)) == 2
    t1 = T0 + timedelta(hours=1)
    router = snmp_router(
        "80001f8880a1b2c3d4e5f6",
        [("00:aa:00:00:00:01", "10.20.0.1"), ("00:aa:00:00:00:02", "10.20.0.2")],
        at=t1,
    )
    res = sweep(sessions, [router, arp("10.20.0.1", "00:aa:00:00:00:01", t1)], at=t1)
    assert res.merged == 1 and res.new == 0
    [asset] = all_assets(sessions)
    assert sorted(asset["macs"]) == ["00:aa:00:00:00:01", "00:aa:00:00:00:02"]
    assert sorted(asset["ips"]) == ["10.20.0.1", "10.20.0.2"]
    assert asset["snmp_engine_id"] == "80001f8880a1b2c3d4e5f6" and asset["hostname"] == "r1"
    assert "merged" in kinds(sessions, asset["id"])
    # the same agent reached later on its other address with no MACs at all: same asset
    t2 = T0 + timedelta(hours=2)
    again = Observation(
        method="snmp", ip="10.20.0.2", snmp_engine_id="80:00:1f:88:80:a1:b2:c3:d4:e5:f6", seen_at=t2
    )
    res = sweep(sessions, [again], at=t2, complete=False)
    assert res.new == 0 and len(all_assets(sessions)) == 1
    # the folded asset's observations and events moved to the survivor
    assert dangling_references(sessions) == []
    with sessions() as s:
        assert set(s.scalars(select(ObservationRecord.asset_id))) == {asset["id"]}
        assert set(s.scalars(select(AssetEvent.asset_id))) == {asset["id"]}


def test_snmp_and_arp_in_one_sweep_group_into_one_device():
    router = snmp_router(
        "80001f8880a1b2c3d4e5f6", [("00:aa:00:00:00:01", "10.20.0.1"), ("00:aa:00:00:00:02", "10.30.0.1")]
    )
    nmap = Observation(method="nmap", ip="10.30.0.1", services=[Service(22, name="ssh")])
    devices = group_devices(
        [router, arp("10.20.0.1", "00:aa:00:00:00:01"), nmap, arp("10.20.0.9", "00:bb:00:00:00:09")]
    )
    assert sorted(len(d.obs) for d in devices) == [1, 3]


@pytest.mark.parametrize(("sightings", "groups"), [
    # every sighting its own device (the common sweep: no joins at all)
    ([("10.20.0.1", "00:aa:00:00:00:01"), ("10.20.0.2", "00:aa:00:00:00:02")], [[0], [1]]),
    # the same MAC twice, from two IPs: one device
    ([("10.20.0.1", "00:aa:00:00:00:01"), ("10.20.0.2", "00:aa:00:00:00:02"),
      ("10.20.0.3", "00:aa:00:00:00:01")], [[0, 2], [1]]),
    # an IP-only sighting joins the MAC sighting of its IP
    ([("10.20.0.1", "00:aa:00:00:00:01"), ("10.20.0.1", None), ("10.20.0.2", None)], [[0, 1], [2]]),
    # two global MACs answering for one IP stay two devices
    ([("10.20.0.1", "00:aa:00:00:00:01"), ("10.20.0.1", "00:aa:00:00:00:02")], [[0], [1]]),
    # unusable sightings (no MAC that identifies, no IP that can name a device) are left out
    ([("127.0.0.1", None), ("10.20.0.5", "ff:ff:ff:ff:ff:ff"), ("10.20.0.6", "00:aa:00:00:00:06")],
     [[1], [2]]),
])
def test_plain_sightings_group_by_mac_and_ip(sightings, groups):
    obs = [Observation(method="arp", ip=ip, mac=mac, seen_at=T0) for ip, mac in sightings]
    devices = group_devices(obs)
    found = sorted(sorted(next(i for i, o in enumerate(obs) if o is x) for x in d.obs) for d in devices)
    assert found == groups


def test_randomised_macs_follow_the_hostname_within_a_site(sessions):
    sweep(sessions, [arp("10.20.0.50", "da:a1:19:00:00:01", hostname="pixel-7")], site="hq")
    t1 = T0 + timedelta(days=1)
    res = sweep(sessions, [arp("10.20.0.51", "6e:12:34:56:78:9a", t1, hostname="Pixel-7")], at=t1, site="hq")
    assert res.new == 0
    [phone] = all_assets(sessions)
    assert sorted(phone["macs"]) == ["6e:12:34:56:78:9a", "da:a1:19:00:00:01"]
    assert "mac_added" in kinds(sessions, phone["id"])
    # another site, same hostname: another device
    t2 = T0 + timedelta(days=2)
    res = sweep(
        sessions,
        [arp("10.20.0.52", "aa:12:34:56:78:9b", t2, hostname="pixel-7")],
        at=t2,
        site="branch",
        complete=False,
    )
    assert res.new == 1


def test_randomised_mac_does_not_inherit_a_reused_ip(sessions):
    sweep(sessions, [arp("10.20.0.60", "00:11:22:33:44:60")], complete=False)
    t1 = T0 + timedelta(hours=1)
    res = sweep(sessions, [arp("10.20.0.60", "9a:00:00:00:00:01", t1)], at=t1, complete=False)
    assert res.new == 1
    assets = {a["macs"][0]: a for a in all_assets(sessions)}
    assert assets["9a:00:00:00:00:01"]["ips"] == ["10.20.0.60"]
    assert assets["00:11:22:33:44:60"]["ips"] == []


def test_shared_virtual_macs_are_not_identity(sessions):
    vrrp, hsrp = "00:00:5e:00:01:0a", "00:00:0c:07:ac:01"
    r1 = snmp_router(
        "80001f8880aaaaaaaaaa01", [("00:aa:00:00:01:01", "10.20.0.2"), (vrrp, None), (hsrp, None)], name="r1"
    )
    r2 = snmp_router(
        "80001f8880aaaaaaaaaa02", [("00:aa:00:00:02:01", "10.20.0.3"), (vrrp, None), (hsrp, None)], name="r2"
    )
    vip = arp("10.20.0.1", vrrp)
    res = sweep(sessions, [r1, r2, vip])
    assert res.new == 3
    names = sorted((a["hostname"] or "-", len(a["macs"])) for a in all_assets(sessions))
    assert names == [("-", 1), ("r1", 3), ("r2", 3)]
    # the backup router takes over the virtual MAC: still three assets, nobody merged
    t1 = T0 + timedelta(hours=1)
    res = sweep(
        sessions,
        [
            arp("10.20.0.1", vrrp, t1),
            arp("10.20.0.2", "00:aa:00:00:01:01", t1),
            arp("10.20.0.3", "00:aa:00:00:02:01", t1),
        ],
        at=t1,
    )
    assert (res.new, res.merged) == (0, 0)
    assert len(all_assets(sessions)) == 3


def test_proxy_arp_mac_does_not_glue_hosts(sessions):
    router_mac = "00:aa:00:00:00:fe"
    obs = [arp("10.20.0.254", router_mac)]
    obs += [arp(f"10.20.0.{i}", router_mac, flags=["proxy_arp"]) for i in (30, 31)]
    res = sweep(sessions, obs)
    assert res.new == 3


def fp_for(method_conf: dict[str, tuple[str, float]]):
    """A fingerprinter: the device class from the best method present, with that confidence."""

    def fingerprinter(obs):
        methods = {o.method for o in obs}
        best = max((method_conf[m] for m in methods if m in method_conf), key=lambda v: v[1])
        klass, conf = best
        return Fingerprint(
            vendor="Acme",
            device_class=klass,
            confidence={"device_class": conf, "vendor": conf},
            evidence=[Evidence("test", "r", "device_class", klass, conf)],
        )

    return fingerprinter


def test_weak_fingerprint_does_not_overwrite_a_strong_one(sessions):
    fpr = fp_for({"snmp": ("printer", 0.95), "arp": ("iot", 0.3)})
    snmp = Observation(
        method="snmp", ip="10.20.0.9", mac="00:11:22:33:44:99", snmp_engine_id="80001f888012345678"
    )
    sweep(sessions, [snmp], fingerprinter=fpr)
    t1 = T0 + timedelta(hours=1)
    sweep(sessions, [arp("10.20.0.9", "00:11:22:33:44:99", t1)], at=t1, fingerprinter=fpr)
    [asset] = all_assets(sessions)
    assert asset["device_class"] == "printer" and asset["confidence"] == 0.95
    with sessions() as s:
        stored = s.get(Asset, asset["id"]).fingerprint
    assert stored["device_class"] == "printer" and stored["evidence"][0]["value"] == "printer"
    # a stronger opinion wins, with an event
    t2 = T0 + timedelta(hours=2)
    sweep(
        sessions,
        [arp("10.20.0.9", "00:11:22:33:44:99", t2)],
        at=t2,
        fingerprinter=fp_for({"arp": ("camera", 0.99)}),
    )
    [asset] = all_assets(sessions)
    assert asset["device_class"] == "camera"
    assert "class_changed" in kinds(sessions, asset["id"])


def test_default_fingerprinter_is_used_when_available(sessions):
    res = reconcile(sessions, [arp("10.20.0.9", "00:11:22:33:44:99")], now=T0)
    assert res.new == 1  # with or without the fingerprint combiner installed


def test_disappeared_and_reappeared(sessions):
    sweep(
        sessions,
        [
            arp("10.20.0.5", "00:11:22:00:00:05"),
            arp("10.20.0.6", "00:11:22:00:00:06"),
            arp("10.99.0.7", "00:11:22:00:00:07"),
        ],
        scope=netaddr.IPSet(["10.20.0.0/24", "10.99.0.0/24"]),
    )
    t1 = T0 + timedelta(hours=1)
    res = sweep(sessions, [arp("10.20.0.5", "00:11:22:00:00:05", t1)], at=t1)  # 10.99 not swept
    assert (res.disappeared, res.missed) == (0, 1)       # missed once: still within the grace
    t1 += timedelta(minutes=5)
    res = sweep(sessions, [arp("10.20.0.5", "00:11:22:00:00:05", t1)], at=t1)
    assert (res.disappeared, res.disappeared_ids) == (1, [2])
    present = {a["ips"][0]: a["present"] for a in all_assets(sessions)}
    assert present == {"10.20.0.5": True, "10.20.0.6": False, "10.99.0.7": True}
    partial = sweep(sessions, [], at=t1, complete=False)
    assert partial.disappeared == 0
    t2 = T0 + timedelta(hours=2)
    res = sweep(sessions, [arp("10.20.0.6", "00:11:22:00:00:06", t2)], at=t2, complete=False)
    assert res.reappeared_ids == [2]
    assert kinds(sessions, 2)[-2:] == ["disappeared", "reappeared"]


@pytest.mark.parametrize("scope", ["10.20.1.0/24", "10.20.0.0/20", "10.20.1.0/28", "10.20.1.0-10.20.1.9"])
def test_disappeared_only_within_the_swept_scope(sessions, scope):
    """Addresses whose text merely starts like the scope's (10.20.10.x vs 10.20.1.x) stay present."""
    ips = ["10.20.1.5", "10.20.10.5", "10.20.100.5", "10.20.1.50", "10.2.1.5", "110.20.1.5"]
    macs = [f"00:11:22:00:01:{i:02x}" for i in range(len(ips))]
    everywhere = netaddr.IPSet(["0.0.0.0/0"])
    sweep(sessions, [arp(ip, mac) for ip, mac in zip(ips, macs, strict=True)], scope=everywhere)
    swept = netaddr.IPSet([netaddr.IPRange(*scope.split("-")) if "-" in scope else netaddr.IPNetwork(scope)])
    for hours in (1, 2):       # the grace: two sweeps that could have seen them, an hour apart
        res = sweep(sessions, [], at=T0 + timedelta(hours=hours), scope=swept, coverage={"arp": swept})
    gone = {a["ips"][0] for a in all_assets(sessions) if not a["present"]}
    assert gone == {ip for ip in ips if netaddr.IPAddress(ip) in swept}
    assert res.disappeared == len(gone) > 0


def test_router_arp_table_creates_and_switch_fdb_locates(sessions):
    neighbour = Observation(
        method="snmp",
        kind=NEIGHBOUR,
        ip="10.40.0.7",
        mac="00:11:22:44:44:07",
        reporter="core-r1",
        facts={"source": "ipNetToPhysicalTable"},
    )
    fdb = [
        Observation(
            method="snmp", kind=LOCATION, mac="00:11:22:44:44:07", switch="sw1", switch_port="Gi1/0/7"
        ),
        Observation(
            method="snmp", kind=LOCATION, mac="00:11:22:44:44:07", switch="sw1", switch_port="Gi1/0/48"
        ),
        Observation(
            method="snmp", kind=LOCATION, mac="00:11:22:44:44:08", switch="sw1", switch_port="Gi1/0/48"
        ),
        Observation(
            method="snmp", kind=LOCATION, mac="00:11:22:99:99:99", switch="sw1", switch_port="Gi1/0/9"
        ),
    ]
    res = sweep(sessions, [neighbour, *fdb])
    assert res.new == 1 and res.located == 1
    [asset] = all_assets(sessions)
    assert asset["ips"] == ["10.40.0.7"]
    assert asset["switch_ports"] == [{"mac": "00:11:22:44:44:07", "switch": "sw1", "port": "Gi1/0/7"}]
    assert "switch_port_changed" in kinds(sessions, asset["id"])
    t1 = T0 + timedelta(hours=1)
    res = sweep(
        sessions,
        [
            Observation(
                method="snmp",
                kind=LOCATION,
                mac="00:11:22:44:44:07",
                switch="sw2",
                switch_port="ge-0/0/1",
                seen_at=t1,
            )
        ],
        at=t1,
        complete=False,
    )
    assert res.located == 1 and res.new == 0
    assert all_assets(sessions)[0]["switch_ports"][0]["switch"] == "sw2"
    with sessions() as s:
        unknown = s.scalars(
            select(ObservationRecord).where(ObservationRecord.mac == "00:11:22:99:99:99")
        ).one()
        assert unknown.asset_id is None and unknown.kind == "location"


def test_services_open_and_close(sessions):
    def nmap(ports, at):
        return Observation(
            method="nmap",
            ip="10.20.0.8",
            mac="00:11:22:00:00:08",
            seen_at=at,
            services=[Service(p, name=n, product="x") for p, n in ports],
        )

    sweep(sessions, [nmap([(22, "ssh"), (80, "http")], T0)])
    t1 = T0 + timedelta(hours=1)
    sweep(sessions, [nmap([(22, "ssh"), (443, "https")], t1)], at=t1)
    [asset] = all_assets(sessions)
    assert [s["port"] for s in asset["services"]] == [22, 443]
    ev = kinds(sessions, asset["id"])
    assert ev.count("service_opened") == 1 and ev.count("service_closed") == 1
    # an ARP-only sighting says nothing about ports
    t2 = T0 + timedelta(hours=2)
    sweep(sessions, [arp("10.20.0.8", "00:11:22:00:00:08", t2)], at=t2)
    assert [s["port"] for s in all_assets(sessions)[0]["services"]] == [22, 443]


def test_reviewer_status_survives_and_rogue_is_reported(sessions):
    sweep(sessions, [arp("10.20.0.5", "00:11:22:00:00:05"), arp("10.20.0.6", "00:11:22:00:00:06")])
    with sessions.begin() as s:
        s.get(Asset, 1).status = "rogue"
        s.get(Asset, 2).status = "ignored"
    t1 = T0 + timedelta(hours=1)
    res = sweep(
        sessions,
        [
            arp("10.20.0.5", "00:11:22:00:00:05", t1, hostname="evil"),
            arp("10.20.0.6", "00:11:22:00:00:06", t1),
        ],
        at=t1,
    )
    assert res.rogue_seen_ids == [1]
    assert {a["id"]: a["status"] for a in all_assets(sessions)} == {1: "rogue", 2: "ignored"}


def test_hostile_strings_are_stored_as_data(sessions):
    evil = "<script>alert(1)</script>\x00\x1b[31m" + "A" * 10_000_000
    res = sweep(sessions, [arp("10.20.0.5", "00:11:22:00:00:05", hostname=evil)])
    assert res.new == 1
    [asset] = all_assets(sessions)
    assert asset["hostname"].startswith("<script>alert(1)</script>AAA")
    assert (
        len(asset["hostname"]) <= 255 and "\x00" not in asset["hostname"] and "\x1b" not in asset["hostname"]
    )


def test_crash_in_the_middle_leaves_the_database_as_before(sessions, monkeypatch):
    sweep(sessions, [arp("10.20.0.5", "00:11:22:00:00:05")])
    before = all_assets(sessions)

    def boom(self, pairs):
        raise RuntimeError("power cut")

    monkeypatch.setattr("netdiscover.storage.sweep_writes.SweepStore.store_observations", boom)
    t1 = T0 + timedelta(hours=1)
    with pytest.raises(RuntimeError):
        sweep(
            sessions,
            [arp("10.20.0.6", "00:11:22:00:00:05", t1), arp("10.20.0.7", "00:11:22:00:00:07", t1)],
            at=t1,
        )
    assert all_assets(sessions) == before
    with sessions() as s:
        assert s.scalar(select(func.count()).select_from(AssetEvent)) == 1
        assert s.scalar(select(func.count()).select_from(Address)) == 1


@pytest.mark.postgres
def test_a_sweep_adding_many_assets_refreshes_the_planner_statistics(pg_url, monkeypatch):
    from sqlalchemy import text

    from netdiscover.services import reconcile as service
    from netdiscover.storage.engine import open_database

    monkeypatch.setattr(service, "STATISTICS_AFTER_NEW", 50)
    sessions = open_database(pg_url)
    try:
        def analysed() -> set[str]:
            with sessions() as s:
                return set(s.scalars(text("SELECT relname FROM pg_stat_user_tables "
                                          "WHERE last_analyze IS NOT NULL")))

        few = [Observation(method="arp", ip=f"10.9.0.{i}", mac=f"02:00:00:00:09:{i:02x}")
               for i in range(1, 40)]
        reconcile(sessions, few)
        assert analysed() == set()
        many = [Observation(method="arp", ip=f"10.9.1.{i}", mac=f"02:00:00:00:0a:{i:02x}")
                for i in range(1, 80)]
        assert reconcile(sessions, many).new == 79
        assert analysed() >= {"assets", "interfaces", "addresses", "observations"}

        def analyses() -> int:
            with sessions() as s:
                return s.scalar(text("SELECT analyze_count FROM pg_stat_user_tables "
                                     "WHERE relname = 'assets'"))

        before = analyses()
        # 55 more on the 118 counted: less than half again, the estimates scale with the table
        more = [Observation(method="arp", ip=f"10.9.2.{i}", mac=f"02:00:00:00:0b:{i:02x}")
                for i in range(1, 56)]
        assert reconcile(sessions, more).new == 55
        assert analyses() == before
        # 100 on the 118 (or 173, had autovacuum counted them meanwhile): more than half, analysed
        jump = [Observation(method="arp", ip=f"10.9.3.{i}", mac=f"02:00:00:00:0c:{i:02x}")
                for i in range(1, 101)]
        assert reconcile(sessions, jump).new == 100
        assert analyses() == before + 1
    finally:
        sessions.kw["bind"].dispose()


def test_sweeps_under_a_scan_leave_no_dangling_reference(sessions):
    from netdiscover.storage.scans import start_scan

    with sessions() as s, s.begin():
        scan_id = start_scan(s, targets=["10.20.0.0/24"], methods=["arp"], started_at=T0)
    sweep(sessions, [arp(f"10.20.0.{i}", f"00:11:22:00:01:{i:02x}") for i in range(1, 4)], scan_id=scan_id)
    later = T0 + timedelta(hours=3)
    # one device changes IP, one goes quiet, a new one comes
    sweep(sessions, [arp("10.20.0.9", "00:11:22:00:01:01", later),
                     arp("10.20.0.2", "00:11:22:00:01:02", later),
                     arp("10.20.0.7", "00:11:22:00:01:07", later)],
          at=later, scan_id=scan_id)
    assert dangling_references(sessions) == []
    with sessions() as s:
        assert set(s.scalars(select(ObservationRecord.scan_id))) == {scan_id}


def test_an_event_for_a_missing_asset_is_refused(sessions):
    from netdiscover.storage.events import record_event

    with sessions() as s, pytest.raises(ValueError, match="no asset 4242"):
        record_event(s, 4242, "approved")
