"""Which OIDs the SNMP scanner asks for, and how raw answers become facts and Observations.

Everything here is pure: walked columns (``{index tuple: value}``) in, plain data out. Values
arrive as the BER codec yields them (int, bytes, OID tuple, None) and any of them may be of the
wrong type, so every reader checks the type and skips what does not fit. Every string goes
through ``clean_text``.
"""

from __future__ import annotations

import ipaddress
import re
from collections import Counter
from collections.abc import Mapping
from typing import Any

from netdiscover.observation import (
    LOCATION,
    MAX_LONG_TEXT,
    NEIGHBOUR,
    Interface,
    Observation,
    Software,
    clean_text,
    normalise_mac,
)
from netdiscover.scanners.snmp.ber import Oid, oid_text, parse_oid

Column = Mapping[Oid, object]

# -- system group (one GET) -----------------------------------------------------------------
SYSTEM = {
    "sysDescr": parse_oid("1.3.6.1.2.1.1.1.0"),
    "sysObjectID": parse_oid("1.3.6.1.2.1.1.2.0"),
    "sysUpTime": parse_oid("1.3.6.1.2.1.1.3.0"),
    "sysContact": parse_oid("1.3.6.1.2.1.1.4.0"),
    "sysName": parse_oid("1.3.6.1.2.1.1.5.0"),
    "sysLocation": parse_oid("1.3.6.1.2.1.1.6.0"),
    "sysServices": parse_oid("1.3.6.1.2.1.1.7.0"),
    "ipForwarding": parse_oid("1.3.6.1.2.1.4.1.0"),
    "snmpEngineID": parse_oid("1.3.6.1.6.3.10.2.1.1.0"),
}

# -- MIB presence probes: one GETNEXT per subtree ------------------------------------------
MIB_PROBES = {
    "printer": parse_oid("1.3.6.1.2.1.43"),
    "ups": parse_oid("1.3.6.1.2.1.33"),
    "host-resources": parse_oid("1.3.6.1.2.1.25"),
    "bridge": parse_oid("1.3.6.1.2.1.17"),
    "q-bridge": parse_oid("1.3.6.1.2.1.17.7"),
    "entity": parse_oid("1.3.6.1.2.1.47"),
    "lldp": parse_oid("1.0.8802.1.1.2"),
    "dot11": parse_oid("1.2.840.10036"),
    "power-ethernet": parse_oid("1.3.6.1.2.1.105"),
    "entity-sensor": parse_oid("1.3.6.1.2.1.99"),
}
ENTERPRISES = parse_oid("1.3.6.1.4.1")
ENTERPRISE_SAMPLE = 5
# net-snmp's own subtrees (UCD 2021, NET-SNMP 8072) name no maker: one GETNEXT with these starts
# finds the first enterprise subtree, and the first after each of net-snmp's.
NET_SNMP_ENTERPRISES = frozenset({2021, 8072})
ENTERPRISE_HOPS = (ENTERPRISES, (*ENTERPRISES, 2022), (*ENTERPRISES, 8073))
MAX_ENTERPRISE_NUMBERS = 8

# -- standard statements of what the box is (one GET) ---------------------------------------
LLDP_CAP_SUPPORTED = parse_oid("1.0.8802.1.1.2.1.3.5.0")     # lldpLocSysCapSupported (BITS)
LLDP_CAP_ENABLED = parse_oid("1.0.8802.1.1.2.1.3.6.0")       # lldpLocSysCapEnabled (BITS)
BRIDGE_NUM_PORTS = parse_oid("1.3.6.1.2.1.17.1.2.0")         # dot1dBaseNumPorts
CLASS_GETS = (LLDP_CAP_SUPPORTED, LLDP_CAP_ENABLED, BRIDGE_NUM_PORTS)
# LldpSystemCapabilitiesMap bit order (IEEE 802.1AB LLDP-MIB); bit 0 is the first octet's top bit
LLDP_CAPS = ("other", "repeater", "bridge", "wlanAccessPoint", "router", "telephone", "docsisCableDevice",
             "stationOnly")
MAX_BRIDGE_PORTS = 100_000
MAX_BRIDGE_PORT_ROWS = 1024  # rows counted when an agent leaves dot1dBaseNumPorts unanswered

