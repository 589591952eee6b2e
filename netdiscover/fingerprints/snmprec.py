"""Read snmpsim ``.snmprec`` recordings (``OID|TYPE|VALUE`` per line) into SNMP facts.

Used offline by tests and benchmarks: it turns a recording into the same ``facts["snmp"]`` keys
the SNMP scanner reports, without a network. Values are decoded the way snmpsim serves them
(``4x`` hex strings, ``6`` OIDs, integers); unreadable lines are skipped.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from netdiscover.scanners.snmp import tables as snmp_tables

SYSTEM = "1.3.6.1.2.1.1."
SYS_FIELDS = {"1": "sysDescr", "2": "sysObjectID", "3": "sysUpTime", "4": "sysContact", "5": "sysName",
              "6": "sysLocation", "7": "sysServices"}
ENTITY = "1.3.6.1.2.1.47.1.1.1.1."
ENTITY_COLUMNS = {2: "descr", 5: "class", 7: "name", 8: "hw_rev", 9: "fw_rev", 10: "sw_rev", 11: "serial",
                  12: "mfg", 13: "model"}
MIB_PREFIXES = {
    "printer": "1.3.6.1.2.1.43", "ups": "1.3.6.1.2.1.33", "host-resources": "1.3.6.1.2.1.25",
    "bridge": "1.3.6.1.2.1.17", "q-bridge": "1.3.6.1.2.1.17.7", "entity": "1.3.6.1.2.1.47",
    "lldp": "1.0.8802.1.1.2", "dot11": "1.2.840.10036", "power-ethernet": "1.3.6.1.2.1.105",
    "entity-sensor": "1.3.6.1.2.1.99",
}
IF_TYPE = "1.3.6.1.2.1.2.2.1.3."
HR_DEVICE = "1.3.6.1.2.1.25.3.2.1."
IP_FORWARDING = "1.3.6.1.2.1.4.1.0"
ENTERPRISES = "1.3.6.1.4.1."
INT_TYPES = {"2", "65", "66", "67", "70"}
# BITS values are kept as bytes (their top bits are not text)
RAW_OIDS = frozenset({"1.0.8802.1.1.2.1.3.5.0", "1.0.8802.1.1.2.1.3.6.0"})
BRIDGE_PORT = "1.3.6.1.2.1.17.1.4.1.2."   # dot1dBasePortIfIndex, one row per port


def _decode(kind: str, raw: str) -> Any:
    if kind in INT_TYPES:
        try:
            return int(raw)
        except ValueError:
            return None
    if kind.endswith("x"):
        try:
            data = bytes.fromhex(raw)
        except ValueError:
            return raw
        return data.decode("utf-8", errors="replace")
    return raw


def read(path: Path | str) -> list[tuple[str, str, Any]]:
    """(oid, type, value) rows of a recording, in file order; bad lines skipped."""
    rows = []
    with open(path, encoding="utf-8", errors="replace") as handle:
        for line in handle:
            parts = line.rstrip("\r\n").split("|", 2)
            if len(parts) != 3 or not parts[0]:
                continue
            oid, kind, raw = parts
            oid = oid.strip(".")
            if oid in RAW_OIDS and kind.endswith("x"):
                try:
                    rows.append((oid, kind, bytes.fromhex(raw)))
                except ValueError:
                    pass
                continue
            rows.append((oid, kind, _decode(kind, raw)))
    return rows


def _key(oid: str) -> tuple[int, ...]:
    try:
        return tuple(int(p) for p in oid.split("."))
    except ValueError:
        return ()


def facts(rows: Iterable[tuple[str, str, Any]], enterprise_sample: int = 5,
          per_enterprise: bool = False) -> dict[str, Any]:
    """The agreed ``facts["snmp"]`` keys from recording rows.

    ``enterprise_oids`` imitates the scanner: the first ``enterprise_sample`` OIDs after
    1.3.6.1.4.1 in walk order; with ``per_enterprise``, the first OID of each enterprise
    subtree instead (what a scanner that hops from subtree to subtree would see).
    """
    out: dict[str, Any] = {}
    entities: dict[str, dict[str, Any]] = {}
    hr: dict[str, dict[str, Any]] = {}
    if_types: list[int] = []
    oids: list[tuple[int, ...]] = []
    enterprise_first: dict[int, tuple[int, ...]] = {}
    enterprise_all: list[tuple[int, ...]] = []
    by_oid: dict[tuple[int, ...], Any] = {}
    base_ports = 0
    for oid, _kind, value in rows:
        key = _key(oid)
        if not key:
            continue
        oids.append(key)
        by_oid[key] = value
        if oid.startswith(BRIDGE_PORT):
            base_ports += 1
        if oid.startswith(SYSTEM):
            tail = oid[len(SYSTEM):]
            if tail.endswith(".0") and tail[:-2] in SYS_FIELDS:
                name = SYS_FIELDS[tail[:-2]]
                out[name] = str(value).strip(".") if name == "sysObjectID" and value is not None else value
        elif oid.startswith(ENTITY):
            column, _, index = oid[len(ENTITY):].partition(".")
            name = ENTITY_COLUMNS.get(int(column)) if column.isdigit() else None
            if name and index:
                entities.setdefault(index, {"index": int(index) if index.isdigit() else index})[name] = value
        elif oid.startswith(IF_TYPE) and isinstance(value, int):
            if_types.append(value)
        elif oid.startswith(HR_DEVICE):
            column, _, index = oid[len(HR_DEVICE):].partition(".")
            if column in ("2", "3"):
                hr.setdefault(index, {})["type" if column == "2" else "descr"] = value
        elif oid == IP_FORWARDING and isinstance(value, int):
            out["ipForwarding"] = value
        elif oid.startswith(ENTERPRISES) and len(key) > 6:
            enterprise_all.append(key)
            if key[6] not in enterprise_first or key < enterprise_first[key[6]]:
                enterprise_first[key[6]] = key
    oids.sort()
    mibs = []
    for name, prefix in MIB_PREFIXES.items():
        pk = _key(prefix)
        at = bisect.bisect_left(oids, pk)
        if at < len(oids) and oids[at][: len(pk)] == pk:
            mibs.append(name)
    out["mibs"] = mibs
    if entities:
        out["entity"] = [entities[k] for k in sorted(entities, key=lambda k: _key(k) or (0,))]
    if hr:
        out["hr_devices"] = list(hr.values())
    if if_types:
        out["if_types"] = sorted(set(if_types))
    if enterprise_all:
        sample = sorted(enterprise_first.values()) if per_enterprise else sorted(enterprise_all)
        out["enterprise_oids"] = [".".join(map(str, k)) for k in sample[:enterprise_sample]]
    landed = [(found, None) for start in snmp_tables.ENTERPRISE_HOPS if (found := _next(oids, start))]
    landed += [(k, None) for k in sorted(enterprise_all)[:snmp_tables.ENTERPRISE_SAMPLE]]
    numbers = snmp_tables.enterprise_numbers(landed)
    if numbers:
        out["enterprise_numbers"] = numbers
    class_values = {k: by_oid[k] for k in snmp_tables.CLASS_GETS if k in by_oid}
    if snmp_tables.BRIDGE_NUM_PORTS not in class_values and base_ports:
        # the recording walked dot1dBasePortTable but not the scalar that counts its rows
        class_values[snmp_tables.BRIDGE_NUM_PORTS] = base_ports
    out.update(snmp_tables.class_facts(class_values))
    return out


def _next(oids: list[tuple[int, ...]], start: tuple[int, ...]) -> tuple[int, ...] | None:
    """What a GETNEXT of ``start`` answers from sorted ``oids`` (the first OID after it)."""
    at = bisect.bisect_right(oids, start)
    return oids[at] if at < len(oids) else None


def load(path: Path | str, enterprise_sample: int = 5, per_enterprise: bool = False) -> dict[str, Any]:
    """``facts(read(path))``."""
    return facts(read(path), enterprise_sample, per_enterprise)
