"""Tables of the several-sites set-up: known sites and their collectors, sweeps sent to a site,
and the observation batches the central ingest received for them (migration 0007)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, Integer, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from netdiscover.storage.models import TZ, Base


class Site(Base):
    """A site whose collector may report; its last heartbeat says what the collector can do."""

    __tablename__ = "sites"

    name: Mapped[str] = mapped_column(String(128), primary_key=True)
    created_at: Mapped[datetime] = mapped_column(TZ)
    collector_host: Mapped[str | None] = mapped_column(String(255))
    version: Mapped[str | None] = mapped_column(String(64))
    root: Mapped[bool | None] = mapped_column(Boolean)
    nmap: Mapped[bool | None] = mapped_column(Boolean)
    interfaces: Mapped[list[Any] | None] = mapped_column(JSON)
    last_heartbeat: Mapped[datetime | None] = mapped_column(TZ)
    last_sweep_id: Mapped[str | None] = mapped_column(String(64))


class SiteSweep(Base):
    """One sweep sent to a site's collector, from submission to reconciliation.

    ``state``: submitted -> closed (the closing message arrived) -> reconciling -> reconciled.
    ``outcome`` is the collector's word: complete, partial or aborted.
    """

    __tablename__ = "site_sweeps"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    site: Mapped[str] = mapped_column(String(128), index=True)
    state: Mapped[str] = mapped_column(String(16), default="submitted")
    outcome: Mapped[str | None] = mapped_column(String(16))
    reason: Mapped[str | None] = mapped_column(Text)
    targets: Mapped[list[Any] | None] = mapped_column(JSON)
    methods: Mapped[list[Any] | None] = mapped_column(JSON)
    batches: Mapped[int | None] = mapped_column(Integer)           # announced by the closing message
    scope: Mapped[list[Any] | None] = mapped_column(JSON)
    coverage: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    run: Mapped[str | None] = mapped_column(String(64))             # the execution that closed it
    scan_id: Mapped[int | None] = mapped_column(Integer)
    counts: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    submitted_at: Mapped[datetime | None] = mapped_column(TZ)
    closed_at: Mapped[datetime | None] = mapped_column(TZ)
    claimed_at: Mapped[datetime | None] = mapped_column(TZ)
    reconciled_at: Mapped[datetime | None] = mapped_column(TZ)


class SweepBatch(Base):
    """One batch of a site sweep's observations as received (compressed JSON); the primary key
    makes a redelivered batch a no-op."""

    __tablename__ = "sweep_batches"

    sweep_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    run: Mapped[str] = mapped_column(String(64), primary_key=True)
    batch: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    count: Mapped[int] = mapped_column(Integer)
    payload: Mapped[bytes] = mapped_column(LargeBinary)
    received_at: Mapped[datetime] = mapped_column(TZ)
