"""ARP sweeps against real hosts in network namespaces (root only; skipped otherwise).

Every sweep runs inside the scanner namespace through ``python -m netdiscover_lab.arp_lab scan``.
Lab timings (tens of ms) are passed explicitly; the defaults are meant for real networks.
"""

from __future__ import annotations

import pytest

from netdiscover_lab.arp_lab import (
    add_arp_loss,
    announce,
    drop_first_request,
    large_lab,
    run_scan,
    small_lab,
)

pytestmark = pytest.mark.lab

FAST = {"quiet_ms": 150, "retry_ms": 60}

HOSTS = {  # ip -> (mac, vendor)
    "10.20.0.10": ("00:1b:21:3a:00:10", "Intel Corporate"),
    "10.20.0.11": ("3c:d9:2b:3a:00:11", "Hewlett Packard"),
    "10.20.0.12": ("00:1e:c9:3a:00:12", "Dell Inc."),
    "10.20.0.13": ("b8:27:eb:3a:00:13", "Raspberry Pi Foundation"),
    "10.20.0.14": ("0a:4e:44:3a:00:14", None),    # locally administered
    "10.20.0.15": ("02:4e:44:3a:00:15", None),    # locally administered, answers the second try only
}


def found(result: dict) -> dict[str, dict]:
    assert "error" not in result, result
    return {o["ip"]: o for o in result["observations"]}


def test_sweep_finds_every_host_then_notices_one_gone(lab):
    net = small_lab(lab)
    for i, (ip, (mac, _)) in enumerate(HOSTS.items()):
        net.add_host(f"h{i}", ip, mac)
    drop_first_request(lab, net.hosts["10.20.0.15"].ns)
    targets = ["10.20.0.0/24", "10.30.0.0/29"]

    # without retries the shy host stays hidden: the lab really drops its first request
    first_only = found(run_scan(lab, net.scanner.ns, ["10.20.0.15/32"], retries=0, options=FAST))
    assert first_only == {}

    shy_ns = net.hosts["10.20.0.15"].ns
    lab.run(shy_ns, ["nft", "flush", "set", "arp", "once", "asked"])     # forget that first try
    result = run_scan(lab, net.scanner.ns, targets, options=FAST)
    seen = found(result)
    assert "10.20.0.2" in lab.run(shy_ns, ["nft", "list", "set", "arp", "once", "asked"]).stdout
    assert set(seen) == set(HOSTS), "phantom or missing hosts"
    for ip, (mac, vendor) in HOSTS.items():
        assert seen[ip]["mac"] == mac
        assert seen[ip]["vendor_hint"] == vendor
        assert seen[ip]["method"] == "arp" and seen[ip]["rtt_ms"] is not None
        assert seen[ip]["flags"] == [] and seen[ip]["facts"]["arp"]["proxy_arp"] is False
    assert result["stats"]["interface"] == "eth0"
    assert result["stats"]["off_link"] == 8
    assert any("10.30.0.0/29" in m and "not reachable by ARP" in m for m in result["messages"])

    lab.run(net.hosts["10.20.0.12"].ns, ["ip", "link", "set", "eth0", "down"])
    again = found(run_scan(lab, net.scanner.ns, targets, options=FAST))
    assert set(again) == set(HOSTS) - {"10.20.0.12"}


def test_send_rate_is_bounded(lab):
    net = small_lab(lab)
    net.add_host("h0", "10.20.0.10", "00:1b:21:3a:00:10")
    result = run_scan(lab, net.scanner.ns, ["10.20.0.0/24"], rate=400, retries=0, options={"quiet_ms": 50})
    stats = result["stats"]
    assert stats["sent"] == 253
    # 253 frames at 400 per second take 0.63 s; late wake-ups may catch up by at most 50 ms
    assert stats["elapsed_s"] >= 252 / 400 - 0.05
    assert set(found(result)) == {"10.20.0.10"}


def test_packet_loss_full_recall_with_retries(lab):
    net = large_lab(lab, network="10.78.0.0/24", live=60, dense_cidr="10.78.0.0/24", dense_live=60)
    add_arp_loss(lab, net.switch_ns, 20)
    expected = net.hosts_in("10.78.0.0/24")

    single = found(run_scan(lab, net.scanner_ns, ["10.78.0.0/24"], rate=20000, retries=0, options=FAST))
    assert set(single) < set(expected), "20% loss should hide some hosts from a single try"

    result = run_scan(lab, net.scanner_ns, ["10.78.0.0/24"], rate=20000, retries=10, options=FAST)
    seen = found(result)
    assert {ip: o["mac"] for ip, o in seen.items()} == expected
    assert result["stats"]["retries_sent"] > 0


