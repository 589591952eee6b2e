#!/usr/bin/env python3
"""Render the unknown-device HTML report in headless Chromium and save screenshots at 1280 px.

Run by hand to look at the report as a reader would:

    .venv/bin/python scripts/screenshot_report.py                 # realistic sample office
    .venv/bin/python scripts/screenshot_report.py --db URL        # the report of a real database
    .venv/bin/python scripts/screenshot_report.py -o /tmp/shots   # where to write

Writes ``unknown.html``, ``overview.png`` (the page as it opens) and ``expanded.png`` (the
first devices expanded to their evidence), and prints the page's layout width at a 1280 px
window: a width above 1280 means the reader would have to scroll sideways (exit status 1).
The sample office is made of hand-made observations reconciled into a throw-away SQLite
database, so the report shows real fingerprint evidence and risk hints; nothing is sent on
any network. Needs the Debian ``chromium`` package.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

WIDTH = 1280


def chromium_binary() -> str | None:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        found = shutil.which(name)
        if found:
            return found
    return None


def sample_office(url: str) -> None:
    """A small office: an inventory of documented gear and a sweep that finds more than that."""
    import netaddr

    from netdiscover.inventory import parse_csv
    from netdiscover.observation import LOCATION, NEIGHBOUR, Observation, Service
    from netdiscover.services.inventory import import_records
    from netdiscover.services.reconcile import reconcile
    from netdiscover.services.review import decide
    from netdiscover.storage.assets import find_asset
    from netdiscover.storage.engine import open_database

    sessions = open_database(url)
    t0 = datetime.now(UTC) - timedelta(days=20)
    documented = [
        ("core-sw", "00:1b:54:20:00:02", "10.20.0.2", "switch"),
        ("printer-2f", "00:00:aa:20:00:10", "10.20.0.10", "printer"),
        ("ws-anna", "3c:22:fb:20:00:21", "10.20.0.21", "workstation"),
        ("ws-ben", "3c:22:fb:20:00:22", "10.20.0.22", "workstation"),
        ("ws-carla", "f4:8e:38:20:00:23", "10.20.0.23", "workstation"),
        ("fileserver", "00:25:90:20:00:05", "10.20.0.5", "server"),
    ]
    inventory = "name,mac,ip,device_class,owner\n" + "".join(
        f"{name},{mac},{ip},{cls},it\n" for name, mac, ip, cls in documented)
    records, errors = parse_csv(inventory)
    if errors:
        raise SystemExit(f"sample inventory: {errors[0]}")
    import_records(sessions, records, actor="sample", now=t0)

    def seen(at):
        obs = [Observation(method="arp", ip=ip, mac=mac, seen_at=at) for _, mac, ip, _ in documented]
        return obs

    scope = netaddr.IPSet(["10.20.0.0/24"])
    reconcile(sessions, seen(t0), scope=scope, now=t0)

    later = datetime.now(UTC) - timedelta(hours=6)
    found = [
        *seen(later),
        Observation(method="arp", ip="10.20.0.60", mac="c0:56:e3:20:00:60", seen_at=later),
        Observation(method="nmap", ip="10.20.0.60", mac="c0:56:e3:20:00:60", seen_at=later,
                    hostname="IPC-lobby",
                    services=[Service(port=23, name="telnet", product="BusyBox telnetd"),
                              Service(port=80, name="http", product="Hikvision IP camera httpd",
                                      banner="HTTP/1.1 200 OK\r\nServer: App-webs/\r\n"),
                              Service(port=554, name="rtsp", product="Hikvision 7513 POE IP camera rtspd")],
                    facts={"nmap": {"osmatch": [{"name": "Linux 3.0 (embedded)", "accuracy": 95,
                                                 "osclass": [{"vendor": "Linux", "osfamily": "Linux",
                                                              "osgen": "3.X", "type": "webcam",
                                                              "accuracy": 95, "cpe": []}]}]}}),
        Observation(method="arp", ip="10.20.0.61", mac="b8:27:eb:20:00:61", seen_at=later),
        Observation(method="nmap", ip="10.20.0.61", mac="b8:27:eb:20:00:61", seen_at=later,
                    hostname="raspberrypi",
                    services=[Service(port=22, name="ssh", product="OpenSSH",
                                      version="9.2p1 Debian 2+deb12u3"),
                              Service(port=21, name="ftp", product="vsftpd", version="3.0.3")]),
        Observation(method="snmp", ip="10.20.0.62", mac="00:15:5d:20:00:62", seen_at=later,
                    hostname="NPI5D2A1F", serial="VNB3K21734", credential="v2c#1",
                    flags=["default-community"],
                    facts={"snmp": {"sysDescr": "HP ETHERNET MULTI-ENVIRONMENT,ROM none,JETDIRECT,JD153",
                                    "sysObjectID": "1.3.6.1.4.1.11.2.3.9.1", "sysName": "NPI5D2A1F",
                                    "mibs": ["printer", "host-resources"]}},
                    services=[Service(port=80, name="http", product="HP-ChaiSOE", version="1.0"),
                              Service(port=9100, name="jetdirect")]),
        Observation(method="arp", ip="10.20.0.63", mac="da:a1:19:20:00:63", seen_at=later),
        Observation(method="iot", ip="10.20.0.63", mac="da:a1:19:20:00:63", seen_at=later,
                    hostname="Annas-iPhone",
                    facts={"mdns": {"services": ["_apple-mobdev2._tcp", "_companion-link._tcp"],
                                    "hostname": "Annas-iPhone.local"}}),
        Observation(method="arp", ip="10.20.0.64", mac="00:11:32:20:00:64", seen_at=later),
        Observation(method="nmap", ip="10.20.0.64", mac="00:11:32:20:00:64", seen_at=later,
                    hostname="backup-nas",
                    services=[Service(port=5000, name="http", product="Synology DiskStation httpd"),
                              Service(port=445, name="microsoft-ds"), Service(port=22, name="ssh")]),
        Observation(method="snmp", kind=NEIGHBOUR, ip="10.20.0.65", mac="24:a4:3c:20:00:65", seen_at=later,
                    reporter="core-rtr", facts={"source": "ipNetToPhysicalTable"}),
        Observation(method="snmp", kind=LOCATION, mac="24:a4:3c:20:00:65", switch="core-sw",
                    switch_port="Gi1/0/17", reporter="core-sw", seen_at=later),
        Observation(method="arp", ip="10.20.0.66", mac="50:c7:bf:20:00:66", seen_at=later),
        Observation(method="iot", ip="10.20.0.66", mac="50:c7:bf:20:00:66", seen_at=later,
                    hostname="HS110-kitchen",
                    facts={"ssdp": {"manufacturer": "TP-Link", "modelName": "HS110",
                                    "friendlyName": "Kitchen plug"}}),
        Observation(method="arp", ip="10.20.0.67", mac="00:13:37:20:00:67", seen_at=later),
        Observation(method="nmap", ip="10.20.0.67", mac="00:13:37:20:00:67", seen_at=later,
                    hostname="Pineapple",
                    services=[Service(port=1471, name="http", product="nginx"),
                              Service(port=22, name="ssh")]),
        Observation(method="arp", ip="10.20.0.68", mac="fc:aa:14:20:00:68", seen_at=datetime.now(UTC),
                    hostname="<script>alert('owned')</script>"),
    ]
    reconcile(sessions, found, scope=scope, now=later)
    with sessions.begin() as s:
        rogue = find_asset(s, "00:13:37:20:00:67")
        if rogue is not None:
            decide(s, "rogue", [rogue.id], by="security", note="WiFi Pineapple in meeting room 2")
    sessions.kw["bind"].dispose()


def render(url: str, out: Path) -> Path:
    from click.testing import CliRunner

    from netdiscover.cli import main

    page = out / "unknown.html"
    res = CliRunner().invoke(main, ["--db", url, "report", "unknown", "--format", "html", "-o", str(page)])
    if res.exit_code != 0:
        raise SystemExit(f"report failed: {res.output.strip()}")
    return page


def run_chromium(binary: str, args: list[str], timeout: float = 60) -> subprocess.CompletedProcess:
    # In an empty network namespace when we may make one: the browser then cannot reach any network.
    isolate = ["unshare", "--net"] if os.geteuid() == 0 and shutil.which("unshare") else []
    cmd = [*isolate, binary, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
           "--no-first-run", "--disable-extensions", "--disable-background-networking", "--disable-sync",
           "--disable-component-update", "--disable-default-apps", *args]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)


def layout_width(binary: str, page: Path, work: Path) -> int:
    """The page's scroll width in a 1280 px window (a copy of the page measures itself)."""
    html = page.read_text(encoding="utf-8")
    html = re.sub(r'<meta http-equiv="Content-Security-Policy"[^>]*>', "", html, count=1)
    probe = ("<script>document.addEventListener('DOMContentLoaded',function(){document.body.setAttribute("
             "'data-scroll-width',String(document.documentElement.scrollWidth));});</script>")
    measured = work / "measure.html"
    measured.write_text(html.replace("</head>", probe + "</head>", 1), encoding="utf-8")
    proc = run_chromium(binary, [f"--window-size={WIDTH},900", "--dump-dom", measured.as_uri()])
    match = re.search(r'data-scroll-width="(\d+)"', proc.stdout)
    if not match:
        raise SystemExit(f"could not measure the layout: {proc.stderr.strip()[-300:]}")
    return int(match.group(1))


