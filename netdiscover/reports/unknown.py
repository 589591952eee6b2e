"""The rows of the unknown-device report: every device nobody documented, rogue ones first, newest first.

``build_row`` makes one plain dict per undocumented or rogue asset (``services.reports.unknown_rows``
reads them), in the shape of ``asset_to_dict`` plus ``found_by`` (methods, routers whose ARP table
had it, switch ports), ``risks`` (see ``risk.py``), ``evidence`` (fingerprint evidence) and address
history. Ignored assets are never listed.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime
from typing import Any

from netdiscover.reports import risk
from netdiscover.storage.models import Asset
from netdiscover.storage.repository import asset_to_dict

REPORTED_STATUSES = ("rogue", "undocumented")
MAX_EVIDENCE = 200


def _iso(value: datetime | None) -> str | None:
    if value is None:
        return None
    return (value if value.tzinfo else value.replace(tzinfo=UTC)).isoformat()


def aware(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _last_seen(item: Any) -> datetime:
    return aware(item.last_seen) or datetime.min.replace(tzinfo=UTC)


def base_dict(asset: Asset) -> dict[str, Any]:
    """The common asset shape every output starts from (the repository's ``asset_to_dict``)."""
    return asset_to_dict(asset)           # a fresh dict on every call


def found_by(methods: list[Any] | None, interfaces: list[Any], records: list[Any]) -> dict[str, Any]:
    """How a device was found: the scan methods that saw it, the routers whose ARP table had it
    and the switch ports it was learned on (interfaces carry ``switch`` and ``switch_port``)."""
    routers: list[str] = []
    ports: list[str] = []
    for iface in interfaces:
        if iface.switch or iface.switch_port:
            label = " ".join(p for p in (iface.switch, iface.switch_port) if p)
            if label not in ports:
                ports.append(label)
    for rec in records:
        data = rec.data or {}
        reporter = data.get("reporter")
        if not reporter:
            continue
        if rec.kind == "location":
            label = " ".join(str(p) for p in (data.get("switch") or reporter, data.get("switch_port")) if p)
            if label not in ports:
                ports.append(label)
        elif reporter not in routers:
            routers.append(str(reporter))
    return {"methods": list(methods or []), "routers": routers, "switch_ports": ports}


def snmp_signals(records: list[Any]) -> list[str]:
    """Credential labels, flags and facts that may say a default SNMP community answered."""
    signals = []
    for rec in records:
        data = rec.data or {}
        if data.get("credential"):
            signals.append(str(data["credential"]))
        for flag in data.get("flags") or []:
            if "community" in str(flag).lower():
                signals.append(str(flag))
        snmp = (data.get("facts") or {}).get("snmp") or {}
        if snmp.get("default_community"):
            signals.append("default")
    return signals


def evidence(fingerprint: dict[str, Any] | None) -> list[dict[str, Any]]:
    """The fingerprint's evidence and conflicts (at most MAX_EVIDENCE of each), conflicts marked."""
    fp = fingerprint or {}
    items = []
    for group in ("evidence", "conflicts"):
        for ev in (fp.get(group) or [])[:MAX_EVIDENCE]:
            if isinstance(ev, dict):
                items.append({**ev, "conflict": group == "conflicts"})
    return items


def field_confidence(fingerprint: dict[str, Any] | None) -> dict[str, Any]:
    """How sure the fingerprint is of each field it chose."""
    return dict((fingerprint or {}).get("confidence") or {})


# The keys build_row adds after asset_to_dict's, in its order (reports.unknown_json writes them too).
ROW_EXTRA_KEYS = ("found_by", "randomised_mac", "snmp_credential", "risks", "field_confidence",
                  "evidence", "interfaces", "address_history", "banners")


def build_row(asset: Asset, records: list[Any],
              index: risk.Index | None) -> dict[str, Any]:
    """One report row: the asset dict plus how it was found, its risks and its evidence."""
    row = base_dict(asset)
    row.setdefault("site", asset.site)
    row["found_by"] = found_by(asset.methods, asset.interfaces, records)
    row["randomised_mac"] = any(i.randomised for i in asset.interfaces)
    row["_first_seen_dt"] = aware(asset.first_seen)
    row["snmp_credential"] = asset.snmp_credential
    row["risks"] = risk.assess(row, index, snmp_signals(records))
    del row["_first_seen_dt"]
    row["field_confidence"] = field_confidence(asset.fingerprint)
    row["evidence"] = evidence(asset.fingerprint)
    row["interfaces"] = [
        {"mac": i.mac, "vendor": i.mac_vendor, "name": i.name, "switch": i.switch,
         "switch_port": i.switch_port, "randomised": bool(i.randomised),
         "first_seen": _iso(i.first_seen), "last_seen": _iso(i.last_seen)}
        for i in asset.interfaces
    ]
    row["address_history"] = [
        {"ip": a.ip, "mac": a.mac, "current": bool(a.current), "first_seen": _iso(a.first_seen),
         "last_seen": _iso(a.last_seen)}
        for a in sorted(asset.addresses, key=_last_seen, reverse=True)
    ]
    row["banners"] = [
        {"port": s.port, "protocol": s.protocol, "banner": s.banner, "extrainfo": s.extrainfo}
        for s in asset.services if s.open and (s.banner or s.extrainfo)
    ]
    return row


def summary(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """Counts for the top of a report: total, by status, by class, by risk."""
    by_status: dict[str, int] = defaultdict(int)
    by_class: dict[str, int] = defaultdict(int)
    by_risk: dict[str, int] = defaultdict(int)
    for row in rows:
        by_status[row.get("status") or "?"] += 1
        by_class[row.get("device_class") or "unknown"] += 1
        for h in {h["code"]: h for h in row.get("risks") or []}.values():
            by_risk[h["code"]] += 1
    at_risk = sum(1 for r in rows if r.get("risks"))
    return {"total": len(rows), "at_risk": at_risk,
            "by_status": dict(sorted(by_status.items())),
            "by_class": dict(sorted(by_class.items(), key=lambda kv: (-kv[1], kv[0]))),
            "by_risk": dict(sorted(by_risk.items(), key=lambda kv: (-kv[1], kv[0])))}
