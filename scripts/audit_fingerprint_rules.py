"""Audit of the shipped SNMP fingerprint rules: what justifies each one (issue 17, item 5).

A shipped rule must rest on a public registry, a second independent public witness, or at least
``MIN_DEVICES`` independent corpus devices. For every rule of ``snmp_rules.yaml`` this counts:

- ``devices``: independent corpus devices it fires on. A device is one ``index.json`` record (its
  ``@context`` files are the same agent and are not read separately); records that show the
  same sysDescr and sysObjectID, or the same serial number, are one box recorded twice (LibreNMS
  keeps several test recordings of one server) and count once.
- ``recog``: a labelled ``<example>`` of the vendored Recog ``snmp_sysdescr``/``snmp_sysobjid``
  databases (written by others, for other devices) that triggers the rule and whose own
  fingerprint names a consistent maker/class/OS: at least one field the rule sets agrees, none
  contradicts (router and switch count as consistent: one box is often both).
- ``registry``: the rule's sysObjectID prefixes lie under an enterprise number whose IANA
  registrant is the maker the rule names (sysObjectID is "the vendor's authoritative
  identification" of the product, SNMPv2-MIB), or under an IETF standard MIB (``standard``).

Every shipped rule states its justification as ``why: registry``, ``standard``, ``recog`` or
``devices``; the audit checks the statement holds (``--check`` fails when one does not, or when a
rule without one fails the policy). Registry, standard and Recog statements are checked without
the corpus; ``devices`` only where the corpus is present (GPL: only read, never copied).

    .venv/bin/python scripts/audit_fingerprint_rules.py [--corpus DIR] [--check] [--json]
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from netdiscover.fingerprints import banners, pen, recog, rules, snmp, training
from netdiscover.fingerprints.vendors import short_vendor

MIN_DEVICES = 2
WHY = ("registry", "standard", "recog", "devices")   # in order of preference
STANDARD_MIB = "1.3.6.1.2.1."
RECOG_DBS = ("snmp_sysdescr", "snmp_sysobjid")
CHECKED_FIELDS = ("vendor", "device_class", "os_family")
# classes that do not contradict each other: generic network gear is routed and switched
_KIN = frozenset({"router", "switch"})
_PRIVATE = frozenset({"", "<private>", "none", "null", "n/a"})


@dataclass(slots=True)
class Verdict:
    """What justifies one rule."""

    id: str
    stated: str | None
    devices: int = 0
    files: list[str] = field(default_factory=list)
    recog: str | None = None          # the first consistent Recog example that triggers it
    registry: str | None = None       # "registry: N (Org)" or "standard: OID"

    @property
    def justified_by(self) -> list[str]:
        """The justifications that hold, in ``WHY`` order."""
        found = [self.registry.split(":", 1)[0]] if self.registry else []
        if self.recog:
            found.append("recog")
        if self.devices >= MIN_DEVICES:
            found.append("devices")
        return found

    def problem(self, counted: bool) -> str | None:
        """Why this rule fails the policy, or None (``counted``: corpus devices were counted)."""
        if self.stated is not None:
            if self.stated not in WHY:
                return f"why: {self.stated!r} is not one of {', '.join(WHY)}"
            if self.stated == "devices" and not counted:
                return None
            if self.stated not in self.justified_by:
                return f"states why: {self.stated}, which does not hold"
            return None
        if counted and not self.justified_by:
            return f"fires on {self.devices} independent corpus device(s), no registry or Recog witness"
        return None


def _norm(value: str | None) -> str:
    return "".join(ch for ch in str(value or "").casefold() if ch.isalnum())


def _words(value: str | None) -> list[str]:
    return re.findall(r"[a-z0-9]+", str(value or "").casefold())


def same_vendor(a: str | None, b: str | None) -> bool:
    """Whether two maker names name the same maker: normalised, one a prefix of the other, or the
    words of one a run of the other's ("Hirschmann" in "Richard Hirschmann GmbH & Co.")."""
    x, y = _norm(short_vendor(a) or a), _norm(short_vendor(b) or b)
    if not x or not y:
        return False
    if x == y or (min(len(x), len(y)) >= 2 and (x.startswith(y) or y.startswith(x))):
        return True
    short, long = sorted((_words(a), _words(b)), key=len)
    return bool(short) and any(long[i:i + len(short)] == short for i in range(len(long) - len(short) + 1))


