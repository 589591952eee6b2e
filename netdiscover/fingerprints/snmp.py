"""SNMP evidence: sysObjectID, sysDescr, ENTITY-MIB, sysServices and which MIBs answered.

- sysObjectID 1.3.6.1.4.1.N names the registrant of enterprise number N (IANA PEN, ``pen.tsv``),
  shortened to a vendor name; OEM boxes answer with their chip or board maker's number, so this
  is weaker than a rule that recognises the product.
- ``snmp_rules.yaml`` holds sysObjectID-prefix and sysDescr rules (vendors' documented
  conventions) that set vendor, OS family/name/version, model and device class.
- ENTITY-MIB: the chassis entry's model name (strongest when it carries a serial number) and
  manufacturer.
- The device class comes from the learned model (``class_model.json``, see ``snmp_features``):
  standard-MIB facts, the maker behind the enterprise number, sysDescr/ENTITY words, the
  classes the rules propose and the classes sysDescr names in plain words ("Load Balancer",
  "Access Point": ``banners.class_words``) are its features; its top contributions are listed
  as evidence.
  Without a model file, the rules' classes and the MIB/sysServices hints speak directly.
- LLDP-MIB ``lldpLocSysCapEnabled`` is the device's own statement of what it is (IEEE 802.1AB);
  it is weighed as a separate source, ``lldp``.
- Recog's public ``snmp_sysdescr``/``snmp_sysobjid`` databases (written by others, for devices
  nobody here recorded) name vendor, OS and class from the same two values; they speak as the
  separate source ``recog``, and the class they propose is one more model feature.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any

from netdiscover.fingerprints import banners, class_model, pen, rules, snmp_features
from netdiscover.fingerprints.combine import vendor_range
from netdiscover.fingerprints.model import Evidence
from netdiscover.fingerprints.vendors import known_vendor, opening_company, short_vendor
from netdiscover.observation import Observation, clean_text

SOURCE = "snmp"
LLDP_SOURCE = "lldp"
MODEL_RULE = "class-model"
EXPLAIN = 6         # model features listed as evidence
FACT_KEYS = ("snmp",)     # only devices with SNMP facts are looked at
RULES_FILE = Path(__file__).with_name("snmp_rules.yaml")
# Kinds of registry/convention evidence, the field each names, and its weight when the shipped
# model has none learned: the registrant of sysObjectID's enterprise number, of an enterprise
# subtree the agent serves beyond net-snmp's, a known maker's name at the start of sysDescr (the
# registrant's, when the text prints both: "Dell SonicWALL" from SonicWALL's number), a known
# maker as the holder of a copyright notice in sysDescr ("(c) Ciena (R) Corporation"),
# ENTITY-MIB's manufacturer, and an OS named the way vendors name theirs in sysDescr ("JUNOS",
# "RouterOS", "ArubaOS", "NX-OS").
REGISTRY_KINDS = {"iana-pen": ("vendor", 0.55), "served-pen": ("vendor", 0.5),
                  "descr-maker": ("vendor", 0.68), "descr-copyright": ("vendor", 0.6),
                  "entity-mfg": ("vendor", 0.7), "descr-os": ("os_family", 0.3)}
# A learned weight is the kind's share of right answers, scaled so that this evidence stays
# below a rule that recognised the product itself (0.8 and up), whatever the corpus says.
LEARNED_SCALE = 0.75
# Kinds whose evidence names one registrant ("iana-pen:4413"): a registrant whose number answers
# for several makers' boxes (a chip maker's SDK default, an OEM board, a standards body's
# subtree) gets its own learned weight, its share of right makers (training.evidence_weights).
PER_REGISTRANT = ("iana-pen", "served-pen")
# "Copyright (c) 2000-2024 Nokia.", "(c) Ciena (R) Corporation", "Copyright 2010 by Cisco Systems"
_COPYRIGHT = re.compile(r"(?:\bcopyright\b\s*(?:\(c\)|\u00a9)?|\(c\)|\u00a9)\s*"
                        r"(?:\d{4}(?:\s*-\s*\d{4})?,?\s*)?(?:by\s+)?([A-Za-z][^;\n]{0,59})", re.IGNORECASE)
_OS_WORD = re.compile(r"\b([A-Za-z][A-Za-z-]{0,12}OS)\b(?![-.]\w)")
MAX_DESCR = 512     # sysDescr is a DisplayString of at most 255 octets; more is noise or hostile
W_ENTITY_SERIAL = 0.95
W_ENTITY = 0.7
MAX_ENTITY_ROWS = 64   # entity rows searched for a manufacturer when the chassis names none
_OID = re.compile(r"\d{1,10}(?:\.\d{1,10}){1,127}")
_BARE_ID = re.compile(r"0x[0-9a-f]{1,16}|(?=[0-9a-f]*\d)[0-9a-f]{1,16}", re.IGNORECASE)
_NO_VALUE = frozenset({"", "n/a", "na", "none", "null", "unknown", "not specified", "default string",
                       "to be filled by o.e.m.", "0", "-", "."})

# MIB subtree -> (device class, weight): a Printer-MIB says printer louder than a bridge MIB says switch
MIB_CLASS: dict[str, tuple[str, float]] = {
    "printer": ("printer", 0.7),
    "ups": ("power", 0.7),
    "dot11": ("wireless-ap", 0.35),
    "power-ethernet": ("switch", 0.25),
    "q-bridge": ("switch", 0.2),
    "bridge": ("switch", 0.15),
    "host-resources": ("server", 0.12),   # general-purpose hosts; many appliances answer it too
}
# lldpLocSysCapEnabled capability -> (class, weight); the standard's own words, so not learned
# (IEEE 802.1AB-2009 LldpSystemCapabilitiesMap). Bridge and router together: a layer-3 switch.
LLDP_CLASS: dict[str, tuple[str, float]] = {
    "wlanAccessPoint": ("wireless-ap", 0.6),
    "telephone": ("voip", 0.7),
    "docsisCableDevice": ("router", 0.5),
    "router": ("router", 0.45),
    "bridge": ("switch", 0.45),
}
HR_PRINTER = "1.3.6.1.2.1.25.3.1.5"
HR_PROCESSOR = "1.3.6.1.2.1.25.3.1.3"
# IANAifType -> (device class, weight): radio and access-line interfaces say what the box does
IFTYPE_CLASS: dict[int, tuple[str, float]] = {
    71: ("wireless-ap", 0.3),      # ieee80211
    127: ("router", 0.3),          # docsCableMaclayer
    94: ("router", 0.25),          # adsl
    97: ("router", 0.25),          # vdsl
    250: ("switch", 0.25),         # gpon
}


def clean_oid(value: Any) -> str:
    """A dotted numeric OID without leading/trailing dots, or "" when the value is not one."""
    if isinstance(value, str):
        return _clean_oid(value[:1400])
    return "" if value is None else _clean_oid(str(value)[:1400])


@lru_cache(maxsize=65536)
def _clean_oid(value: str) -> str:
    text = value.strip().strip(".")
    return text if _OID.fullmatch(text) else ""


def _text(value: Any, limit: int = rules.MAX_TEXT) -> str:
    return clean_text(value, limit) or ""


def _plain(value: Any, limit: int) -> str:
    """Text that rules only search (never shown): bounded, no cleaning needed."""
    return value[:limit] if isinstance(value, str) else ""


def _useful(value: Any) -> str:
    text = _text(value, 128)
    return "" if text.casefold() in _NO_VALUE else text


def _merge(observations: Iterable[Observation]) -> dict[str, Any]:
    """One device's SNMP facts: the first non-empty value per key across observations."""
    merged: dict[str, Any] = {}
    for obs in observations:
        facts = obs.facts.get("snmp") if isinstance(obs.facts, dict) else None
        if not isinstance(facts, dict):
            continue
        for key, value in facts.items():
            if value not in (None, "", [], {}) and key not in merged:
                merged[key] = value
    return merged


