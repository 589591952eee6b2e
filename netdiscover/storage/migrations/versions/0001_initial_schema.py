"""Initial schema: assets, interfaces, addresses, services, software, observations, scans, events.

Revision ID: 0001
Revises:

One function per table gives its columns and constraints with its indexes; ``upgrade`` creates
the tables in dependency order and ``downgrade`` removes them in the reverse order.
"""

from __future__ import annotations

from collections.abc import Callable

import sqlalchemy as sa
from alembic import op

revision = '0001'
down_revision = None
branch_labels = None
depends_on = None

TableSpec = tuple[list[sa.schema.SchemaItem], list[tuple[str, list[str]]]]


def _assets() -> TableSpec:
    return [
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('asset_tag', sa.String(length=128), nullable=True),
        sa.Column('hostname', sa.String(length=255), nullable=True),
        sa.Column('serial', sa.String(length=128), nullable=True),
        sa.Column('snmp_engine_id', sa.String(length=128), nullable=True),
        sa.Column('device_class', sa.String(length=32), nullable=False),
        sa.Column('vendor', sa.String(length=255), nullable=True),
        sa.Column('model', sa.String(length=255), nullable=True),
        sa.Column('os_name', sa.String(length=255), nullable=True),
        sa.Column('os_version', sa.String(length=255), nullable=True),
        sa.Column('confidence', sa.Float(), nullable=False),
        sa.Column('fingerprint', sa.JSON(), nullable=True),
        sa.Column('status', sa.String(length=16), nullable=False),
        sa.Column('lifecycle_state', sa.String(length=16), nullable=True),
        sa.Column('owner', sa.String(length=255), nullable=True),
        sa.Column('location', sa.String(length=255), nullable=True),
        sa.Column('site', sa.String(length=128), nullable=True),
        sa.Column('attributes', sa.JSON(), nullable=True),
        sa.Column('methods', sa.JSON(), nullable=True),
        sa.Column('snmp_credential', sa.String(length=64), nullable=True),
        sa.Column('present', sa.Boolean(), nullable=False),
        sa.Column('first_seen', sa.DateTime(timezone=True), nullable=True),
        sa.Column('last_seen', sa.DateTime(timezone=True), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_assets')),
    ], [
        ('ix_assets_asset_tag', ['asset_tag']),
        ('ix_assets_hostname', ['hostname']),
        ('ix_assets_last_seen', ['last_seen']),
        ('ix_assets_serial', ['serial']),
        ('ix_assets_site', ['site']),
        ('ix_assets_snmp_engine_id', ['snmp_engine_id']),
        ('ix_assets_status', ['status']),
    ]


def _scans() -> TableSpec:
    return [
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('sweep_name', sa.String(length=128), nullable=True),
        sa.Column('started_by', sa.String(length=128), nullable=True),
        sa.Column('targets', sa.JSON(), nullable=False),
        sa.Column('exclusions', sa.JSON(), nullable=True),
        sa.Column('methods', sa.JSON(), nullable=False),
        sa.Column('started_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('status', sa.String(length=16), nullable=False),
        sa.Column('counts', sa.JSON(), nullable=True),
        sa.Column('messages', sa.JSON(), nullable=True),
        sa.Column('error', sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_scans')),
    ], [
        ('ix_scans_started_at', ['started_at']),
        ('ix_scans_sweep_name', ['sweep_name']),
    ]


def _addresses() -> TableSpec:
    return [
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('asset_id', sa.Integer(), nullable=False),
        sa.Column('ip', sa.String(length=45), nullable=False),
        sa.Column('mac', sa.String(length=17), nullable=True),
        sa.Column('current', sa.Boolean(), nullable=False),
        sa.Column('first_seen', sa.DateTime(timezone=True), nullable=True),
        sa.Column('last_seen', sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(['asset_id'], ['assets.id'],
                                name=op.f('fk_addresses_asset_id_assets'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_addresses')),
        sa.UniqueConstraint('asset_id', 'ip', name='uq_addresses_asset_ip'),
    ], [
        ('ix_addresses_asset_id', ['asset_id']),
        ('ix_addresses_ip', ['ip']),
        ('ix_addresses_ip_current', ['ip', 'current']),
    ]


def _asset_events() -> TableSpec:
    return [
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('asset_id', sa.Integer(), nullable=True),
        sa.Column('scan_id', sa.Integer(), nullable=True),
        sa.Column('kind', sa.String(length=32), nullable=False),
        sa.Column('at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('actor', sa.String(length=128), nullable=True),
        sa.Column('note', sa.Text(), nullable=True),
        sa.Column('old', sa.JSON(), nullable=True),
        sa.Column('new', sa.JSON(), nullable=True),
        sa.ForeignKeyConstraint(['asset_id'], ['assets.id'],
                                name=op.f('fk_asset_events_asset_id_assets'), ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['scan_id'], ['scans.id'],
                                name=op.f('fk_asset_events_scan_id_scans'), ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_asset_events')),
    ], [
        ('ix_asset_events_asset_id', ['asset_id']),
        ('ix_asset_events_at', ['at']),
        ('ix_asset_events_kind', ['kind']),
        ('ix_asset_events_scan_id', ['scan_id']),
    ]


def _interfaces() -> TableSpec:
    return [
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('asset_id', sa.Integer(), nullable=False),
        sa.Column('mac', sa.String(length=17), nullable=False),
        sa.Column('name', sa.String(length=255), nullable=True),
        sa.Column('if_index', sa.Integer(), nullable=True),
        sa.Column('speed', sa.BigInteger(), nullable=True),
        sa.Column('oper_status', sa.String(length=16), nullable=True),
        sa.Column('mac_vendor', sa.String(length=255), nullable=True),
        sa.Column('randomised', sa.Boolean(), nullable=False),
        sa.Column('switch', sa.String(length=255), nullable=True),
        sa.Column('switch_port', sa.String(length=128), nullable=True),
        sa.Column('first_seen', sa.DateTime(timezone=True), nullable=True),
        sa.Column('last_seen', sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(['asset_id'], ['assets.id'],
                                name=op.f('fk_interfaces_asset_id_assets'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_interfaces')),
        sa.UniqueConstraint('asset_id', 'mac', name='uq_interfaces_asset_mac'),
    ], [
        ('ix_interfaces_asset_id', ['asset_id']),
        ('ix_interfaces_mac', ['mac']),
    ]


def _observations() -> TableSpec:
    return [
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('scan_id', sa.Integer(), nullable=True),
        sa.Column('asset_id', sa.Integer(), nullable=True),
        sa.Column('method', sa.String(length=16), nullable=False),
        sa.Column('kind', sa.String(length=16), nullable=False),
        sa.Column('ip', sa.String(length=45), nullable=True),
        sa.Column('mac', sa.String(length=17), nullable=True),
        sa.Column('seen_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('data', sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(['asset_id'], ['assets.id'],
                                name=op.f('fk_observations_asset_id_assets'), ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['scan_id'], ['scans.id'],
                                name=op.f('fk_observations_scan_id_scans'), ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_observations')),
    ], [
        ('ix_observations_asset_id', ['asset_id']),
        ('ix_observations_scan_id', ['scan_id']),
    ]


def _services() -> TableSpec:
    return [
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('asset_id', sa.Integer(), nullable=False),
        sa.Column('port', sa.Integer(), nullable=False),
        sa.Column('protocol', sa.String(length=8), nullable=False),
        sa.Column('name', sa.String(length=64), nullable=True),
        sa.Column('product', sa.String(length=255), nullable=True),
        sa.Column('version', sa.String(length=128), nullable=True),
        sa.Column('extrainfo', sa.String(length=255), nullable=True),
        sa.Column('cpe', sa.JSON(), nullable=True),
        sa.Column('banner', sa.Text(), nullable=True),
        sa.Column('open', sa.Boolean(), nullable=False),
        sa.Column('first_seen', sa.DateTime(timezone=True), nullable=True),
        sa.Column('last_seen', sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(['asset_id'], ['assets.id'],
                                name=op.f('fk_services_asset_id_assets'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_services')),
        sa.UniqueConstraint('asset_id', 'port', 'protocol', name='uq_services_asset_port'),
    ], [
        ('ix_services_asset_id', ['asset_id']),
    ]


def _software() -> TableSpec:
    return [
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('asset_id', sa.Integer(), nullable=False),
        sa.Column('name', sa.String(length=512), nullable=False),
        sa.Column('version', sa.String(length=128), nullable=True),
        sa.Column('cpe', sa.String(length=255), nullable=True),
        sa.Column('first_seen', sa.DateTime(timezone=True), nullable=True),
        sa.Column('last_seen', sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(['asset_id'], ['assets.id'],
                                name=op.f('fk_software_asset_id_assets'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_software')),
        sa.UniqueConstraint('asset_id', 'name', 'version', name='uq_software_asset_name'),
    ], [
        ('ix_software_asset_id', ['asset_id']),
    ]


TABLES: list[tuple[str, Callable[[], TableSpec]]] = [
    ('assets', _assets),
    ('scans', _scans),
    ('addresses', _addresses),
    ('asset_events', _asset_events),
    ('interfaces', _interfaces),
    ('observations', _observations),
    ('services', _services),
    ('software', _software),
]


def upgrade() -> None:
    for name, spec in TABLES:
        columns, indexes = spec()
        op.create_table(name, *columns)
        for index, index_columns in indexes:
            op.create_index(index, name, index_columns, unique=False)


def downgrade() -> None:
    for name, spec in reversed(TABLES):
        for index, _columns in reversed(spec()[1]):
            op.drop_index(index, table_name=name)
        op.drop_table(name)
