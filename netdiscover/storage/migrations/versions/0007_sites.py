"""Several sites: known sites with their collectors' last heartbeat, sweeps sent to a site, and
the observation batches the central ingest received (one row per (sweep, batch): a redelivered
batch is a no-op).

Revision ID: 0007
Revises: 0006
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

TZ = sa.DateTime(timezone=True)

revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "sites",
        sa.Column("name", sa.String(128), nullable=False),
        sa.Column("created_at", TZ, nullable=False),
        sa.Column("collector_host", sa.String(255), nullable=True),
        sa.Column("version", sa.String(64), nullable=True),
        sa.Column("root", sa.Boolean(), nullable=True),
        sa.Column("nmap", sa.Boolean(), nullable=True),
        sa.Column("interfaces", sa.JSON(), nullable=True),
        sa.Column("last_heartbeat", TZ, nullable=True),
        sa.Column("last_sweep_id", sa.String(64), nullable=True),
        sa.PrimaryKeyConstraint("name", name="pk_sites"),
    )
    op.create_table(
        "site_sweeps",
        sa.Column("id", sa.String(64), nullable=False),
        sa.Column("site", sa.String(128), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("outcome", sa.String(16), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("targets", sa.JSON(), nullable=True),
        sa.Column("methods", sa.JSON(), nullable=True),
        sa.Column("batches", sa.Integer(), nullable=True),
        sa.Column("scope", sa.JSON(), nullable=True),
        sa.Column("coverage", sa.JSON(), nullable=True),
        sa.Column("run", sa.String(64), nullable=True),
        sa.Column("scan_id", sa.Integer(), nullable=True),
        sa.Column("counts", sa.JSON(), nullable=True),
        sa.Column("submitted_at", TZ, nullable=True),
        sa.Column("closed_at", TZ, nullable=True),
        sa.Column("claimed_at", TZ, nullable=True),
        sa.Column("reconciled_at", TZ, nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_site_sweeps"),
    )
    op.create_index("ix_site_sweeps_site", "site_sweeps", ["site"], unique=False)
    op.create_table(
        "sweep_batches",
        sa.Column("sweep_id", sa.String(64), nullable=False),
        sa.Column("run", sa.String(64), nullable=False),
        sa.Column("batch", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.Column("payload", sa.LargeBinary(), nullable=False),
        sa.Column("received_at", TZ, nullable=False),
        sa.PrimaryKeyConstraint("sweep_id", "run", "batch", name="pk_sweep_batches"),
    )


def downgrade() -> None:
    op.drop_table("sweep_batches")
    op.drop_index("ix_site_sweeps_site", table_name="site_sweeps")
    op.drop_table("site_sweeps")
    op.drop_table("sites")