def _agrees(name: str, ours: str, theirs: str) -> bool:
    if name == "vendor":
        return same_vendor(ours, theirs)
    if name == "device_class":
        return ours == theirs or {ours, theirs} <= _KIN
    a, b = _norm(ours), _norm(theirs)
    return a == b or (min(len(a), len(b)) >= 3 and (a.startswith(b) or b.startswith(a)))


def consistent(values: Mapping[str, str], claims: Mapping[str, str]) -> bool:
    """At least one field both state agrees, and none they both state disagrees."""
    shared = [name for name in CHECKED_FIELDS if values.get(name) and claims.get(name)]
    return bool(shared) and all(_agrees(name, values[name], claims[name]) for name in shared)


@dataclass(slots=True)
class RecogExample:
    """One labelled Recog example as the SNMP rules would see it, and what Recog says it is."""

    text: str
    subject: rules.Subject
    claims: dict[str, str]


def recog_examples() -> list[RecogExample]:
    """Every example of the vendored SNMP Recog databases with the fields its fingerprint names."""
    out = []
    for db in RECOG_DBS:
        for fingerprint in recog.load(db).fingerprints:
            for example in fingerprint.examples:
                params = fingerprint.match(recog.database.bounded(example.text))
                if params is None:
                    continue
                claims: dict[str, str] = {}
                for item in banners.params_evidence(params, db, ""):
                    claims.setdefault(item.field, item.value)
                if db == "snmp_sysobjid":
                    oid, _, descr = example.text.strip().partition(" ")
                else:
                    oid, descr = "", example.text
                subject = snmp.subject({"sysDescr": descr, "sysObjectID": oid})
                out.append(RecogExample(example.text, subject, claims))
    return out


def registry_witness(rule: rules.Rule, makers: Mapping[str, str] | None = None) -> str | None:
    """The registry a rule's sysObjectID prefixes (else its walked subtrees or served enterprise
    numbers) rest on: its maker's IANA enterprise number, or an IETF standard MIB; None when one is
    neither. A rule that names no maker refines the rule for a shorter prefix that does
    (``makers``: OID prefix -> maker named there)."""
    oids = rule.oids or rule.subtrees
    numbers = sorted(rule.sets.get("enterprise", ())) if not oids else \
        [pen.enterprise_number(oid) for oid in oids]
    if not numbers:
        return None
    if rule.oids and all(oid.startswith(STANDARD_MIB) for oid in rule.oids):
        return f"standard: {', '.join(rule.oids)}"
    vendor = rule.values.get("vendor") or _covering_maker(rule.oids, makers or {})
    if not vendor:
        return None
    found = []
    for number in numbers:
        org = pen.organisation(number) if number is not None else None
        if not org or not same_vendor(vendor, org):
            return None
        found.append(f"{number} ({org})")
    return "registry: " + ", ".join(dict.fromkeys(found))


def _covering_maker(oids: Sequence[str], makers: Mapping[str, str]) -> str | None:
    """The maker named by the rule with the longest OID prefix covering all of ``oids``."""
    found = None
    for oid in oids:
        parts = oid.split(".")
        maker = next((makers[p] for p in (".".join(parts[:n]) for n in range(len(parts), 0, -1))
                      if p in makers), None)
        if maker is None or (found is not None and not same_vendor(found, maker)):
            return None
        found = maker
    return found


def oid_makers(ruleset: rules.RuleSet) -> dict[str, str]:
    """OID prefix -> the maker a rule on that prefix alone names (first such rule wins)."""
    makers: dict[str, str] = {}
    for rule in ruleset.rules:
        vendor = rule.values.get("vendor")
        if vendor and rule.oids and not rule.texts:
            for oid in rule.oids:
                makers.setdefault(oid, vendor)
    return makers