def _entities(raw: Any) -> list[Mapping[str, Any]]:
    if not isinstance(raw, list):
        return []
    return [e for e in raw[:2000] if isinstance(e, dict)]


def _chassis(entities: list[Mapping[str, Any]]) -> Mapping[str, Any] | None:
    """The entity that is the box itself: a chassis (class 3), else the first with a model."""
    for entity in entities:
        if entity.get("class") == 3 and (_useful(entity.get("model")) or _useful(entity.get("serial"))):
            return entity
    for entity in entities:
        if _useful(entity.get("model")):
            return entity
    return None


def _enterprises(values: Any) -> frozenset[int]:
    found: set[int] = set()
    for oid in values if isinstance(values, list) else []:
        number = pen.enterprise_number(clean_oid(oid))
        if number is not None:
            found.add(number)
        if len(found) >= 64:
            break
    return frozenset(found)


def _walked(values: Any) -> tuple[str, ...]:
    if not isinstance(values, list):
        return ()
    return tuple(oid for oid in (clean_oid(v) for v in values[:64]) if oid)


@lru_cache(maxsize=4)
def _ruleset(generation: int) -> rules.RuleSet:
    return rules.RuleSet(rules.merged(SOURCE, rules.read_rules(RULES_FILE)), anchor_text="descr")


