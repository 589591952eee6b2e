"""Set-based reads and writes for large sweeps: chunked IN queries, executemany inserts and updates.

Reconciling 100k devices one ORM object at a time is far too slow; these helpers keep the
number of round trips proportional to the number of chunks, not rows, and hand rows to the
driver's executemany directly, converting only timestamps (UTC) and JSON values the same way
the models' column types do. They work inside the caller's transaction and never commit.
"""

from __future__ import annotations

import json
from collections import defaultdict, namedtuple
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import UTC, datetime
from operator import itemgetter
from typing import Any

from sqlalchemy import JSON, BigInteger, Column, Connection, Table, text, update

from netdiscover.storage.models import UTCDateTime

CHUNK = 5000          # values per IN list (SQLite allows 32766 bound variables)
BATCH = 20000         # rows per executemany call


def chunks(values: Sequence[Any], size: int = CHUNK) -> Iterator[Sequence[Any]]:
    """Consecutive slices of at most ``size`` values."""
    for start in range(0, len(values), size):
        yield values[start : start + size]


def select_in(conn: Connection, columns: Sequence[Column[Any]], key: Column[Any], values: Iterable[Any],
              where: str = "") -> list[Any]:
    """Rows (named tuples) of ``columns`` of one table whose ``key`` is one of ``values``.

    Deduplicated and chunked; goes through the driver directly (SQLAlchemy's expanding IN
    costs more than the query for lists this long). ``where`` is extra literal SQL.
    """
    table = columns[0].table
    names = tuple(c.name for c in columns)
    row_type = _row_type(names)
    return [row_type._make(r) for r in fetch_in(conn, table, names, key.name, values, where)]


_ROW_TYPES: dict[tuple[str, ...], Any] = {}


def _row_type(names: tuple[str, ...]) -> Any:
    found = _ROW_TYPES.get(names)
    if found is None:
        found = _ROW_TYPES[names] = namedtuple("Row", names)
    return found


def fetch_in(conn: Connection, table: Table, columns: Sequence[str], key: str, values: Iterable[Any],
             where: str = "", raw: Sequence[str] = ()) -> list[tuple[Any, ...]]:
    """Like ``select_in`` but through the driver directly, for hot paths: tuples of ``columns``.

    Timestamps come back timezone-aware and JSON decoded, as through the models, except the
    columns named in ``raw``. ``where`` is extra literal SQL (no user input) ANDed to the condition.
    """
    wanted = sorted({v for v in values if v is not None})
    if not wanted:
        return []
    quote = conn.dialect.identifier_preparer.quote
    convs = [None if name in raw else conv
             for name, conv in zip(columns, _result_converters(conn, table, columns), strict=True)]
    selected = [quote(c) for c in columns]
    if conn.dialect.name == "postgresql":
        # JSON as text: the same short lists repeat on every row, and _parse_json parses each once
        selected = [f"{q}::text" if isinstance(table.c[c].type, JSON) else q
                    for q, c in zip(selected, columns, strict=True)]
    head = f"SELECT {', '.join(selected)} FROM {quote(table.name)} WHERE {quote(key)} "
    return fetch_in_sql(conn, head, wanted, where, convs)


def fetch_in_sql(conn: Connection, head: str, values: Sequence[Any], where: str = "",
                 convs: Sequence[Callable[[Any], Any] | None] = ()) -> list[tuple[Any, ...]]:
    """Tuples of ``head`` (literal SQL up to ``WHERE key``, no user input) for the key ``IN``
    the sorted, distinct, non-null ``values``, chunked, through the driver; ``convs`` per column."""
    rows: list[tuple[Any, ...]] = []
    tail = f" AND {where}" if where else ""
    binary = {"binary": True} if conn.dialect.name == "postgresql" else {}
    cursor = conn.connection.driver_connection.cursor()   # same connection and transaction
    try:
        for part in chunks(values, _chunk(conn)):
            cursor.execute(f"{head}{_in_list(conn, len(part), part[0])}{tail}",
                           _in_params(conn, part), **binary)
            rows.extend(_convert(cursor.fetchall(), convs))
    finally:
        cursor.close()
    return rows


