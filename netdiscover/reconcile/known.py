"""Planning the updates of assets this sweep matched: fields, interfaces, addresses, services, software.

``plan_known`` reads the matched assets' rows through the sweep's store and returns a
``WritePlan``; ``KnownAssetPlanner`` is the pure comparison of what the sweep saw with those rows,
with an event per change and a discrepancy where a documented value is contradicted.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from netdiscover.identity import (
    LOCAL,
    link_local_ip,
    mac_kind,
    serial_key,
)
from netdiscover.reconcile import sources
from netdiscover.reconcile.context import Identities, ReconcileResult, SweepContext
from netdiscover.reconcile.discrepancies import Seen
from netdiscover.reconcile.fingerprint_merge import FIELD_EVENTS, FP_FIELDS, merge_fingerprint
from netdiscover.reconcile.grouping import Device
from netdiscover.reconcile.summary import Summary
from netdiscover.storage.sweep_writes import SweepStore
from netdiscover.storage.write_plan import WritePlan

_DETAILS = ("name", "if_index", "speed", "oper_status")
AssetRows = dict[int, dict[str, Any]]       # asset id -> the columns compared


def plan_known(store: SweepStore, planner: KnownAssetPlanner, devices: list[Device],
               summaries: dict[int, Summary]) -> WritePlan:
    """The writes that bring matched ``devices``' assets up to date, reading only what they need."""
    plan = WritePlan()
    if not devices:
        return plan
    ids = [d.asset_id for d in devices]
    with_fp = [d.asset_id for d in devices if d.fingerprint is not None]
    # services and software rows matter only where this sweep says something about them
    with_svc = [d.asset_id for d in devices if summaries[id(d)].services]
    with_sw = [d.asset_id for d in devices if summaries[id(d)].software]
    assets = store.known_assets(ids, with_fp)
    for asset_id, held in store.field_sources(_sources_needed(devices, summaries, assets, set(with_fp))):
        assets[asset_id]["field_sources"] = held
    if not planner.identities.redirect:
        # A complete sweep retires the current IPs a HOST sighting did not show: such a device
        # is quiet only when its asset holds no other current IP. Assets holding several are
        # counted at once (usually few); the rest hold at most one.
        several = store.current_address_counts(ids) if planner.ctx.complete else {}
        devices = planner.skip_quiet(devices, summaries, assets, several, plan)
    rows = store.known_rows([d.asset_id for d in devices], with_svc, with_sw)
    planner.plan_changes(devices, summaries, assets, rows, plan)
    return plan


def _sources_needed(devices: list[Device], summaries: dict[int, Summary], assets: AssetRows,
                    loaded: set[int]) -> list[int]:
    """Assets whose hostname or serial this sweep may change (few): their field sources are needed."""
    need = []
    for d in devices:
        if d.asset_id in loaded:
            continue
        s, row = summaries[id(d)], assets[d.asset_id]
        if (s.hostname and s.hostname != row["hostname"]) or (s.serial and s.serial != row["serial"]):
            need.append(d.asset_id)
    return need


def _fingerprint_adds_nothing(row: dict[str, Any], fingerprint: Any) -> bool:
    """Would ``KnownAssetPlanner._fingerprint`` leave the asset ``row`` as it is and find no
    discrepancy? (The usual rescan: the same vendor by OUI as last time.) Its fingerprint and
    field sources are in ``row`` whenever the device has a fingerprint (``plan_known``)."""
    if fingerprint is None:
        return True
    held = row["field_sources"]
    if held and any(sources.documented(held, name) for name in FP_FIELDS):
        return False
    fields, fp, _overall = merge_fingerprint(row, row["fingerprint"], fingerprint)
    return not fields and (fp is None or fp == row["fingerprint"])


def _origin(fingerprint: Any, name: str, value: Any) -> str | None:
    """The source of the strongest evidence for ``value`` of field ``name`` (oui, snmp, nmap, ...)."""
    return next((e.source for e in fingerprint.evidence if e.field == name and e.value == value), None)