def ruleset() -> rules.RuleSet:
    """The compiled sysDescr/sysObjectID rules, user overrides applied."""
    return _ruleset(rules.generation())


def subject(facts: Mapping[str, Any]) -> rules.Subject:
    """What the rules look at, from one device's merged SNMP facts."""
    entities = _entities(facts.get("entity"))
    entity_text = " | ".join(
        part for e in entities[:8]
        for part in (_plain(e.get("descr"), 256), _plain(e.get("model"), 128), _plain(e.get("mfg"), 128))
        if part
    )
    hr = facts.get("hr_devices") if isinstance(facts.get("hr_devices"), list) else []
    hr_text = " | ".join(_plain(d.get("descr"), 256) for d in hr[:32] if isinstance(d, dict))
    descr = _text(facts.get("sysDescr"), MAX_DESCR)
    mibs = facts.get("mibs") if isinstance(facts.get("mibs"), list) else []
    return rules.Subject(
        texts={"descr": descr, "entity": entity_text, "hr": hr_text, "text": f"{descr} | {entity_text}"},
        oid=clean_oid(facts.get("sysObjectID")),
        subtrees=_walked(facts.get("enterprise_oids")),
        sets={
            "enterprise": _enterprises(facts.get("enterprise_oids")),
            "mib": frozenset(str(m).lower() for m in mibs[:64]),
        },
    )


@lru_cache(maxsize=16384)
def _matches(key: tuple[Any, ...], generation: int) -> tuple[tuple[str, str, str, float, bool], ...]:
    texts, oid, subtrees, enterprises, mibs = key
    subj = rules.Subject(texts=dict(texts), oid=oid, subtrees=subtrees,
                         sets={"enterprise": enterprises, "mib": mibs})
    return tuple(
        (rule.id, field, value, rule.weight, bool(rule.oids) and not rule.texts)
        for rule, values in _ruleset(generation).match(subj)
        for field, value in values.items()
    )


def _rule_evidence(subj: rules.Subject) -> list[Evidence]:
    # Many devices on a network run the same firmware: the rule results are memoised per
    # distinct (texts, OIDs, MIB set), which keeps large sweeps cheap.
    key = (tuple(sorted(subj.texts.items())), subj.oid, subj.subtrees,
           subj.sets.get("enterprise", frozenset()), subj.sets.get("mib", frozenset()))
    descr = subj.text("descr")[:160] or subj.oid
    return [Evidence(SOURCE, rid, field, value, weight, subj.oid if by_oid else descr)
            for rid, field, value, weight, by_oid in _matches(key, rules.generation())]


def _entity_evidence(entities: list[Mapping[str, Any]]) -> list[Evidence]:
    out: list[Evidence] = []
    box = _chassis(entities)
    if box is not None:
        model, serial = _useful(box.get("model")), _useful(box.get("serial"))
        if model and serial:
            out.append(Evidence(SOURCE, "entity-chassis-model+serial", "model", model, W_ENTITY_SERIAL,
                                f"{model} serial {serial}"))
        elif model:
            out.append(Evidence(SOURCE, "entity-chassis-model", "model", model, W_ENTITY, model))
    mfg = _maker_name(entities, box)
    vendor = short_vendor(mfg) if mfg else None
    if vendor:
        out.append(Evidence(SOURCE, "entity-mfg", "vendor", vendor, kind_weight("entity-mfg"), mfg))
    return out


