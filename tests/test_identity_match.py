"""The shared identity-matching walk: one key order, the callers' policies, spellings."""

from __future__ import annotations

from netdiscover.reconcile.identity_match import IMPORT, KEY_ORDER, SWEEP_STRONG, SWEEP_WEAK, walk


def _lookup(table: dict[str, list[int]]):
    asked: list[str] = []

    def candidates(key: str) -> list[int]:
        asked.append(key)
        return table.get(key, [])

    return candidates, asked


def test_keys_are_walked_in_one_order_and_only_the_policys():
    candidates, asked = _lookup({})
    assert walk(IMPORT, candidates) == []
    assert asked == [k for k in KEY_ORDER if k in IMPORT.keys]
    assert asked == ["asset_tag", "serial", "mac", "hostname", "ip"]


def test_first_hit_policy_returns_the_first_acceptable_candidate_and_stops():
    candidates, asked = _lookup({"serial": [7, 3], "mac": [1], "ip": [2]})
    assert walk(IMPORT, candidates, lambda key, a: a != 7) == [3]
    assert asked == ["asset_tag", "serial"]
    assert walk(SWEEP_WEAK, _lookup({"hostname": [5], "ip": [2]})[0], lambda key, a: key == "ip") == [2]


def test_collecting_policy_keeps_every_candidate_and_falls_back_only_when_nothing_matched():
    table = {"serial": [4], "engine": [4, 6], "mac": [9], "identity_key": [11]}
    assert walk(SWEEP_STRONG, _lookup(table)[0]) == [4, 4, 6, 9]
    assert walk(SWEEP_STRONG, _lookup({"identity_key": [11, 12]})[0]) == [11, 12]
    candidates, asked = _lookup({"hostname": [1], "ip": [2], "asset_tag": [3]})
    assert walk(SWEEP_STRONG, candidates) == []
    assert "hostname" not in asked and "asset_tag" not in asked


def test_spellings_per_policy():
    assert IMPORT.serial_spellings(" ab12cd ") == {" ab12cd ", "AB12CD", "ab12cd"}
    assert SWEEP_STRONG.serial_spellings("AB12CD") == {"AB12CD", "ab12cd"}
    assert IMPORT.serial_spellings("n/a") == IMPORT.serial_spellings(None) == set()
    assert IMPORT.hostname_spellings("Host.") == {"Host.", "host", "HOST"}
    assert SWEEP_WEAK.hostname_spellings("host") == {"host", "HOST", "host."}
    assert SWEEP_WEAK.hostname_spellings("") == set()
