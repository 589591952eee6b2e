"""The nmap scanner against real services in network namespaces.

Every scan runs inside the lab's scanner namespace (``ip netns exec``), so nothing leaves the
lab. No assertion depends on nmap's OS guesses: the lab kernel is newer than nmap's database.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import pytest

from netdiscover_lab.services import (
    mosquitto_unavailable_reason,
    start_mosquitto,
    start_services,
    start_snmpd,
)

pytestmark = pytest.mark.lab

HP_MAC = "00:1b:78:61:00:10"       # an HP OUI: nmap names the vendor from it
RUNNER = """
import json, sys
from netaddr import IPSet
from netdiscover.scanners import load
from netdiscover.scanners.base import ScanContext, ScannerUnavailable
spec = json.loads(sys.argv[1])
out = {}
for method in spec["methods"]:
    progress = []
    ctx = ScanContext(targets=IPSet(spec["targets"]), nmap_profile=spec.get("profile", "quick"),
                      nmap_args=spec.get("args"), rate=spec.get("rate"), options=spec.get("options", {}),
                      progress=lambda d, t, m: progress.append([d, t, m]))
    try:
        o = load(method).scan(ctx)
    except ScannerUnavailable as exc:
        out[method] = {"unavailable": str(exc)}
        continue
    out[method] = {"status": o.status, "messages": o.messages, "stats": o.stats, "progress": progress,
                   "observations": [x.to_dict() for x in o.observations]}