def _maker_name(entities: list[Mapping[str, Any]], box: Mapping[str, Any] | None) -> str:
    """The chassis's entPhysicalMfgName; without one (agents that fill only some columns, or no
    chassis row), the first row's that is not some row's model name or serial in the wrong column."""
    if box is not None:
        mfg = _useful(box.get("mfg"))
        if _names_maker(mfg, box):
            return mfg
    rows = entities[:MAX_ENTITY_ROWS]
    taken = {_useful(e.get(key)).casefold() for e in rows for key in ("model", "serial")}
    for entity in rows:
        mfg = _useful(entity.get("mfg")) if entity.get("mfg") else ""
        if _names_maker(mfg, entity) and mfg.casefold() not in taken:
            return mfg
    return ""


def _names_maker(mfg: str, box: Mapping[str, Any]) -> bool:
    """Whether an entPhysicalMfgName can name a maker: not empty, not a bare (hex) number such as a
    USB vendor id, not the row's own model name or serial repeated in the wrong column."""
    if not mfg or _BARE_ID.fullmatch(mfg):
        return False
    folded = mfg.casefold()
    return all(folded != _useful(box.get(key)).casefold() for key in ("model", "serial"))


def _class_hints(facts: Mapping[str, Any]) -> list[Evidence]:
    out: list[Evidence] = []
    mibs = facts.get("mibs") if isinstance(facts.get("mibs"), list) else []
    for name in mibs[:64]:
        hint = MIB_CLASS.get(str(name).lower())
        if hint:
            out.append(Evidence(SOURCE, f"mib:{name}", "device_class", hint[0], hint[1], str(name)))
    hr = facts.get("hr_devices") if isinstance(facts.get("hr_devices"), list) else []
    types = {clean_oid(d.get("type")) for d in hr[:64] if isinstance(d, dict)}
    if HR_PRINTER in types:
        # a general-purpose host lists its print queues as printers too: then it is a weak hint
        weight = 0.2 if HR_PROCESSOR in types else 0.5
        out.append(Evidence(SOURCE, "hr-device:printer", "device_class", "printer", weight, HR_PRINTER))
    if_types = facts.get("if_types") if isinstance(facts.get("if_types"), list) else []
    for if_type in sorted({t for t in if_types[:256] if isinstance(t, int) and t in IFTYPE_CLASS}):
        klass, weight = IFTYPE_CLASS[if_type]
        out.append(Evidence(SOURCE, f"iftype:{if_type}", "device_class", klass, weight, f"ifType {if_type}"))
    services = snmp_features.fact_int(facts.get("sysServices"), shorter_than=20)
    if services is not None and 0 < services < 128:
        layer2, layer3, apps = services & 0x02, services & 0x04, services & 0x48
        if layer2 and not layer3 and not apps:
            out.append(Evidence(SOURCE, "sysServices:layer2", "device_class", "switch", 0.2, str(services)))
        elif layer3 and not apps:
            out.append(Evidence(SOURCE, "sysServices:layer3", "device_class", "router", 0.15, str(services)))
    if snmp_features.fact_int(facts.get("ipForwarding"), shorter_than=20) == 1:
        out.append(Evidence(SOURCE, "ipForwarding", "device_class", "router", 0.1, "ipForwarding=1"))
    return out


_kind_weights: dict[str, float] | None = None


def set_kind_weights(weights: dict[str, float] | None) -> None:
    """Replace the learned vendor-evidence weights ({} = the defaults, None = the shipped ones)."""
    global _kind_weights
    _kind_weights = weights
    _text_evidence.cache_clear()


def _learned_weights() -> dict[str, float]:
    """The learned vendor-evidence weights (``class_model.json``), loaded on first use."""
    global _kind_weights
    if _kind_weights is None:
        model = class_model.shipped()
        _kind_weights = dict(model.evidence_weights) if model is not None else {}
    return _kind_weights


def _scaled(learned: float) -> float:
    return round(learned * LEARNED_SCALE, 4)


def kind_weight(kind: str) -> float:
    """The weight of one ``REGISTRY_KINDS`` kind: learned (``class_model.json``), else the default."""
    learned = _learned_weights().get(kind)
    return _scaled(learned) if learned else REGISTRY_KINDS[kind][1]


