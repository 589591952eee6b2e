"""Build (and remove) the demo office network from Linux network namespaces on this machine.

``build_office`` turns the device table in ``office_topology`` into namespaces: a LAN segment
with the scanner, a router leading to a routed server subnet, and every device with its own MAC,
IP and real services (HTTP, SSH, JetDirect, RTSP, MQTT, SNMP agents through snmpd and snmpsim,
mDNS/SSDP/NetBIOS announcements). The tests and ``netdiscover lab up`` use the same builder,
so what the demo shows is what the tests check.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

from netdiscover_lab import office_snmp
from netdiscover_lab.netns import Host, Lab, LabError, remove_namespaces
from netdiscover_lab.office_iot import ANNOUNCERS
from netdiscover_lab.office_topology import (
    DEVICES,
    ROUTER_LAN_IP,
    ROUTER_SRV_IP,
    ROUTER_SRV_MAC,
    SCANNER_IP,
    SCANNER_MAC,
    Device,
    by_name,
)

log = logging.getLogger("netdiscover_lab")

STATE_DIR = Path("/var/tmp/netdiscover-lab")   # not under /run: responders mount a private /run
DEMO_PREFIX = os.environ.get("NETDISCOVER_LAB_PREFIX", "ndlab")   # one demo lab per prefix

# What each HTTP persona says about itself (Server header, page title).
HTTP_PERSONAS = {
    "nginx": ("nginx/1.22.1", "Intranet"),
    "axis": ("Apache", "AXIS M3106-L Mk II Network Camera"),
    "hikvision": ("App-webs/", "Hikvision Web Components"),
    "synology": ("nginx", "Synology DiskStation - nas-01"),
    "polycom": ("Polycom SoundPoint IP Telephone HTTPd", "Polycom Web Configuration Utility"),
    "yealink": ("yealink embed httpd", "Yealink T46U Phone"),
    "app": ("Apache Tomcat/9.0.70", "Order service"),
}
SSH_BANNERS = {
    "mqtt-hub": "SSH-2.0-OpenSSH_9.2p1 Raspbian-2+deb12u2",
}
DEFAULT_SSH_BANNER = "SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3"
# The router is a real Linux router (its ARP table is the kernel's) that introduces itself the
# way the product it stands for does: RouterOS's sysDescr and MikroTik's sysObjectID.
SNMPD_PERSONAS = {
    "snmpd-router": ("sysDescr RouterOS CCR2004-16G-2S+", "sysObjectID .1.3.6.1.4.1.14988.1"),
}


@dataclass
class Office:
    """A built office lab: the Lab that owns it, the scanner's namespace, and where its files are."""

    lab: Lab
    scanner_ns: str
    workdir: Path

    @property
    def prefix(self) -> str:
        return self.lab.prefix

    def close(self) -> None:
        self.lab.close()
        shutil.rmtree(self.workdir, ignore_errors=True)


def _service_specs(device: Device) -> list[str]:
    specs: list[str] = []
    for role in device.roles:
        kind, _, rest = role.partition(":")
        if kind == "http":
            port, _, persona = rest.partition(":")
            server, title = HTTP_PERSONAS[persona]
            specs.append(f"http:{port}:server={server},title={title}")
        elif kind == "ssh":
            specs.append(f"ssh:22:banner={SSH_BANNERS.get(device.name, DEFAULT_SSH_BANNER)}")
        elif kind == "jetdirect":
            model = device.model or f"{device.vendor} laser printer"
            specs.append(f"jetdirect:9100:model={model}")
        elif kind == "ipp":
            specs.append(f"http:631:server=CUPS/2.4 IPP/2.1,title={device.vendor} printer")
        elif kind == "rtsp":
            specs.append(f"rtsp:554:realm={device.vendor} IP Camera")
        elif kind == "sip":
            specs.append(f"raw:5060:banner=SIP/2.0 200 OK User-Agent: {device.vendor} phone")
        elif kind == "tcp":
            specs.append(f"raw:{rest}:banner=")
    return specs


