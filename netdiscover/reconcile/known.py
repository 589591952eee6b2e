"""Updating assets this sweep matched: changed fields, interfaces, addresses, services, software."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from netdiscover.identity import (
    LOCAL,
    mac_kind,
    serial_key,
)
from netdiscover.reconcile import sources
from netdiscover.reconcile.discrepancies import Seen
from netdiscover.reconcile.fingerprint_merge import FIELD_EVENTS, FP_FIELDS, merge_fingerprint
from netdiscover.reconcile.grouping import Device
from netdiscover.reconcile.state import ADDR, CURRENT, SVC, SW, A, I, SweepState
from netdiscover.reconcile.summary import Summary
from netdiscover.storage import bulk


def _origin(fingerprint: Any, name: str, value: Any) -> str | None:
    """The source of the strongest evidence for ``value`` of field ``name`` (oui, snmp, nmap, ...)."""
    return next((e.source for e in fingerprint.evidence if e.field == name and e.value == value), None)


class KnownAssetUpdates(SweepState):
    """Bringing matched assets up to date with what this sweep saw, with an event per change."""

    def _asset_rows(self, ids: list[int], with_fp: list[int]) -> dict[int, dict[str, Any]]:
        conn = self.conn
        cols = ("id", "hostname", "serial", "snmp_engine_id", "vendor", "model", "os_name", "os_version",
                "device_class", "status", "present", "methods", "last_seen", "snmp_credential", "site")
        # last_seen is only tested for NULL here: left unparsed
        assets = {r[0]: dict(zip(cols, r, strict=True))
                  for r in bulk.fetch_in(conn, A, cols, "id", ids, raw=("last_seen",))}
        for row in assets.values():
            row["fingerprint"] = row["field_sources"] = None
        for asset_id, fp, held in bulk.select_in(conn, [A.c.id, A.c.fingerprint, A.c.field_sources], A.c.id,
                                                 with_fp):
            row = assets[asset_id]
            row["fingerprint"], row["field_sources"] = fp, held
        return assets

    def _load_sources(self, devices: list[Device], summaries: dict[int, Summary],
                      assets: dict[int, dict[str, Any]], loaded: set[int]) -> None:
        """Field sources of assets whose hostname or serial this sweep may change (few)."""
        need = []
        for d in devices:
            if d.asset_id in loaded:
                continue
            s, row = summaries[id(d)], assets[d.asset_id]
            if (s.hostname and s.hostname != row["hostname"]) or (s.serial and s.serial != row["serial"]):
                need.append(d.asset_id)
        for asset_id, held in bulk.select_in(self.conn, [A.c.id, A.c.field_sources], A.c.id, need):
            assets[asset_id]["field_sources"] = held

    def _state(self, ids: list[int], with_svc: list[int],
               with_sw: list[int]) -> tuple[dict[int, list[Any]], dict[int, list[Any]], dict[int, list[Any]],
                                            dict[int, list[Any]]]:
        conn = self.conn
        ifaces: dict[int, list[Any]] = defaultdict(list)
        for r in bulk.select_in(conn, [I.c.id, I.c.asset_id, I.c.mac, I.c.name, I.c.if_index, I.c.speed,
                                       I.c.oper_status, I.c.identity_key], I.c.asset_id, ids):
            ifaces[r.asset_id].append(r)
        addrs: dict[int, list[Any]] = defaultdict(list)
        for r in bulk.select_in(conn, [ADDR.c.id, ADDR.c.asset_id, ADDR.c.ip, ADDR.c.current, ADDR.c.mac],
                                ADDR.c.asset_id, ids):
            addrs[r.asset_id].append(r)
        svcs: dict[int, list[Any]] = defaultdict(list)
        for r in bulk.select_in(conn, [SVC.c.id, SVC.c.asset_id, SVC.c.port, SVC.c.protocol, SVC.c.name,
                                       SVC.c.product, SVC.c.version, SVC.c.open], SVC.c.asset_id, with_svc):
            svcs[r.asset_id].append(r)
        sws: dict[int, list[Any]] = defaultdict(list)
        for r in bulk.select_in(conn, [SW.c.id, SW.c.asset_id, SW.c.name, SW.c.version], SW.c.asset_id,
                                with_sw):
            sws[r.asset_id].append(r)
        return ifaces, addrs, svcs, sws

    def _update_known(self, devices: list[Device], summaries: dict[int, Summary]) -> None:
        if not devices:
            return
        ids = [d.asset_id for d in devices]
        with_fp = [d.asset_id for d in devices if d.fingerprint is not None]
        # services and software rows matter only where this sweep says something about them
        with_svc = [d.asset_id for d in devices if summaries[id(d)].services]
        with_sw = [d.asset_id for d in devices if summaries[id(d)].software]
        assets = self._asset_rows(ids, with_fp)
        self._load_sources(devices, summaries, assets, set(with_fp))
        result = self.result
        asset_seen: dict[tuple[datetime, datetime], list[int]] = defaultdict(list)
        iface_seen: dict[tuple[datetime, datetime], list[int]] = defaultdict(list)
        addr_seen: dict[tuple[datetime, datetime], list[int]] = defaultdict(list)
        if not self.redirect:
            # A complete sweep retires the current IPs a HOST sighting did not show: such a device
            # is quiet only when its asset holds no other current IP. Assets holding several are
            # counted at once (usually few); the rest hold at most one.
            several = bulk.counts_in(self.conn, ADDR, "asset_id", ids, CURRENT) if self.complete else {}
            rest = []
            for d in devices:
                s = summaries[id(d)]
                if self.complete and s.host_seen and not (s.ips and several.get(d.asset_id, 1) == len(s.ips)):
                    quiet = False
                else:
                    quiet = self._quiet_known(d, s, assets[d.asset_id], asset_seen, iface_seen, addr_seen)
                if not quiet:
                    rest.append(d)
            result.unchanged += len(devices) - len(rest)
            devices = rest
        ifaces, addrs, svcs, sws = self._state([d.asset_id for d in devices], with_svc, with_sw)
        asset_rows: list[dict[str, Any]] = []
        iface_ins: list[dict[str, Any]] = []
        iface_upd: list[dict[str, Any]] = []
        addr_ins: list[dict[str, Any]] = []
        addr_upd: list[dict[str, Any]] = []
        svc_ins: list[dict[str, Any]] = []
        svc_upd: list[dict[str, Any]] = []
        sw_ins: list[dict[str, Any]] = []
        sw_upd: list[dict[str, Any]] = []
        for d in devices:
            aid = d.asset_id
            row = assets[aid]
            s = summaries[id(d)]
            if self._quiet(d, s, row, ifaces.get(aid, ()), addrs.get(aid, ()), asset_seen, iface_seen,
                           addr_seen):
                result.unchanged += 1
                continue
            before = len(self.events)
            changed: dict[str, Any] = {}
            # identity and naming fields: the best-ranked source's value stays (reconcile.sources)
            held = row["field_sources"]
            taken: dict[str, str] = {}
            if s.hostname and s.hostname != row["hostname"]:
                method = s.hostname_method or "arp"
                if sources.should_replace(held, "hostname", row["hostname"], s.hostname, method):
                    if row["hostname"]:
                        self.event(aid, "hostname_changed", {"hostname": row["hostname"]},
                                   {"hostname": s.hostname})
                    changed["hostname"] = s.hostname
                    taken["hostname"] = method
                elif sources.documented(held, "hostname") and not sources.same("hostname", row["hostname"],
                                                                               s.hostname):
                    self.found.append(Seen(aid, "hostname", row["hostname"], s.hostname, method))
            if s.serial and serial_key(s.serial) != serial_key(row["serial"]):
                method = "snmp" if "snmp" in s.methods else min(s.methods)
                if sources.should_replace(held, "serial", row["serial"], s.serial, method):
                    if row["serial"]:
                        self.event(aid, "serial_changed", {"serial": row["serial"]}, {"serial": s.serial})
                    changed["serial"] = s.serial
                    taken["serial"] = method
                elif sources.documented(held, "serial"):
                    self.found.append(Seen(aid, "serial", row["serial"], s.serial, method))
            moved = self._moved_site(aid, row, changed)
            if s.engine and s.engine != row["snmp_engine_id"]:
                changed["snmp_engine_id"] = s.engine
            if s.credential and s.credential != row["snmp_credential"]:
                changed["snmp_credential"] = s.credential
            if d.fingerprint is not None:
                fields, fp, overall = merge_fingerprint(row, row["fingerprint"], d.fingerprint)
                if held:
                    self._keep_documented(aid, row, held, fields, d.fingerprint)
                for name, value in fields.items():       # observed: the evidence that won says whose
                    origin = _origin(d.fingerprint, name, value)
                    if origin:
                        taken[name] = origin
                changed.update(fields)
                if fields:
                    self._field_events(aid, row, fields)
                if fp is not None and fp != row["fingerprint"]:
                    changed["fingerprint"] = fp
                    changed["confidence"] = overall
            if taken:
                changed["field_sources"] = {**(held or {}), **taken}
            old_methods = row["methods"] or []
            if not s.methods.issubset(old_methods):
                changed["methods"] = sorted(s.methods.union(old_methods))
            if not row["present"]:
                changed["present"] = True
                if row["last_seen"] is not None:      # never seen before: an imported record, first sighting
                    self.event(aid, "reappeared", {"present": False}, {"present": True, "ips": s.ips})
                    result.reappeared += 1
                    result.reappeared_ids.append(aid)
            if row["status"] == "rogue":
                result.rogue_seen_ids.append(aid)
            # interfaces
            have = {r.mac: r for r in ifaces.get(aid, ())}
            idkeys = d.idkeys or {}
            for mac, info in s.macs.items():
                r = have.get(mac)
                if r is None:
                    iface_ins.append(self._iface_row(aid, mac, info, s, idkeys.get(mac)))
                    self.event(aid, "mac_added", None, {"mac": mac})
                else:
                    iface_seen[(s.first, s.last)].append(r.id)
                    upd = {"id": r.id}
                    if info:
                        for key in ("name", "if_index", "speed", "oper_status"):
                            if key in info and info[key] != getattr(r, key):
                                upd[key] = info[key]
                    if idkeys.get(mac, r.identity_key) != r.identity_key:
                        upd["identity_key"] = idkeys[mac]
                    if len(upd) > 1:
                        iface_upd.append(upd)
            # addresses
            rows = addrs.get(aid, ())
            by_ip = {r.ip: r for r in rows}
            old_current = {r.ip for r in rows if r.current}
            new_current = set(old_current)
            for ip in s.ips:
                r = by_ip.get(ip)
                mac = s.ip_mac.get(ip)
                if r is None:
                    addr_ins.append({"asset_id": aid, "ip": ip, "mac": mac, "current": True,
                                     "first_seen": s.first, "last_seen": s.last})
                else:
                    addr_seen[(s.first, s.last)].append(r.id)
                    if not r.current or (mac and mac != r.mac):
                        addr_upd.append({"id": r.id, "current": True, "mac": mac or r.mac})
                new_current.add(ip)
            if (self.complete and s.host_seen) or moved:
                for ip in sorted(old_current):
                    if ip not in s.ips and (moved or self.in_scope(ip)):
                        addr_upd.append({"id": by_ip[ip].id, "current": False})
                        new_current.discard(ip)
            if new_current != old_current:
                self.event(aid, "ip_changed", {"ips": sorted(old_current)}, {"ips": sorted(new_current)})
            # services and software
            if s.services or aid in svcs:
                self._services(aid, s, svcs.get(aid, ()), svc_ins, svc_upd)
            sw_have = {(r.name, r.version): r for r in sws.get(aid, ())} if s.software else {}
            for key, sw in s.software.items():
                r = sw_have.get(key)
                if r is None:
                    sw_ins.append({"asset_id": aid, "name": sw.name, "version": sw.version, "cpe": sw.cpe,
                                   "first_seen": s.first, "last_seen": s.last})
                else:
                    sw_upd.append({"id": r.id, "last_seen": s.last})
            # the asset row
            asset_seen[(s.first, s.last)].append(aid)
            if changed or len(self.events) > before:
                changed["updated_at"] = self.now
                changed["id"] = aid
                asset_rows.append(changed)
                result.updated += 1
            else:
                result.unchanged += 1
        conn = self.conn
        bulk.update_rows(conn, A, asset_rows)
        bulk.touch_seen(conn, A, asset_seen)
        bulk.touch_seen(conn, I, iface_seen)
        bulk.touch_seen(conn, ADDR, addr_seen)
        for table, updates, inserts in ((I, iface_upd, iface_ins), (ADDR, addr_upd, addr_ins),
                                        (SVC, svc_upd, svc_ins), (SW, sw_upd, sw_ins)):
            bulk.update_rows(conn, table, updates)
            bulk.insert_rows(conn, table, inserts)

    def _quiet(self, d: Device, s: Summary, row: dict[str, Any], ifaces: Sequence[Any], addrs: Sequence[Any],
               asset_seen: dict[tuple[datetime, datetime], list[int]],
               iface_seen: dict[tuple[datetime, datetime], list[int]],
               addr_seen: dict[tuple[datetime, datetime], list[int]]) -> bool:
        """A device that says nothing new (the usual rescan): record the sighting and return True.

        Anything this cannot prove unchanged returns False, untouched, for the full comparison.
        """
        if not self._same_asset(d, s, row):
            return False
        iface_ids = []
        for mac, info in s.macs.items():
            if info:
                return False
            for r in ifaces:
                if r.mac == mac:
                    iface_ids.append(r.id)
                    break
            else:
                return False
        addr_ids = []
        for ip in s.ips:
            for r in addrs:
                if r.ip == ip:
                    break
            else:
                return False
            mac = s.ip_mac.get(ip)
            if not r.current or (mac and mac != r.mac):
                return False
            addr_ids.append(r.id)
        # every IP seen is current already; a complete sweep may retire the others
        if self.complete and s.host_seen and sum(1 for r in addrs if r.current) != len(addr_ids):
            return False
        key = (s.first, s.last)
        asset_seen[key].append(d.asset_id)
        if iface_ids:
            iface_seen[key].extend(iface_ids)
        if addr_ids:
            addr_seen[key].extend(addr_ids)
        return True

    def _moved_site(self, aid: int, row: dict[str, Any], changed: dict[str, Any]) -> bool:
        """A sweep at a site that saw an asset known elsewhere: the device moved there (an event says
        so; its addresses at the old site are no longer current). An asset without a site takes
        this one. Returns whether it moved from another site."""
        if self.site is None or row["site"] == self.site:
            return False
        old = row["site"]
        changed["site"] = self.site
        self.event(aid, "site_changed", {"site": old}, {"site": self.site},
                   note=f"moved from site {old} to site {self.site}" if old else f"seen at site {self.site}")
        return old is not None

    def _same_asset(self, d: Device, s: Summary, row: dict[str, Any]) -> bool:
        """The asset row already says all this device's sighting says, and nothing else is reported."""
        return not (d.fingerprint is not None or d.idkeys or s.services or s.software or not row["present"]
                    or (self.site is not None and row["site"] != self.site)
                    or row["status"] == "rogue"
                    or (s.hostname and s.hostname != row["hostname"])
                    or (s.serial and s.serial != row["serial"])
                    or (s.engine and s.engine != row["snmp_engine_id"])
                    or (s.credential and s.credential != row["snmp_credential"])
                    or not s.methods.issubset(row["methods"] or ()))

    def _quiet_known(self, d: Device, s: Summary, row: dict[str, Any],
                     asset_seen: dict[tuple[datetime, datetime], list[int]],
                     iface_seen: dict[tuple[datetime, datetime], list[int]],
                     addr_seen: dict[tuple[datetime, datetime], list[int]]) -> bool:
        """``_quiet`` from what identity matching read (no merges happened), before the full state is read.

        For a complete sweep's HOST sightings the caller first makes sure that the asset holds no
        current IP besides the ones seen (those would be retired).
        """
        if not self._same_asset(d, s, row):
            return False
        aid = d.asset_id
        iface_ids = []
        for mac, info in s.macs.items():
            found = self.iface_ids.get((aid, mac))
            if info or found is None:
                return False
            iface_ids.append(found)
        addr_ids = []
        for ip in s.ips:
            addr = self.current_addrs.get((aid, ip))
            if addr is None:
                return False
            mac = s.ip_mac.get(ip)
            if mac and mac != addr[1]:
                return False
            addr_ids.append(addr[0])
        key = (s.first, s.last)
        asset_seen[key].append(aid)
        if iface_ids:
            iface_seen[key].extend(iface_ids)
        if addr_ids:
            addr_seen[key].extend(addr_ids)
        return True

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

    def _field_events(self, aid: int, row: dict[str, Any], fields: dict[str, Any]) -> None:
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
                self.event(aid, kind, {"os_name": row.get("os_name"), "os_version": row.get("os_version")},
                           {"os_name": fields.get("os_name", row.get("os_name")),
                            "os_version": fields.get("os_version", row.get("os_version"))})
            else:
                self.event(aid, kind, {name: old}, {name: value})

    def _iface_row(self, aid: int, mac: str, info: dict[str, Any], s: Summary,
                   identity_key: str | None = None) -> dict[str, Any]:
        return {"asset_id": aid, "mac": mac, "name": info.get("name"), "if_index": info.get("if_index"),
                "speed": info.get("speed"), "oper_status": info.get("oper_status"),
                "randomised": mac_kind(mac) == LOCAL, "first_seen": s.first, "last_seen": s.last,
                "identity_key": identity_key}

    def _services(self, aid: int, s: Summary, existing: Sequence[Any], ins: list[dict[str, Any]],
                  upd: list[dict[str, Any]]) -> None:
        have = {(r.port, r.protocol): r for r in existing}
        for key, svc in s.services.items():
            r = have.get(key)
            opened = {"port": key[0], "protocol": key[1], "name": svc.name}
            if r is None:
                ins.append(self._service_row(aid, svc, s))
                self.event(aid, "service_opened", None, opened)
                continue
            row = {"id": r.id, "last_seen": s.last}
            if not r.open:
                row["open"] = True
                self.event(aid, "service_opened", None, opened)
            for col in ("name", "product", "version"):
                value = getattr(svc, col)
                if value and value != getattr(r, col):
                    row[col] = value
            if svc.cpe:
                row["cpe"] = list(svc.cpe)
            if svc.extrainfo:
                row["extrainfo"] = svc.extrainfo
            upd.append(row)
        if s.services_authoritative:
            for key, r in have.items():
                if r.open and key not in s.services:
                    upd.append({"id": r.id, "open": False})
                    self.event(aid, "service_closed",
                               {"port": key[0], "protocol": key[1], "name": r.name}, None)

    def _service_row(self, aid: int, svc: Any, s: Summary) -> dict[str, Any]:
        return {"asset_id": aid, "port": int(svc.port), "protocol": (svc.protocol or "tcp").lower(),
                "name": svc.name, "product": svc.product, "version": svc.version, "extrainfo": svc.extrainfo,
                "cpe": list(svc.cpe or []), "banner": svc.banner, "open": True,
                "first_seen": s.first, "last_seen": s.last}
