"""Writing one sweep's decisions: new assets, updates of known ones, IP moves, evidence, events."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from sqlalchemy import select

from netdiscover.identity import (
    LOCAL,
    mac_kind,
)
from netdiscover.observation import Observation
from netdiscover.reconcile import discrepancies
from netdiscover.reconcile.absence import AbsenceCheck
from netdiscover.reconcile.fingerprint_merge import fingerprint_device, merge_fingerprint
from netdiscover.reconcile.grouping import Device
from netdiscover.reconcile.known import KnownAssetUpdates
from netdiscover.reconcile.state import (
    ADDR,
    ADDR_COLUMNS,
    ASSET_COLUMNS,
    CURRENT,
    EV,
    EVENT_COLUMNS,
    IFACE_COLUMNS,
    OBS,
    SVC,
    SW,
    A,
    I,
)
from netdiscover.reconcile.summary import Summary, summarise
from netdiscover.storage import bulk, evidence

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


class SweepWrites(KnownAssetUpdates):
    """A sweep's writes: new assets, updates, moved IPs, disappearances, switch ports, evidence."""

    def apply(self, devices: list[Device]) -> None:
        known = [d for d in devices if d.asset_id is not None]
        new = [d for d in devices if d.asset_id is None]
        summaries = {id(d): summarise(d) for d in devices}
        for d in devices:
            if not d.fingerprinted:
                d.fingerprint = fingerprint_device(self.fingerprinter, d)
                d.fingerprinted = True
        self._update_known(known, summaries)
        for d, new_id in zip(new, bulk.allocate_ids(self.conn, A, len(new)), strict=True):
            d.asset_id = new_id
        held = self.ip_holders
        claimed_ips: dict[str, set[int]] = defaultdict(set)    # only IPs some asset held before
        for d in devices:
            for ip in d.ips:
                if ip in held:
                    claimed_ips[ip].add(d.asset_id)
        self._retire_taken_ips(claimed_ips)
        seen = {d.asset_id for d in devices}
        self.result.asset_ids = sorted(seen)
        # before the new assets' rows exist: they were seen, and reading them back costs time
        self.disappear(seen)
        self._insert_new(new, summaries)
        self.result.discrepancies = discrepancies.record(self.conn, self.found, now=self.now,
                                                         scan_id=self.scan_id)

    def _insert_new(self, devices: list[Device], summaries: dict[int, Summary]) -> None:
        """The rows of devices that match no asset, under the ids ``apply`` gave them."""
        if not devices:
            return
        ids = [d.asset_id for d in devices]
        now, site = self.now, self.site
        rows, iface_ins, addr_ins, svc_ins, sw_ins = [], [], [], [], []
        event_head = (self.scan_id, "discovered", now, "sweep", None, None)
        events = self.events
        for d, aid in zip(devices, ids, strict=True):
            s = summaries[id(d)]
            idkeys = d.idkeys or _NO_KEYS
            first, last = s.first, s.last
            methods = sorted(s.methods) if len(s.methods) > 1 else list(s.methods)
            named = _UNNAMED if d.fingerprint is None else _named(d.fingerprint)
            rows.append((aid, s.hostname, s.serial, s.engine, *named, "undocumented", site, methods,
                         s.credential, True, first, last, now, now,
                         {"hostname": s.hostname_method} if s.hostname else None))
            for mac, info in s.macs.items():
                details = (info.get("name"), info.get("if_index"), info.get("speed"),
                           info.get("oper_status")) if info else _NO_DETAILS
                iface_ins.append((aid, mac, *details, mac_kind(mac) == LOCAL, first, last, idkeys.get(mac)))
            ip_mac = s.ip_mac
            for ip in s.ips:
                addr_ins.append((aid, ip, ip_mac.get(ip), True, first, last))
            if s.services:
                svc_ins.extend(self._service_row(aid, svc, s) for svc in s.services.values())
            for sw in s.software.values():
                sw_ins.append({"asset_id": aid, "name": sw.name, "version": sw.version, "cpe": sw.cpe,
                               "first_seen": first, "last_seen": last})
            events.append((aid, *event_head, {"ips": s.ips, "macs": list(s.macs), "hostname": s.hostname,
                                              "methods": methods}))
        bulk.insert_tuples(self.conn, A, ASSET_COLUMNS, rows)
        bulk.insert_tuples(self.conn, I, IFACE_COLUMNS, iface_ins)
        bulk.insert_tuples(self.conn, ADDR, ADDR_COLUMNS, addr_ins)
        bulk.insert_rows(self.conn, SVC, svc_ins)
        bulk.insert_rows(self.conn, SW, sw_ins)
        self.result.new += len(ids)
        self.result.new_asset_ids.extend(ids)
        self.result.new_undocumented_ids.extend(ids)

    def _retire_taken_ips(self, claimed: dict[str, set[int]]) -> None:
        """An IP now held by another device is no longer current on its previous holder."""
        moves = []
        for ip, holders in claimed.items():
            for old in self.ip_holders.get(ip, ()):
                old = self.resolve(old)
                if old not in holders:
                    moves.append((old, ip, sorted(holders)))
        if not moves:
            return
        found = {(r.asset_id, r.ip): r.id for r in bulk.select_in(
            self.conn, [ADDR.c.id, ADDR.c.asset_id, ADDR.c.ip], ADDR.c.ip, {m[1] for m in moves},
            CURRENT)}
        rows = []
        for old, ip, holders in moves:
            addr_id = found.get((old, ip))
            if addr_id is not None:
                rows.append({"id": addr_id, "current": False})
                self.event(old, "ip_changed", {"ips": [ip]}, {"ips": [], "moved_to": holders},
                           note=f"{ip} is now held by asset {', '.join(map(str, holders))}")
        bulk.update_rows(self.conn, ADDR, rows)

    def disappear(self, seen: set[int]) -> None:
        """Count misses of present assets this sweep could have seen and did not; past the grace
        they are disappeared (the rule: ``reconcile.absence``)."""
        check = AbsenceCheck(self.conn, A, ADDR, OBS, now=self.now, scan_id=self.scan_id,
                             coverage=self.coverage(), grace=self.grace)
        check.reset_seen(seen)
        if not (check.ranges and self.scope is not None):
            return
        stmt = (select(ADDR.c.asset_id, ADDR.c.ip).join(A, A.c.id == ADDR.c.asset_id)
                .where(A.c.present.is_(True), ADDR.c.current.is_(True)))
        if self.other_sites():
            # the site filtered here, not in SQL: PostgreSQL planned the joined condition badly (1 s a query)
            stmt = stmt.add_columns(A.c.site)
        conditions = self.scope_conditions(ADDR.c.ip)
        if conditions is None:
            rows = self.conn.execute(stmt).all()
        else:
            rows = [row for condition in conditions for row in self.conn.execute(stmt.where(condition)).all()]
        unseen: dict[int, list[str]] = defaultdict(list)
        site = self.site
        for asset_id, ip, *where in rows:
            if asset_id not in seen and self.in_scope(ip) and (not where or where[0] == site):
                unseen[asset_id].append(ip)
        if not unseen:
            return
        updates, gone = check.conclude(check.missed(unseen))
        bulk.update_rows(self.conn, A, updates)
        for asset_id, method, ips, misses, last_seen in sorted(gone):
            when = last_seen.isoformat() if last_seen else "never"
            self.event(asset_id, "disappeared", {"present": True, "ips": ips},
                       {"present": False, "scan_id": self.scan_id, "method": method, "missed_sweeps": misses},
                       note=f"not seen by {method} in {misses} sweeps (last seen {when}); "
                            f"concluded by scan {self.scan_id if self.scan_id is not None else '-'}")
        self.result.disappeared = len(gone)
        self.result.disappeared_ids = sorted(g[0] for g in gone)
        self.result.missed = len(updates) - len(gone)

    def locate(self, locations: list[Observation]) -> dict[int, int | None]:
        """Place known MACs on switch ports; returns observation index -> asset id."""
        per_port: dict[tuple[str | None, str | None], int] = defaultdict(int)
        for o in locations:
            per_port[(o.switch, o.switch_port)] += 1
        best: dict[str, Observation] = {}
        for o in locations:
            if mac_kind(o.mac) is None:
                continue
            prev = best.get(o.mac)
            # A MAC learnt on several ports: the edge port (fewest MACs) is where it is plugged in.
            if prev is None or per_port[(o.switch, o.switch_port)] < per_port[(prev.switch,
                                                                                prev.switch_port)]:
                best[o.mac] = o
        rows = bulk.select_in(self.conn, [I.c.id, I.c.asset_id, I.c.mac, I.c.switch, I.c.switch_port],
                              I.c.mac, best)
        holder: dict[str, int] = {}
        updates = []
        for r in rows:
            holder.setdefault(r.mac, r.asset_id)
            o = best[r.mac]
            if (o.switch, o.switch_port) != (r.switch, r.switch_port):
                updates.append({"id": r.id, "switch": o.switch, "switch_port": o.switch_port})
                self.event(r.asset_id, "switch_port_changed",
                           {"mac": r.mac, "switch": r.switch, "port": r.switch_port},
                           {"mac": r.mac, "switch": o.switch, "port": o.switch_port})
                self.result.located += 1
        bulk.update_rows(self.conn, I, updates)
        return {i: holder.get(o.mac) for i, o in enumerate(locations) if o.mac}

    def store_observations(self, pairs: list[tuple[Observation, int | None]]) -> None:
        scan_id = self.scan_id
        bulk.insert_tuples(self.conn, OBS, evidence.COLUMNS,
                           [evidence.record_row(o, scan_id, aid) for o, aid in pairs])

    def flush_events(self) -> None:
        bulk.insert_tuples(self.conn, EV, EVENT_COLUMNS, self.events)
        self.events = []
