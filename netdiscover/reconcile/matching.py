"""Matching a sweep's devices to existing assets by the identity rules of DESIGN.md.

Strong keys first: serial (makers compatible), SNMP engine ID, MACs, and for a randomised MAC
never seen before the DHCP identity key within the site. Devices with none of those matched fall
to the hostname within the site, then to a current IP (the ``SWEEP_STRONG`` and ``SWEEP_WEAK``
policies of ``reconcile.identity_match``, the walk inventory import uses too). Assets that prove
to be one device are merged (never two protected records). The candidates are read through
``storage.identities`` for the whole sweep at once; the matcher writes nothing: merges are
decisions for storage.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from netdiscover.identity import (
    GLOBAL,
    engine_key,
    hostname_key,
    mac_kind,
    serial_key,
    vendors_compatible,
)
from netdiscover.reconcile.context import Identities, ReconcileResult, SweepContext
from netdiscover.reconcile.grouping import Device
from netdiscover.reconcile.identity_match import SWEEP_STRONG, SWEEP_WEAK, walk
from netdiscover.storage.identities import IdentityReads

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


@dataclass
class _StrongKeys:
    """Existing assets by the strong keys this sweep's devices carry."""

    serials: dict[str, list[tuple[int, str | None]]] = field(default_factory=lambda: defaultdict(list))
    engines: dict[str, list[int]] = field(default_factory=lambda: defaultdict(list))
    macs: dict[str, list[int]] = field(default_factory=lambda: defaultdict(list))
    idkeys: dict[str, list[int]] = field(default_factory=dict)


@dataclass
class _WeakKeys:
    """For devices without a strong match: their hostname key, and the assets behind names and IPs."""

    names: dict[int, str]                         # id(device) -> hostname key
    by_name: dict[str, list[int]]                 # hostname key -> assets of this site
    infos: dict[int, _AssetInfo]
    held_keys: dict[int, set[str]]                # asset -> identity keys its interfaces carry


