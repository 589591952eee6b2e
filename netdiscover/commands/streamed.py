"""Writing a streamed JSON document to standard output, piece by piece.

``click.echo`` scans every piece for terminal escape codes to strip when the output is not a
terminal; JSON escapes control characters, so it holds none, and for the 150 MB of a report
of 100,000 assets that scan cost more than the writes themselves.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable


def write_json_pieces(pieces: Iterable[str]) -> None:
    """Write the pieces of a JSON text to standard output as they come, then flush."""
    out = sys.stdout
    for piece in pieces:
        out.write(piece)
    out.flush()
