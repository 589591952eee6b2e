"""The combiner: weighing, conflicts, confidence, sources list, never raising."""

from __future__ import annotations

import dataclasses

import pytest

from netdiscover.fingerprints import combine, fingerprint
from netdiscover.fingerprints.model import Evidence, Fingerprint
from netdiscover.observation import Observation
from netdiscover.vocabulary import DEVICE_CLASSES


def ev(source: str, field: str, value: str, weight: float, rule: str = "r") -> Evidence:
    return Evidence(source, rule, field, value, weight, "seen")


@pytest.fixture
def raw_scores():
    """The weighing itself, without the learned calibration of SNMP-backed answers."""
    combine.set_field_calibration({})
    yield
    combine.set_field_calibration(None)


def test_stronger_source_wins_and_loser_is_kept_as_conflict(raw_scores):
    fp = combine.decide([
        ev("snmp", "vendor", "Cisco", 0.85),
        ev("oui", "vendor", "Intel", 0.3),
    ])
    assert fp.vendor == "Cisco"
    assert [c.value for c in fp.conflicts] == ["Intel"]
    assert 0 < fp.confidence["vendor"] < 0.85   # disagreement costs confidence


def test_snmp_backed_vendor_and_os_confidence_is_calibrated():
    combine.set_field_calibration({"vendor": [(0.5, 0.6), (0.9, 0.97)],
                                   "os_family": [(0.5, 0.2), (0.8, 0.3)]})
    try:
        fp = combine.decide([ev("snmp", "vendor", "Cisco", 0.9), ev("snmp", "os_family", "ios", 0.8),
                             ev("snmp", "os_name", "Cisco IOS", 0.8), ev("nmap", "vendor", "Other", 0.1)])
        assert fp.confidence["os_family"] == fp.confidence["os_name"] == 0.3
        assert 0.6 < fp.confidence["vendor"] < 0.97
        nmap_only = combine.decide([ev("nmap", "vendor", "Cisco", 0.9)])
        assert nmap_only.confidence["vendor"] == 0.9      # tables were learned on SNMP answers only
    finally:
        combine.set_field_calibration(None)


def test_an_answer_other_evidence_contradicts_has_its_own_calibration():
    combine.set_field_calibration({"vendor": [(0.0, 0.95), (1.0, 0.95)],
                                   "vendor~contested": [(0.0, 0.6), (1.0, 0.6)]})
    try:
        alone = combine.decide([ev("snmp", "vendor", "Nortel", 0.62, "iana-pen:562")])
        disputed = combine.decide([ev("snmp", "vendor", "Nortel", 0.62, "iana-pen:562"),
                                   ev("snmp", "vendor", "Ciena", 0.6, "entity-mfg")])
        assert alone.confidence["vendor"] == 0.95
        assert disputed.vendor == "Nortel" and disputed.confidence["vendor"] == 0.6
        combine.set_field_calibration({"vendor": [(0.0, 0.9), (1.0, 0.9)]})   # none learned: the field's
        assert combine.decide([ev("snmp", "vendor", "Nortel", 0.62, "iana-pen:562"),
                               ev("snmp", "vendor", "Ciena", 0.6, "entity-mfg")]).confidence["vendor"] == 0.9
    finally:
        combine.set_field_calibration(None)


def test_independent_sources_add_up_but_one_source_does_not_double_count():
    two_sources = combine.decide([ev("nmap", "device_class", "router", 0.5),
                                  ev("ports", "device_class", "router", 0.5),
                                  ev("snmp", "device_class", "switch", 0.7)])
    assert two_sources.device_class == "router"          # 1-(0.5*0.5)=0.75 > 0.7
    one_source = combine.decide([ev("nmap", "device_class", "router", 0.5, "a"),
                                 ev("nmap", "device_class", "router", 0.5, "b"),
                                 ev("snmp", "device_class", "switch", 0.7)])
    assert one_source.device_class == "switch"


def test_same_source_refinement_does_not_lower_confidence():
    fp = combine.decide([ev("snmp", "device_class", "router", 0.8, "generic"),
                         ev("snmp", "device_class", "switch", 0.9, "specific")])
    assert fp.device_class == "switch"
    assert fp.confidence["device_class"] == pytest.approx(0.9)
    assert [c.rule for c in fp.conflicts] == ["generic"]


