"""Drop indexes that other indexes already serve, and leave room for in-place last-seen updates.

Every sweep rewrites last_seen on every asset, interface and address it sees. Without an
index on assets.last_seen (reports scan the table anyway) and with free space on each page,
PostgreSQL can update those rows in place (HOT) instead of touching every index.

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

from alembic import op

revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None

REDUNDANT = (
    ("ix_assets_last_seen", "assets", ["last_seen"]),
    ("ix_interfaces_asset_id", "interfaces", ["asset_id"]),      # uq_interfaces_asset_mac leads with it
    ("ix_addresses_asset_id", "addresses", ["asset_id"]),        # uq_addresses_asset_ip leads with it
    ("ix_addresses_ip", "addresses", ["ip"]),                    # ix_addresses_ip_current leads with it
)


def upgrade() -> None:
    for name, _table, _cols in REDUNDANT:
        op.execute(f"DROP INDEX IF EXISTS {name}")
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER TABLE assets SET (fillfactor = 80)")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER TABLE assets RESET (fillfactor)")
    for name, table, cols in REDUNDANT:
        op.create_index(name, table, cols, unique=False)