def registrant_weight(kind: str, number: int) -> float:
    """The weight of ``kind`` evidence naming enterprise ``number``: the registrant's own learned
    weight where it answered for several makers, else the kind's (``kind_weight``)."""
    learned = _learned_weights().get(f"{kind}:{number}")
    return _scaled(learned) if learned else kind_weight(kind)


def _vendor_evidence(subj: rules.Subject, served: Any) -> list[Evidence]:
    out: list[Evidence] = []
    number = pen.enterprise_number(subj.oid)
    registrant = None
    if number is not None:
        org = pen.organisation(number)
        registrant = short_vendor(org)
        if registrant:
            out.append(Evidence(SOURCE, f"iana-pen:{number}", "vendor", registrant,
                                registrant_weight("iana-pen", number), f"{subj.oid} ({org})"))
    listed = served[:snmp_features.MAX_SERVED] if isinstance(served, list) else ()
    for other in dict.fromkeys(n for n in listed if n.__class__ is int):
        if other == number or other in snmp_features.NET_SNMP:
            continue
        org = pen.organisation(other)
        vendor = short_vendor(org)
        if vendor:
            out.append(Evidence(SOURCE, f"served-pen:{other}", "vendor", vendor,
                                registrant_weight("served-pen", other),
                                f"serves 1.3.6.1.4.1.{other} ({org})"))
    descr = subj.text("descr")
    maker = _named_maker(descr, registrant)
    if maker:
        out.append(Evidence(SOURCE, "descr-maker", "vendor", maker, kind_weight("descr-maker"), descr[:60]))
    holder = _COPYRIGHT.search(descr[:MAX_DESCR])
    owner = known_vendor(holder.group(1)) if holder else None
    if owner:
        out.append(Evidence(SOURCE, "descr-copyright", "vendor", owner, kind_weight("descr-copyright"),
                            holder.group(0)[:60]))
    named = _OS_WORD.search(descr[:160])
    if named:
        word = named.group(1)
        out.append(Evidence(SOURCE, "descr-os", "os_family", word.replace("-", "").lower(),
                            kind_weight("descr-os"), word))
    return out


def _named_maker(descr: str, registrant: str | None) -> str | None:
    """The known maker sysDescr starts with, or the company whose legal name opens it; the enterprise
    number's registrant instead when the text prints its name too (a co-branded box, "Dell
    SonicWALL SRA 4600" under SonicWALL's number)."""
    maker = known_vendor(descr[:120]) or opening_company(descr[:120])
    if maker and registrant and maker != registrant and _prints(descr[:MAX_DESCR], registrant):
        return registrant
    return maker


def _prints(text: str, name: str) -> bool:
    """Whether ``name`` stands in ``text`` as a word of its own (case aside)."""
    return re.search(rf"(?<![^\W_]){re.escape(name)}(?![^\W_])", text, re.IGNORECASE) is not None


def registry_kind(item: Evidence) -> str | None:
    """The ``REGISTRY_KINDS`` entry a piece of SNMP evidence belongs to, or None (a rule's)."""
    kind = item.rule.split(":", 1)[0]
    found = REGISTRY_KINDS.get(kind) if item.source == SOURCE else None
    return kind if found and found[0] == item.field else None


def recog_evidence(subj: rules.Subject) -> list[Evidence]:
    """Recog's sysDescr and sysObjectID fingerprints (its sysObjectID file reads "OID sysDescr")."""
    descr, oid = subj.text("descr"), subj.oid
    texts = [("snmp_sysdescr", descr)] if descr else []
    if oid:
        texts += [("snmp_sysobjid", oid), ("snmp_sysobjid", f"{oid} {descr}")]
    out: list[Evidence] = []
    seen: set[tuple[str, str]] = set()
    for db, text in texts:
        for rule, field, value, weight in banners.recog_hit(db, text):
            if (field, value) not in seen:
                seen.add((field, value))
                out.append(Evidence(banners.SOURCE, rule, field, value, weight, text[:120]))
    return out


