"""The unknown-device report as JSON text, written from plain database rows without a dict per row.

``render_json([build_row(...) for each asset])`` defines the text; this writes the same bytes
(tests compare the two on hostile data, SQLite and PostgreSQL) about four times faster, which a
report of 100,000 assets needs: the database gives timestamps as ISO text, flags as 1/0 and
JSON columns as text (``storage.reports.report_text_batch``); the C encoder turns a whole
batch's values into JSON text in one call; each row is one ``%`` of a template compiled once
from the field table, with the few values a row computes (MAC and IP order, risks, how it was
found) made by the same helpers ``build_row`` uses. JSON columns are decoded and laid out
once per distinct text (most rows share ``["arp"]`` and ``{}``).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import datetime
from itertools import chain
from operator import itemgetter
from types import SimpleNamespace
from typing import Any

from netdiscover.fields import FIELDS
from netdiscover.observation import utcnow
from netdiscover.reports import risk
from netdiscover.reports.render_json import encode_basestring, encoded_values, indented_text
from netdiscover.reports.unknown import ROW_EXTRA_KEYS, evidence, field_confidence, found_by, snmp_signals
from netdiscover.storage.reports import (
    REPORT_ADDRESS_COLUMNS,
    REPORT_ASSET_COLUMNS,
    REPORT_INTERFACE_COLUMNS,
    REPORT_SERVICE_COLUMNS,
)
from netdiscover.storage.repository import os_label

KEY = "    "            # a row's keys sit at this depth of the report's array
ITEM = KEY + "  "       # the items of a list under one of those keys
FLAG = ("false", "true")
MEMO_LIMIT = 4096       # distinct JSON texts laid out and kept per column

A = {name: i for i, name in enumerate(REPORT_ASSET_COLUMNS)}
IF = {name: i for i, name in enumerate(REPORT_INTERFACE_COLUMNS)}
AD = {name: i for i, name in enumerate(REPORT_ADDRESS_COLUMNS)}
SV = {name: i for i, name in enumerate(REPORT_SERVICE_COLUMNS)}


def _template(keys: Sequence[str], pad: str) -> str:
    """``{"key": %s, ...}`` laid out at ``pad`` (the object's own indentation)."""
    inner = pad + "  "
    lines = [f"{inner}{encode_basestring(k).replace('%', '%%')}: %s" for k in keys]
    return "{\n" + ",\n".join(lines) + "\n" + pad + "}"


def list_text(items: Sequence[str], pad: str) -> str:
    """A JSON list of already-encoded items, laid out at ``pad``."""
    if not items:
        return "[]"
    inner = "\n" + pad + "  "
    if len(items) == 1:
        return "[" + inner + items[0] + "\n" + pad + "]"
    return "[" + inner + ("," + inner).join(items) + "\n" + pad + "]"


class _Texts:
    """Raw column value -> its text after ``convert``, laid out at ``pad``; remembered (bounded),
    so a batch's column is mostly dictionary look-ups. ``decode``: the value is JSON text."""

    def __init__(self, convert: Callable[[Any], Any], pad: str = KEY, decode: bool = False) -> None:
        self.convert, self.pad, self.decode, self.known = convert, pad, decode, {}

    def __call__(self, raw: Any) -> str:
        found = self.known.get(raw)
        if found is None:
            value = (json.loads(raw) if raw is not None else None) if self.decode else raw
            found = indented_text(self.convert(value), self.pad)
            if len(self.known) < MEMO_LIMIT:
                self.known[raw] = found
        return found

    def column(self, values: list[Any]) -> list[str]:
        """The texts of a whole column of values."""
        out = list(map(self.known.get, values))
        if None in out:
            out = [t if t is not None else self(v) for t, v in zip(out, values, strict=True)]
        return out


# How each kind of stored field (netdiscover.fields) becomes text from its raw column value, as
# asset_to_dict converts it; kinds "value" and "time" are the encoded column itself.
_KIND_TEXT: dict[str, Callable[[], _Texts]] = {
    "class": lambda: _Texts(lambda v: v or "unknown"),
    "tags": lambda: _Texts(lambda v: sorted(v or []), decode=True),
    "score": lambda: _Texts(lambda v: round(float(v or 0.0), 3)),
    "flag": lambda: _Texts(bool),
    "count": lambda: _Texts(lambda v: int(v or 0)),
    "map": lambda: _Texts(lambda v: dict(v or {}), decode=True),
}
# (column index, texts) of the converted fields, in FIELDS order
_CONVERTED = tuple((A[f.name], _KIND_TEXT[f.kind]()) for f in FIELDS if f.kind in _KIND_TEXT)
_COMPUTED = ("os", "macs", "ips", "services", "switch_ports", *ROW_EXTRA_KEYS)


def _row_plan() -> tuple[str, Any]:
    """The row template and the picker that orders [encoded columns, converted, computed] into it."""
    converted = {REPORT_ASSET_COLUMNS[i]: len(A) + k for k, (i, _t) in enumerate(_CONVERTED)}
    computed = {name: len(A) + len(_CONVERTED) + k for k, name in enumerate(_COMPUTED)}
    keys = [f.name for f in FIELDS] + list(ROW_EXTRA_KEYS)
    positions = [computed.get(key) or converted.get(key) or A[key] for key in keys]
    return _template(keys, "  "), itemgetter(*positions)


ROW, _PICK = _row_plan()
INTERFACE = _template(("mac", "vendor", "name", "switch", "switch_port", "randomised", "first_seen",
                       "last_seen"), ITEM)
ADDRESS = _template(("ip", "mac", "current", "first_seen", "last_seen"), ITEM)
ONE = "[\n" + ITEM + "%s\n" + KEY + "]"      # a one-item list under a row's key
FOUND_BY_PLAIN = _template(("methods", "routers", "switch_ports"), KEY) % ("%s", "[]", "[]")
_found_methods = _Texts(lambda v: list(v or []), ITEM, decode=True)
_FLAG_TEXT = {"1": "true", "0": "false"}


class _Children:
    """One batch's child rows of one table (by asset, then id): encoded values, each row's item
    text (``template`` over columns 2 onwards, flag columns as true/false) and rows by asset."""

    def __init__(self, rows: list[Any], width: int, template: str | None, flags: Sequence[int]) -> None:
        self.rows, self.width = rows, width
        self.encoded = encoded_values(list(chain.from_iterable(rows)))
        for col in flags:
            self.encoded[col::width] = list(map(_FLAG_TEXT.__getitem__, self.encoded[col::width]))
        enc = self.encoded
        self.texts = ([template % tuple(enc[s:s + width - 2]) for s in range(2, len(enc), width)]
                      if template else [])
        self.of: dict[int, list[int]] = {}
        for k, asset_id in enumerate(map(itemgetter(0), rows)):
            group = self.of.get(asset_id)
            if group is None:
                self.of[asset_id] = [k]
            else:
                group.append(k)

    def value(self, k: int, col: int) -> str:
        return self.encoded[k * self.width + col]


def _services(rows: list[Any]) -> list[dict[str, Any]]:
    rows = sorted((s for s in rows if s[SV["open"]]), key=lambda s: (s[3], s[2]))
    return [{"port": s[2], "protocol": s[3], "name": s[4], "product": s[5], "version": s[6],
             "cpe": list(json.loads(s[7]) or []) if s[7] is not None else []} for s in rows]


def _banners(rows: list[Any]) -> list[dict[str, Any]]:
    return [{"port": s[2], "protocol": s[3], "banner": s[9], "extrainfo": s[10]}
            for s in rows if s[SV["open"]] and (s[9] or s[10])]


def _nested(value: Any) -> str:
    return indented_text(value, KEY) if value else ("[]" if isinstance(value, list) else "{}")


def _empty_json(text: str | None) -> bool:
    return text is None or text in ("null", "{}")


def row_texts(batch: tuple[list[Any], list[Any], list[Any], list[Any]], records: dict[int, list[Any]],
              index: risk.Index | None) -> Iterator[str]:
    """The report rows of one ``report_text_batch``, each as its JSON text at array depth 1.

    ``records``: the 'how found' sightings per asset (``services.reports.records_by_asset``).
    """
    assets, interfaces, addresses, services = batch
    width = len(A)
    encoded = encoded_values(list(chain.from_iterable(assets)))
    converted = list(zip(*(texts.column(list(map(itemgetter(i), assets))) for i, texts in _CONVERTED),
                         strict=True))
    ifs = _Children(interfaces, len(IF), INTERFACE, (IF["randomised"],))
    ads = _Children(addresses, len(AD), ADDRESS, (AD["current"],))
    svs = _Children(services, len(SV), None, ())
    now = utcnow().isoformat()
    for k, raw in enumerate(assets):
        enc = encoded[k * width:(k + 1) * width]
        asset_id = raw[0]
        recs = records.get(asset_id)
        # interfaces: MACs by first sighting (a missing one counts as now, as asset_to_dict has it;
        # ISO texts sort as their times do), the list in id order, switch ports
        mine = ifs.of.get(asset_id, [])
        iface_rows = [ifs.rows[i] for i in mine]
        by_seen = mine if len(mine) < 2 else sorted(
            mine, key=lambda i: (ifs.rows[i][IF["first_seen"]] or now, ifs.rows[i][IF["id"]] or 0))
        macs = [ifs.rows[i][IF["mac"]] for i in by_seen]
        macs_text = list_text([ifs.value(i, IF["mac"]) for i in by_seen], KEY)
        randomised = any(r[IF["randomised"]] for r in iface_rows)
        switched = [r for r in iface_rows if r[IF["switch"]] or r[IF["switch_port"]]]
        # addresses: current ones newest first, the history by last sighting (never last)
        mine = ads.of.get(asset_id, [])
        current = [i for i in mine if ads.rows[i][AD["current"]]]
        if len(current) > 1:
            current.sort(key=lambda i: (ads.rows[i][AD["last_seen"]] or now, ads.rows[i][AD["id"]] or 0),
                         reverse=True)
        history = mine if len(mine) < 2 else sorted(
            mine, key=lambda i: ads.rows[i][AD["last_seen"]] or "", reverse=True)
        service_rows = [svs.rows[i] for i in svs.of.get(asset_id, ())]
        service_items = _services(service_rows) if service_rows else []
        seen = raw[A["first_seen"]]
        hints = risk.assess({
            "id": asset_id, "services": service_items, "snmp_credential": raw[A["snmp_credential"]],
            "macs": macs, "ips": [ads.rows[i][AD["ip"]] for i in current], "randomised_mac": randomised,
            "confidence": round(float(raw[A["confidence"]] or 0.0), 3),
            "device_class": raw[A["device_class"]] or "unknown",
            "_first_seen_dt": seen and datetime.fromisoformat(seen),
        }, index, snmp_signals(recs) if recs else ())
        os_name, os_version = raw[A["os_name"]], raw[A["os_version"]]
        methods = raw[A["methods"]]
        if recs or switched:
            how = _nested(found_by(json.loads(methods) if methods is not None else None,
                                   [SimpleNamespace(switch=r[IF["switch"]], switch_port=r[IF["switch_port"]])
                                    for r in iface_rows], recs or []))
        else:
            how = FOUND_BY_PLAIN % _found_methods(methods)
        fingerprint = raw[A["fingerprint"]]
        fp = None if _empty_json(fingerprint) else json.loads(fingerprint)
        computed = (
            "null" if os_name is None and os_version is None else indented_text(
                os_label(SimpleNamespace(os_name=os_name, os_version=os_version)), KEY),
            macs_text,
            list_text([ads.value(i, AD["ip"]) for i in current], KEY),
            _nested(service_items),
            _nested([{"mac": r[IF["mac"]], "switch": r[IF["switch"]], "port": r[IF["switch_port"]]}
                     for r in switched]),
            how,
            FLAG[randomised],
            enc[A["snmp_credential"]],
            _nested(hints),
            "{}" if fp is None else _nested(field_confidence(fp)),
            "[]" if fp is None else _nested(evidence(fp)),
            list_text([ifs.texts[i] for i in ifs.of.get(asset_id, ())], KEY),
            list_text([ads.texts[i] for i in history], KEY),
            _nested(_banners(service_rows)) if service_rows else "[]",
        )
        yield ROW % _PICK(enc + list(converted[k]) + list(computed))


def json_array(rows: Iterable[str], rows_per_piece: int = 200) -> Iterator[str]:
    """Row texts (at array depth 1) as the pieces of one JSON array, laid out as ``render_json``
    lays it out, ``rows_per_piece`` rows to a piece."""
    lead, part = "[\n  ", []
    for text in rows:
        part.append(lead + text)
        lead = ",\n  "
        if len(part) == rows_per_piece:
            yield "".join(part)
            part = []
    part.append("[]" if lead == "[\n  " else "\n]")
    yield "".join(part)
