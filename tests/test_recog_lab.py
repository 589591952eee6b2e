"""Recog evidence from real nmap output on lab devices that do not answer SNMP.

Inside network namespaces: a NAS (page title), a camera (Server header) and a Linux box (SSH
banner). nmap runs in the scanner namespace with the scripts that keep titles, headers and
banners; its XML goes through the real parser, then the fingerprint. Version detection is left
out: on services it does not recognise it probes for minutes, and the scripts need none of it.
"""

from __future__ import annotations

import shutil

import pytest

from netdiscover.fingerprints import fingerprint
from netdiscover.scanners.nmap.parse import parse_xml
from netdiscover_lab.services import start_services

pytestmark = pytest.mark.lab


def test_banners_name_devices_without_snmp(lab, tmp_path):
    if not shutil.which("nmap"):
        pytest.skip("nmap is not installed")
    lan = lab.segment("lan")
    scanner = lab.host("scan", lan, "10.66.0.2/24", "02:00:00:66:00:02")
    devices = {
        "10.66.0.10": ["http:80:server=nginx,title=NETGEAR ReadyNAS"],
        "10.66.0.11": ["http:80:server=Hikvision-Webs,title=Live view"],
        "10.66.0.12": ["ssh:22:banner=SSH-2.0-OpenSSH_8.2p1 Ubuntu-4ubuntu0.5"],
    }
    for n, (ip, specs) in enumerate(devices.items()):
        host = lab.host(f"d{n}", lan, f"{ip}/24", f"02:00:00:66:01:{n:02x}")
        start_services(lab, host.ns, specs, log=tmp_path / f"d{n}.log")

    proc = lab.run(scanner.ns, ["nmap", "-n", "-sS", "-T4", "-p", "22,80", "--script",
                                "http-title,http-server-header,banner", "-oX", "-", *devices], timeout=120)
    run = parse_xml(proc.stdout)
    observations = {obs.ip: obs for obs in run.observations}
    assert set(observations) == set(devices)
    scripts = observations["10.66.0.10"].facts["nmap"]["scripts"]
    assert {"port": 80, "id": "http-title", "title": "NETGEAR ReadyNAS"} in scripts
    assert {"port": 80, "id": "http-server-header", "server": "Hikvision-Webs"} in \
        observations["10.66.0.11"].facts["nmap"]["scripts"]

    nas, camera, linux = (fingerprint([observations[ip]]) for ip in devices)
    assert (nas.vendor, nas.device_class) == ("Netgear", "storage")
    assert (camera.vendor, camera.device_class) == ("Hikvision", "camera")
    assert (linux.os_family, linux.os_version) == ("linux", "20.04")
    assert not [e for e in linux.evidence if e.field in ("vendor", "device_class") and e.source == "recog"]
    for fp in (nas, camera, linux):
        assert any(e.source == "recog" for e in fp.evidence)
