"""Vendor names from registry spellings: stated abbreviations, Chinese enterprise names, split makers."""

from __future__ import annotations

import pytest

from netdiscover.fingerprints import combine, pen
from netdiscover.fingerprints.model import Evidence
from netdiscover.fingerprints.vendors import short_vendor


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