def _start_device(office: Office, device: Device, host: Host) -> None:
    """Start everything ``device``'s roles ask for inside its namespace."""
    from netdiscover_lab import services, snmp_agents

    lab, ns, work = office.lab, host.ns, office.workdir / device.name
    work.mkdir(parents=True, exist_ok=True)
    specs = _service_specs(device)
    if specs:
        services.start_services(lab, ns, specs, log=work / "services.log")
    snmpsim_kinds = [r.split(":", 1)[1] for r in device.roles if r.startswith("snmpsim:")]
    if snmpsim_kinds:
        recording = office_snmp.write_recording(snmpsim_kinds[0], device, work / "device.snmprec")
        snmp_agents.start_snmpsim(lab, ns, {device.ip: recording}, work / "snmpsim")
    for role in device.roles:
        kind, _, arg = role.partition(":")
        if kind == "mqtt":
            services.start_mosquitto(lab, ns, work / "mosquitto")
        elif kind in ("snmpd-router", "snmpd-host"):
            # Engine IDs in the MAC-address format (RFC 3411): unique per agent, as on real gear.
            engine_id = "80001f8803" + device.mac.replace(":", "")
            snmp_agents.start_snmpd(lab, ns, device.ip, work / "snmpd", community="public",
                                    sys_name=device.name, engine_id=engine_id,
                                    extra=SNMPD_PERSONAS.get(kind, ()))
        elif kind in ANNOUNCERS:
            ANNOUNCERS[kind](lab, host, device, arg, work)




def build_office(prefix: str | None = None, workdir: Path | None = None,
                 devices: tuple[Device, ...] = DEVICES) -> Office:
    """Build the office; on any failure remove whatever was built and raise LabError."""
    lab = Lab(prefix)
    workdir = Path(workdir or STATE_DIR / lab.prefix)
    workdir.mkdir(parents=True, exist_ok=True)
    workdir.chmod(0o755)
    office = Office(lab=lab, scanner_ns="", workdir=workdir)
    try:
        lan = lab.segment("lan")
        srv = lab.segment("srv")
        router = by_name("gw-core")
        gw = lab.router(router.name, [(lan, f"{ROUTER_LAN_IP}/24", router.mac),
                                      (srv, f"{ROUTER_SRV_IP}/24", ROUTER_SRV_MAC)])
        scanner = lab.host("scanner", lan, f"{SCANNER_IP}/24", SCANNER_MAC, gateway=ROUTER_LAN_IP)
        office.scanner_ns = scanner.ns
        hosts = {router.name: gw}
        for device in devices:
            if device.name == router.name:
                continue
            seg, gateway = (srv, ROUTER_SRV_IP) if device.segment == "srv" else (lan, ROUTER_LAN_IP)
            hosts[device.name] = lab.host(device.name, seg, f"{device.ip}/24", device.mac, gateway)
        # The router has met every routed host, as a real one would after a day of traffic.
        for device in devices:
            if device.segment == "srv":
                lab.run(gw.ns, ["ip", "neigh", "replace", device.ip, "lladdr", device.mac,
                                "dev", "eth1", "nud", "permanent"])
        for device in devices:
            _start_device(office, device, hosts[device.name])
        _save_state(office)
        return office
    except BaseException:
        office.close()
        raise


def _save_state(office: Office) -> None:
    state = {"prefix": office.prefix, "scanner_ns": office.scanner_ns, "workdir": str(office.workdir)}
    (STATE_DIR / f"{office.prefix}.json").write_text(json.dumps(state))


def load_state(prefix: str = DEMO_PREFIX) -> dict | None:
    """The saved description of a lab built by ``lab up``, or None."""
    path = STATE_DIR / f"{prefix}.json"
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return None


def tear_down(prefix: str = DEMO_PREFIX) -> int:
    """Remove every namespace and file of the lab with ``prefix``, also after a crashed ``up``."""
    if not prefix or not prefix.isalnum():
        raise LabError(f"refusing to remove labs with prefix {prefix!r}")
    removed = remove_namespaces(prefix)
    state = load_state(prefix)
    if state:
        shutil.rmtree(state.get("workdir", ""), ignore_errors=True)
    shutil.rmtree(STATE_DIR / prefix, ignore_errors=True)
    (STATE_DIR / f"{prefix}.json").unlink(missing_ok=True)
    return removed


__all__ = ["DEMO_PREFIX", "LabError", "Office", "build_office", "load_state", "tear_down"]
