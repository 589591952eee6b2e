"""Where an asset's field values come from, which source wins, and when two values are the same.

Each field keeps the value of its highest-ranked source, recorded in ``assets.field_sources``
(``{"hostname": "inventory", ...}``): inventory record > operator edit > SNMP (ENTITY-MIB,
sysName) > names a device announces or DNS gives (mDNS, NetBIOS, reverse DNS: methods iot,
nmap, arp) > OUI. A sweep's value replaces the chosen one only when its source ranks higher,
or when it comes from the very source that set it (the device was renamed); an equal-ranked
other source never does, so two methods naming a device differently do not swap the name
on every sweep. Values that differ only in case, a trailing dot or a ``.local`` suffix are
the same value.

Where a sweep disagrees with a documented value (inventory or operator) of ``hostname``,
``serial``, ``model`` or ``vendor``, the documented value stays and the disagreement is kept
as a discrepancy (``storage.models.Discrepancy``, listed by ``report discrepancies``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from netdiscover.fields import DOCUMENTABLE  # the fields an inventory record or an operator documents
from netdiscover.fingerprints.vendors import short_vendor
from netdiscover.identity import serial_key

INVENTORY = "inventory"
OPERATOR = "operator"
DOCUMENTED = frozenset({INVENTORY, OPERATOR})
RANKS = {INVENTORY: 50, OPERATOR: 40, "snmp": 30, "entity": 30, "iot": 20, "nmap": 20, "arp": 20,
         "dns": 20, "mdns": 20, "netbios": 20, "oui": 10}
# Fields whose documented value a sweep can contradict (a discrepancy is kept).
CHECKED_FIELDS = ("hostname", "serial", "model", "vendor")
_NOT_ALNUM = re.compile(r"[\W_]+")


def rank(source: str | None) -> int:
    """How much a source is trusted; an unrecorded source ranks lowest."""
    return RANKS.get(source or "", 0)


def norm(field: str, value: Any) -> str | None:
    """``value`` as compared for ``field``: case-folded, hostnames without ``.local`` or a trailing dot."""
    if value is None:
        return None
    text = str(value).strip()
    if field == "serial":
        return serial_key(text)
    if field == "vendor":
        text = short_vendor(text) or text
    text = text.casefold()
    if field == "hostname":
        text = text.rstrip(".")
        if text.endswith(".local"):
            text = text[:-6]
        return text or None
    if field == "vendor":
        return _NOT_ALNUM.sub("", text) or text or None
    return text or None


def same(field: str, a: Any, b: Any) -> bool:
    """The two values say the same thing about ``field``."""
    return norm(field, a) == norm(field, b)


def documented(sources: dict[str, Any] | None, field: str) -> bool:
    """The field's value was recorded by people (inventory or operator)."""
    return bool(sources) and sources.get(field) in DOCUMENTED


def should_replace(sources: dict[str, Any] | None, field: str, current: Any, value: Any, source: str) -> bool:
    """A sweep's ``value`` from ``source`` replaces the asset's ``current`` one."""
    if value is None or same(field, current, value):
        return False
    if current is None:
        return True
    held = (sources or {}).get(field)
    if held is None:             # nothing recorded (an older row): the newer sighting, as always
        return True
    return held == source or rank(source) > rank(held)


def with_sources(sources: dict[str, Any] | None, fields: Iterable[str], source: str) -> dict[str, Any]:
    """``sources`` with ``fields`` now coming from ``source`` (a new dict)."""
    out = dict(sources or {})
    for name in fields:
        out[name] = source
    return out


def mark_documented(asset: Any, fields: Iterable[str], source: str = INVENTORY) -> None:
    """Record on an ORM ``Asset`` that people documented these fields (inventory import, an edit)."""
    names = [f for f in fields if f in DOCUMENTABLE]
    if names:
        updated = with_sources(asset.field_sources, names, source)
        if updated != (asset.field_sources or {}):
            asset.field_sources = updated
