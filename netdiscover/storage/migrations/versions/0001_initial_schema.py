"""Initial schema: assets, interfaces, addresses, services, software, observations, scans, events.

Revision ID: 0001
Revises:
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('assets',
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
    sa.PrimaryKeyConstraint('id', name=op.f('pk_assets'))
    )
    op.create_index('ix_assets_asset_tag', 'assets', ['asset_tag'], unique=False)
    op.create_index('ix_assets_hostname', 'assets', ['hostname'], unique=False)
    op.create_index('ix_assets_last_seen', 'assets', ['last_seen'], unique=False)
    op.create_index('ix_assets_serial', 'assets', ['serial'], unique=False)
    op.create_index('ix_assets_site', 'assets', ['site'], unique=False)
    op.create_index('ix_assets_snmp_engine_id', 'assets', ['snmp_engine_id'], unique=False)
    op.create_index('ix_assets_status', 'assets', ['status'], unique=False)

    op.create_table('scans',
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
    sa.PrimaryKeyConstraint('id', name=op.f('pk_scans'))
    )
    op.create_index('ix_scans_started_at', 'scans', ['started_at'], unique=False)
    op.create_index('ix_scans_sweep_name', 'scans', ['sweep_name'], unique=False)

    op.create_table('addresses',
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
    sa.UniqueConstraint('asset_id', 'ip', name='uq_addresses_asset_ip')
    )
    op.create_index('ix_addresses_asset_id', 'addresses', ['asset_id'], unique=False)
    op.create_index('ix_addresses_ip', 'addresses', ['ip'], unique=False)
    op.create_index('ix_addresses_ip_current', 'addresses', ['ip', 'current'], unique=False)

    op.create_table('asset_events',
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
    sa.PrimaryKeyConstraint('id', name=op.f('pk_asset_events'))
    )
    op.create_index('ix_asset_events_asset_id', 'asset_events', ['asset_id'], unique=False)
    op.create_index('ix_asset_events_at', 'asset_events', ['at'], unique=False)
    op.create_index('ix_asset_events_kind', 'asset_events', ['kind'], unique=False)
    op.create_index('ix_asset_events_scan_id', 'asset_events', ['scan_id'], unique=False)

    op.create_table('interfaces',
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
    sa.UniqueConstraint('asset_id', 'mac', name='uq_interfaces_asset_mac')
    )
    op.create_index('ix_interfaces_asset_id', 'interfaces', ['asset_id'], unique=False)
    op.create_index('ix_interfaces_mac', 'interfaces', ['mac'], unique=False)

    op.create_table('observations',
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
    sa.PrimaryKeyConstraint('id', name=op.f('pk_observations'))
    )
    op.create_index('ix_observations_asset_id', 'observations', ['asset_id'], unique=False)
    op.create_index('ix_observations_scan_id', 'observations', ['scan_id'], unique=False)

    op.create_table('services',
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
    sa.UniqueConstraint('asset_id', 'port', 'protocol', name='uq_services_asset_port')
    )
    op.create_index('ix_services_asset_id', 'services', ['asset_id'], unique=False)

    op.create_table('software',
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
    sa.UniqueConstraint('asset_id', 'name', 'version', name='uq_software_asset_name')
    )
    op.create_index('ix_software_asset_id', 'software', ['asset_id'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_software_asset_id', table_name='software')

    op.drop_table('software')
    op.drop_index('ix_services_asset_id', table_name='services')

    op.drop_table('services')
    op.drop_index('ix_observations_scan_id', table_name='observations')
    op.drop_index('ix_observations_asset_id', table_name='observations')

    op.drop_table('observations')
    op.drop_index('ix_interfaces_mac', table_name='interfaces')
    op.drop_index('ix_interfaces_asset_id', table_name='interfaces')

    op.drop_table('interfaces')
    op.drop_index('ix_asset_events_scan_id', table_name='asset_events')
    op.drop_index('ix_asset_events_kind', table_name='asset_events')
    op.drop_index('ix_asset_events_at', table_name='asset_events')
    op.drop_index('ix_asset_events_asset_id', table_name='asset_events')

    op.drop_table('asset_events')
    op.drop_index('ix_addresses_ip_current', table_name='addresses')
    op.drop_index('ix_addresses_ip', table_name='addresses')
    op.drop_index('ix_addresses_asset_id', table_name='addresses')

    op.drop_table('addresses')
    op.drop_index('ix_scans_sweep_name', table_name='scans')
    op.drop_index('ix_scans_started_at', table_name='scans')

    op.drop_table('scans')
    op.drop_index('ix_assets_status', table_name='assets')
    op.drop_index('ix_assets_snmp_engine_id', table_name='assets')
    op.drop_index('ix_assets_site', table_name='assets')
    op.drop_index('ix_assets_serial', table_name='assets')
    op.drop_index('ix_assets_last_seen', table_name='assets')
    op.drop_index('ix_assets_hostname', table_name='assets')
    op.drop_index('ix_assets_asset_tag', table_name='assets')

    op.drop_table('assets')
