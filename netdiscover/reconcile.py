"""Reconciliation: merge one sweep's observations into the asset database, deciding identity.

The only code that decides which device an observation belongs to (rules in DESIGN.md):
serial number (+ vendor), SNMP engine ID, a globally unique MAC, then hostname within a site
for randomised MACs, and an IP alone only when nothing better exists. Router ARP-table
entries (NEIGHBOUR) create and update devices by IP + MAC; switch forwarding-table entries
(LOCATION) only place a known MAC on a switch port.

A sweep is reconciled in one transaction that holds the database's write lock from the
start, so two sweeps never decide on the same stale picture and a crash leaves the
database as it was. The work is set-based: identities are preloaded with a few chunked
queries and rows are written with executemany, so 100k devices take seconds, not hours.
"""

from __future__ import annotations

import gc
import logging
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import netaddr
from sqlalchemy import Connection, delete, select
from sqlalchemy.orm import Session, sessionmaker

from netdiscover.identity import (
    GLOBAL,
    LOCAL,
    engine_key,
    hostname_key,
    identity_ip,
    mac_kind,
    serial_key,
    vendors_compatible,
)
from netdiscover.observation import HOST, LOCATION, NEIGHBOUR, Observation, utcnow
from netdiscover.storage import bulk, evidence
from netdiscover.storage.engine import write_session
from netdiscover.storage.models import (
    Address,
    Asset,
    AssetEvent,
    Interface,
    ObservationRecord,
    Service,
    Software,
)

log = logging.getLogger(__name__)

A = Asset.__table__
I = Interface.__table__  # noqa: E741
ADDR = Address.__table__
SVC = Service.__table__
SW = Software.__table__
OBS = ObservationRecord.__table__
EV = AssetEvent.__table__

EVENT_COLUMNS = ("asset_id", "scan_id", "kind", "at", "actor", "note", "old", "new")
ASSET_COLUMNS = ("id", "hostname", "serial", "snmp_engine_id", "device_class", "vendor", "model", "os_name",
                 "os_version", "confidence", "fingerprint", "status", "site", "methods", "snmp_credential",
                 "present", "first_seen", "last_seen", "created_at", "updated_at")
IFACE_COLUMNS = ("asset_id", "mac", "name", "if_index", "speed", "oper_status", "randomised", "first_seen",
                 "last_seen")
ADDR_COLUMNS = ("asset_id", "ip", "mac", "current", "first_seen", "last_seen")
FP_FIELDS = ("vendor", "model", "os_name", "os_version", "device_class")
FIELD_EVENTS = {"vendor": "vendor_changed", "model": "model_changed", "os_name": "os_changed",
                "os_version": "os_changed", "device_class": "class_changed"}
# Whose hostname wins when methods disagree: the device's own word first.
HOSTNAME_PRIORITY = {"snmp": 0, "iot": 1, "nmap": 2, "arp": 3}
# Statuses a reviewer or an inventory gave; such assets are never merged into one another.
PROTECTED = ("documented", "approved", "ignored", "rogue")
CURRENT = '"current" = TRUE'

Fingerprinter = Callable[[list[Observation]], Any]


@dataclass
class ReconcileResult:
    """What one reconciliation did."""

    scan_id: int | None = None
    observations: int = 0
    devices: int = 0
    new: int = 0
    updated: int = 0
    unchanged: int = 0
    disappeared: int = 0
    reappeared: int = 0
    located: int = 0
    merged: int = 0
    new_asset_ids: list[int] = field(default_factory=list)
    new_undocumented_ids: list[int] = field(default_factory=list)
    reappeared_ids: list[int] = field(default_factory=list)
    disappeared_ids: list[int] = field(default_factory=list)
    rogue_seen_ids: list[int] = field(default_factory=list)
    asset_ids: list[int] = field(default_factory=list)

    @property
    def counts(self) -> dict[str, int]:
        """The figures for the scans row and the CLI."""
        return {k: getattr(self, k) for k in ("observations", "devices", "new", "updated", "unchanged",
                                               "disappeared", "reappeared", "located", "merged")}


# --------------------------------------------------------------------------------------------
# Grouping one sweep's observations into devices (pure)


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
        self.fingerprint = None
        self.fingerprinted = False


