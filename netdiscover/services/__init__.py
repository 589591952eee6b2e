"""The operations users have, one module per concept, shared by every front door.

The CLI (``commands/``), the daemon, the web API and pages (``web/``) and the remote workers
(``workers/``) call only these functions. They take typed arguments and return typed results:
no click, no printing, no SQL (``storage/`` speaks to the database).
"""