def counts_in(conn: Connection, table: Table, key: str, values: Iterable[Any], where: str = "",
              above: int = 1) -> dict[Any, int]:
    """How many rows of ``table`` share each ``key`` value in ``values``, for counts above ``above``.

    Values with ``above`` rows or fewer are left out, so the usual answer is small.
    ``where`` is extra literal SQL (no user input) ANDed to the condition.
    """
    wanted = sorted({v for v in values if v is not None})
    if not wanted:
        return {}
    quote = conn.dialect.identifier_preparer.quote
    tail = f" AND {where}" if where else ""
    found: dict[Any, int] = {}
    cursor = conn.connection.driver_connection.cursor()   # same connection and transaction
    try:
        for part in chunks(wanted, _chunk(conn)):
            cursor.execute(f"SELECT {quote(key)}, count(*) FROM {quote(table.name)} "
                           f"WHERE {quote(key)} {_in_list(conn, len(part), part[0])}{tail} "
                           f"GROUP BY {quote(key)} HAVING count(*) > {int(above)}", _in_params(conn, part))
            found.update(cursor.fetchall())
    finally:
        cursor.close()
    return found


def _convert(rows: Sequence[Sequence[Any]], convs: Sequence[Callable[[Any], Any] | None]) -> list[Any]:
    """Apply per-column converters, touching only the columns that have one (column-wise: the
    per-row Python loop cost more than the conversions)."""
    if not any(convs):
        return [tuple(r) for r in rows]
    if not rows:
        return []
    return list(zip(*_columns(rows, convs), strict=True))


def _columns(rows: Sequence[Sequence[Any]],
             convs: Sequence[Callable[[Any], Any] | None]) -> list[tuple[Any, ...]]:
    """The rows' values column by column, each converted by its converter (if any)."""
    columns = list(zip(*rows, strict=True))
    for i, conv in enumerate(convs):
        if conv is None:
            continue
        values = columns[i]
        first = values[0]
        if first is None and values.count(None) == len(values):     # every converter keeps None
            continue
        if values[-1] is first and len(set(map(id, values))) == 1:  # one shared object ({}, say)
            columns[i] = (conv(first),) * len(values)
            continue
        if conv in _TIME_CONVERTERS:
            # a sweep's times repeat (its moment, each device's second): convert each value once
            distinct = dict.fromkeys(values)
            if 2 * len(distinct) < len(values):
                for value in distinct:
                    distinct[value] = conv(value)
                columns[i] = tuple(map(distinct.__getitem__, values))
                continue
        columns[i] = tuple(map(conv, values))
    return columns


_CONSTANTS_FROM = 100     # rows in a batch before shared values are written into the INSERT


def _sqlite_literal(value: Any) -> str | None:
    """``value`` as an SQLite literal when it is safe and cheap to write one, else None."""
    if value is None:
        return "NULL"
    if type(value) is bool or type(value) is int:
        return str(int(value))
    if type(value) is float and value == value and abs(value) != float("inf"):
        return repr(value)
    if type(value) is str and len(value) <= 64 and value.isprintable():
        return "'" + value.replace("'", "''") + "'"
    return None


