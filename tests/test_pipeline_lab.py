"""One sweep, pipelined, on the wire: with ARP, SNMP and nmap in one sweep, SNMP and nmap ask
only the hosts ARP found on the scanner's own segment, and find what the methods run one after
another find.

Lab: a /24 segment with the scanner, two snmpd agents, one host serving HTTP and one plain host;
the other addresses are empty. nftables counters in the scanner's namespace count the SNMP
requests and the nmap probes leaving for addresses that are not hosts (counted at the IP layer,
before neighbour resolution, so a probe to an empty address counts even though it never gets a
MAC; nmap runs with ``--send-ip`` so that its probes pass the same hook). The same sweep run
method by method (no feed) is the reference: it must be counted probing the empty addresses,
which shows the counters see what they should.
"""

from __future__ import annotations

import json
import sys

import pytest

from netdiscover_lab.arp_lab import small_lab
from netdiscover_lab.services import start_services
from netdiscover_lab.snmp_agents import snmpd_unavailable_reason, start_snmpd

pytestmark = pytest.mark.lab

NET = "10.20.0.0/24"
SCANNER = "10.20.0.2"
AGENTS = {"10.20.0.11": "02:00:5e:10:00:11", "10.20.0.12": "02:00:5e:10:00:12"}
WEB = ("10.20.0.21", "02:00:5e:10:00:21")
PLAIN = ("10.20.0.31", "02:00:5e:10:00:31")
OPTIONS = {"snmp_timeout": 0.3, "snmp_retries": 0, "snmp_depth": "system"}

RUNNER = """
import json, sys
from netdiscover.scope import parse_scope
from netdiscover.services.sweeps import SweepRequest, collect
spec = json.loads(sys.argv[1])
scope = parse_scope(spec["targets"])
found = {}
for methods in spec["runs"]:
    request = SweepRequest(targets=spec["targets"], methods=methods, options=spec["options"],
                           nmap_args=spec["nmap_args"])
    _obs, outcomes = collect(scope, request)
    for o in outcomes:
        found[o.method] = {"status": o.status, "messages": o.messages, "stats": o.stats,
                           "observations": [x.to_dict() for x in o.observations]}
print(json.dumps(found, default=str))
"""

COUNTERS = """
table inet pipecount {{
    set hosts {{ type ipv4_addr; elements = {{ {hosts} }} }}
    counter snmp_empty {{ }}
    counter snmp_hosts {{ }}
    counter nmap_empty {{ }}
    chain out {{
        type filter hook output priority 0; policy accept;
        oifname != "eth0" accept
        udp dport 161 ip daddr != @hosts counter name snmp_empty
        udp dport 161 ip daddr @hosts counter name snmp_hosts
        meta l4proto {{ tcp, icmp }} ip daddr != @hosts counter name nmap_empty
    }}
}}
"""


def counters(lab, ns: str) -> dict[str, int]:
    """Packets counted since the last call (the counters are reset)."""
    out = json.loads(lab.run(ns, ["nft", "-j", "reset", "counters", "table", "inet", "pipecount"]).stdout)
    items = [item["counter"] for item in out["nftables"] if "counter" in item]
    return {counter["name"]: counter["packets"] for counter in items}


def sweep(lab, ns: str, runs: list[list[str]]) -> dict:
    spec = {"targets": [NET], "runs": runs, "options": OPTIONS, "nmap_args": "--send-ip"}
    proc = lab.run(ns, [sys.executable, "-c", RUNNER, json.dumps(spec)], timeout=300)
    return json.loads(proc.stdout)


def summary(found: dict) -> dict:
    """What each method found, reduced to what must not depend on the order they ran in."""
    obs = {m: [o for o in found[m]["observations"] if o["kind"] == "host"] for m in found}
    return {
        "arp": sorted((o["ip"], o["mac"]) for o in obs["arp"]),
        "snmp": sorted((o["ip"], o["facts"]["snmp"].get("sysName")) for o in obs["snmp"]),
        "nmap": sorted((o["ip"], sorted(s["port"] for s in o.get("services") or [])) for o in obs["nmap"]),
    }


def test_snmp_and_nmap_ask_only_arp_s_hosts_and_find_the_same(lab, tmp_path):
    reason = snmpd_unavailable_reason()
    if reason:
        pytest.skip(reason)
    arp = small_lab(lab, scanner_cidr=f"{SCANNER}/24")
    for i, (ip, mac) in enumerate(AGENTS.items()):
        host = arp.add_host(f"agent{i}", ip, mac)
        start_snmpd(lab, host.ns, ip, tmp_path / f"agent{i}", sys_name=f"lab-agent-{i}")
    web = arp.add_host("web", *WEB)
    start_services(lab, web.ns, ["http:80:server=nginx/1.22.1"], log=tmp_path / "web.log")
    arp.add_host("plain", *PLAIN)
    hosts = [SCANNER, *AGENTS, WEB[0], PLAIN[0]]
    lab.nft(arp.scanner.ns, COUNTERS.format(hosts=", ".join(hosts)))
    counters(lab, arp.scanner.ns)

    piped = sweep(lab, arp.scanner.ns, [["arp", "snmp", "nmap"]])
    piped_count = counters(lab, arp.scanner.ns)
    one_by_one = sweep(lab, arp.scanner.ns, [["arp"], ["snmp"], ["nmap"]])
    one_by_one_count = counters(lab, arp.scanner.ns)

    for method, outcome in piped.items():
        assert outcome["status"] == "done", (method, outcome["messages"])
    assert piped_count["snmp_empty"] == 0 and piped_count["nmap_empty"] == 0, piped_count
    assert piped_count["snmp_hosts"] >= len(AGENTS)
    # the reference asks the empty addresses: the counters do see such probes
    assert one_by_one_count["snmp_empty"] >= 240 and one_by_one_count["nmap_empty"] >= 240, one_by_one_count

    expected = summary(one_by_one)
    assert summary(piped) == expected
    assert {ip for ip, _ in expected["arp"]} == set(hosts) - {SCANNER}
    assert expected["snmp"] == [(ip, f"lab-agent-{i}") for i, ip in enumerate(AGENTS)]
    assert (WEB[0], [80]) in expected["nmap"]
    # absence: the fed probers say they asked only the hosts (and the scanner's own address)
    for method in ("snmp", "nmap"):
        covered = piped[method]["stats"]["covered"]
        assert set(covered) <= {f"{ip}/32" for ip in hosts}, (method, covered)
