"""DHCP and link-layer announcement evidence: option 55 order, option 60 text, LLDP/CDP abilities.

The rules live in ``dhcp_rules.yaml`` as data: an exact parameter request list (option 55)
names the client software that built it; a vendor class prefix (option 60, or the DHCPv6
vendor class) names the OS or the maker and kind of device. LLDP and CDP capabilities give a
device class, and a CDP platform string gives the model. Values are read from
``facts["dhcp"]``, ``facts["dhcpv6"]``, ``facts["lldp"]`` and ``facts["cdp"]`` as the passive
listener records them.

Option 60 is also matched against Recog's ``dhcp_vendor_class`` patterns by the banner source
(``fingerprints/banners.py``), which reads the same ``facts["dhcp"]["vendor_class"]``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from netdiscover.fingerprints import rules
from netdiscover.fingerprints.model import FIELDS, Evidence
from netdiscover.fingerprints.vendors import short_vendor
from netdiscover.observation import Observation

SOURCE = "dhcp"
FACT_KEYS = ("dhcp", "dhcpv6", "lldp", "cdp")
RULES_FILE = Path(__file__).with_name("dhcp_rules.yaml")
MICROSOFT_PEN = 311
W_CAPABILITY = 0.5
W_PHONE = 0.6
W_PLATFORM = 0.6
# LLDP/CDP capability -> device class; the first present in this order wins (an L3 switch
# announces bridge and router)
CAPABILITY_CLASS = (("telephone", "voip", W_PHONE), ("wlan-ap", "wireless-ap", W_PHONE),
                    ("bridge", "switch", W_CAPABILITY), ("switch", "switch", W_CAPABILITY),
                    ("router", "router", W_CAPABILITY))


@dataclass(frozen=True, slots=True)
class Rule:
    """One fingerprint: what it matches and which fields it sets, how strongly."""

    id: str
    match: str
    values: tuple[tuple[str, str], ...]
    weight: float
    contains: str | None = None


@dataclass(frozen=True, slots=True)
class RuleSet:
    prl: dict[str, Rule]
    oro: dict[str, Rule]
    vendor: tuple[Rule, ...]


def _rule(raw: Mapping[str, Any], key: str) -> Rule:
    values = tuple((str(k), str(v)) for k, v in (raw.get("set") or {}).items() if k in FIELDS)
    contains = raw.get("contains")
    return Rule(str(raw["id"]), str(raw[key]).replace(" ", "") if key != "prefix" else str(raw[key]).lower(),
                values, float(raw.get("weight", 0.6)), str(contains).lower() if contains else None)


@lru_cache(maxsize=4)
def _ruleset(generation: int) -> RuleSet:
    with RULES_FILE.open(encoding="utf-8") as handle:
        data = rules.load_yaml(handle) or {}
    prl = {r.match: r for r in (_rule(x, "prl") for x in data.get("prl") or [])}
    oro = {r.match: r for r in (_rule(x, "oro") for x in data.get("oro") or [])}
    vendor = tuple(sorted((_rule(x, "prefix") for x in data.get("vendor_class") or []),
                          key=lambda r: -len(r.match)))
    return RuleSet(prl, oro, vendor)


def ruleset() -> RuleSet:
    """The shipped DHCP rules."""
    return _ruleset(rules.generation())


def _emit(out: list[Evidence], rule: Rule, matched: str) -> None:
    out.extend(Evidence(SOURCE, rule.id, fld, value, rule.weight, matched[:255])
               for fld, value in rule.values)


def _vendor_rule(book: RuleSet, text: str) -> Rule | None:
    lowered = text.lower()
    for rule in book.vendor:
        if lowered.startswith(rule.match) and (rule.contains is None or rule.contains in lowered):
            return rule
    return None


def _dhcp(out: list[Evidence], book: RuleSet, facts: Mapping[str, Any], v6: bool) -> None:
    key = "oro" if v6 else "prl"
    sequence = facts.get(key)
    table = book.oro if v6 else book.prl
    if isinstance(sequence, str) and sequence in table:
        _emit(out, table[sequence], f"option {'6' if v6 else '55'} {sequence}")
    vendor = facts.get("vendor_class")
    if isinstance(vendor, str):
        rule = _vendor_rule(book, vendor)
        if rule:
            _emit(out, rule, f"vendor class {vendor}")
    if v6 and facts.get("vendor_enterprise") == MICROSOFT_PEN:
        for fld, value in (("os_family", "windows"), ("os_name", "Microsoft Windows")):
            out.append(Evidence(SOURCE, "dhcpv6-microsoft", fld, value, 0.6, "enterprise 311"))


def _announced(out: list[Evidence], facts: Mapping[str, Any], protocol: str) -> None:
    caps = facts.get("enabled") or facts.get("capabilities")
    if isinstance(caps, list):
        for cap, device_class, weight in CAPABILITY_CLASS:
            if cap in caps:
                out.append(Evidence(SOURCE, f"{protocol}-capability-{cap}", "device_class", device_class,
                                    weight, f"{protocol} capabilities {','.join(map(str, caps))[:200]}"))
                break
    platform = facts.get("platform")
    if protocol == "cdp" and isinstance(platform, str) and platform.strip():
        text = platform.strip()
        maker, _, model = text.partition(" ")
        if maker.lower() == "cisco" and model:
            out.append(Evidence(SOURCE, "cdp-platform", "vendor", "Cisco", W_PLATFORM, text[:255]))
            out.append(Evidence(SOURCE, "cdp-platform", "model", model[:128], W_PLATFORM, text[:255]))
    med = facts.get("med")
    if protocol == "lldp" and isinstance(med, Mapping):
        _med_inventory(out, med)


def _med_inventory(out: list[Evidence], med: Mapping[str, Any]) -> None:
    """An LLDP-MED endpoint's own inventory TLVs (ANSI/TIA-1057): its maker and model name."""
    maker, model = med.get("manufacturer"), med.get("model")
    said = f"LLDP-MED inventory {maker!s:.100} {model!s:.100}"
    vendor = short_vendor(maker) if isinstance(maker, str) else None
    if vendor:
        out.append(Evidence(SOURCE, "lldp-med-inventory", "vendor", vendor[:128], W_PLATFORM, said))
    if isinstance(model, str) and model.strip():
        out.append(Evidence(SOURCE, "lldp-med-inventory", "model", model.strip()[:128], W_PLATFORM, said))


def evidence(observations: Sequence[Observation]) -> list[Evidence]:
    """Evidence from the DHCP, DHCPv6, LLDP and CDP facts of one device's observations."""
    book = ruleset()
    out: list[Evidence] = []
    for obs in observations:
        facts = obs.facts if isinstance(obs.facts, Mapping) else {}
        for key, v6 in (("dhcp", False), ("dhcpv6", True)):
            if isinstance(facts.get(key), Mapping):
                _dhcp(out, book, facts[key], v6)
        for key in ("lldp", "cdp"):
            if isinstance(facts.get(key), Mapping):
                _announced(out, facts[key], key)
    return out
