"""IoT discovery against real responders in network namespaces: avahi-daemon, nmbd, SSDP devices.

The scanner runs inside the scanner namespace (``ip netns exec``); each device is its own
namespace on the same bridge. Fingerprints go through the shared combiner.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import pytest

from netdiscover.fingerprints import fingerprint
from netdiscover.observation import Observation
from netdiscover_lab import iot_responders as r

pytestmark = pytest.mark.lab

SCAN = """
import json, sys
from netaddr import IPSet
from netdiscover.scanners.iot import scanner as iot
from netdiscover.scanners.base import ScanContext
out = iot.scan(ScanContext(targets=IPSet([sys.argv[1]]), interface=sys.argv[2] or None))
print(json.dumps({"status": out.status, "messages": out.messages, "stats": out.stats,
                  "observations": [o.to_dict() for o in out.observations]}))
"""


def run_scan(lab, ns: str, targets: str, iface: str = "eth0") -> tuple[dict, dict[str, Observation], float]:
    """Run the iot scanner inside ``ns`` (``iface`` "" lets it pick the interface itself)."""
    started = time.monotonic()
    proc = lab.run(ns, [sys.executable, "-c", SCAN, targets, iface], timeout=60)
    elapsed = time.monotonic() - started
    result = json.loads(proc.stdout)
    by_ip = {o["ip"]: Observation.from_dict(o) for o in result["observations"]}
    return result, by_ip, elapsed


def test_announcing_devices_are_found_and_named(lab, tmp_path: Path):
    seg = lab.segment()
    scanner = lab.host("scan", seg, "10.77.0.2/24", "02:77:00:00:00:02")
    printer = lab.host("prn", seg, "10.77.0.10/24", "02:77:00:00:00:10")
    cast = lab.host("cast", seg, "10.77.0.11/24", "02:77:00:00:00:11")
    hap = lab.host("hap", seg, "10.77.0.12/24", "02:77:00:00:00:12")
    tv = lab.host("tv", seg, "10.77.0.13/24", "02:77:00:00:00:13")
    desk = lab.host("desk", seg, "10.77.0.14/24", "02:77:00:00:00:14")
    outside = lab.host("out", seg, "10.77.0.200/24", "02:77:00:00:00:c8")   # on the link, not a target

    r.start_nmbd(lab, desk, "DESKTOP-8KQ2M1X", "OFFICE", tmp_path / "desk")
    r.start_avahi(lab, printer, "printer-2f", [
        r.MdnsService("HP LaserJet Pro M404dn", "_ipp._tcp", 631,
                      {"txtvers": "1", "ty": "HP LaserJet Pro M404dn", "usb_MFG": "HP",
                       "usb_MDL": "LaserJet Pro M404dn", "rp": "ipp/print"}),
        r.MdnsService("HP LaserJet Pro M404dn", "_printer._tcp", 515)], tmp_path / "prn")
    r.start_avahi(lab, cast, "chromecast-ultra", [
        r.MdnsService("Chromecast-Ultra-5a2c", "_googlecast._tcp", 8009,
                      {"id": "5a2c", "md": "Chromecast Ultra", "fn": "Living Room", "ve": "05"})],
        tmp_path / "cast")
    r.start_avahi(lab, hap, "circle-view", [
        r.MdnsService("Front Door Camera", "_hap._tcp", 51827,
                      {"md": "Logitech Circle View", "ci": "17", "sf": "1", "c#": "2"})], tmp_path / "hap")
    desc = tmp_path / "tv.xml"
    desc.write_text(r.device_description("urn:schemas-upnp-org:device:MediaRenderer:1", "Meeting Room TV",
                                         "Samsung Electronics", "UE55TU7000", "7000", "0A1B2C3D4E",
                                         "uuid:4d696e69-444c-164e-9d41-001b2c3d4e5f"))
    r.start_ssdp(lab, tv, desc, tmp_path, server="Linux/4.1 UPnP/1.0 Samsung/1.0")
    outside_desc = tmp_path / "outside.xml"
    outside_desc.write_text(r.device_description("urn:schemas-upnp-org:device:MediaRenderer:1", "Not ours",
                                                 "Sony", "KD-55X85J"))
    outside_log = r.start_ssdp(lab, outside, outside_desc, tmp_path)

    result, seen, elapsed = run_scan(lab, scanner.ns, "10.77.0.0/25")

    assert result["status"] == "done", result["messages"]
    assert elapsed < 20
    assert set(seen) == {"10.77.0.10", "10.77.0.11", "10.77.0.12", "10.77.0.13", "10.77.0.14"}
    assert result["stats"]["ssdp"]["ignored"] >= 1          # the outside device answered; dropped
    assert "M-SEARCH from 10.77.0.2" in outside_log.read_text()     # multicast reaches it ...
    assert "GET" not in outside_log.read_text()                      # ... but it is never fetched

    expected = {
        "10.77.0.10": ("printer", "HP", "LaserJet Pro M404dn"),
        "10.77.0.11": ("media", "Google", "Chromecast Ultra"),
        "10.77.0.12": ("camera", "Logitech", "Circle View"),
        "10.77.0.13": ("media", "Samsung", "UE55TU7000"),
    }
    for ip, (klass, vendor, model) in expected.items():
        fp = fingerprint([seen[ip]])
        assert (fp.device_class, fp.vendor, fp.model) == (klass, vendor, model), (ip, fp.evidence)

    prn = seen["10.77.0.10"]
    assert prn.hostname == "printer-2f.local"
    assert set(prn.facts["mdns"]["services"]) == {"_ipp._tcp", "_printer._tcp"}
    assert prn.facts["mdns"]["txt"]["rp"] == "ipp/print"
    tv_obs = seen["10.77.0.13"]
    assert tv_obs.serial == "0A1B2C3D4E"
    assert tv_obs.facts["ssdp"]["UDN"] == "uuid:4d696e69-444c-164e-9d41-001b2c3d4e5f"
    assert tv_obs.facts["ssdp"]["friendlyName"] == "Meeting Room TV"
    desk_obs = seen["10.77.0.14"]
    assert desk_obs.hostname == "DESKTOP-8KQ2M1X"
    assert desk_obs.facts["netbios"]["workgroup"] == "OFFICE"
    assert ["DESKTOP-8KQ2M1X", 0x20, False] in desk_obs.facts["netbios"]["names"]
    desk_fp = fingerprint([desk_obs])
    assert (desk_fp.device_class, desk_fp.os_name) == ("workstation", "Microsoft Windows")


def test_hostile_announcements_are_bounded_and_outside_locations_never_fetched(lab, tmp_path: Path):
    seg = lab.segment()
    scanner = lab.host("scan", seg, "10.78.0.2/24", "02:78:00:00:00:02")
    good = lab.host("good", seg, "10.78.0.10/24", "02:78:00:00:00:10")
    pointer = lab.host("ptr", seg, "10.78.0.30/24", "02:78:00:00:00:30")
    bomb = lab.host("bomb", seg, "10.78.0.31/24", "02:78:00:00:00:31")
    huge = lab.host("huge", seg, "10.78.0.32/24", "02:78:00:00:00:32")
    broken = lab.host("broken", seg, "10.78.0.33/24", "02:78:00:00:00:33")
    chatty = lab.host("chatty", seg, "10.78.0.34/24", "02:78:00:00:00:34")
    outside = lab.host("out", seg, "10.78.0.200/24", "02:78:00:00:00:c8")

    recorder = r.start_http_recorder(lab, outside, 8080, tmp_path)
    good_desc = tmp_path / "good.xml"
    good_desc.write_text(r.device_description("urn:schemas-upnp-org:device:ZonePlayer:1", "Kitchen",
                                              "Sonos, Inc.", "One", "S18", "RINCON_00", "uuid:RINCON_00"))
    r.start_ssdp(lab, good, good_desc, tmp_path)
    r.start_ssdp(lab, pointer, good_desc, tmp_path, location="http://10.78.0.200:8080/description.xml")
    for host, text in ((bomb, r.xml_bomb()), (broken, r.malformed_description())):
        path = tmp_path / f"{host.name}.xml"
        path.write_text(text)
        r.start_ssdp(lab, host, path, tmp_path)
    r.start_ssdp(lab, huge, good_desc, tmp_path, huge=3_000_000)
    r.start_hostile_mdns(lab, chatty, tmp_path)

    result, seen, elapsed = run_scan(lab, scanner.ns, "10.78.0.0/25", iface="")

    assert result["status"] == "done"
    assert result["stats"]["interface"] == "eth0"
    assert elapsed < 25
    messages = "\n".join(result["messages"])
    # the good device is found and named despite its hostile neighbours
    fp = fingerprint([seen["10.78.0.10"]])
    assert (fp.device_class, fp.vendor, fp.model) == ("media", "Sonos", "One")
    # LOCATION outside the targets: reported, never fetched
    assert "10.78.0.30: not fetched: LOCATION host 10.78.0.200 is outside the targets" in messages
    assert "friendlyName" not in seen["10.78.0.30"].facts["ssdp"]
    assert "10.78.0.200" not in seen
    assert not recorder.exists() or recorder.read_text() == ""
    # the recorder does record: fetch it ourselves from the scanner namespace
    lab.run(scanner.ns, [sys.executable, "-c", "import urllib.request; urllib.request.urlopen("
                         "'http://10.78.0.200:8080/check', timeout=5).read()"])
    assert recorder.read_text().splitlines() == ["GET /check from 10.78.0.2"]
    # bomb, huge and malformed descriptions are refused; the devices still appear
    assert "10.78.0.31: description refused" in messages
    assert "10.78.0.32: description too large" in messages
    assert "10.78.0.33: malformed description XML" in messages
    for ip in ("10.78.0.31", "10.78.0.32", "10.78.0.33"):
        assert seen[ip].facts["ssdp"]["location"].startswith(f"http://{ip}:")
        assert "friendlyName" not in seen[ip].facts["ssdp"]
    # 60 KB of TXT, markup and a compression loop: bounded, cleaned, kept as data
    mdns = seen["10.78.0.34"].facts["mdns"]
    assert mdns["instances"] == ["<script>alert(1)</script>"]
    assert len(mdns["txt"]) <= 32 and all(len(v) <= 255 for v in mdns["txt"].values())
    assert mdns["txt"]["md"] == "<b>Pwn</b><img src=x onerror=alert(1)>"
    assert len(json.dumps(seen["10.78.0.34"].to_dict())) < 40_000
    assert "compression loop" in messages
    assert "outside" not in json.dumps(result["observations"]).lower()


def test_unknown_interface_is_a_clear_error(lab):
    seg = lab.segment()
    scanner = lab.host("scan", seg, "10.79.0.2/24", "02:79:00:00:00:02")
    code = ("import sys\nfrom netaddr import IPSet\nfrom netdiscover.scanners.iot import scanner as iot\n"
            "from netdiscover.scanners.base import ScanContext, ScannerUnavailable\n"
            "try:\n    iot.scan(ScanContext(targets=IPSet(['10.79.0.0/24']), interface='eth7'))\n"
            "except ScannerUnavailable as exc:\n    print(exc)\n    sys.exit(3)\n")
    proc = lab.run(scanner.ns, [sys.executable, "-c", code], check=False)
    assert proc.returncode == 3 and "no interface named 'eth7'" in proc.stdout


def test_multicast_leaves_by_the_chosen_interface_only(lab, tmp_path: Path):
    here, there = lab.segment("a"), lab.segment("b")
    scanner = lab.host("scan", here, "10.80.0.2/24", "02:80:00:00:00:02")
    lab.attach(scanner.ns, there, "eth1", "10.80.1.2/24", "02:80:00:01:00:02")
    near = lab.host("near", here, "10.80.0.10/24", "02:80:00:00:00:10")
    far = lab.host("far", there, "10.80.1.10/24", "02:80:00:01:00:10")
    desc = tmp_path / "d.xml"
    desc.write_text(r.device_description("urn:schemas-upnp-org:device:MediaRenderer:1", "TV",
                                         "LG Electronics", "OLED55C1"))
    # left to routing, multicast would leave by eth1: only the socket option keeps it on eth0
    lab.run(scanner.ns, ["ip", "route", "add", "224.0.0.0/4", "dev", "eth1"])
    near_log = r.start_ssdp(lab, near, desc, tmp_path)
    far_log = r.start_ssdp(lab, far, desc, tmp_path)

    result, seen, _ = run_scan(lab, scanner.ns, "10.80.0.0/23", iface="eth0")

    assert near_log.exists() and "M-SEARCH from 10.80.0.2" in near_log.read_text()
    assert not far_log.exists() or "M-SEARCH" not in far_log.read_text()
    assert "ssdp" in seen["10.80.0.10"].facts
    assert "10.80.1.10" not in seen
    assert result["stats"]["interface"] == "eth0"


def test_routed_subnet_is_asked_by_unicast(lab, tmp_path: Path):
    here, there = lab.segment("a"), lab.segment("b")
    scanner = lab.host("scan", here, "10.82.0.2/24", "02:82:00:00:00:02", gateway="10.82.0.1")
    lab.router("gw", [(here, "10.82.0.1/24", "02:82:00:00:00:01"),
                      (there, "10.82.1.1/24", "02:82:00:01:00:01")])
    tv = lab.host("tv", there, "10.82.1.10/24", "02:82:00:01:00:10", gateway="10.82.1.1")
    desk = lab.host("desk", there, "10.82.1.11/24", "02:82:00:01:00:11", gateway="10.82.1.1")
    desc = tmp_path / "d.xml"
    desc.write_text(r.device_description("urn:schemas-upnp-org:device:MediaRenderer:1", "TV",
                                         "LG Electronics", "OLED55C1", serial="LG123"))
    log = r.start_ssdp(lab, tv, desc, tmp_path)
    r.start_nmbd(lab, desk, "LAPTOP-Q8W3E5R", "SALES", tmp_path / "desk")

    result, seen, _ = run_scan(lab, scanner.ns, "10.82.1.0/28", iface="")

    assert result["stats"]["interface"] is None
    assert "unicast queries only" in "\n".join(result["messages"])
    assert "M-SEARCH from 10.82.0.2" in log.read_text()
    fp = fingerprint([seen["10.82.1.10"]])
    assert (fp.device_class, fp.vendor, fp.model) == ("media", "LG", "OLED55C1")
    assert seen["10.82.1.10"].serial == "LG123"
    assert seen["10.82.1.11"].facts["netbios"]["workgroup"] == "SALES"
