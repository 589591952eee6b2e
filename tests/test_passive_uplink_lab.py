"""Passive LLDP in namespaces: lldpd on the switch port facing the listener places the listening
host's interface on that port; an LLDP-MED phone (another real lldpd) names itself; the
listener's interface sends nothing."""

from __future__ import annotations

import json
import shutil
import time

import pytest

from netdiscover_lab import passive_lab as pl
from netdiscover_lab.netns import Host

pytestmark = pytest.mark.timeout(120)
PHONE_MAC = "00:1b:21:23:0f:01"


def netdiscover(lab, ns: str, *args: str) -> str:
    proc = lab.run(ns, [*pl.NETDISCOVER, *args], check=False, timeout=60)
    assert proc.returncode == 0, proc.stderr[-1500:]
    return proc.stdout


def by_mac(rows: list[dict], mac: str) -> dict:
    found = [a for a in rows if mac in a["macs"]]
    assert len(found) == 1, (mac, rows)
    return found[0]


def test_switch_lldp_locates_the_listener_and_a_phone_names_itself(lab, tmp_path, sqlite_url, request):
    if shutil.which("lldpd") is None:
        pytest.skip("lldpd is not installed")
    seg = pl.mirror_segment(lab)                   # the phone's LLDP reaches the listener too
    ear, port = pl.silent_host_on_port(lab, "ear", seg)
    scanner = lab.host("scanner", seg, "10.23.0.5/24", mac="00:1b:21:23:00:05")
    # the listening box is an asset already: a sweep found it while it had an address
    lab.run(ear.ns, ["ip", "addr", "add", "10.23.0.9/24", "dev", "eth0"])
    netdiscover(lab, scanner.ns, "--db", sqlite_url, "scan", "10.23.0.8/29", "-m", "arp", "--iface", "eth0")
    lab.run(ear.ns, ["ip", "addr", "flush", "dev", "eth0"])

    # the switch: lldpd in the bridge's own namespace, on the port the listener is cabled to
    lab.run(seg.ns, ["ip", "addr", "add", "10.23.0.2/24", "dev", "br0"])
    switch = Host(name="switch", ns=seg.ns, ip="10.23.0.2", mac=None)
    sw_dir = pl.start_lldpd(lab, switch, "lab-sw", iface=port,
                            config=("configure system capabilities enabled bridge",))
    request.addfinalizer(lambda: shutil.rmtree(sw_dir, ignore_errors=True))
    phone = lab.host("phone", seg, "10.23.0.50/24", mac=PHONE_MAC)
    phone_dir = pl.start_lldpd(lab, phone, "desk-phone", med_class=3, config=(
        "configure system capabilities enabled telephone", "configure inventory serial-number PH-LAB-0001",
        "configure inventory manufacturer Labphone", "configure inventory model LP-100"))
    request.addfinalizer(lambda: shutil.rmtree(phone_dir, ignore_errors=True))

    time.sleep(1.0)
    before = pl.tx_packets(lab, ear.ns)
    running = pl.start_listen(lab, ear, sqlite_url, tmp_path / "listen", duration="60s", flush="2s")
    time.sleep(5.0)
    summary = running.finish()
    assert pl.tx_packets(lab, ear.ns) == before, "the listener's interface sent packets"

    assert summary["packets"].get("lldp", 0) >= 4, summary
    assert summary["uplinks"] == {"eth0": {"switch": "lab-sw", "port": port, "protocol": "lldp"}}
    rows = json.loads(netdiscover(lab, scanner.ns, "--db", sqlite_url, "assets", "list", "--format", "json"))
    ours = by_mac(rows, ear.mac)
    assert ours["switch_ports"] == [{"mac": ear.mac, "switch": "lab-sw", "port": port}]
    sw = next(r for r in rows if r["hostname"] == "lab-sw")
    assert sw["device_class"] == "switch" and "10.23.0.2" in sw["ips"] and "passive" in sw["methods"]
    ph = by_mac(rows, PHONE_MAC)
    assert (ph["hostname"], ph["serial"], ph["device_class"]) == ("desk-phone", "PH-LAB-0001", "voip")
    # nobody but the listener was placed: the phone is heard through the switch, not on a port
    assert ph["switch_ports"] == [] and sw["switch_ports"] == []