def test_os_version_follows_the_winning_os():
    fp = combine.decide([
        ev("snmp", "os_family", "iosxe", 0.9, "xe"), ev("snmp", "os_version", "17.3.1", 0.9, "xe"),
        ev("snmp", "os_family", "linux", 0.5, "lx"), ev("snmp", "os_version", "4.19", 0.95, "lx"),
    ])
    assert (fp.os_family, fp.os_version) == ("iosxe", "17.3.1")


def test_classes_outside_the_vocabulary_and_bad_items_are_ignored():
    fp = combine.decide([ev("x", "device_class", "toaster", 0.99), ev("x", "nonsense", "v", 0.9),
                         ev("x", "vendor", "", 0.9), ev("x", "vendor", "Acme", -1),
                         ev("x", "vendor", "Ok", 7.0)])
    assert fp.device_class == "unknown"
    assert fp.confidence["device_class"] == 0.0
    assert fp.vendor == "Ok" and fp.confidence["vendor"] == 1.0


def test_empty_evidence_is_unknown_with_zero_confidence():
    fp = fingerprint([])
    assert fp.device_class == "unknown" and fp.vendor is None
    assert fp.confidence == {"device_class": 0.0}
    assert fp.overall == 0.0


def test_sources_include_iot_and_skip_it_only_when_missing(monkeypatch):
    assert "netdiscover.fingerprints.iot" in combine.SOURCES
    monkeypatch.setattr(combine, "SOURCES", [*combine.SOURCES, "netdiscover.fingerprints.not_there_yet"])
    monkeypatch.setattr(combine, "OPTIONAL_SOURCES", frozenset({"netdiscover.fingerprints.not_there_yet"}))
    combine.reload_sources()
    try:
        names = [m.__name__ for m in combine.sources()]
        assert "netdiscover.fingerprints.snmp" in names
        assert "netdiscover.fingerprints.not_there_yet" not in names
    finally:
        combine.reload_sources()


def test_a_failing_source_does_not_lose_the_others(monkeypatch):
    class Broken:
        __name__ = "broken"

        @staticmethod
        def evidence(observations):
            raise RuntimeError("boom")

    real = combine._prepared()
    monkeypatch.setattr(combine, "_prepared", lambda: [(Broken(), None), *real])
    fp = fingerprint([Observation(method="arp", ip="10.0.0.1", mac="00:1b:54:00:00:01")])
    assert fp.vendor == "Cisco"


def test_sources_reading_absent_facts_are_skipped(monkeypatch):
    calls = []

    class Picky:
        __name__ = "picky"
        FACT_KEYS = ("mdns",)

        @staticmethod
        def evidence(observations):
            calls.append(len(observations))
            return []

    monkeypatch.setattr(combine, "_prepared", lambda: [(Picky(), combine._fact_keys(Picky()))])
    fingerprint([Observation(method="arp", ip="10.0.0.1")])
    assert calls == []
    fingerprint([Observation(method="iot", ip="10.0.0.1", facts={"mdns": {"services": ["_ipp._tcp"]}})])
    assert calls == [1]


def test_fingerprint_round_trips_through_dict():
    fp = fingerprint([Observation(method="snmp", ip="10.0.0.2", facts={"snmp": {
        "sysDescr": "RouterOS RB4011iGS+", "sysObjectID": "1.3.6.1.4.1.14988.1"}})])
    again = Fingerprint.from_dict(fp.to_dict())
    assert again == fp
    assert fp.device_class in DEVICE_CLASSES


def test_fingerprint_dict_is_the_dataclass_fields_copied():
    """to_dict is written out by hand for speed: it must stay what dataclasses.asdict gives."""
    fp = combine.decide([ev("snmp", "vendor", "Cisco", 0.9), ev("oui", "vendor", "Juniper", 0.4),
                         ev("nmap", "os_name", "IOS XE", 0.8), ev("snmp", "device_class", "router", 0.9)])
    assert fp.evidence and fp.conflicts
    as_dict = fp.to_dict()
    assert as_dict == dataclasses.asdict(fp)
    assert set(as_dict) == {f.name for f in dataclasses.fields(Fingerprint)}
    as_dict["confidence"]["vendor"] = 0.0
    as_dict["evidence"][0]["value"] = "changed"
    assert fp.confidence["vendor"] != 0.0 and fp.evidence[0].value != "changed"


