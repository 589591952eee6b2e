"""Target parsing: forms, exclusions, size limits and clear errors."""

import pytest

from netdiscover.scope import ScopeError, parse_scope


def test_cidr_range_single_and_short_range():
    scope = parse_scope(["10.20.0.0/30", "10.20.1.10-12", "10.20.2.5", "10.20.3.1-10.20.3.2"])
    ips = {str(ip) for ip in scope.ipset}
    assert ips == {
        "10.20.0.0", "10.20.0.1", "10.20.0.2", "10.20.0.3",
        "10.20.1.10", "10.20.1.11", "10.20.1.12", "10.20.2.5", "10.20.3.1", "10.20.3.2",
    }


def test_exclusions_are_removed():
    scope = parse_scope(["10.20.0.0/29"], exclude=["10.20.0.1", "10.20.0.4-7"])
    assert {str(ip) for ip in scope.ipset} == {"10.20.0.0", "10.20.0.2", "10.20.0.3"}
    assert "10.20.0.1" not in scope
    assert "10.20.0.2" in scope


def test_target_file(tmp_path):
    listing = tmp_path / "targets.txt"
    listing.write_text("# office\n10.20.0.1\n10.20.0.8/31, 10.20.0.20\n\n")
    scope = parse_scope([f"@{listing}"])
    assert scope.size == 4


def test_hostname_resolves_and_is_remembered():
    scope = parse_scope(["localhost"])
    assert "127.0.0.1" in scope
    assert scope.hostnames.get("127.0.0.1") == "localhost"


@pytest.mark.parametrize("spec", ["10.0.0.300", "10.0.0.0/33", "not a target", "10.0.0.9-10.0.0.1", ""])
def test_malformed_targets_raise_clear_errors(spec):
    with pytest.raises(ScopeError) as err:
        parse_scope([spec])
    assert "\n" not in str(err.value)


def test_larger_than_slash16_needs_allow_large():
    with pytest.raises(ScopeError, match="allow-large"):
        parse_scope(["10.0.0.0/15"])
    with pytest.raises(ScopeError, match="allow-large"):
        parse_scope(["10.0.0.0/16", "10.1.0.0/24"])
    assert parse_scope(["10.0.0.0/15"], allow_large=True).size == 131072


def test_missing_file_and_empty_result():
    with pytest.raises(ScopeError, match="not found"):
        parse_scope(["@/nonexistent/targets.txt"])
    with pytest.raises(ScopeError, match="nothing left"):
        parse_scope(["10.0.0.1"], exclude=["10.0.0.0/24"])


def test_address_ranges_agree_with_netaddr_membership():
    import random

    from netaddr import IPAddress, IPNetwork, IPRange, IPSet

    from netdiscover.scope import AddressRanges

    ipset = IPSet([IPNetwork("10.20.0.0/24"), IPNetwork("192.168.1.128/25"), IPNetwork("2001:db8::/120")])
    ipset.add(IPRange("172.16.0.10", "172.16.3.20"))
    ipset.remove(IPNetwork("10.20.0.64/28"))
    ipset.add(IPAddress("8.8.4.4"))
    ranges = AddressRanges(ipset)
    rng = random.Random(7)
    probes = ["10.20.0.0", "10.20.0.63", "10.20.0.64", "10.20.0.79", "10.20.0.80", "10.20.0.255",
              "10.20.1.0", "172.16.0.9", "172.16.0.10", "172.16.3.20", "172.16.3.21", "8.8.4.4",
              "2001:db8::ff", "2001:db8::100", "2001:0db8:0000::0001", "::ffff:10.20.0.1", "0.0.0.0"]
    probes += [".".join(map(str, (rng.choice((10, 172, 192)), rng.choice((16, 20, 168)), rng.randrange(4),
                                  rng.randrange(256)))) for _ in range(3000)]
    for ip in probes:
        assert (ip in ranges) == (IPAddress(ip) in ipset), ip
    for junk in ("", "10.20.0", "not an ip", "10.20.0.1/24", None, 3):
        assert junk not in ranges
    assert "10.20.0.5" not in AddressRanges(IPSet())


@pytest.mark.parametrize(("targets", "limit", "expected"), [
    (["10.20.0.0/24"], 16, ["10.20.0."]),
    (["10.20.0.0/23", "10.20.5.7"], 16, ["10.20.0.", "10.20.1.", "10.20.5."]),
    (["10.20.0.0/20"], 8, ["10.20."]),
    (["10.20.0.0/16", "172.16.0.0/16"], 1, None),
    (["10.20.0.0/16", "172.16.0.0/16"], 2, ["10.20.", "172.16."]),
    (["10.0.0.0/8"], 16, ["10."]),
    (["0.0.0.0/0"], 16, None),
    (["2001:db8::/64"], 16, None),
    ([], 16, []),
])
def test_scope_text_prefixes(targets, limit, expected):
    from netaddr import IPNetwork, IPSet

    from netdiscover.scope import AddressRanges

    assert AddressRanges(IPSet([IPNetwork(t) for t in targets])).text_prefixes(limit) == expected
