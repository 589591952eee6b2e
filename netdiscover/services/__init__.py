"""The operations users have, one module per concept, shared by every front door.

The CLI (``commands/``), the daemon, the web API and pages (``web/``) and the remote workers
(``workers/``) call only these functions. They take typed arguments and return typed results:
no click, no printing, no SQL (``storage/`` speaks to the database).

Sessions, one convention:

- A service that reads, or that changes rows as one step of the caller's unit of work, takes a
  ``Session``: the front door opens it (one per page, request, command or task), commits it when
  the service wrote ("caller commits" in its docstring) and closes it. Several reads share it, so
  a request never holds one pooled connection while waiting for a second.
- A service that owns its transactions takes a ``sessionmaker``: it commits on its own, once or
  several times, around long work, locks, leases or retries that the caller must not hold open
  (a sweep, reconciliation, imports, the site ingest, the sweep queue's claims, listening,
  statistics refreshes).
"""
