"""Inventory import and export: the records an organisation already keeps become documented assets.

A CSV file (header row, column names matched case-insensitively, with common aliases) or a
JSON array of objects is parsed into ``Record``s, every row validated first: a malformed row
stops the whole import with an error naming its line, unless the caller asks to skip invalid
rows. Records are matched to existing assets by the same identity keys reconciliation uses
(asset tag, serial, MAC, hostname within a site, IP), so a later sweep finds them and
re-importing the same file changes nothing.
"""

from __future__ import annotations

import csv
import io
import json
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from netdiscover.identity import hostname_key, identity_ip, mac_kind, serial_key, vendors_compatible
from netdiscover.observation import clean_text, normalise_mac, utcnow
from netdiscover.reconcile.sources import mark_documented
from netdiscover.storage.engine import write_session
from netdiscover.storage.models import Address, Asset, AssetEvent, Interface
from netdiscover.vocabulary import DEVICE_CLASSES, LIFECYCLE_STATES

MAX_FILE_BYTES = 200 * 1024 * 1024
MAX_FIELD = 65536  # characters in one CSV field; longer is a malformed row
MAX_ROWS = 1_000_000

# canonical field -> accepted header names (compared lower-case, spaces/dashes as underscores)
ALIASES: dict[str, tuple[str, ...]] = {
    "asset_tag": ("asset_tag", "tag", "assettag", "asset", "asset_id", "inventory_number"),
    "hostname": ("hostname", "name", "host", "device_name", "devicename", "fqdn", "dns_name"),
    "mac": ("mac", "macs", "mac_address", "macaddress", "mac_addresses", "hwaddr", "hardware_address"),
    "ip": ("ip", "ips", "ip_address", "ipaddress", "ip_addresses", "address", "ipv4"),
    "serial": ("serial", "serial_number", "serialnumber", "sn", "serial_no"),
    "vendor": ("vendor", "manufacturer", "make", "maker"),
    "model": ("model", "model_name", "product"),
    "owner": ("owner", "assigned_to", "user", "responsible"),
    "location": ("location", "room", "rack"),
    "site": ("site", "branch", "campus"),
    "lifecycle_state": ("lifecycle_state", "lifecycle", "state"),
    "device_class": ("device_class", "class", "type", "device_type"),
}
# Columns that our own export writes but that describe discovery, not the record: not imported.
EXPORT_ONLY = {
    "id",
    "status",
    "os",
    "os_name",
    "os_version",
    "first_seen",
    "last_seen",
    "methods",
    "confidence",
    "present",
    "services",
    "switch_ports",
    "snmp_engine_id",
}
_LOOKUP = {alias: name for name, aliases in ALIASES.items() for alias in aliases}
TEXT_FIELDS = ("asset_tag", "hostname", "serial", "vendor", "model", "owner", "location", "site")
FIELD_LIMITS = {
    "asset_tag": 128,
    "hostname": 255,
    "serial": 128,
    "vendor": 255,
    "model": 255,
    "owner": 255,
    "location": 255,
    "site": 128,
}
EXPORT_COLUMNS = (
    "id",
    "asset_tag",
    "hostname",
    "status",
    "device_class",
    "vendor",
    "model",
    "os",
    "serial",
    "mac",
    "ip",
    "owner",
    "location",
    "site",
    "lifecycle_state",
    "first_seen",
    "last_seen",
    "methods",
)


class InventoryError(Exception):
    """The file cannot be imported; the message names the line and the problem (one line each)."""

    def __init__(self, errors: Sequence[str]) -> None:
        self.errors = list(errors)
        more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
        super().__init__(f"{errors[0]}{more}")


@dataclass
class Record:
    """One inventory row, validated and normalised."""

    line: int
    asset_tag: str | None = None
    hostname: str | None = None
    serial: str | None = None
    vendor: str | None = None
    model: str | None = None
    owner: str | None = None
    location: str | None = None
    site: str | None = None
    lifecycle_state: str | None = None
    device_class: str | None = None
    macs: list[str] = field(default_factory=list)
    ips: list[str] = field(default_factory=list)
    attributes: dict[str, str] = field(default_factory=dict)