def _plain(o: Observation) -> bool:
    """The common sighting: one MAC and one IP at most, no interfaces, flags or strong keys."""
    return not (o.interfaces or o.flags or o.serial or o.snmp_engine_id)


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


def _compatible(a: Device, b: Device) -> bool:
    """May two groups sharing an IP be one device? Not when their strong keys disagree."""
    if a.serials and b.serials and not a.serials & b.serials:
        return False
    if a.engines and b.engines and not a.engines & b.engines:
        return False
    return not (a.gmacs and b.gmacs and not a.gmacs & b.gmacs and not (a.has_ifaces or b.has_ifaces))


def group_devices(observations: Iterable[Observation]) -> list[Device]:
    """Group HOST and NEIGHBOUR observations into devices by shared keys.

    Strong keys (serial, engine ID, global MAC) and randomised MACs join observations
    outright; a shared IP joins groups only when their strong keys do not disagree.
    """
    parent: list[int] = []

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    def join(first: int, idx: int) -> None:
        ra, rb = find(first), find(idx)
        if ra != rb:
            parent[rb] = ra

    obs_list: list[Observation] = []
    # per observation: (mac kind, mac, ip) for plain sightings, else the five key collections
    keyed: list[tuple[Any, ...]] = []
    first_mac: dict[str, int] = {}                 # MAC (global or randomised) -> first observation
    first_strong: dict[tuple[str, str], int] = {}  # ("s", serial) / ("e", engine ID) -> first observation
    for o in observations:
        if _plain(o):
            mac = o.mac
            kind = mac_kind(mac) if mac else None
            ip = identity_ip(o.ip) if o.ip else None
            if kind is None and ip is None:
                continue
            idx = len(obs_list)
            obs_list.append(o)
            parent.append(idx)
            keyed.append((kind, mac, ip))
            if kind is not None:
                first = first_mac.setdefault(mac, idx)
                if first != idx:
                    join(first, idx)
            continue
        keys = _obs_keys(o)
        if not (keys[0] or keys[1] or keys[2] or keys[3] or keys[4]):
            continue
        idx = len(obs_list)
        obs_list.append(o)
        keyed.append(keys)
        parent.append(idx)
        for tag, values in (("s", keys[0]), ("e", keys[1])):
            for value in values:
                first = first_strong.setdefault((tag, value), idx)
                if first != idx:
                    join(first, idx)
        for values in (keys[2], keys[3]):
            for value in values:
                first = first_mac.setdefault(value, idx)
                if first != idx:
                    join(first, idx)

    by_root: dict[int, Device] = {}
    for idx, o in enumerate(obs_list):
        root = find(idx)
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
            # the key sets were built for this observation alone: the device may own them
            by_root[root] = Device(obs=[o], serials=serials, engines=engines, gmacs=gmacs, lmacs=lmacs,
                                   ips=ips, has_ifaces=bool(o.interfaces))
            continue
        dev.obs.append(o)
        dev.serials |= serials
        dev.engines |= engines
        dev.gmacs |= gmacs
        dev.lmacs |= lmacs
        dev.ips.extend(ip for ip in ips if ip not in dev.ips)
        dev.has_ifaces = dev.has_ifaces or bool(o.interfaces)

    devices = list(by_root.values())
    shared: dict[str, int] = defaultdict(int)
    for dev in devices:
        for ip in dev.ips:
            shared[ip] += 1
    if len(shared) == sum(shared.values()):
        return devices             # no IP claimed by two groups: nothing to join
    # Join groups that share an IP, strong groups first, unless their strong keys disagree.
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


# --------------------------------------------------------------------------------------------
# Aggregating a device's observations (pure)


def _aware(value: datetime | None) -> datetime:
    if value is None:
        return utcnow()
    if value.tzinfo is UTC:
        return value
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


@dataclass(slots=True)
class Summary:
    """What a device's observations say, merged across methods."""

    first: datetime
    last: datetime
    hostname: str | None
    serial: str | None
    engine: str | None
    credential: str | None
    methods: set[str]
    ips: list[str]
    ip_mac: dict[str, str]
    macs: dict[str, dict[str, Any]]         # mac -> interface details
    services: dict[tuple[int, str], Any]
    services_authoritative: bool
    software: dict[tuple[str, str | None], Any]
    host_seen: bool


