"""SQLAlchemy 2.x typed models of the shared asset database (the contract other modules build on).

Tables: assets, interfaces, addresses, services, software, observations, scans, asset_events,
discrepancies.
All timestamps are stored as timezone-aware UTC. Names may be refined; meanings may not
(see DESIGN.md). Schema changes go through Alembic (storage/migrations).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship
from sqlalchemy.types import TypeDecorator

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}



class UTCDateTime(TypeDecorator[datetime]):
    """A timestamp stored as UTC and always read back timezone-aware (SQLite keeps no zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


TZ = UTCDateTime()


# Every sweep rewrites last_seen on each asset, interface and address it sees. On PostgreSQL,
# half of each page is kept free so that every row's new version fits beside the old one and
# the update stays in place (HOT: no index touched); migration 0004.
SWEPT_TABLE = {"postgresql_with": {"fillfactor": 50}}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map = {dict[str, Any]: JSON, list[Any]: JSON}


# asset_events.asset_id has no foreign key (migration 0011): the relationship names its join.
_EVENT_ASSET = "Asset.id == foreign(AssetEvent.asset_id)"


class Asset(Base):
    """One real device."""

    __tablename__ = "assets"
    # Sparse columns are indexed only where set (migration 0003).
    __table_args__ = (
        *(Index(f"ix_assets_{name}", name, sqlite_where=text(f"{name} IS NOT NULL"),
                postgresql_where=text(f"{name} IS NOT NULL"))
          for name in ("asset_tag", "hostname", "serial", "snmp_engine_id", "site")),
        # only assets some sweep missed (migration 0005): a sweep reads them to reset or count on
        Index("ix_assets_missed", "missed_sweeps", sqlite_where=text("missed_sweeps > 0"),
              postgresql_where=text("missed_sweeps > 0")),
        SWEPT_TABLE,
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    asset_tag: Mapped[str | None] = mapped_column(String(128))
    hostname: Mapped[str | None] = mapped_column(String(255))
    serial: Mapped[str | None] = mapped_column(String(128))
    snmp_engine_id: Mapped[str | None] = mapped_column(String(128))
    device_class: Mapped[str] = mapped_column(String(32), default="unknown")
    vendor: Mapped[str | None] = mapped_column(String(255))
    model: Mapped[str | None] = mapped_column(String(255))
    os_name: Mapped[str | None] = mapped_column(String(255))
    os_version: Mapped[str | None] = mapped_column(String(255))
    confidence: Mapped[float] = mapped_column(Float, default=0.0)
    fingerprint: Mapped[dict[str, Any] | None] = mapped_column(JSON)   # fields, confidences, evidence
    status: Mapped[str] = mapped_column(String(16), default="undocumented", index=True)
    lifecycle_state: Mapped[str | None] = mapped_column(String(16))
    owner: Mapped[str | None] = mapped_column(String(255))
    location: Mapped[str | None] = mapped_column(String(255))
    site: Mapped[str | None] = mapped_column(String(128))
    attributes: Mapped[dict[str, Any] | None] = mapped_column(JSON)    # extra inventory columns
    methods: Mapped[list[Any] | None] = mapped_column(JSON)            # scan methods that saw it
    snmp_credential: Mapped[str | None] = mapped_column(String(64))    # label only, never a secret
    present: Mapped[bool] = mapped_column(Boolean, default=True)       # False after "disappeared"
    # Absence (reconcile.absence): sweeps in a row whose methods could have seen it and did not.
    missed_sweeps: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))
    last_missed_at: Mapped[datetime | None] = mapped_column(TZ)
    last_missed_scan_id: Mapped[int | None] = mapped_column(Integer)
    # Where each chosen field value came from ({"hostname": "inventory", ...}; reconcile.sources).
    field_sources: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    first_seen: Mapped[datetime | None] = mapped_column(TZ)
    # not indexed: every sweep rewrites it, and an unindexed column lets PostgreSQL update in place (HOT)
    last_seen: Mapped[datetime | None] = mapped_column(TZ)
    created_at: Mapped[datetime] = mapped_column(TZ)
    updated_at: Mapped[datetime] = mapped_column(TZ)

    interfaces: Mapped[list[Interface]] = relationship(back_populates="asset", cascade="all, delete-orphan")
    addresses: Mapped[list[Address]] = relationship(back_populates="asset", cascade="all, delete-orphan")
    services: Mapped[list[Service]] = relationship(back_populates="asset", cascade="all, delete-orphan")
    software: Mapped[list[Software]] = relationship(back_populates="asset", cascade="all, delete-orphan")
    events: Mapped[list[AssetEvent]] = relationship(back_populates="asset", primaryjoin=_EVENT_ASSET)
    discrepancies: Mapped[list[Discrepancy]] = relationship(back_populates="asset",
                                                            cascade="all, delete-orphan")