def _sqlite_insert(table: str, names: Sequence[str],
                   columns: list[tuple[Any, ...]]) -> tuple[str, list[Any]]:
    """An INSERT and its rows that bind only the columns whose value varies between rows.

    Columns NULL in every row are left out (they default to NULL); in a large batch, a value
    every row shares (a new asset's status, the sweep's moment) is written into the statement
    once. A new asset leaves most of its twenty columns empty, and binding values is the part
    of an insert there is to save.
    """
    bound: list[int] = []
    constant: dict[int, str] = {}
    for i, column in enumerate(columns):
        first = column[0]
        # (the first and last values reject most columns before a count of the whole column)
        if first is None and column[-1] is None and column.count(None) == len(column):
            continue
        literal = None
        if (len(column) >= _CONSTANTS_FROM and column[-1] == first and column.count(first) == len(column)
                and len(set(map(type, column))) == 1):    # 1 == 1.0 == True, yet a text column differs
            literal = _sqlite_literal(first)
        if literal is None:
            bound.append(i)
        else:
            constant[i] = literal
    if not bound:                   # executemany needs a bound value per row
        bound.append(next(iter(constant), 0))
        constant.pop(bound[0], None)
    sql = (f"INSERT INTO {table} ({', '.join([*(names[i] for i in bound), *(names[i] for i in constant)])}) "
           f"VALUES ({', '.join(['?'] * len(bound) + list(constant.values()))})")
    return sql, list(zip(*(columns[i] for i in bound), strict=True))


def _chunk(conn: Connection) -> int:
    return 50_000 if conn.dialect.name == "postgresql" else CHUNK


def _in_list(conn: Connection, count: int, sample: Any = None) -> str:
    """``IN (?, ?, ...)`` for SQLite; one array parameter for PostgreSQL.

    ``= ANY(array)`` would let the planner pick a sequential scan that compares every row
    with every array element; a semi-join on ``unnest`` keeps the index lookups.
    """
    if conn.dialect.name == "postgresql":
        return f"IN (SELECT unnest(%s::{'bigint' if isinstance(sample, int) else 'text'}[]))"
    return f"IN ({', '.join([_marker(conn)] * count)})"


def _in_params(conn: Connection, values: Sequence[Any]) -> tuple[Any, ...]:
    return (pg_array(values),) if conn.dialect.name == "postgresql" else tuple(values)


def pg_array(values: Sequence[Any]) -> str:
    """A PostgreSQL array literal of ints or strings (cast it in SQL), every string quoted.

    The driver's list adapter inspects each element with a regular expression; for the 50k
    values of an IN list that took longer than the query.
    """
    if values and type(values[0]) is int:     # IN lists are sorted, so never mixed
        return "{" + ",".join(map(str, values)) + "}"
    return "{" + ",".join('"' + str(v).replace("\\", "\\\\").replace('"', '\\"') + '"' for v in values) + "}"


def _parse_sqlite_time(value: Any) -> datetime | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    return datetime.fromisoformat(value).replace(tzinfo=UTC)


_JSON_LISTS: dict[str, list[str]] = {}


def _parse_json(value: Any) -> Any:
    if not isinstance(value, str | bytes):
        return value
    if len(value) > 64 or not value.startswith("["):
        return json.loads(value)
    # Short lists of names (scan methods) repeat on every row: parse each text once.
    found = _JSON_LISTS.get(value)
    if found is None:
        parsed = json.loads(value)
        if not all(isinstance(item, str) for item in parsed):
            return parsed
        if len(_JSON_LISTS) > 10_000:
            _JSON_LISTS.clear()
        found = _JSON_LISTS[value] = parsed
    return list(found)


def _result_converters(conn: Connection, table: Table,
                       names: Sequence[str]) -> list[Callable[[Any], Any] | None]:
    sqlite = conn.dialect.name == "sqlite"
    out: list[Callable[[Any], Any] | None] = []
    for name in names:
        col_type = table.c[name].type
        if isinstance(col_type, UTCDateTime):
            out.append(_parse_sqlite_time if sqlite else _pg_time)
        elif isinstance(col_type, JSON):
            out.append(_parse_json)
        elif sqlite and col_type.python_type is bool:
            out.append(_bool)
        else:
            out.append(None)
    return out


def _bool(value: Any) -> bool | None:
    return None if value is None else bool(value)


# ---- value conversion, as the column types would do it

_TIME_TEXT: dict[datetime, str] = {}


