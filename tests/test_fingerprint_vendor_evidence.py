"""Vendor evidence beyond the plain registrant: registrants that answer for other makers, standards
bodies, co-branded sysDescr, copyright holders, ENTITY-MIB rows that only name a manufacturer."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from netdiscover.fingerprints import combine, snmp, training
from netdiscover.fingerprints.vendors import short_vendor

BROADCOM = "1.3.6.1.4.1.4413"          # Broadcom's FASTPATH default sysObjectID root
ZYXEL = 890


def _vendor_items(facts: dict) -> list[tuple[str, str, float]]:
    return [(e.rule, e.value, e.weight) for e in snmp.facts_evidence(facts) if e.field == "vendor"]


@pytest.fixture()
def learned():
    """Learned weights set for one test, the shipped ones put back after it."""
    def use(weights: dict[str, float]) -> None:
        snmp.set_kind_weights(weights)
    yield use
    snmp.set_kind_weights(None)


def test_a_registrant_that_answers_for_other_makers_weighs_its_own_learned_share(learned):
    facts = {"sysDescr": "1.00(ABCD.2)C0", "sysObjectID": BROADCOM + ".1.2", "enterprise_numbers": [ZYXEL]}
    learned({"iana-pen": 0.84, "served-pen": 0.57})
    assert combine.decide(snmp.facts_evidence(facts)).vendor == "Broadcom"     # the kind's weight wins
    learned({"iana-pen": 0.84, "served-pen": 0.57, "iana-pen:4413": 0.19})
    items = dict((rule, weight) for rule, _, weight in _vendor_items(facts))
    assert items["iana-pen:4413"] == pytest.approx(0.19 * snmp.LEARNED_SCALE)
    assert combine.decide(snmp.facts_evidence(facts)).vendor == "ZyXEL"
    # another registrant keeps its kind's weight
    other = _vendor_items({"sysDescr": "x", "sysObjectID": "1.3.6.1.4.1.9.1.1"})
    assert [w for rule, _, w in other if rule == "iana-pen:9"] == [snmp.kind_weight("iana-pen")]


def _scorer() -> SimpleNamespace:
    return SimpleNamespace(norm_vendor=lambda v: (v or "").casefold().replace(" ", "") or None,
                           norm_os=lambda v: v, os_aliases=lambda r: set())


def _device(name: str, vendor: str, oid: str) -> training.Device:
    record = {"vendor": vendor, "vendor_kind": "hardware", "itam_class": "switch"}
    return training.Device(name, {"sysDescr": "Switch", "sysObjectID": oid}, frozenset({"switch"}),
                           vendor.casefold(), "-", record)


def test_registrants_of_two_makers_boxes_get_their_own_weight():
    devices = [_device("a1", "Ubiquiti", BROADCOM + ".1"), _device("a2", "Ubiquiti", BROADCOM + ".1"),
               _device("b1", "ZyXEL", BROADCOM + ".1"), _device("c1", "Cisco", "1.3.6.1.4.1.9.1.1"),
               _device("c2", "Cisco", "1.3.6.1.4.1.9.1.2")]
    weights = training.evidence_weights(devices, _scorer())
    kind = weights["iana-pen"]
    assert kind == pytest.approx((2 + 1) / (5 + 2), abs=1e-4)  # Cisco 2 right of 5
    prior = training.REGISTRANT_PRIOR
    assert weights["iana-pen:4413"] == pytest.approx((0 + prior * kind) / (3 + prior), abs=1e-4)
    assert "iana-pen:9" not in weights                          # one maker's boxes only
    only_one = training.evidence_weights(devices[:2], _scorer())
    assert "iana-pen:4413" not in only_one                      # two devices, but one maker


def test_a_split_maker_is_right_as_either_half():
    devices = [_device("sw", "HPE", "1.3.6.1.4.1.11.2.3.7.11.1"),
               _device("pr", "HP", "1.3.6.1.4.1.11.2.3.9.1")]
    weights = training.evidence_weights(devices, _scorer())
    assert weights["iana-pen"] == pytest.approx((2 + 1) / (2 + 2))
    assert weights["iana-pen:11"] > weights["iana-pen"] - 0.01


@pytest.mark.parametrize("org", [
    "Broadband Forum (previously 'DSL Forum')", "National Standardization Committee of Radio & Television",
    "ZigBee Alliance, Inc.", "Wi-Fi Alliance", "DSL Terminal Remote Management Alliance", "OASIS Consortium",
    "Distributed Management Task Force (DMTF)",
])
def test_standards_bodies_name_no_maker(org):
    assert short_vendor(org) is None


@pytest.mark.parametrize(("org", "short"), [
    ("Forum Systems, Inc.", "Forum Systems"), ("Alliance Systems, Inc.", "Alliance Systems"),
    ("Allied Telesis, Inc.", "Allied Telesis"),
])
def test_makers_with_such_words_in_their_names_stay_makers(org, short):
    assert short_vendor(org) == short


def test_a_standards_body_number_gives_no_vendor_evidence():
    # an EPON OLT answering with the CATV standard's enterprise root and serving its maker's subtree
    facts = {"sysDescr": "olt-1", "sysObjectID": "1.3.6.1.4.1.17409", "enterprise_numbers": [34592]}
    assert [(rule, value) for rule, value, _ in _vendor_items(facts)] == [("served-pen:34592", "C-Data")]


def test_co_branded_sysdescr_names_the_registrant_it_prints():
    sonicwall = "1.3.6.1.4.1.8741.6"
    found = _vendor_items({"sysDescr": "Dell SonicWALL SRA 4600 (8.1.0.7-22sv)", "sysObjectID": sonicwall})
    assert ("descr-maker", "SonicWall") in [(rule, value) for rule, value, _ in found]
    # the registrant not printed: the maker the text starts with stays
    alone = _vendor_items({"sysDescr": "Dell SRA 4600 (8.1.0.7-22sv)", "sysObjectID": sonicwall})
    assert ("descr-maker", "Dell") in [(rule, value) for rule, value, _ in alone]
    # a word that only contains the registrant's name is not the name
    inside = _vendor_items({"sysDescr": "Dell XSonicWallX 1", "sysObjectID": sonicwall})
    assert ("descr-maker", "Dell") in [(rule, value) for rule, value, _ in inside]


@pytest.mark.parametrize(("descr", "maker"), [
    ("TiMOS-B-21.10.R1 both/sar Nokia 7705 SAR Copyright (c) 2000-2021 Nokia. All rights reserved.", "Nokia"),
    ("6500 7-SLOT OPTICAL SW:1271 BN:AH (c) Ciena (R) Corporation", "Ciena"),
    ("S4800 Software, Version V210R220, Copyright (C) 2012 by FiberHome Technologies Co., Ltd", "FiberHome"),
    ("Switch 9.1 Copyright \u00a9 2019 Huawei Technologies Co., Ltd.", "Huawei"),
])
def test_copyright_holder_that_is_a_known_maker(descr, maker):
    found = _vendor_items({"sysDescr": descr, "sysObjectID": ""})
    assert [value for rule, value, _ in found if rule == "descr-copyright"] == [maker]


@pytest.mark.parametrize("descr", [
    "VxWorks SNMPv1/v2c Agent, Copyright (c) 1997 Wind River Systems",     # an agent toolkit's
    "Copyright (c) 2015", "(c)", "Copyright " + "A" * 1_000_000, "(c) " * 100_000, "\x00(c)\x00\x07",
])
def test_copyright_holders_that_name_no_known_maker_and_hostile_text(descr):
    found = _vendor_items({"sysDescr": descr, "sysObjectID": None})
    assert not [rule for rule, _, _ in found if rule == "descr-copyright"]


def test_entity_rows_that_only_name_a_manufacturer():
    rows = [{"index": 1, "mfg": "QNAP Systems, Inc."}]
    assert ("entity-mfg", "QNAP") in [(rule, value) for rule, value, _ in _vendor_items({"entity": rows})]
    # a model name standing in another row's manufacturer column names no maker
    wrong = [{"index": 1, "class": 11, "mfg": "S3900-24T4S"},
             {"index": 2, "class": 5, "model": "S3900-24T4S"}]
    assert not [rule for rule, _, _ in _vendor_items({"entity": wrong}) if rule == "entity-mfg"]


@pytest.mark.parametrize("rows", [
    [{"mfg": "A" * 1_000_000}], [{"mfg": 12}] * 10_000, [{"mfg": None, "model": ["x"]}], [None, "x", 3],
    [{"mfg": {"nested": "Cisco"}}],
])
def test_entity_manufacturer_hostile_rows(rows):
    found = _vendor_items({"entity": rows})
    assert all(0 < weight <= 1 and len(value) <= 200 for _, value, weight in found)



def test_class_memo_tells_apart_makers_named_past_the_first_entity_rows() -> None:
    from netdiscover.fingerprints import snmp

    filler = [{"class": 10, "descr": f"port {i}"} for i in range(8)]
    devices = [{"sysDescr": "Embedded device", "sysObjectID": "1.3.6.1.4.1.8072.3.2.10",
                "entity": [*filler, {"class": 1, "mfg": maker}]}
               for maker in ("Cisco Systems", "Synology", "Axis Communications AB")]

    def model_part(facts: dict) -> list:
        return [(e.rule, e.field, e.value) for e in snmp.facts_evidence(facts)
                if e.rule.startswith("class-model")]

    fresh = []
    for facts in devices:
        snmp._memo.clear()
        fresh.append(model_part(facts))
    snmp._memo.clear()
    assert [model_part(facts) for facts in devices] == fresh
    assert len({tuple(answer) for answer in fresh}) > 1
