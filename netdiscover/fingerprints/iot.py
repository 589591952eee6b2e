"""IoT evidence: what a device announced over mDNS/DNS-SD, SSDP/UPnP and NetBIOS.

Three kinds of clue, all driven by ``iot_rules.yaml`` beside this module:
- rules over the announcement (service types, TXT items, UPnP device types, maker and model
  strings, device names, SSDP SERVER header, NetBIOS suffixes) set vendor, class, OS;
- the maker a device names itself (UPnP ``manufacturer``, TXT ``usb_MFG``...) is its vendor,
  shortened with the shared vendor-name table;
- the model it names itself (UPnP ``modelName``, TXT ``ty``/``md``/``usb_MDL``...) is its model,
  with a leading maker name cut off so that "HP LaserJet Pro M404dn" and "LaserJet Pro M404dn"
  agree.
User rules for the source name ``iot`` replace shipped rules with the same id.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from netdiscover.fingerprints import rules
from netdiscover.fingerprints.model import FIELDS, Evidence
from netdiscover.fingerprints.vendors import short_vendor
from netdiscover.observation import Observation, clean_text

SOURCE = "iot"
RULES_FILE = Path(__file__).with_name("iot_rules.yaml")
W_MAKER = 0.75            # a UPnP manufacturer field
W_MODEL = 0.8             # a UPnP modelName field
W_MODEL_NUMBER = 0.5      # modelNumber alone (when there is no modelName)
MAX_ITEMS = 64            # strings of one kind looked at per device
_NO_VALUE = frozenset({"", "n/a", "na", "none", "null", "unknown", "-", ".", "0", "default"})
_REGEX_CONDITIONS = ("upnp_type", "maker", "model", "name", "server")


@dataclass(slots=True)
class Announced:
    """What one device announced, gathered from all its iot observations."""

    services: set[str] = field(default_factory=set)
    txt: list[tuple[str, str, str]] = field(default_factory=list)       # (service, key, value)
    upnp_types: list[str] = field(default_factory=list)
    makers: list[tuple[str, float, str]] = field(default_factory=list)  # (text, weight, where)
    models: list[tuple[str, float, str]] = field(default_factory=list)
    names: list[str] = field(default_factory=list)
    servers: list[str] = field(default_factory=list)
    netbios: list[tuple[int, bool]] = field(default_factory=list)        # (suffix, is_group)


@dataclass(slots=True)
class IotRule:
    """One compiled rule: regex conditions, set conditions, the fields it sets, its weight."""

    id: str
    values: dict[str, str]
    weight: float
    regexes: dict[str, re.Pattern[str]]
    services: frozenset[str] = frozenset()
    txt: tuple[str, str, re.Pattern[str]] | None = None
    suffixes: frozenset[int] = frozenset()
    group: bool | None = None

    def matches(self, seen: Announced) -> str | None:
        """The announced text this rule matched, or None."""
        matched: list[str] = []
        if self.services:
            hit = sorted(self.services & seen.services)
            if not hit:
                return None
            matched.append(hit[0])
        if self.txt is not None:
            service, key, pattern = self.txt
            hit_txt = next((f"{k}={v}" for s, k, v in seen.txt if service in ("*", s)
                            and k.lower() == key and pattern.search(v)), None)
            if hit_txt is None:
                return None
            matched.append(hit_txt)
        for condition, pattern in self.regexes.items():
            hit_text = next((t for t in _texts(seen, condition) if pattern.search(t)), None)
            if hit_text is None:
                return None
            matched.append(hit_text)
        if self.suffixes:
            if not any(s in self.suffixes and self.group in (None, g) for s, g in seen.netbios):
                return None
            matched.append(f"NetBIOS <{min(self.suffixes):02x}>")
        return " | ".join(matched)[:160] if matched else None


def _texts(seen: Announced, condition: str) -> list[str]:
    if condition == "upnp_type":
        return seen.upnp_types
    if condition == "maker":
        return [m[0] for m in seen.makers]
    if condition == "model":
        return [m[0] for m in seen.models]
    if condition == "name":
        return seen.names
    return seen.servers


def _compile(raw: Mapping[str, Any]) -> IotRule:
    rid = str(raw.get("id") or "").strip()
    if not rid:
        raise rules.RuleError(f"iot rule without an id: {dict(raw)!r:.80}")
    try:
        values = {str(k): str(v) for k, v in (raw.get("set") or {}).items() if v is not None}
        unknown = [k for k in values if k not in FIELDS]
        if unknown:
            raise rules.RuleError(f"rule {rid}: unknown field {unknown[0]!r}")
        flags = re.IGNORECASE
        regexes = {c: re.compile(str(raw[c]), flags) for c in _REGEX_CONDITIONS if raw.get(c)}
        services = frozenset(str(s).lower() for s in _as_list(raw.get("mdns_service")))
        txt = None
        if raw.get("txt"):
            spec = raw["txt"]
            txt = (str(spec.get("service", "*")).lower(), str(spec["key"]).lower(),
                   re.compile(str(spec.get("value", ".")), flags))
        suffixes = frozenset(int(s) for s in _as_list(raw.get("netbios_suffix")))
        group = raw.get("netbios_group")
        weight = float(raw.get("weight", rules.DEFAULT_WEIGHT))
    except re.error as exc:
        raise rules.RuleError(f"rule {rid}: bad regex: {exc}") from None
    except (TypeError, ValueError, KeyError, AttributeError) as exc:
        if isinstance(exc, rules.RuleError):
            raise
        raise rules.RuleError(f"rule {rid}: {exc}") from None
    if not 0 < weight <= 1:
        raise rules.RuleError(f"rule {rid}: weight must be in (0, 1]")
    if not (regexes or services or txt or suffixes):
        raise rules.RuleError(f"rule {rid}: states no condition")
    return IotRule(rid, values, weight, regexes, services, txt, suffixes,
                   None if group is None else bool(group))


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return list(value) if isinstance(value, list | tuple | set) else [value]


@dataclass(frozen=True, slots=True)
class RuleBook:
    """The compiled rules plus the TXT keys that carry a model or a maker."""

    rules: tuple[IotRule, ...]
    model_keys: tuple[tuple[str, str, float], ...]
    maker_keys: tuple[tuple[str, str, float], ...]


@lru_cache(maxsize=4)
def _book(generation: int) -> RuleBook:
    with RULES_FILE.open(encoding="utf-8") as handle:
        data = rules.load_yaml(handle) or {}

    def keys(name: str) -> tuple[tuple[str, str, float], ...]:
        return tuple((str(k.get("service", "*")).lower(), str(k["key"]).lower(), float(k.get("weight", 0.6)))
                     for k in data.get(name) or [])

    compiled = tuple(_compile(r) for r in rules.merged(SOURCE, list(data.get("rules") or [])))
    return RuleBook(compiled, keys("model_keys"), keys("maker_keys"))


def rulebook() -> RuleBook:
    """The shipped rules with user overrides applied."""
    return _book(rules.generation())


def _useful(value: Any, limit: int = 128) -> str | None:
    text = clean_text(value, limit)
    if not text or text.casefold() in _NO_VALUE:
        return None
    return text


def _key_weight(table: Iterable[tuple[str, str, float]], service: str, key: str) -> float | None:
    best = None
    for want_service, want_key, weight in table:
        if want_key == key and want_service in ("*", service):
            if want_service == service:
                return weight
            best = weight
    return best


def gather(observations: Sequence[Observation]) -> Announced:
    """Everything the iot facts of ``observations`` say, in rule-ready form (bounded)."""
    seen = Announced()
    book = rulebook()
    for obs in observations:
        facts = obs.facts if isinstance(obs.facts, Mapping) else {}
        _gather_mdns(seen, facts.get("mdns"), book)
        _gather_ssdp(seen, facts.get("ssdp"))
        _gather_netbios(seen, facts.get("netbios"))
    return seen


def _gather_mdns(seen: Announced, mdns: Any, book: RuleBook) -> None:
    if not isinstance(mdns, Mapping):
        return
    for service in (mdns.get("services") or [])[:MAX_ITEMS]:
        if isinstance(service, str):
            seen.services.add(service.lower())
    items: list[tuple[str, str, str]] = []
    for record in (mdns.get("records") or [])[:MAX_ITEMS]:
        if not isinstance(record, Mapping):
            continue
        service = str(record.get("service") or "").lower()
        if service:
            seen.services.add(service)
        txt = record.get("txt") if isinstance(record.get("txt"), Mapping) else {}
        items.extend((service, str(k)[:64], str(v)[:255]) for k, v in list(txt.items())[:MAX_ITEMS])
        instance = _useful(record.get("instance"))
        if instance:
            seen.names.append(instance)
    if not items and isinstance(mdns.get("txt"), Mapping):
        items = [("*", str(k)[:64], str(v)[:255]) for k, v in list(mdns["txt"].items())[:MAX_ITEMS]]
    for service, key, value in items:
        seen.txt.append((service, key, value))
        useful = _useful(value)
        if not useful:
            continue
        lowered = key.lower()
        weight = _key_weight(book.model_keys, service, lowered)
        if weight:
            seen.models.append((useful, weight, f"mdns {service} {key}"))
        weight = _key_weight(book.maker_keys, service, lowered)
        if weight:
            seen.makers.append((useful, weight, f"mdns {service} {key}"))
    hostname = _useful(mdns.get("hostname"), 255)
    if hostname:
        seen.names.append(hostname.removesuffix(".local"))


def _gather_ssdp(seen: Announced, ssdp: Any) -> None:
    if not isinstance(ssdp, Mapping):
        return
    for value in [ssdp.get("deviceType"), *(ssdp.get("embedded") or [])[:16]]:
        text = _useful(value, 256)
        if text:
            seen.upnp_types.append(text)
    maker = _useful(ssdp.get("manufacturer"))
    if maker:
        seen.makers.append((maker, W_MAKER, "upnp manufacturer"))
    model_name, model_number = _useful(ssdp.get("modelName")), _useful(ssdp.get("modelNumber"))
    if model_name:
        seen.models.append((model_name, W_MODEL, "upnp modelName"))
    if model_number and (not model_name or model_number.casefold() not in model_name.casefold()):
        seen.models.append((model_number, W_MODEL_NUMBER if not model_name else 0.3, "upnp modelNumber"))
    friendly = _useful(ssdp.get("friendlyName"), 255)
    if friendly:
        seen.names.append(friendly)
    server = _useful(ssdp.get("server"), 256)
    if server:
        seen.servers.append(server)


def _gather_netbios(seen: Announced, netbios: Any) -> None:
    if not isinstance(netbios, Mapping):
        return
    for entry in (netbios.get("names") or [])[:MAX_ITEMS]:
        if not isinstance(entry, list | tuple) or len(entry) != 3:
            continue
        name, suffix, group = entry
        if not isinstance(suffix, int):
            continue
        seen.netbios.append((suffix, bool(group)))
        text = _useful(name, 16)
        if text and not group and text not in seen.names:
            seen.names.append(text)


def _strip_maker(model: str, makers: Iterable[str]) -> str:
    for maker in sorted({m for m in makers if m}, key=len, reverse=True):
        if model.casefold().startswith(maker.casefold()) and len(model) > len(maker) + 1 \
                and not model[len(maker)].isalnum():
            return model[len(maker):].strip(" -_:,")
    return model


def evidence(observations: Sequence[Observation]) -> list[Evidence]:
    """Evidence from the mdns/ssdp/netbios facts of one device's observations."""
    seen = gather(observations)
    out: list[Evidence] = []
    vendors: list[str] = []
    for rule in rulebook().rules:
        matched = rule.matches(seen)
        if matched is None:
            continue
        for fld, value in rule.values.items():
            out.append(Evidence(SOURCE, rule.id, fld, value, rule.weight, matched))
            if fld == "vendor":
                vendors.append(value)
    raw_makers = []
    for maker, weight, where in seen.makers[:MAX_ITEMS]:
        vendor = short_vendor(maker)
        if vendor:
            out.append(Evidence(SOURCE, where, "vendor", vendor, weight, maker))
            vendors.append(vendor)
            raw_makers.append(maker)
    strip = [*raw_makers, *vendors]
    for model, weight, where in seen.models[:MAX_ITEMS]:
        value = _strip_maker(model, strip)
        if value:
            out.append(Evidence(SOURCE, where, "model", value, weight, model))
    return out