class Matcher:
    """Decides which existing asset each of one sweep's devices is."""

    def __init__(self, reads: IdentityReads, ctx: SweepContext, result: ReconcileResult) -> None:
        self.reads = reads
        self.ctx = ctx
        self.result = result
        self.identities = Identities()
        self._other_sites: bool | None = None
        self._claimed: dict[int, Device] = {}
        self._out: list[Device] = []

    def match(self, devices: list[Device]) -> tuple[list[Device], Identities]:
        """Set ``asset_id`` on every device that matches an existing asset; devices claiming the
        same asset become one. Returns the devices and the decisions (merges among them)."""
        keys = self._strong_keys(devices)
        self._load_ip_holders(devices)
        strong = self._strong_candidates(devices, keys)
        rest = [d for d in devices if id(d) not in strong]
        weak = self._weak_keys(rest, strong)
        for d in devices:
            cands = strong.get(id(d))
            if cands:
                self._claim(d, self._strong_choice(cands, weak.infos))
        for d in rest:
            chosen = self._weak_choice(d, weak)
            if chosen is not None:
                self._claim(d, chosen)
            else:
                self._out.append(d)
        return self._out, self.identities

    # ---- reading the candidates

    def _strong_keys(self, devices: list[Device]) -> _StrongKeys:
        keys = _StrongKeys()
        spellings = {v for d in devices for s in d.serials for v in SWEEP_STRONG.serial_spellings(s)}
        for asset_id, serial, vendor in self.reads.by_serial(spellings):
            key = serial_key(serial)
            if key:
                keys.serials[key].append((asset_id, vendor))
        for asset_id, engine in self.reads.by_engine({e for d in devices for e in d.engines}):
            keys.engines[engine].append(asset_id)
        iface_ids = self.identities.iface_ids
        macs = {m for d in devices for m in d.gmacs} | {m for d in devices for m in d.lmacs}
        for asset_id, mac, iface_id in self.reads.by_mac(macs):
            keys.macs[mac].append(asset_id)
            iface_ids[(asset_id, mac)] = iface_id
        keys.idkeys = self._identity_key_map({k for d in devices if d.idkeys for k in d.idkeys.values()})
        return keys

    def _identity_key_map(self, keys: set[str]) -> dict[str, list[int]]:
        """Identity key -> the assets of this sweep's site (or, without a site, of none) whose
        randomised-MAC interfaces carried it: never across sites."""
        if not keys:
            return {}
        rows = self.reads.by_identity_key(keys)
        sites = self.reads.sites({r[0] for r in rows})
        here = self.ctx.site or None
        out: dict[str, list[int]] = defaultdict(list)
        for asset_id, key in rows:
            if asset_id in sites and (sites[asset_id] or None) == here and asset_id not in out[key]:
                out[key].append(asset_id)
        return out

    def _load_ip_holders(self, devices: list[Device]) -> None:
        held = self.reads.current_holders({ip for d in devices for ip in d.ips})
        if self.sites_apart():
            # an IP identifies nothing across sites: two offices may both use 10.1.0.0/24
            sites = self.reads.sites({r[0] for r in held})
            here = {i for i, site in sites.items() if site is None or site == self.ctx.site}
            held = [r for r in held if r[0] in here]
        ids = self.identities
        for asset_id, ip, addr_id, mac in held:
            ids.ip_holders[ip].add(asset_id)
            ids.current_addrs[(asset_id, ip)] = (addr_id, mac)

    def sites_apart(self) -> bool:
        """Is this a site's sweep, and does the database hold assets of other sites (read once)?

        A sweep without a site (a single-site install, a local scan) sees every site as before.
        """
        if self.ctx.site is None:
            return False
        if self._other_sites is None:
            self._other_sites = self.reads.other_sites_exist(self.ctx.site)
        return self._other_sites

    def _asset_infos(self, ids: Iterable[int]) -> dict[int, _AssetInfo]:
        infos = {r[0]: _AssetInfo(*r) for r in self.reads.keys_of(ids)}
        for info in infos.values():
            info.strong = info.identified = bool(serial_key(info.serial) or engine_key(info.engine))
        weak = [i for i, info in infos.items() if not info.strong]
        for asset_id, mac in self.reads.macs_of(weak):
            kind = mac_kind(mac)
            if kind == GLOBAL:
                infos[asset_id].strong = True
            if kind is not None:
                infos[asset_id].identified = True
        return infos

    # ---- strong matches: serial, engine ID, MACs, identity key

    def _strong_candidates(self, devices: list[Device], keys: _StrongKeys) -> dict[int, list[int]]:
        """id(device) -> the assets its strong keys name, in rule order without repeats."""
        out: dict[int, list[int]] = {}
        for d in devices:
            if len(d.gmacs) == 1 and not (d.serials or d.engines or d.lmacs):
                # the common device: one global MAC and nothing stronger
                hit = keys.macs.get(next(iter(d.gmacs)))
                if hit:
                    out[id(d)] = hit if len(hit) == 1 else list(dict.fromkeys(hit))
                continue
            found = _strong_hits(d, keys)
            if found:
                out[id(d)] = found if len(found) == 1 else list(dict.fromkeys(found))
        return out

    def _strong_choice(self, cands: list[int], infos: dict[int, _AssetInfo]) -> int:
        if len(cands) == 1:
            return self.identities.resolve(cands[0]) if self.identities.redirect else cands[0]
        cands = list(dict.fromkeys(self.identities.resolve(a) for a in cands))
        return self.merge_assets(cands, infos) if len(cands) > 1 else cands[0]

    # ---- weaker matches: hostname within the site, then a current IP

    def _weak_keys(self, rest: list[Device], strong: dict[int, list[int]]) -> _WeakKeys:
        names: dict[int, str] = {}
        for d in rest:
            for o in d.obs:
                if o.hostname:
                    name = hostname_key(o.hostname)
                    if name:
                        names[id(d)] = name
                    break
        by_name: dict[str, list[int]] = defaultdict(list)
        if names:
            variants = {v for n in names.values() for v in SWEEP_WEAK.hostname_spellings(n)}
            variants |= {o.hostname for d in rest for o in d.obs if o.hostname}
            for asset_id, hostname, site in self.reads.by_hostname(variants):
                if (site or None) == (self.ctx.site or None):
                    by_name[hostname_key(hostname) or ""].append(asset_id)
        info_ids = {a for d in rest for ip in d.ips for a in self.identities.ip_holders.get(ip, ())}
        info_ids |= {a for ids in by_name.values() for a in ids}
        for ids in strong.values():
            if len(ids) > 1:
                info_ids.update(ids)
        # a client with an identity key is not another client that kept a different one ("iPhone")
        held_keys: dict[int, set[str]] = defaultdict(set)
        if any(d.idkeys for d in rest) and by_name:
            for asset_id, key in self.reads.identity_keys_of({a for ids in by_name.values() for a in ids}):
                held_keys[asset_id].add(key)
        return _WeakKeys(names, by_name, self._asset_infos(info_ids), held_keys)

    def _weak_choice(self, d: Device, weak: _WeakKeys) -> int | None:
        resolve = self.identities.resolve
        name = weak.names.get(id(d))

        def candidates(key: str) -> Iterator[int]:
            if key == "hostname":
                yield from (resolve(a) for a in weak.by_name.get(name, ())) if name else ()
            else:
                ip_holders = self.identities.ip_holders
                for ip in d.ips:
                    yield from (resolve(a) for a in sorted(ip_holders.get(ip, ())))

        def acceptable(key: str, asset_id: int) -> bool:
            info = weak.infos.get(asset_id)
            if info is None:
                return False
            if key == "ip":
                return not d.identified or not info.identified
            usable = not d.gmacs or not info.strong
            if usable and d.idkeys and weak.held_keys.get(asset_id):
                usable = bool(weak.held_keys[asset_id] & set(d.idkeys.values()))
            return usable and asset_id not in self._claimed

        hit = walk(SWEEP_WEAK, candidates, acceptable)
        return hit[0] if hit else None

    # ---- decisions

    def _claim(self, dev: Device, asset_id: int) -> None:
        holder = self._claimed.get(asset_id)
        if holder is None:
            dev.asset_id = asset_id
            self._claimed[asset_id] = dev
            self._out.append(dev)
        else:
            holder.absorb(dev)

    def merge_assets(self, ids: list[int], infos: dict[int, _AssetInfo]) -> int:
        """Fold several assets that turned out to be one device into the best-kept one (a decision
        storage carries out); returns the survivor."""
        protected = [a for a in ids if a in infos and (infos[a].status in PROTECTED or infos[a].asset_tag)]
        if len(protected) > 1:
            log.warning("assets %s look like one device but are separate records; not merged",
                        ", ".join(map(str, protected)))
            return ids[0]
        survivor = protected[0] if protected else min(ids)
        decided = self.identities
        for victim in ids:
            if victim == survivor:
                continue
            decided.merges.append((survivor, victim))
            decided.events.append(self.ctx.event(survivor, "merged", old={"asset_id": victim},
                                                 new={"asset_id": survivor},
                                                 note=f"asset {victim} was the same device"))
            for holders in decided.ip_holders.values():
                if victim in holders:
                    holders.discard(victim)
                    holders.add(survivor)
            decided.redirect[victim] = survivor
            self.result.merged += 1
        return survivor


def _strong_hits(d: Device, keys: _StrongKeys) -> list[int]:
    """The assets ``d``'s serials (makers compatible), engine IDs, MACs and, failing those, its
    DHCP identity keys name, in that order (repeats kept)."""
    hint = next((o.vendor_hint for o in d.obs if o.vendor_hint), None) if d.serials else None

    def candidates(key: str) -> Iterator[int]:
        if key == "serial":
            for s in sorted(d.serials):
                yield from (a for a, v in keys.serials.get(s, ()) if vendors_compatible(v, hint))
        elif key == "engine":
            for e in sorted(d.engines):
                yield from keys.engines.get(e, ())
        elif key == "mac":
            for macs in (d.gmacs, d.lmacs):
                for m in (macs if len(macs) == 1 else sorted(macs)):
                    yield from keys.macs.get(m, ())
        elif d.idkeys:
            # a randomised MAC never seen before: the client's DHCP identity at this site
            for k in sorted(set(d.idkeys.values())):
                yield from keys.idkeys.get(k, ())

    return walk(SWEEP_STRONG, candidates)
