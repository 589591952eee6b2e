"""The DHCP identity key of a randomised-MAC interface, indexed, so a client that rotates its
MAC is found again by the key it kept (``netdiscover.scanners.passive.linking``).

Revision ID: 0008
Revises: 0007
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # plain ADD COLUMN and a partial index: only the few randomised-MAC clients carry a key
    op.add_column("interfaces", sa.Column("identity_key", sa.String(length=255), nullable=True))
    where = sa.text("identity_key IS NOT NULL")
    op.create_index("ix_interfaces_identity_key", "interfaces", ["identity_key"], unique=False,
                    sqlite_where=where, postgresql_where=where)


def downgrade() -> None:
    op.drop_index("ix_interfaces_identity_key", table_name="interfaces")
    op.drop_column("interfaces", "identity_key")
