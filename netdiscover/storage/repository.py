"""``asset_to_dict``, the one rendering of an asset as plain data: every output format (JSON,
CSV, tables, HTML) starts from it. It reads ORM assets and ``storage.assets.AssetView``s alike.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from netdiscover.observation import utcnow
from netdiscover.storage.models import Asset

ASSET_FIELDS = (
    "id", "status", "device_class", "vendor", "model", "os", "os_name", "os_version", "hostname",
    "serial", "macs", "ips", "services", "first_seen", "last_seen", "methods", "confidence",
    "present", "site", "owner", "location", "lifecycle_state", "asset_tag", "snmp_engine_id",
    "switch_ports", "attributes", "field_sources", "missed_sweeps",
)


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def os_label(asset: Asset) -> str | None:
    """Operating system name and version as one string."""
    parts = [p for p in (asset.os_name, asset.os_version) if p]
    if len(parts) == 2 and parts[1].lower() in parts[0].lower():
        return parts[0]
    return " ".join(parts) or None


def asset_to_dict(asset: Asset) -> dict[str, Any]:
    """Plain-data view of an asset (JSON-ready), the shape `assets list/show --format json` print."""
    macs = [i.mac for i in sorted(asset.interfaces, key=lambda i: (i.first_seen or utcnow(), i.id or 0))]
    current = [a for a in asset.addresses if a.current]
    current.sort(key=lambda a: (a.last_seen or utcnow(), a.id or 0), reverse=True)
    services = sorted((s for s in asset.services if s.open), key=lambda s: (s.protocol, s.port))
    return {
        "id": asset.id,
        "status": asset.status,
        "device_class": asset.device_class or "unknown",
        "vendor": asset.vendor,
        "model": asset.model,
        "os": os_label(asset),
        "os_name": asset.os_name,
        "os_version": asset.os_version,
        "hostname": asset.hostname,
        "serial": asset.serial,
        "macs": macs,
        "ips": [a.ip for a in current],
        "services": [
            {"port": s.port, "protocol": s.protocol, "name": s.name, "product": s.product,
             "version": s.version, "cpe": list(s.cpe or [])}
            for s in services
        ],
        "first_seen": _iso(asset.first_seen),
        "last_seen": _iso(asset.last_seen),
        "methods": sorted(asset.methods or []),
        "confidence": round(float(asset.confidence or 0.0), 3),
        "present": bool(asset.present),
        "site": asset.site,
        "owner": asset.owner,
        "location": asset.location,
        "lifecycle_state": asset.lifecycle_state,
        "asset_tag": asset.asset_tag,
        "snmp_engine_id": asset.snmp_engine_id,
        "switch_ports": [
            {"mac": i.mac, "switch": i.switch, "port": i.switch_port}
            for i in asset.interfaces if i.switch or i.switch_port
        ],
        "attributes": dict(asset.attributes or {}),
        "field_sources": dict(asset.field_sources or {}),        # where each chosen value came from
        "missed_sweeps": int(asset.missed_sweeps or 0),          # in a row, while within the grace
    }
