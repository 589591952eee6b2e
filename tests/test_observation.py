"""The Observation record's normalisation of what scanners hand it."""

from __future__ import annotations

import pytest

from netdiscover.observation import Observation, normalise_mac


@pytest.mark.parametrize(("given", "expected"), [
    ("00:16:3e:0a:0b:0c", "00:16:3e:0a:0b:0c"),
    ("00:16:3E:0A:0B:0C", "00:16:3e:0a:0b:0c"),
    ("00-16-3e-0a-0b-0c", "00:16:3e:0a:0b:0c"),
    ("0016.3e0a.0b0c", "00:16:3e:0a:0b:0c"),
    ("00163e0a0b0c", "00:16:3e:0a:0b:0c"),
    (" 00:16:3e:0a:0b:0c\n", "00:16:3e:0a:0b:0c"),
    (b"\x00\x16\x3e\x0a\x0b\x0c", "00:16:3e:0a:0b:0c"),
    ("00:16:3e:0a:0b:0g", None),
    ("00:16:3e:0a:0b", None),
    ("00:16:3e:0a:0b:0c:0d", None),
    (b"\x00\x16\x3e", None),
    ("", None),
    ("x" * 10_000, None),
])
def test_macs_are_normalised_or_refused(given, expected):
    assert normalise_mac(given) == expected
    assert Observation(method="arp", mac=given).mac == expected