def _sqlite_time(value: datetime | None) -> str | None:
    if value is None:
        return None
    if value.microsecond and value.tzinfo is UTC:
        return value.isoformat(" ", "microseconds")[:26]      # a sighting's own moment: unique
    found = _TIME_TEXT.get(value)       # the same few seconds repeat on many rows
    if found is not None:
        return found
    norm = value.astimezone(UTC) if value.tzinfo is not None and value.tzinfo is not UTC else value
    # "YYYY-MM-DD HH:MM:SS.ffffff", as the column type stores it (without the offset)
    found = norm.isoformat(" ", "microseconds")[:26]
    if len(_TIME_TEXT) > 200_000:
        _TIME_TEXT.clear()
    _TIME_TEXT[value] = found
    return found


def _pg_time(value: datetime | None) -> datetime | None:
    if value is None or value.tzinfo is not None:
        return value
    return value.replace(tzinfo=UTC)


_LIST_TEXT: dict[tuple[str, ...], str] = {}


def _document_encoder() -> Callable[[Any], str]:
    """json.dumps' own text, without the reference-cycle bookkeeping (our values are plain
    trees) and, where the C encoder exists, without building it again for every document."""
    encoder = json.JSONEncoder(check_circular=False)
    make = getattr(json.encoder, "c_make_encoder", None)
    if make is None:
        return encoder.encode
    try:        # the arguments JSONEncoder.iterencode passes for its defaults
        chunks_of = make(None, encoder.default, json.encoder.encode_basestring_ascii, None,
                         encoder.key_separator, encoder.item_separator, False, False, True)
    except TypeError:
        return encoder.encode

    def encode(value: Any) -> str:
        if type(value) is str:
            return json.encoder.encode_basestring_ascii(value)
        return "".join(chunks_of(value, 0))
    return encode


_encode = _document_encoder()


def _json(value: Any) -> str | None:
    if value is None:
        return None
    if not value and type(value) is dict:
        return "{}"
    if type(value) is list and len(value) < 8 and all(type(v) is str for v in value):
        key = tuple(value)
        found = _LIST_TEXT.get(key)
        if found is None:
            if len(_LIST_TEXT) > 10_000:
                _LIST_TEXT.clear()
            found = _LIST_TEXT[key] = _encode(value)
        return found
    return _encode(value)



# Converters of hashable values that repeat within a column: worth mapping once per value.
_TIME_CONVERTERS = (_sqlite_time, _parse_sqlite_time, _pg_time)


def _converters(conn: Connection, table: Table, names: Sequence[str]) -> list[Callable[[Any], Any] | None]:
    sqlite = conn.dialect.name == "sqlite"
    out: list[Callable[[Any], Any] | None] = []
    for name in names:
        col_type = table.c[name].type
        if isinstance(col_type, UTCDateTime):
            out.append(_sqlite_time if sqlite else _pg_time)
        elif isinstance(col_type, JSON):
            out.append(_json)
        else:
            out.append(None)
    return out


def _marker(conn: Connection) -> str:
    return "?" if conn.dialect.paramstyle == "qmark" else "%s"


def _tuples(rows: Sequence[dict[str, Any]], names: Sequence[str],
            convs: Sequence[Callable[[Any], Any] | None]) -> list[Any]:
    """Rows (all with the keys ``names``) as driver parameter tuples, converted."""
    if len(names) == 1:
        name = names[0]
        values = [(row[name],) for row in rows]
    else:
        getter = itemgetter(*names)
        values = [getter(row) for row in rows]
    return _convert(values, convs)


def _executemany(conn: Connection, sql: str, params: list[tuple[Any, ...]]) -> None:
    for part in chunks(params, BATCH):
        conn.exec_driver_sql(sql, list(part))


def insert_rows(conn: Connection, table: Table, rows: Sequence[dict[str, Any]]) -> None:
    """Insert many rows; rows with different key sets go in separate batches.

    PostgreSQL gets them through COPY (an order of magnitude fewer round trips than
    executemany); SQLite, in-process, through executemany.
    """
    for batch in _by_keys(rows):
        names = list(batch[0])
        insert_tuples(conn, table, names, [tuple(row.values()) for row in batch])


