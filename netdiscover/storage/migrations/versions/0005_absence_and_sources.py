"""Absence grace counters, per-field value sources, and the discrepancies table.

``assets.missed_sweeps`` / ``last_missed_at`` / ``last_missed_scan_id`` count the sweeps in a
row that could have seen an asset and did not (an asset disappears only after a grace, see
``netdiscover.reconcile.absence``); a partial index keeps the few missed assets cheap to find.
``assets.field_sources`` records where each chosen field value came from (inventory, operator,
snmp, ...), so a lower-ranked source no longer overwrites it. ``discrepancies`` keeps what
sweeps saw where it disagrees with a documented value.

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

TZ = sa.DateTime(timezone=True)

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


NEW_COLUMNS = ("missed_sweeps", "last_missed_at", "last_missed_scan_id", "field_sources")


def upgrade() -> None:
    # plain ADD/DROP COLUMN, never a batch copy: on SQLite, recreating "assets" with foreign keys
    # on would cascade-delete every interface, address and event of every asset
    op.add_column("assets", sa.Column("missed_sweeps", sa.Integer(), nullable=False,
                                      server_default=sa.text("0")))
    op.add_column("assets", sa.Column("last_missed_at", TZ, nullable=True))
    op.add_column("assets", sa.Column("last_missed_scan_id", sa.Integer(), nullable=True))
    op.add_column("assets", sa.Column("field_sources", sa.JSON(), nullable=True))
    where = sa.text("missed_sweeps > 0")
    op.create_index("ix_assets_missed", "assets", ["missed_sweeps"], unique=False,
                    sqlite_where=where, postgresql_where=where)
    op.create_table(
        "discrepancies",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("asset_id", sa.Integer(), nullable=False),
        sa.Column("field", sa.String(length=32), nullable=False),
        sa.Column("documented", sa.String(length=255), nullable=True),
        sa.Column("observed", sa.String(length=255), nullable=False),
        sa.Column("source", sa.String(length=32), nullable=True),
        sa.Column("first_seen", TZ, nullable=False),
        sa.Column("last_seen", TZ, nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.Column("last_scan_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["asset_id"], ["assets.id"], name="fk_discrepancies_asset_id_assets",
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name="pk_discrepancies"),
        sa.UniqueConstraint("asset_id", "field", "observed", name="uq_discrepancies_asset_field"),
    )


def downgrade() -> None:
    op.drop_table("discrepancies")
    op.drop_index("ix_assets_missed", table_name="assets")
    for column in reversed(NEW_COLUMNS):     # SQLite 3.35+ drops a column in place
        op.execute(f"ALTER TABLE assets DROP COLUMN {column}")
