"""Keeping each fingerprint field's best-supported value across sweeps, and calling the fingerprinter."""

from __future__ import annotations

import logging
from typing import Any

from netdiscover.reconcile.context import Fingerprinter
from netdiscover.reconcile.grouping import Device

log = logging.getLogger(__name__)

FP_FIELDS = ("vendor", "model", "os_name", "os_version", "device_class")
FIELD_EVENTS = {"vendor": "vendor_changed", "model": "model_changed", "os_name": "os_changed",
                "os_version": "os_changed", "device_class": "class_changed"}


def merge_fingerprint(current: dict[str, Any], stored: dict[str, Any] | None,
                      new: Any) -> tuple[dict[str, Any], dict[str, Any] | None, float | None]:
    """Per field keep the higher-confidence value (ties go to the newer sighting).

    ``current`` holds the asset's field values; ``stored`` its fingerprint dict. Returns the
    changed fields, the fingerprint dict to store and the overall confidence (None: unchanged).
    """
    if new is None:
        return {}, stored, None
    new_dict = new.to_dict()
    old_conf = dict((stored or {}).get("confidence") or {})
    new_conf = dict(new_dict.get("confidence") or {})
    merged_conf = dict(old_conf)
    taken: set[str] = set()
    changes: dict[str, Any] = {}
    for name in FP_FIELDS:
        value = new_dict.get(name)
        if name == "device_class" and value == "unknown":
            value = None
        if value is None:
            continue
        old_value = current.get(name)
        if name == "device_class" and old_value == "unknown":
            old_value = None
        if old_value is None or new_conf.get(name, 0.0) >= old_conf.get(name, 0.0):
            taken.add(name)
            merged_conf[name] = new_conf.get(name, 0.0)
            if value != current.get(name):
                changes[name] = value
    old = stored or {}
    merged = {name: (new_dict.get(name) if name in taken else old.get(name, current.get(name)))
              for name in FP_FIELDS}
    if merged.get("device_class") is None:
        merged["device_class"] = current.get("device_class") or "unknown"
    merged["os_family"] = new_dict.get("os_family") if "os_name" in taken else old.get("os_family")
    merged["confidence"] = merged_conf
    merged["evidence"] = ([e for e in old.get("evidence") or [] if e.get("field") not in taken]
                          + [e for e in new_dict.get("evidence") or [] if e.get("field") in taken])
    merged["conflicts"] = ([e for e in old.get("conflicts") or [] if e.get("field") not in taken]
                           + [e for e in new_dict.get("conflicts") or [] if e.get("field") in taken])
    overall = merged_conf.get("device_class", max(merged_conf.values(), default=0.0))
    return changes, merged, overall


def default_fingerprinter() -> Fingerprinter | None:
    try:
        import netdiscover.fingerprints.combine  # noqa: F401
        from netdiscover.fingerprints import fingerprint
    except ImportError:
        log.info("fingerprinting unavailable; devices are stored without a fingerprint")
        return None
    return fingerprint


def fingerprint_device(fingerprinter: Fingerprinter | None, dev: Device) -> Any:
    if fingerprinter is None:
        return None
    try:
        return fingerprinter(list(dev.obs))
    except Exception:  # one odd device must not stop the sweep from being stored
        log.exception("fingerprinting failed for a device seen at %s", ", ".join(dev.ips[:3]) or "?")
        return None
