"""Port and service evidence: what a device's open ports and service banners suggest.

Rules live in ``ports_rules.yaml`` (port sets, nmap service names, product/banner text).
Printers (9100, 515, 631), cameras (554 RTSP, ONVIF), MQTT/CoAP gear, SIP phones and the like
are hinted at with weights below the OS-level sources.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path

from netdiscover.fingerprints import rules
from netdiscover.fingerprints.model import Evidence
from netdiscover.observation import Observation

SOURCE = "ports"
RULES_FILE = Path(__file__).with_name("ports_rules.yaml")
MAX_SERVICES = 512


@lru_cache(maxsize=4)
def _ruleset(generation: int) -> rules.RuleSet:
    return rules.RuleSet(rules.merged(SOURCE, rules.read_rules(RULES_FILE)), anchor_text="text")


def ruleset() -> rules.RuleSet:
    """The compiled port rules, user overrides applied."""
    return _ruleset(rules.generation())


def subject(observations: Sequence[Observation]) -> rules.Subject | None:
    """Open ports, service names and service text of one device (None when it has none)."""
    ports: set[int] = set()
    names: set[str] = set()
    texts: list[str] = []
    for obs in observations:
        for svc in obs.services[:MAX_SERVICES]:
            if isinstance(svc.port, int) and 0 < svc.port < 65536:
                ports.add(svc.port)
            if svc.name:
                names.add(str(svc.name).lower()[:64])
            parts = (svc.name, svc.product, svc.version, svc.extrainfo, svc.banner)
            # searched by rules only, never shown: bounded, no cleaning needed
            line = " ".join(p[:256] for p in parts if isinstance(p, str) and p).strip()
            if line and len(texts) < 64:
                texts.append(line)
    if not ports and not names and not texts:
        return None
    return rules.Subject(texts={"text": " | ".join(texts)},
                         sets={"port": frozenset(ports), "service": frozenset(names)})


def evidence(observations: Sequence[Observation]) -> list[Evidence]:
    """Evidence from the services seen on one device."""
    subj = subject(observations)
    if subj is None:
        return []
    ports = ",".join(str(p) for p in sorted(subj.sets["port"])[:24])
    key = (subj.texts["text"], subj.sets["port"], subj.sets["service"])
    return [Evidence(SOURCE, rid, field, value, weight, f"ports {ports}")
            for rid, field, value, weight in _matches(key, rules.generation())]


@lru_cache(maxsize=16384)
def _matches(key: tuple[str, frozenset[int], frozenset[str]], generation: int) -> tuple[tuple, ...]:
    text, ports, names = key
    subj = rules.Subject(texts={"text": text}, sets={"port": ports, "service": names})
    return tuple((rule.id, field, value, rule.weight)
                 for rule, values in _ruleset(generation).match(subj) for field, value in values.items())
