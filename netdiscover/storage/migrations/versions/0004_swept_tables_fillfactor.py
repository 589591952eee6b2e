"""Leave half of each PostgreSQL page free on the tables every sweep rewrites.

A rescan updates last_seen on every asset, interface and address it sees, all in one
transaction. PostgreSQL writes a new row version for each; only when that version fits on the
same page is the update "HOT" and leaves the indexes alone. At fillfactor 80 (assets) or 100
(interfaces, addresses) a quarter of a rescan's updates were HOT; at 50 all of them are, and
a 100k-device rescan spends 2.9 s instead of 7.0 s on those updates (benchmarks/reconcile_bench.py).
The cost is disk: these three tables take about twice the space (55 MB per 100k devices).

Only pages written from now on follow the new setting; ``VACUUM FULL assets, interfaces,
addresses`` (which locks the tables) rewrites the existing ones. SQLite has no such setting.

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

from alembic import op

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None

TABLES = ("assets", "interfaces", "addresses")


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for table in TABLES:
            op.execute(f"ALTER TABLE {table} SET (fillfactor = 50)")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER TABLE assets SET (fillfactor = 80)")
        for table in ("interfaces", "addresses"):
            op.execute(f"ALTER TABLE {table} RESET (fillfactor)")
