"""JSON rendering: an array of row objects (strings escaped by the JSON encoder, never interpreted)."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Sequence
from datetime import datetime
from json.encoder import py_encode_basestring
from typing import Any

from netdiscover.gcpause import gc_paused

try:
    from _json import encode_basestring
except ImportError:      # an interpreter without the C accelerator
    encode_basestring = py_encode_basestring


def _default(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, set | frozenset | tuple):
        return list(value)
    return str(value)


def render_json(rows: Sequence[dict[str, Any]] | dict[str, Any]) -> str:
    """Pretty JSON text with a trailing newline."""
    return json.dumps(rows, indent=2, default=_default, ensure_ascii=False) + "\n"


def float_text(value: float) -> str:
    """A float as JSON text (``NaN`` and ``Infinity`` as the standard library writes them)."""
    if value != value:
        return "NaN"
    if value in (float("inf"), float("-inf")):
        return "Infinity" if value > 0 else "-Infinity"
    return float.__repr__(value)


def _key(key: Any) -> str:
    if isinstance(key, str):
        return key
    if key is True or key is False or key is None:
        return {True: "true", False: "false", None: "null"}[key]
    if isinstance(key, int):
        return int.__repr__(key)
    if isinstance(key, float):
        return float_text(key)
    raise TypeError(f"keys must be str, int, float, bool or None, not {type(key).__name__}")


_KEYS: dict[str, str] = {}     # '"key": ' for the few distinct keys rows use


def _key_text(key: Any) -> str:
    text = _KEYS.get(key) if type(key) is str else None
    if text is None:
        text = encode_basestring(_key(key)) + ": "
        if type(key) is str and len(_KEYS) < 4096:
            _KEYS[key] = text
    return text


def _scalar(value: Any) -> str | None:
    """The JSON text of a str, None, bool, int or float; None for anything else."""
    kind = type(value)
    if kind is str:
        return encode_basestring(value)
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if kind is int:
        return int.__repr__(value)
    if kind is float:
        return float_text(value)
    if isinstance(value, str):
        return encode_basestring(value)
    if isinstance(value, int):
        return int.__repr__(value)
    if isinstance(value, float):
        return float_text(value)
    return None


# The JSON text of exact str, int, float, bool and None values, by type: one dict look-up and a
# C call instead of a chain of tests (subclasses such as str enums go through _scalar).
_FAST: dict[type, Any] = {
    str: encode_basestring,
    int: int.__repr__,
    float: float_text,
    bool: lambda v: "true" if v else "false",
    type(None): lambda _v: "null",
}
# Per indentation: key -> ',\n<pad>"key": ' for the few distinct keys rows use.
_PREFIXES: dict[str, dict[Any, str]] = {}


def _prefix(inner: str, key: Any) -> str:
    keys = _PREFIXES.setdefault(inner, {})
    text = keys.get(key) if type(key) is str else None
    if text is None:
        text = ",\n" + inner + _key_text(key)
        if type(key) is str and len(keys) < 4096:
            keys[key] = text
    return text


def _indented(value: Any, out: list[str], pad: str, default: Any) -> None:
    """Append ``value`` as ``json.dumps(indent=2, ensure_ascii=False)`` lays it out at depth ``pad``.

    The standard library's encoder falls back to pure Python whenever ``indent`` is set; this
    does the same layout with the C string escaper and one call per container, not per value.
    """
    fast = _FAST.get(type(value))
    if fast is not None:
        out.append(fast(value))
        return
    text = _scalar(value)
    if text is not None:
        out.append(text)
    elif isinstance(value, dict):
        if not value:
            out.append("{}")
            return
        inner = pad + "  "
        prefixes = _PREFIXES.get(inner) or {}
        first = True
        for key, item in value.items():
            lead = prefixes.get(key) if type(key) is str else None
            if lead is None:
                lead = _prefix(inner, key)
            if first:
                lead = "{" + lead[1:]
                first = False
            fast = _FAST.get(type(item))
            if fast is not None:
                out.append(lead + fast(item))
                continue
            text = _scalar(item)
            if text is not None:
                out.append(lead + text)
            else:
                out.append(lead)
                _indented(item, out, inner, default)
        out.append("\n" + pad + "}")
    elif isinstance(value, list | tuple):
        if not value:
            out.append("[]")
            return
        inner = pad + "  "
        sep = ",\n" + inner
        lead = "[\n" + inner
        for item in value:
            fast = _FAST.get(type(item))
            if fast is not None:
                out.append(lead + fast(item))
            else:
                text = _scalar(item)
                if text is not None:
                    out.append(lead + text)
                else:
                    out.append(lead)
                    _indented(item, out, inner, default)
            lead = sep
        out.append("\n" + pad + "]")
    elif default is not None:
        _indented(default(value), out, pad, default)
    else:
        raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")


def indented_text(value: Any, pad: str, default: Any = _default) -> str:
    """``value`` as ``render_json`` lays it out when it sits at indentation ``pad``."""
    out: list[str] = []
    _indented(value, out, pad, default)
    return "".join(out)


try:
    from _json import make_encoder as _make_encoder
except ImportError:      # an interpreter without the C accelerator
    _make_encoder = None

_SEP = "\x00"            # never in encoded JSON: the encoder escapes control characters


def encoded_values(values: list[Any], default: Any = _default) -> list[str]:
    """The JSON text of each scalar (str, int, float, bool, None; others through ``default``)
    of ``values``, as ``render_json`` writes it, in one call of the C encoder."""
    if not values:
        return []
    if _make_encoder is None:
        return [indented_text(v, "", default) for v in values]
    encode = _make_encoder(None, default, encode_basestring, None, _SEP, _SEP, False, False, True)
    return "".join(encode(values, 0))[1:-1].split(_SEP)


def iter_json_array(rows: Iterable[dict[str, Any]], default: Any = _default,
                    rows_per_chunk: int = 200) -> Iterator[str]:
    """``json.dumps(list(rows), indent=2, ensure_ascii=False, default=default)`` in pieces.

    The text is identical to the one-shot dump, but no list of rows is built, so a caller can
    stream rows straight from the database with memory bounded by one chunk.
    """
    out: list[str] = []
    lead = "[\n  "
    count = 0
    source = iter(rows)
    while True:
        with gc_paused():
            for row in source:
                out.append(lead)
                _indented(row, out, "  ", default)
                lead = ",\n  "
                count += 1
                if count % rows_per_chunk == 0:
                    break
            else:
                break
            text = "".join(out)
        out = []
        yield text
    out.append("[]" if count == 0 else "\n]")
    yield "".join(out)
