"""Index the sparse asset columns only where they hold a value.

Most assets a sweep discovers have no asset tag, hostname, serial, SNMP engine ID or site.
A full index still stores an entry for every NULL, which every new asset pays for and no
lookup ever reads (identity matching and the inventory only search for values). Partial
indexes (``WHERE col IS NOT NULL``) serve the same equality and IN lookups on SQLite and
PostgreSQL.

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None

SPARSE = ("asset_tag", "hostname", "serial", "snmp_engine_id", "site")


def upgrade() -> None:
    for column in SPARSE:
        op.drop_index(f"ix_assets_{column}", table_name="assets")
        where = sa.text(f"{column} IS NOT NULL")
        op.create_index(f"ix_assets_{column}", "assets", [column], unique=False,
                        sqlite_where=where, postgresql_where=where)


def downgrade() -> None:
    for column in SPARSE:
        op.drop_index(f"ix_assets_{column}", table_name="assets")
        op.create_index(f"ix_assets_{column}", "assets", [column], unique=False)
