"""Risk hints for undocumented devices: reasons a reviewer should look at one device first.

Each hint is a small dict ``{"code", "severity", "text"}``; severities are ``high``, ``medium``
and ``low``. Hints come from what the device exposes (the clear-text and unauthenticated services
listed with their reasons in ``risky_services.yaml``: telnet, FTP, MQTT, Redis, VNC, Modbus, ...;
plain-HTTP management; SNMP answering a default community), how it presents itself (a
randomised MAC) and where it sits (a camera or IoT device on a user subnet; a device class never
seen on that subnet).
"""

from __future__ import annotations

import ipaddress
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from typing import Any

from netdiscover.identity import link_local_ip

SEVERITY_ORDER = {"high": 0, "medium": 1, "low": 2}

HTTP_PORTS = {80, 81, 8000, 8008, 8080, 8081, 8088, 8888}
IOT_CLASSES = {"camera", "iot", "media"}
USER_CLASSES = {"workstation", "mobile"}
DEFAULT_COMMUNITIES = {"public", "private"}
# Devices first seen this long before another one count as the subnet's established population.
ESTABLISHED_AFTER = timedelta(hours=1)
# Hints that rest on the device class need a class we are reasonably sure of.
CLASS_CONFIDENCE = 0.5


def hint(code: str, severity: str, text: str) -> dict[str, str]:
    return {"code": code, "severity": severity, "text": text}


@lru_cache(maxsize=65536)
def subnet_of(ip: str) -> str | None:
    """The /24 (IPv4) or /64 (IPv6) holding ``ip``, as text; None for a malformed address and for
    a link-local one (fe80::/64 and 169.254/16 are on every link: no one subnet)."""
    if link_local_ip(ip):
        return None
    if ":" not in ip:
        parts = ip.split(".")
        if len(parts) == 4 and all(p.isdigit() and len(p) <= 3 and int(p) < 256 for p in parts):
            return f"{int(parts[0])}.{int(parts[1])}.{int(parts[2])}.0/24"
        return None
    try:
        addr = ipaddress.ip_address(ip)
    except ValueError:
        return None
    return str(ipaddress.ip_network(f"{addr}/64", strict=False))


def is_randomised_mac(mac: str) -> bool:
    """True when the locally-administered bit is set (phones and laptops randomise this way)."""
    try:
        return bool(int(mac[:2], 16) & 0x02)
    except (ValueError, TypeError):
        return False


