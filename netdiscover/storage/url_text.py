"""The database URL as text: what can be said of it without loading the database layer.

``check_url_text`` refuses what no database could be reached by (control characters, neither
a URL nor a path, an engine other than SQLite or PostgreSQL) with a one-line reason, cheaply
enough for a command to ask before its scanners start sending; ``storage.engine.normalise_url``
asks it first, then parses the rest.
"""

from __future__ import annotations

import os
from pathlib import Path

BACKENDS = ("sqlite", "postgresql")
ALIASES = {"postgres": "postgresql"}
EXAMPLE = "expected e.g. sqlite:///path/netdiscover.db or postgresql://user@host/db"


class DatabaseError(Exception):
    """The database cannot be used (bad URL, unreachable, refused); the message is one line."""


def default_db_url() -> str:
    """The embedded default: a SQLite file under $XDG_DATA_HOME/netdiscover (~/.local/share)."""
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return f"sqlite:///{Path(base) / 'netdiscover' / 'netdiscover.db'}"


def first_line(text: str) -> str:
    return (text.strip().splitlines() or [""])[0][:200]


def check_url_text(url: str | None) -> str:
    """The URL to use (the default when none; a bare path made a sqlite:/// URL); DatabaseError
    when no database could be reached by it."""
    raw = (url or default_db_url()).strip()
    if "\x00" in raw or not raw.isprintable():
        raise DatabaseError("invalid database URL: it contains control characters")
    if "://" not in raw:
        if not raw.startswith(("/", "./", "../", "~")):
            raise DatabaseError(f"invalid database URL {first_line(raw)!r}: {EXAMPLE}")
        return f"sqlite:///{Path(raw).expanduser().absolute()}"
    backend = raw.split("://", 1)[0].split("+", 1)[0].lower()
    backend = ALIASES.get(backend, backend)
    if backend and backend not in BACKENDS:
        raise DatabaseError(f"unsupported database {backend!r}: use sqlite or postgresql")
    return raw
