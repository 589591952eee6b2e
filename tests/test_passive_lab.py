"""``netdiscover listen`` in namespaces with real clients: found with the right names, and silent."""

from __future__ import annotations

import json
import shutil
import time

import pytest
from click.testing import CliRunner

from netdiscover.cli import main
from netdiscover_lab import passive_lab as pl
from netdiscover_lab.iot_responders import start_avahi

pytestmark = pytest.mark.timeout(90)


def need(*programs: str) -> None:
    missing = [p for p in programs if shutil.which(p) is None]
    if missing:
        pytest.skip(f"not installed: {', '.join(missing)}")


def assets(db_url: str) -> list[dict]:
    result = CliRunner().invoke(main, ["--db", db_url, "assets", "list", "--format", "json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def by_mac(rows: list[dict], mac: str) -> dict:
    found = [a for a in rows if mac in a["macs"]]
    assert len(found) == 1, (mac, rows)
    return found[0]


def test_dhcp_clients_and_avahi_are_heard_and_listener_sends_nothing(lab, tmp_path, sqlite_url):
    need("dnsmasq", "udhcpc", "dhclient", "dhcpcd", "avahi-daemon")
    seg = pl.mirror_segment(lab)
    ear = pl.silent_host(lab, "ear", seg)
    server = lab.host("dhcpd", seg, "10.21.0.1/24", mac="00:1b:21:21:00:01")
    time.sleep(0.5)
    before = pl.tx_packets(lab, ear.ns)
    running = pl.start_listen(lab, ear, sqlite_url, tmp_path / "listen", duration="60s", flush="3s")
    pl.start_dnsmasq(lab, server, tmp_path / "dnsmasq", "10.21.0.100", "10.21.0.150")
    busybox = lab.host("busybox", seg, None, mac="00:1b:21:21:00:02")
    isc = lab.host("isc", seg, None, mac="00:1b:21:21:00:03")
    printer = lab.host("printer", seg, "10.21.0.40/24", mac="00:1b:21:21:00:04")
    dcd = lab.host("dcd", seg, None, mac="00:1b:21:21:00:05")
    pl.run_udhcpc(lab, busybox, "bb-<b>sensor</b>")
    pl.run_dhclient(lab, isc, "isc-laptop", tmp_path / "dhclient")
    pl.run_dhcpcd(lab, dcd, "dcd-box")
    start_avahi(lab, printer, "lab-printer", [], tmp_path / "avahi")
    time.sleep(2.0)
    summary = running.finish()
    after = pl.tx_packets(lab, ear.ns)

    assert after == before, f"the listener's interface sent {after - before} packets"
    assert summary["packets"].get("dhcp", 0) >= 4 and summary["packets"].get("mdns", 0) >= 1
    assert summary["malformed"] == 0 and summary["kernel_drops"] == 0
    assert summary["assets"]["new"] >= 5 and not summary["errors"]
    rows = assets(sqlite_url)
    bb = by_mac(rows, "00:1b:21:21:00:02")
    assert bb["hostname"] == "bb-<b>sensor</b>"                 # markup stored as text, not dropped
    assert bb["ips"][0].startswith("10.21.0.1") and "passive" in bb["methods"]
    isc_row = by_mac(rows, "00:1b:21:21:00:03")
    assert isc_row["hostname"] == "isc-laptop" and isc_row["ips"][0].startswith("10.21.0.1")
    # the server's IPv6 link-local address (from its router solicitation) is stored too, shown last
    assert by_mac(rows, "00:1b:21:21:00:01")["ips"] in (["10.21.0.1"], ["10.21.0.1", "fe80::21b:21ff:fe21:1"])
    assert by_mac(rows, "00:1b:21:21:00:04")["hostname"].startswith("lab-printer")
    assert isc_row["os_name"] and "linux" in isc_row["os_name"].lower()
    dcd_row = by_mac(rows, "00:1b:21:21:00:05")
    assert dcd_row["hostname"] == "dcd-box" and dcd_row["os_name"] == "Linux"


def test_lldp_and_slaac_hosts_are_heard(lab, tmp_path, sqlite_url, request):
    need("lldpd", "radvd")
    seg = pl.mirror_segment(lab)
    ear = pl.silent_host(lab, "ear", seg)
    before = pl.tx_packets(lab, ear.ns)
    running = pl.start_listen(lab, ear, sqlite_url, tmp_path / "listen", duration="60s", flush="3s")
    router = lab.host("router", seg, None, mac="00:1b:21:21:01:01")
    pl.start_radvd(lab, router, tmp_path / "radvd", "fd00:21::/64")
    switch = lab.host("switch", seg, "10.21.1.2/24", mac="00:1b:21:21:01:02")
    lldpd_dir = pl.start_lldpd(lab, switch, "lab-switch")
    request.addfinalizer(lambda: shutil.rmtree(lldpd_dir, ignore_errors=True))
    v6host = lab.host("v6host", seg, None, mac="00:1b:21:21:01:03")
    slaac = "fd00:21::21b:21ff:fe21:103"
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        if slaac in lab.run(v6host.ns, ["ip", "-6", "addr", "show", "dev", "eth0"]).stdout and \
                "tentative" not in lab.run(v6host.ns, ["ip", "-6", "addr", "show", "dev", "eth0"]).stdout:
            break
        time.sleep(0.5)
    else:
        pytest.fail("the IPv6 host never got its SLAAC address")
    time.sleep(3.0)
    summary = running.finish()
    assert pl.tx_packets(lab, ear.ns) == before
    assert summary["packets"].get("lldp", 0) >= 1 and summary["packets"].get("icmpv6", 0) >= 2
    rows = assets(sqlite_url)
    sw = by_mac(rows, "00:1b:21:21:01:02")
    assert sw["hostname"] == "lab-switch"
    host = by_mac(rows, "00:1b:21:21:01:03")
    assert slaac in host["ips"] and host["ips"][-1] == "fe80::21b:21ff:fe21:103"   # DAD, MLD from link-local


def observed_keys(db_url: str) -> dict[str, set[str]]:
    """MAC -> identity keys recorded on its passive observations."""
    from sqlalchemy import create_engine, text

    engine = create_engine(db_url)
    try:
        with engine.connect() as conn:
            rows = conn.execute(text("SELECT mac, data FROM observations WHERE method = 'passive'")).all()
    finally:
        engine.dispose()
    keys: dict[str, set[str]] = {}
    for mac, data in rows:
        record = json.loads(data) if isinstance(data, str) else data
        key = ((record.get("facts") or {}).get("passive") or {}).get("identity_key")
        if key:
            keys.setdefault(mac, set()).add(key)
    return keys


def test_randomised_mac_client_keeps_one_identity_key(lab, tmp_path, sqlite_url):
    need("dnsmasq", "udhcpc")
    seg = pl.mirror_segment(lab)
    ear = pl.silent_host(lab, "ear", seg)
    server = lab.host("dhcpd", seg, "10.21.2.1/24", mac="00:1b:21:21:02:01")
    running = pl.start_listen(lab, ear, sqlite_url, tmp_path / "listen", duration="60s", flush="60s")
    pl.start_dnsmasq(lab, server, tmp_path / "dnsmasq", "10.21.2.100", "10.21.2.150")
    phone = lab.host("phone", seg, None, mac="02:5a:00:00:00:01")
    rotations = ["02:5a:00:00:00:01", "06:5a:00:00:00:02", "0a:5a:00:00:00:03"]
    for mac in rotations:
        for args in (["down"], ["address", mac], ["up"]):
            lab.run(phone.ns, ["ip", "link", "set", "eth0", *args])
        pl.run_udhcpc(lab, phone, "iPhone", client_id="ff00112233445566")
    twin = lab.host("twin", seg, None, mac="02:5a:00:00:00:09")
    pl.run_udhcpc(lab, twin, "iPhone", client_id="ff99887766554433")
    time.sleep(1.0)
    running.finish()
    keys = observed_keys(sqlite_url)
    assert {frozenset(keys[m]) for m in rotations} == {frozenset({"dhcp-client-id:ff00112233445566"})}
    assert keys["02:5a:00:00:00:09"] == {"dhcp-client-id:ff99887766554433"}
    # the reconciler joined the rotations into one asset; the other "iPhone" stays its own
    rows = assets(sqlite_url)
    one = by_mac(rows, rotations[0])
    assert sorted(one["macs"]) == sorted(rotations)
    assert by_mac(rows, "02:5a:00:00:00:09")["id"] != one["id"]
