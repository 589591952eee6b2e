"""Vendor names from registry spellings: stated abbreviations, Chinese enterprise names, split makers."""

from __future__ import annotations

import pytest

from netdiscover.fingerprints import combine, pen
from netdiscover.fingerprints.model import Evidence
from netdiscover.fingerprints.vendors import opening_company, short_vendor


@pytest.mark.parametrize("org, short", [
    ("Zhongxing Telecom Co.,ltd. (abbr. ZTE)", "ZTE"),
    ("Beijing Raisecom Scientific & Technology Development Co., Ltd.", "Raisecom"),
    ("Shenzhen RAKwireless Technology Co.,Ltd.", "RAKwireless"),
    ("SHENZHEN COSHIP SOFTWARE CO.,LTD.", "COSHIP"),
    ("Beijing Cool Shark Technology Co., Ltd.", "Cool Shark"),
])
def test_registry_conventions_give_the_trade_name(org, short):
    assert short_vendor(org) == short


@pytest.mark.parametrize("org", [
    "Beijing Telecom Administration, China",        # no trade name before the industry word
    "Beijing Univ. of Posts & Telecom., Training Center",
    "Shenzhen Electric",
    "China Mobile Communications Corporation",        # "China" opens brands, not a place rule
])
def test_names_that_do_not_follow_the_convention_stay_whole(org):
    assert short_vendor(org) and short_vendor(org).split()[0] in org


def test_the_registry_itself_is_read_this_way():
    # real registrations, looked up through the shipped IANA table rather than typed in
    names = {short_vendor(pen.organisation(n)) for n in (3902, 8886)}
    assert "ZTE" in names
    assert "Raisecom" in names


@pytest.mark.parametrize("hostile", [
    "x" * 100_000, "(abbr. )", "(abbr. " + "Z" * 5000 + ")", "Beijing", "Beijing " * 5000,
    "Shenzhen Technology Co., Ltd.", "\x00\x01 beijing \ud800", "  ,.  ",
])
def test_hostile_names_never_raise(hostile):
    out = short_vendor(hostile)
    assert out is None or (isinstance(out, str) and len(out) <= 200)


def _vendor_and_class(klass: str) -> tuple[str | None, str]:
    fp = combine.decide([
        Evidence("snmp", "iana-pen:11", "vendor", "HP", 0.6, "1.3.6.1.4.1.11 (Hewlett-Packard)"),
        Evidence("snmp", "r", "device_class", klass, 0.8, "seen"),
    ])
    return fp.vendor, fp.device_class


@pytest.mark.parametrize("klass, vendor", [
    ("switch", "HPE"), ("server", "HPE"), ("storage", "HPE"), ("power", "HPE"),
    ("printer", "HP"), ("workstation", "HP"),
])
def test_hp_is_named_after_the_half_that_sells_the_class(klass, vendor):
    assert _vendor_and_class(klass) == (vendor, klass)


def test_hp_without_a_class_stays_hp():
    fp = combine.decide([Evidence("snmp", "iana-pen:11", "vendor", "HP", 0.6, "x")])
    assert (fp.vendor, fp.device_class) == ("HP", "unknown")


@pytest.mark.parametrize(("text", "maker"), [
    ("Calix, Inc E5-16F AXOS-R2.2.0", "Calix"),
    ("DrayTek Corporation, Router Model: Vigor2927, Version: 4.4.2", "DrayTek"),
    ("Westfield Optics GmbH WO-8 Media Converter, FW 2.1", "Westfield Optics"),   # a maker no table lists
    ("Shenzhen Lanbo Technology Co., Ltd. EPON OLT V1.2", "Lanbo"),
])
def test_a_legal_company_name_opening_a_text_names_its_maker(text, maker):
    assert opening_company(text) == maker


@pytest.mark.parametrize("text", [
    "Linux host 5.10.0 #1 SMP x86_64", "Model: DB7001", "Power Management Card", "SSU-2000, Sync Unit",
    "the acme inc switch", "", None, "X" * 100_000, "A " * 50_000 + "Inc", "Acme " * 20_000 + "GmbH",
])
def test_texts_that_open_with_no_legal_name_and_hostile_texts(text):
    assert opening_company(text) is None


def test_sysdescr_opening_with_an_unlisted_company_names_the_vendor():
    from netdiscover.fingerprints import snmp

    found = snmp.facts_evidence({"sysDescr": "Westfield Optics GmbH WO-8 Media Converter, FW 2.1",
                                 "sysObjectID": "1.3.6.1.4.1.99999.1"})
    assert [e.value for e in found if e.rule == "descr-maker"] == ["Westfield Optics"]
