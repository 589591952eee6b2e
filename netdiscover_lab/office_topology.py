"""The demo office network as data: every device, where it sits, what it runs, what it really is.

The same table drives the lab builder (``office.py``), the sample inventory (devices with
``documented=True``) and the end-to-end test, which checks that the unknown-device report lists
exactly the devices with ``documented=False``, each with the vendor and class given here.
MACs carry real vendors' IEEE OUIs; phones use locally administered (randomised) MACs.
"""

from __future__ import annotations

from dataclasses import dataclass, field

LAN = "10.20.0.0/24"
SERVERS = "10.30.0.0/24"          # routed: reachable only through the router
SCANNER_IP = "10.20.0.2"
ROUTER_LAN_IP = "10.20.0.1"
ROUTER_SRV_IP = "10.30.0.1"
COMMUNITY = "public"


@dataclass(frozen=True)
class Device:
    """One simulated device of the office."""

    name: str
    ip: str
    mac: str
    device_class: str
    vendor: str                       # what fingerprinting should call the maker
    segment: str = "lan"              # "lan" or "srv"
    documented: bool = True           # listed in the sample inventory
    roles: tuple[str, ...] = ()       # what runs on it; see office.py ROLE_STARTERS
    model: str | None = None
    serial: str | None = None
    owner: str | None = None
    location: str | None = None
    switch_port: str | None = None    # where the switch's FDB places it
    extra: dict[str, str] = field(default_factory=dict)


DEVICES: tuple[Device, ...] = (
    Device("gw-core", ROUTER_LAN_IP, "48:8f:5a:20:00:01", "router", "MikroTik",
           roles=("snmpd-router",), model="CCR2004-16G-2S+", serial="HE408TZ2K1P",
           owner="netops", location="HQ rack A", switch_port="Gi1/0/48"),
    Device("sw-floor1", "10.20.0.3", "00:1b:54:20:00:03", "switch", "Cisco",
           roles=("snmpsim:switch",), model="WS-C2960X-48FPD-L", serial="FOC2231X0QZ",
           owner="netops", location="HQ floor 1 closet"),
    Device("srv-web", "10.20.0.10", "18:66:da:20:00:10", "server", "Dell",
           roles=("http:80:nginx", "ssh"), owner="web team", location="HQ rack A", switch_port="Gi1/0/1"),
    Device("srv-files", "10.20.0.11", "94:18:82:20:00:11", "server", "HPE",
           roles=("ssh", "snmpd-host"), owner="it", location="HQ rack A", switch_port="Gi1/0/2"),
    Device("ws-alice", "10.20.0.50", "f8:b1:56:20:00:50", "workstation", "Dell",
           roles=("netbios:ALICE-PC",), owner="alice", location="HQ floor 1", switch_port="Gi1/0/10"),
    Device("ws-bob", "10.20.0.51", "00:1b:21:20:00:51", "workstation", "Intel",
           roles=("netbios:BOB-PC",), owner="bob", location="HQ floor 1", switch_port="Gi1/0/11"),
    Device("prn-hq", "10.20.0.60", "3c:d9:2b:20:00:60", "printer", "HP",
           roles=("jetdirect", "ipp", "snmpsim:printer-hp", "mdns:printer"),
           model="HP LaserJet M507", owner="it", location="HQ floor 1 copy room", switch_port="Gi1/0/20"),
    Device("prn-guest", "10.20.0.61", "00:80:77:20:00:61", "printer", "Brother", documented=False,
           roles=("jetdirect", "ipp", "snmpsim:printer-brother"), switch_port="Gi1/0/21"),
    Device("cam-door", "10.20.0.70", "00:40:8c:20:00:70", "camera", "Axis",
           roles=("rtsp", "http:80:axis"), owner="facilities", location="HQ entrance",
           switch_port="Gi1/0/30"),
    Device("cam-lobby", "10.20.0.71", "44:19:b6:20:00:71", "camera", "Hikvision", documented=False,
           roles=("rtsp", "http:80:hikvision"), switch_port="Gi1/0/31"),
    Device("nas-01", "10.20.0.80", "00:11:32:20:00:80", "storage", "Synology",
           roles=("snmpsim:nas-synology", "http:5000:synology"), model="DS920+",
           owner="it", location="HQ rack A", switch_port="Gi1/0/3"),
    Device("ups-01", "10.20.0.90", "00:c0:b7:20:00:90", "power", "APC",
           roles=("snmpsim:ups-apc",), model="Smart-UPS 1500", owner="facilities",
           location="HQ rack A", switch_port="Gi1/0/4"),
    Device("voip-reception", "10.20.0.100", "64:16:7f:20:01:00", "voip", "Polycom",
           roles=("sip", "http:80:polycom"), owner="reception", location="HQ reception",
           switch_port="Gi1/0/40"),
    Device("voip-sales", "10.20.0.101", "80:5e:c0:20:01:01", "voip", "Yealink",
           roles=("sip", "http:80:yealink"), owner="sales", location="HQ floor 1", switch_port="Gi1/0/41"),
    Device("tv-meeting", "10.20.0.111", "8c:71:f8:20:01:11", "media", "Samsung",
           roles=("ssdp:tv",), owner="facilities", location="HQ meeting room", switch_port="Gi1/0/42"),
    Device("mqtt-hub", "10.20.0.110", "b8:27:eb:20:01:10", "iot", "Raspberry Pi", documented=False,
           roles=("mqtt", "ssh"), switch_port="Gi1/0/43"),
    Device("cast-lounge", "10.20.0.112", "f4:f5:d8:20:01:12", "media", "Google", documented=False,
           roles=("mdns:googlecast",), switch_port="Gi1/0/44"),
    Device("phone-john", "10.20.0.150", "da:a1:19:20:01:50", "mobile", "Apple", documented=False,
           roles=("mdns:iphone",)),
    Device("db-01", "10.30.0.10", "e4:54:e8:30:00:10", "server", "Dell", segment="srv",
           roles=("ssh", "tcp:5432"), owner="dba", location="DC row 2"),
    Device("app-01", "10.30.0.11", "94:18:82:30:00:11", "server", "HPE", segment="srv", documented=False,
           roles=("ssh", "http:8080:app", "tcp:6379")),    # an app server with its local Redis
)

