"""SNMP scanner against real agents in network namespaces: snmpd (v2c, v3 authPriv), snmpsim
serving the modelled router and switch recordings, and misbehaving agents.

The scanner runs inside the scanner namespace (``ip netns exec``); agents run in their own
namespaces on one lab segment. The snmpsim process and the agents start once for the module.
"""

from __future__ import annotations

import json
import shutil
import tempfile
from pathlib import Path

import pytest

from netdiscover_lab.netns import Lab, LabError, lab_unavailable_reason
from netdiscover_lab.snmp_agents import (
    V3User,
    ensure_snmpsim,
    scan_in_namespace,
    snmpd_unavailable_reason,
    start_bad_agents,
    start_snmpd,
    start_snmpsim,
)

pytestmark = pytest.mark.lab

DATA = Path(__file__).parent / "data" / "snmp"
ROUTER, SWITCH, SNMPD = "10.30.0.1", "10.30.0.2", "10.30.0.3"
UNCOUNTED = "10.30.0.20"        # the switch's recording without dot1dBaseNumPorts (outside the swept /28)
BAD = {"10.30.0.4": "malformed", "10.30.0.5": "loop", "10.30.0.6": "huge-table", "10.30.0.7": "big-sysdescr",
       "10.30.0.8": "wrong-types", "10.30.0.9": "stall"}
COMMUNITY = "lab-ro-9f3k"
V3 = {"version": "3", "user": "monitor", "auth_protocol": "sha", "auth_key": "authsecret-77",
      "priv_protocol": "aes", "priv_key": "privsecret-88", "label": "v3:monitor"}
PUBLIC = [{"version": "2c", "community": "public", "label": "v2c#1"}]
QUICK = {"snmp_timeout": 1.0, "snmp_walk_timeout": 0.7, "snmp_walk_retries": 1, "snmp_max_column_rows": 5000}


@pytest.fixture(scope="module")
def snmp_lab():
    reason = lab_unavailable_reason() or snmpd_unavailable_reason()
    if reason:
        pytest.skip(reason)
    try:
        ensure_snmpsim()
    except LabError as exc:
        pytest.skip(f"snmpsim unavailable: {exc}")
    work = Path(tempfile.mkdtemp(prefix="netdiscover-snmp-lab-"))
    work.chmod(0o755)       # snmpsim, running as nobody, must reach its data
    with Lab() as lab:
        seg = lab.segment()
        scanner = lab.host("scan", seg, "10.30.0.10/24")
        agents = lab.host("agents", seg, f"{ROUTER}/24")
        for ip in [SWITCH, UNCOUNTED, *BAD]:
            lab.run(agents.ns, ["ip", "addr", "add", f"{ip}/24", "dev", "eth0"])
        daemon = lab.host("snmpd", seg, f"{SNMPD}/24", mac="02:5e:00:00:00:03")
        snmpd = start_snmpd(lab, daemon.ns, SNMPD, work / "snmpd", community=COMMUNITY,
                            users=[V3User("monitor", V3["auth_key"], V3["priv_key"]),
                                   V3User("auditor", "auditsecret-55", auth_protocol="SHA-256")],
                            sys_name="lab-snmpd")
        uncounted = work / "uncounted.snmprec"
        uncounted.write_text("".join(line for line in (DATA / "switch.snmprec").open()
                                     if not line.startswith("1.3.6.1.2.1.17.1.2.0|")))
        uncounted.chmod(0o644)
        start_snmpsim(lab, agents.ns, {ROUTER: DATA / "router.snmprec", SWITCH: DATA / "switch.snmprec",
                                       UNCOUNTED: uncounted}, work / "snmpsim")
        start_bad_agents(lab, agents.ns, BAD, log=work / "bad.log")
        yield lab, scanner.ns, snmpd
    shutil.rmtree(work, ignore_errors=True)


@pytest.fixture(scope="module")
def sweep(snmp_lab):
    lab, ns, _ = snmp_lab
    return scan_in_namespace(lab, ns, ["10.30.0.0/28"], PUBLIC, QUICK)


def of_kind(result: dict, kind: str) -> list[dict]:
    return [o for o in result["observations"] if o["kind"] == kind]


def host(result: dict, ip: str) -> dict:
    found = [o for o in of_kind(result, "host") if o["ip"] == ip]
    assert len(found) == 1, f"expected one host observation for {ip}, got {len(found)}"
    return found[0]


# -- snmpd: credentials ----------------------------------------------------------------------