def insert_tuples(conn: Connection, table: Table, names: Sequence[str],
                  rows: Sequence[tuple[Any, ...]]) -> None:
    """Insert many rows given as tuples of the columns ``names`` (Python values, converted here)."""
    if not rows:
        return
    if conn.dialect.name == "postgresql" and len(rows) > 50:
        _copy(conn, table, names, _convert(rows, _converters(conn, table, names)))
        return
    quote = conn.dialect.identifier_preparer.quote
    columns = _columns(rows, _converters(conn, table, names))
    if conn.dialect.name == "sqlite":
        sql, values = _sqlite_insert(quote(table.name), [quote(n) for n in names], columns)
    else:
        mark = _marker(conn)
        sql = (f"INSERT INTO {quote(table.name)} ({', '.join(quote(n) for n in names)}) "
               f"VALUES ({', '.join([mark] * len(names))})")
        values = list(zip(*columns, strict=True))
    _executemany(conn, sql, values)


def _copy(conn: Connection, table: Table, names: Sequence[str], rows: list[Any]) -> None:
    """COPY the rows in binary when every value has the Python type its column's binary form
    needs (the usual case, and the driver's fast path); otherwise in text, which PostgreSQL
    parses as an INSERT would (a "5" for an integer column, say)."""
    quote = conn.dialect.identifier_preparer.quote
    types = [_copy_type(table.c[name]) for name in names]
    binary = all(set(map(type, column)) <= _BINARY_FITS[kind]
                 for column, kind in zip(zip(*rows, strict=True), types, strict=True))
    sql = (f"COPY {quote(table.name)} ({', '.join(quote(n) for n in names)}) FROM STDIN"
           + (" (FORMAT BINARY)" if binary else ""))
    with conn.connection.driver_connection.cursor() as cursor, cursor.copy(sql) as copy:
        if binary:
            copy.set_types(types)
        for row in rows:
            copy.write_row(row)


_NONE_TYPE = type(None)
# Python types whose binary dump each declared COPY type accepts as it is.
_BINARY_FITS = {
    "text": {str, _NONE_TYPE},
    "int4": {int, _NONE_TYPE},
    "int8": {int, _NONE_TYPE},
    "float8": {float, int, _NONE_TYPE},
    "bool": {bool, _NONE_TYPE},
    "timestamptz": {datetime, _NONE_TYPE},
}


def _copy_type(column: Column[Any]) -> str:
    """The PostgreSQL type COPY is told a column has, so the driver picks each value's dumper once.

    JSON values arrive here already encoded: sent as text, whose bytes the json column reads as
    the document itself (declared json, the driver would encode the text once more).
    """
    col_type = column.type
    if isinstance(col_type, UTCDateTime):
        return "timestamptz"
    if isinstance(col_type, JSON):
        return "text"
    if isinstance(col_type, BigInteger):
        return "int8"
    return {bool: "bool", int: "int4", float: "float8"}.get(col_type.python_type, "text")


def allocate_ids(conn: Connection, table: Table, count: int) -> list[int]:
    """Reserve ``count`` new primary keys of ``table``.

    PostgreSQL: from the table's sequence (safe with any concurrent writer). SQLite: after the
    current maximum, which is safe because writers hold the database lock (BEGIN IMMEDIATE).
    """
    if count <= 0:
        return []
    if conn.dialect.name == "postgresql":
        # the sequence named once: pg_get_serial_sequence on every row took 5-60x as long as nextval
        sequence = conn.execute(text(f"SELECT pg_get_serial_sequence('{table.name}', 'id')")).scalar_one()
        with conn.connection.driver_connection.cursor() as cursor:     # same connection and transaction
            cursor.execute("SELECT nextval(%s::regclass) FROM generate_series(1, %s)", (sequence, count),
                           binary=True)
            return sorted(row[0] for row in cursor.fetchall())
    start = conn.execute(text(f"SELECT coalesce(max(id), 0) FROM {table.name}")).scalar_one()
    return list(range(start + 1, start + 1 + count))