def test_vendor_range_is_a_fallback_only():
    unknown_product = combine.decide([ev("snmp", "vendor", "Brother", 0.9)])
    assert unknown_product.device_class == "printer"
    assert unknown_product.confidence["device_class"] < 0.5
    assert any(e.source == "vendor-range" for e in unknown_product.evidence)
    recognised = combine.decide([ev("snmp", "vendor", "Axis", 0.9), ev("snmp", "device_class", "iot", 0.9)])
    assert recognised.device_class == "iot"
    assert not any(e.source == "vendor-range" and e.field == "device_class" for e in recognised.evidence)
    mixed_maker = combine.decide([ev("snmp", "vendor", "Cisco", 0.9)])
    assert mixed_maker.device_class == "unknown"


def test_an_os_answer_is_as_sure_as_the_kind_of_evidence_that_decided_it():
    # a generic kernel word and a maker's own OS rule: the kinds' held-out shares, not their weights
    combine.set_field_calibration({"os_family": [(0.0, 0.5), (1.0, 0.5)],
                                   "os_family@snmp:netsnmp-linux": [(0.0, 0.33), (1.0, 0.33)],
                                   "os_family@snmp:junos-oid": [(0.0, 0.9), (1.0, 0.9)]})
    try:
        generic = combine.decide([ev("snmp", "os_family", "linux", 0.5, "netsnmp-linux")])
        specific = combine.decide([ev("snmp", "os_family", "junos", 0.3, "junos-oid")])
        other = combine.decide([ev("snmp", "os_family", "vxworks", 0.3, "vxworks-word")])
        assert generic.confidence["os_family"] == 0.33
        assert specific.confidence["os_family"] == 0.9 > generic.confidence["os_family"]
        assert other.confidence["os_family"] == 0.5                 # no table of its own: the field's
        disputed = combine.decide([ev("snmp", "os_family", "junos", 0.6, "junos-oid"),
                                   ev("snmp", "os_family", "linux", 0.5, "netsnmp-linux")])
        assert disputed.confidence["os_family"] == 0.5              # contested: not the kind's own table
        nmap_only = combine.decide([ev("nmap", "os_family", "linux", 0.5, "netsnmp-linux")])
        assert nmap_only.confidence["os_family"] == 0.5             # learned on SNMP-answered devices only
    finally:
        combine.set_field_calibration(None)


def test_a_kind_table_applies_to_a_non_snmp_source_of_an_snmp_answered_device():
    combine.set_field_calibration({"os_family@vendor-range:vendor-range": [(0.0, 0.78), (1.0, 0.78)]})
    try:
        fp = combine.decide([ev("vendor-range", "os_family", "apc", 0.2, "vendor-range:APC"),
                             ev("snmp", "vendor", "APC", 0.9)])
        assert fp.os_family == "apc" and fp.confidence["os_family"] == 0.78
    finally:
        combine.set_field_calibration(None)


def test_deciding_kind_names_the_strongest_evidence_for_the_answer(raw_scores):
    fp = combine.decide([ev("snmp", "os_family", "Linux", 0.5, "netsnmp-linux"),
                         ev("recog", "os_family", "linux", 0.2, "snmp_sysdescr:Linux generic"),
                         ev("snmp", "vendor", "Net-SNMP", 0.4, "iana-pen:8072")])
    assert combine.deciding_kind(fp, "os_family") == "snmp:netsnmp-linux"
    assert combine.deciding_kind(fp, "vendor") == "snmp:iana-pen"
    assert combine.deciding_kind(fp, "model") is None


def test_odd_rule_names_do_not_break_the_calibration_by_kind():
    combine.set_field_calibration({"os_family": [(0.0, 0.5), (1.0, 0.5)]})
    try:
        for rule in (None, 12, "", ":" * 1000):
            fp = combine.decide([Evidence("snmp", rule, "os_family", "linux", 0.5)])   # type: ignore[arg-type]
            assert fp.os_family == "linux" and fp.confidence["os_family"] == 0.5
    finally:
        combine.set_field_calibration(None)
