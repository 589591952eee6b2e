"""``scan -m ndp`` in namespaces: IPv6-only hosts (link-local + SLAAC) found with their addresses."""

from __future__ import annotations

import itertools
import json
import shutil
import sys
import time

import pytest

from netdiscover_lab import passive_lab as pl

pytestmark = pytest.mark.timeout(90)
PREFIX = "fd00:22::/64"


def slaac_of(mac: str) -> str:
    octets = bytes.fromhex(mac.replace(":", ""))
    iid = bytes([octets[0] ^ 2]) + octets[1:3] + b"\xff\xfe" + octets[3:]
    groups = [iid[i : i + 2].hex().lstrip("0") or "0" for i in range(0, 8, 2)]
    return "fd00:22::" + ":".join(groups)


def wait_for_address(lab, ns: str, address: str, timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        shown = lab.run(ns, ["ip", "-6", "addr", "show", "dev", "eth0"]).stdout
        if address in shown and "tentative" not in shown:
            return
        time.sleep(0.3)
    pytest.fail(f"{ns} never got {address}")


def netdiscover(lab, ns: str, *args: str) -> str:
    proc = lab.run(ns, [*pl.NETDISCOVER, *args], check=False, timeout=60)
    assert proc.returncode == 0, proc.stderr[-1500:]
    return proc.stdout


def test_ndp_finds_ipv6_only_hosts_and_assets_show_their_addresses(lab, tmp_path, sqlite_url):
    if shutil.which("radvd") is None:
        pytest.skip("radvd is not installed")
    seg = lab.segment("lan")
    router = lab.host("router", seg, None, mac="00:1b:21:22:00:01")
    pl.start_radvd(lab, router, tmp_path / "radvd", PREFIX)
    scanner = lab.host("scanner", seg, None, mac="00:1b:21:22:00:02")
    hosts = {f"00:1b:21:22:00:{i:02x}": lab.host(f"v6h{i}", seg, None, mac=f"00:1b:21:22:00:{i:02x}")
             for i in (3, 4)}
    for mac, host in [("00:1b:21:22:00:02", scanner), *hosts.items()]:
        wait_for_address(lab, host.ns, slaac_of(mac))

    out = netdiscover(lab, scanner.ns, "--db", sqlite_url, "scan", PREFIX, "--allow-large", "-m", "ndp",
                      "--iface", "eth0", "--format", "json")
    found = {mac for row in json.loads(out) for mac in row["macs"]}
    assert set(hosts) <= found and "00:1b:21:22:00:01" in found

    rows = json.loads(netdiscover(lab, scanner.ns, "--db", sqlite_url, "assets", "list", "--format", "json"))
    for mac in hosts:
        (row,) = [r for r in rows if mac in r["macs"]]
        link_local = slaac_of(mac).replace("fd00:22::", "fe80::")
        assert row["ips"] == [slaac_of(mac), link_local], row      # the link-local one stored, shown last
        assert "ndp" in row["methods"]


def test_ndp_without_ipv6_on_the_interface_is_a_clear_error(lab, sqlite_url):
    seg = lab.segment("lan")
    quiet = pl.silent_host(lab, "quiet", seg)
    proc = lab.run(quiet.ns, [*pl.NETDISCOVER, "--db", sqlite_url, "scan", "10.22.0.0/24", "-m", "ndp",
                              "--iface", "eth0"], check=False, timeout=60)
    assert "no IPv6 link-local address" in proc.stderr and "Traceback" not in proc.stderr


def test_ndp_paces_its_probes_at_the_rate(lab, tmp_path, sqlite_url):
    """--rate 4: the echoes and solicitations the scanner sends, as a silent neighbour hears them
    (kernel receive times), come at most 4 a second."""
    if shutil.which("radvd") is None:
        pytest.skip("radvd is not installed")
    seg = lab.segment("lan")
    router = lab.host("router", seg, None, mac="00:1b:21:22:01:01")
    pl.start_radvd(lab, router, tmp_path / "radvd", PREFIX)
    scanner = lab.host("scanner", seg, None, mac="00:1b:21:22:01:02")
    ear = pl.silent_host(lab, "ear", seg)
    host = lab.host("v6h", seg, None, mac="00:1b:21:22:01:03")
    for mac, peer in (("00:1b:21:22:01:02", scanner), ("00:1b:21:22:01:03", host)):
        wait_for_address(lab, peer.ns, slaac_of(mac))
    log = tmp_path / "probes.json"
    capture = lab.start(ear.ns, [sys.executable, "-m", "netdiscover_lab.passive_lab", "probes", "eth0",
                                 "00:1b:21:22:01:02", "12"], log=log)
    deadline = time.monotonic() + 10
    while "ready" not in (log.read_text() if log.exists() else "") and time.monotonic() < deadline:
        time.sleep(0.1)

    out = netdiscover(lab, scanner.ns, "--db", sqlite_url, "scan", PREFIX, "--allow-large", "-m", "ndp",
                      "--iface", "eth0", "--rate", "4", "--format", "json")
    assert "00:1b:21:22:01:03" in {mac for row in json.loads(out) for mac in row["macs"]}
    capture.wait(timeout=30)
    times = json.loads(log.read_text().splitlines()[-1])
    assert len(times) >= 4, times                     # two rounds of echoes from two source addresses
    # a late wake-up may shorten the next gap by the lateness (the schedule keeps its slots), so
    # half a slot is the bound; unpaced, a round's two echoes are a few milliseconds apart
    gaps = [b - a for a, b in itertools.pairwise(times)]
    assert min(gaps) >= 0.5 / 4 and (len(times) - 1) / (times[-1] - times[0]) <= 4 * 1.1, gaps
