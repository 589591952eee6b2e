"""Reviewer decisions live on the asset: they survive rescans, IP changes and MAC changes,
and the unknown-device report follows them through real reconciliation of hand-made sweeps."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import netaddr
from click.testing import CliRunner
from sqlalchemy import select

from netdiscover.cli import main
from netdiscover.observation import Observation, Service
from netdiscover.services.reconcile import reconcile
from netdiscover.services.reports import unknown_rows
from netdiscover.services.review import decide
from netdiscover.storage.assets import find_asset
from netdiscover.storage.models import Asset

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
SCOPE = netaddr.IPSet(["10.20.0.0/24"])

PRINTER = "00:00:aa:10:00:01"   # documented (inventory)
SWITCH = "00:1b:54:10:00:02"    # documented (inventory)
LAPTOP = "3c:22:fb:10:00:50"
CAMERA = "00:40:8c:10:00:60"
PHONE = "da:a1:19:10:00:70"     # randomised
AP_MAC1, AP_MAC2 = "00:0b:86:10:00:80", "00:0b:86:10:00:81"


def inventory(sessions, tmp_path) -> None:
    """The records the organisation keeps, through the real inventory import."""
    csv_file = tmp_path / "inventory.csv"
    csv_file.write_text("Asset_Tag,Name,MAC,IP,Vendor,Owner\n"
                        f"IT-0010,printer-2f,{PRINTER},10.20.0.10,Xerox,facilities\n"
                        f"IT-0002,core-sw,{SWITCH},10.20.0.2,Cisco,network team\n")
    url = sessions.kw["bind"].url.render_as_string(hide_password=False)
    res = CliRunner().invoke(main, ["--db", url, "inventory", "import", str(csv_file)])
    assert res.exit_code == 0, res.output


def sweep(sessions, at, laptop_ip="10.20.0.50", phone_mac=PHONE, ap_mac=AP_MAC1, ap_ip="10.20.0.80"):
    obs = [
        Observation(method="arp", ip="10.20.0.10", mac=PRINTER, seen_at=at),
        Observation(method="arp", ip="10.20.0.2", mac=SWITCH, seen_at=at),
        Observation(method="arp", ip=laptop_ip, mac=LAPTOP, seen_at=at),
        Observation(method="arp", ip="10.20.0.60", mac=CAMERA, seen_at=at),
        Observation(method="nmap", ip="10.20.0.60", mac=CAMERA, seen_at=at,
                    services=[Service(port=23, name="telnet"), Service(port=80, name="http")]),
        Observation(method="arp", ip="10.20.0.70", mac=phone_mac, seen_at=at, hostname="janes-iphone"),
        Observation(method="snmp", ip=ap_ip, mac=ap_mac, seen_at=at, serial="CNX8812345",
                    hostname="ap-lobby", facts={"snmp": {"sysDescr": "ArubaOS AP"}}),
    ]
    return reconcile(sessions, obs, scope=SCOPE, now=at)


def asset_for(sessions, mac) -> Asset:
    with sessions() as s:
        return find_asset(s, mac)


def report_ids(sessions) -> list[int]:
    with sessions() as s:
        return [r["id"] for r in unknown_rows(s)]


def test_report_lists_exactly_the_undocumented_after_import_and_sweep(sessions, tmp_path):
    inventory(sessions, tmp_path)
    sweep(sessions, T0)
    undocumented = {asset_for(sessions, m).id for m in (LAPTOP, CAMERA, PHONE, AP_MAC1)}
    documented = {asset_for(sessions, m).id for m in (PRINTER, SWITCH)}
    ids = report_ids(sessions)
    assert set(ids) == undocumented and len(ids) == 4
    assert not documented & set(ids)
    with sessions() as s:
        cam = next(r for r in unknown_rows(s) if CAMERA in r["macs"])
    assert {"telnet", "http-admin"} <= {h["code"] for h in cam["risks"]}
    assert sorted(cam["found_by"]["methods"]) == ["arp", "nmap"]


def test_decisions_survive_rescans_ip_and_mac_changes(sessions, tmp_path):
    inventory(sessions, tmp_path)
    sweep(sessions, T0)
    laptop, camera = asset_for(sessions, LAPTOP).id, asset_for(sessions, CAMERA).id
    phone, ap = asset_for(sessions, PHONE).id, asset_for(sessions, AP_MAC1).id
    with sessions.begin() as s:
        decide(s, "approve", [laptop, ap], by="alice", note="IT stock")
        decide(s, "ignore", [phone], by="alice", note="guest phone")
        decide(s, "rogue", [camera], by="bob", note="not ours")
    assert report_ids(sessions) == [camera]

    # Rescan, then the laptop moves to another IP and the AP shows up on another MAC and IP.
    sweep(sessions, T0 + timedelta(hours=1))
    sweep(sessions, T0 + timedelta(hours=2), laptop_ip="10.20.0.99", ap_mac=AP_MAC2, ap_ip="10.20.0.81")
    # The phone rotates its randomised MAC; its hostname still names it.
    sweep(sessions, T0 + timedelta(hours=3), laptop_ip="10.20.0.99", ap_mac=AP_MAC2, ap_ip="10.20.0.81",
          phone_mac="5e:00:19:10:00:71")
    with sessions() as s:
        assert s.get(Asset, laptop).status == "approved"
        assert [a.ip for a in s.get(Asset, laptop).addresses if a.current] == ["10.20.0.99"]
        assert s.get(Asset, ap).status == "approved"
        assert AP_MAC2 in {i.mac for i in s.get(Asset, ap).interfaces}
        assert s.get(Asset, phone).status == "ignored"
        assert "5e:00:19:10:00:71" in {i.mac for i in s.get(Asset, phone).interfaces}
        assert s.get(Asset, camera).status == "rogue"
        assert s.scalars(select(Asset.id).where(Asset.status == "undocumented")).all() == []
    assert report_ids(sessions) == [camera]
