"""SNMP recordings (.snmprec) for the demo office's simulated devices, written from data.

Each device's agent data follows its vendor's documented conventions (sysDescr formats,
sysObjectID under the vendor's IANA enterprise number, the standard MIBs it implements:
Printer-MIB, UPS-MIB, ENTITY-MIB, BRIDGE/Q-BRIDGE-MIB, LLDP-MIB). The switch's forwarding table
and LLDP neighbours are generated from the lab's real MACs, so what the switch reports is what
the lab really is.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from netdiscover_lab.office_topology import DEVICES, Device, by_name

SYSTEM = "1.3.6.1.2.1.1"
IF = "1.3.6.1.2.1.2.2.1"
IFX = "1.3.6.1.2.1.31.1.1.1"
ENT = "1.3.6.1.2.1.47.1.1.1.1"
HR_DEV = "1.3.6.1.2.1.25.3.2.1"
PRT = "1.3.6.1.2.1.43"
UPS = "1.3.6.1.2.1.33.1.1"
BRIDGE = "1.3.6.1.2.1.17"
LLDP_REM = "1.0.8802.1.1.2.1.4.1.1"

Record = tuple[str, str, str]    # (oid, snmprec type tag, value)


def _oid_key(oid: str) -> tuple[int, ...]:
    return tuple(int(part) for part in oid.split("."))


def _hex(mac: str) -> str:
    return mac.replace(":", "").lower()


def _system(descr: str, object_id: str, name: str, location: str, services: int) -> list[Record]:
    return [
        (f"{SYSTEM}.1.0", "4", descr),
        (f"{SYSTEM}.2.0", "6", object_id),
        (f"{SYSTEM}.3.0", "67", "8640000"),
        (f"{SYSTEM}.4.0", "4", "it@example.com"),
        (f"{SYSTEM}.5.0", "4", name),
        (f"{SYSTEM}.6.0", "4", location),
        (f"{SYSTEM}.7.0", "2", str(services)),
    ]


def _interface(index: int, name: str, mac: str, if_type: int = 6, speed: int = 1_000_000_000) -> list[Record]:
    return [
        (f"{IF}.1.{index}", "2", str(index)),
        (f"{IF}.2.{index}", "4", name),
        (f"{IF}.3.{index}", "2", str(if_type)),
        (f"{IF}.5.{index}", "66", str(min(speed, 4_294_967_295))),
        (f"{IF}.6.{index}", "4x", _hex(mac)),
        (f"{IF}.7.{index}", "2", "1"),
        (f"{IF}.8.{index}", "2", "1"),
        (f"{IFX}.1.{index}", "4", name),
        (f"{IFX}.15.{index}", "66", str(speed // 1_000_000)),
    ]


def _ip(address: str, if_index: int, mask: str = "255.255.255.0") -> list[Record]:
    return [
        (f"1.3.6.1.2.1.4.20.1.1.{address}", "64", address),
        (f"1.3.6.1.2.1.4.20.1.2.{address}", "2", str(if_index)),
        (f"1.3.6.1.2.1.4.20.1.3.{address}", "64", mask),
    ]


def _chassis(descr: str, model: str, serial: str, mfg: str, hw: str = "", fw: str = "",
             sw: str = "") -> list[Record]:
    return [
        (f"{ENT}.2.1", "4", descr),
        (f"{ENT}.5.1", "2", "3"),
        (f"{ENT}.7.1", "4", model),
        (f"{ENT}.8.1", "4", hw),
        (f"{ENT}.9.1", "4", fw),
        (f"{ENT}.10.1", "4", sw),
        (f"{ENT}.11.1", "4", serial),
        (f"{ENT}.12.1", "4", mfg),
        (f"{ENT}.13.1", "4", model),
    ]


def _printer(model: str, serial: str, supply: str) -> list[Record]:
    return [
        (f"{HR_DEV}.1.1", "2", "1"),
        (f"{HR_DEV}.2.1", "6", "1.3.6.1.2.1.25.3.1.5"),        # hrDevicePrinter
        (f"{HR_DEV}.3.1", "4", model),
        (f"{HR_DEV}.5.1", "2", "2"),
        ("1.3.6.1.2.1.25.3.5.1.1.1", "2", "3"),                # hrPrinterStatus idle
        (f"{PRT}.5.1.1.16.1", "4", model),                      # prtGeneralPrinterName
        (f"{PRT}.5.1.1.17.1", "4", serial),                     # prtGeneralSerialNumber
        (f"{PRT}.10.2.1.4.1.1", "2", "12000"),                  # prtMarkerLifeCount
        (f"{PRT}.11.1.1.6.1.1", "4", supply),                   # prtMarkerSuppliesDescription
        (f"{PRT}.11.1.1.9.1.1", "2", "64"),                     # prtMarkerSuppliesLevel
    ]


def printer_hp(device: Device) -> list[Record]:
    return [
        *_system("HP ETHERNET MULTI-ENVIRONMENT,ROM none,JETDIRECT,JD153,EEPROM JSI23400219,"
                 "CIDATE 04/22/2021", "1.3.6.1.4.1.11.2.3.9.1", device.name, device.location or "", 72),
        *_interface(1, "NetDrvr", device.mac),
        *_ip(device.ip, 1),
        *_printer("HP LaserJet M507", "PHBLL21345", "Black Cartridge HP CF289A"),
    ]


def printer_brother(device: Device) -> list[Record]:
    return [
        *_system("Brother NC-8300h, Firmware Ver.1.20  (16.04.04),MID 8CE-F0A-011,FID 2",
                 "1.3.6.1.4.1.2435.2.3.9.1", "BRN008077200061", "", 72),
        *_interface(1, "BR-NET", device.mac),
        *_ip(device.ip, 1),
        *_printer("Brother HL-L5100DN series", "E78321K9N456789", "Toner Cartridge TN-3430"),
    ]


def ups_apc(device: Device) -> list[Record]:
    return [
        *_system("APC Web/SNMP Management Card (MB:v4.1.0 PF:v6.9.6 PN:apc_hw05_aos_696.bin "
                 "AF1:v6.9.6 AN1:apc_hw05_sumx_696.bin MN:AP9631 HR:05 SN: 5A1234E56789 MD:04/21/2020) "
                 "(Embedded PowerNet SNMP Agent SW v2.2 compatible)",
                 "1.3.6.1.4.1.318.1.3.27", device.name, device.location or "", 72),
        *_interface(1, "LanInterface", device.mac, speed=100_000_000),
        *_ip(device.ip, 1),
        (f"{UPS}.1.0", "4", "American Power Conversion Corp."),
        (f"{UPS}.2.0", "4", "Smart-UPS 1500"),
        (f"{UPS}.3.0", "4", "UPS 09.3 (ID18)"),
        (f"{UPS}.4.0", "4", "v6.9.6"),
        (f"{UPS}.5.0", "4", device.name),
        ("1.3.6.1.2.1.33.1.2.1.0", "2", "2"),                # upsBatteryStatus normal
        ("1.3.6.1.4.1.318.1.1.1.1.1.1.0", "4", "Smart-UPS 1500"),
        ("1.3.6.1.4.1.318.1.1.1.1.2.3.0", "4", "AS1234567890"),
    ]


def nas_synology(device: Device) -> list[Record]:
    return [
        *_system("Linux nas-01 4.4.302+ #69057 SMP Fri Jan 12 17:02:28 CST 2024 x86_64",
                 "1.3.6.1.4.1.8072.3.2.10", device.name, device.location or "", 76),
        *_interface(1, "lo", "00:00:00:00:00:00", if_type=24),
        *_interface(2, "eth0", device.mac),
        *_ip(device.ip, 2),
        ("1.3.6.1.2.1.25.1.1.0", "67", "8640000"),
        (f"{HR_DEV}.1.196608", "2", "196608"),
        (f"{HR_DEV}.2.196608", "6", "1.3.6.1.2.1.25.3.1.3"),     # hrDeviceProcessor
        (f"{HR_DEV}.3.196608", "4", "GenuineIntel: Intel(R) Celeron(R) J4125 CPU @ 2.00GHz"),
        ("1.3.6.1.4.1.6574.1.1.0", "2", "1"),                    # systemStatus normal
        ("1.3.6.1.4.1.6574.1.5.1.0", "4", "DS920+"),             # modelName
        ("1.3.6.1.4.1.6574.1.5.2.0", "4", "2090PCN123456"),      # serialNumber
        ("1.3.6.1.4.1.6574.1.5.3.0", "4", "DSM 7.2.1-69057 Update 4"),
    ]


def switch_cisco(device: Device) -> list[Record]:
    """A 48-port access switch whose FDB and LLDP table describe the lab as built."""
    records = [
        *_system("Cisco IOS Software, C2960X Software (C2960X-UNIVERSALK9-M), Version 15.2(7)E8, "
                 "RELEASE SOFTWARE (fc3)\r\nTechnical Support: http://www.cisco.com/techsupport\r\n"
                 "Copyright (c) 1986-2023 by Cisco Systems, Inc.\r\nCompiled Mon 27-Mar-23 06:51 by mcpre",
                 "1.3.6.1.4.1.9.1.1208", device.name, device.location or "", 6),
        *_chassis("WS-C2960X-48FPD-L", "WS-C2960X-48FPD-L", device.serial or "", "Cisco Systems, Inc.",
                  hw="V04", fw="2.0", sw="15.2(7)E8"),
        (f"{BRIDGE}.1.1.0", "4x", _hex(device.mac)),              # dot1dBaseBridgeAddress
        (f"{BRIDGE}.1.2.0", "2", "48"),
        ("1.3.6.1.2.1.4.1.0", "2", "2"),                          # ipForwarding: not forwarding
    ]
    for port in range(1, 49):
        if_index = 10100 + port
        port_mac = f"00:1b:54:20:10:{port:02x}"
        records += _interface(if_index, f"Gi1/0/{port}", port_mac)
        records.append((f"{BRIDGE}.1.4.1.2.{port}", "2", str(if_index)))   # dot1dBasePortIfIndex
    records += _interface(1, "Vlan1", device.mac)
    records += _ip(device.ip, 1)
    uplink_port = None
    for other in DEVICES:
        if not other.switch_port or other.segment != "lan":
            continue
        port = int(other.switch_port.rsplit("/", 1)[1])
        if other.name == "gw-core":
            uplink_port = port
        mac_index = ".".join(str(int(b, 16)) for b in other.mac.split(":"))
        records.append((f"{BRIDGE}.4.3.1.1.{mac_index}", "4x", _hex(other.mac)))     # dot1dTpFdbAddress
        records.append((f"{BRIDGE}.4.3.1.2.{mac_index}", "2", str(port)))           # dot1dTpFdbPort
        records.append((f"{BRIDGE}.4.3.1.3.{mac_index}", "2", "3"))                 # learned
        records.append((f"{BRIDGE}.7.1.2.2.1.2.1.{mac_index}", "2", str(port)))     # dot1qTpFdbPort vlan 1
        records.append((f"{BRIDGE}.7.1.2.2.1.3.1.{mac_index}", "2", "3"))
    if uplink_port is not None:
        router = by_name("gw-core")
        suffix = f"0.{uplink_port}.1"
        records += [
            (f"{LLDP_REM}.4.{suffix}", "2", "4"),                   # chassis id subtype: MAC
            (f"{LLDP_REM}.5.{suffix}", "4x", _hex(router.mac)),
            (f"{LLDP_REM}.6.{suffix}", "2", "5"),                   # port id subtype: interface name
            (f"{LLDP_REM}.7.{suffix}", "4", "ether1"),
            (f"{LLDP_REM}.8.{suffix}", "4", "ether1"),
            (f"{LLDP_REM}.9.{suffix}", "4", router.name),
            (f"{LLDP_REM}.10.{suffix}", "4", "MikroTik RouterOS 7.14.2 (stable) CCR2004-16G-2S+"),
            (f"{LLDP_REM}.12.{suffix}", "4x", "2800"),               # capabilities enabled: bridge, router
        ]
    return records


RECORDINGS = {
    "printer-hp": printer_hp,
    "printer-brother": printer_brother,
    "ups-apc": ups_apc,
    "nas-synology": nas_synology,
    "switch": switch_cisco,
}


def render(records: Iterable[Record]) -> str:
    """snmprec text: one ``OID|TYPE|VALUE`` line per record, in OID order."""
    lines = []
    for oid, tag, value in sorted(records, key=lambda r: _oid_key(r[0])):
        if tag == "4" and any(c in value for c in "\r\n|"):
            lines.append(f"{oid}|4x|{value.encode().hex()}")
        else:
            lines.append(f"{oid}|{tag}|{value}")
    return "\n".join(lines) + "\n"


def write_recording(kind: str, device: Device, path: Path) -> Path:
    """Write the recording ``kind`` for ``device`` to ``path``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render(RECORDINGS[kind](device)))
    return path
