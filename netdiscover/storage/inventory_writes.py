"""The storage side of an inventory import: reading a batch's candidate assets, writing the batch.

An import is one write transaction (``import_transaction``); each batch of records reads the
assets its keys may name with a handful of set-based queries and writes its new assets,
updates, interfaces, addresses and events with executemany/COPY (``storage.bulk``).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Connection
from sqlalchemy.orm import Session, sessionmaker

from netdiscover.storage import bulk
from netdiscover.storage.engine import write_session
from netdiscover.storage.models import Address, Asset, AssetEvent, Interface

A = Asset.__table__
I = Interface.__table__  # noqa: E741
ADDR = Address.__table__
EVENT_COLUMNS = ("asset_id", "kind", "at", "actor", "note", "old", "new")


@contextmanager
def import_transaction(sessions: sessionmaker[Session]) -> Iterator[InventoryStore]:
    """One import's write transaction, as an InventoryStore (raise inside to roll it back)."""
    with write_session(sessions) as session:
        yield InventoryStore(session.connection())


class InventoryStore:
    """An import's reads and writes, on the connection of its transaction."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def candidate_ids(self, tags: set[str], serials: set[str], hosts: set[str], macs: set[str],
                      ips: set[str]) -> set[int]:
        """Assets with one of these asset tags, serial or hostname spellings, MACs or current IPs."""
        conn = self.conn
        ids: set[int] = set()
        ids.update(i for (i,) in bulk.fetch_in(conn, A, ["id"], "asset_tag", tags))
        ids.update(i for (i,) in bulk.fetch_in(conn, A, ["id"], "serial", serials))
        ids.update(i for (i,) in bulk.fetch_in(conn, A, ["id"], "hostname", hosts))
        ids.update(a for (a,) in bulk.fetch_in(conn, I, ["asset_id"], "mac", macs))
        ids.update(a for (a,) in bulk.fetch_in(conn, ADDR, ["asset_id"], "ip", ips, where='"current"'))
        return ids

    def asset_columns(self, ids: set[int], columns: Sequence[str]) -> list[tuple[Any, ...]]:
        """``columns`` of the assets ``ids``."""
        return bulk.fetch_in(self.conn, A, columns, "id", ids)

    def interfaces_of(self, ids: set[int]) -> list[tuple[int, int, str]]:
        """(interface id, asset id, MAC) of the interfaces of ``ids``."""
        return bulk.fetch_in(self.conn, I, ["id", "asset_id", "mac"], "asset_id", ids)

    def addresses_of(self, ids: set[int]) -> list[tuple[int, int, str, bool]]:
        """(address id, asset id, IP, current) of the addresses of ``ids``."""
        return bulk.fetch_in(self.conn, ADDR, ["id", "asset_id", "ip", "current"], "asset_id", ids)

    def allocate_asset_ids(self, count: int) -> list[int]:
        return bulk.allocate_ids(self.conn, A, count)

    def write_batch(self, *, new_assets: tuple[Sequence[str], list[tuple[Any, ...]]],
                    updates: list[dict[str, Any]], interfaces: Iterable[tuple[Any, ...]],
                    addresses: Iterable[tuple[Any, ...]], events: Iterable[tuple[Any, ...]]) -> None:
        """Insert the batch's new assets (columns, rows), update the others, then add the new
        interfaces (asset_id, mac, randomised), addresses (asset_id, ip, current) and events."""
        names, rows = new_assets
        if rows:
            bulk.insert_tuples(self.conn, A, names, rows)
        bulk.update_rows(self.conn, A, updates)
        bulk.insert_tuples(self.conn, I, ("asset_id", "mac", "randomised"), list(interfaces))
        bulk.insert_tuples(self.conn, ADDR, ("asset_id", "ip", "current"), list(addresses))
        bulk.insert_tuples(self.conn, AssetEvent.__table__, EVENT_COLUMNS, list(events))