# -- ENTITY-MIB entPhysicalTable ------------------------------------------------------------
ENT_PHYSICAL = parse_oid("1.3.6.1.2.1.47.1.1.1.1")
ENT_CLASS = (*ENT_PHYSICAL, 5)
ENT_FIELDS = {"descr": 2, "name": 7, "hw_rev": 8, "fw_rev": 9, "sw_rev": 10, "serial": 11, "mfg": 12,
              "model": 13}
ENT_CHASSIS, ENT_STACK = 3, 11
MAX_ENTITY_ROWS = 4
MAX_ENTITY_SCAN = 256      # chassis rows come first in practice; big chassis list thousands of parts

# -- IF-MIB --------------------------------------------------------------------------------
IF_ENTRY = parse_oid("1.3.6.1.2.1.2.2.1")
IF_X_ENTRY = parse_oid("1.3.6.1.2.1.31.1.1.1")
IF_DESCR, IF_TYPE, IF_SPEED, IF_PHYS = (*IF_ENTRY, 2), (*IF_ENTRY, 3), (*IF_ENTRY, 5), (*IF_ENTRY, 6)
IF_OPER = (*IF_ENTRY, 8)
IF_NAME, IF_HIGH_SPEED, IF_ALIAS = (*IF_X_ENTRY, 1), (*IF_X_ENTRY, 15), (*IF_X_ENTRY, 18)
IF_COLUMNS = (IF_DESCR, IF_SPEED, IF_PHYS, IF_OPER, IF_NAME, IF_HIGH_SPEED, IF_ALIAS)
OPER_STATUS = {1: "up", 2: "down", 3: "testing", 4: "unknown", 5: "dormant", 6: "notPresent",
               7: "lowerLayerDown"}

# -- IP-MIB: own addresses and the ARP/neighbour cache ---------------------------------------
IP_ADDRESS_IFINDEX = parse_oid("1.3.6.1.2.1.4.34.1.3")       # ipAddressTable (index: type.len.addr)
IP_ADDR_IFINDEX = parse_oid("1.3.6.1.2.1.4.20.1.2")          # ipAddrTable (index: a.b.c.d)
NET_TO_PHYS_ADDR = parse_oid("1.3.6.1.2.1.4.35.1.4")         # ipNetToPhysicalPhysAddress
NET_TO_PHYS_TYPE = parse_oid("1.3.6.1.2.1.4.35.1.6")
NET_TO_MEDIA_ADDR = parse_oid("1.3.6.1.2.1.4.22.1.2")        # ipNetToMediaPhysAddress
NET_TO_MEDIA_TYPE = parse_oid("1.3.6.1.2.1.4.22.1.4")
ARP_INVALID, ARP_LOCAL = 2, 5

# -- BRIDGE-MIB / Q-BRIDGE-MIB forwarding tables ------------------------------------------
BASE_PORT_IFINDEX = parse_oid("1.3.6.1.2.1.17.1.4.1.2")
FDB_PORT = parse_oid("1.3.6.1.2.1.17.4.3.1.2")
FDB_STATUS = parse_oid("1.3.6.1.2.1.17.4.3.1.3")
QFDB_PORT = parse_oid("1.3.6.1.2.1.17.7.1.2.2.1.2")
QFDB_STATUS = parse_oid("1.3.6.1.2.1.17.7.1.2.2.1.3")
FDB_SELF = 4
UPLINK_MACS = 16     # a port behind which this many MACs sit is treated as an uplink

# -- LLDP-MIB ------------------------------------------------------------------------------
LLDP_REM = parse_oid("1.0.8802.1.1.2.1.4.1.1")
LLDP_FIELDS = {"chassis_subtype": 4, "chassis_id": 5, "port_subtype": 6, "port_id": 7, "port_desc": 8,
               "sys_name": 9, "sys_desc": 10}
LLDP_MAN_ADDR_IFSUBTYPE = parse_oid("1.0.8802.1.1.2.1.4.2.1.3")
LLDP_LOC_PORT_ID = parse_oid("1.0.8802.1.1.2.1.3.7.1.3")
LLDP_LOC_PORT_DESC = parse_oid("1.0.8802.1.1.2.1.3.7.1.4")
LLDP_CHASSIS_MAC, LLDP_CHASSIS_NET, LLDP_PORT_MAC = 4, 5, 3