def _recordable(mac: str) -> bool:
    """Worth an interfaces row: any unicast, non-zero MAC (shared virtual ones included)."""
    return mac != "00:00:00:00:00:00" and not int(mac[:2], 16) & 0x01


def _summarise_plain(dev: Device, o: Observation) -> Summary:
    """``summarise`` for the common device: one observation without interfaces, services or software."""
    macs: dict[str, dict[str, Any]] = {}
    ip_mac: dict[str, str] = {}
    mac = o.mac
    if mac and "proxy_arp" not in o.flags and _recordable(mac):
        macs[mac] = {}
        ip = identity_ip(o.ip)
        if ip and "ip_conflict" not in o.flags:
            ip_mac[ip] = mac
    seen = o.seen_at
    if seen is None or seen.tzinfo is not UTC:
        seen = _aware(seen)
    if seen.microsecond:
        seen = seen.replace(microsecond=0)
    return Summary(
        first=seen, last=seen, hostname=o.hostname,
        serial=o.serial if o.serial and serial_key(o.serial) else None,
        engine=engine_key(o.snmp_engine_id) if o.snmp_engine_id else None,
        credential=o.credential, methods={o.method}, ips=list(dev.ips), ip_mac=ip_mac, macs=macs,
        services={}, services_authoritative=False, software={}, host_seen=o.kind == HOST,
    )


def summarise(dev: Device) -> Summary:
    """Merge a device's observations into one Summary."""
    if len(dev.obs) == 1:
        o = dev.obs[0]
        if not (o.interfaces or o.services or o.software):
            return _summarise_plain(dev, o)
        obs = dev.obs
    else:
        obs = sorted(dev.obs, key=lambda o: (o.kind != HOST, HOSTNAME_PRIORITY.get(o.method, 9)))
    times = [_aware(o.seen_at) for o in obs]
    hostname = serial = engine = credential = None
    methods: set[str] = set()
    ip_mac: dict[str, str] = {}
    macs: dict[str, dict[str, Any]] = {}
    services: dict[tuple[int, str], Any] = {}
    software: dict[tuple[str, str | None], Any] = {}
    authoritative = host_seen = False
    for o in obs:
        methods.add(o.method)
        host_seen = host_seen or o.kind == HOST
        hostname = hostname or o.hostname
        if o.serial and not serial and serial_key(o.serial):
            serial = o.serial
        if o.snmp_engine_id and not engine:
            engine = engine_key(o.snmp_engine_id)
        credential = credential or o.credential
        if o.mac and "proxy_arp" not in o.flags and _recordable(o.mac):
            macs.setdefault(o.mac, {})
            ip = identity_ip(o.ip)
            if ip and "ip_conflict" not in o.flags:
                ip_mac.setdefault(ip, o.mac)
        for iface in o.interfaces:
            if iface.mac and _recordable(iface.mac):
                for ip in iface.ips:
                    norm = identity_ip(ip)
                    if norm:
                        ip_mac.setdefault(norm, iface.mac)
                info = macs.setdefault(iface.mac, {})
                for key, value in (("name", iface.name), ("if_index", iface.index), ("speed", iface.speed),
                                   ("oper_status", iface.status)):
                    if value is not None and key not in info:
                        info[key] = value
        for svc in o.services:
            key = (int(svc.port), (svc.protocol or "tcp").lower())
            if key not in services or (svc.product and not services[key].product):
                services[key] = svc
        if o.method == "nmap" and o.kind == HOST and o.services:
            authoritative = True
        for sw in o.software:
            software.setdefault((sw.name, sw.version), sw)
    first = min(times).replace(microsecond=0)
    return Summary(
        first=first, last=first if len(times) == 1 else max(times).replace(microsecond=0),
        hostname=hostname, serial=serial, engine=engine,
        credential=credential, methods=methods, ips=list(dev.ips), ip_mac=ip_mac, macs=macs,
        services=services, services_authoritative=authoritative, software=software,
        host_seen=host_seen,
    )