@dataclass
class ImportResult:
    """What an import did."""

    records: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    skipped: list[str] = field(default_factory=list)
    asset_ids: list[int] = field(default_factory=list)


# ---- parsing


def _column_key(header: str) -> str:
    return "_".join((clean_text(header, 128) or "").lower().replace("-", " ").split())


def _split_multi(value: str) -> list[str]:
    return [p for p in value.replace(";", " ").replace(",", " ").replace("|", " ").split() if p]


def _scalar(value: Any, column: str) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float | str):
        return str(value)
    raise ValueError(f"column {column!r} must be text or a number, not {type(value).__name__}")


def record_from_row(line: int, row: dict[str, Any]) -> Record:
    """Validate one row (header -> value) into a Record; raises ValueError with a short reason."""
    rec = Record(line=line)
    for header, raw in row.items():
        if header is None:
            raise ValueError("more cells than header columns")
        key = _column_key(str(header))
        if not key or (key in EXPORT_ONLY and key not in _LOOKUP):
            continue
        if isinstance(raw, list) and key in ("mac", "macs", "ip", "ips", "mac_addresses", "ip_addresses"):
            values = [_scalar(v, key) or "" for v in raw]
            text = " ".join(values)
        else:
            text = _scalar(raw, key)
        if text is not None and len(text) > MAX_FIELD:
            raise ValueError(f"column {key!r} is {len(text):,} characters long (limit {MAX_FIELD:,})")
        text = clean_text(text, 4096) if text is not None else None
        name = _LOOKUP.get(key)
        if name is None:
            if key in EXPORT_ONLY:
                continue
            if text is not None:
                rec.attributes[clean_text(key, 64) or key[:64]] = text
            continue
        if text is None:
            continue
        if name == "mac":
            for part in _split_multi(text):
                mac = normalise_mac(part)
                if mac is None:
                    raise ValueError(f"invalid MAC address {part[:40]!r}")
                if mac not in rec.macs:
                    rec.macs.append(mac)
        elif name == "ip":
            for part in _split_multi(text):
                ip = identity_ip(part)
                if ip is None:
                    raise ValueError(f"invalid or unusable IP address {part[:45]!r}")
                if ip not in rec.ips:
                    rec.ips.append(ip)
        elif name == "lifecycle_state":
            state = text.lower()
            if state not in LIFECYCLE_STATES:
                raise ValueError(
                    f"unknown lifecycle_state {text[:40]!r}; use one of {', '.join(LIFECYCLE_STATES)}"
                )
            rec.lifecycle_state = state
        elif name == "device_class":
            klass = text.lower()
            if klass not in DEVICE_CLASSES:
                raise ValueError(
                    f"unknown device_class {text[:40]!r}; use one of {', '.join(DEVICE_CLASSES)}"
                )
            rec.device_class = klass
        else:
            setattr(rec, name, clean_text(text, FIELD_LIMITS[name]))
    if not (rec.asset_tag or rec.hostname or rec.macs or rec.ips or serial_key(rec.serial)):
        raise ValueError("nothing identifies the device: give asset_tag, name, mac, ip or serial")
    return rec


def _decode(data: bytes, encoding: str) -> str:
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        shown = "UTF-8" if encoding == "utf-8-sig" else encoding
        raise InventoryError(
            [
                f"line {line}: not valid {shown} text (byte 0x{data[exc.start]:02x}); "
                "save the file as UTF-8 or give --encoding latin-1"
            ]
        ) from None
    except LookupError:
        raise InventoryError([f"unknown encoding {encoding!r}"]) from None


