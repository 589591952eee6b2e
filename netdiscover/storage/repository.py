"""``asset_to_dict``, the one rendering of an asset as plain data: every output format (JSON,
CSV, tables, HTML) starts from it. It reads ORM assets and ``storage.assets.AssetView``s alike,
and takes its keys, order and conversions from the field table (``netdiscover.fields``).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from operator import attrgetter
from typing import Any

from netdiscover.fields import ASSET_KEYS, FIELDS
from netdiscover.identity import link_local_ip
from netdiscover.observation import utcnow
from netdiscover.storage.models import Asset


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def os_label(asset: Asset) -> str | None:
    """Operating system name and version as one string."""
    parts = [p for p in (asset.os_name, asset.os_version) if p]
    if len(parts) == 2 and parts[1].lower() in parts[0].lower():
        return parts[0]
    return " ".join(parts) or None


def _macs(asset: Asset) -> list[str]:
    return [i.mac for i in sorted(asset.interfaces, key=lambda i: (i.first_seen or utcnow(), i.id or 0))]


def _ips(asset: Asset) -> list[str]:
    """Current addresses, latest first; link-local ones last (the first is the one shown)."""
    current = [a for a in asset.addresses if a.current]
    current.sort(key=lambda a: (link_local_ip(a.ip) is None, a.last_seen or utcnow(), a.id or 0),
                 reverse=True)
    return [a.ip for a in current]


def _services(asset: Asset) -> list[dict[str, Any]]:
    return [
        {"port": s.port, "protocol": s.protocol, "name": s.name, "product": s.product,
         "version": s.version, "cpe": list(s.cpe or [])}
        for s in sorted((s for s in asset.services if s.open), key=lambda s: (s.protocol, s.port))
    ]


def _switch_ports(asset: Asset) -> list[dict[str, Any]]:
    return [{"mac": i.mac, "switch": i.switch, "port": i.switch_port}
            for i in asset.interfaces if i.switch or i.switch_port]


# How a stored field of each kind (netdiscover.fields.KINDS) becomes plain data; "value" is as stored.
_CONVERT: dict[str, Callable[[Any], Any]] = {
    "class": lambda v: v or "unknown",
    "time": _iso,
    "tags": lambda v: sorted(v or []),
    "score": lambda v: round(float(v or 0.0), 3),
    "flag": bool,
    "count": lambda v: int(v or 0),
    "map": lambda v: dict(v or {}),
}
# How each field of kind "derived" or "list" is computed from the whole asset.
_COMPUTE: dict[str, Callable[[Asset], Any]] = {
    "os": os_label, "macs": _macs, "ips": _ips, "services": _services, "switch_ports": _switch_ports,
}
_COMPUTED = tuple((f.name, _COMPUTE[f.name]) for f in FIELDS if f.kind in ("derived", "list"))
_STORED_NAMES = tuple(f.name for f in FIELDS if f.kind not in ("derived", "list"))
_READ_STORED = attrgetter(*_STORED_NAMES)
_CONVERTED = tuple((f.name, _CONVERT[f.kind]) for f in FIELDS if f.kind in _CONVERT)


def asset_to_dict(asset: Asset) -> dict[str, Any]:
    """Plain-data view of an asset (JSON-ready), the shape `assets list/show --format json` print:
    the fields of netdiscover.fields, in its order."""
    data = dict.fromkeys(ASSET_KEYS)          # every key in place first: the order is the table's
    data.update(zip(_STORED_NAMES, _READ_STORED(asset), strict=True))
    for name, convert in _CONVERTED:
        data[name] = convert(data[name])
    for name, compute in _COMPUTED:
        data[name] = compute(asset)
    return data
