"""Presets: which of our fields each column of a known asset tool's export holds.

The tables live in presets.toml (data, not code); a user's ``--mapping FILE.toml`` has the same
shape. ``detect`` picks the preset whose typical header names a file's header holds most of.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

from netdiscover.inventory.names import header_key

GENERIC = "generic"


@dataclass(frozen=True)
class Preset:
    """One product's export: header key -> target, and how to recognise its header."""

    name: str
    title: str
    columns: dict[str, str] = field(default_factory=dict)   # header_key -> target
    detect: frozenset[str] = frozenset()
    detect_min: int = 1
    exact: bool = False          # columns it does not name are attributes under their own name
    device_class: dict[str, str] = field(default_factory=dict)   # extra type words (lower-case)


def _preset(name: str, table: dict[str, Any]) -> Preset:
    columns = table.get("columns") or {}
    if not isinstance(columns, dict) or not all(isinstance(v, str) for v in columns.values()):
        raise ValueError(f"[{name}.columns] must map column names to field names")
    words = table.get("device_class") or {}
    if not isinstance(words, dict) or not all(isinstance(v, str) for v in words.values()):
        raise ValueError(f"[{name}.device_class] must map type words to device classes")
    return Preset(
        name=name,
        title=str(table.get("title") or name),
        columns={header_key(k): v.strip() for k, v in columns.items()},
        detect=frozenset(header_key(h) for h in table.get("detect") or ()),
        detect_min=int(table.get("detect_min") or 1),
        exact=bool(table.get("exact", False)),
        device_class={" ".join(k.lower().split()): v.strip().lower() for k, v in words.items()},
    )


@lru_cache(maxsize=1)
def presets() -> dict[str, Preset]:
    """The built-in presets by name."""
    text = resources.files("netdiscover.inventory").joinpath("presets.toml").read_text(encoding="utf-8")
    return {name: _preset(name, table) for name, table in tomllib.loads(text).items()}


PRESET_NAMES: tuple[str, ...] = ("snipeit", "netbox", "glpi", "lansweeper", "netdiscover", GENERIC)


def get(name: str) -> Preset:
    """The preset called ``name`` (``generic``: no product columns, synonyms only)."""
    if name == GENERIC:
        return Preset(name=GENERIC, title="column names matched by synonyms")
    return presets()[name]


def detect(keys: list[str]) -> Preset:
    """The preset whose typical columns the header (as header keys) holds most of, else generic."""
    present = set(keys)
    best: tuple[int, Preset] | None = None
    for preset in presets().values():
        score = len(preset.detect & present)
        if score >= preset.detect_min and (best is None or score > best[0]):
            best = (score, preset)
    return best[1] if best else get(GENERIC)


def load_mapping_file(path: Path) -> Preset:
    """A user's mapping file: ``[columns]`` ("Source column" = "field") and ``[device_class]``."""
    try:
        table = tomllib.loads(path.read_text(encoding="utf-8-sig"))
    except OSError as exc:
        raise ValueError(f"cannot read {path}: {exc.strerror or exc}") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ValueError(f"{path.name}: not a valid TOML mapping file ({str(exc).splitlines()[0]})") from None
    unknown = set(table) - {"columns", "device_class", "title"}
    if unknown:
        raise ValueError(
            f"{path.name}: unknown table {sorted(unknown)[0]!r}; use [columns] and [device_class]")
    return _preset(path.name, table)