def merge_fingerprint(current: dict[str, Any], stored: dict[str, Any] | None,
                      new: Any) -> tuple[dict[str, Any], dict[str, Any] | None, float | None]:
    """Per field keep the higher-confidence value (ties go to the newer sighting).

    ``current`` holds the asset's field values; ``stored`` its fingerprint dict. Returns the
    changed fields, the fingerprint dict to store and the overall confidence (None: unchanged).
    """
    if new is None:
        return {}, stored, None
    new_dict = new.to_dict()
    old_conf = dict((stored or {}).get("confidence") or {})
    new_conf = dict(new_dict.get("confidence") or {})
    merged_conf = dict(old_conf)
    taken: set[str] = set()
    changes: dict[str, Any] = {}
    for name in FP_FIELDS:
        value = new_dict.get(name)
        if name == "device_class" and value == "unknown":
            value = None
        if value is None:
            continue
        old_value = current.get(name)
        if name == "device_class" and old_value == "unknown":
            old_value = None
        if old_value is None or new_conf.get(name, 0.0) >= old_conf.get(name, 0.0):
            taken.add(name)
            merged_conf[name] = new_conf.get(name, 0.0)
            if value != current.get(name):
                changes[name] = value
    old = stored or {}
    merged = {name: (new_dict.get(name) if name in taken else old.get(name, current.get(name)))
              for name in FP_FIELDS}
    if merged.get("device_class") is None:
        merged["device_class"] = current.get("device_class") or "unknown"
    merged["os_family"] = new_dict.get("os_family") if "os_name" in taken else old.get("os_family")
    merged["confidence"] = merged_conf
    merged["evidence"] = ([e for e in old.get("evidence") or [] if e.get("field") not in taken]
                          + [e for e in new_dict.get("evidence") or [] if e.get("field") in taken])
    merged["conflicts"] = ([e for e in old.get("conflicts") or [] if e.get("field") not in taken]
                           + [e for e in new_dict.get("conflicts") or [] if e.get("field") in taken])
    overall = merged_conf.get("device_class", max(merged_conf.values(), default=0.0))
    return changes, merged, overall


def _default_fingerprinter() -> Fingerprinter | None:
    try:
        import netdiscover.fingerprints.combine  # noqa: F401
        from netdiscover.fingerprints import fingerprint
    except ImportError:
        log.info("fingerprinting unavailable; devices are stored without a fingerprint")
        return None
    return fingerprint


def _fingerprint(fingerprinter: Fingerprinter | None, dev: Device) -> Any:
    if fingerprinter is None:
        return None
    try:
        return fingerprinter(list(dev.obs))
    except Exception:  # one odd device must not stop the sweep from being stored
        log.exception("fingerprinting failed for a device seen at %s", ", ".join(dev.ips[:3]) or "?")
        return None


# --------------------------------------------------------------------------------------------
# The transaction


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


