"""Index the observations a report shows as 'how found', apart from the sweeps' host sightings.

The unknown-device report reads, for each 500 assets, their neighbour and location sightings
and SNMP answers (``storage.asset_observations.recent_sightings``). Every sweep also stores an
ARP or nmap host sighting for every asset it sees, and the index on ``asset_id`` holds those
too: after 21 sweeps of 100,000 assets, each chunk's lookup on PostgreSQL walked 10,500 host
rows to return none (11.5 ms a chunk, 200 chunks a report), and it grows with every sweep.
The partial index holds only the rows the report reads (0.2 ms a chunk there). Queries must
write its condition as the same literal text (``models.SIGHTINGS``).

Revision ID: 0010
Revises: 0009
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None

SIGHTINGS = "kind <> 'host' OR method = 'snmp'"     # models.SIGHTINGS when this was written


def upgrade() -> None:
    where = sa.text(SIGHTINGS)
    op.create_index("ix_observations_sightings", "observations", ["asset_id"], unique=False,
                    sqlite_where=where, postgresql_where=where)


def downgrade() -> None:
    op.drop_index("ix_observations_sightings", table_name="observations")
