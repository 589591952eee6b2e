"""The unknown-device report as JSON text, written from plain database rows without a dict per row.

``render_json([build_row(...) for each asset])`` defines the text; this writes the same bytes
(tests compare the two on hostile data, SQLite and PostgreSQL) in well under half the CPU time,
which a report of 100,000 assets needs (benchmarks/report_bench.py): the database gives
timestamps as ISO text, flags as 1/0 and JSON columns as text
(``storage.reports.report_text_batch``); the C encoder turns a whole batch's values into JSON
text in one call; each row is one join of fixed parts laid out once from the field table and
its values, the few a row computes (MAC and IP order, risks, how it was found) made by the same
helpers ``build_row`` uses; a row with nothing to assess skips the risk hints' work. JSON
columns are decoded and laid out once per distinct text (most rows share ``["arp"]`` and ``{}``).
``assets list --format json`` uses the asset part of a row.
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
from netdiscover.identity import link_local_ip
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
# The asset columns written as they are (kinds "value" and "time") lead; the rest are converted.
_PLAIN = REPORT_ASSET_COLUMNS.index("device_class")
_LEADING = itemgetter(slice(0, _PLAIN))
IF = {name: i for i, name in enumerate(REPORT_INTERFACE_COLUMNS)}
AD = {name: i for i, name in enumerate(REPORT_ADDRESS_COLUMNS)}
SV = {name: i for i, name in enumerate(REPORT_SERVICE_COLUMNS)}


def _object_parts(keys: Sequence[str], pad: str) -> list[str]:
    """The fixed text around the values of ``{"key": value, ...}`` laid out at ``pad`` (the
    object's own indentation): one part before each value and one after the last."""
    inner = pad + "  "
    leads = [f"{inner}{encode_basestring(k)}: " for k in keys]
    return ["{\n" + leads[0], *(",\n" + lead for lead in leads[1:]), "\n" + pad + "}"]


def _filler(parts: Sequence[str], pick: Callable[[Any], Sequence[str]] | None = None) -> Callable[[Any], str]:
    """A function writing the text of ``parts`` with ``pick(values)`` (``values`` as they are
    without ``pick``) between them: a join of a list of fixed parts with the values set in
    place, which for dozens of values takes about half the time of ``%`` formatting."""
    slots = [text for part in parts for text in (part, "")][:-1]
    join = "".join

    def fill(values: Any) -> str:
        out = slots.copy()
        out[1::2] = pick(values) if pick is not None else values
        return join(out)

    return fill


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
    so a batch's column is mostly dictionary look-ups. ``decode``: the value is JSON text.

    Values a dictionary holds as one key (1, 1.0 and True; 0.0 and -0.0) must convert to one
    text: they do for every kind below (each goes through ``or``, bool, int or float first).
    """

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


def _row_plan(extra: Sequence[str]) -> Callable[[list[str]], str]:
    """The writer of a row (asset_to_dict's keys, then ``extra``) from its values in the order
    [encoded columns, converted, computed]."""
    converted = {REPORT_ASSET_COLUMNS[i]: _PLAIN + k for k, (i, _t) in enumerate(_CONVERTED)}
    computed = {name: _PLAIN + len(_CONVERTED) + k for k, name in enumerate(_COMPUTED)}
    keys = [f.name for f in FIELDS] + list(extra)
    positions = [computed.get(key) or converted.get(key) or A[key] for key in keys]
    if max(A.get(key, -1) for key in keys if key not in converted and key not in computed) >= _PLAIN:
        raise ValueError("a field written as stored is not among the leading report columns")
    return _filler(_object_parts(keys, "  "), itemgetter(*positions))


ROW = _row_plan(ROW_EXTRA_KEYS)           # a report row
ASSET = _row_plan(())                     # an asset_to_dict row (assets list)
INTERFACE = _filler(_object_parts(("mac", "vendor", "name", "switch", "switch_port", "randomised",
                                   "first_seen", "last_seen"), ITEM))
ADDRESS = _filler(_object_parts(("ip", "mac", "current", "first_seen", "last_seen"), ITEM))
ONE = "[\n" + ITEM + "%s\n" + KEY + "]"      # a one-item list under a row's key
# found_by of an asset with no sighting records and no switch port: its methods only
_found_by_methods = _Texts(lambda v: {"methods": list(v or []), "routers": [], "switch_ports": []}, KEY,
                           decode=True)
_FLAG_TEXT = {"1": "true", "0": "false"}


class _Children:
    """One batch's child rows of one table (by asset, then id): encoded values, each row's item
    text (``write`` of columns 2 onwards, flag columns as true/false), its encoded column 2
    and the rows of each asset."""

    def __init__(self, rows: list[Any], width: int, write: Callable[[list[str]], str] | None,
                 flags: Sequence[int],
                 text: bool = True) -> None:
        self.rows = rows
        enc = encoded_values(list(chain.from_iterable(rows))) if text else []
        for col in flags:
            enc[col::width] = list(map(_FLAG_TEXT.__getitem__, enc[col::width]))
        self.texts = ([write(enc[s:s + width - 2]) for s in range(2, len(enc), width)]
                      if write else [])
        self.keys = enc[2::width]          # the encoded column 2 (MAC, IP) of every row
        self.of: dict[int, list[int]] = {}
        for k, asset_id in enumerate(map(itemgetter(0), rows)):
            group = self.of.get(asset_id)
            if group is None:
                self.of[asset_id] = [k]
            else:
                group.append(k)


def _services(rows: list[Any]) -> list[dict[str, Any]]:
    rows = sorted((s for s in rows if s[SV["open"]]), key=lambda s: (s[3], s[2]))
    return [{"port": s[2], "protocol": s[3], "name": s[4], "product": s[5], "version": s[6],
             "cpe": list(json.loads(s[7]) or []) if s[7] is not None else []} for s in rows]


def _banners(rows: list[Any]) -> list[dict[str, Any]]:
    return [{"port": s[2], "protocol": s[3], "banner": s[9], "extrainfo": s[10]}
            for s in rows if s[SV["open"]] and (s[9] or s[10])]


def _nested(value: Any) -> str:
    return indented_text(value, KEY) if value else ("[]" if isinstance(value, list) else "{}")


class _Batch:
    """One ``report_text_batch`` made ready: every value encoded, converted fields as text,
    children grouped by asset with their item texts (``text`` False: children grouped only)."""

    def __init__(self, batch: tuple[list[Any], list[Any], list[Any], list[Any]], text: bool = True) -> None:
        self.assets, interfaces, addresses, services = batch
        self.encoded = encoded_values(list(chain.from_iterable(map(_LEADING, self.assets)))) if text else []
        self.converted = list(zip(*(texts.column(list(map(itemgetter(i), self.assets)))
                                    for i, texts in _CONVERTED), strict=True)) if text else []
        self.ifs = _Children(interfaces, len(IF), INTERFACE, (IF["randomised"],), text)
        self.ads = _Children(addresses, len(AD), ADDRESS, (AD["current"],), text)
        self.svs = _Children(services, len(SV), None, (), False)
        self.now = utcnow().isoformat()


# column positions the per-asset code reads (constants: a row does dozens of these look-ups)
_IF_ID, _IF_MAC, _IF_SWITCH, _IF_PORT = IF["id"], IF["mac"], IF["switch"], IF["switch_port"]
_IF_RANDOM, _IF_FIRST = IF["randomised"], IF["first_seen"]
_AD_ID, _AD_IP, _AD_CURRENT, _AD_LAST = AD["id"], AD["ip"], AD["current"], AD["last_seen"]
_OS_NAME, _OS_VERSION = A["os_name"], A["os_version"]
_FIRST_SEEN, _CREDENTIAL, _CONFIDENCE, _CLASS = A["first_seen"], A["snmp_credential"], A["confidence"], A[
    "device_class"]
_METHODS, _FINGERPRINT, _STATUS = A["methods"], A["fingerprint"], A["status"]
_EMPTY = ("null", "{}")          # a fingerprint with nothing in it


class _Asset:
    """One asset of a batch: its asset_to_dict values as text, and what a report row reuses."""

    def __init__(self, batch: _Batch, k: int, text: bool = True) -> None:
        width, now = _PLAIN, batch.now
        self.raw = raw = batch.assets[k]
        self.enc = batch.encoded[k * width:(k + 1) * width]
        self.id = asset_id = raw[0]
        ifs, ads = batch.ifs, batch.ads
        # interfaces: MACs by first sighting (a missing one counts as now, as asset_to_dict has it;
        # ISO texts sort as their times do), switch ports in id order. Most assets have one
        # interface and one address: that case takes no sort and no comprehension.
        self.iface_ids = mine = ifs.of.get(asset_id, ())
        if len(mine) == 1:
            row = ifs.rows[mine[0]]
            self.iface_rows = [row]
            self.macs = [row[_IF_MAC]]
            macs_text = ONE % ifs.keys[mine[0]] if text else ""
            self.switched = [row] if row[_IF_SWITCH] or row[_IF_PORT] else []
        else:
            self.iface_rows = rows = [ifs.rows[i] for i in mine]
            order = sorted(range(len(rows)), key=lambda n: (rows[n][_IF_FIRST] or now, rows[n][_IF_ID] or 0))
            self.macs = [rows[n][_IF_MAC] for n in order]
            macs_text = list_text([ifs.keys[mine[n]] for n in order], KEY) if text else ""
            self.switched = [r for r in rows if r[_IF_SWITCH] or r[_IF_PORT]]
        # addresses: current ones newest first, link-local ones last (as asset_to_dict has them)
        self.address_ids = mine = ads.of.get(asset_id, ())
        if len(mine) == 1:
            row = ads.rows[mine[0]]
            self.ips = [row[_AD_IP]] if row[_AD_CURRENT] else []
            ips_text = ONE % ads.keys[mine[0]] if text and row[_AD_CURRENT] else "[]"
        else:
            current = [i for i in mine if ads.rows[i][_AD_CURRENT]]
            if len(current) > 1:
                current.sort(key=lambda i: (link_local_ip(ads.rows[i][_AD_IP]) is None,
                                            ads.rows[i][_AD_LAST] or now, ads.rows[i][_AD_ID] or 0),
                             reverse=True)
            self.ips = [ads.rows[i][_AD_IP] for i in current]
            ips_text = list_text([ads.keys[i] for i in current], KEY) if text else ""
        found = batch.svs.of.get(asset_id)
        self.service_rows = [batch.svs.rows[i] for i in found] if found else []
        self.services = _services(self.service_rows) if found else []
        if not text:            # only what the risk hints read
            return
        os_name, os_version = raw[_OS_NAME], raw[_OS_VERSION]
        self.computed = [
            "null" if os_name is None and os_version is None else indented_text(
                os_label(SimpleNamespace(os_name=os_name, os_version=os_version)), KEY),
            macs_text,
            ips_text,
            _nested(self.services) if found else "[]",
            _nested([{"mac": r[_IF_MAC], "switch": r[_IF_SWITCH], "port": r[_IF_PORT]}
                     for r in self.switched]) if self.switched else "[]",
        ]

    def values(self, batch: _Batch, k: int) -> list[str]:
        """[encoded columns, converted fields, computed fields] as the row pickers take them."""
        return self.enc + list(batch.converted[k]) + self.computed


def asset_texts(batch: tuple[list[Any], list[Any], list[Any], list[Any]]) -> Iterator[str]:
    """The ``asset_to_dict`` data of one ``report_text_batch``'s assets, each as the JSON text
    ``render_json`` writes for it at array depth 1 (``assets list --format json``)."""
    ready = _Batch(batch)
    for k in range(len(ready.assets)):
        yield ASSET(_Asset(ready, k).values(ready, k))


def _risks(asset: _Asset, recs: list[Any] | None,
           index: risk.Index | None) -> tuple[bool, list[dict[str, str]]]:
    """Whether the asset has a randomised MAC, and its risk hints (as build_row assesses them)."""
    raw = asset.raw
    randomised = False
    for r in asset.iface_rows:
        if r[_IF_RANDOM]:
            randomised = True
    confidence = round(float(raw[_CONFIDENCE] or 0.0), 3)
    signals = snmp_signals(recs) if recs else ()
    if risk.nothing_to_assess(asset.services, raw[_CREDENTIAL], signals, asset.macs, randomised,
                              confidence, index):
        return randomised, []
    seen = raw[_FIRST_SEEN]
    return randomised, risk.assess({
        "id": asset.id, "services": asset.services, "snmp_credential": raw[_CREDENTIAL],
        "macs": asset.macs, "ips": asset.ips, "randomised_mac": randomised,
        "confidence": confidence, "device_class": raw[_CLASS] or "unknown",
        "_first_seen_dt": seen and datetime.fromisoformat(seen),
    }, index, signals)


def row_summaries(batch: tuple[list[Any], list[Any], list[Any], list[Any]], records: dict[int, list[Any]],
                  index: risk.Index | None) -> Iterator[dict[str, Any]]:
    """What ``reports.unknown.summary`` counts of each report row of one ``report_text_batch``:
    ``status``, ``device_class`` and ``risks``, as the rows have them."""
    ready = _Batch(batch, text=False)
    for k in range(len(ready.assets)):
        asset = _Asset(ready, k, text=False)
        yield {"status": asset.raw[_STATUS], "device_class": asset.raw[_CLASS] or "unknown",
               "risks": _risks(asset, records.get(asset.id), index)[1]}


# the report-row fields a listing of unknown devices shows that are stored columns as they are
# ("time" and "value" kinds; the row's text of these is the column's)
_LISTED = ("id", "status", "vendor", "model", "hostname", "first_seen", "last_seen")
_PICK_LISTED = itemgetter(*(A[name] for name in _LISTED))


def row_listings(batch: tuple[list[Any], list[Any], list[Any], list[Any]], records: dict[int, list[Any]],
                 index: risk.Index | None) -> Iterator[dict[str, Any]]:
    """The fields a list of unknown devices shows of each report row of one ``report_text_batch``,
    as the rows have them: id, status, vendor, model, hostname, first_seen, last_seen,
    device_class, ips, macs and risks (nothing else of the row is written)."""
    ready = _Batch(batch, text=False)
    for k in range(len(ready.assets)):
        asset = _Asset(ready, k, text=False)
        row = dict(zip(_LISTED, _PICK_LISTED(asset.raw), strict=True))
        row["device_class"] = asset.raw[_CLASS] or "unknown"
        row["ips"], row["macs"] = asset.ips, asset.macs
        row["risks"] = _risks(asset, records.get(asset.id), index)[1]
        yield row


def row_texts(batch: tuple[list[Any], list[Any], list[Any], list[Any]], records: dict[int, list[Any]],
              index: risk.Index | None) -> Iterator[str]:
    """The report rows of one ``report_text_batch``, each as its JSON text at array depth 1.

    ``records``: the 'how found' sightings per asset (``services.reports.records_by_asset``).
    """
    ready = _Batch(batch)
    ifs, ads = ready.ifs, ready.ads
    for k in range(len(ready.assets)):
        asset = _Asset(ready, k)
        raw, recs = asset.raw, records.get(asset.id)
        randomised, hints = _risks(asset, recs, index)
        if recs or asset.switched:
            methods = raw[_METHODS]
            how = _nested(found_by(json.loads(methods) if methods is not None else None,
                                   [SimpleNamespace(switch=r[_IF_SWITCH], switch_port=r[_IF_PORT])
                                    for r in asset.iface_rows], recs or []))
        else:
            how = _found_by_methods(raw[_METHODS])
        fingerprint = raw[_FINGERPRINT]
        fp = None if fingerprint is None or fingerprint in _EMPTY else json.loads(fingerprint)
        # the address history by last sighting, newest first (never seen last)
        mine = asset.address_ids
        history = mine if len(mine) < 2 else sorted(mine, key=lambda i: ads.rows[i][_AD_LAST] or "",
                                                    reverse=True)
        values = asset.values(ready, k)
        values += (
            how,
            FLAG[randomised],
            asset.enc[_CREDENTIAL],
            _nested(hints) if hints else "[]",
            "{}" if fp is None else _nested(field_confidence(fp)),
            "[]" if fp is None else _nested(evidence(fp)),
            list_text([ifs.texts[i] for i in asset.iface_ids], KEY),
            list_text([ads.texts[i] for i in history], KEY),
            _nested(_banners(asset.service_rows)) if asset.service_rows else "[]",
        )
        yield ROW(values)


def json_array(rows: Iterable[str], rows_per_piece: int = 200) -> Iterator[str]:
    """Row texts (at array depth 1) as the pieces of one JSON array, laid out as ``render_json``
    lays it out, ``rows_per_piece`` rows to a piece."""
    lead, part, count = "[\n  ", [], 0
    for text in rows:
        part += (lead, text)             # not lead + text: a row is copied once, by the join
        lead = ",\n  "
        count += 1
        if count == rows_per_piece:
            yield "".join(part)
            part, count = [], 0
    part.append("[]" if lead == "[\n  " else "\n]")
    yield "".join(part)
