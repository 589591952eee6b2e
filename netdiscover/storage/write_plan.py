"""The rows one step of a sweep's reconciliation wants written: planned by ``reconcile``, written by
``storage.sweep_writes.SweepStore.apply`` in the order the fields are listed."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

# The column order of the tuples a WritePlan carries for new rows and events.
EVENT_COLUMNS = ("asset_id", "scan_id", "kind", "at", "actor", "note", "old", "new")
ASSET_COLUMNS = ("id", "hostname", "serial", "snmp_engine_id", "device_class", "vendor", "model", "os_name",
                 "os_version", "confidence", "fingerprint", "status", "site", "methods", "snmp_credential",
                 "present", "first_seen", "last_seen", "created_at", "updated_at", "field_sources")
IFACE_COLUMNS = ("asset_id", "mac", "name", "if_index", "speed", "oper_status", "randomised", "first_seen",
                 "last_seen", "identity_key")
ADDR_COLUMNS = ("asset_id", "ip", "mac", "current", "first_seen", "last_seen")

Seen = dict[tuple[datetime, datetime], list[int]]     # (first, last seen) -> row ids seen then


@dataclass
class WritePlan:
    """The rows one planning step wants written."""

    asset_updates: list[dict[str, Any]] = field(default_factory=list)
    asset_seen: Seen = field(default_factory=lambda: defaultdict(list))
    iface_seen: Seen = field(default_factory=lambda: defaultdict(list))
    addr_seen: Seen = field(default_factory=lambda: defaultdict(list))
    new_assets: list[tuple[Any, ...]] = field(default_factory=list)       # ASSET_COLUMNS
    new_interfaces: list[tuple[Any, ...]] = field(default_factory=list)   # IFACE_COLUMNS
    new_addresses: list[tuple[Any, ...]] = field(default_factory=list)    # ADDR_COLUMNS
    iface_updates: list[dict[str, Any]] = field(default_factory=list)
    iface_inserts: list[dict[str, Any]] = field(default_factory=list)
    addr_updates: list[dict[str, Any]] = field(default_factory=list)
    addr_inserts: list[dict[str, Any]] = field(default_factory=list)
    service_updates: list[dict[str, Any]] = field(default_factory=list)
    service_inserts: list[dict[str, Any]] = field(default_factory=list)
    software_updates: list[dict[str, Any]] = field(default_factory=list)
    software_inserts: list[dict[str, Any]] = field(default_factory=list)
    events: list[tuple[Any, ...]] = field(default_factory=list)           # EVENT_COLUMNS
