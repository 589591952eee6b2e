"""Set-based reads and writes for large sweeps: chunked IN queries, executemany inserts and updates.

Reconciling 100k devices one ORM object at a time is far too slow; these helpers keep the
number of round trips proportional to the number of chunks, not rows. They work on a Core
Connection inside the caller's transaction and never commit.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from sqlalchemy import Column, Connection, Table, bindparam, insert, select, update

CHUNK = 5000          # values per IN list (SQLite allows 32766 bound variables)


def chunks(values: Sequence[Any], size: int = CHUNK) -> Iterator[Sequence[Any]]:
    """Consecutive slices of at most ``size`` values."""
    for start in range(0, len(values), size):
        yield values[start : start + size]


def select_in(conn: Connection, columns: Sequence[Any], key: Column[Any], values: Iterable[Any],
              *where: Any) -> list[Any]:
    """Rows of ``columns`` whose ``key`` is one of ``values`` (deduplicated, chunked)."""
    wanted = sorted({v for v in values if v is not None})
    rows: list[Any] = []
    for part in chunks(wanted):
        rows.extend(conn.execute(select(*columns).where(key.in_(part), *where)).all())
    return rows


def insert_rows(conn: Connection, table: Table, rows: Sequence[dict[str, Any]]) -> None:
    """Insert many rows; rows with different key sets go in separate batches."""
    for batch in _by_keys(rows):
        conn.execute(insert(table), batch)


def insert_returning_ids(conn: Connection, table: Table, rows: Sequence[dict[str, Any]]) -> list[int]:
    """Insert many rows (all with the same keys) and return their new ids in the same order."""
    if not rows:
        return []
    stmt = insert(table).returning(table.c.id, sort_by_parameter_order=True)
    return [row[0] for row in conn.execute(stmt, list(rows))]


def update_rows(conn: Connection, table: Table, rows: Sequence[dict[str, Any]]) -> None:
    """Update rows by primary key: each dict has ``id`` plus the columns to set."""
    stmt = update(table).where(table.c.id == bindparam("_id"))
    for batch in _by_keys(rows):
        params = [{("_id" if k == "id" else k): v for k, v in row.items()} for row in batch]
        conn.execute(stmt, params)


def update_in(conn: Connection, table: Table, ids: Iterable[int], values: dict[str, Any]) -> None:
    """Set the same ``values`` on every row whose id is in ``ids`` (chunked)."""
    wanted = sorted(set(ids))
    for part in chunks(wanted):
        conn.execute(update(table).where(table.c.id.in_(part)).values(**values))


def _by_keys(rows: Sequence[dict[str, Any]]) -> list[list[dict[str, Any]]]:
    groups: dict[tuple[str, ...], list[dict[str, Any]]] = defaultdict(list)
    for row in rows:
        groups[tuple(sorted(row))].append(row)
    return list(groups.values())
