"""The append-only tables (observations, asset_events) keep their asset_id and scan_id columns
and indexes but no foreign-key constraints.

Every sweep appends one observation per sighting and an event per change, and each of their
foreign keys costs a row lookup and a key-share lock on the referenced asset or scan, per row:
on PostgreSQL 65 % of the time of inserting 20,000 observations (379 -> 114 ms) and 45 % for
events (345 -> 182 ms), inside the reconciliation's write lock, which is the serial part of the
central ingest.

What guarantees the references instead:
- The rows are written in the same transaction as, and after, what they point to: the
  reconciliation and the inventory import write them under the database's write lock, for asset
  ids that transaction allocated or read, and the scan row their sweep opened before;
  ``storage.events.record_event`` (operator actions, alerts) refuses an asset id that does not exist.
- Nothing deletes an asset except ``storage.identities.fold_asset``, which moves its observations
  and events to the surviving asset in the same transaction (the ON DELETE SET NULL never fired);
  nothing deletes a scan. The ORM relationship Asset.events still clears an event's asset_id
  should an asset ever be deleted through the ORM.
- ``tests/test_reconcile.py`` checks that no observation or event points at a missing asset or
  scan after sweeps that create, merge and move devices.

Revision ID: 0011
Revises: 0010
"""

from __future__ import annotations

from alembic import op

revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None

# (table, constraint, column, referred table), as the models' naming convention named them
FOREIGN_KEYS = (
    ("observations", "fk_observations_asset_id_assets", "asset_id", "assets"),
    ("observations", "fk_observations_scan_id_scans", "scan_id", "scans"),
    ("asset_events", "fk_asset_events_asset_id_assets", "asset_id", "assets"),
    ("asset_events", "fk_asset_events_scan_id_scans", "scan_id", "scans"),
)


def upgrade() -> None:
    # SQLite copies each table once (batch mode); nothing refers to these two, so the copy
    # cascades nowhere.
    for table in ("observations", "asset_events"):
        with op.batch_alter_table(table) as batch:
            for name in (fk[1] for fk in FOREIGN_KEYS if fk[0] == table):
                batch.drop_constraint(name, type_="foreignkey")


def downgrade() -> None:
    for table in ("observations", "asset_events"):
        with op.batch_alter_table(table) as batch:
            for _table, name, column, referred in (fk for fk in FOREIGN_KEYS if fk[0] == table):
                batch.create_foreign_key(name, referred, [column], ["id"], ondelete="SET NULL")