def test_snmpd_wrong_community_gives_nothing(snmp_lab):
    lab, ns, _ = snmp_lab
    result = scan_in_namespace(lab, ns, [SNMPD], [{"version": "2c", "community": "public", "label": "v2c#1"}],
                               QUICK)
    assert result["observations"] == [] and result["stats"]["answered"] == 0


def test_snmpd_v2c_second_community_works_and_is_remembered(snmp_lab):
    lab, ns, snmpd = snmp_lab
    creds = [{"version": "2c", "community": "wrong-one", "label": "v2c#1"},
             {"version": "2c", "community": COMMUNITY, "label": "v2c#2"}]
    result = scan_in_namespace(lab, ns, [SNMPD], creds, QUICK)
    found = host(result, SNMPD)
    assert found["credential"] == "v2c#2"
    assert found["hostname"] == "lab-snmpd" and found["snmp_engine_id"] == snmpd.engine_id
    assert found["facts"]["snmp"]["sysObjectID"].startswith("1.3.6.1.4.1.8072.")
    eth0 = [i for i in found["interfaces"] if i["name"] == "eth0"]
    assert eth0 and eth0[0]["mac"] == "02:5e:00:00:00:03" and SNMPD in eth0[0]["ips"]
    assert found["software"], "hrSWInstalledTable should list the machine's packages"
    assert COMMUNITY not in json.dumps(result)


def test_snmpd_v1_walks_with_getnext(snmp_lab):
    lab, ns, _ = snmp_lab
    result = scan_in_namespace(lab, ns, [SNMPD], [{"version": "1", "community": COMMUNITY, "label": "v1#1"}],
                               QUICK)
    found = host(result, SNMPD)
    assert found["credential"] == "v1#1" and found["hostname"] == "lab-snmpd"
    assert any(SNMPD in i["ips"] for i in found["interfaces"]) and found["mac"] == "02:5e:00:00:00:03"
    assert found["software"] and not result["messages"]


def test_snmpd_v3_authpriv(snmp_lab):
    lab, ns, snmpd = snmp_lab
    result = scan_in_namespace(lab, ns, [SNMPD], [V3], QUICK)
    found = host(result, SNMPD)
    assert found["credential"] == "v3:monitor" and found["snmp_engine_id"] == snmpd.engine_id
    assert any(SNMPD in i["ips"] for i in found["interfaces"])
    dumped = json.dumps(result)
    assert V3["auth_key"] not in dumped and V3["priv_key"] not in dumped


def test_snmpd_v3_auth_no_priv_sha256(snmp_lab):
    lab, ns, snmpd = snmp_lab
    cred = {"version": "3", "user": "auditor", "auth_protocol": "sha256", "auth_key": "auditsecret-55",
            "label": "v3:auditor"}
    result = scan_in_namespace(lab, ns, [SNMPD], [cred], {**QUICK, "snmp_depth": "system"})
    found = host(result, SNMPD)
    assert found["credential"] == "v3:auditor" and found["snmp_engine_id"] == snmpd.engine_id
    assert "host-resources" in found["facts"]["snmp"]["mibs"]


def test_snmpd_v3_wrong_key_is_refused_and_reported(snmp_lab):
    lab, ns, _ = snmp_lab
    wrong = {**V3, "auth_key": "not-the-key-1"}
    result = scan_in_namespace(lab, ns, [SNMPD], [wrong], QUICK)
    assert result["observations"] == []
    assert any("v3:monitor" in m and "refused" in m for m in result["messages"]), result["messages"]
    assert "not-the-key-1" not in json.dumps(result)


# -- snmpsim: what routers and switches know --------------------------------------------------

def test_router_arp_table_finds_hosts_beyond_the_scanned_range(sweep):
    neighbours = {o["ip"]: o for o in of_kind(sweep, "neighbour") if o["reporter"] == "edge-rtr1"}
    routed = {ip: o["mac"] for ip, o in neighbours.items() if ip.startswith("10.40.")}
    assert routed == {"10.40.0.11": "3c:52:82:aa:00:11", "10.40.0.12": "f8:b4:6a:aa:00:12",
                      "10.40.0.13": "00:1b:a9:aa:00:13", "10.40.0.14": "b8:27:eb:aa:00:14"}
    assert all(o["facts"]["source"] == "ipNetToPhysicalTable" for o in neighbours.values())
    assert neighbours["10.40.0.11"]["facts"]["interface"] == "Gi0/0/1"
    assert not [o for o in of_kind(sweep, "host") if o["ip"].startswith("10.40.")]


