"""nmap evidence: OS detection classes, CPEs, nmap's own MAC vendor and service device types.

nmap's best osmatch lists osclass entries (vendor, osfamily, osgen, device type, accuracy,
CPEs). Their words are mapped onto ours through ``nmap_map.yaml``; weights scale with nmap's
accuracy and stay below SNMP text rules. CPEs (``cpe:/o:vendor:product:version``,
``cpe:/h:vendor:product``) give OS version, and hardware vendor and model. The hardware maker
and the OS vendor are different things: an OS CPE or a general-purpose osclass never names
the hardware vendor (the IEEE OUI does).
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from netdiscover.fingerprints.model import Evidence
from netdiscover.fingerprints.vendors import short_vendor
from netdiscover.observation import Observation, clean_text

SOURCE = "nmap"
DATA = Path(__file__).with_name("nmap_map.yaml")
W_OSCLASS = 0.65        # at 100 % nmap accuracy
W_CPE = 0.6
W_MAC_VENDOR = 0.25
W_SERVICE_HINT = 0.4
MIN_ACCURACY = 80
# osclass vendors that write operating systems, not the devices they run on
OS_ONLY_VENDORS = frozenset({"linux", "freebsd", "openbsd", "netbsd", "microsoft", "gnu", "debian", "ubuntu",
                             "red hat", "redhat", "canonical", "google", "wind river", "qnx", "blackberry"})


@lru_cache(maxsize=1)
def _maps() -> tuple[dict[str, str], dict[str, tuple[str, str]]]:
    with DATA.open(encoding="utf-8") as handle:
        data = yaml.load(handle, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader)) or {}
    types = {str(k).lower(): str(v) for k, v in (data.get("device_types") or {}).items()}
    families = {str(k).lower(): (str(v[0]), str(v[1])) for k, v in (data.get("os_families") or {}).items()}
    return types, families


def _num(value: Any, default: int = 0) -> int:
    if isinstance(value, bool):
        return default
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.isdigit() and len(value) < 6:
        return int(value)
    return default


def _text(value: Any, limit: int = 128) -> str:
    return clean_text(value, limit) or ""


def parse_cpe(cpe: Any) -> dict[str, str]:
    """``cpe:/o:vendor:product:version`` (2.2) or ``cpe:2.3:o:...`` -> part, vendor, product, version."""
    text = _text(cpe, 256).lower()
    if text.startswith("cpe:2.3:"):
        parts = text[8:].split(":")
    elif text.startswith("cpe:/"):
        parts = text[5:].split(":")
    else:
        return {}
    keys = ("part", "vendor", "product", "version")
    out = {k: v.replace("_", " ") for k, v in zip(keys, parts, strict=False) if v and v not in ("*", "-")}
    return out if out.get("part") in ("a", "h", "o") else {}


def _cpe_evidence(cpe: Any, rule: str, scale: float) -> list[Evidence]:
    parsed = parse_cpe(cpe)
    if not parsed:
        return []
    out = []
    _, families = _maps()
    vendor = short_vendor(parsed.get("vendor", "").title()) if parsed.get("vendor") else None
    # the hardware maker: an OS CPE names whoever wrote the OS (cpe:/o:linux:linux_kernel on an HPE server)
    if parsed["part"] == "h" and vendor:
        out.append(Evidence(SOURCE, rule, "vendor", vendor, round(W_CPE * scale * 0.8, 3), str(cpe)))
    if parsed["part"] == "h" and parsed.get("product"):
        model = parsed["product"].upper()
        out.append(Evidence(SOURCE, rule, "model", model, round(W_CPE * scale, 3), str(cpe)))
    if parsed["part"] == "o" and parsed.get("product"):
        family = families.get(parsed["product"])
        if family:
            out.append(Evidence(SOURCE, rule, "os_family", family[0], round(W_CPE * scale, 3), str(cpe)))
            out.append(Evidence(SOURCE, rule, "os_name", family[1], round(W_CPE * scale, 3), str(cpe)))
            if parsed.get("version"):
                out.append(Evidence(SOURCE, rule, "os_version", parsed["version"], round(W_CPE * scale, 3),
                                    str(cpe)))
    return out


def _makes_hardware(os_vendor: str, device_type: str) -> bool:
    """An osclass names the OS vendor; it is the hardware maker only on appliances (a router's,
    a printer's firmware), never for a general-purpose OS or an OS-only vendor."""
    return device_type.lower() != "general purpose" and os_vendor.casefold() not in OS_ONLY_VENDORS


def _best_match(osmatch: Any) -> dict[str, Any] | None:
    if not isinstance(osmatch, list):
        return None
    best = None
    for match in osmatch[:16]:
        if not isinstance(match, dict):
            continue
        if best is None or _num(match.get("accuracy")) > _num(best.get("accuracy")):
            best = match
    return best


def facts_evidence(facts: dict[str, Any]) -> list[Evidence]:
    """Evidence from one observation's ``facts["nmap"]``."""
    types, families = _maps()
    out: list[Evidence] = []
    match = _best_match(facts.get("osmatch"))
    if match is not None and _num(match.get("accuracy")) >= MIN_ACCURACY:
        name = _text(match.get("name"))
        classes = match.get("osclass") if isinstance(match.get("osclass"), list) else []
        for cls in classes[:8]:
            if not isinstance(cls, dict):
                continue
            accuracy = _num(cls.get("accuracy"), _num(match.get("accuracy")))
            if accuracy < MIN_ACCURACY:
                continue
            scale = min(accuracy, 100) / 100
            weight = round(W_OSCLASS * scale, 3)
            rule = f"osclass:{_text(cls.get('osfamily'), 40) or '?'}"
            matched = f"{name} ({accuracy}%)"
            kind = types.get(_text(cls.get("type"), 64).lower())
            if kind:
                # "general purpose" says little about server versus workstation
                out.append(Evidence(SOURCE, rule, "device_class", kind,
                                    weight * (0.5 if kind == "server" else 1), matched))
            family = families.get(_text(cls.get("osfamily"), 64).lower())
            if family:
                out.append(Evidence(SOURCE, rule, "os_family", family[0], weight, matched))
                out.append(Evidence(SOURCE, rule, "os_name", family[1], weight, matched))
                gen = _text(cls.get("osgen"), 32)
                if gen:
                    out.append(Evidence(SOURCE, rule, "os_version", gen, weight * 0.8, matched))
            vendor = short_vendor(_text(cls.get("vendor")))
            if vendor and _makes_hardware(vendor, _text(cls.get("type"), 64)):
                out.append(Evidence(SOURCE, rule, "vendor", vendor, weight * 0.8, matched))
            cpes = cls.get("cpe") if isinstance(cls.get("cpe"), list) else []
            for cpe in cpes[:4]:
                out.extend(_cpe_evidence(cpe, "osclass-cpe", scale))
    mac_vendor = _text(facts.get("mac_vendor"))
    vendor = short_vendor(mac_vendor)
    if vendor:
        out.append(Evidence(SOURCE, "nmap-mac-vendor", "vendor", vendor, W_MAC_VENDOR, mac_vendor))
    hints = facts.get("service_hints") if isinstance(facts.get("service_hints"), list) else []
    for hint in hints[:32]:
        if not isinstance(hint, dict):
            continue
        kind = types.get(_text(hint.get("devicetype"), 64).lower())
        if kind and kind != "server":
            out.append(Evidence(SOURCE, f"service-devicetype:{hint.get('port')}", "device_class", kind,
                                W_SERVICE_HINT, _text(hint.get("devicetype"))))
        family = families.get(_text(hint.get("ostype"), 64).lower())
        if family:
            out.append(Evidence(SOURCE, f"service-ostype:{hint.get('port')}", "os_family", family[0],
                                W_SERVICE_HINT, _text(hint.get("ostype"))))
    return out


def evidence(observations: Sequence[Observation]) -> list[Evidence]:
    """nmap evidence: OS classes and MAC vendor from facts, OS CPEs from detected services."""
    out: list[Evidence] = []
    for obs in observations:
        facts = obs.facts.get("nmap") if isinstance(obs.facts, dict) else None
        if isinstance(facts, dict):
            out.extend(facts_evidence(facts))
        for service in obs.services[:256]:
            for cpe in (service.cpe or [])[:4]:
                if str(cpe).lower().startswith(("cpe:/o:", "cpe:2.3:o:", "cpe:/h:", "cpe:2.3:h:")):
                    out.extend(_cpe_evidence(cpe, f"service-cpe:{service.port}", 0.7))
    return out