print(json.dumps(out, default=str))
"""


def run_scan(lab, ns: str, timeout: float = 120, **spec) -> dict:
    """Run scanners inside ``ns`` and return {method: outcome-as-dict}."""
    spec.setdefault("methods", ["nmap"])
    proc = lab.run(ns, [sys.executable, "-c", RUNNER, json.dumps(spec)], timeout=timeout)
    return json.loads(proc.stdout)


def by_ip(outcome: dict) -> dict[str, dict]:
    return {o["ip"]: o for o in outcome["observations"]}


def services(obs: dict) -> dict[tuple[int, str], dict]:
    return {(s["port"], s["protocol"]): s for s in obs["services"]}


def test_real_services_are_named(lab, tmp_path):
    reason = mosquitto_unavailable_reason()
    if reason:
        pytest.skip(reason)
    lan = lab.segment("lan")
    scanner = lab.host("scan", lan, "10.61.0.2/24", "02:00:00:61:00:02")
    device = lab.host("dev", lan, "10.61.0.10/24", HP_MAC)
    start_services(lab, device.ns, [
        "http:80:server=lighttpd/1.4.59,title=Printer status",
        "http:8080:server=Boa/0.94.14rc21,title=IP Camera",
        "ssh:22",
        "jetdirect:9100:model=HP LaserJet 4250",
        "rtsp:554",
        # hostile: markup and control bytes in a banner nmap copies into the version field,
        # and a 100 KB banner on another port
        r"ssh:2222:banner=SSH-2.0-OpenSSH_8.4p1 Debian-<script>x</script>\x1b[31m\x07end",
        r"ssh:2223:banner=SSH-2.0-OpenSSH_9.0 <b>,pad=100000",
    ], log=tmp_path / "services.log")
    start_mosquitto(lab, device.ns, tmp_path / "mqtt")
    start_snmpd(lab, device.ns, device.ip, tmp_path / "snmpd")

    result = run_scan(lab, scanner.ns, targets=["10.61.0.0/28"], profile="standard",
                      args="-p T:22,80,554,1883,2222,2223,8080,9100,U:161 --allports")["nmap"]
    assert result["status"] == "done", result["messages"]
    found = by_ip(result)
    assert set(found) == {"10.61.0.10"}          # the scanner's own 10.61.0.2 is dropped
    obs = found["10.61.0.10"]
    assert obs["method"] == "nmap" and obs["mac"] == HP_MAC
    assert obs["vendor_hint"] == "Hewlett Packard" == obs["facts"]["nmap"]["mac_vendor"]
    assert obs["facts"]["nmap"]["state"] == "up" and obs["facts"]["nmap"]["reason"] == "arp-response"
    svc = services(obs)
    assert set(svc) == {(22, "tcp"), (80, "tcp"), (554, "tcp"), (1883, "tcp"), (2222, "tcp"),
                        (2223, "tcp"), (8080, "tcp"), (9100, "tcp"), (161, "udp")}
    assert (svc[(22, "tcp")]["name"], svc[(22, "tcp")]["product"]) == ("ssh", "OpenSSH")
    assert svc[(22, "tcp")]["version"].startswith("8.4p1")
    assert "cpe:/a:openbsd:openssh:8.4p1" in svc[(22, "tcp")]["cpe"]
    assert (svc[(80, "tcp")]["name"], svc[(80, "tcp")]["product"], svc[(80, "tcp")]["version"]) == \
        ("http", "lighttpd", "1.4.59")
    assert svc[(8080, "tcp")]["name"] == "http" and "Boa" in svc[(8080, "tcp")]["product"]
    assert svc[(554, "tcp")]["name"] == "rtsp" and svc[(554, "tcp")]["product"]
    assert "mqtt" in svc[(1883, "tcp")]["name"] or "mosquitto" in svc[(1883, "tcp")]["name"]
    assert svc[(9100, "tcp")]["product"] == "HP LaserJet 4250"
    assert svc[(161, "udp")]["name"] == "snmp" and "net-snmp" in svc[(161, "udp")]["product"]
    assert {"port": 9100, "devicetype": "printer"} in obs["facts"]["nmap"]["service_hints"]

    hostile = svc[(2222, "tcp")]
    assert hostile["product"] == "OpenSSH" and "<script>x</script>" in hostile["version"]
    flat = json.dumps(obs)
    assert "\\u001b" not in flat and "\\u0007" not in flat
    assert all(len(s.get(k) or "") <= 255 for s in svc.values() for k in ("product", "version", "extrainfo"))
    assert svc[(2223, "tcp")]["name"] == "ssh"


def routed_lab(lab, tmp_path: Path):
    """lan 10.62.0.0/24 (scanner, a host) -- router -- remote 10.63.0.0/24 (a host)."""
    lan = lab.segment("lan")
    remote = lab.segment("remote")
    router = lab.router("rtr", [(lan, "10.62.0.1/24", "02:00:00:62:00:01"),
                                (remote, "10.63.0.1/24", "02:00:00:63:00:01")])
    lab.run(router.ns, ["ip", "route", "add", "blackhole", "10.64.0.0/24"])   # drops without a word
    scanner = lab.host("scan", lan, "10.62.0.2/24", "02:00:00:62:00:02", gateway="10.62.0.1")
    local = lab.host("local", lan, "10.62.0.10/24", "00:1b:78:62:00:10", gateway="10.62.0.1")
    far = lab.host("far", remote, "10.63.0.20/24", "00:1b:78:63:00:20", gateway="10.63.0.1")
    start_services(lab, local.ns, ["http:80"], log=tmp_path / "local.log")
    start_services(lab, far.ns, ["http:80:server=Boa/0.94.14rc21", "ssh:22"], log=tmp_path / "far.log")
    return scanner


def test_routed_host_found_by_nmap_not_by_arp(lab, tmp_path):
    scanner = routed_lab(lab, tmp_path)
    results = run_scan(lab, scanner.ns, methods=["nmap", "arp"],
                       targets=["10.62.0.0/28", "10.63.0.16/28"], args="-p 22,80",
                       options={"nmap_chunk_size": 16, "nmap_parallel": 2})
    nmap = results["nmap"]
    assert nmap["status"] == "done", nmap["messages"]
    assert nmap["stats"]["chunks"] == 2 and nmap["stats"]["parallel"] == 2
    assert [p[:2] for p in nmap["progress"]] == [[0, 2], [1, 2], [2, 2]]
    found = by_ip(nmap)
    assert {"10.62.0.1", "10.62.0.10", "10.63.0.20"} <= set(found)
    assert "10.62.0.2" not in found
    far = found["10.63.0.20"]
    assert far["mac"] is None                              # behind a router: no layer-2 address
    assert {(22, "tcp"), (80, "tcp")} <= set(services(far))
    assert found["10.62.0.10"]["mac"] == "00:1b:78:62:00:10"

    arp = results["arp"]
    assert "unavailable" not in arp, arp
    arp_ips = {o["ip"] for o in arp["observations"]}
    assert "10.62.0.10" in arp_ips                         # ARP works on the local segment...
    assert "10.63.0.20" not in arp_ips                     # ...and cannot see past the router


def test_failed_chunk_loses_only_itself(lab, tmp_path):
    scanner = routed_lab(lab, tmp_path)
    # 10.64.0.5 is blackholed by the router: with -Pn nmap keeps retrying it past the chunk
    # timeout, while the reachable chunk finishes well inside it.
    result = run_scan(lab, scanner.ns, targets=["10.63.0.20/32", "10.64.0.5/32"],
                      args="-Pn -p 1-200 --max-retries 10",
                      options={"nmap_chunk_size": 1, "nmap_parallel": 2, "nmap_chunk_timeout": 6})["nmap"]
    assert result["status"] == "partial"
    assert result["stats"]["failed_chunks"] == 1
    assert any("10.64.0.5" in m and "timed out" in m for m in result["messages"]), result["messages"]
    assert set(by_ip(result)) == {"10.63.0.20"}


def test_command_line_scan_stores_services_and_refuses_bad_args(lab, tmp_path):
    lan = lab.segment("lan")
    scanner = lab.host("scan", lan, "10.65.0.2/24", "02:00:00:65:00:02")
    device = lab.host("dev", lan, "10.65.0.10/24", HP_MAC)
    start_services(lab, device.ns, ["ssh:22", "http:80"], log=tmp_path / "services.log")
    cli = [str(Path(sys.executable).parent / "netdiscover"), "--db", f"sqlite:///{tmp_path / 'nd.db'}"]

    proc = lab.run(scanner.ns, [*cli, "scan", "10.65.0.0/28", "-m", "nmap", "--nmap-args", "-sV -p 22",
                                "--format", "json"], check=False, timeout=120)
    assert proc.returncode == 0, proc.stderr
    (asset,) = json.loads(proc.stdout)
    assert asset["ips"] == ["10.65.0.10"] and asset["macs"] == [HP_MAC] and asset["methods"] == ["nmap"]
    ports = {(s["port"], s["protocol"]): s for s in asset["services"]}
    assert set(ports) == {(22, "tcp")}                 # port 80 is open but was not asked for
    assert ports[(22, "tcp")]["product"] == "OpenSSH" and ports[(22, "tcp")]["version"].startswith("8.4p1")
    assert "cpe:/a:openbsd:openssh:8.4p1" in ports[(22, "tcp")]["cpe"]

    proc = lab.run(scanner.ns, [*cli, "scan", "10.65.0.0/28", "-m", "nmap", "--nmap-args",
                                "-oN /tmp/netdiscover-nmap.txt"], check=False)
    assert proc.returncode != 0
    assert "Traceback" not in proc.stderr
    assert "-oN is not allowed" in proc.stderr
    assert not Path("/tmp/netdiscover-nmap.txt").exists()


def test_ipv6_targets_run_in_their_own_chunk(lab, tmp_path):
    lan = lab.segment("lan")
    scanner = lab.host("scan", lan, "10.66.0.2/24", "02:00:00:66:00:02")
    device = lab.host("dev", lan, "10.66.0.10/24", HP_MAC)
    lab.run(scanner.ns, ["ip", "addr", "add", "fd00:66::2/64", "dev", "eth0", "nodad"])
    lab.run(device.ns, ["ip", "addr", "add", "fd00:66::10/64", "dev", "eth0", "nodad"])
    start_services(lab, device.ns, ["ssh:22"], log=tmp_path / "services.log")
    for ns in (scanner.ns, device.ns):          # neighbour discovery waits for link-local DAD
        deadline = time.monotonic() + 10
        while "tentative" in lab.run(ns, ["ip", "-6", "addr"]).stdout and time.monotonic() < deadline:
            time.sleep(0.2)
    result = run_scan(lab, scanner.ns, targets=["10.66.0.10/32", "fd00:66::/123"], args="-p 22")["nmap"]
    assert result["status"] == "done", result["messages"]
    assert result["stats"]["chunks"] == 2
    found = by_ip(result)
    assert set(found) == {"10.66.0.10", "fd00:66::10"}        # the scanner's fd00:66::2 is dropped
    assert found["fd00:66::10"]["mac"] == HP_MAC
    assert (22, "tcp") in services(found["fd00:66::10"])


def test_deep_profile_runs_os_detection_without_relying_on_its_guess(lab, tmp_path):
    lan = lab.segment("lan")
    scanner = lab.host("scan", lan, "10.67.0.2/24", "02:00:00:67:00:02")
    device = lab.host("dev", lan, "10.67.0.10/24", HP_MAC)
    start_services(lab, device.ns, ["ssh:22"], log=tmp_path / "services.log")
    # one open and one closed port: what -O needs; the lab kernel is newer than nmap's OS database,
    # so only the shape of the answer is checked, never the name it guesses
    result = run_scan(lab, scanner.ns, targets=["10.67.0.10/32"], profile="deep",
                      args="-p 22,81 --max-os-tries 1")["nmap"]
    assert result["status"] == "done", result["messages"]
    assert "-O" in result["stats"]["arguments"].split()
    (obs,) = result["observations"]
    facts = obs["facts"]["nmap"]
    assert isinstance(facts["osmatch"], list)
    for match in facts["osmatch"]:
        assert isinstance(match["name"], str) and 0 <= match["accuracy"] <= 100
        for cls in match["osclass"]:
            assert set(cls) == {"vendor", "osfamily", "osgen", "type", "accuracy", "cpe"}
    assert facts["uptime_seconds"] is None or facts["uptime_seconds"] >= 0
    assert set(services(obs)) == {(22, "tcp")}
