"""Reports reviewers work from: unknown devices, recent changes, missing documented assets.

Each report is pure here: how one row is built (``unknown``, ``changes``, ``missing``,
``discrepancies``; ``services.reports`` reads the rows through ``storage``) and renderers that
turn rows into a table, JSON, CSV or a self-contained HTML page. Every string
that came off the network is treated as data: control characters are stripped for terminals,
CSV cells cannot start a formula, HTML escapes everything.
"""

from __future__ import annotations

FORMATS: tuple[str, ...] = ("table", "json", "csv", "html")
