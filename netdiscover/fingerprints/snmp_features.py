"""Features of one device's SNMP facts for the learned class model (``class_model.py``).

Every feature is a name (``kind:value``) with a strength, usually 1.0. They are meant to hold on
devices nobody here has seen: standard-MIB statements (sysServices layers, ipForwarding, MIB
presence, LLDP capabilities, bridge port count, ifType mix, HOST-RESOURCES device types, ENTITY
classes), the maker behind the enterprise number (IANA PEN), words of sysDescr and ENTITY text,
and the class the most specific matching sysDescr/sysObjectID rule proposes. Hostile values (wrong types, huge
strings, long lists) are bounded or ignored; the result is always a plain dict.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from functools import lru_cache
from typing import Any

from netdiscover.fingerprints import pen
from netdiscover.fingerprints.vendors import short_vendor

MAX_TEXT = 512
MAX_TOKENS = 48
MAX_ITEMS = 256
MAX_SERVED = 16       # enterprise numbers of served subtrees looked at
_WORD = re.compile(r"[a-z][a-z0-9]{1,23}")
_LETTERS = re.compile(r"[a-z]")
_DIGITS = re.compile(r"\d+")
_STOP = frozenset({"the", "and", "for", "with", "inc", "ltd", "co", "of", "on", "by", "version", "copyright",
                   "rights", "reserved", "all", "software", "release", "build", "compiled", "rev",
                   "revision", "kernel", "smp", "preempt", "date", "time", "mon", "tue", "wed", "thu", "fri",
                   "sat", "sun", "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov",
                   "dec", "utc", "gmt", "cst", "cet", "cest", "est", "edt", "pst", "pdt", "jst"})
# HOST-RESOURCES hrDeviceTypes arcs (RFC 2790): 1.3.6.1.2.1.25.3.1.N
HR_TYPES = {1: "other", 2: "unknown", 3: "processor", 4: "network", 5: "printer", 6: "disk", 10: "video",
            11: "audio", 12: "coprocessor", 13: "keyboard", 14: "modem", 15: "parallel", 16: "pointing",
            17: "serial", 18: "tape", 19: "clock", 20: "volatile-memory", 21: "nonvolatile-memory"}
HR_PREFIX = "1.3.6.1.2.1.25.3.1."
# ENTITY-MIB PhysicalClass (RFC 6933)
ENT_CLASSES = {1: "other", 2: "unknown", 3: "chassis", 4: "backplane", 5: "container", 6: "powerSupply",
               7: "fan", 8: "sensor", 9: "module", 10: "port", 11: "stack", 12: "cpu", 13: "energyObject",
               14: "battery", 15: "storageDrive"}
PORT_BUCKETS = ((0, "0"), (4, "1-4"), (12, "5-12"), (32, "13-32"), (64, "33-64"))
IF_BUCKETS = ((1, "1"), (4, "2-4"), (16, "5-16"), (64, "17-64"))
NET_SNMP = frozenset({2021, 8072})
# What a standard MIB or interface type says the box is (``std:<class>``): Printer-MIB (RFC 3805)
# is implemented by printers, UPS-MIB (RFC 1628) by UPSes, IEEE 802.11 radios by access points,
# DOCSIS cable MAC interfaces by cable modems/routers. The model learns one weight for the kind.
STD_MIB = {"printer": "printer", "ups": "power", "dot11": "wireless-ap"}
STD_IFTYPE = {71: "wireless-ap", 127: "router"}       # ieee80211, docsCableMaclayer
HR_PRINTER, HR_PROCESSOR = 5, 3


def words(text: Any, limit: int = MAX_TOKENS) -> list[str]:
    """Lowercased words of a text, digits folded to ``0`` (``c2960x`` -> ``c0x``), stop words dropped."""
    if not isinstance(text, str) or not text:
        return []
    return list(_words(text[:MAX_TEXT], limit))


@lru_cache(maxsize=16384)
def _words(text: str, limit: int) -> tuple[str, ...]:
    """``words`` of one bounded text, memoised: ENTITY rows and sysDescrs repeat across devices."""
    out: list[str] = []
    for word in _WORD.findall(text.lower()):
        if word in _STOP or len(_LETTERS.findall(word)) < 2:
            continue
        folded = _DIGITS.sub("0", word)
        if folded not in out:
            out.append(folded)
            if len(out) >= limit:
                break
    return tuple(out)


def fact_int(value: Any, shorter_than: int = 12) -> int | None:
    """An SNMP fact as a whole number: an int, or a digit string shorter than ``shorter_than``;
    None for anything else (booleans, longer strings, other types)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().isdigit() and len(value) < shorter_than:
        return int(value)
    return None


def _bucket(value: int, buckets: tuple[tuple[int, str], ...], top: str) -> str:
    for limit, name in buckets:
        if value <= limit:
            return name
    return top


def _list(value: Any, limit: int = MAX_ITEMS) -> list[Any]:
    return value[:limit] if isinstance(value, list) else []


def maker(number: int | None) -> str | None:
    """The short maker name behind an enterprise number (IANA PEN), lowercased, or None."""
    if number is None or number in NET_SNMP:
        return None
    org = pen.organisation(number)
    short = short_vendor(org) if org else None
    return short.casefold() if short else None