def service_row(aid: int, svc: Any, s: Summary) -> dict[str, Any]:
    """A services row for ``svc`` as device ``s`` showed it."""
    return {"asset_id": aid, "port": int(svc.port), "protocol": (svc.protocol or "tcp").lower(),
            "name": svc.name, "product": svc.product, "version": svc.version, "extrainfo": svc.extrainfo,
            "cpe": list(svc.cpe or []), "banner": svc.banner, "open": True,
            "first_seen": s.first, "last_seen": s.last}


class KnownAssetPlanner:
    """Comparing matched devices with their assets' rows (pure): the writes, events and discrepancies."""

    def __init__(self, ctx: SweepContext, identities: Identities, result: ReconcileResult) -> None:
        self.ctx = ctx
        self.identities = identities
        self.result = result
        self.found: list[Seen] = []        # sweep vs documented values

    # ---- the unchanged devices (the usual rescan)

    def skip_quiet(self, devices: list[Device], summaries: dict[int, Summary], assets: AssetRows,
                   several: dict[int, int], plan: WritePlan) -> list[Device]:
        """Record the sightings of devices that say nothing new, from what identity matching read;
        returns the others."""
        complete = self.ctx.complete
        rest = []
        for d in devices:
            s = summaries[id(d)]
            retiring = complete and s.host_seen and not (s.ips and several.get(d.asset_id, 1) == len(s.ips))
            if retiring or not self._quiet_known(d, s, assets[d.asset_id], plan):
                rest.append(d)
        self.result.unchanged += len(devices) - len(rest)
        return rest

    def _quiet_known(self, d: Device, s: Summary, row: dict[str, Any], plan: WritePlan) -> bool:
        """``_quiet`` from what identity matching read (no merges happened; link-local addresses
        were not read, as they are never matched on)."""
        if s.local_ips or not self._same_asset(d, s, row):
            return False
        aid = d.asset_id
        iface_ids = []
        for mac, info in s.macs.items():
            found = self.identities.iface_ids.get((aid, mac))
            if info or found is None:
                return False
            iface_ids.append(found)
        addr_ids = []
        for ip in s.ips:
            addr = self.identities.current_addrs.get((aid, ip))
            if addr is None:
                return False
            mac = s.ip_mac.get(ip)
            if mac and mac != addr[1]:
                return False
            addr_ids.append(addr[0])
        _record_seen(plan, s, aid, iface_ids, addr_ids)
        return True

    def _quiet(self, d: Device, s: Summary, row: dict[str, Any], ifaces: Sequence[Any], addrs: Sequence[Any],
               plan: WritePlan) -> bool:
        """A device that says nothing new: record the sighting and return True. Anything this
        cannot prove unchanged returns False, untouched, for the full comparison."""
        if not self._same_asset(d, s, row):
            return False
        iface_ids = []
        for mac, info in s.macs.items():
            r = next((r for r in ifaces if r.mac == mac), None)
            if info or r is None:
                return False
            iface_ids.append(r.id)
        addr_ids = []
        for ip, mac in _held(s):
            r = next((r for r in addrs if r.ip == ip), None)
            if r is None or not r.current or (mac and mac != r.mac):
                return False
            addr_ids.append(r.id)
        # every IP seen is current already; a complete sweep may retire others
        if self.ctx.complete and s.host_seen and self._stale(s, addrs, False):
            return False
        _record_seen(plan, s, d.asset_id, iface_ids, addr_ids)
        return True

    def _same_asset(self, d: Device, s: Summary, row: dict[str, Any]) -> bool:
        """The asset row already says all this device's sighting says, and nothing else is reported."""
        site = self.ctx.site
        return not (d.idkeys or s.services or s.software or not row["present"]
                    or (site is not None and row["site"] != site)
                    or row["status"] == "rogue"
                    or (s.hostname and s.hostname != row["hostname"])
                    or (s.serial and s.serial != row["serial"])
                    or (s.engine and s.engine != row["snmp_engine_id"])
                    or (s.credential and s.credential != row["snmp_credential"])
                    or not s.methods.issubset(row["methods"] or ())
                    or not _fingerprint_adds_nothing(row, d.fingerprint))

    # ---- the full comparison

    def plan_changes(self, devices: list[Device], summaries: dict[int, Summary], assets: AssetRows,
                     rows: tuple[dict[int, list[Any]], ...], plan: WritePlan) -> None:
        """Plan each device's changes against its asset's rows (interfaces, addresses, services, software)."""
        ifaces, addrs, svcs, sws = rows
        result = self.result
        for d in devices:
            aid = d.asset_id
            row = assets[aid]
            s = summaries[id(d)]
            if self._quiet(d, s, row, ifaces.get(aid, ()), addrs.get(aid, ()), plan):
                result.unchanged += 1
                continue
            before = len(plan.events)
            changed, moved = self._asset_changes(d, s, row, plan)
            self._interfaces(aid, d, s, ifaces.get(aid, ()), plan)
            self._addresses(aid, s, addrs.get(aid, ()), moved, plan)
            if s.services or aid in svcs:
                self._services(aid, s, svcs.get(aid, ()), plan)
            self._software(aid, s, sws.get(aid, ()), plan)
            plan.asset_seen[(s.first, s.last)].append(aid)
            if changed or len(plan.events) > before:
                changed["updated_at"] = self.ctx.now
                changed["id"] = aid
                plan.asset_updates.append(changed)
                result.updated += 1
            else:
                result.unchanged += 1

    def _asset_changes(self, d: Device, s: Summary, row: dict[str, Any],
                       plan: WritePlan) -> tuple[dict[str, Any], bool]:
        """The asset row's changed columns, and whether it moved from another site."""
        aid = d.asset_id
        changed: dict[str, Any] = {}
        held = row["field_sources"]
        taken: dict[str, str] = {}        # field -> the source whose value it now holds
        self._hostname(aid, s, row, changed, taken, plan)
        self._serial(aid, s, row, changed, taken, plan)
        moved = self._moved_site(aid, row, changed, plan)
        if s.engine and s.engine != row["snmp_engine_id"]:
            changed["snmp_engine_id"] = s.engine
        if s.credential and s.credential != row["snmp_credential"]:
            changed["snmp_credential"] = s.credential
        if d.fingerprint is not None:
            self._fingerprint(aid, d.fingerprint, row, changed, taken, plan)
        if taken:
            changed["field_sources"] = {**(held or {}), **taken}
        old_methods = row["methods"] or []
        if not s.methods.issubset(old_methods):
            changed["methods"] = sorted(s.methods.union(old_methods))
        self._presence(aid, s, row, changed, plan)
        if row["status"] == "rogue":
            self.result.rogue_seen_ids.append(aid)
        return changed, moved

    def _hostname(self, aid: int, s: Summary, row: dict[str, Any], changed: dict[str, Any],
                  taken: dict[str, str], plan: WritePlan) -> None:
        """Identity and naming fields: the best-ranked source's value stays (reconcile.sources)."""
        if not s.hostname or s.hostname == row["hostname"]:
            return
        held = row["field_sources"]
        method = s.hostname_method or "arp"
        if sources.should_replace(held, "hostname", row["hostname"], s.hostname, method):
            if row["hostname"]:
                plan.events.append(self.ctx.event(aid, "hostname_changed", {"hostname": row["hostname"]},
                                                  {"hostname": s.hostname}))
            changed["hostname"] = s.hostname
            taken["hostname"] = method
        elif (sources.documented(held, "hostname")
              and not sources.same("hostname", row["hostname"], s.hostname)):
            self.found.append(Seen(aid, "hostname", row["hostname"], s.hostname, method))

    def _serial(self, aid: int, s: Summary, row: dict[str, Any], changed: dict[str, Any],
                taken: dict[str, str], plan: WritePlan) -> None:
        if not s.serial or serial_key(s.serial) == serial_key(row["serial"]):
            return
        held = row["field_sources"]
        method = "snmp" if "snmp" in s.methods else min(s.methods)
        if sources.should_replace(held, "serial", row["serial"], s.serial, method):
            if row["serial"]:
                plan.events.append(self.ctx.event(aid, "serial_changed", {"serial": row["serial"]},
                                                  {"serial": s.serial}))
            changed["serial"] = s.serial
            taken["serial"] = method
        elif sources.documented(held, "serial"):
            self.found.append(Seen(aid, "serial", row["serial"], s.serial, method))

    def _moved_site(self, aid: int, row: dict[str, Any], changed: dict[str, Any], plan: WritePlan) -> bool:
        """A sweep at a site that saw an asset known elsewhere: the device moved there (an event says
        so; its addresses at the old site are no longer current). An asset without a site takes
        this one. Returns whether it moved from another site."""
        site = self.ctx.site
        if site is None or row["site"] == site:
            return False
        old = row["site"]
        changed["site"] = site
        plan.events.append(self.ctx.event(aid, "site_changed", {"site": old}, {"site": site},
                                          note=f"moved from site {old} to site {site}" if old
                                          else f"seen at site {site}"))
        return old is not None

    def _fingerprint(self, aid: int, fingerprint: Any, row: dict[str, Any], changed: dict[str, Any],
                     taken: dict[str, str], plan: WritePlan) -> None:
        fields, fp, overall = merge_fingerprint(row, row["fingerprint"], fingerprint)
        held = row["field_sources"]
        if held:
            self._keep_documented(aid, row, held, fields, fingerprint)
        for name, value in fields.items():       # observed: the evidence that won says whose
            origin = _origin(fingerprint, name, value)
            if origin:
                taken[name] = origin
        changed.update(fields)
        if fields:
            self._field_events(aid, row, fields, plan)
        if fp is not None and fp != row["fingerprint"]:
            changed["fingerprint"] = fp
            changed["confidence"] = overall

    def _keep_documented(self, aid: int, row: dict[str, Any], held: dict[str, Any], fields: dict[str, Any],
                         fingerprint: Any) -> None:
        """Documented fingerprint fields stay; where the sweep says otherwise, a discrepancy."""
        for name in FP_FIELDS:
            if not sources.documented(held, name):
                continue
            fields.pop(name, None)
            observed = getattr(fingerprint, name, None)
            if (name in sources.CHECKED_FIELDS and observed and row.get(name)
                    and not sources.same(name, row[name], observed)):
                self.found.append(Seen(aid, name, row[name], observed, _origin(fingerprint, name, observed)))

    def _field_events(self, aid: int, row: dict[str, Any], fields: dict[str, Any], plan: WritePlan) -> None:
        seen_os = False
        for name, value in fields.items():
            old = row.get(name)
            if old is None or (name == "device_class" and old == "unknown"):
                continue
            kind = FIELD_EVENTS[name]
            if kind == "os_changed":
                if seen_os:
                    continue
                seen_os = True
                plan.events.append(self.ctx.event(
                    aid, kind, {"os_name": row.get("os_name"), "os_version": row.get("os_version")},
                    {"os_name": fields.get("os_name", row.get("os_name")),
                     "os_version": fields.get("os_version", row.get("os_version"))}))
            else:
                plan.events.append(self.ctx.event(aid, kind, {name: old}, {name: value}))

    def _presence(self, aid: int, s: Summary, row: dict[str, Any], changed: dict[str, Any],
                  plan: WritePlan) -> None:
        if row["present"]:
            return
        changed["present"] = True
        if row["last_seen"] is not None:      # never seen before: an imported record, first sighting
            plan.events.append(self.ctx.event(aid, "reappeared", {"present": False},
                                              {"present": True, "ips": s.ips}))
            self.result.reappeared += 1
            self.result.reappeared_ids.append(aid)

    def _interfaces(self, aid: int, d: Device, s: Summary, existing: Sequence[Any], plan: WritePlan) -> None:
        have = {r.mac: r for r in existing}
        idkeys = d.idkeys or {}
        for mac, info in s.macs.items():
            r = have.get(mac)
            if r is None:
                plan.iface_inserts.append({
                    "asset_id": aid, "mac": mac, **{k: info.get(k) for k in _DETAILS},
                    "randomised": mac_kind(mac) == LOCAL, "first_seen": s.first, "last_seen": s.last,
                    "identity_key": idkeys.get(mac)})
                plan.events.append(self.ctx.event(aid, "mac_added", None, {"mac": mac}))
                continue
            plan.iface_seen[(s.first, s.last)].append(r.id)
            upd = {"id": r.id}
            if info:
                for key in _DETAILS:
                    if key in info and info[key] != getattr(r, key):
                        upd[key] = info[key]
            if idkeys.get(mac, r.identity_key) != r.identity_key:
                upd["identity_key"] = idkeys[mac]
            if len(upd) > 1:
                plan.iface_updates.append(upd)

    def _addresses(self, aid: int, s: Summary, rows: Sequence[Any], moved: bool, plan: WritePlan) -> None:
        by_ip = {r.ip: r for r in rows}
        old_current = {r.ip for r in rows if r.current}
        new_current = set(old_current)
        for ip, mac in _held(s):
            r = by_ip.get(ip)
            if r is None:
                plan.addr_inserts.append({"asset_id": aid, "ip": ip, "mac": mac, "current": True,
                                          "first_seen": s.first, "last_seen": s.last})
            else:
                plan.addr_seen[(s.first, s.last)].append(r.id)
                if not r.current or (mac and mac != r.mac):
                    plan.addr_updates.append({"id": r.id, "current": True, "mac": mac or r.mac})
            new_current.add(ip)
        for r in self._stale(s, rows, moved):
            plan.addr_updates.append({"id": r.id, "current": False})
            new_current.discard(r.ip)
        if new_current != old_current:
            plan.events.append(self.ctx.event(aid, "ip_changed", {"ips": sorted(old_current)},
                                              {"ips": sorted(new_current)}))

    def _stale(self, s: Summary, rows: Sequence[Any], moved: bool) -> list[Any]:
        """The current address rows this sighting retires: all unseen ones when the asset moved
        site; after a complete sweep that saw the host, the unseen ones in scope, and a link-local
        one (reused on every link, so never retired by scope) only when the MAC that held it now
        shows other link-local addresses."""
        if not (moved or (self.ctx.complete and s.host_seen)):
            return []
        local = s.local_ips or {}
        stale = []
        for r in sorted((r for r in rows if r.current), key=lambda r: r.ip):
            if r.ip in local or r.ip in s.ips:
                continue
            if moved or (r.mac in local.values() if link_local_ip(r.ip) else self.ctx.in_scope(r.ip)):
                stale.append(r)
        return stale

    def _services(self, aid: int, s: Summary, existing: Sequence[Any], plan: WritePlan) -> None:
        have = {(r.port, r.protocol): r for r in existing}
        for key, svc in s.services.items():
            r = have.get(key)
            opened = {"port": key[0], "protocol": key[1], "name": svc.name}
            if r is None:
                plan.service_inserts.append(service_row(aid, svc, s))
                plan.events.append(self.ctx.event(aid, "service_opened", None, opened))
                continue
            row = {"id": r.id, "last_seen": s.last}
            if not r.open:
                row["open"] = True
                plan.events.append(self.ctx.event(aid, "service_opened", None, opened))
            for col in ("name", "product", "version"):
                value = getattr(svc, col)
                if value and value != getattr(r, col):
                    row[col] = value
            if svc.cpe:
                row["cpe"] = list(svc.cpe)
            if svc.extrainfo:
                row["extrainfo"] = svc.extrainfo
            plan.service_updates.append(row)
        if s.services_authoritative:
            for key, r in have.items():
                if r.open and key not in s.services:
                    plan.service_updates.append({"id": r.id, "open": False})
                    closed = {"port": key[0], "protocol": key[1], "name": r.name}
                    plan.events.append(self.ctx.event(aid, "service_closed", closed, None))

    def _software(self, aid: int, s: Summary, existing: Sequence[Any], plan: WritePlan) -> None:
        if not s.software:
            return
        have = {(r.name, r.version): r for r in existing}
        for key, sw in s.software.items():
            r = have.get(key)
            if r is None:
                plan.software_inserts.append({"asset_id": aid, "name": sw.name, "version": sw.version,
                                              "cpe": sw.cpe, "first_seen": s.first, "last_seen": s.last})
            else:
                plan.software_updates.append({"id": r.id, "last_seen": s.last})


def _held(s: Summary) -> list[tuple[str, str | None]]:
    """(address, MAC) of every address the device showed: identity IPs, then link-local ones."""
    held = [(ip, s.ip_mac.get(ip)) for ip in s.ips]
    if s.local_ips:
        held.extend(s.local_ips.items())
    return held


def _record_seen(plan: WritePlan, s: Summary, aid: int, iface_ids: list[int], addr_ids: list[int]) -> None:
    key = (s.first, s.last)
    plan.asset_seen[key].append(aid)
    if iface_ids:
        plan.iface_seen[key].extend(iface_ids)
    if addr_ids:
        plan.addr_seen[key].extend(addr_ids)