class _Reconciler:
    """One sweep's writes, accumulated and flushed set-wise inside one transaction."""

    def __init__(self, conn: Connection, *, now: datetime, scan_id: int | None, site: str | None,
                 scope: netaddr.IPSet | None, complete: bool, fingerprinter: Fingerprinter | None,
                 result: ReconcileResult) -> None:
        self.conn = conn
        self.now = now
        self.scan_id = scan_id
        self.site = site
        self.scope = scope
        self.complete = complete
        self.fingerprinter = fingerprinter
        self.result = result
        self.events: list[tuple[Any, ...]] = []      # rows of EVENT_COLUMNS
        self.redirect: dict[int, int] = {}     # merged-away asset id -> survivor
        self.ip_holders: dict[str, set[int]] = defaultdict(set)
        # What identity matching read anyway, kept for the unchanged-device fast path (valid
        # only while no assets were merged): (asset id, mac) -> interface id and
        # (asset id, ip) -> (address id, mac) of current addresses.
        self.iface_ids: dict[tuple[int, str], int] = {}
        self.current_addrs: dict[tuple[int, str], tuple[int, str | None]] = {}
        self._in_scope: dict[str, bool] = {}

    # ---- helpers
    def event(self, asset_id: int | None, kind: str, old: dict[str, Any] | None = None,
              new: dict[str, Any] | None = None, note: str | None = None) -> None:
        self.events.append((asset_id, self.scan_id, kind, self.now, "sweep", note, old, new))

    def resolve(self, asset_id: int) -> int:
        while asset_id in self.redirect:
            asset_id = self.redirect[asset_id]
        return asset_id

    def in_scope(self, ip: str) -> bool:
        if self.scope is None:
            return True
        hit = self._in_scope.get(ip)
        if hit is None:
            try:
                hit = netaddr.IPAddress(ip) in self.scope
            except (netaddr.AddrFormatError, ValueError):
                hit = False
            self._in_scope[ip] = hit
        return hit

    # ---- identity
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
                                                     {m for d in devices for m in (*d.gmacs, *d.lmacs)}):
            mac_map[mac].append(asset_id)
            iface_ids[(asset_id, mac)] = iface_id
        current_addrs = self.current_addrs
        for asset_id, ip, addr_id, mac in bulk.fetch_in(conn, ADDR, ("asset_id", "ip", "id", "mac"), "ip",
                                                        {ip for d in devices for ip in d.ips}, CURRENT):
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
            if found:
                strong_cands[id(d)] = found if len(found) == 1 else list(dict.fromkeys(found))

        # Weaker matches for the rest: hostname within the site, then a current IP.
        rest = [d for d in devices if id(d) not in strong_cands]
        host_cands: dict[str, list[int]] = defaultdict(list)
        names = {}
        for d in rest:
            name = hostname_key(next((o.hostname for o in d.obs if o.hostname), None))
            if name:
                names[id(d)] = name
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

        for d in rest:
            chosen: int | None = None
            name = names.get(id(d))
            if name:
                for asset_id in host_cands.get(name, ()):
                    asset_id = self.resolve(asset_id)
                    info = infos.get(asset_id)
                    usable = info is not None and (not d.gmacs or not info.strong)
                    if usable and asset_id not in claimed:
                        chosen = asset_id
                        break
            if chosen is None:
                for ip in d.ips:
                    for asset_id in sorted(self.ip_holders.get(ip, ())):
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

    # ---- writes
    def apply(self, devices: list[Device]) -> None:
        known = [d for d in devices if d.asset_id is not None]
        new = [d for d in devices if d.asset_id is None]
        summaries = {id(d): summarise(d) for d in devices}
        for d in devices:
            if not d.fingerprinted:
                d.fingerprint = _fingerprint(self.fingerprinter, d)
                d.fingerprinted = True
        claimed_ips: dict[str, set[int]] = defaultdict(set)
        self._update_known(known, summaries)
        self._insert_new(new, summaries)
        for d in devices:
            for ip in d.ips:
                claimed_ips[ip].add(d.asset_id)
        self._retire_taken_ips(claimed_ips)
        self.result.asset_ids = sorted({d.asset_id for d in devices if d.asset_id is not None})

    def _asset_rows(self, ids: list[int], with_fp: list[int]) -> dict[int, dict[str, Any]]:
        conn = self.conn
        cols = ("id", "hostname", "serial", "snmp_engine_id", "vendor", "model", "os_name", "os_version",
                "device_class", "status", "present", "methods", "last_seen", "snmp_credential")
        # last_seen is only tested for NULL here: left unparsed
        assets = {r[0]: dict(zip(cols, r, strict=True))
                  for r in bulk.fetch_in(conn, A, cols, "id", ids, raw=("last_seen",))}
        for row in assets.values():
            row["fingerprint"] = None
        for asset_id, fp in bulk.select_in(conn, [A.c.id, A.c.fingerprint], A.c.id, with_fp):
            assets[asset_id]["fingerprint"] = fp
        return assets

    def _state(self, ids: list[int], with_svc: list[int],
               with_sw: list[int]) -> tuple[dict[int, list[Any]], dict[int, list[Any]], dict[int, list[Any]],
                                            dict[int, list[Any]]]:
        conn = self.conn
        ifaces: dict[int, list[Any]] = defaultdict(list)
        for r in bulk.select_in(conn, [I.c.id, I.c.asset_id, I.c.mac, I.c.name, I.c.if_index, I.c.speed,
                                       I.c.oper_status], I.c.asset_id, ids):
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
        result = self.result
        asset_seen: dict[tuple[datetime, datetime], list[int]] = defaultdict(list)
        iface_seen: dict[tuple[datetime, datetime], list[int]] = defaultdict(list)
        addr_seen: dict[tuple[datetime, datetime], list[int]] = defaultdict(list)
        if not self.redirect:
            rest = []
            for d in devices:
                s = summaries[id(d)]
                quiet = not (self.complete and s.host_seen) and self._quiet_known(
                    d, s, assets[d.asset_id], asset_seen, iface_seen, addr_seen)
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
            # identity and naming fields
            if s.hostname and s.hostname != row["hostname"]:
                if row["hostname"]:
                    self.event(aid, "hostname_changed", {"hostname": row["hostname"]},
                               {"hostname": s.hostname})
                changed["hostname"] = s.hostname
            if s.serial and serial_key(s.serial) != serial_key(row["serial"]):
                if row["serial"]:
                    self.event(aid, "serial_changed", {"serial": row["serial"]}, {"serial": s.serial})
                changed["serial"] = s.serial
            if s.engine and s.engine != row["snmp_engine_id"]:
                changed["snmp_engine_id"] = s.engine
            if s.credential and s.credential != row["snmp_credential"]:
                changed["snmp_credential"] = s.credential
            if d.fingerprint is not None:
                fields, fp, overall = merge_fingerprint(row, row["fingerprint"], d.fingerprint)
                changed.update(fields)
                if fields:
                    self._field_events(aid, row, fields)
                if fp is not None and fp != row["fingerprint"]:
                    changed["fingerprint"] = fp
                    changed["confidence"] = overall
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
            for mac, info in s.macs.items():
                r = have.get(mac)
                if r is None:
                    iface_ins.append(self._iface_row(aid, mac, info, s))
                    self.event(aid, "mac_added", None, {"mac": mac})
                else:
                    iface_seen[(s.first, s.last)].append(r.id)
                    if info:
                        upd = {"id": r.id}
                        for key in ("name", "if_index", "speed", "oper_status"):
                            if key in info and info[key] != getattr(r, key):
                                upd[key] = info[key]
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
            if self.complete and s.host_seen:
                for ip in sorted(old_current):
                    if ip not in s.ips and self.in_scope(ip):
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
        bulk.update_rows(conn, I, iface_upd)
        bulk.insert_rows(conn, I, iface_ins)
        bulk.update_rows(conn, ADDR, addr_upd)
        bulk.insert_rows(conn, ADDR, addr_ins)
        bulk.update_rows(conn, SVC, svc_upd)
        bulk.insert_rows(conn, SVC, svc_ins)
        bulk.update_rows(conn, SW, sw_upd)
        bulk.insert_rows(conn, SW, sw_ins)

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

    @staticmethod
    def _same_asset(d: Device, s: Summary, row: dict[str, Any]) -> bool:
        """The asset row already says all this device's sighting says, and nothing else is reported."""
        return not (d.fingerprint is not None or s.services or s.software or not row["present"]
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

        Not for a complete sweep's HOST sightings: those may retire current IPs this cannot see.
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

    def _iface_row(self, aid: int, mac: str, info: dict[str, Any], s: Summary) -> dict[str, Any]:
        return {"asset_id": aid, "mac": mac, "name": info.get("name"), "if_index": info.get("if_index"),
                "speed": info.get("speed"), "oper_status": info.get("oper_status"),
                "randomised": mac_kind(mac) == LOCAL, "first_seen": s.first, "last_seen": s.last}

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

    def _insert_new(self, devices: list[Device], summaries: dict[int, Summary]) -> None:
        if not devices:
            return
        ids = bulk.allocate_ids(self.conn, A, len(devices))
        now, site = self.now, self.site
        rows, iface_ins, addr_ins, svc_ins, sw_ins = [], [], [], [], []
        for d, aid in zip(devices, ids, strict=True):
            d.asset_id = aid
            s = summaries[id(d)]
            first, last = s.first, s.last
            methods = sorted(s.methods)
            if d.fingerprint is None:
                fields: dict[str, Any] = {}
                fp_dict, overall = None, None
            else:
                fields, fp_dict, overall = merge_fingerprint({}, None, d.fingerprint)
            rows.append((aid, s.hostname, s.serial, s.engine, fields.get("device_class") or "unknown",
                         fields.get("vendor"), fields.get("model"), fields.get("os_name"),
                         fields.get("os_version"), overall or 0.0, fp_dict, "undocumented", site, methods,
                         s.credential, True, first, last, now, now))
            for mac, info in s.macs.items():
                iface_ins.append((aid, mac, info.get("name"), info.get("if_index"), info.get("speed"),
                                  info.get("oper_status"), mac_kind(mac) == LOCAL, first, last))
            for ip in s.ips:
                addr_ins.append((aid, ip, s.ip_mac.get(ip), True, first, last))
            for svc in s.services.values():
                svc_ins.append(self._service_row(aid, svc, s))
            for sw in s.software.values():
                sw_ins.append({"asset_id": aid, "name": sw.name, "version": sw.version, "cpe": sw.cpe,
                               "first_seen": first, "last_seen": last})
            self.event(aid, "discovered", None, {"ips": s.ips, "macs": list(s.macs), "hostname": s.hostname,
                                                  "methods": methods})
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
        """Present assets with a current IP in the swept scope that nobody saw now: disappeared."""
        if not (self.complete and self.scope is not None):
            return
        rows = self.conn.execute(
            select(ADDR.c.asset_id, ADDR.c.ip).join(A, A.c.id == ADDR.c.asset_id)
            .where(A.c.present.is_(True), ADDR.c.current.is_(True))
        ).all()
        gone: dict[int, list[str]] = defaultdict(list)
        for asset_id, ip in rows:
            if asset_id not in seen and self.in_scope(ip):
                gone[asset_id].append(ip)
        if not gone:
            return
        bulk.update_in(self.conn, A, gone, {"present": False, "updated_at": self.now})
        for asset_id, ips in sorted(gone.items()):
            self.event(asset_id, "disappeared", {"present": True, "ips": sorted(ips)}, {"present": False})
        self.result.disappeared = len(gone)
        self.result.disappeared_ids = sorted(gone)

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


def reconcile(
    sessions: sessionmaker[Session],
    observations: Iterable[Observation],
    *,
    scan_id: int | None = None,
    scope: netaddr.IPSet | None = None,
    complete: bool = True,
    fingerprinter: Fingerprinter | None = None,
    now: datetime | None = None,
    site: str | None = None,
) -> ReconcileResult:
    """Merge one sweep's observations into the asset database in one transaction.

    ``scope`` is the IPSet that was swept: with ``complete`` True, present assets whose
    current IPs lie in it and that were not seen are marked disappeared. ``fingerprinter``
    defaults to ``netdiscover.fingerprints.fingerprint``. ``site`` scopes hostname matching of
    randomised-MAC devices and is set on new assets.
    """
    # A sweep allocates a few objects per observation and frees none until the end: the cyclic
    # collector would rescan the whole growing heap again and again (3-10x slower at 100k).
    collecting = gc.isenabled()
    gc.disable()
    try:
        return _reconcile(sessions, observations, scan_id=scan_id, scope=scope, complete=complete,
                          fingerprinter=fingerprinter, now=now, site=site)
    finally:
        if collecting:
            gc.enable()


def _reconcile(sessions: sessionmaker[Session], observations: Iterable[Observation], *, scan_id: int | None,
               scope: netaddr.IPSet | None, complete: bool, fingerprinter: Fingerprinter | None,
               now: datetime | None, site: str | None) -> ReconcileResult:
    now = _aware(now) if now else utcnow()
    obs = list(observations)
    result = ReconcileResult(scan_id=scan_id, observations=len(obs))
    hosts = [o for o in obs if o.kind in (HOST, NEIGHBOUR)]
    locations = [o for o in obs if o.kind == LOCATION]
    if fingerprinter is None:
        fingerprinter = _default_fingerprinter()
    devices = group_devices(hosts)
    for d in devices:
        d.fingerprint = _fingerprint(fingerprinter, d)
        d.fingerprinted = True

    with write_session(sessions) as session:
        rec = _Reconciler(session.connection(), now=now, scan_id=scan_id, site=site, scope=scope,
                          complete=complete, fingerprinter=fingerprinter, result=result)
        devices = rec.match(devices)
        result.devices = len(devices)
        rec.apply(devices)
        rec.disappear({d.asset_id for d in devices if d.asset_id is not None})
        owner = {id(o): d.asset_id for d in devices for o in d.obs}
        where = rec.locate(locations)
        pairs = [(o, owner.get(id(o))) for o in hosts]
        pairs += [(o, where.get(i)) for i, o in enumerate(locations)]
        rec.store_observations(pairs)
        rec.flush_events()
    return result