def features(facts: Mapping[str, Any], rule_classes: Iterable[tuple[str, float]] = (),
             makers: Iterable[str] = ()) -> dict[str, float]:
    """Feature name -> strength for one device's merged SNMP facts.

    ``rule_classes`` are (class, weight) pairs that matching sysDescr/sysObjectID rules propose;
    ``makers`` are vendor names other evidence found (sysDescr, ENTITY manufacturer).
    """
    out: dict[str, float] = {}
    if not isinstance(facts, Mapping):
        return out
    oid = facts.get("sysObjectID")
    oid = oid.strip(".") if isinstance(oid, str) and len(oid) < 512 else ""
    number = pen.enterprise_number(oid)
    if number is None:
        out["oid:none"] = 1.0
    else:
        out[f"pen:{number}"] = 1.0
        rest = oid[len(pen.ENTERPRISES):].split(".")
        if len(rest) > 2:
            out[f"oid:{rest[0]}.{rest[1]}"] = 1.0
        name = maker(number)
        if name:
            out[f"maker:{name}"] = 1.0
    for name in makers:
        if isinstance(name, str) and name:
            out[f"maker:{name.casefold()[:40]}"] = 1.0
    descr = facts.get("sysDescr")
    tokens = words(descr)
    if not tokens:
        out["descr:none"] = 1.0
    for word in tokens:
        out[f"w:{word}"] = 1.0
    # the class of the most specific matching rule (rules' weights order their specificity)
    top, top_weight = "", 0.0
    for klass, weight in rule_classes:
        usable = isinstance(klass, str) and isinstance(weight, int | float) and len(klass) < 40
        if usable and weight > top_weight:
            top, top_weight = klass, float(weight)
    if top:
        out[f"rtop:{top}"] = 1.0
    services = fact_int(facts.get("sysServices"))
    if services is None or not 0 <= services < 128:
        out["svc:none"] = 1.0
    else:
        for bit in range(7):
            if services & (1 << bit):
                out[f"svc:L{bit + 1}"] = 1.0
    forwarding = fact_int(facts.get("ipForwarding"))
    if forwarding in (1, 2):
        out[f"fwd:{forwarding}"] = 1.0
    for mib in _list(facts.get("mibs"), 64):
        if isinstance(mib, str) and len(mib) < 40:
            out[f"mib:{mib.lower()}"] = 1.0
            if mib.lower() in STD_MIB:
                out[f"std:{STD_MIB[mib.lower()]}"] = 1.0
    _lldp(facts.get("lldp_caps"), out)
    ports = fact_int(facts.get("bridge_ports"))
    if ports is not None and ports >= 0:
        out[f"bports:{_bucket(ports, PORT_BUCKETS, '65+')}"] = 1.0
    if_types = [t for t in _list(facts.get("if_types"), 1024)
                if isinstance(t, int) and not isinstance(t, bool)]
    if if_types:
        out[f"ifcount:{_bucket(len(if_types), IF_BUCKETS, '65+')}"] = 1.0
        for if_type in set(if_types):
            if 0 < if_type < 512:
                out[f"if:{if_type}"] = 1.0
            if if_type in STD_IFTYPE:
                out[f"std:{STD_IFTYPE[if_type]}"] = 1.0
    for number in _list(facts.get("enterprise_numbers"), MAX_SERVED):
        if isinstance(number, int) and not isinstance(number, bool) and number not in NET_SNMP and number > 0:
            name = maker(number)
            if name:
                out[f"maker:{name}"] = 1.0
    _hr(facts.get("hr_devices"), out)
    _entity(facts.get("entity"), out)
    return out


def _lldp(caps: Any, out: dict[str, float]) -> None:
    if not isinstance(caps, Mapping):
        return
    for part in ("supported", "enabled"):
        for cap in _list(caps.get(part), 16):
            if isinstance(cap, str) and len(cap) < 32:
                out[f"lldp:{part[:3]}:{cap}"] = 1.0


def _hr(devices: Any, out: dict[str, float]) -> None:
    arcs: set[int] = set()
    for device in _list(devices, 64):
        if not isinstance(device, Mapping):
            continue
        kind = device.get("type")
        if isinstance(kind, str) and kind.startswith(HR_PREFIX):
            arc = fact_int(kind[len(HR_PREFIX):])
            if arc in HR_TYPES:
                out[f"hr:{HR_TYPES[arc]}"] = 1.0
                arcs.add(arc)
    if HR_PRINTER in arcs and HR_PROCESSOR not in arcs:
        out["std:printer"] = 1.0      # a general-purpose host lists its print queues too


def _entity(rows: Any, out: dict[str, float]) -> None:
    for row in _list(rows, 8):
        if not isinstance(row, Mapping):
            continue
        klass = fact_int(row.get("class"))
        if klass in ENT_CLASSES:
            out[f"eclass:{ENT_CLASSES[klass]}"] = 1.0
        for key in ("descr", "model", "mfg"):
            for word in words(row.get(key), 12):
                out[f"e:{word}"] = 1.0
