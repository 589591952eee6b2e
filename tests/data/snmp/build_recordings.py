"""Regenerate the hand-modelled snmpsim recordings beside this file (router.snmprec, switch.snmprec).

Run: python tests/data/snmp/build_recordings.py. The device content is written out below as
plain data; this script only sorts the OIDs the way snmpsim needs and writes ``OID|TYPE|VALUE``.
"""

from __future__ import annotations

from pathlib import Path

HERE = Path(__file__).resolve().parent
INT, STR, HEX, OID, IP, GAUGE, TICKS, COUNTER = "2", "4", "4x", "6", "64", "66", "67", "65"


def mac_hex(mac: str) -> str:
    return mac.replace(":", "")


def mac_arcs(mac: str) -> str:
    return ".".join(str(int(b, 16)) for b in mac.split(":"))


def system(
    rows: list, descr: str, object_id: str, name: str, services: int, forwarding: int, engine: str
) -> None:
    rows += [
        ("1.3.6.1.2.1.1.1.0", STR, descr),
        ("1.3.6.1.2.1.1.2.0", OID, object_id),
        ("1.3.6.1.2.1.1.3.0", TICKS, "123456789"),
        ("1.3.6.1.2.1.1.4.0", STR, "noc@example.net"),
        ("1.3.6.1.2.1.1.5.0", STR, name),
        ("1.3.6.1.2.1.1.6.0", STR, "Building A, rack 3"),
        ("1.3.6.1.2.1.1.7.0", INT, str(services)),
        ("1.3.6.1.2.1.4.1.0", INT, str(forwarding)),
        ("1.3.6.1.6.3.10.2.1.1.0", HEX, engine),
    ]