# -- HOST-RESOURCES-MIB ---------------------------------------------------------------------
HR_DEVICE_TYPE = parse_oid("1.3.6.1.2.1.25.3.2.1.2")
HR_DEVICE_DESCR = parse_oid("1.3.6.1.2.1.25.3.2.1.3")
HR_SW_NAME = parse_oid("1.3.6.1.2.1.25.6.3.1.2")
MAX_HR_DEVICES = 64
MAX_IF_TYPES = 1024

_DOTTED = re.compile(r"\.?\d+(\.\d+)+\.?")
_ARCH_TAIL = re.compile(r"[._](all|amd64|i386|i686|arm64|armhf|aarch64|x86_64|noarch)$")
_VERSION_TAIL = re.compile(r"^(?P<name>.+?)[-_ ]v?(?P<version>\d[\w.+:~]*(?:-[\w.+:~]+)?)$")


# -- small typed readers -------------------------------------------------------------------

def text(value: object, limit: int = 1024) -> str | None:
    """A display string from an OCTET STRING (or anything printable)."""
    if isinstance(value, bytes | bytearray):
        return clean_text(bytes(value), limit)
    if isinstance(value, str):
        return clean_text(value, limit)
    return None


def display(value: object, limit: int = 255) -> str | None:
    """An identifier that may be text or binary (LLDP IDs): text when printable, else MAC or hex."""
    if isinstance(value, bytes | bytearray):
        raw = bytes(value)
        try:
            decoded = raw.decode("utf-8")
        except UnicodeDecodeError:
            decoded = None
        if decoded is None or not decoded.isprintable():
            return mac(raw) or hex_id(raw)
    return text(value, limit)


