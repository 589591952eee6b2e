"""Turning walked SNMP columns into facts and Observations (pure parsing, hand-made inputs)."""

from __future__ import annotations

from netdiscover.observation import LOCATION, NEIGHBOUR
from netdiscover.scanners.snmp import tables as t
from netdiscover.scanners.snmp.ber import parse_oid


def arcs(mac: str) -> tuple[int, ...]:
    return tuple(int(b, 16) for b in mac.split(":"))


def test_system_facts_types_and_cleaning():
    facts = t.system_facts({
        t.SYSTEM["sysDescr"]: b"Cisco IOS\x1b[31m XE\x00 Software\r\n",
        t.SYSTEM["sysObjectID"]: (1, 3, 6, 1, 4, 1, 9, 1, 1861),
        t.SYSTEM["sysUpTime"]: 4242,
        t.SYSTEM["sysName"]: b"edge-rtr1",
        t.SYSTEM["sysServices"]: 78,
        t.SYSTEM["ipForwarding"]: 1,
        t.SYSTEM["sysContact"]: 17,               # wrong type: dropped
    })
    assert facts["sysDescr"] == "Cisco IOS XE Software"
    assert facts["sysObjectID"] == "1.3.6.1.4.1.9.1.1861"
    assert (facts["sysUpTime"], facts["sysServices"], facts["ipForwarding"]) == (4242, 78, 1)
    assert facts["sysContact"] is None and facts["sysLocation"] is None


def test_sys_object_id_as_text_with_trailing_dot_and_junk():
    dotted = t.system_facts({t.SYSTEM["sysObjectID"]: b".1.3.6.1.4.1.311.1."})
    assert dotted["sysObjectID"] == "1.3.6.1.4.1.311.1"
    assert t.system_facts({t.SYSTEM["sysObjectID"]: b"not-an-oid"})["sysObjectID"] is None
    assert t.system_facts({t.SYSTEM["ipForwarding"]: 7})["ipForwarding"] is None


def test_mib_presence_needs_an_answer_inside_the_subtree():
    answers = [(parse_oid("1.3.6.1.2.1.17.1.1.0"), b"x"), (parse_oid("1.3.6.1.2.1.17.7.1.1.1.0"), 1),
               (parse_oid("1.3.6.1.2.1.47.1.1.1.1.2.1"), b"chassis"), (parse_oid("1.3.6.1.2.1.55.1"), 1)]
    assert t.mibs_present(answers) == ["bridge", "q-bridge", "entity"]


def test_entity_prefers_chassis_rows_and_reads_serial():
    classes = {(1,): 3, (2,): 9, (1001,): 10, (50,): "junk"}
    rows = t.entity_rows_to_fetch(classes)
    assert rows == [(1,)]
    values = {(*t.ENT_PHYSICAL, 11, 1): b"FDO2213A0BC", (*t.ENT_PHYSICAL, 13, 1): b"ISR4331/K9"}
    facts = t.entity_facts(rows, classes, values)
    assert (facts[0]["serial"], facts[0]["model"], facts[0]["class"]) == ("FDO2213A0BC", "ISR4331/K9", 3)
    assert t.chassis_serial(facts) == "FDO2213A0BC"
    assert t.entity_rows_to_fetch({(5,): 10, (2,): 10}) == [(2,)]     # no chassis: first row
    assert t.entity_rows_to_fetch({(7,): 11, (8,): 10}) == [(7,)]     # a stack


def test_interfaces_names_speed_addresses():
    cols = {
        t.IF_DESCR: {(1,): b"GigabitEthernet1/0/1", (2,): b"TenGigabitEthernet1/1/1"},
        t.IF_NAME: {(1,): b"Gi1/0/1", (2,): b"Te1/1/1"},
        t.IF_SPEED: {(1,): 1_000_000_000, (2,): 4_294_967_295},
        t.IF_HIGH_SPEED: {(1,): 1000, (2,): 10_000},
        t.IF_PHYS: {(1,): bytes.fromhex("00d0b7000001"), (2,): b"\x00\x00"},
        t.IF_OPER: {(1,): 1, (2,): 7},
    }
    ips = t.addresses({(1, 4, 10, 0, 0, 1): 1, (2, 16, *([0xfe, 0x80] + [0] * 13 + [1])): 2}, {})
    assert ips == {1: ["10.0.0.1"], 2: ["fe80::1"]}
    ifaces = {i.index: i for i in t.interfaces(cols, ips)}
    assert ifaces[1].name == "Gi1/0/1" and ifaces[1].mac == "00:d0:b7:00:00:01" and ifaces[1].speed == 10**9
    assert ifaces[2].speed == 10 * 10**9 and ifaces[2].mac is None and ifaces[2].status == "lowerLayerDown"
    assert ifaces[1].ips == ["10.0.0.1"] and ifaces[1].description == "GigabitEthernet1/0/1"
    assert t.addresses({}, {(192, 168, 1, 1): 3}) == {3: ["192.168.1.1"]}


