"""How an Observation is kept in the observations table, and how it is read back.

The columns hold what every observation has (method, kind, ip, mac, seen_at); the JSON
``data`` column holds the rest of ``Observation.to_dict()`` without its empty fields. A plain
ARP sighting is therefore all columns and ``{}``: a 100k-device sweep stores its evidence
without encoding 100k JSON documents that would repeat the columns.

``observation_dict`` merges both halves back into ``to_dict`` form. Rows written before this
layout carry the whole dict in ``data``; its values win, so they read back unchanged.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from operator import attrgetter
from typing import Any

from netdiscover.identity import identity_ip
from netdiscover.observation import Observation, as_utc

COLUMNS = ("scan_id", "asset_id", "method", "kind", "ip", "mac", "seen_at", "data")
METHOD_WIDTH = 16        # observations.method is String(16)

_SCALARS = ("hostname", "reporter", "serial", "snmp_engine_id", "vendor_hint", "switch", "switch_port",
            "credential", "rtt_ms")
_scalars = attrgetter(*_SCALARS)
_NO_SCALARS = (None,) * len(_SCALARS)
_EMPTY: Mapping[str, Any] = {}


def record_row(o: Observation, scan_id: int | None, asset_id: int | None) -> tuple[Any, ...]:
    """The observations row (values in ``COLUMNS`` order) that keeps ``o``."""
    ip = identity_ip(o.ip) if o.ip else None
    method = o.method or "?"
    scalars = _scalars(o)
    if not (scalars != _NO_SCALARS or o.interfaces or o.services or o.software or o.flags
            or o.facts or (o.ip and ip != o.ip) or len(method) > METHOD_WIDTH):
        return scan_id, asset_id, method, o.kind, ip, o.mac, as_utc(o.seen_at), _EMPTY
    data: dict[str, Any] = {name: value for name, value in zip(_SCALARS, scalars, strict=True)
                            if value is not None}
    if o.ip and ip != o.ip:
        data["ip"] = o.ip                 # the column keeps only addresses that can name a device
    if len(method) > METHOD_WIDTH:
        data["method"] = method
    if o.interfaces:
        data["interfaces"] = [{"name": i.name, "mac": i.mac, "index": i.index, "ips": list(i.ips),
                               "speed": i.speed, "status": i.status, "description": i.description}
                              for i in o.interfaces]
    if o.services:
        data["services"] = [{"port": v.port, "protocol": v.protocol, "name": v.name, "product": v.product,
                             "version": v.version, "extrainfo": v.extrainfo, "cpe": list(v.cpe),
                             "banner": v.banner} for v in o.services]
    if o.software:
        data["software"] = [{"name": w.name, "version": w.version, "cpe": w.cpe, "installed": w.installed}
                            for w in o.software]
    if o.flags:
        data["flags"] = list(o.flags)
    if o.facts:
        data["facts"] = o.facts
    return scan_id, asset_id, method[:METHOD_WIDTH], o.kind, ip, o.mac, as_utc(o.seen_at), data


def observation_dict(method: str, kind: str, ip: str | None, mac: str | None, seen_at: datetime | None,
                     data: Mapping[str, Any] | None) -> dict[str, Any]:
    """The ``Observation.to_dict()`` form of a stored row (``Observation.from_dict`` takes it)."""
    out: dict[str, Any] = {"method": method, "kind": kind}
    if ip is not None:
        out["ip"] = ip
    if mac is not None:
        out["mac"] = mac
    if seen_at is not None:
        out["seen_at"] = as_utc(seen_at).isoformat()
    if data:
        out.update(data)
    return out


def stored_observation(record: Any) -> Observation:
    """Rebuild the Observation an ObservationRecord (or a row with its columns) keeps."""
    return Observation.from_dict(observation_dict(record.method, record.kind, record.ip, record.mac,
                                                  record.seen_at, record.data))