def screenshot(binary: str, page: Path, png: Path, height: int) -> None:
    proc = run_chromium(binary, [f"--window-size={WIDTH},{height}", f"--screenshot={png}", page.as_uri()])
    if not png.exists():
        raise SystemExit(f"chromium made no screenshot: {proc.stderr.strip()[-300:]}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", help="database URL (default: build the sample office in a temporary file)")
    parser.add_argument("-o", "--out", type=Path, default=Path("report-shots"), help="output directory")
    parser.add_argument("--height", type=int, default=1400, help="screenshot height in pixels")
    args = parser.parse_args(argv)
    binary = chromium_binary()
    if binary is None:
        print("chromium is not installed (apt-get install -y chromium)", file=sys.stderr)
        return 2
    args.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        url = args.db
        if url is None:
            url = f"sqlite:///{Path(tmp) / 'office.db'}"
            sample_office(url)
        page = render(url, args.out)
        width = layout_width(binary, page, Path(tmp))
        screenshot(binary, page, args.out / "overview.png", args.height)
        html = page.read_text(encoding="utf-8")
        expanded = Path(tmp) / "expanded.html"
        opened = html.replace('<tr class="detail" hidden>', '<tr class="detail">', 2)
        expanded.write_text(opened, encoding="utf-8")
        screenshot(binary, expanded, args.out / "expanded.png", args.height + 600)
    print(f"wrote {page}, {args.out / 'overview.png'}, {args.out / 'expanded.png'}")
    print(f"layout width at a {WIDTH} px window: {width} px "
          f"({'fits, no sideways scrolling' if width <= WIDTH else 'TOO WIDE: sideways scrolling'})")
    return 0 if width <= WIDTH else 1


if __name__ == "__main__":
    sys.exit(main())