def test_arp_neighbours_skip_local_invalid_zero_and_own():
    phys = {
        (2, 1, 4, 10, 40, 0, 11): bytes.fromhex("3c52820000aa"),
        (2, 1, 4, 10, 40, 0, 1): bytes.fromhex("001ebd100002"),    # local: the router itself
        (2, 1, 4, 10, 40, 0, 99): bytes(6),                        # incomplete
        (2, 1, 4, 10, 40, 0, 50): bytes.fromhex("0011223344"),     # 5 bytes: not a MAC
        (2, 1, 4, 10, 40, 0, 60): bytes.fromhex("001ebd100003"),   # one of the router's own MACs
    }
    types = {(2, 1, 4, 10, 40, 0, 1): 5, (2, 1, 4, 10, 40, 0, 11): 3}
    found = t.arp_neighbours(phys, types, "ipNetToPhysicalTable", "edge-rtr1", {2: "Gi0/0/1"},
                             {"00:1e:bd:10:00:03"})
    assert [(o.ip, o.mac, o.kind, o.reporter) for o in found] == [
        ("10.40.0.11", "3c:52:82:00:00:aa", NEIGHBOUR, "edge-rtr1")]
    assert found[0].facts == {"source": "ipNetToPhysicalTable", "if_index": 2, "interface": "Gi0/0/1"}
    media = t.arp_neighbours({(7, 10, 1, 2, 3): bytes.fromhex("a0b1c2d3e4f5")}, {}, "ipNetToMediaTable",
                             "r", {}, set())
    assert [(o.ip, o.mac) for o in media] == [("10.1.2.3", "a0:b1:c2:d3:e4:f5")]


def test_fdb_maps_bridge_port_to_ifname_and_flags_uplinks():
    host, legacy, own = "00:1b:a9:00:00:05", "00:50:56:00:00:08", "94:18:82:20:00:00"
    cols = {
        t.BASE_PORT_IFINDEX: {(5,): 105, (8,): 108, (10,): 110},
        t.QFDB_PORT: {(20, *arcs(host)): 5, (1, *arcs(own)): 0},
        t.QFDB_STATUS: {(20, *arcs(host)): 3, (1, *arcs(own)): 4},
        t.FDB_PORT: {arcs(legacy): 8},
        t.FDB_STATUS: {arcs(legacy): 3},
    }
    for i in range(t.UPLINK_MACS):
        cols[t.QFDB_PORT][(1, 2, 0, 0, 0, 1, i)] = 10
    names = {105: "1/5", 108: "1/8", 110: "1/10"}
    found = {o.mac: o for o in t.fdb_locations(cols, "access-sw1", names, set())}
    assert found[host].kind == LOCATION and found[host].switch == "access-sw1"
    assert found[host].switch_port == "1/5" and found[host].facts["vlan"] == 20
    assert found[legacy].switch_port == "1/8" and found[legacy].facts["source"] == "dot1dTpFdbTable"
    assert own not in found
    uplinked = found["02:00:00:00:01:00"]
    assert uplinked.switch_port == "1/10" and uplinked.facts["uplink"] is True
    assert found[host].facts["uplink"] is False


def test_fdb_ignores_wrong_types_and_bad_indexes():
    cols = {t.QFDB_PORT: {(1, 2, 3): 5, (1, *arcs("00:11:22:33:44:55")): b"port"}}
    assert t.fdb_locations(cols, "sw", {}, set()) == []


def test_lldp_neighbours_with_management_address_and_local_port():
    rem = t.LLDP_REM
    cols = {
        (*rem, 4): {(0, 10, 1): 4, (0, 5, 2): 7},
        (*rem, 5): {(0, 10, 1): bytes.fromhex("001ebd100001"), (0, 5, 2): b"phone-17"},
        (*rem, 6): {(0, 10, 1): 5, (0, 5, 2): 3},
        (*rem, 7): {(0, 10, 1): b"Gi0/0/0", (0, 5, 2): bytes.fromhex("001ba9bb0005")},
        (*rem, 9): {(0, 10, 1): b"edge-rtr1", (0, 5, 2): b"SEP001BA9BB0005"},
        (*rem, 10): {(0, 10, 1): b"Cisco IOS"},
    }
    man = {(0, 10, 1, 1, 4, 10, 30, 0, 1): 2}
    local = {t.LLDP_LOC_PORT_ID: {(10,): b"1/10", (5,): b"1/5"}}
    found = {o.hostname: o for o in t.lldp_neighbours(cols, man, local, "access-sw1")}
    router = found["edge-rtr1"]
    assert (router.ip, router.mac, router.switch_port) == ("10.30.0.1", "00:1e:bd:10:00:01", "1/10")
    assert router.facts["port_id"] == "Gi0/0/0" and router.facts["sys_desc"] == "Cisco IOS"
    phone = found["SEP001BA9BB0005"]
    assert phone.mac is None and phone.facts["chassis_id"] == "phone-17"
    assert phone.facts["port_id"] == "00:1b:a9:bb:00:05" and phone.switch_port == "1/5"


def test_software_names_and_versions():
    names = {(1,): b"openssh-server_1:9.2p1-2+deb12u3_amd64", (2,): b"Microsoft Edge", (3,): 5,
             (4,): b"adduser_3.134_all"}
    found = [(s.name, s.version) for s in t.software(names)]
    assert found == [("openssh-server", "1:9.2p1-2+deb12u3"), ("Microsoft Edge", None), ("adduser", "3.134")]


def test_if_types_and_hr_devices_and_enterprise_sample():
    assert t.if_types({(2,): 6, (1,): 24, (3,): b"x"}) == [24, 6]
    devices = t.hr_devices({(1,): (1, 3, 6, 1, 2, 1, 25, 3, 1, 5)}, {(1,): b"HP LaserJet"})
    assert devices == [{"type": "1.3.6.1.2.1.25.3.1.5", "descr": "HP LaserJet"}]
    sample = [(parse_oid("1.3.6.1.4.1.9.9.1.0"), 1), (parse_oid("1.3.6.1.6.1"), 1)]
    assert t.enterprise_oids(sample) == ["1.3.6.1.4.1.9.9.1.0"]


def test_binary_identifiers_become_mac_or_hex():
    assert t.display(bytes.fromhex("001ebd100001")) == "00:1e:bd:10:00:01"
    assert t.display(b"\x01\x02\xff") == "0102ff"
    assert t.display(b"Gi0/0/1") == "Gi0/0/1"
    assert t.display(7) is None