def test_clean_segment_costs_two_tries_and_lossy_one_gets_every_try(lab):
    net = large_lab(lab, network="10.79.0.0/22", live=40, dense_cidr="10.79.0.0/24", dense_live=20)
    expected = net.hosts_in("10.79.0.0/22")
    targets = 1021                                    # a /22 less network, broadcast and the scanner
    clean = run_scan(lab, net.scanner_ns, ["10.79.0.0/22"], rate=50000, retries=3, options=FAST)
    assert {ip: o["mac"] for ip, o in found(clean).items()} == expected
    # the second round rescued nobody, so nobody got a third or fourth try
    assert clean["stats"]["sent"] == targets + (targets - len(expected))

    add_arp_loss(lab, net.switch_ns, 25)
    lossy = run_scan(lab, net.scanner_ns, ["10.79.0.0/22"], rate=50000, retries=10, options=FAST)
    assert {ip: o["mac"] for ip, o in found(lossy).items()} == expected
    assert lossy["stats"]["sent"] > 2 * targets       # later rounds were sent: they kept finding hosts


def test_proxy_arp_conflict_and_gratuitous_are_flagged(lab):
    net = small_lab(lab)
    net.add_host("h0", "10.20.0.10", "00:1b:21:3a:00:10")
    net.add_host("twin1", "10.20.0.40", "00:1e:c9:3a:00:40")
    net.add_host("twin2", "10.20.0.40", "b8:27:eb:3a:00:40")
    quiet = net.add_host("shy", "10.20.0.50", "3c:d9:2b:3a:00:50")
    lab.nft(quiet.ns, "table arp mute {\n chain in { type filter hook input priority 0; policy drop; }\n}\n")
    announce(lab, quiet.ns, "10.20.0.50", "3c:d9:2b:3a:00:50", count=500, interval=0.02)
    far = lab.segment("far")
    router_mac = "00:26:b9:3a:00:01"
    router = lab.router("rt", [(net.segment, "10.20.0.1/24", router_mac), (far, "10.20.0.129/25", None)])
    lab.sysctl(router.ns, "net.ipv4.conf.eth0.proxy_arp", "1")
    lab.sysctl(router.ns, "net.ipv4.neigh.eth0.proxy_delay", "0")

    result = run_scan(lab, net.scanner.ns, ["10.20.0.0/24"], options=FAST)
    obs = result["observations"]
    by_router = [o for o in obs if o["mac"] == router_mac]
    # the router answers for its own address and for every address it routes to the far side
    assert len(by_router) >= 127
    assert all("proxy_arp" in o["flags"] and o["facts"]["arp"]["proxy_arp"] for o in by_router)
    assert any("proxy ARP" in m for m in result["messages"])

    host = [o for o in obs if o["ip"] == "10.20.0.10"]
    assert len(host) == 1 and host[0]["flags"] == []

    twins = {o["mac"]: o for o in obs if o["ip"] == "10.20.0.40"}
    assert set(twins) == {"00:1e:c9:3a:00:40", "b8:27:eb:3a:00:40"}
    assert all("ip_conflict" in o["flags"] for o in twins.values())

    shy = [o for o in obs if o["ip"] == "10.20.0.50"]
    assert len(shy) == 1
    assert set(shy[0]["flags"]) == {"gratuitous", "unsolicited"}
    assert shy[0]["facts"]["arp"]["gratuitous"] is True

    ips = {o["ip"] for o in obs}
    assert ips <= {"10.20.0.10", "10.20.0.40", "10.20.0.50"} | {o["ip"] for o in by_router}


def test_clear_errors_for_missing_or_down_interface_and_no_privilege(lab):
    net = small_lab(lab)
    missing = run_scan(lab, net.scanner.ns, ["10.20.0.0/24"], interface="nope0")
    assert "no interface named 'nope0'" in missing["error"]
    assert "eth0" in missing["error"]

    off_subnet = run_scan(lab, net.scanner.ns, ["192.0.2.0/24"])
    assert "same subnet" in off_subnet["error"]

    import sys
    no_raw = lab.run(net.scanner.ns, ["setpriv", "--inh-caps=-all", "--bounding-set=-net_raw", sys.executable,
                                      "-m", "netdiscover.scanners.arp.scanner", "10.20.0.0/24"], check=False)
    assert no_raw.returncode == 2
    assert "CAP_NET_RAW" in no_raw.stdout and "Traceback" not in no_raw.stderr

    # the interface goes down in the middle of a slow sweep: what was found is kept
    net.add_host("h0", "10.20.0.3", "00:1b:21:3a:00:03")
    # (the sweep would take 5 s; the cut comes at 2.5 s, leaving a busy machine time to start it)
    lab.start(net.scanner.ns, ["sh", "-c", "sleep 2.5; ip link set eth0 down"])
    cut = run_scan(lab, net.scanner.ns, ["10.20.0.0/24"], rate=50, options=FAST)
    assert cut["status"] == "partial"
    assert any("stopped early" in m for m in cut["messages"])
    assert [o["ip"] for o in cut["observations"]] == ["10.20.0.3"]

    down = run_scan(lab, net.scanner.ns, ["10.20.0.0/24"], interface="eth0")
    assert down["error"] == "interface eth0 is down (ip link set eth0 up)"
