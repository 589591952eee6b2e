"""The Fingerprint a device gets and the Evidence items that explain it.

Every fingerprint source (oui, snmp, nmap, ports, iot, ...) turns observations into Evidence;
the combiner weighs Evidence per field into one Fingerprint. Both are plain data.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

FIELDS = ("vendor", "model", "os_name", "os_version", "device_class", "os_family")


@dataclass(slots=True)
class Evidence:
    """One clue: ``source`` and ``rule`` say where it came from, ``value`` what it says of ``field``.

    ``matched`` is the observed text or value the rule matched (kept for explanation);
    ``weight`` in 0..1 is how much this kind of clue is trusted.
    """

    source: str          # "oui", "snmp", "nmap", "ports", "iot", "entity", ...
    rule: str            # rule id or short description
    field: str           # one of FIELDS
    value: str
    weight: float
    matched: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"source": self.source, "rule": self.rule, "field": self.field, "value": self.value,
                "weight": self.weight, "matched": self.matched}


@dataclass(slots=True)
class Fingerprint:
    """What a device is, how sure we are per field, and why."""

    vendor: str | None = None
    model: str | None = None
    os_name: str | None = None
    os_version: str | None = None
    device_class: str = "unknown"
    # short, stable OS family id (e.g. "iosxe", "junos", "linux"); os_name is its display text
    os_family: str | None = None
    confidence: dict[str, float] = field(default_factory=dict)
    evidence: list[Evidence] = field(default_factory=list)
    conflicts: list[Evidence] = field(default_factory=list)

    @property
    def overall(self) -> float:
        """One figure for lists and sorting: the device-class confidence, else the best field's."""
        if "device_class" in self.confidence:
            return self.confidence["device_class"]
        return max(self.confidence.values(), default=0.0)

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-able dict (what dataclasses.asdict gives, written out: every new asset of a
        sweep needs one, and asdict's generic deep copy cost more than fingerprinting)."""
        return {"vendor": self.vendor, "model": self.model, "os_name": self.os_name,
                "os_version": self.os_version, "device_class": self.device_class, "os_family": self.os_family,
                "confidence": dict(self.confidence), "evidence": [e.to_dict() for e in self.evidence],
                "conflicts": [e.to_dict() for e in self.conflicts]}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Fingerprint:
        data = dict(data)
        data["evidence"] = [Evidence(**e) for e in data.get("evidence") or []]
        data["conflicts"] = [Evidence(**e) for e in data.get("conflicts") or []]
        return cls(**data)