def integer(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def oid_value(value: object) -> str | None:
    if isinstance(value, tuple) and value and all(isinstance(a, int) for a in value):
        return oid_text(value)
    return None


def mac(value: object) -> str | None:
    """A MAC from 6 raw bytes (or a MAC-looking string); all-zero and broadcast are no MAC."""
    if isinstance(value, bytes | bytearray) and len(value) != 6:
        return None
    found = normalise_mac(value) if isinstance(value, bytes | bytearray | str) else None
    if found in ("00:00:00:00:00:00", "ff:ff:ff:ff:ff:ff"):
        return None
    return found


def ip_from_index(parts: Oid) -> str | None:
    """An IP from an InetAddress index (``type.len.octets``) or plain four octets."""
    try:
        if len(parts) == 4:
            return str(ipaddress.IPv4Address(bytes(parts)))
        if len(parts) >= 2 and parts[0] in (1, 2, 3, 4) and parts[1] == len(parts) - 2:
            raw = bytes(parts[2:])
            if parts[0] in (1, 3) and len(raw) >= 4:
                return str(ipaddress.IPv4Address(raw[:4]))
            if parts[0] in (2, 4) and len(raw) >= 16:
                return str(ipaddress.IPv6Address(raw[:16]))
    except ValueError:
        return None
    return None


def hex_id(value: object) -> str | None:
    if isinstance(value, bytes | bytearray) and 0 < len(value) <= 64:
        return bytes(value).hex()
    return None


# -- system group --------------------------------------------------------------------------

def system_facts(values: Mapping[Oid, object]) -> dict[str, Any]:
    """The agreed system-group keys of ``facts["snmp"]`` from one GET's answers."""
    get = {name: values.get(oid) for name, oid in SYSTEM.items()}
    object_id = oid_value(get["sysObjectID"])
    if object_id is None:   # some agents send it as a dotted string
        candidate = text(get["sysObjectID"], 256)
        object_id = candidate if candidate and _DOTTED.fullmatch(candidate) else None
    forwarding = integer(get["ipForwarding"])
    return {
        "sysDescr": text(get["sysDescr"], MAX_LONG_TEXT),
        "sysObjectID": object_id.strip(".") if object_id else None,
        "sysName": text(get["sysName"], 255),
        "sysLocation": text(get["sysLocation"]),
        "sysContact": text(get["sysContact"]),
        "sysUpTime": integer(get["sysUpTime"]),
        "sysServices": integer(get["sysServices"]),
        "ipForwarding": forwarding if forwarding in (1, 2) else None,
    }


def engine_id(values: Mapping[Oid, object]) -> str | None:
    return hex_id(values.get(SYSTEM["snmpEngineID"]))


def mibs_present(answers: list[tuple[Oid, object]], probes: Mapping[str, Oid] = MIB_PROBES) -> list[str]:
    """Names of probed subtrees that a GETNEXT answered from inside the subtree."""
    found = []
    for name, root in probes.items():
        if any(oid[: len(root)] == root and len(oid) > len(root) for oid, _ in answers):
            found.append(name)
    return found


def enterprise_oids(answers: list[tuple[Oid, object]]) -> list[str]:
    out = []
    for oid, _ in answers:
        if oid[: len(ENTERPRISES)] == ENTERPRISES and len(oid) > len(ENTERPRISES):
            out.append(oid_text(oid)[:200])
        if len(out) >= ENTERPRISE_SAMPLE:
            break
    return out


def enterprise_numbers(answers: list[tuple[Oid, object]]) -> list[int]:
    """Enterprise numbers (beyond net-snmp's own) of the subtrees the enterprise GETNEXTs landed in."""
    found: set[int] = set()
    for oid, _ in answers:
        inside = isinstance(oid, tuple) and oid[: len(ENTERPRISES)] == ENTERPRISES
        if not inside or len(oid) <= len(ENTERPRISES):
            continue
        number = oid[len(ENTERPRISES)]
        if isinstance(number, int) and 0 < number < 2**31 and number not in NET_SNMP_ENTERPRISES:
            found.add(number)
    return sorted(found)[:MAX_ENTERPRISE_NUMBERS]


def lldp_caps(value: object) -> list[str]:
    """Capability names set in an LLDP BITS value (first octet only; later bits are reserved)."""
    if isinstance(value, str):
        value = value.encode("latin-1", errors="ignore")
    if not isinstance(value, bytes | bytearray) or not value or len(value) > 8:
        return []
    first = value[0]
    return [name for bit, name in enumerate(LLDP_CAPS) if first & (0x80 >> bit)]


def class_facts(values: Mapping[Oid, object]) -> dict[str, Any]:
    """``lldp_caps`` and ``bridge_ports`` facts from the CLASS_GETS answers (absent ones left out)."""
    out: dict[str, Any] = {}
    supported, enabled = lldp_caps(values.get(LLDP_CAP_SUPPORTED)), lldp_caps(values.get(LLDP_CAP_ENABLED))
    if supported or enabled:
        out["lldp_caps"] = {"supported": supported, "enabled": enabled}
    ports = integer(values.get(BRIDGE_NUM_PORTS))
    if ports is not None and 0 <= ports <= MAX_BRIDGE_PORTS:
        out["bridge_ports"] = ports
    return out


# -- ENTITY-MIB ----------------------------------------------------------------------------

def entity_rows_to_fetch(classes: Column) -> list[Oid]:
    """Indexes of the physical entities worth a GET: chassis, else stacks, else the first one."""
    typed = [(idx, integer(c)) for idx, c in classes.items() if integer(c) is not None]
    for wanted in (ENT_CHASSIS, ENT_STACK):
        rows = [idx for idx, c in typed if c == wanted]
        if rows:
            return sorted(rows)[:MAX_ENTITY_ROWS]
    return sorted(idx for idx, _ in typed)[:1]


def entity_oids(indexes: list[Oid]) -> list[Oid]:
    return [(*ENT_PHYSICAL, column, *idx) for idx in indexes for column in ENT_FIELDS.values()]


def entity_facts(indexes: list[Oid], classes: Column, values: Mapping[Oid, object]) -> list[dict[str, Any]]:
    rows = []
    for idx in indexes:
        row: dict[str, Any] = {"index": idx[0] if len(idx) == 1 else oid_text(idx),
                               "class": integer(classes.get(idx))}
        for name, column in ENT_FIELDS.items():
            row[name] = text(values.get((*ENT_PHYSICAL, column, *idx)), 255)
        rows.append(row)
    return rows


def chassis_serial(rows: list[dict[str, Any]]) -> str | None:
    for row in rows:
        if row.get("class") == ENT_CHASSIS and row.get("serial"):
            return row["serial"]
    return None


# -- interfaces and addresses --------------------------------------------------------------

def if_types(column: Column) -> list[int]:
    return [v for _, v in sorted(column.items()) if isinstance(v, int)][:MAX_IF_TYPES]


def if_names(cols: Mapping[Oid, Column]) -> dict[int, str]:
    """ifIndex -> the best name: ifName, else ifDescr."""
    names: dict[int, str] = {}
    for column in (IF_DESCR, IF_NAME):
        for idx, value in cols.get(column, {}).items():
            name = text(value, 128)
            if len(idx) == 1 and name:
                names[idx[0]] = name
    return names


def addresses(ip_address_col: Column, ip_addr_col: Column) -> dict[int, list[str]]:
    """ifIndex -> IPs, from ipAddressTable (preferred) or ipAddrTable."""
    out: dict[int, list[str]] = {}
    for column in (ip_address_col, ip_addr_col):
        for idx, value in column.items():
            ip = ip_from_index(idx)
            if_index = integer(value)
            if ip and if_index is not None and ip not in out.get(if_index, []):
                out.setdefault(if_index, []).append(ip)
        if out:
            break
    return out


def interfaces(cols: Mapping[Oid, Column], ips: Mapping[int, list[str]]) -> list[Interface]:
    indexes = sorted({idx[0] for column in IF_COLUMNS for idx in cols.get(column, {}) if len(idx) == 1}
                     | set(ips))
    names = if_names(cols)
    result = []
    for index in indexes:
        key = (index,)
        speed = integer(cols.get(IF_SPEED, {}).get(key))
        high = integer(cols.get(IF_HIGH_SPEED, {}).get(key))
        if high and (speed is None or speed >= 4_294_967_295 or high * 1_000_000 > speed):
            speed = high * 1_000_000
        descr = text(cols.get(IF_ALIAS, {}).get(key), 255) or text(cols.get(IF_DESCR, {}).get(key), 255)
        result.append(Interface(
            name=names.get(index), mac=mac(cols.get(IF_PHYS, {}).get(key)), index=index,
            ips=list(ips.get(index, [])), speed=speed,
            status=OPER_STATUS.get(integer(cols.get(IF_OPER, {}).get(key)) or 0),
            description=descr if descr != names.get(index) else None,
        ))
    return result


# -- harvest: ARP, FDB, LLDP ---------------------------------------------------------------

def arp_neighbours(phys: Column, types: Column, source: str, reporter: str,
                   names: Mapping[int, str], own_macs: set[str]) -> list[Observation]:
    """NEIGHBOUR observations from ipNetToPhysicalTable or ipNetToMediaTable columns."""
    result = []
    seen: set[tuple[str, str]] = set()
    for idx, value in sorted(phys.items()):
        if len(idx) < 2:
            continue
        if integer(types.get(idx)) in (ARP_INVALID, ARP_LOCAL):
            continue
        hw = mac(value)
        ip = ip_from_index(idx[1:])
        if not hw or not ip or hw in own_macs or (ip, hw) in seen:
            continue
        seen.add((ip, hw))
        facts: dict[str, Any] = {"source": source, "if_index": idx[0]}
        if names.get(idx[0]):
            facts["interface"] = names[idx[0]]
        result.append(Observation(method="snmp", kind=NEIGHBOUR, ip=ip, mac=hw, reporter=reporter,
                                  facts=facts))
    return result


def fdb_locations(cols: Mapping[Oid, Column], switch: str, names: Mapping[int, str],
                  own_macs: set[str]) -> list[Observation]:
    """LOCATION observations from the Q-BRIDGE (preferred) and BRIDGE forwarding tables."""
    base = {idx[0]: integer(v) for idx, v in cols.get(BASE_PORT_IFINDEX, {}).items() if len(idx) == 1}
    entries: list[tuple[str, int, int | None, str]] = []     # mac, bridge port, vlan, source
    for idx, port in cols.get(QFDB_PORT, {}).items():
        if len(idx) == 7 and integer(port) and integer(cols.get(QFDB_STATUS, {}).get(idx)) != FDB_SELF:
            hw = mac(bytes(b & 0xFF for b in idx[1:]))
            if hw:
                entries.append((hw, port, idx[0], "dot1qTpFdbTable"))  # type: ignore[arg-type]
    seen = {(hw, port) for hw, port, _, _ in entries}
    for idx, port in cols.get(FDB_PORT, {}).items():
        if len(idx) == 6 and integer(port) and integer(cols.get(FDB_STATUS, {}).get(idx)) != FDB_SELF:
            hw = mac(bytes(b & 0xFF for b in idx))
            if hw and (hw, port) not in seen:
                entries.append((hw, port, None, "dot1dTpFdbTable"))  # type: ignore[arg-type]
    per_port = Counter(port for _, port, _, _ in entries)
    result = []
    for hw, port, vlan, source in sorted(entries, key=lambda e: (e[1], e[0])):
        if hw in own_macs:
            continue
        if_index = base.get(port) or port
        port_name = names.get(if_index) or f"port {port}"
        facts: dict[str, Any] = {"source": source, "bridge_port": port, "if_index": if_index,
                                 "port_macs": per_port[port], "uplink": per_port[port] >= UPLINK_MACS}
        if vlan is not None:
            facts["vlan"] = vlan
        result.append(Observation(method="snmp", kind=LOCATION, mac=hw, switch=switch, switch_port=port_name,
                                  reporter=switch, facts=facts))
    return result


def lldp_neighbours(cols: Mapping[Oid, Column], man_addrs: Column, local_ports: Mapping[Oid, Column],
                    reporter: str) -> list[Observation]:
    """NEIGHBOUR observations from lldpRemTable (+ management addresses, local port names)."""
    rows: dict[Oid, dict[str, object]] = {}
    for name, column in LLDP_FIELDS.items():
        for idx, value in cols.get((*LLDP_REM, column), {}).items():
            if len(idx) == 3:
                rows.setdefault(idx, {})[name] = value
    mgmt: dict[Oid, str] = {}
    for idx in man_addrs:
        if len(idx) >= 5:
            ip = ip_from_index(idx[3:])
            if ip and idx[:3] not in mgmt:
                mgmt[idx[:3]] = ip
    result = []
    for idx, row in sorted(rows.items()):
        chassis_sub = integer(row.get("chassis_subtype"))
        port_sub = integer(row.get("port_subtype"))
        chassis_raw = row.get("chassis_id")
        port_raw = row.get("port_id")
        hw = mac(chassis_raw) if chassis_sub == LLDP_CHASSIS_MAC else None
        ip = mgmt.get(idx)
        if (ip is None and chassis_sub == LLDP_CHASSIS_NET and isinstance(chassis_raw, bytes)
                and len(chassis_raw) == 5 and chassis_raw[0] == 1):
            ip = ip_from_index(tuple(chassis_raw[1:]))
        if hw:
            chassis_id = hw
        elif chassis_sub in (LLDP_CHASSIS_MAC, LLDP_CHASSIS_NET):
            chassis_id = hex_id(chassis_raw)
        else:
            chassis_id = display(chassis_raw)
        port_id = mac(port_raw) if port_sub == LLDP_PORT_MAC else display(port_raw)
        local = (idx[1],)
        local_port = (display(local_ports.get(LLDP_LOC_PORT_ID, {}).get(local), 128)
                      or display(local_ports.get(LLDP_LOC_PORT_DESC, {}).get(local), 128))
        facts = {"source": "lldpRemTable", "chassis_id": chassis_id, "chassis_id_subtype": chassis_sub,
                 "port_id": port_id, "port_desc": text(row.get("port_desc"), 255),
                 "sys_desc": text(row.get("sys_desc"), MAX_LONG_TEXT), "local_port": local_port}
        result.append(Observation(method="snmp", kind=NEIGHBOUR, ip=ip, mac=hw,
                                  hostname=text(row.get("sys_name"), 255), reporter=reporter,
                                  switch=reporter, switch_port=local_port, facts=facts))
    return result


# -- HOST-RESOURCES ------------------------------------------------------------------------

def hr_devices(types: Column, descrs: Column) -> list[dict[str, Any]]:
    out = []
    for idx in sorted(set(types) | set(descrs))[:MAX_HR_DEVICES]:
        out.append({"type": oid_value(types.get(idx)), "descr": text(descrs.get(idx), 255)})
    return out


def software(names: Column) -> list[Software]:
    out = []
    for _, value in sorted(names.items()):
        name = text(value, 255)
        if not name:
            continue
        match = _VERSION_TAIL.match(_ARCH_TAIL.sub("", name))
        if match:
            out.append(Software(name=match["name"], version=match["version"]))
        else:
            out.append(Software(name=name))
    return out
