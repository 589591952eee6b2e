"""JSON rendering: an array of row objects (strings escaped by the JSON encoder, never interpreted)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any


def _default(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, set | frozenset | tuple):
        return list(value)
    return str(value)


def render_json(rows: Sequence[dict[str, Any]] | dict[str, Any]) -> str:
    """Pretty JSON text with a trailing newline."""
    return json.dumps(rows, indent=2, default=_default, ensure_ascii=False) + "\n"