def parse_csv(text: str) -> tuple[list[Record], list[str]]:
    """Records and per-line errors of a CSV document with a header row."""
    text = text.lstrip("\ufeff")
    if not text.strip():
        raise InventoryError(["the file is empty"])
    csv.field_size_limit(MAX_FIELD * 4)
    try:
        dialect = csv.Sniffer().sniff(text[:8192], delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    reader = csv.reader(io.StringIO(text.replace("\x00", "")), dialect)
    try:
        header = next(reader)
    except csv.Error as exc:
        raise InventoryError([f"line 1: malformed header row ({exc})"]) from None
    keys = [_column_key(h) for h in header]
    if not any(_LOOKUP.get(k) for k in keys):
        raise InventoryError(
            [
                "line 1: the header names none of the known columns "
                "(asset_tag, name, mac, ip, serial, vendor, model, owner, location, site, "
                "lifecycle_state)"
            ]
        )
    records: list[Record] = []
    errors: list[str] = []
    line = reader.line_num
    while True:
        start = reader.line_num + 1
        try:
            cells = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            errors.append(f"line {start}: malformed CSV ({clean_text(str(exc), 200)})")
            continue
        line = start
        if not any(c.strip() for c in cells):
            continue
        if len(records) + len(errors) >= MAX_ROWS:
            raise InventoryError([f"line {line}: more than {MAX_ROWS:,} rows"])
        if len(cells) > len(header):
            errors.append(f"line {line}: {len(cells)} cells but the header has {len(header)} columns")
            continue
        row = dict(zip(header, cells + [""] * (len(header) - len(cells)), strict=True))
        try:
            records.append(record_from_row(line, {h: (v if v.strip() else None) for h, v in row.items()}))
        except ValueError as exc:
            errors.append(f"line {line}: {exc}")
    return records, errors


def parse_json(text: str) -> tuple[list[Record], list[str]]:
    """Records and per-entry errors of a JSON array of objects (entries numbered from 1)."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InventoryError([f"line {exc.lineno}: invalid JSON ({exc.msg})"]) from None
    if isinstance(data, dict) and isinstance(data.get("assets"), list):
        data = data["assets"]
    if not isinstance(data, list):
        raise InventoryError(["the JSON document must be an array of objects"])
    records, errors = [], []
    for number, entry in enumerate(data[:MAX_ROWS], start=1):
        if not isinstance(entry, dict):
            errors.append(f"entry {number}: not an object")
            continue
        if "macs" in entry and "mac" not in entry:
            entry = {**entry, "mac": entry.pop("macs")}
        if "ips" in entry and "ip" not in entry:
            entry = {**entry, "ip": entry.pop("ips")}
        attributes = entry.pop("attributes", None) if isinstance(entry.get("attributes"), dict) else None
        try:
            rec = record_from_row(number, entry)
            for key, value in (attributes or {}).items():
                text = clean_text(_scalar(value, str(key)), 4096)
                if text is not None:
                    rec.attributes[clean_text(str(key), 64) or "?"] = text
            records.append(rec)
        except ValueError as exc:
            errors.append(f"entry {number}: {exc}")
    return records, errors


def parse_file(
    path: str | Path, fmt: str | None = None, encoding: str = "utf-8", skip_invalid: bool = False
) -> tuple[list[Record], list[str]]:
    """Parse an inventory file (format from ``fmt`` or the file extension).

    Raises InventoryError when the file cannot be read or (without ``skip_invalid``) when any
    row is malformed; otherwise returns the good records and the skipped rows' errors.
    """
    path = Path(path)
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            raise InventoryError([f"{path.name}: {size:,} bytes is more than the {MAX_FILE_BYTES:,} limit"])
        data = path.read_bytes()
    except OSError as exc:
        raise InventoryError([f"cannot read {path}: {exc.strerror or exc}"]) from None
    fmt = (fmt or ("json" if path.suffix.lower() == ".json" else "csv")).lower()
    text = _decode(data, "utf-8-sig" if encoding.lower() in ("utf-8", "utf8") else encoding)
    records, errors = parse_json(text) if fmt == "json" else parse_csv(text)
    errors.extend(_duplicates(records))
    if errors and not skip_invalid:
        raise InventoryError(errors)
    if errors:
        bad = {int(e.split()[1].rstrip(":")) for e in errors if e.split()[1].rstrip(":").isdigit()}
        records = [r for r in records if r.line not in bad]
    return records, errors


def _duplicates(records: Sequence[Record]) -> list[str]:
    seen: dict[tuple[str, str], int] = {}
    errors = []
    for rec in records:
        keys = [("asset_tag", rec.asset_tag)] if rec.asset_tag else []
        keys += [("serial", s) for s in (serial_key(rec.serial),) if s]
        keys += [("mac", m) for m in rec.macs if mac_kind(m)]
        for key in keys:
            first = seen.setdefault(key, rec.line)
            if first != rec.line:
                errors.append(f"line {rec.line}: same {key[0]} {key[1]!r} as line {first}")
                break
    return errors


# ---- storing


def _match(session: Session, rec: Record) -> Asset | None:
    """The existing asset this record describes, by the strongest key both have."""
    if rec.asset_tag:
        found = session.scalars(
            select(Asset).where(Asset.asset_tag == rec.asset_tag).order_by(Asset.id)
        ).first()
        if found:
            return found
    key = serial_key(rec.serial)
    if key:
        for asset in session.scalars(select(Asset).where(Asset.serial.in_({rec.serial, key, key.lower()}))):
            if vendors_compatible(asset.vendor, rec.vendor) and not _other_record(asset, rec):
                return asset
    macs = [m for m in rec.macs if mac_kind(m)]
    if macs:
        ids = session.scalars(
            select(Interface.asset_id).where(Interface.mac.in_(macs)).order_by(Interface.id)
        )
        for asset_id in ids:
            asset = session.get(Asset, asset_id)
            if asset is not None and not _other_record(asset, rec):
                return asset
    name = hostname_key(rec.hostname)
    if name:
        for asset in session.scalars(
            select(Asset).where(Asset.hostname.in_({rec.hostname, name, name.upper()})).order_by(Asset.id)
        ):
            if (asset.site or None) == (rec.site or None) and not _other_record(asset, rec):
                return asset
    if rec.ips:
        ids = session.scalars(
            select(Address.asset_id)
            .where(Address.ip.in_(rec.ips), Address.current.is_(True))
            .order_by(Address.id)
        )
        for asset_id in ids:
            asset = session.get(Asset, asset_id)
            if asset is not None and not _other_record(asset, rec) and not _conflicting_macs(asset, rec):
                return asset
    return None


def _other_record(asset: Asset, rec: Record) -> bool:
    """The asset is already a different documented record (another asset tag)."""
    return bool(asset.asset_tag and rec.asset_tag and asset.asset_tag != rec.asset_tag)


def _conflicting_macs(asset: Asset, rec: Record) -> bool:
    mine = {m for m in rec.macs if mac_kind(m)}
    theirs = {i.mac for i in asset.interfaces if mac_kind(i.mac)}
    return bool(mine and theirs and not mine & theirs)


def _apply(session: Session, asset: Asset, rec: Record, now: datetime) -> dict[str, tuple[Any, Any]]:
    """Write the record's values onto the asset; returns field -> (old, new) for what changed."""
    changes: dict[str, tuple[Any, Any]] = {}
    for name in (*TEXT_FIELDS, "lifecycle_state"):
        value = getattr(rec, name)
        if value is not None and getattr(asset, name) != value:
            changes[name] = (getattr(asset, name), value)
            setattr(asset, name, value)
    if rec.device_class and asset.device_class != rec.device_class:
        changes["device_class"] = (asset.device_class, rec.device_class)
        asset.device_class = rec.device_class
    # the record's values are documented: sweeps no longer overwrite them (reconcile.sources)
    mark_documented(asset, [n for n in (*TEXT_FIELDS, "lifecycle_state", "device_class")
                            if getattr(rec, n) not in (None, "", "unknown")])
    fp = dict(asset.fingerprint or {})
    conf = dict(fp.get("confidence") or {})
    for name in ("vendor", "model", "device_class"):
        if getattr(rec, name) and getattr(rec, name) != "unknown" and conf.get(name) != 1.0:
            conf[name] = 1.0  # what people recorded outranks a guess
            fp[name] = getattr(rec, name)
    if conf != (asset.fingerprint or {}).get("confidence", {}):
        fp["confidence"] = conf
        asset.fingerprint = fp
    if rec.attributes:
        merged = {**(asset.attributes or {}), **rec.attributes}
        if merged != (asset.attributes or {}):
            changes["attributes"] = (asset.attributes, merged)
            asset.attributes = merged
    if asset.status == "undocumented":
        changes["status"] = ("undocumented", "documented")
        asset.status = "documented"
    have_macs = {i.mac for i in asset.interfaces}
    for mac in rec.macs:
        if mac not in have_macs:
            asset.interfaces.append(Interface(mac=mac, randomised=mac_kind(mac) == "local"))
            changes.setdefault("macs", (sorted(have_macs), []))[1].append(mac)
    have_ips = {a.ip for a in asset.addresses}
    for ip in rec.ips:
        if ip not in have_ips:
            held = session.scalar(select(Address.id).where(Address.ip == ip, Address.current.is_(True)))
            asset.addresses.append(Address(ip=ip, current=held is None))
            changes.setdefault("ips", (sorted(have_ips), []))[1].append(ip)
    if changes:
        asset.updated_at = now
    return changes


def import_records(
    sessions: sessionmaker[Session],
    records: Iterable[Record],
    *,
    actor: str | None = None,
    now: datetime | None = None,
) -> ImportResult:
    """Store records as documented assets in one transaction (all or nothing)."""
    now = now or utcnow()
    result = ImportResult()
    with write_session(sessions) as session:
        for rec in records:
            result.records += 1
            asset = _match(session, rec)
            if asset is None:
                asset = Asset(
                    status="documented",
                    present=False,
                    device_class=rec.device_class or "unknown",
                    confidence=0.0,
                    created_at=now,
                    updated_at=now,
                    methods=[],
                )
                session.add(asset)
                _apply(session, asset, rec, now)
                session.flush()
                session.add(
                    AssetEvent(
                        asset_id=asset.id,
                        kind="imported",
                        at=now,
                        actor=clean_text(actor, 128),
                        note=f"inventory line {rec.line}",
                        new={"asset_tag": asset.asset_tag, "hostname": asset.hostname},
                    )
                )
                result.created += 1
            else:
                changes = _apply(session, asset, rec, now)
                session.flush()
                if changes:
                    session.add(
                        AssetEvent(
                            asset_id=asset.id,
                            kind="updated",
                            at=now,
                            actor=clean_text(actor, 128),
                            note=f"inventory line {rec.line}",
                            old={k: _jsonable(v[0]) for k, v in changes.items()},
                            new={k: _jsonable(v[1]) for k, v in changes.items()},
                        )
                    )
                    result.updated += 1
                else:
                    result.unchanged += 1
            result.asset_ids.append(asset.id)
            session.flush()
    return result


def _jsonable(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    return value


# ---- export


def export_rows(session: Session) -> list[dict[str, Any]]:
    """Every asset as a flat row for CSV/JSON export (lists joined by ';' for CSV by the writer)."""
    from netdiscover.storage.repository import asset_to_dict, list_assets

    rows = []
    for asset in list_assets(session):
        data = asset_to_dict(asset)
        row = {c: data.get(c) for c in EXPORT_COLUMNS if c not in ("mac", "ip")}
        row["mac"] = data["macs"]
        row["ip"] = data["ips"]
        row["attributes"] = data.get("attributes") or {}
        rows.append(row)
    return rows


def export_csv(rows: Sequence[dict[str, Any]]) -> str:
    """CSV with our import's column names plus one column per attribute; cells spreadsheet-safe."""
    from netdiscover.reports.render_csv import neutralise

    extra = sorted({k for r in rows for k in r.get("attributes") or {}} - set(EXPORT_COLUMNS))
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([*EXPORT_COLUMNS, *extra])
    for r in rows:
        cells = []
        for col in EXPORT_COLUMNS:
            value = r.get(col)
            if isinstance(value, list):
                value = ";".join(str(v) for v in value)
            cells.append(neutralise(value))
        cells += [neutralise((r.get("attributes") or {}).get(k)) for k in extra]
        writer.writerow(cells)
    return out.getvalue()


def export_json(rows: Sequence[dict[str, Any]]) -> str:
    """A JSON array that ``parse_json`` reads back."""
    return json.dumps(list(rows), indent=2, ensure_ascii=False) + "\n"


def summary_by_status(session: Session) -> dict[str, int]:
    """Asset counts per review status."""
    counts: dict[str, int] = defaultdict(int)
    for (status,) in session.execute(select(Asset.status)):
        counts[status] += 1
    return dict(counts)
