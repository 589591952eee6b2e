"""From a header and a row of cells to a validated ``Record``: the column plan and the values.

A *plan* says, for every column of the file, where its values go: one of our fields, an
attribute, or nowhere (``ignore``, only for our own export's discovery columns), and why
(--map, the preset, a synonym, or no match). Nothing is dropped unseen: a column that maps to
no field is kept as an attribute, and a second column for a field already filled keeps its
value as an attribute rather than overwrite the first.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field
from typing import Any

from netdiscover.fields import IMPORT_ALIASES, IMPORT_FIELDS, IMPORT_LIMITS, IMPORT_SYNONYMS
from netdiscover.identity import identity_ip, serial_key
from netdiscover.inventory.names import STRICT_KEYS, attribute_name, device_class_of, header_key
from netdiscover.inventory.presets import Preset
from netdiscover.observation import clean_text, normalise_mac
from netdiscover.vocabulary import ASSET_STATUSES, DEVICE_CLASSES, LIFECYCLE_STATES

MAX_FIELD = 65536  # characters in one cell; longer is a malformed row
CELL_LIMIT = 4096  # characters kept of one cell
TEXT_FIELDS = tuple(IMPORT_LIMITS)   # the fields imported as plain text (cut at their IMPORT_LIMITS)
IDENTIFYING = frozenset({"asset_tag", "hostname", "mac", "ip", "serial"})
_PLACEHOLDERS = frozenset({"-", "--", "n/a", "na", "none", "null", "unknown", "not set", "(none)"})
_SEPARATORS = str.maketrans({";": " ", ",": " ", "|": " ", "\n": " ", "\r": " ", "\t": " "})


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
    status: str | None = None          # review status, from our own export only
    macs: list[str] = field(default_factory=list)
    ips: list[str] = field(default_factory=list)
    attributes: dict[str, str] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Column:
    """Where one source column goes."""

    index: int
    header: str
    target: str          # a field of IMPORT_FIELDS, "attribute", or "ignore"
    attribute: str = ""  # attribute name (target "attribute", or a field's overflow)
    strict: bool = False  # values must be our vocabulary exactly
    why: str = ""        # --map, preset NAME, synonym, unmapped

    def describe(self) -> str:
        """"Source" -> target (why), for the mapping shown before an import."""
        dest = f"attribute {self.attribute}" if self.target == "attribute" else self.target
        if self.target == "ignore":
            dest = "not imported (discovery data)"
        return f"{self.header!r} -> {dest} ({self.why})"


def parse_target(text: str) -> tuple[str, str]:
    """"field", "attribute:NAME" or "ignore" -> (target, attribute name); ValueError otherwise."""
    value = text.strip()
    if value.lower().startswith(("attribute:", "attr:")):
        name = attribute_name(value.split(":", 1)[1])
        return "attribute", name
    low = IMPORT_ALIASES.get(value.lower(), value.lower())
    if low in IMPORT_FIELDS or low == "ignore":
        return low, ""
    raise ValueError(
        f"unknown field {text!r}; use one of {', '.join(IMPORT_FIELDS)}, attribute:NAME or ignore"
    )


def build_plan(headers: list[str], preset: Preset, user: dict[str, str] | None = None) -> list[Column]:
    """The column plan for ``headers`` under ``preset`` and the user's ``--map``/mapping file."""
    user_keys = {header_key(k): v for k, v in (user or {}).items()}
    plan: list[Column] = []
    for index, header in enumerate(headers):
        key = header_key(header)
        verbatim = clean_text(header.lstrip("\ufeff"), 64) or f"column_{index + 1}"
        if key in user_keys:
            target, attr = parse_target(user_keys[key])
            why = "--map"
        elif key in preset.columns:
            target, attr = parse_target(preset.columns[key])
            why = f"{preset.name} preset"
        elif preset.exact:
            name = verbatim.split(":", 1)[1] if verbatim.startswith("attribute:") else verbatim
            target, attr, why = "attribute", name, "unmapped"
        elif key in IMPORT_SYNONYMS:
            target, attr = parse_target(IMPORT_SYNONYMS[key])
            why = "synonym"
        else:
            name = attribute_name(header) if key else f"column_{index + 1}"
            target, attr, why = "attribute", name, "unmapped"
        if target not in ("attribute", "ignore") and not attr:
            attr = attribute_name(header) if not preset.exact else verbatim
        strict = key in STRICT_KEYS and why != "--map"
        plan.append(Column(index, header, target, attr, strict=strict, why=why))
    return plan


def plan_problem(plan: list[Column]) -> str | None:
    """Why the plan cannot import anything (no column identifies a device), or None."""
    if any(c.target in IDENTIFYING for c in plan):
        return None
    return (
        "the header names none of the known columns (asset_tag, name, mac, ip, serial, vendor, "
        "model, owner, location, site, lifecycle_state); name them with --map 'Column=field'"
    )


def _split(text: str) -> list[str]:
    return text.replace("<br>", " ").replace("$$##$$", " ").translate(_SEPARATORS).split()


