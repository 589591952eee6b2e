"""Column definitions: how each report's rows become flat cells for the table and CSV renderers."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from netdiscover.fields import BY_NAME, LIST_TABLE
from netdiscover.reports.text import when


@dataclass(frozen=True)
class Column:
    """A header, how to get the cell text from a row, and how the terminal table shows it.

    ``width`` is the widest the cell gets on a terminal. A ``key`` column is never dropped on a
    narrow terminal; it shrinks down to ``min_width`` and wraps instead. A ``wrap`` column wraps
    long text onto more lines at word boundaries instead of cutting it.
    """

    header: str
    get: Callable[[dict[str, Any]], Any]
    width: int = 30
    key: bool = False
    min_width: int = 0
    wrap: bool = False


class TableColumns(list):
    """Columns of a terminal table plus a step that turns report rows into table rows first."""

    def __init__(self, columns: Sequence[Column],
                 prepare: Callable[[Sequence[dict[str, Any]]], list[dict[str, Any]]] | None = None) -> None:
        super().__init__(columns)
        self.prepare = prepare


def joined(values: Any, sep: str = ", ") -> str:
    return sep.join(str(v) for v in values or [] if v not in (None, ""))


def service_text(svc: dict[str, Any]) -> str:
    """One service as ``port/proto name product version``."""
    label = f"{svc.get('port')}/{svc.get('protocol') or 'tcp'}"
    name = " ".join(str(p) for p in (svc.get("name"), svc.get("product"), svc.get("version")) if p)
    return f"{label} {name}".strip()


def services_text(row: dict[str, Any]) -> str:
    return joined([service_text(s) for s in row.get("services") or []])


def _items(values: list[Any] | None, joiner: str) -> str:
    return joined((service_text(v) if isinstance(v, dict) else v for v in values or []), joiner)


def field_cell(name: str, joiner: str = ", ") -> Callable[[dict[str, Any]], Any]:
    """How a table shows asset field ``name`` of a row: times as "when", lists joined by ``joiner``."""
    kind = BY_NAME[name].kind
    if kind == "time":
        return lambda r: when(r.get(name))
    if kind in ("tags", "list"):
        return lambda r: _items(r.get(name), joiner)
    return lambda r: r.get(name)


def field_column(name: str, width: int = 30, *, get: Callable[[dict[str, Any]], Any] | None = None,
                 joiner: str = ", ", **options: Any) -> Column:
    """A terminal-table column of asset field ``name`` under its label (netdiscover.fields)."""
    return Column(BY_NAME[name].label, get or field_cell(name, joiner), width, **options)


def csv_column(name: str) -> Column:
    """A CSV column of asset field ``name``, headed by the field's name; lists joined by spaces."""
    if BY_NAME[name].kind in ("tags", "list"):
        return Column(name, lambda r: _items(r.get(name), " "))
    return Column(name, lambda r: r.get(name))


def found_by_text(row: dict[str, Any]) -> str:
    fb = row.get("found_by") or {}
    parts = [joined(fb.get("methods"), "+")]
    parts += [f"ARP table of {r}" for r in fb.get("routers") or []]
    parts += [f"port {p}" for p in fb.get("switch_ports") or []]
    return joined(parts, "; ")


def class_text(row: dict[str, Any]) -> str:
    conf = row.get("confidence")
    cls = row.get("device_class") or "unknown"
    return f"{cls} ({conf:.0%})" if isinstance(conf, int | float) and conf else cls


def risks_text(row: dict[str, Any]) -> str:
    return joined(h.get("code") for h in row.get("risks") or [])


UNKNOWN_TABLE = [  # most telling first: a narrow terminal drops columns from the right
    field_column("id", 7),
    field_column("status", 12),
    field_column("device_class", 20, get=class_text),
    field_column("hostname", 24),
    field_column("ips", 18),
    field_column("macs", 17),
    Column("RISKS", risks_text, 30),
    field_column("last_seen", 16),
    Column("VENDOR / MODEL", lambda r: joined([r.get("vendor"), r.get("model")], " "), 24),
    field_column("services", 28, get=services_text),
    field_column("os", 20),
    Column("FOUND BY", found_by_text, 60),
    field_column("first_seen", 16),
]

UNKNOWN_CSV = [
    *map(csv_column, ("id", "status", "device_class", "confidence", "hostname", "ips", "macs", "vendor",
                      "model", "os", "serial", "site")),
    Column("found_by", found_by_text),
    Column("services", services_text),
    Column("risks", lambda r: joined((h.get("text") for h in r.get("risks") or []), "; ")),
    *map(csv_column, ("first_seen", "last_seen")),
]


# ``assets list`` and ``scan``: key columns first (never dropped), then the rest by priority.
ASSET_TABLE = [
    field_column(f.name, f.table.width, key=f.table.key, min_width=f.table.min_width, wrap=f.table.wrap,
                 joiner=f.table.joiner)
    for f in LIST_TABLE if f.table is not None
]