def test_router_host_identity(sweep):
    router = host(sweep, ROUTER)
    facts = router["facts"]["snmp"]
    assert router["hostname"] == "edge-rtr1" and router["serial"] == "FDO2213A0BC"
    assert router["snmp_engine_id"] == "800000090300001ebd100001"
    assert facts["ipForwarding"] == 1 and facts["sysServices"] == 78
    chassis = [e for e in facts["entity"] if e["class"] == 3]
    assert chassis and chassis[0]["model"] == "ISR4331/K9" and chassis[0]["sw_rev"] == "16.9.4"
    by_name = {i["name"]: i for i in router["interfaces"]}
    assert by_name["Gi0/0/1"]["ips"] == ["10.40.0.1"] and by_name["Gi0/0/1"]["mac"] == "00:1e:bd:10:00:02"


def test_switch_fdb_places_macs_on_ports(sweep):
    where = {o["mac"]: o for o in of_kind(sweep, "location")}
    assert where["00:1b:a9:bb:00:05"]["switch"] == "access-sw1"
    phone = where["00:1b:a9:bb:00:05"]
    assert phone["switch_port"] == "1/5" and phone["facts"]["vlan"] == 20
    assert where["3c:52:82:bb:00:03"]["switch_port"] == "1/3"
    assert where["00:50:56:bb:00:08"]["switch_port"] == "1/8"          # only in dot1dTpFdbTable
    assert where["00:1e:bd:10:00:01"]["switch_port"] == "1/10"         # the router, behind the uplink
    assert "94:18:82:20:00:00" not in where                              # the switch's own MAC


def test_switch_lldp_neighbours_and_identity(sweep):
    lldp = {o["hostname"]: o for o in of_kind(sweep, "neighbour")
            if o["facts"].get("source") == "lldpRemTable"}
    assert lldp["edge-rtr1"]["ip"] == ROUTER and lldp["edge-rtr1"]["mac"] == "00:1e:bd:10:00:01"
    assert lldp["edge-rtr1"]["switch_port"] == "1/10" and lldp["edge-rtr1"]["facts"]["port_id"] == "Gi0/0/0"
    assert lldp["SEP001BA9BB0005"]["ip"] == "10.30.0.77" and lldp["SEP001BA9BB0005"]["switch_port"] == "1/5"
    switch = host(sweep, SWITCH)
    assert switch["serial"] == "SG9ZKWB0C3"
    assert {"bridge", "q-bridge", "lldp", "entity"} <= set(switch["facts"]["snmp"]["mibs"])
    media = [o for o in of_kind(sweep, "neighbour") if o["reporter"] == "access-sw1"
             and o["facts"].get("source") == "ipNetToMediaTable"]
    assert [(o["ip"], o["mac"]) for o in media] == [(ROUTER, "00:1e:bd:10:00:01")]


def test_switch_states_what_it_is(sweep):
    facts = host(sweep, SWITCH)["facts"]["snmp"]
    assert facts["lldp_caps"] == {"supported": ["bridge", "router"], "enabled": ["bridge"]}
    assert facts["bridge_ports"] == 10
    assert facts["enterprise_numbers"] == [11]          # HP's subtree, found by the enterprise hops


@pytest.mark.parametrize("depth", ["system", "full"])
def test_bridge_without_its_port_count_is_counted_from_the_port_table(snmp_lab, depth):
    lab, ns, _ = snmp_lab
    result = scan_in_namespace(lab, ns, [UNCOUNTED], PUBLIC, QUICK | {"snmp_depth": depth})
    assert host(result, UNCOUNTED)["facts"]["snmp"]["bridge_ports"] == 10


# -- misbehaving agents in the same sweep -----------------------------------------------------

def test_bad_agents_do_not_stop_the_sweep(sweep):
    assert sweep["status"] == "partial"
    answered = {o["ip"] for o in of_kind(sweep, "host")}
    assert answered == {ROUTER, SWITCH} | (set(BAD) - {"10.30.0.4"})
    text = "\n".join(sweep["messages"])
    assert "10.30.0.4: v2c#1: malformed reply" in text
    assert "10.30.0.5: walk of 1.3.6.1.2.1.2.2.1.2: non-increasing OID" in text
    assert "10.30.0.6: walk of 1.3.6.1.2.1.2.2.1.2 cut at 5000 rows" in text
    assert "10.30.0.9:" in text and "stopped answering" in text
    assert not any(m.startswith((f"{ROUTER}:", f"{SWITCH}:")) for m in sweep["messages"])
    descr = host(sweep, "10.30.0.7")["facts"]["snmp"]["sysDescr"]
    assert len(descr) <= 8192 and "\x1b" not in descr and "\x00" not in descr
