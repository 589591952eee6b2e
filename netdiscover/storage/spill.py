"""A disk-backed map of integer keys to the line that first had them, for streams too big for memory.

The inventory reader remembers the identity keys (as hashes) of every row read so far; past a
threshold they move to a private temporary SQLite file, so a million-row import does not hold
millions of keys in memory.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable

_CHUNK = 10_000          # SQLite host parameters per query


class FirstLines:
    """Integer key -> the first line it was added with; in memory up to ``in_memory`` keys, then on disk."""

    def __init__(self, in_memory: int) -> None:
        self.in_memory = in_memory
        self.small: dict[int, int] = {}
        self.db: sqlite3.Connection | None = None

    def lines(self, digests: Iterable[int]) -> dict[int, int]:
        """Of ``digests``, those already added, with their first line."""
        wanted = list(set(digests))
        if self.db is None:
            return {d: self.small[d] for d in wanted if d in self.small}
        found: dict[int, int] = {}
        for start in range(0, len(wanted), _CHUNK):
            part = wanted[start : start + _CHUNK]
            marks = ",".join("?" * len(part))
            found.update(self.db.execute(f"SELECT h, line FROM seen WHERE h IN ({marks})", part))
        return found

    def add(self, first_lines: dict[int, int]) -> None:
        """Remember keys not seen before (a key keeps the first line it came with)."""
        if self.db is None and len(self.small) + len(first_lines) <= self.in_memory:
            for digest, line in first_lines.items():
                self.small.setdefault(digest, line)
            return
        if self.db is None:
            self.db = sqlite3.connect("")        # "": a private temporary file, deleted on close
            self.db.execute("CREATE TABLE seen (h INTEGER PRIMARY KEY, line INTEGER)")
            self.db.executemany("INSERT INTO seen VALUES (?, ?)", self.small.items())
            self.small = {}
        self.db.executemany("INSERT OR IGNORE INTO seen VALUES (?, ?)", first_lines.items())

    def close(self) -> None:
        """Drop the temporary file, if there is one."""
        if self.db is not None:
            self.db.close()
            self.db = None
