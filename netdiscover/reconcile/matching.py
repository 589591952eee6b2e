"""Matching a sweep's devices to existing assets by the identity rules of DESIGN.md."""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import delete, select

from netdiscover.identity import (
    GLOBAL,
    engine_key,
    hostname_key,
    mac_kind,
    serial_key,
    vendors_compatible,
)
from netdiscover.reconcile.grouping import Device
from netdiscover.reconcile.state import ADDR, CURRENT, EV, OBS, SVC, SW, A, I, SweepState
from netdiscover.storage import bulk

log = logging.getLogger(__name__)

# Statuses a reviewer or an inventory gave; such assets are never merged into one another.
PROTECTED = ("documented", "approved", "ignored", "rogue")


@dataclass
class _AssetInfo:
    id: int
    status: str
    asset_tag: str | None
    serial: str | None
    vendor: str | None
    engine: str | None
    site: str | None
    strong: bool = False       # serial, engine ID or a global MAC
    identified: bool = False   # strong, or at least a randomised MAC


class IdentityMatching(SweepState):
    """Deciding which existing asset each device is, merging assets that proved to be one."""

    def _asset_infos(self, ids: Iterable[int]) -> dict[int, _AssetInfo]:
        rows = bulk.select_in(self.conn, [A.c.id, A.c.status, A.c.asset_tag, A.c.serial, A.c.vendor,
                                          A.c.snmp_engine_id, A.c.site], A.c.id, ids)
        infos = {r[0]: _AssetInfo(*r) for r in rows}
        for info in infos.values():
            info.strong = info.identified = bool(serial_key(info.serial) or engine_key(info.engine))
        weak = [i for i, info in infos.items() if not info.strong]
        for asset_id, mac in bulk.select_in(self.conn, [I.c.asset_id, I.c.mac], I.c.asset_id, weak):
            kind = mac_kind(mac)
            if kind == GLOBAL:
                infos[asset_id].strong = True
            if kind is not None:
                infos[asset_id].identified = True
        return infos

    def _identity_key_map(self, keys: set[str]) -> dict[str, list[int]]:
        """Identity key -> the assets of this sweep's site (or, without a site, of none) whose
        randomised-MAC interfaces carried it: never across sites."""
        if not keys:
            return {}
        rows = bulk.select_in(self.conn, [I.c.asset_id, I.c.identity_key], I.c.identity_key, keys)
        sites = dict(bulk.fetch_in(self.conn, A, ("id", "site"), "id", {r[0] for r in rows}))
        here = self.site or None
        out: dict[str, list[int]] = defaultdict(list)
        for asset_id, key in rows:
            if asset_id in sites and (sites[asset_id] or None) == here and asset_id not in out[key]:
                out[key].append(asset_id)
        return out

    def match(self, devices: list[Device]) -> list[Device]:
        """Set ``asset_id`` on every device that matches an existing asset; merge duplicates."""
        conn = self.conn
        serial_map: dict[str, list[tuple[int, str | None]]] = defaultdict(list)
        for asset_id, serial, vendor in bulk.select_in(
                conn, [A.c.id, A.c.serial, A.c.vendor], A.c.serial,
                {s for d in devices for s in d.serials} | {s.lower() for d in devices for s in d.serials}):
            key = serial_key(serial)
            if key:
                serial_map[key].append((asset_id, vendor))
        engine_map: dict[str, list[int]] = defaultdict(list)
        for asset_id, engine in bulk.select_in(conn, [A.c.id, A.c.snmp_engine_id], A.c.snmp_engine_id,
                                               {e for d in devices for e in d.engines}):
            engine_map[engine].append(asset_id)
        mac_map: dict[str, list[int]] = defaultdict(list)
        iface_ids = self.iface_ids
        for asset_id, mac, iface_id in bulk.fetch_in(conn, I, ("asset_id", "mac", "id"), "mac",
                                                     {m for d in devices for m in d.gmacs}
                                                     | {m for d in devices for m in d.lmacs}):
            mac_map[mac].append(asset_id)
            iface_ids[(asset_id, mac)] = iface_id
        key_map = self._identity_key_map({k for d in devices if d.idkeys for k in d.idkeys.values()})
        current_addrs = self.current_addrs
        held = bulk.fetch_in(conn, ADDR, ("asset_id", "ip", "id", "mac"), "ip",
                             {ip for d in devices for ip in d.ips}, CURRENT)
        if self.other_sites():
            # an IP identifies nothing across sites: two offices may both use 10.1.0.0/24
            here = self.site_assets({r[0] for r in held})
            held = [r for r in held if r[0] in here]
        for asset_id, ip, addr_id, mac in held:
            self.ip_holders[ip].add(asset_id)
            current_addrs[(asset_id, ip)] = (addr_id, mac)

        vendor_hint = {id(d): next((o.vendor_hint for o in d.obs if o.vendor_hint), None)
                       for d in devices if d.serials}
        strong_cands: dict[int, list[int]] = {}
        for d in devices:
            if len(d.gmacs) == 1 and not (d.serials or d.engines or d.lmacs):
                # the common device: one global MAC and nothing stronger
                hit = mac_map.get(next(iter(d.gmacs)))
                if hit:
                    strong_cands[id(d)] = hit if len(hit) == 1 else list(dict.fromkeys(hit))
                continue
            found: list[int] = []
            if d.serials:
                hint = vendor_hint[id(d)]
                for s in sorted(d.serials):
                    found.extend(a for a, v in serial_map.get(s, ()) if vendors_compatible(v, hint))
            if d.engines:
                for e in sorted(d.engines):
                    found.extend(engine_map.get(e, ()))
            for macs in (d.gmacs, d.lmacs):
                if len(macs) == 1:
                    found.extend(mac_map.get(next(iter(macs)), ()))
                elif macs:
                    for m in sorted(macs):
                        found.extend(mac_map.get(m, ()))
            if not found and d.idkeys:
                # a randomised MAC never seen before: the client's DHCP identity at this site
                for k in sorted(set(d.idkeys.values())):
                    found.extend(key_map.get(k, ()))
            if found:
                strong_cands[id(d)] = found if len(found) == 1 else list(dict.fromkeys(found))

        # Weaker matches for the rest: hostname within the site, then a current IP.
        rest = [d for d in devices if id(d) not in strong_cands]
        host_cands: dict[str, list[int]] = defaultdict(list)
        names = {}
        for d in rest:
            for o in d.obs:
                if o.hostname:
                    name = hostname_key(o.hostname)
                    if name:
                        names[id(d)] = name
                    break
        if names:
            variants = {v for n in names.values() for v in (n, n.upper(), n + ".")}
            variants |= {o.hostname for d in rest for o in d.obs if o.hostname}
            for asset_id, hostname, site in bulk.select_in(conn, [A.c.id, A.c.hostname, A.c.site],
                                                           A.c.hostname, variants):
                if (site or None) == (self.site or None):
                    host_cands[hostname_key(hostname) or ""].append(asset_id)
        ip_cand_ids = {a for d in rest for ip in d.ips for a in self.ip_holders.get(ip, ())}
        info_ids = ip_cand_ids | {a for ids in host_cands.values() for a in ids}
        for ids in strong_cands.values():
            if len(ids) > 1:
                info_ids.update(ids)
        infos = self._asset_infos(info_ids)
        # a client with an identity key is not another client that kept a different one ("iPhone")
        held_keys: dict[int, set[str]] = defaultdict(set)
        if any(d.idkeys for d in rest) and host_cands:
            for asset_id, key in bulk.select_in(conn, [I.c.asset_id, I.c.identity_key], I.c.asset_id,
                                                {a for ids in host_cands.values() for a in ids},
                                                "identity_key IS NOT NULL"):
                held_keys[asset_id].add(key)

        claimed: dict[int, Device] = {}
        out: list[Device] = []

        def claim(dev: Device, asset_id: int) -> None:
            holder = claimed.get(asset_id)
            if holder is None:
                dev.asset_id = asset_id
                claimed[asset_id] = dev
                out.append(dev)
            else:
                holder.absorb(dev)

        for d in devices:
            cands = strong_cands.get(id(d))
            if not cands:
                continue
            if len(cands) == 1:
                claim(d, self.resolve(cands[0]) if self.redirect else cands[0])
                continue
            cands = list(dict.fromkeys(self.resolve(a) for a in cands))
            primary = cands[0]
            if len(cands) > 1:
                primary = self.merge_assets(cands, infos)
            claim(d, primary)

        ip_holders = self.ip_holders
        for d in rest:
            chosen: int | None = None
            name = names.get(id(d))
            if name:
                for asset_id in host_cands.get(name, ()):
                    asset_id = self.resolve(asset_id)
                    info = infos.get(asset_id)
                    usable = info is not None and (not d.gmacs or not info.strong)
                    if usable and d.idkeys and held_keys.get(asset_id):
                        usable = bool(held_keys[asset_id] & set(d.idkeys.values()))
                    if usable and asset_id not in claimed:
                        chosen = asset_id
                        break
            if chosen is None:
                for ip in d.ips:
                    holders = ip_holders.get(ip)
                    if not holders:
                        continue
                    for asset_id in sorted(holders):
                        asset_id = self.resolve(asset_id)
                        info = infos.get(asset_id)
                        if info is not None and (not d.identified or not info.identified):
                            chosen = asset_id
                            break
                    if chosen is not None:
                        break
            if chosen is not None:
                claim(d, chosen)
            else:
                out.append(d)
        return out

    def merge_assets(self, ids: list[int], infos: dict[int, _AssetInfo]) -> int:
        """Fold several assets that turned out to be one device into the best-kept one."""
        protected = [a for a in ids if a in infos and (infos[a].status in PROTECTED or infos[a].asset_tag)]
        if len(protected) > 1:
            log.warning("assets %s look like one device but are separate records; not merged",
                        ", ".join(map(str, protected)))
            return ids[0]
        survivor = protected[0] if protected else min(ids)
        for victim in ids:
            if victim != survivor:
                self._fold(survivor, victim)
                self.redirect[victim] = survivor
                self.result.merged += 1
        return survivor

    def _fold(self, survivor: int, victim: int) -> None:
        conn = self.conn
        for table, keys in ((I, ("mac",)), (ADDR, ("ip",)), (SVC, ("port", "protocol")),
                            (SW, ("name", "version"))):
            cols = [table.c[k] for k in keys]
            have = {tuple(r) for r in conn.execute(select(*cols).where(table.c.asset_id == survivor))}
            dup = [r[0] for r in conn.execute(select(table.c.id, *cols).where(table.c.asset_id == victim))
                   if tuple(r[1:]) in have]
            for part in bulk.chunks(dup):
                conn.execute(delete(table).where(table.c.id.in_(part)))
            conn.execute(table.update().where(table.c.asset_id == victim).values(asset_id=survivor))
        for table in (OBS, EV):
            conn.execute(table.update().where(table.c.asset_id == victim).values(asset_id=survivor))
        keep = conn.execute(select(A).where(A.c.id == survivor)).mappings().one()
        gone = conn.execute(select(A).where(A.c.id == victim)).mappings().one()
        fill = {c: gone[c] for c in ("asset_tag", "hostname", "serial", "snmp_engine_id", "vendor", "model",
                                     "os_name", "os_version", "owner", "location", "site", "lifecycle_state")
                if keep[c] is None and gone[c] is not None}
        fill["methods"] = sorted(set(keep["methods"] or []) | set(gone["methods"] or []))
        firsts = [t for t in (keep["first_seen"], gone["first_seen"]) if t]
        lasts = [t for t in (keep["last_seen"], gone["last_seen"]) if t]
        if firsts:
            fill["first_seen"] = min(firsts)
        if lasts:
            fill["last_seen"] = max(lasts)
        fill["updated_at"] = self.now
        conn.execute(A.update().where(A.c.id == survivor).values(**fill))
        conn.execute(delete(A).where(A.c.id == victim))
        self.event(survivor, "merged", old={"asset_id": victim}, new={"asset_id": survivor},
                   note=f"asset {victim} was the same device")
        for holders in self.ip_holders.values():
            if victim in holders:
                holders.discard(victim)
                holders.add(survivor)