ROUTER_SRV_MAC = "48:8f:5a:20:00:02"
SCANNER_MAC = "00:1b:21:20:00:02"


def undocumented() -> list[Device]:
    """The devices the sample inventory leaves out: what the unknown-device report must list."""
    return [d for d in DEVICES if not d.documented]


def by_name(name: str) -> Device:
    return next(d for d in DEVICES if d.name == name)


INVENTORY_COLUMNS = ("asset_tag", "hostname", "mac", "ip", "serial", "vendor", "model", "owner",
                     "location", "lifecycle_state", "cost_center")


def inventory_rows() -> list[dict[str, str]]:
    """The sample inventory: what the office's admins had documented before the first sweep."""
    rows = []
    for number, device in enumerate((d for d in DEVICES if d.documented), start=1):
        rows.append({
            "asset_tag": f"HQ-{number:04d}",
            "hostname": device.name,
            "mac": device.mac.upper().replace(":", "-"),
            "ip": device.ip,
            "serial": device.serial or "",
            "vendor": device.vendor,
            "model": device.model or "",
            "owner": device.owner or "",
            "location": device.location or "",
            "lifecycle_state": "deployed",
            "cost_center": "CC-100" if device.segment == "lan" else "CC-200",
        })
    rows.append({  # the machine netdiscover itself runs on is documented too
        "asset_tag": f"HQ-{len(rows) + 1:04d}", "hostname": "netdiscover-probe", "mac": SCANNER_MAC,
        "ip": SCANNER_IP, "serial": "", "vendor": "Intel", "model": "", "owner": "security",
        "location": "HQ rack A", "lifecycle_state": "deployed", "cost_center": "CC-100",
    })
    return rows