class Interface(Base):
    """A MAC an asset holds, and where known the switch and port behind it."""

    __tablename__ = "interfaces"
    __table_args__ = (
        UniqueConstraint("asset_id", "mac", name="uq_interfaces_asset_mac"),
        Index("ix_interfaces_identity_key", "identity_key", sqlite_where=text("identity_key IS NOT NULL"),
              postgresql_where=text("identity_key IS NOT NULL")),
        SWEPT_TABLE,
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    asset_id: Mapped[int] = mapped_column(ForeignKey("assets.id", ondelete="CASCADE"))  # unique index leads
    mac: Mapped[str] = mapped_column(String(17), index=True)
    name: Mapped[str | None] = mapped_column(String(255))
    if_index: Mapped[int | None] = mapped_column(Integer)
    speed: Mapped[int | None] = mapped_column(BigInteger)
    oper_status: Mapped[str | None] = mapped_column(String(16))
    mac_vendor: Mapped[str | None] = mapped_column(String(255))
    randomised: Mapped[bool] = mapped_column(Boolean, default=False)
    switch: Mapped[str | None] = mapped_column(String(255))
    switch_port: Mapped[str | None] = mapped_column(String(128))
    # a randomised-MAC client's DHCP identity (scanners.passive.linking): its MACs rotate, this stays
    identity_key: Mapped[str | None] = mapped_column(String(255))
    first_seen: Mapped[datetime | None] = mapped_column(TZ)
    last_seen: Mapped[datetime | None] = mapped_column(TZ)

    asset: Mapped[Asset] = relationship(back_populates="interfaces")


class Address(Base):
    """An IP an asset held, with first/last seen so IP history and DHCP churn stay visible."""

    __tablename__ = "addresses"
    __table_args__ = (
        UniqueConstraint("asset_id", "ip", name="uq_addresses_asset_ip"),
        Index("ix_addresses_ip_current", "ip", "current"),
        SWEPT_TABLE,
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    asset_id: Mapped[int] = mapped_column(ForeignKey("assets.id", ondelete="CASCADE"))  # unique index leads
    ip: Mapped[str] = mapped_column(String(45))   # ix_addresses_ip_current serves it
    mac: Mapped[str | None] = mapped_column(String(17))
    current: Mapped[bool] = mapped_column(Boolean, default=True)
    first_seen: Mapped[datetime | None] = mapped_column(TZ)
    last_seen: Mapped[datetime | None] = mapped_column(TZ)

    asset: Mapped[Asset] = relationship(back_populates="addresses")


class Service(Base):
    """An open port with product, version and CPE."""

    __tablename__ = "services"
    __table_args__ = (UniqueConstraint("asset_id", "port", "protocol", name="uq_services_asset_port"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    asset_id: Mapped[int] = mapped_column(ForeignKey("assets.id", ondelete="CASCADE"), index=True)
    port: Mapped[int] = mapped_column(Integer)
    protocol: Mapped[str] = mapped_column(String(8), default="tcp")
    name: Mapped[str | None] = mapped_column(String(64))
    product: Mapped[str | None] = mapped_column(String(255))
    version: Mapped[str | None] = mapped_column(String(128))
    extrainfo: Mapped[str | None] = mapped_column(String(255))
    cpe: Mapped[list[Any] | None] = mapped_column(JSON)
    banner: Mapped[str | None] = mapped_column(Text)
    open: Mapped[bool] = mapped_column(Boolean, default=True)
    first_seen: Mapped[datetime | None] = mapped_column(TZ)
    last_seen: Mapped[datetime | None] = mapped_column(TZ)

    asset: Mapped[Asset] = relationship(back_populates="services")


class Software(Base):
    """Installed software (HOST-RESOURCES-MIB, CPEs), for the licence module."""

    __tablename__ = "software"
    __table_args__ = (UniqueConstraint("asset_id", "name", "version", name="uq_software_asset_name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    asset_id: Mapped[int] = mapped_column(ForeignKey("assets.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(512))
    version: Mapped[str | None] = mapped_column(String(128))
    cpe: Mapped[str | None] = mapped_column(String(255))
    first_seen: Mapped[datetime | None] = mapped_column(TZ)
    last_seen: Mapped[datetime | None] = mapped_column(TZ)

    asset: Mapped[Asset] = relationship(back_populates="software")


class Scan(Base):
    """One sweep: who started it, targets, methods, timing, counts, outcome."""

    __tablename__ = "scans"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    sweep_name: Mapped[str | None] = mapped_column(String(128), index=True)
    started_by: Mapped[str | None] = mapped_column(String(128))
    targets: Mapped[list[Any]] = mapped_column(JSON, default=list)
    exclusions: Mapped[list[Any] | None] = mapped_column(JSON)
    methods: Mapped[list[Any]] = mapped_column(JSON, default=list)
    started_at: Mapped[datetime] = mapped_column(TZ, index=True)
    finished_at: Mapped[datetime | None] = mapped_column(TZ)
    status: Mapped[str] = mapped_column(String(16), default="running")
    counts: Mapped[dict[str, Any] | None] = mapped_column(JSON)     # observations, devices, new, ...
    messages: Mapped[list[Any] | None] = mapped_column(JSON)
    error: Mapped[str | None] = mapped_column(Text)


# The observations a report shows as 'how found' (neighbour and location sightings, SNMP
# answers): a few among the ARP and nmap host sightings every sweep adds for every asset.
# Queries write this very text so the partial index on it serves them (migration 0010).
SIGHTINGS = "kind <> 'host' OR method = 'snmp'"


class ObservationRecord(Base):
    """Raw evidence per scan and method, kept so any conclusion can be explained and re-derived."""

    __tablename__ = "observations"
    __table_args__ = (Index("ix_observations_sightings", "asset_id", sqlite_where=text(SIGHTINGS),
                            postgresql_where=text(SIGHTINGS)),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # No foreign keys on this append-only table (their per-row checks cost more than the
    # insert): the references are kept by the writers, as migration 0011 says.
    scan_id: Mapped[int | None] = mapped_column(Integer, index=True)
    asset_id: Mapped[int | None] = mapped_column(Integer, index=True)
    method: Mapped[str] = mapped_column(String(16))
    kind: Mapped[str] = mapped_column(String(16), default="host")
    ip: Mapped[str | None] = mapped_column(String(45))
    mac: Mapped[str | None] = mapped_column(String(17))
    seen_at: Mapped[datetime] = mapped_column(TZ)
    data: Mapped[dict[str, Any]] = mapped_column(JSON)            # Observation.to_dict()


class AssetEvent(Base):
    """Append-only change log (discovered, ip_changed, os_changed, approved, ...)."""

    __tablename__ = "asset_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # No foreign keys, as on observations (migration 0011).
    asset_id: Mapped[int | None] = mapped_column(Integer, index=True)
    scan_id: Mapped[int | None] = mapped_column(Integer, index=True)
    kind: Mapped[str] = mapped_column(String(32), index=True)
    at: Mapped[datetime] = mapped_column(TZ, index=True)
    actor: Mapped[str | None] = mapped_column(String(128))
    note: Mapped[str | None] = mapped_column(Text)
    old: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    new: Mapped[dict[str, Any] | None] = mapped_column(JSON)

    asset: Mapped[Asset | None] = relationship(back_populates="events", primaryjoin=_EVENT_ASSET)


class Discrepancy(Base):
    """A sweep saw another value than the documented one: one row per (asset, field, observed value)."""

    __tablename__ = "discrepancies"
    __table_args__ = (UniqueConstraint("asset_id", "field", "observed", name="uq_discrepancies_asset_field"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    asset_id: Mapped[int] = mapped_column(ForeignKey("assets.id", ondelete="CASCADE"))  # unique index leads
    field: Mapped[str] = mapped_column(String(32))
    documented: Mapped[str | None] = mapped_column(String(255))
    observed: Mapped[str] = mapped_column(String(255))
    source: Mapped[str | None] = mapped_column(String(32))          # method that saw it
    first_seen: Mapped[datetime] = mapped_column(TZ)
    last_seen: Mapped[datetime] = mapped_column(TZ)
    count: Mapped[int] = mapped_column(Integer, default=1)
    last_scan_id: Mapped[int | None] = mapped_column(Integer)

    asset: Mapped[Asset] = relationship(back_populates="discrepancies")