def _aware(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    return value if value.tzinfo else value.replace(tzinfo=UTC)


@dataclass
class Population:
    """What lives on one subnet: classes, documented ones, and when each class first appeared."""

    user_devices: set[int] = field(default_factory=set)
    documented: bool = False
    earliest: datetime | None = None
    class_documented: set[str] = field(default_factory=set)
    class_earliest: dict[str, datetime] = field(default_factory=dict)

    def add(self, asset_id: int, device_class: str, first_seen: datetime | None, documented: bool) -> None:
        if device_class in USER_CLASSES:
            self.user_devices.add(asset_id)
        if documented:
            self.documented = True
            self.class_documented.add(device_class)
        elif first_seen is not None:
            if self.earliest is None or first_seen < self.earliest:
                self.earliest = first_seen
            known = self.class_earliest.get(device_class)
            if known is None or first_seen < known:
                self.class_earliest[device_class] = first_seen


@dataclass
class SubnetIndex:
    """Which devices (class, first seen, documented or not) live on each subnet."""

    nets: dict[str, Population] = field(default_factory=lambda: defaultdict(Population))

    @classmethod
    def build(cls, rows: Iterable[tuple[str, int, str, datetime | None, str]]) -> SubnetIndex:
        """From ``(ip, asset_id, device_class, first_seen, status)`` rows of current addresses."""
        index = cls()
        for ip, asset_id, device_class, first_seen, status in rows:
            net = subnet_of(ip)
            if net is not None:
                index.nets[net].add(asset_id, device_class or "unknown", _aware(first_seen),
                                    status in ("documented", "approved"))
        return index

    @classmethod
    def from_groups(cls,
                    groups: Iterable[tuple[str, str | None, str, datetime | None, int, int]]) -> SubnetIndex:
        """``build`` from addresses grouped in the database: ``(address, device_class, status,
        earliest first seen, lowest id, highest id)``, each group's address on the subnet of all
        of its members. The lowest and highest ids answer ``has_user_devices`` as all would."""
        index = cls()
        nets: dict[str, str | None] = {}
        for address, device_class, status, earliest, low, high in groups:
            net = nets[address] if address in nets else nets.setdefault(address, subnet_of(address))
            if net is not None:
                for asset_id in {low, high}:
                    index.nets[net].add(asset_id, device_class or "unknown", _aware(earliest),
                                        status in ("documented", "approved"))
        return index

    def has_user_devices(self, net: str, asset_id: int) -> bool:
        """Whether workstations or phones other than ``asset_id`` live on ``net``."""
        pop = self.nets.get(net)
        return pop is not None and bool(pop.user_devices - {asset_id})

    def class_is_new(self, net: str, device_class: str, first_seen: datetime | None) -> bool:
        """True when ``net`` had an established population (documented devices, or devices seen well
        before ``first_seen``) and none of them was of ``device_class``."""
        pop = self.nets.get(net)
        if pop is None:
            return False
        cutoff = first_seen - ESTABLISHED_AFTER if first_seen is not None else None

        def early(moment: datetime | None) -> bool:
            return moment is not None and cutoff is not None and moment <= cutoff

        established = pop.documented or early(pop.earliest)
        seen_before = device_class in pop.class_documented or early(pop.class_earliest.get(device_class))
        return established and not seen_before


class LazySubnetIndex:
    """A SubnetIndex built from ``source()`` when first asked (the subnet hints are only given
    for a device of a sure class, so many reports never ask)."""

    def __init__(self, source: Callable[[], SubnetIndex]) -> None:
        self._source = source
        self._index: SubnetIndex | None = None

    def _built(self) -> SubnetIndex:
        if self._index is None:
            self._index = self._source()
        return self._index

    def has_user_devices(self, net: str, asset_id: int) -> bool:
        return self._built().has_user_devices(net, asset_id)

    def class_is_new(self, net: str, device_class: str, first_seen: datetime | None) -> bool:
        return self._built().class_is_new(net, device_class, first_seen)


# what assess takes: built, or built on first use
Index = SubnetIndex | LazySubnetIndex


@dataclass(frozen=True)
class RiskyService:
    """One entry of risky_services.yaml: which services make the hint, and the reason shown."""

    code: str
    severity: str
    protocol: str
    text: str
    names: frozenset[str] = frozenset()
    ports: frozenset[int] = frozenset()
    products: tuple[str, ...] = ()
    tls_ok: bool = False

    def matches(self, port: Any, protocol: str, name: str, product: str, tunnel: bool) -> bool:
        if protocol != self.protocol or (tunnel and not self.tls_ok):
            return False
        if name in self.names:
            return True
        if any(word in product for word in self.products):
            return True
        return name in UNNAMED and port in self.ports


# Service names that say nothing: the port alone decides.
UNNAMED = {"", "unknown"}
_ENTRY_KEYS = {"code", "severity", "protocol", "names", "ports", "products", "tls_ok", "text"}


@lru_cache(maxsize=1)
def risky_services() -> tuple[RiskyService, ...]:
    """The shipped risky-service table (risky_services.yaml next to this module), checked on load."""
    from importlib.resources import files

    import yaml

    return parse_risky_services(
        yaml.safe_load(files("netdiscover.reports").joinpath("risky_services.yaml").read_text("utf-8")))


def parse_risky_services(raw: Any) -> tuple[RiskyService, ...]:
    """Entries from the loaded YAML list; ValueError naming the entry when one is malformed."""
    entries = []
    for i, item in enumerate(raw or [], 1):
        unknown = set(item) - _ENTRY_KEYS
        if unknown or not {"code", "severity", "protocol", "text"} <= set(item):
            raise ValueError(f"risky_services.yaml entry {i}: bad keys {sorted(unknown) or sorted(item)}")
        if item["severity"] not in SEVERITY_ORDER or item["protocol"] not in ("tcp", "udp"):
            raise ValueError(f"risky_services.yaml entry {i} ({item['code']}): bad severity or protocol")
        entries.append(RiskyService(
            code=str(item["code"]), severity=item["severity"], protocol=item["protocol"],
            text=str(item["text"]), names=frozenset(str(n).lower() for n in item.get("names") or []),
            ports=frozenset(int(p) for p in item.get("ports") or []),
            products=tuple(str(p).lower() for p in item.get("products") or []),
            tls_ok=bool(item.get("tls_ok", False)),
        ))
    return tuple(entries)


def _service_hints(services: list[dict[str, Any]]) -> list[dict[str, str]]:
    hints, seen = [], set()
    table = risky_services()
    for svc in services:
        port, proto = svc.get("port"), (svc.get("protocol") or "tcp").lower()
        name = (svc.get("name") or "").lower()
        product = (svc.get("product") or "").lower()
        tunnel = "ssl" in name or "https" in name or "tls" in name
        bare = name.split("/")[-1]           # "ssl/mqtt" names the service under the tunnel
        for entry in table:
            if entry.matches(port, proto, bare, product, tunnel) and (entry.code, port) not in seen:
                seen.add((entry.code, port))
                hints.append(hint(entry.code, entry.severity, entry.text.format(port=port, protocol=proto)))
        if proto == "tcp" and not tunnel and (name.startswith("http") or (port in HTTP_PORTS and not name)):
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


def nothing_to_assess(services: list[Any], snmp_credential: Any, snmp_signals: Iterable[str],
                      macs: Iterable[str], randomised_mac: bool, confidence: float,
                      index: Index | None) -> bool:
    """Whether ``assess`` of an asset with these values finds no hint, decided without building
    its row: no services, no credential or SNMP signal, no randomised MAC, and no subnet hint
    to look for (no index, or a class it is not sure of). Most unknown devices are such."""
    if services or snmp_credential or snmp_signals or randomised_mac:
        return False
    if index is not None and float(confidence or 0.0) >= CLASS_CONFIDENCE:
        return False
    return not any(map(is_randomised_mac, macs))


def assess(asset: dict[str, Any], index: Index | None = None,
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
    sure = float(asset.get("confidence") or 0.0) >= CLASS_CONFIDENCE
    if index is not None and sure:
        cls = asset.get("device_class") or "unknown"
        first_seen = _aware(asset.get("_first_seen_dt"))
        for net in sorted({n for n in (subnet_of(ip) for ip in asset.get("ips") or []) if n}):
            if cls in IOT_CLASSES and index.has_user_devices(net, asset["id"]):
                hints.append(hint("iot-on-user-subnet", "medium",
                                  f"{cls} on user subnet {net} (belongs on an IoT/camera VLAN)"))
            if cls != "unknown" and index.class_is_new(net, cls, first_seen):
                hints.append(hint("new-class-on-subnet", "medium",
                                  f"first {cls} ever seen on {net}"))
    hints.sort(key=lambda h: SEVERITY_ORDER.get(h["severity"], 9))
    return hints
