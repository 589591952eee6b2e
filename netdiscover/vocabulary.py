"""The fixed words of the asset database: device classes, statuses, lifecycle states, event kinds.

One place for each concept: models, reports, fingerprints and the CLI all take their choices here.
"""

DEVICE_CLASSES: tuple[str, ...] = (
    "router", "switch", "firewall", "wireless-ap", "wireless-controller", "load-balancer",
    "printer", "camera", "power", "storage", "server", "workstation", "mobile", "voip", "iot",
    "appliance", "hypervisor", "media", "unknown",
)

# Review status of an asset. `documented`: matches a record someone keeps (imported or approved);
# `undocumented`: seen on the network, matches no record; the rest are reviewers' decisions.
ASSET_STATUSES: tuple[str, ...] = ("documented", "undocumented", "approved", "ignored", "rogue")

# Owned by the lifecycle module; discovery only reads it (and imports it from inventories).
LIFECYCLE_STATES: tuple[str, ...] = (
    "planned", "procured", "deployed", "maintenance", "retired", "disposed",
)

# Web and API users: viewer reads; reviewer also decides; admin also imports, sweeps, manages users.
USER_ROLES: tuple[str, ...] = ("viewer", "reviewer", "admin")

SCAN_OUTCOMES: tuple[str, ...] = ("running", "completed", "partial", "failed", "aborted")

# asset_events.kind: append-only change log consumed by other modules.
EVENT_KINDS: tuple[str, ...] = (
    "discovered", "imported", "ip_changed", "mac_added", "os_changed", "class_changed",
    "vendor_changed", "model_changed", "hostname_changed", "serial_changed", "service_opened",
    "service_closed", "switch_port_changed", "disappeared", "reappeared", "merged",
    "approved", "ignored", "rogue", "review_undone", "updated", "alerted", "site_changed",
)