@lru_cache(maxsize=16384)
def _text_evidence(descr: str, oid: str | None, served: tuple[int, ...],
                   generation: int) -> tuple[tuple[tuple[Any, ...], ...], tuple[tuple[Any, ...], ...]]:
    """Registry and Recog evidence of one (sysDescr, sysObjectID, served subtrees), memoised: many
    devices share a firmware. ``generation`` keys the memo to the loaded rules and model."""
    subj = rules.Subject(texts={"descr": descr}, oid=oid or "")
    return tuple(tuple((e.source, e.rule, e.field, e.value, e.weight, e.matched) for e in part)
                 for part in (_vendor_evidence(subj, list(served)), recog_evidence(subj)))


def _found(facts: Mapping[str, Any], drop: frozenset[str]) -> list[Evidence]:
    """Registry, rule, Recog and ENTITY evidence (the rules' classes included)."""
    subj = subject(facts)
    served = facts.get("enterprise_numbers")
    served = tuple(n for n in served[:snmp_features.MAX_SERVED] if n.__class__ is int) \
        if isinstance(served, list) else ()
    registry, recog = _text_evidence(subj.text("descr"), subj.oid, served, rules.generation())
    found = [Evidence(*item) for item in registry]
    found += [e for e in _rule_evidence(subj) if e.rule not in drop]
    found += [Evidence(*item) for item in recog]
    found += _entity_evidence(_entities(facts.get("entity")))
    return found


def _features(facts: Mapping[str, Any], found: list[Evidence]) -> dict[str, float]:
    rule_classes = [(e.value, e.weight) for e in found if e.field == "device_class" and e.source == SOURCE]
    recog_classes: dict[str, float] = {}
    for e in found:
        if e.field == "device_class" and e.source == banners.SOURCE:
            # strength: the class's weight against a plain hw.device statement's
            strength = round(min(1.0, e.weight / banners.W_CLASS), 3)
            recog_classes[e.value] = max(strength, recog_classes.get(e.value, 0.0))
    makers = [e.value for e in found if e.field == "vendor" and e.rule in ("descr-maker", "entity-mfg")]
    ranges = {r[0] for e in found if e.field == "vendor" and (r := vendor_range(e.value)) and r[0]}
    feats = snmp_features.features(facts, rule_classes, makers)
    for klass in sorted(ranges):
        feats[f"range:{klass}"] = 1.0
    for klass in sorted(recog_classes):
        feats[f"recog:{klass}"] = recog_classes[klass]
    for klass in sorted(banners.class_words(facts.get("sysDescr"))):
        feats[f"cword:{klass}"] = 1.0
    return feats


def device_features(facts: Mapping[str, Any], drop: frozenset[str] = frozenset()) -> dict[str, float]:
    """The class model's features for one device's SNMP facts (rules in ``drop`` left out)."""
    return _features(facts, _found(facts, drop))


_SIGNATURE_KEYS = ("sysDescr", "sysObjectID", "sysServices", "ipForwarding", "mibs", "if_types", "hr_devices",
                   "lldp_caps", "bridge_ports", "enterprise_numbers", "enterprise_oids")
_ENTITY_KEYS = ("class", "descr", "model", "mfg")
_memo: dict[tuple[Any, ...], tuple[tuple[Any, ...], ...]] = {}
MEMO_SIZE = 65536


_ATOMS = (str, int, float, bool)


def _frozen(value: Any, depth: int = 0) -> Any:
    """A hashable stand-in for a facts value (lists/dicts bounded), or TypeError for odd values."""
    if value is None or isinstance(value, _ATOMS):
        return value
    if isinstance(value, list):
        flat = tuple(value[:1024])
        try:
            hash(flat)
            return flat
        except TypeError:
            if depth >= 3:
                raise
        return tuple(_frozen(v, depth + 1) for v in value[:1024])
    if depth < 3 and isinstance(value, dict):
        return tuple(sorted((str(k), _frozen(v, depth + 1)) for k, v in list(value.items())[:64]))
    raise TypeError(type(value).__name__)


def _signature(facts: Mapping[str, Any]) -> tuple[Any, ...] | None:
    """What the class model sees of a device (not its name, serial or uptime), or None if odd."""
    try:
        entity = facts.get("entity")
        if isinstance(entity, list):
            rows = tuple(tuple(_frozen(r.get(k)) for k in _ENTITY_KEYS)
                         for r in entity[:8] if isinstance(r, dict))
        else:
            rows = _frozen(entity)
        return (rules.generation(), rows, *(_frozen(facts.get(k)) for k in _SIGNATURE_KEYS))
    except (TypeError, AttributeError):
        return None


