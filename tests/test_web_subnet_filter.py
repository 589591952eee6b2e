"""The asset listing's subnet filter (API ``subnet=``, the unknown list's Subnet field): IPv6
networks are narrowed in SQL to the addresses whose text can belong to them, and the answer is
exactly the assets with a current address in the network, on SQLite and PostgreSQL."""

from __future__ import annotations

import ipaddress
import random
from datetime import UTC, datetime

import netaddr
import pytest

from netdiscover.services.assets import parse_asset_query
from netdiscover.services.paging import page_of_ids
from netdiscover.storage.asset_pages import _ipv6_starts
from netdiscover.storage.models import Address, Asset

NOW = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
V6 = ("2001:db8::1", "2001:db8::ffff:1", "2001:db8:0:1::1", "2001:db8:0:0:1::", "2001:db8::",
      "2001:db8:1::5", "2001:db9::1", "2001:db8:0:ffff::2", "::1", "::ffff:10.0.0.1", "fe80::1",
      "fe80::1%eth0", "fd00::1:2:3:4", "fd00:0:0:1::", "2001:db8:abcd:12::7", "2001:db8:abcd:13::7",
      "1:2:3:4:5:6:7:8", "not:an:address")
NETS = ("2001:db8::/64", "2001:db8::/32", "2001:db8::/48", "2001:db8:0:1::/64", "2001:db8::1/128", "::/0",
        "::/96", "::ffff:0:0/96", "fe80::/10", "fd00::/8", "fd00::/63", "2001:db8:abcd:12::/63",
        "2001:db8:abcd:12::/64", "1:2:3:4:5:6:7:8/128", "1:2:3:4::/64", "2001:db8::/127")


def _member(ip: str, net: str) -> bool:
    try:
        return netaddr.IPAddress(ip) in netaddr.IPNetwork(net)
    except (netaddr.AddrFormatError, ValueError):
        return False


def test_every_address_of_an_ipv6_network_starts_as_one_of_its_starts():
    rng = random.Random(64)
    for _ in range(3000):
        words = [rng.choice((0, 0, 0, 1, 0xdb8, 0xffff, rng.randrange(65536))) for _ in range(8)]
        number = int("".join(f"{w:04x}" for w in words), 16)
        for length in (0, 7, 16, 33, 48, 64, 95, 112, 127, 128):
            starts = _ipv6_starts(netaddr.IPNetwork(f"{ipaddress.IPv6Address(number)}/{length}"))
            host_bits = rng.getrandbits(128 - length) if length < 128 else 0
            inside = number & ~((1 << (128 - length)) - 1) | host_bits
            for member in (number, inside):
                text = str(ipaddress.IPv6Address(member))
                assert any(text.startswith(s) for s in starts), (text, length, starts)


@pytest.mark.parametrize("net", NETS)
def test_ipv6_subnet_filter_finds_exactly_the_members(sessions, net):
    with sessions.begin() as s:
        ids = {}
        for n, ip in enumerate(V6):
            asset = Asset(status="undocumented", confidence=0.5, first_seen=NOW, last_seen=NOW,
                          created_at=NOW, updated_at=NOW, methods=["ndp"], present=True)
            s.add(asset)
            s.flush()
            s.add(Address(asset_id=asset.id, ip=ip, current=n % 5 != 4, first_seen=NOW, last_seen=NOW))
            ids[asset.id] = (ip, n % 5 != 4)
    with sessions() as s:
        query = parse_asset_query(None, None, None, None, net, None, None, "id")
        found, _cursor = page_of_ids(s, query, 500, None)
    expected = [i for i, (ip, current) in sorted(ids.items()) if current and _member(ip, net)]
    assert found == expected
