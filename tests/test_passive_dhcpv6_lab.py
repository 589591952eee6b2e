"""DHCPv6 heard passively: ISC ``dhclient -6`` asks dnsmasq (DHCPv6 mode) in namespaces; the
listener finds the client with its name, its DUID and the address leased to it, and its own
interface transmits nothing."""

from __future__ import annotations

import json
import shutil
import time

import pytest
from sqlalchemy import create_engine, text

from netdiscover_lab import passive_lab as pl

pytestmark = pytest.mark.timeout(120)
CLIENT_MAC = "00:1b:21:24:00:02"
CLIENT_LINK_LOCAL = "fe80::21b:21ff:fe24:2"


def wait_for_link_local(lab, ns: str, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        shown = lab.run(ns, ["ip", "-6", "addr", "show", "dev", "eth0", "scope", "link"]).stdout
        if "fe80::" in shown and "tentative" not in shown:
            return
        time.sleep(0.2)
    pytest.fail(f"{ns} never got a usable link-local address")


def leased(leases: str) -> str:
    """The IPv6 address dnsmasq's lease file gives the client."""
    for line in leases.splitlines():
        parts = line.split()
        if len(parts) >= 3 and parts[2].startswith("fd00:24::"):
            return parts[2]
    pytest.fail(f"no DHCPv6 lease in {leases!r}")


def dhcpv6_facts(db_url: str, mac: str) -> list[dict]:
    engine = create_engine(db_url)
    try:
        with engine.connect() as conn:
            rows = conn.execute(text("SELECT data FROM observations WHERE method = 'passive' AND mac = :m"),
                                {"m": mac}).all()
    finally:
        engine.dispose()
    records = [json.loads(d) if isinstance(d, str) else d for (d,) in rows]
    return [r["facts"]["dhcpv6"] for r in records if "dhcpv6" in (r.get("facts") or {})]


def test_dhclient6_is_heard_with_name_duid_and_leased_address(lab, tmp_path, sqlite_url):
    missing = [p for p in ("dnsmasq", "dhclient") if shutil.which(p) is None]
    if missing:
        pytest.skip(f"not installed: {', '.join(missing)}")
    seg = pl.mirror_segment(lab)
    ear = pl.silent_host(lab, "ear", seg)
    server = lab.host("dhcp6d", seg, None, mac="00:1b:21:24:00:01")
    lab.run(server.ns, ["ip", "addr", "add", "fd00:24::1/64", "dev", "eth0", "nodad"])
    client = lab.host("laptop6", seg, None, mac=CLIENT_MAC)
    wait_for_link_local(lab, server.ns)
    wait_for_link_local(lab, client.ns)
    dnsmasq_dir = tmp_path / "dnsmasq"
    pl.start_dnsmasq(lab, server, dnsmasq_dir, "fd00:24::100", "fd00:24::1ff")

    before = pl.tx_packets(lab, ear.ns)
    running = pl.start_listen(lab, ear, sqlite_url, tmp_path / "listen", duration="60s", flush="2s")
    pl.run_dhclient(lab, client, "v6-laptop", tmp_path / "dhclient", v6=True)
    address = leased((dnsmasq_dir / "leases").read_text())
    time.sleep(2.5)
    summary = running.finish()
    assert pl.tx_packets(lab, ear.ns) == before, "the listener's interface sent packets"

    assert summary["packets"].get("dhcpv6", 0) >= 4, summary       # solicit, advertise, request, reply
    assert summary["malformed"] == 0 and not summary["errors"]
    proc = lab.run(ear.ns, [*pl.NETDISCOVER, "--db", sqlite_url, "assets", "list", "--format", "json"])
    (row,) = [r for r in json.loads(proc.stdout) if CLIENT_MAC in r["macs"]]
    assert row["hostname"] == "v6-laptop" and "passive" in row["methods"]
    assert address in row["ips"] and CLIENT_LINK_LOCAL in row["ips"]
    assert row["ips"][-1] == CLIENT_LINK_LOCAL                     # the link-local one is never shown first
    facts = dhcpv6_facts(sqlite_url, CLIENT_MAC)
    assert any(f.get("duid") == "00030001" + CLIENT_MAC.replace(":", "") and f.get("duid_mac") == CLIENT_MAC
               and f.get("fqdn") == "v6-laptop" for f in facts), facts
