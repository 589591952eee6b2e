"""Grouping one sweep's observations into devices by shared identity keys (pure)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from netdiscover.identity import (
    GLOBAL,
    LOCAL,
    engine_key,
    identity_ip,
    mac_kind,
    serial_key,
)
from netdiscover.observation import Observation

_NONE: frozenset[str] = frozenset()


@dataclass(eq=False, slots=True)
class Device:
    """The observations of one sweep that belong to one device, and its identity keys."""

    obs: list[Observation]
    # Key sets may be the shared empty frozenset: extend them with |=, never .add().
    serials: set[str] | frozenset[str] = _NONE
    engines: set[str] | frozenset[str] = _NONE
    gmacs: set[str] | frozenset[str] = _NONE
    lmacs: set[str] | frozenset[str] = _NONE
    ips: list[str] = field(default_factory=list)
    has_ifaces: bool = False
    fingerprint: Any = None
    fingerprinted: bool = False
    asset_id: int | None = None
    idkeys: dict[str, str] | None = None   # randomised MAC -> its DHCP identity key (passive.linking)

    @property
    def strong(self) -> bool:
        return bool(self.serials or self.engines or self.gmacs)

    @property
    def identified(self) -> bool:
        """Has any identity better than an IP (randomised MACs included)."""
        return self.strong or bool(self.lmacs)

    def absorb(self, other: Device) -> None:
        self.obs.extend(other.obs)
        self.serials |= other.serials
        self.engines |= other.engines
        self.gmacs |= other.gmacs
        self.lmacs |= other.lmacs
        self.ips.extend(ip for ip in other.ips if ip not in self.ips)
        self.has_ifaces = self.has_ifaces or other.has_ifaces
        if other.idkeys:
            self.idkeys = {**(self.idkeys or {}), **other.idkeys}
        self.fingerprint = None
        self.fingerprinted = False


def _obs_keys(o: Observation) -> tuple[set[str], set[str], set[str], set[str], list[str]]:
    """Serials, engine IDs, global MACs, randomised MACs and identity IPs of a non-plain sighting."""
    serial = serial_key(o.serial) if o.serial else None
    engine = engine_key(o.snmp_engine_id) if o.snmp_engine_id else None
    serials = {serial} if serial else set()
    engines = {engine} if engine else set()
    gmacs: set[str] = set()
    lmacs: set[str] = set()
    flags = o.flags
    if not flags or "proxy_arp" not in flags:
        for mac in (o.macs() if o.interfaces else ([o.mac] if o.mac else ())):
            kind = mac_kind(mac)
            if kind == GLOBAL:
                gmacs.add(mac)
            elif kind == LOCAL:
                lmacs.add(mac)
    ips: list[str] = []
    if not flags or "ip_conflict" not in flags:
        for ip in (o.ips() if o.interfaces else ([o.ip] if o.ip else ())):
            norm = identity_ip(ip)
            if norm and norm not in ips:
                ips.append(norm)
    return serials, engines, gmacs, lmacs, ips


def identity_key_of(o: Observation) -> str | None:
    """The DHCP identity key the passive listener put on a randomised-MAC sighting, if any."""
    passive = o.facts.get("passive") if o.facts else None
    key = passive.get("identity_key") if isinstance(passive, dict) else None
    if isinstance(key, str) and key and o.mac and mac_kind(o.mac) == LOCAL:
        return key
    return None


def _compatible(a: Device, b: Device) -> bool:
    """May two groups sharing an IP be one device? Not when their strong keys or identity keys disagree."""
    if a.idkeys and b.idkeys and not set(a.idkeys.values()) & set(b.idkeys.values()):
        return False
    if a.serials and b.serials and not a.serials & b.serials:
        return False
    if a.engines and b.engines and not a.engines & b.engines:
        return False
    return not (a.gmacs and b.gmacs and not a.gmacs & b.gmacs and not (a.has_ifaces or b.has_ifaces))


def group_devices(observations: Iterable[Observation]) -> list[Device]:
    """Group HOST and NEIGHBOUR observations into devices by shared keys.

    Strong keys (serial, engine ID, global MAC), randomised MACs and the DHCP identity key of a
    randomised-MAC client join observations outright; a shared IP joins groups only when their
    strong keys do not disagree.
    """
    groups = _KeyGroups()
    add_plain, add_keyed = groups.add_plain, groups.add_keyed
    for o in observations:
        key = identity_key_of(o) if o.facts else None
        if not (o.interfaces or o.flags or o.serial or o.snmp_engine_id):
            add_plain(o, key)
        else:
            add_keyed(o, key)
    return _join_shared_ips(groups.devices())


class _KeyGroups:
    """Union-find over one sweep's observations: those sharing a key end up under one root."""

    def __init__(self) -> None:
        self.parent: list[int] = []
        self.joined = False
        self.obs: list[Observation] = []
        # per observation: (mac kind, mac, ip) for plain sightings, else the five key collections
        self.keyed: list[tuple[Any, ...]] = []
        self.first_mac: dict[str, int] = {}                 # MAC (global or randomised) -> first
        self.first_strong: dict[tuple[str, str], int] = {}  # ("s"|"e"|"k", serial|engine|key) -> first
        self.idkey_at: dict[int, str] = {}                  # observation -> its identity key (the few)

    def find(self, i: int) -> int:
        parent = self.parent
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    def _join(self, first: int, idx: int) -> None:
        ra, rb = self.find(first), self.find(idx)
        if ra != rb:
            self.parent[rb] = ra
            self.joined = True

    def _append(self, o: Observation, keys: tuple[Any, ...], idkey: str | None) -> int:
        idx = len(self.obs)
        self.obs.append(o)
        self.parent.append(idx)
        self.keyed.append(keys)
        if idkey:
            self.idkey_at[idx] = idkey
            first = self.first_strong.setdefault(("k", idkey), idx)
            if first != idx:
                self._join(first, idx)
        return idx

    def add_plain(self, o: Observation, idkey: str | None) -> None:
        """A plain sighting (one MAC and/or IP, nothing else)."""
        mac = o.mac
        kind = mac_kind(mac) if mac else None
        ip = identity_ip(o.ip) if o.ip else None
        if kind is None and ip is None:
            return
        idx = self._append(o, (kind, mac, ip), idkey)
        if kind is not None:
            first = self.first_mac.setdefault(mac, idx)
            if first != idx:
                self._join(first, idx)

    def add_keyed(self, o: Observation, idkey: str | None) -> None:
        """A sighting with interfaces, flags, a serial or an engine ID."""
        keys = _obs_keys(o)
        if not (keys[0] or keys[1] or keys[2] or keys[3] or keys[4]):
            return
        idx = self._append(o, keys, idkey)
        for tag, values in (("s", keys[0]), ("e", keys[1])):
            for value in values:
                first = self.first_strong.setdefault((tag, value), idx)
                if first != idx:
                    self._join(first, idx)
        for values in (keys[2], keys[3]):
            for value in values:
                first = self.first_mac.setdefault(value, idx)
                if first != idx:
                    self._join(first, idx)

    def devices(self) -> list[Device]:
        """One Device per root, its key sets the union of its observations'."""
        joined, find, keyed = self.joined, self.find, self.keyed
        by_root: dict[int, Device] = {}
        for idx, o in enumerate(self.obs):
            root = find(idx) if joined else idx        # no joins: every observation is its own root
            keys = keyed[idx]
            if len(keys) == 3:
                kind, mac, ip = keys
                serials = engines = _NONE
                gmacs = {mac} if kind == GLOBAL else _NONE
                lmacs = {mac} if kind == LOCAL else _NONE
                ips = [ip] if ip else []
            else:
                serials, engines, gmacs, lmacs, ips = keys
            dev = by_root.get(root)
            if dev is None:
                # The key sets were built for this observation alone: the device may own them.
                # Positional, in field order: this runs once per device of every sweep.
                by_root[root] = Device([o], serials, engines, gmacs, lmacs, ips, bool(o.interfaces))
                continue
            dev.obs.append(o)
            dev.serials |= serials
            dev.engines |= engines
            dev.gmacs |= gmacs
            dev.lmacs |= lmacs
            dev.ips.extend(ip for ip in ips if ip not in dev.ips)
            dev.has_ifaces = dev.has_ifaces or bool(o.interfaces)
        for idx, key in self.idkey_at.items():
            dev = by_root[find(idx) if joined else idx]
            if dev.idkeys is None:
                dev.idkeys = {}
            dev.idkeys[self.obs[idx].mac or ""] = key
        return list(by_root.values())


def _join_shared_ips(devices: list[Device]) -> list[Device]:
    """Join groups that share an IP, strong groups first, unless their strong keys disagree."""
    claimed = [ip for dev in devices for ip in dev.ips]
    if len(set(claimed)) == len(claimed):
        return devices             # no IP claimed by two groups: nothing to join
    shared: dict[str, int] = defaultdict(int)
    for ip in claimed:
        shared[ip] += 1
    owner: dict[str, list[Device]] = {}
    alive: dict[int, Device] = {id(d): d for d in devices}
    redirect: dict[int, Device] = {}

    def current(d: Device) -> Device:
        while id(d) in redirect:
            d = redirect[id(d)]
        return d

    joinable = [d for d in devices if any(shared[ip] > 1 for ip in d.ips)]
    for dev in sorted(joinable, key=lambda d: not d.strong):
        for ip in list(dev.ips):
            if shared[ip] < 2:
                continue
            me = current(dev)
            holders = owner.setdefault(ip, [])
            for other in holders:
                other = current(other)
                if other is me:
                    break
                if _compatible(other, me):
                    other.absorb(me)
                    redirect[id(me)] = other
                    alive.pop(id(me), None)
                    me = other
                    break
            else:
                holders.append(me)
    return list(alive.values())
