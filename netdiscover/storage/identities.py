"""Reading the identities of existing assets for identity matching, and folding one asset into another.

The identity matcher (``reconcile.matching``) asks these set-based questions for a whole sweep at
once: which assets carry these serials, engine IDs, MACs, DHCP identity keys, hostnames or current
IPs. Each is one chunked query (``storage.bulk``), never one per device.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, delete, select

from netdiscover.storage import bulk
from netdiscover.storage.models import (
    Address,
    Asset,
    AssetEvent,
    Interface,
    ObservationRecord,
    Service,
    Software,
)

A = Asset.__table__
I = Interface.__table__  # noqa: E741
ADDR = Address.__table__
CURRENT = '"current" = TRUE'
# Columns a survivor of a merge takes from the asset folded into it where it has none.
_FILLED = ("asset_tag", "hostname", "serial", "snmp_engine_id", "vendor", "model", "os_name", "os_version",
           "owner", "location", "site", "lifecycle_state")


class IdentityReads:
    """The identity questions one sweep asks of the assets, inside its transaction."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def by_serial(self, spellings: Iterable[str]) -> list[tuple[int, str, str | None]]:
        """(asset id, serial, vendor) of assets whose serial is one of ``spellings``."""
        return bulk.select_in(self.conn, [A.c.id, A.c.serial, A.c.vendor], A.c.serial, spellings)

    def by_engine(self, engines: Iterable[str]) -> list[tuple[int, str]]:
        """(asset id, SNMP engine ID) of assets with one of ``engines``."""
        return bulk.select_in(self.conn, [A.c.id, A.c.snmp_engine_id], A.c.snmp_engine_id, engines)

    def by_mac(self, macs: Iterable[str]) -> list[tuple[int, str, int]]:
        """(asset id, MAC, interface id) of interfaces with one of ``macs``."""
        return bulk.fetch_in(self.conn, I, ("asset_id", "mac", "id"), "mac", macs)

    def by_identity_key(self, keys: Iterable[str]) -> list[tuple[int, str]]:
        """(asset id, identity key) of interfaces that carried one of ``keys``."""
        return bulk.select_in(self.conn, [I.c.asset_id, I.c.identity_key], I.c.identity_key, keys)

    def identity_keys_of(self, ids: Iterable[int]) -> list[tuple[int, str]]:
        """(asset id, identity key) of the interfaces of ``ids`` that carry one."""
        return bulk.select_in(self.conn, [I.c.asset_id, I.c.identity_key], I.c.asset_id, ids,
                              "identity_key IS NOT NULL")

    def by_hostname(self, spellings: Iterable[str]) -> list[tuple[int, str, str | None]]:
        """(asset id, hostname, site) of assets whose hostname is one of ``spellings``."""
        return bulk.select_in(self.conn, [A.c.id, A.c.hostname, A.c.site], A.c.hostname, spellings)

    def current_holders(self, ips: Iterable[str]) -> list[tuple[int, str, int, str | None]]:
        """(asset id, IP, address id, MAC) of the current addresses among ``ips``."""
        return bulk.fetch_in(self.conn, ADDR, ("asset_id", "ip", "id", "mac"), "ip", ips, CURRENT)

    def sites(self, ids: Iterable[int]) -> dict[int, str | None]:
        """Asset id -> its site."""
        return dict(bulk.fetch_in(self.conn, A, ("id", "site"), "id", ids))

    def other_sites_exist(self, site: str) -> bool:
        """Does the database hold an asset of a site other than ``site``?"""
        cond = A.c.site.is_not(None) & (A.c.site != site)
        return self.conn.execute(select(A.c.id).where(cond).limit(1)).first() is not None

    def keys_of(self, ids: Iterable[int]) -> list[tuple[int, str, str | None, str | None, str | None,
                                                        str | None, str | None]]:
        """(id, status, asset tag, serial, vendor, engine ID, site) of ``ids``."""
        return bulk.select_in(self.conn, [A.c.id, A.c.status, A.c.asset_tag, A.c.serial, A.c.vendor,
                                          A.c.snmp_engine_id, A.c.site], A.c.id, ids)

    def macs_of(self, ids: Iterable[int]) -> list[tuple[int, str]]:
        """(asset id, MAC) of the interfaces of ``ids``."""
        return bulk.select_in(self.conn, [I.c.asset_id, I.c.mac], I.c.asset_id, ids)


def fold_asset(conn: Connection, survivor: int, victim: int, now: datetime) -> None:
    """Move everything of asset ``victim`` onto ``survivor`` (duplicate rows dropped) and delete it."""
    for table, keys in ((I, ("mac",)), (ADDR, ("ip",)), (Service.__table__, ("port", "protocol")),
                        (Software.__table__, ("name", "version"))):
        cols = [table.c[k] for k in keys]
        have = {tuple(r) for r in conn.execute(select(*cols).where(table.c.asset_id == survivor))}
        dup = [r[0] for r in conn.execute(select(table.c.id, *cols).where(table.c.asset_id == victim))
               if tuple(r[1:]) in have]
        for part in bulk.chunks(dup):
            conn.execute(delete(table).where(table.c.id.in_(part)))
        conn.execute(table.update().where(table.c.asset_id == victim).values(asset_id=survivor))
    for table in (ObservationRecord.__table__, AssetEvent.__table__):
        conn.execute(table.update().where(table.c.asset_id == victim).values(asset_id=survivor))
    keep = conn.execute(select(A).where(A.c.id == survivor)).mappings().one()
    gone = conn.execute(select(A).where(A.c.id == victim)).mappings().one()
    conn.execute(A.update().where(A.c.id == survivor).values(**_filled(keep, gone, now)))
    conn.execute(delete(A).where(A.c.id == victim))


def _filled(keep: Any, gone: Any, now: datetime) -> dict[str, Any]:
    """The survivor's columns after the fold: gaps filled, methods joined, the widest seen span."""
    fill = {c: gone[c] for c in _FILLED if keep[c] is None and gone[c] is not None}
    fill["methods"] = sorted(set(keep["methods"] or []) | set(gone["methods"] or []))
    firsts = [t for t in (keep["first_seen"], gone["first_seen"]) if t]
    lasts = [t for t in (keep["last_seen"], gone["last_seen"]) if t]
    if firsts:
        fill["first_seen"] = min(firsts)
    if lasts:
        fill["last_seen"] = max(lasts)
    fill["updated_at"] = now
    return fill