def _model_evidence(facts: Mapping[str, Any], found: list[Evidence], model: class_model.ClassModel,
                    memo: bool = True) -> list[Evidence]:
    """``class_evidence`` memoised per signature for the shipped model (many devices share firmware)."""
    key = _signature(facts) if memo and model is class_model.shipped() else None
    if key is not None:
        # the signature holds the first entity rows; the maker may come from any of MAX_ENTITY_ROWS
        key = (*key, tuple(e.value for e in found if e.rule == "entity-mfg"))
        hit = _memo.get(key)
        if hit is not None:
            return [Evidence(*item) for item in hit]
    feats = _features(facts, found)
    # devices whose texts differ only in numbers (versions, serials) have the same features
    # (a frozenset: built without sorting, hashed once for the look-up and the store)
    feature_key = ("features", frozenset(feats.items())) if key is not None else None
    hit = _memo.get(feature_key) if feature_key is not None else None
    items = [Evidence(*item) for item in hit] if hit is not None else class_evidence(feats, model)
    if key is not None:
        if len(_memo) >= MEMO_SIZE:
            _memo.clear()
        _memo[key] = _memo[feature_key] = tuple(  # type: ignore[index]
            (e.source, e.rule, e.field, e.value, e.weight, e.matched) for e in items)
    return items


def class_evidence(feats: Mapping[str, float], model: class_model.ClassModel) -> list[Evidence]:
    """The model's class, weighted by its calibrated confidence, and its top contributions."""
    pred = model.predict(feats, EXPLAIN)
    if pred.abstained or pred.confidence <= 0:
        return []
    out = [Evidence(SOURCE, MODEL_RULE, "device_class", pred.device_class, pred.confidence,
                    f"p={pred.probability:.2f} calibrated {pred.confidence:.2f}")]
    total = sum(push for _, push in pred.contributions) or 1.0
    for name, push in pred.contributions:
        share = max(0.001, round(pred.confidence * push / total, 3))
        out.append(Evidence(SOURCE, f"{MODEL_RULE}:{name}", "device_class", pred.device_class, share,
                            f"{name} +{push:.2f}"))
    return out


def lldp_evidence(facts: Mapping[str, Any]) -> list[Evidence]:
    """Class evidence from the device's own LLDP capability statement (enabled capabilities)."""
    caps = facts.get("lldp_caps")
    enabled = caps.get("enabled") if isinstance(caps, Mapping) else None
    if not isinstance(enabled, list):
        return []
    names = {c for c in enabled[:16] if isinstance(c, str)}
    if "bridge" in names and "router" in names:
        names.discard("router")          # a layer-3 switch: bridging is what it is bought for
    out = []
    for cap in sorted(names):
        hint = LLDP_CLASS.get(cap)
        if hint:
            out.append(Evidence(LLDP_SOURCE, f"lldp-cap:{cap}", "device_class", hint[0], hint[1],
                                "lldpLocSysCapEnabled " + ",".join(sorted(names))))
    return out


_MISSING: Any = object()


def facts_evidence(facts: Mapping[str, Any], drop: frozenset[str] = frozenset(),
                   model: class_model.ClassModel | None = _MISSING) -> list[Evidence]:
    """Evidence from one device's SNMP facts (the agreed ``facts["snmp"]`` keys).

    ``drop`` leaves rules out and ``model`` replaces the shipped class model (both for
    held-out evaluation).
    """
    found = _found(facts, drop)
    if model is _MISSING:
        model = class_model.shipped()
    site = rules.user_rule_ids(SOURCE)
    if model is None or any(e.field == "device_class" and e.rule in site for e in found):
        # no model, or the site's own rule names the class: rules and hints speak directly
        out = found + _class_hints(facts)
    else:
        out = [e for e in found if e.field != "device_class"]
        out.extend(_model_evidence(facts, found, model, memo=not drop))
    out.extend(lldp_evidence(facts))
    return out


def evidence(observations: Sequence[Observation]) -> list[Evidence]:
    """SNMP evidence for one device's observations (those without SNMP facts give none)."""
    facts = _merge(o for o in observations if o.kind == "host")
    return facts_evidence(facts) if facts else []
