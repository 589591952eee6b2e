"""Storing records: match each to an existing asset and write them in batches, all or nothing.

A record is matched to an asset by the strongest key both have, in this order: asset tag;
serial (makers compatible); a MAC that can identify a device; hostname within the same site;
a current IP whose asset has no conflicting MAC; the first acceptable candidate decides (the
``IMPORT`` policy of ``reconcile.identity_match``, the walk sweeps use too). A candidate already
documented under a different asset tag is never taken. Matching happens in memory per batch:
the candidates of a batch's keys are read with a handful of set-based queries, records earlier
in the file are visible to later ones, and the batch's new assets, interfaces, addresses,
updates and events are written with executemany/COPY (storage/bulk.py). Everything runs in one
write transaction.

Review status: a plain inventory row documents its asset (new assets are documented, an
undocumented asset becomes documented). A row carrying a review status (our own export's
``status`` column) restores that status instead and never documents an undocumented device.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from netdiscover.identity import mac_kind, vendors_compatible
from netdiscover.inventory.mapping import TEXT_FIELDS, Record
from netdiscover.reconcile.identity_match import IMPORT, walk
from netdiscover.reconcile.sources import DOCUMENTABLE, INVENTORY, with_sources
from netdiscover.storage.inventory_writes import InventoryStore

_TEMP = 1 << 60          # provisional ids of rows created in this batch sort after every real id
_DOCUMENTING = (None, "documented", "approved")
_RECORD_FIELDS = (*TEXT_FIELDS, "lifecycle_state", "device_class")
# What the import reads of an asset: every field a record may set, and what decides whether it may.
ASSET_COLUMNS = ("id", *_RECORD_FIELDS, "status", "fingerprint", "attributes", "field_sources")


@dataclass
class ImportResult:
    """What an import did."""

    records: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    skipped: list[str] = field(default_factory=list)
    asset_ids: list[int] = field(default_factory=list)


@dataclass(slots=True)
class _View:
    """An asset as the import sees it: its columns, MACs, IPs, and what the import changed."""

    id: int
    cols: dict[str, Any]
    macs: set[str]
    ips: set[str]
    new: bool = False
    dirty: set[str] = field(default_factory=set)


class _Batch:
    """One batch's candidate assets and key indexes, then its pending writes."""

    def __init__(self, store: InventoryStore, records: list[Record]) -> None:
        self.store = store
        self.views: dict[int, _View] = {}
        self.by_tag: dict[str, list[int]] = {}
        self.by_serial: dict[str, list[int]] = {}
        self.by_host: dict[str, list[int]] = {}
        self.by_mac: dict[str, list[tuple[int, int]]] = {}     # mac -> (interface id, asset id)
        self.by_ip: dict[str, list[tuple[int, int]]] = {}      # current ip -> (address id, asset id)
        self.new_interfaces: list[tuple[int, str, bool]] = []
        self.new_addresses: list[tuple[int, str, bool]] = []
        self.events: list[tuple[Any, ...]] = []
        self.order: list[int] = []                             # asset id per record
        self._next = _TEMP
        self._tables = {"asset_tag": self.by_tag, "serial": self.by_serial, "hostname": self.by_host}
        self._load(records)

    def temp_id(self) -> int:
        self._next += 1
        return self._next

    def _load(self, records: list[Record]) -> None:
        store = self.store
        tags = {r.asset_tag for r in records if r.asset_tag}
        serials: set[str] = set()
        hosts: set[str] = set()
        for r in records:
            serials.update(IMPORT.serial_spellings(r.serial))
            hosts.update(IMPORT.hostname_spellings(r.hostname))
        macs = {m for r in records for m in r.macs if mac_kind(m)}
        ips = {ip for r in records for ip in r.ips}
        ids = store.candidate_ids(tags, serials, hosts, macs, ips)
        if not ids:
            return
        for row in store.asset_columns(ids, ASSET_COLUMNS):
            cols = dict(zip(ASSET_COLUMNS, row, strict=True))
            self.views[row[0]] = _View(row[0], cols, set(), set())
        for iface_id, asset_id, mac in sorted(store.interfaces_of(ids)):
            self.views[asset_id].macs.add(mac)
            self.by_mac.setdefault(mac, []).append((iface_id, asset_id))
        for addr_id, asset_id, ip, current in sorted(store.addresses_of(ids)):
            self.views[asset_id].ips.add(ip)
            if current:
                self.by_ip.setdefault(ip, []).append((addr_id, asset_id))
        for view in sorted(self.views.values(), key=lambda v: v.id):
            self._index(view)

    def _index(self, view: _View, names: Iterable[str] = ("asset_tag", "serial", "hostname")) -> None:
        cols = view.cols
        for name in names:
            value = cols[name]
            if value:
                ids = self._tables[name].setdefault(value, [])
                if not ids or ids[-1] < view.id:
                    ids.append(view.id)
                elif view.id not in ids:
                    bisect.insort(ids, view.id)

    # ---- matching (the same rules, in the same order, as a query per key would apply)

    def match(self, rec: Record) -> _View | None:
        hit = walk(IMPORT, lambda key: self._candidates(key, rec),
                   lambda key, aid: self._acceptable(key, aid, rec))
        return self.views[hit[0]] if hit else None

    def _candidates(self, key: str, rec: Record) -> Iterable[int]:
        """The batch's assets ``rec``'s ``key`` names, lowest id (or interface/address id) first."""
        if key == "asset_tag":
            return self.by_tag.get(rec.asset_tag, ()) if rec.asset_tag else ()
        if key == "serial" and self.by_serial:
            spellings = IMPORT.serial_spellings(rec.serial)
            return sorted({a for s in spellings for a in self.by_serial.get(s, ())})
        if key == "mac" and self.by_mac:
            hits = sorted(e for m in rec.macs if mac_kind(m) for e in self.by_mac.get(m, ()))
            return [aid for _, aid in hits]
        if key == "hostname" and self.by_host:
            spellings = IMPORT.hostname_spellings(rec.hostname)
            return sorted({a for h in spellings for a in self.by_host.get(h, ())})
        if key == "ip" and rec.ips and self.by_ip:
            return [aid for _, aid in sorted(e for ip in rec.ips for e in self.by_ip.get(ip, ()))]
        return ()

    def _acceptable(self, key: str, aid: int, rec: Record) -> bool:
        cols = self.views[aid].cols
        if key == "asset_tag":
            return bool(cols["asset_tag"] == rec.asset_tag)
        if _other_record(cols, rec):
            return False
        if key == "serial":
            return (cols["serial"] in IMPORT.serial_spellings(rec.serial)
                    and vendors_compatible(cols["vendor"], rec.vendor))
        if key == "hostname":
            return (cols["hostname"] in IMPORT.hostname_spellings(rec.hostname)
                    and (cols["site"] or None) == (rec.site or None))
        if key == "ip":
            return not _conflicting_macs(self.views[aid], rec)
        return True

    def create(self, now: datetime) -> _View:
        view = _View(self.temp_id(), {c: None for c in ASSET_COLUMNS}, set(), set(), new=True)
        view.cols.update(device_class="unknown", status="documented")
        view.cols["id"] = view.id
        self.views[view.id] = view
        return view

    # ---- applying

    def apply(self, view: _View, rec: Record, now: datetime) -> dict[str, tuple[Any, Any]]:
        """Write the record's values onto the view; field -> (old, new) for what changed."""
        cols = view.cols
        changes: dict[str, tuple[Any, Any]] = {}
        for name in _RECORD_FIELDS:
            value = getattr(rec, name)
            if value is not None and cols[name] != value:
                changes[name] = (cols[name], value)
                cols[name] = value
                view.dirty.add(name)
                if name in ("asset_tag", "serial", "hostname"):
                    self._index(view, (name,))
        if rec.status in _DOCUMENTING:
            old_conf = (cols["fingerprint"] or {}).get("confidence") or {}
            recorded = [(name, value) for name, value in
                        (("vendor", rec.vendor), ("model", rec.model), ("device_class", rec.device_class))
                        if value and value != "unknown" and old_conf.get(name) != 1.0]
            if recorded:      # what people recorded outranks a guess
                fp = dict(cols["fingerprint"] or {})
                fp["confidence"] = {**old_conf, **{name: 1.0 for name, _ in recorded}}
                fp.update(recorded)
                cols["fingerprint"] = fp
                view.dirty.add("fingerprint")
            sources = _documented_sources(cols["field_sources"], rec)
            if sources != (cols["field_sources"] or {}):
                cols["field_sources"] = sources
                view.dirty.add("field_sources")
        if rec.attributes:
            merged = {**(cols["attributes"] or {}), **rec.attributes}
            if merged != (cols["attributes"] or {}):
                changes["attributes"] = (cols["attributes"], merged)
                cols["attributes"] = merged
                view.dirty.add("attributes")
        status = "documented" if rec.status is None and cols["status"] == "undocumented" else rec.status
        if status is not None and status != cols["status"]:
            changes["status"] = (cols["status"], status)
            cols["status"] = status
            view.dirty.add("status")
        added = self._add_addresses(view, rec)
        if added:
            if added[0]:
                changes["macs"] = (sorted(view.macs.difference(added[0])), added[0])
            if added[1]:
                changes["ips"] = (sorted(view.ips.difference(added[1])), added[1])
        if changes:
            cols["updated_at"] = now
            view.dirty.add("updated_at")
        return changes

    def fill_new(self, view: _View, rec: Record) -> None:
        """``apply`` for an asset this import creates: nothing to compare, no changes to list."""
        cols = view.cols
        for name in _RECORD_FIELDS:
            value = getattr(rec, name)
            if value is not None:
                cols[name] = value
        if rec.status is not None:
            cols["status"] = rec.status
        if rec.status in _DOCUMENTING:
            recorded = [(name, value) for name, value in
                        (("vendor", rec.vendor), ("model", rec.model), ("device_class", rec.device_class))
                        if value and value != "unknown"]
            if recorded:
                cols["fingerprint"] = {**dict(recorded), "confidence": {name: 1.0 for name, _ in recorded}}
            cols["field_sources"] = _documented_sources(None, rec) or None
        if rec.attributes:
            cols["attributes"] = dict(rec.attributes)
        for name, table in self._tables.items():     # a new asset has the highest id so far
            value = cols[name]
            if value:
                table.setdefault(value, []).append(view.id)
        if rec.macs or rec.ips:
            self._add_addresses(view, rec)

    def _add_addresses(self, view: _View, rec: Record) -> tuple[list[str], list[str]] | None:
        """Queue the record's MACs and IPs the asset lacks; returns (new MACs, new IPs) if any."""
        new_macs = [m for m in rec.macs if m not in view.macs]
        new_ips = [ip for ip in rec.ips if ip not in view.ips]
        if not new_macs and not new_ips:
            return None
        for mac in new_macs:
            view.macs.add(mac)
            self.by_mac.setdefault(mac, []).append((self.temp_id(), view.id))
            self.new_interfaces.append((view.id, mac, mac_kind(mac) == "local"))
        for ip in new_ips:
            view.ips.add(ip)
            current = not self.by_ip.get(ip)
            if current:
                self.by_ip.setdefault(ip, []).append((self.temp_id(), view.id))
            self.new_addresses.append((view.id, ip, current))
        return new_macs, new_ips

    # ---- writing

    def write(self, now: datetime) -> dict[int, int]:
        """Write the batch; returns provisional id -> real id of the assets it created."""
        created = [v for v in self.views.values() if v.new]
        real = dict(zip((v.id for v in created), self.store.allocate_asset_ids(len(created)), strict=True))
        names = [*ASSET_COLUMNS[1:], "id", "methods", "present", "confidence", "created_at", "updated_at"]
        fixed = ([], False, 0.0, now, now)
        rows = [(*map(view.cols.__getitem__, ASSET_COLUMNS[1:]), real[view.id], *fixed) for view in created]
        updates = [{"id": view.id, **{c: view.cols[c] for c in sorted(view.dirty)}}
                   for view in self.views.values() if view.dirty and not view.new]

        def final(batch: list[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
            return [(real.get(row[0], row[0]), *row[1:]) for row in batch] if real else batch

        self.store.write_batch(new_assets=(names, rows), updates=updates,
                               interfaces=final(self.new_interfaces), addresses=final(self.new_addresses),
                               events=final(self.events))
        return real


def _documented_sources(sources: dict[str, Any] | None, rec: Record) -> dict[str, Any]:
    """``sources`` with the fields this documenting record gives marked as inventory: sweeps keep them."""
    given = [name for name in DOCUMENTABLE if getattr(rec, name, None) not in (None, "", "unknown")]
    return with_sources(sources, given, INVENTORY)


def _other_record(cols: dict[str, Any], rec: Record) -> bool:
    """The asset is already a different documented record (another asset tag)."""
    tag = cols["asset_tag"]
    return bool(tag and rec.asset_tag and tag != rec.asset_tag)


def _conflicting_macs(view: _View, rec: Record) -> bool:
    mine = {m for m in rec.macs if mac_kind(m)}
    theirs = {m for m in view.macs if mac_kind(m)}
    return bool(mine and theirs and not mine & theirs)


def _jsonable(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    return value


def store_batch(store: InventoryStore, batch_records: list[Record], result: ImportResult, actor: str | None,
                now: datetime) -> None:
    """Match each record of one batch (earlier records visible to later ones), apply it, and write
    the batch; counts go to ``result``."""
    batch = _Batch(store, batch_records)
    for rec in batch_records:
        result.records += 1
        view = batch.match(rec)
        if view is None:
            view = batch.create(now)
            batch.fill_new(view, rec)
            batch.events.append((view.id, "imported", now, actor, f"inventory line {rec.line}", None,
                                 {"asset_tag": view.cols["asset_tag"], "hostname": view.cols["hostname"]}))
            result.created += 1
        else:
            changes = batch.apply(view, rec, now)
            if changes:
                batch.events.append((view.id, "updated", now, actor, f"inventory line {rec.line}",
                                     {k: _jsonable(v[0]) for k, v in changes.items()},
                                     {k: _jsonable(v[1]) for k, v in changes.items()}))
                result.updated += 1
            else:
                result.unchanged += 1
        batch.order.append(view.id)
    real = batch.write(now)
    result.asset_ids.extend(real.get(i, i) for i in batch.order)
