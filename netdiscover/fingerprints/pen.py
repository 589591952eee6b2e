"""IANA Private Enterprise Numbers: sysObjectID 1.3.6.1.4.1.N -> registered organisation.

The table ships as ``pen.tsv`` (number, tab, organisation), generated from IANA's registry as
Debian's libwireshark-data installs it. Regenerate with
``python -m netdiscover.fingerprints.pen --build /usr/share/wireshark/enterprises.tsv``.
"""

from __future__ import annotations

import sys
from functools import lru_cache
from pathlib import Path

DATA = Path(__file__).with_name("pen.tsv")
ENTERPRISES = "1.3.6.1.4.1."
HEADER = (
    "# IANA Private Enterprise Numbers (number<TAB>organisation), from\n"
    "# https://www.iana.org/assignments/enterprise-numbers/ via Debian libwireshark-data enterprises.tsv\n"
    "# (regenerate: python -m netdiscover.fingerprints.pen --build /usr/share/wireshark/enterprises.tsv)\n"
)


@lru_cache(maxsize=1)
def _table() -> dict[int, str]:
    table: dict[int, str] = {}
    with DATA.open(encoding="utf-8") as handle:
        for line in handle:
            if line.startswith("#"):
                continue
            number, _, org = line.rstrip("\n").partition("\t")
            if number.isdigit() and org:
                table[int(number)] = org
    return table


def organisation(number: int) -> str | None:
    """The organisation registered under enterprise ``number``, or None."""
    return _table().get(number)


def enterprise_number(oid: str | None) -> int | None:
    """N from an OID under 1.3.6.1.4.1.N (dotted, no leading dot), else None."""
    if not oid or not oid.startswith(ENTERPRISES):
        return None
    head = oid[len(ENTERPRISES):].split(".", 1)[0]
    return int(head) if head.isdigit() and len(head) < 10 else None


def build(source: str, target: Path = DATA) -> int:
    """Rewrite ``target`` from an enterprises.tsv (``N<TAB>org``, ``# comments``); returns rows."""
    rows = 0
    with open(source, encoding="utf-8", errors="replace") as src, target.open("w", encoding="utf-8") as out:
        out.write(HEADER)
        for line in src:
            if line.startswith("#") or not line.strip():
                continue
            parts = line.rstrip("\n").split(None, 1)
            if len(parts) != 2 or not parts[0].isdigit():
                continue
            org = parts[1].split("\t#")[0].strip()
            if org:
                out.write(f"{parts[0]}\t{org}\n")
                rows += 1
    return rows


if __name__ == "__main__":  # pragma: no cover - maintenance entry point
    if len(sys.argv) != 3 or sys.argv[1] != "--build":
        sys.exit("usage: python -m netdiscover.fingerprints.pen --build ENTERPRISES_TSV")
    print(f"{build(sys.argv[2])} entries written to {DATA}")
