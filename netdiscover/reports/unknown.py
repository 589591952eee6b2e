"""The unknown-device report: every device nobody documented, rogue ones first, newest first.

``unknown_rows(session, ...)`` returns one plain dict per undocumented or rogue asset, in the
shape of ``asset_to_dict`` plus ``found_by`` (methods, routers whose ARP table had it, switch
ports), ``risks`` (see ``risk.py``), ``evidence`` (fingerprint evidence) and address history.
Ignored assets are never listed.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from netdiscover.reports import risk
from netdiscover.storage.models import Address, Asset, ObservationRecord
from netdiscover.storage.repository import BULK_BATCH, among, asset_to_dict, iter_asset_views

REPORTED_STATUSES = ("rogue", "undocumented")
MAX_EVIDENCE = 200
RECORDS_PER_ASSET = 50
RECENT = timedelta(days=30)


def _iso(value: datetime | None) -> str | None:
    if value is None:
        return None
    return (value if value.tzinfo else value.replace(tzinfo=UTC)).isoformat()


def _aware(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _last_seen(item: Any) -> datetime:
    return _aware(item.last_seen) or datetime.min.replace(tzinfo=UTC)


def base_dict(asset: Asset) -> dict[str, Any]:
    """The common asset shape every output starts from (the repository's ``asset_to_dict``)."""
    return asset_to_dict(asset)           # a fresh dict on every call


def _found_by(asset: Asset, records: list[Any]) -> dict[str, Any]:
    routers: list[str] = []
    ports: list[str] = []
    for iface in asset.interfaces:
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
    return {"methods": list(asset.methods or []), "routers": routers, "switch_ports": ports}


def _snmp_signals(records: list[Any]) -> list[str]:
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


def _evidence(asset: Asset) -> list[dict[str, Any]]:
    fp = asset.fingerprint or {}
    items = []
    for group in ("evidence", "conflicts"):
        for ev in (fp.get(group) or [])[:MAX_EVIDENCE]:
            if isinstance(ev, dict):
                items.append({**ev, "conflict": group == "conflicts"})
    return items


def build_row(asset: Asset, records: list[Any],
              index: risk.SubnetIndex | None) -> dict[str, Any]:
    """One report row: the asset dict plus how it was found, its risks and its evidence."""
    row = base_dict(asset)
    row.setdefault("site", asset.site)
    row["found_by"] = _found_by(asset, records)
    row["randomised_mac"] = any(i.randomised for i in asset.interfaces)
    row["_first_seen_dt"] = _aware(asset.first_seen)
    row["snmp_credential"] = asset.snmp_credential
    row["risks"] = risk.assess(row, index, _snmp_signals(records))
    del row["_first_seen_dt"]
    row["field_confidence"] = dict((asset.fingerprint or {}).get("confidence") or {})
    row["evidence"] = _evidence(asset)
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


def subnet_index(session: Session) -> risk.SubnetIndex:
    rows = session.execute(
        select(Address.ip, Asset.id, Asset.device_class, Asset.first_seen, Asset.status)
        .join(Asset, Asset.id == Address.asset_id)
        .where(Address.current.is_(True), Asset.status != "ignored")
    )
    return risk.SubnetIndex.build(rows)


def records_by_asset(session: Session, assets: list[Any]) -> dict[int, list[Any]]:
    """Recent neighbour/location sightings and SNMP answers per asset (the 'how found' evidence).

    Rows carry ``kind`` and ``data``; at most RECORDS_PER_ASSET per asset, newest first, from the
    RECENT days before each chunk's oldest last sighting.
    """
    out: dict[int, list[Any]] = defaultdict(list)
    for start in range(0, len(assets), 500):
        chunk = assets[start : start + 500]
        seen = [_aware(a.last_seen) for a in chunk if a.last_seen]
        stmt = select(ObservationRecord.asset_id, ObservationRecord.kind, ObservationRecord.data).where(
            among(session, ObservationRecord.asset_id, [a.id for a in chunk]),
            (ObservationRecord.kind != "host") | (ObservationRecord.method == "snmp"),
        ).order_by(ObservationRecord.id.desc())
        if seen:
            stmt = stmt.where(ObservationRecord.seen_at >= min(seen) - RECENT)
        for rec in session.execute(stmt):
            bucket = out[rec.asset_id]
            if len(bucket) < RECORDS_PER_ASSET:
                bucket.append(rec)
    return out


def unknown_rows(session: Session, since: datetime | None = None,
                 site: str | None = None) -> list[dict[str, Any]]:
    """Undocumented and rogue assets (rogue first, then newest first); ignored ones never appear.

    ``since``: only devices seen at or after this moment; ``site``: only this site.
    """
    return list(iter_unknown_rows(session, since=since, site=site))


def iter_unknown_rows(session: Session, since: datetime | None = None,
                      site: str | None = None) -> Iterator[dict[str, Any]]:
    """``unknown_rows`` one row at a time: assets are read in batches as plain rows, not ORM objects."""
    stmt = select(Asset.id, Asset.status, Asset.first_seen).where(Asset.status.in_(REPORTED_STATUSES))
    if since is not None:
        stmt = stmt.where(Asset.last_seen >= since)
    if site is not None:
        stmt = stmt.where(Asset.site == site)
    keys = list(session.execute(stmt))
    if not keys:
        return
    epoch = datetime.min.replace(tzinfo=UTC)
    keys.sort(key=lambda a: (a.status != "rogue", -(_aware(a.first_seen) or epoch).timestamp()
                             if a.first_seen else float("inf"), -a.id))
    index = subnet_index(session)
    batch: list[Any] = []
    # batches are a multiple of records_by_asset's chunk, so its chunks stay those of the whole list
    for view in iter_asset_views(session, [k.id for k in keys], batch=BULK_BATCH):
        batch.append(view)
        if len(batch) == BULK_BATCH:
            yield from _rows(session, batch, index)
            batch = []
    yield from _rows(session, batch, index)


def _rows(session: Session, assets: list[Any], index: risk.SubnetIndex) -> Iterator[dict[str, Any]]:
    records = records_by_asset(session, assets)
    for asset in assets:
        yield build_row(asset, records.get(asset.id, []), index)


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
