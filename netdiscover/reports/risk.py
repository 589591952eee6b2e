"""Risk hints for undocumented devices: reasons a reviewer should look at one device first.

Each hint is a small dict ``{"code", "severity", "text"}``; severities are ``high``, ``medium``
and ``low``. Hints come from what the device exposes (telnet, FTP, plain-HTTP management,
SNMP answering a default community), how it presents itself (a randomised MAC) and where it
sits (a camera or IoT device on a user subnet; a device class never seen on that subnet).
"""

from __future__ import annotations

import ipaddress
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

SEVERITY_ORDER = {"high": 0, "medium": 1, "low": 2}

HTTP_PORTS = {80, 81, 8000, 8008, 8080, 8081, 8088, 8888}
IOT_CLASSES = {"camera", "iot", "media"}
USER_CLASSES = {"workstation", "mobile"}
DEFAULT_COMMUNITIES = {"public", "private"}
# Devices first seen this long before another one count as the subnet's established population.
ESTABLISHED_AFTER = timedelta(hours=1)


def hint(code: str, severity: str, text: str) -> dict[str, str]:
    return {"code": code, "severity": severity, "text": text}


def subnet_of(ip: str) -> str | None:
    """The /24 (IPv4) or /64 (IPv6) holding ``ip``, as text; None for a malformed address."""
    try:
        addr = ipaddress.ip_address(ip)
    except ValueError:
        return None
    prefix = 24 if addr.version == 4 else 64
    return str(ipaddress.ip_network(f"{addr}/{prefix}", strict=False))


def is_randomised_mac(mac: str) -> bool:
    """True when the locally-administered bit is set (phones and laptops randomise this way)."""
    try:
        return bool(int(mac[:2], 16) & 0x02)
    except (ValueError, TypeError):
        return False


@dataclass
class Member:
    asset_id: int
    device_class: str
    first_seen: datetime | None
    documented: bool


@dataclass
class SubnetIndex:
    """Which devices (class, first seen, documented or not) live on each subnet."""

    members: dict[str, list[Member]] = field(default_factory=lambda: defaultdict(list))

    @classmethod
    def build(cls, rows: Iterable[tuple[str, int, str, datetime | None, str]]) -> SubnetIndex:
        """From ``(ip, asset_id, device_class, first_seen, status)`` rows of current addresses."""
        index = cls()
        seen: set[tuple[str, int]] = set()
        for ip, asset_id, device_class, first_seen, status in rows:
            net = subnet_of(ip)
            if net is None or (net, asset_id) in seen:
                continue
            seen.add((net, asset_id))
            index.members[net].append(Member(asset_id, device_class or "unknown", first_seen,
                                             status in ("documented", "approved")))
        return index

    def established(self, net: str, asset_id: int, first_seen: datetime | None) -> list[Member]:
        """Other devices on ``net`` that were there before this one: documented or seen earlier."""
        out = []
        for m in self.members.get(net, []):
            if m.asset_id == asset_id:
                continue
            earlier = (first_seen is not None and m.first_seen is not None
                       and _aware(m.first_seen) <= _aware(first_seen) - ESTABLISHED_AFTER)
            if m.documented or earlier:
                out.append(m)
        return out

    def others(self, net: str, asset_id: int) -> list[Member]:
        return [m for m in self.members.get(net, []) if m.asset_id != asset_id]


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _service_hints(services: list[dict[str, Any]]) -> list[dict[str, str]]:
    hints = []
    for svc in services:
        port, proto = svc.get("port"), (svc.get("protocol") or "tcp").lower()
        name = (svc.get("name") or "").lower()
        tunnel = "ssl" in name or "https" in name or "tls" in name
        if proto == "tcp" and (name == "telnet" or (port == 23 and not name)):
            hints.append(hint("telnet", "high", f"telnet open on {port}/tcp (clear-text logins)"))
        elif proto == "tcp" and (name == "ftp" or (port == 21 and not name)):
            hints.append(hint("ftp", "medium", f"FTP open on {port}/tcp (clear-text logins)"))
        elif proto == "tcp" and not tunnel and (name.startswith("http") or (port in HTTP_PORTS and not name)):
            hints.append(hint("http-admin", "medium",
                              f"plain-HTTP web interface on {port}/tcp (admin page without TLS)"))
    return hints


def _default_community(asset: dict[str, Any], snmp_signals: Iterable[str]) -> bool:
    for label in [asset.get("snmp_credential"), *snmp_signals]:
        text = str(label or "").lower()
        if not text:
            continue
        if "default" in text or any(c == text or text.endswith((f":{c}", f"/{c}"))
                                    for c in DEFAULT_COMMUNITIES):
            return True
    return False


def assess(asset: dict[str, Any], index: SubnetIndex | None = None,
           snmp_signals: Iterable[str] = ()) -> list[dict[str, str]]:
    """Every risk hint for one asset row (as built by the unknown report), most severe first.

    ``snmp_signals`` are credential labels, flags or facts from its observations that may say a
    default community answered (the SNMP scanner labels or flags those).
    """
    hints = _service_hints(asset.get("services") or [])
    if _default_community(asset, snmp_signals):
        hints.append(hint("snmp-default-community", "high", "SNMP answers to a default community"))
    randomised = [m for m in asset.get("macs") or [] if is_randomised_mac(m)]
    if randomised or asset.get("randomised_mac"):
        hints.append(hint("randomised-mac", "low",
                          "randomised (locally administered) MAC: identity may change"))
    if index is not None:
        cls = asset.get("device_class") or "unknown"
        first_seen = asset.get("_first_seen_dt")
        for net in sorted({n for n in (subnet_of(ip) for ip in asset.get("ips") or []) if n}):
            others = index.others(net, asset["id"])
            if cls in IOT_CLASSES and any(m.device_class in USER_CLASSES for m in others):
                hints.append(hint("iot-on-user-subnet", "medium",
                                  f"{cls} on user subnet {net} (belongs on an IoT/camera VLAN)"))
            base = index.established(net, asset["id"], first_seen)
            if cls != "unknown" and base and all(m.device_class != cls for m in base):
                hints.append(hint("new-class-on-subnet", "medium",
                                  f"first {cls} ever seen on {net}"))
    hints.sort(key=lambda h: SEVERITY_ORDER.get(h["severity"], 9))
    return hints