def interface(
    rows: list,
    index: int,
    descr: str,
    if_type: int,
    mac: str | None,
    speed: int,
    oper: int,
    name: str,
    alias: str = "",
) -> None:
    e, x = "1.3.6.1.2.1.2.2.1", "1.3.6.1.2.1.31.1.1.1"
    rows += [
        (f"{e}.1.{index}", INT, str(index)),
        (f"{e}.2.{index}", STR, descr),
        (f"{e}.3.{index}", INT, str(if_type)),
        (f"{e}.4.{index}", INT, "1500"),
        (f"{e}.5.{index}", GAUGE, str(min(speed, 4294967295))),
        (f"{e}.6.{index}", HEX, mac_hex(mac) if mac else ""),
        (f"{e}.7.{index}", INT, "1"),
        (f"{e}.8.{index}", INT, str(oper)),
        (f"{x}.1.{index}", STR, name),
        (f"{x}.15.{index}", GAUGE, str(speed // 1_000_000)),
        (f"{x}.18.{index}", STR, alias),
    ]


def entity(
    rows: list,
    index: int,
    cls: int,
    descr: str,
    name: str,
    serial: str,
    model: str,
    mfg: str,
    hw: str = "",
    fw: str = "",
    sw: str = "",
) -> None:
    base = "1.3.6.1.2.1.47.1.1.1.1"
    for column, kind, value in (
        (2, STR, descr),
        (3, OID, "0.0"),
        (4, INT, "0"),
        (5, INT, str(cls)),
        (7, STR, name),
        (8, STR, hw),
        (9, STR, fw),
        (10, STR, sw),
        (11, STR, serial),
        (12, STR, mfg),
        (13, STR, model),
    ):
        rows.append((f"{base}.{column}.{index}", kind, value))


# -- the router: knows the ARP table of a subnet the scanner is not on ----------------------
ROUTER_MAC = {1: "00:1e:bd:10:00:01", 2: "00:1e:bd:10:00:02", 3: "00:1e:bd:10:00:03"}
ROUTED_HOSTS = {  # 10.40.0.0/24 behind Gi0/0/1 (ifIndex 2)
    "10.40.0.11": "3c:52:82:aa:00:11",
    "10.40.0.12": "f8:b4:6a:aa:00:12",
    "10.40.0.13": "00:1b:a9:aa:00:13",
    "10.40.0.14": "b8:27:eb:aa:00:14",
}
LAN_HOSTS = {"10.30.0.2": "94:18:82:20:00:64"}  # the switch's management VLAN, seen on Gi0/0/0


def router() -> list:
    rows: list = []
    system(
        rows,
        "Cisco IOS Software [Fuji], ISR Software (X86_64_LINUX_IOSD-UNIVERSALK9-M), Version 16.9.4, "
        "RELEASE SOFTWARE (fc2)",
        "1.3.6.1.4.1.9.1.1861",
        "edge-rtr1",
        78,
        1,
        "800000090300001ebd100001",
    )
    for index, (name, ip) in enumerate(
        (("Gi0/0/0", "10.30.0.1"), ("Gi0/0/1", "10.40.0.1"), ("Gi0/0/2", "10.50.0.1")), start=1
    ):
        interface(
            rows,
            index,
            f"GigabitEthernet0/0/{index - 1}",
            6,
            ROUTER_MAC[index],
            1_000_000_000,
            1,
            name,
            "office LAN" if index == 1 else "",
        )
        rows += [
            (f"1.3.6.1.2.1.4.20.1.1.{ip}", IP, ip),
            (f"1.3.6.1.2.1.4.20.1.2.{ip}", INT, str(index)),
            (f"1.3.6.1.2.1.4.20.1.3.{ip}", IP, "255.255.255.0"),
        ]
    arp = [(2, ip, mac, 3) for ip, mac in ROUTED_HOSTS.items()]
    arp += [(1, ip, mac, 3) for ip, mac in LAN_HOSTS.items()]
    arp += [(2, "10.40.0.1", ROUTER_MAC[2], 5), (2, "10.40.0.99", "00:00:00:00:00:00", 2)]
    for if_index, ip, mac, kind in arp:
        octets = ip.replace(".", ".")
        phys = f"{if_index}.1.4.{octets}"
        rows += [
            (f"1.3.6.1.2.1.4.35.1.4.{phys}", HEX, mac_hex(mac)),
            (f"1.3.6.1.2.1.4.35.1.6.{phys}", INT, str(kind)),
            (f"1.3.6.1.2.1.4.35.1.7.{phys}", INT, "1"),
        ]
        media = f"{if_index}.{octets}"
        rows += [
            (f"1.3.6.1.2.1.4.22.1.2.{media}", HEX, mac_hex(mac)),
            (f"1.3.6.1.2.1.4.22.1.3.{media}", IP, ip),
            (f"1.3.6.1.2.1.4.22.1.4.{media}", INT, str(kind)),
        ]
    entity(
        rows,
        1,
        3,
        "Cisco ISR4331 Chassis",
        "Chassis",
        "FDO2213A0BC",
        "ISR4331/K9",
        "Cisco Systems Inc",
        hw="V04",
        fw="16.9(4r)",
        sw="16.9.4",
    )
    entity(rows, 2, 9, "4-port GE NIM", "NIM subslot 0/1", "FOC22117GHT", "NIM-ES2-4", "Cisco Systems Inc")
    return rows


# -- the switch: bridge + Q-bridge forwarding tables, LLDP, ENTITY ------------------------------
SWITCH_MAC = "94:18:82:20:00:00"
PORT_HOSTS = {  # MAC -> (bridge port, vlan)
    "3c:52:82:bb:00:03": (3, 1),
    "00:1b:a9:bb:00:05": (5, 20),
    "f8:b4:6a:bb:00:06": (6, 1),
    "b8:27:eb:bb:00:07": (7, 20),
}
LEGACY_ONLY = {"00:50:56:bb:00:08": 8}  # only in dot1dTpFdbTable
UPLINK_MACS = [ROUTER_MAC[1]]


def switch() -> list:
    rows: list = []
    system(
        rows,
        "Aruba JL258A 2930F-8G-PoE+-2SFP+ Switch, revision WC.16.10.0009, ROM WC.16.01.0008",
        "1.3.6.1.4.1.11.2.3.7.11.181",
        "access-sw1",
        2,
        2,
        "000b000f94188220000000",
    )
    for port in range(1, 11):
        index = 100 + port
        interface(
            rows,
            index,
            f"Port {port}",
            6,
            f"94:18:82:20:00:{port:02x}",
            1_000_000_000,
            1 if port in (3, 5, 6, 7, 8, 10) else 2,
            f"1/{port}",
            "uplink edge-rtr1" if port == 10 else "",
        )
        rows.append((f"1.3.6.1.2.1.17.1.4.1.2.{port}", INT, str(index)))
    interface(rows, 1100, "VLAN1", 136, "94:18:82:20:00:64", 1_000_000_000, 1, "vlan1")
    rows += [
        ("1.3.6.1.2.1.4.34.1.3.1.4.10.30.0.2", INT, "1100"),
        ("1.3.6.1.2.1.17.1.1.0", HEX, mac_hex(SWITCH_MAC)),
        ("1.3.6.1.2.1.17.1.2.0", INT, "10"),
    ]
    qfdb, fdb = "1.3.6.1.2.1.17.7.1.2.2.1", "1.3.6.1.2.1.17.4.3.1"
    for mac, (port, vlan) in PORT_HOSTS.items():
        rows += [
            (f"{qfdb}.2.{vlan}.{mac_arcs(mac)}", INT, str(port)),
            (f"{qfdb}.3.{vlan}.{mac_arcs(mac)}", INT, "3"),
        ]
    for mac in UPLINK_MACS:
        rows += [(f"{qfdb}.2.1.{mac_arcs(mac)}", INT, "10"), (f"{qfdb}.3.1.{mac_arcs(mac)}", INT, "3")]
    rows += [
        (f"{qfdb}.2.1.{mac_arcs(SWITCH_MAC)}", INT, "0"),
        (f"{qfdb}.3.1.{mac_arcs(SWITCH_MAC)}", INT, "4"),
    ]
    for mac, port in LEGACY_ONLY.items():
        rows += [
            (f"{fdb}.1.{mac_arcs(mac)}", HEX, mac_hex(mac)),
            (f"{fdb}.2.{mac_arcs(mac)}", INT, str(port)),
            (f"{fdb}.3.{mac_arcs(mac)}", INT, "3"),
        ]
    # switch management ARP (only the legacy table)
    rows += [
        ("1.3.6.1.2.1.4.22.1.2.1100.10.30.0.1", HEX, mac_hex(ROUTER_MAC[1])),
        ("1.3.6.1.2.1.4.22.1.3.1100.10.30.0.1", IP, "10.30.0.1"),
        ("1.3.6.1.2.1.4.22.1.4.1100.10.30.0.1", INT, "3"),
    ]
    # LLDP: the router on port 10, an IP phone on port 5
    loc, rem, man = "1.0.8802.1.1.2.1.3.7.1", "1.0.8802.1.1.2.1.4.1.1", "1.0.8802.1.1.2.1.4.2.1"
    for port in (5, 10):
        rows += [
            (f"{loc}.2.{port}", INT, "5"),
            (f"{loc}.3.{port}", STR, f"1/{port}"),
            (f"{loc}.4.{port}", STR, f"Port {port}"),
        ]
    neighbours = [
        (
            "0.10.1",
            ROUTER_MAC[1],
            5,
            "Gi0/0/0",
            "GigabitEthernet0/0/0",
            "edge-rtr1",
            "Cisco IOS Software, ISR",
        ),
        (
            "0.5.2",
            "00:1b:a9:bb:00:05",
            3,
            mac_hex("00:1b:a9:bb:00:05"),
            "Port 1",
            "SEP001BA9BB0005",
            "Cisco IP Phone 8841, V3, sip88xx.14-1-1",
        ),
    ]
    for idx, chassis, port_sub, port_id, port_desc, name, descr in neighbours:
        rows += [
            (f"{rem}.4.{idx}", INT, "4"),
            (f"{rem}.5.{idx}", HEX, mac_hex(chassis)),
            (f"{rem}.6.{idx}", INT, str(port_sub)),
            (f"{rem}.7.{idx}", HEX if port_sub == 3 else STR, port_id),
            (f"{rem}.8.{idx}", STR, port_desc),
            (f"{rem}.9.{idx}", STR, name),
            (f"{rem}.10.{idx}", STR, descr),
        ]
    rows += [(f"{man}.3.0.10.1.1.4.10.30.0.1", INT, "2"), (f"{man}.3.0.5.2.1.4.10.30.0.77", INT, "2")]
    entity(
        rows,
        1,
        3,
        "Aruba JL258A 2930F-8G-PoE+-2SFP+ Switch",
        "Chassis",
        "SG9ZKWB0C3",
        "JL258A",
        "Aruba, a Hewlett Packard Enterprise company",
        hw="A",
        fw="WC.16.01.0008",
        sw="WC.16.10.0009",
    )
    for port in range(1, 11):
        entity(rows, 1000 + port, 10, f"Port {port}", f"1/{port}", "", "", "")
    return rows


def write(name: str, rows: list) -> None:
    def key(row: tuple) -> tuple[int, ...]:
        return tuple(int(a) for a in row[0].split("."))

    lines = [f"{oid}|{kind}|{value}" for oid, kind, value in sorted(rows, key=key)]
    (HERE / name).write_text("\n".join(lines) + "\n")


if __name__ == "__main__":
    write("router.snmprec", router())
    write("switch.snmprec", switch())