def _ip(part: str, rec: Record) -> str | None:
    """A cell's IP in canonical form; link-local is skipped with a warning; ValueError if unusable."""
    if "/" not in part and "%" not in part:
        found = identity_ip(part)
        if found is not None:
            return found
    text = part.split("/", 1)[0] if "/" in part else part
    text = text.split("%", 1)[0]          # a zone index (fe80::1%eth0)
    try:
        addr = ipaddress.ip_address(text)
    except ValueError:
        raise ValueError(f"invalid or unusable IP address {part[:45]!r}") from None
    if addr.is_link_local:
        rec.warnings.append(f"line {rec.line}: link-local address {part[:45]!r} skipped (not an identity)")
        return None
    ip = identity_ip(str(addr))
    if ip is None:
        raise ValueError(f"invalid or unusable IP address {part[:45]!r}")
    return ip


def fill(rec: Record, col: Column, text: str, class_words: tuple[tuple[str, str], ...] = ()) -> None:
    """Put one non-empty cell's value where ``col`` says; ValueError with a short reason if invalid."""
    target = col.target
    if target == "ignore":
        return
    if target == "attribute":
        rec.attributes[col.attribute] = text
    elif target == "mac":
        for part in _split(text):
            if part.lower() in _PLACEHOLDERS:
                continue
            mac = normalise_mac(part)
            if mac is None:
                raise ValueError(f"invalid MAC address {part[:40]!r}")
            if mac not in rec.macs:
                rec.macs.append(mac)
    elif target == "ip":
        for part in _split(text):
            if part.lower() in _PLACEHOLDERS:
                continue
            ip = _ip(part, rec)
            if ip is not None and ip not in rec.ips:
                rec.ips.append(ip)
    elif target == "device_class":
        low = text.lower()
        if col.strict and low not in DEVICE_CLASSES:
            raise ValueError(f"unknown device_class {text[:40]!r}; use one of {', '.join(DEVICE_CLASSES)}")
        if low == "unknown":
            return
        klass = low if low in DEVICE_CLASSES else device_class_of(text, class_words)
        if klass and klass != "unknown" and rec.device_class is None:
            rec.device_class = klass
            if text.lower() != klass:
                rec.attributes.setdefault(col.attribute, text)   # the product's own word, kept
        else:
            rec.attributes[col.attribute] = text
    elif target == "lifecycle_state":
        state = text.lower()
        if state in LIFECYCLE_STATES and rec.lifecycle_state is None:
            rec.lifecycle_state = state
        elif col.strict:
            raise ValueError(
                f"unknown lifecycle_state {text[:40]!r}; use one of {', '.join(LIFECYCLE_STATES)}")
        else:
            rec.attributes[col.attribute] = text
    elif target == "status":
        status = text.lower()
        if status not in ASSET_STATUSES:
            raise ValueError(f"unknown status {text[:40]!r}; use one of {', '.join(ASSET_STATUSES)}")
        rec.status = status
    else:
        limit = IMPORT_LIMITS[target]
        value = text if len(text) <= limit else clean_text(text, limit)
        current = getattr(rec, target)
        if current is None:
            setattr(rec, target, value)
        elif current != value:
            rec.attributes[col.attribute] = text   # a second column for the field: kept, not overwritten


def cell_text(value: Any, column: str) -> str | None:
    """A cell as text (JSON numbers and booleans too), None when empty; ValueError for nested values."""
    if type(value) is str:
        text = value
    elif value is None:
        return None
    elif isinstance(value, bool):
        text = "true" if value else "false"
    elif isinstance(value, int | float | str):
        text = str(value)
    else:
        raise ValueError(f"column {column!r} must be text or a number, not {type(value).__name__}")
    if len(text) > MAX_FIELD:
        raise ValueError(f"column {column!r} is {len(text):,} characters long (limit {MAX_FIELD:,})")
    if text.isprintable():        # the usual cell: nothing for clean_text to remove
        text = text.strip()
        if len(text) <= CELL_LIMIT:
            return text or None
    if "\x00" in text:
        raise ValueError(f"NUL character in column {column!r} (the file is damaged or not a text export)")
    return clean_text(text, CELL_LIMIT)


def record_from_cells(line: int, plan: list[Column], cells: list[Any],
                      class_words: tuple[tuple[str, str], ...] = ()) -> Record:
    """Validate one row (cells in plan order) into a Record; raises ValueError with a short reason."""
    rec = Record(line=line)
    attributes = rec.attributes
    for col, raw in zip(plan, cells, strict=True):
        if raw is None or raw == "" or col.target == "ignore":
            continue
        if type(raw) is str and len(raw) <= CELL_LIMIT and raw.isprintable():
            text: str | None = raw.strip()     # the usual cell, without cell_text's checks
        else:
            if isinstance(raw, list) and col.target in ("mac", "ip"):
                raw = " ".join(cell_text(v, col.header) or "" for v in raw)
            text = cell_text(raw, col.header)
        if not text:
            continue
        target = col.target
        if target == "attribute":
            attributes[col.attribute] = text
        elif target in IMPORT_LIMITS and len(text) <= IMPORT_LIMITS[target] and getattr(rec, target) is None:
            setattr(rec, target, text)
        else:
            fill(rec, col, text, class_words)
    if not (rec.asset_tag or rec.hostname or rec.macs or rec.ips or serial_key(rec.serial)):
        raise ValueError("nothing identifies the device: give asset_tag, name, mac, ip or serial")
    return rec
