"""MAC address evidence: IEEE OUI -> maker, and well-known virtual MACs named as such.

The IEEE registry comes bundled with netaddr (offline). A locally administered MAC (second bit
of the first octet set: randomised phone/laptop MACs, most container and VM MACs) names no
maker and never gets a vendor. Shared virtual router MACs (VRRP, HSRP) and hypervisor MAC
ranges are named from their published prefixes in ``virtual_macs.csv``.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Sequence
from functools import lru_cache
from pathlib import Path
from typing import NamedTuple

from netdiscover.fingerprints.model import Evidence
from netdiscover.fingerprints.vendors import short_vendor
from netdiscover.observation import Observation, normalise_mac

SOURCE = "oui"
WEIGHT_VENDOR = 0.3
WEIGHT_VIRTUAL = 0.35
DATA = Path(__file__).with_name("virtual_macs.csv")


class MacInfo(NamedTuple):
    """What a MAC says by itself."""

    mac: str
    organisation: str | None = None   # as registered with the IEEE
    vendor: str | None = None         # short vendor name
    local: bool = False               # locally administered (randomised, VM, container)
    multicast: bool = False
    virtual: str | None = None        # e.g. "VRRP", "VMware virtual NIC"
    virtual_vendor: str | None = None
    virtual_class: str | None = None


@lru_cache(maxsize=1)
def _virtual_prefixes() -> tuple[tuple[str, str, str | None, str | None], ...]:
    rows = []
    with DATA.open(encoding="utf-8") as handle:
        for row in csv.DictReader(line for line in handle if not line.startswith("#")):
            prefix = (row.get("prefix") or "").strip().lower()
            if prefix:
                name = row["name"].strip()
                rows.append((prefix, name, row.get("vendor") or None, row.get("class") or None))
    # longest prefix first so that 00:00:0c:07:ac beats a plain 00:00:0c
    return tuple(sorted(rows, key=lambda r: -len(r[0])))


@lru_cache(maxsize=1)
def _virtual_by_head() -> dict[str, tuple[tuple[str, str, str | None, str | None], ...]]:
    """Virtual prefixes grouped by their first two octets ("00:50"), longest prefix first."""
    heads: dict[str, list[tuple[str, str, str | None, str | None]]] = {}
    for row in _virtual_prefixes():
        heads.setdefault(row[0][:5], []).append(row)
    return {head: tuple(rows) for head, rows in heads.items()}


@lru_cache(maxsize=65536)
def _registered(oui: int) -> str | None:
    import netaddr

    try:
        return str(netaddr.OUI(oui).registration().org).strip() or None
    except Exception:  # not registered, or registry unreadable: no answer, never an error
        return None


def lookup(mac: str | None) -> MacInfo | None:
    """Describe a MAC, or None when it is not a 48-bit MAC."""
    norm = normalise_mac(mac)
    if norm is None:
        return None
    first = int(norm[:2], 16)
    local = bool(first & 0x02)
    multicast = bool(first & 0x01)
    virtual = virtual_vendor = virtual_class = None
    for prefix, name, vendor, klass in _virtual_by_head().get(norm[:5], ()):
        if norm.startswith(prefix):
            virtual, virtual_vendor, virtual_class = name, vendor, klass
            break
    org = vendor = None
    if not local and not multicast:
        org = _registered(int(norm[:8].replace(":", ""), 16))
        vendor = short_vendor(org)
    return MacInfo(norm, org, vendor, local, multicast, virtual, virtual_vendor, virtual_class)


def _macs(observations: Iterable[Observation]) -> list[str]:
    found: list[str] = []
    for obs in observations:
        for mac in obs.macs():
            if mac not in found:
                found.append(mac)
            if len(found) >= 64:
                return found
    return found


def evidence(observations: Sequence[Observation]) -> list[Evidence]:
    """Vendor (and, for virtual MACs, kind) evidence from every MAC tied to the device."""
    out: list[Evidence] = []
    for mac in _macs(observations):
        info = lookup(mac)
        if info is None:
            continue
        if info.virtual:
            if info.virtual_vendor:
                out.append(Evidence(SOURCE, f"virtual-mac:{info.virtual}", "vendor", info.virtual_vendor,
                                    WEIGHT_VIRTUAL, mac))
            if info.virtual_class:
                out.append(Evidence(SOURCE, f"virtual-mac:{info.virtual}", "device_class", info.virtual_class,
                                    WEIGHT_VIRTUAL, mac))
            continue
        if info.vendor:
            out.append(Evidence(SOURCE, "ieee-oui", "vendor", info.vendor, WEIGHT_VENDOR,
                                f"{mac} ({info.organisation})"))
    return out