def insert_with_ids(conn: Connection, table: Table, rows: Sequence[dict[str, Any]]) -> list[int]:
    """Insert rows under freshly allocated ids, returned in the same order as ``rows``."""
    ids = allocate_ids(conn, table, len(rows))
    for row, new_id in zip(rows, ids, strict=True):
        row["id"] = new_id
    insert_rows(conn, table, rows)
    return ids


def update_rows(conn: Connection, table: Table, rows: Sequence[dict[str, Any]]) -> None:
    """Update rows by primary key: each dict has ``id`` plus the columns to set.

    Rows that set the same values (typically "last seen at this second") are updated
    together with one ``WHERE id IN (...)`` per chunk; the rest go through executemany.
    """
    mark = _marker(conn)
    quote = conn.dialect.identifier_preparer.quote
    for batch in _by_keys(rows):
        names = [k for k in batch[0] if k != "id"]
        if not names:
            continue
        convs = _converters(conn, table, names)
        setter = ", ".join(f"{quote(n)} = {mark}" for n in names)
        same: dict[tuple[Any, ...], list[int]] = defaultdict(list)
        single: list[dict[str, Any]] = []
        for row in batch:
            values = tuple(row[n] for n in names)
            try:
                same[values].append(row["id"])
            except TypeError:          # unhashable (JSON) values: row by row
                single.append(row)
        for values, ids in list(same.items()):
            if len(ids) == 1:
                single.append({"id": ids[0], **dict(zip(names, values, strict=True))})
                continue
            params = tuple(c(v) if c else v for v, c in zip(values, convs, strict=True))
            for part in chunks(sorted(ids), _chunk(conn)):
                sql = f"UPDATE {quote(table.name)} SET {setter} WHERE id {_in_list(conn, len(part), part[0])}"
                conn.exec_driver_sql(sql, (*params, *_in_params(conn, part)))
        if single:
            sql = f"UPDATE {quote(table.name)} SET {setter} WHERE id = {mark}"
            _executemany(conn, sql, _tuples(single, [*names, "id"], [*convs, None]))


def touch_seen(conn: Connection, table: Table, seen: dict[tuple[datetime, datetime], list[int]]) -> None:
    """Widen first_seen/last_seen of rows by id to include the given (first, last) sighting.

    Done in SQL (never moves last_seen back, nor first_seen forward), grouped by identical
    times, so a rescan of 100k devices costs a few dozen statements.
    """
    mark = _marker(conn)
    quote = conn.dialect.identifier_preparer.quote
    conv = _converters(conn, table, ["last_seen"])[0]
    assert conv is not None
    sql_head = (f"UPDATE {quote(table.name)} SET "
                f"last_seen = CASE WHEN last_seen IS NULL OR last_seen < {mark} THEN {mark} "
                f"ELSE last_seen END, "
                f"first_seen = CASE WHEN first_seen IS NULL OR first_seen > {mark} THEN {mark} "
                f"ELSE first_seen END WHERE id ")
    for (first, last), ids in seen.items():
        times = (conv(last), conv(last), conv(first), conv(first))
        for part in chunks(sorted(set(ids)), _chunk(conn)):
            conn.exec_driver_sql(sql_head + _in_list(conn, len(part), part[0]),
                                     (*times, *_in_params(conn, part)))


def update_in(conn: Connection, table: Table, ids: Iterable[int], values: dict[str, Any]) -> None:
    """Set the same ``values`` on every row whose id is in ``ids`` (chunked)."""
    wanted = sorted(set(ids))
    for part in chunks(wanted):
        conn.execute(update(table).where(table.c.id.in_(part)).values(**values))


def _by_keys(rows: Sequence[dict[str, Any]]) -> list[list[dict[str, Any]]]:
    groups: dict[tuple[str, ...], list[dict[str, Any]]] = defaultdict(list)
    for row in rows:
        groups[tuple(row)].append(row)
    return list(groups.values())