def box_keys(devices: Sequence[training.Device]) -> dict[str, str]:
    """Device file -> the key of the box it records (same sysDescr+sysObjectID or serial: one box)."""
    parent = {d.name: d.name for d in devices}

    def root(name: str) -> str:
        while parent[name] != name:
            parent[name] = parent[parent[name]]
            name = parent[name]
        return name

    seen: dict[tuple[str, str], str] = {}
    for device in devices:
        record = device.record
        keys = [("strings", f"{record.get('sysDescr') or ''}\x00{record.get('sysObjectID') or ''}")]
        serial = str(record.get("serial") or "").strip()
        if serial.casefold() not in _PRIVATE:
            keys.append(("serial", serial))
        for key in keys:
            if key in seen:
                parent[root(device.name)] = root(seen[key])
            else:
                seen[key] = device.name
    return {name: root(name) for name in parent}


def corpus_witnesses(ruleset: rules.RuleSet, devices: Sequence[training.Device]) -> dict[str, set[str]]:
    """Rule id -> boxes (``box_keys``) it fires on."""
    boxes = box_keys(devices)
    fired: dict[str, set[str]] = {}
    for device in devices:
        subject = snmp.subject(device.facts)
        for rule, _ in ruleset.match(subject):
            fired.setdefault(rule.id, set()).add(boxes[device.name])
    return fired


def audit(raw_rules: Iterable[Mapping[str, Any]], devices: Sequence[training.Device] | None) -> list[Verdict]:
    """One verdict per rule; corpus devices are counted only when ``devices`` is given."""
    raw_rules = list(raw_rules)
    ruleset = rules.RuleSet(raw_rules, anchor_text="descr")
    examples = recog_examples()
    fired = corpus_witnesses(ruleset, devices) if devices is not None else {}
    makers = oid_makers(ruleset)
    verdicts = []
    for raw, rule in zip(raw_rules, ruleset.rules, strict=True):
        why = raw.get("why")
        verdict = Verdict(rule.id, None if why is None else str(why))
        boxes = fired.get(rule.id, set())
        verdict.devices, verdict.files = len(boxes), sorted(boxes)
        verdict.registry = registry_witness(rule, makers)
        for example in examples:
            if rule.matches(example.subject) is not None and consistent(rule.values, example.claims):
                verdict.recog = example.text[:120]
                break
        verdicts.append(verdict)
    return verdicts


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=training.default_corpus())
    parser.add_argument("--rules", type=Path, default=snmp.RULES_FILE)
    parser.add_argument("--no-corpus", action="store_true", help="check stated justifications only")
    parser.add_argument("--check", action="store_true", help="exit 1 when a rule fails the policy")
    parser.add_argument("--json", action="store_true", help="one JSON object per rule")
    args = parser.parse_args(argv)
    index = args.corpus / "snmp-public" / "index.json"
    counted = not args.no_corpus and index.exists()
    if not args.no_corpus and not counted:
        print(f"note: no corpus at {args.corpus}; stated justifications checked only", file=sys.stderr)
    devices = training.load_corpus(args.corpus) if counted else None
    verdicts = audit(rules.read_rules(args.rules), devices)
    problems = 0
    for v in verdicts:
        problem = v.problem(counted)
        problems += problem is not None
        if args.json:
            print(json.dumps({"id": v.id, "why": v.stated, "devices": v.devices, "files": v.files[:4],
                              "recog": v.recog, "registry": v.registry,
                              "justified_by": v.justified_by, "problem": problem}))
        elif problem or not args.check:
            print(f"{v.id:32} {v.devices:3} dev  {','.join(v.justified_by) or '-':24} "
                  f"{problem or ''}{' ' + v.files[0] if problem and v.files else ''}")
    tally = {name: sum(name in v.justified_by for v in verdicts) for name in WHY}
    single = sum(1 for v in verdicts if v.devices < MIN_DEVICES) if counted else None
    print(f"{len(verdicts)} rules; justified by {tally}; fewer than {MIN_DEVICES} independent devices: "
          f"{single}; failing the policy: {problems}", file=sys.stderr)
    return 1 if args.check and problems else 0


if __name__ == "__main__":
    sys.exit(main())
