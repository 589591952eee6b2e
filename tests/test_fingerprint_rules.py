"""Rule files: shipped rules load, user rules override by id, bad rule files fail clearly."""

from __future__ import annotations

from pathlib import Path

import pytest

from netdiscover.fingerprints import fingerprint, ports, rules, snmp
from netdiscover.observation import Observation

SHIPPED = Path(snmp.__file__).parent


@pytest.fixture(autouse=True)
def no_user_rules():
    rules.load_user_rules(None)
    yield
    rules.load_user_rules(None)


def obs(descr: str, oid: str = "") -> Observation:
    facts = {"snmp": {"sysDescr": descr, "sysObjectID": oid}}
    return Observation(method="snmp", ip="192.0.2.20", facts=facts)


@pytest.mark.parametrize("name", ["snmp_rules.yaml", "ports_rules.yaml"])
def test_shipped_rule_files_compile_with_unique_ids(name):
    raw = rules.read_rules(SHIPPED / name)
    ids = [r["id"] for r in raw]
    assert len(ids) == len(set(ids)), "duplicate rule ids"
    compiled = rules.RuleSet(raw)
    assert len(compiled.rules) == len(raw) > 20


def test_user_rule_overrides_shipped_rule_with_same_id(tmp_path):
    before = fingerprint([obs("RouterOS RB5009UG+S+", "1.3.6.1.4.1.14988.1")])
    assert before.device_class == "router"
    path = tmp_path / "local.yaml"
    path.write_text(
        "snmp:\n"
        "  - {id: routeros, descr: '^RouterOS', set: {vendor: MikroTik, device_class: firewall},"
        " weight: 0.95}\n"
        "  - {id: site-ups, descr: '^ACME-UPS', set: {vendor: Acme, device_class: power}, weight: 0.9}\n"
        "ports:\n"
        "  - {id: acme-admin, port: [7777], set: {device_class: appliance}, weight: 0.5}\n")
    assert rules.load_user_rules(path) == 3
    after = fingerprint([obs("RouterOS RB5009UG+S+", "1.3.6.1.4.1.14988.1")])
    assert after.device_class == "firewall"
    assert fingerprint([obs("ACME-UPS 3000")]).vendor == "Acme"
    assert any(r.id == "acme-admin" for r in ports.ruleset().rules)
    rules.load_user_rules(None)
    assert fingerprint([obs("RouterOS RB5009UG+S+", "1.3.6.1.4.1.14988.1")]).device_class == "router"


@pytest.mark.parametrize(("text", "message"), [
    ("snmp: [{id: x, descr: '(', set: {vendor: A}}]", "bad regex"),
    ("snmp: [{descr: 'a', set: {vendor: A}}]", "without an id"),
    ("snmp: [{id: y, set: {colour: red}}]", "unknown field"),
    ("snmp: [{id: z, set: {vendor: A}, weight: 3}]", "weight"),
    ("snmp: {id: z}", "must be a list"),
    ("- just a list", "mapping"),
    ("snmp: [unclosed", "not valid YAML"),
])
def test_bad_user_rules_fail_with_one_line(tmp_path, text, message):
    path = tmp_path / "bad.yaml"
    path.write_text(text)
    with pytest.raises(rules.RuleError) as info:
        rules.load_user_rules(path)
    assert message in str(info.value)
    assert "\n" not in str(info.value)


def test_missing_rules_file(tmp_path):
    with pytest.raises(rules.RuleError, match="cannot read"):
        rules.load_user_rules(tmp_path / "nope.yaml")


@pytest.mark.parametrize(("pattern", "anchors"), [
    ("Cisco IOS Software", ("cisco ios software",)),
    ("^(?:foo|barx)baz", ("baz",)),
    ("(ProCurve|Aruba)", ("aruba", "procurve")),
    ("^\\w+$", None),
    ("a|bc", None),
])
def test_anchor_extraction(pattern, anchors):
    assert rules.anchors_of(pattern) == anchors


def test_anchor_prefilter_never_hides_a_match():
    raw = rules.read_rules(SHIPPED / "snmp_rules.yaml")
    indexed = rules.RuleSet(raw)
    samples = ["Cisco IOS Software, C3750E Software, Version 15.0(2)SE", "RouterOS RB750Gr3",
               "ProCurve J9019B Switch 2510B-24, revision Q.11.17", "HUAWEI Versatile Routing Platform"]
    for text in samples:
        subject = rules.Subject(texts={"descr": text, "text": text})
        fast = {r.id for r, _ in indexed.match(subject)}
        slow = {r.id for r in indexed.rules if not r.oids and r.matches(subject) is not None}
        assert slow <= fast
