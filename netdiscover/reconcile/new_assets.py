"""Planning the rows of devices that match no asset: the asset, its interfaces, addresses,
services, software and a ``discovered`` event (pure)."""

from __future__ import annotations

from typing import Any

from netdiscover.identity import LOCAL, mac_kind
from netdiscover.reconcile.context import ReconcileResult, SweepContext
from netdiscover.reconcile.fingerprint_merge import merge_fingerprint
from netdiscover.reconcile.grouping import Device
from netdiscover.reconcile.known import service_row
from netdiscover.reconcile.summary import Summary
from netdiscover.storage.write_plan import WritePlan

# A new asset's fingerprint columns, in ASSET_COLUMNS order (device_class ... fingerprint), when
# nothing names it; and an interface's details (name, if_index, speed, oper_status) when a
# sighting, not an interface table, gave its MAC.
_UNNAMED = ("unknown", None, None, None, None, 0.0, None)
_NO_DETAILS = (None, None, None, None)
_NO_KEYS: dict[str, str] = {}


def _named(fingerprint: Any) -> tuple[Any, ...]:
    """A new asset's fingerprint columns from its first fingerprint."""
    fields, fp_dict, overall = merge_fingerprint({}, None, fingerprint)
    return (fields.get("device_class") or "unknown", fields.get("vendor"), fields.get("model"),
            fields.get("os_name"), fields.get("os_version"), overall or 0.0, fp_dict)


def plan_new(ctx: SweepContext, devices: list[Device], summaries: dict[int, Summary],
             result: ReconcileResult) -> WritePlan:
    """The rows of ``devices`` (new assets) under the ids already set on them."""
    plan = WritePlan()
    now, site = ctx.now, ctx.site
    event_head = (ctx.scan_id, "discovered", now, "sweep", None, None)
    for d in devices:
        aid = d.asset_id
        s = summaries[id(d)]
        first, last = s.first, s.last
        methods = sorted(s.methods) if len(s.methods) > 1 else list(s.methods)
        named = _UNNAMED if d.fingerprint is None else _named(d.fingerprint)
        plan.new_assets.append((aid, s.hostname, s.serial, s.engine, *named, "undocumented", site, methods,
                                s.credential, True, first, last, now, now,
                                {"hostname": s.hostname_method} if s.hostname else None))
        idkeys = d.idkeys or _NO_KEYS
        for mac, info in s.macs.items():
            details = (info.get("name"), info.get("if_index"), info.get("speed"),
                       info.get("oper_status")) if info else _NO_DETAILS
            plan.new_interfaces.append((aid, mac, *details, mac_kind(mac) == LOCAL, first, last,
                                        idkeys.get(mac)))
        ip_mac = s.ip_mac
        for ip in s.ips:
            plan.new_addresses.append((aid, ip, ip_mac.get(ip), True, first, last))
        if s.local_ips:
            plan.new_addresses.extend((aid, ip, mac, True, first, last) for ip, mac in s.local_ips.items())
        if s.services:
            plan.service_inserts.extend(service_row(aid, svc, s) for svc in s.services.values())
        for sw in s.software.values():
            plan.software_inserts.append({"asset_id": aid, "name": sw.name, "version": sw.version,
                                          "cpe": sw.cpe, "first_seen": first, "last_seen": last})
        plan.events.append((aid, *event_head, {"ips": s.ips, "macs": list(s.macs), "hostname": s.hostname,
                                               "methods": methods}))
    ids = [d.asset_id for d in devices]
    result.new += len(ids)
    result.new_asset_ids.extend(ids)
    result.new_undocumented_ids.extend(ids)
    return plan
