"""Column definitions: how each report's rows become flat cells for the table and CSV renderers."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

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
    Column("ID", lambda r: r.get("id"), 7),
    Column("STATUS", lambda r: r.get("status"), 12),
    Column("CLASS", class_text, 20),
    Column("HOSTNAME", lambda r: r.get("hostname"), 24),
    Column("IP", lambda r: joined(r.get("ips")), 18),
    Column("MAC", lambda r: joined(r.get("macs")), 17),
    Column("RISKS", risks_text, 30),
    Column("LAST SEEN", lambda r: when(r.get("last_seen")), 16),
    Column("VENDOR / MODEL", lambda r: joined([r.get("vendor"), r.get("model")], " "), 24),
    Column("SERVICES", services_text, 28),
    Column("OS", lambda r: r.get("os"), 20),
    Column("FOUND BY", found_by_text, 60),
    Column("FIRST SEEN", lambda r: when(r.get("first_seen")), 16),
]

UNKNOWN_CSV = [
    Column("id", lambda r: r.get("id")),
    Column("status", lambda r: r.get("status")),
    Column("device_class", lambda r: r.get("device_class")),
    Column("confidence", lambda r: r.get("confidence")),
    Column("hostname", lambda r: r.get("hostname")),
    Column("ips", lambda r: joined(r.get("ips"), " ")),
    Column("macs", lambda r: joined(r.get("macs"), " ")),
    Column("vendor", lambda r: r.get("vendor")),
    Column("model", lambda r: r.get("model")),
    Column("os", lambda r: r.get("os")),
    Column("serial", lambda r: r.get("serial")),
    Column("site", lambda r: r.get("site")),
    Column("found_by", found_by_text),
    Column("services", services_text),
    Column("risks", lambda r: joined((h.get("text") for h in r.get("risks") or []), "; ")),
    Column("first_seen", lambda r: r.get("first_seen")),
    Column("last_seen", lambda r: r.get("last_seen")),
]


def methods_text(row: dict[str, Any]) -> str:
    return joined(row.get("methods"), "+")


# ``assets list`` and ``scan``: key columns first (never dropped), then the rest by priority.
ASSET_TABLE = [
    Column("ID", lambda r: r.get("id"), 7, key=True),
    Column("STATUS", lambda r: r.get("status"), 12, key=True),
    Column("IP", lambda r: joined(r.get("ips")), 32, key=True, min_width=15, wrap=True),
    Column("MAC", lambda r: joined(r.get("macs")), 36, key=True, min_width=17, wrap=True),
    Column("HOSTNAME", lambda r: r.get("hostname"), 24, key=True, min_width=10, wrap=True),
    Column("VENDOR", lambda r: r.get("vendor"), 18, key=True, min_width=8, wrap=True),
    Column("CLASS", lambda r: r.get("device_class"), 14),
    Column("MODEL", lambda r: r.get("model"), 22),
    Column("OS", lambda r: r.get("os"), 22),
    Column("LAST SEEN", lambda r: when(r.get("last_seen")), 16),
    Column("METHODS", methods_text, 20),
]
