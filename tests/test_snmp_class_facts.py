"""Standard-MIB class facts: LLDP capabilities, bridge port count, enterprise subtrees served.

The scanner's readers (pure, hand-made answers) and the offline recording reader must give the
same facts; hostile values give nothing, never an exception.
"""

from __future__ import annotations

import pytest

from netdiscover.fingerprints import snmprec
from netdiscover.scanners.snmp import tables as t
from netdiscover.scanners.snmp.ber import parse_oid


def test_lldp_capability_bits():
    # bridge + router supported (0x28), router enabled (0x08): LldpSystemCapabilitiesMap, bit 0 = MSB
    assert t.lldp_caps(b"\x28\x00") == ["bridge", "router"]
    assert t.lldp_caps(b"\x08") == ["router"]
    assert t.lldp_caps(b"\x14") == ["wlanAccessPoint", "telephone"]
    assert t.lldp_caps(b"\x03") == ["docsisCableDevice", "stationOnly"]
    facts = t.class_facts({t.LLDP_CAP_SUPPORTED: b"\x28\x00", t.LLDP_CAP_ENABLED: b"\x08\x00",
                           t.BRIDGE_NUM_PORTS: 52})
    assert facts == {"lldp_caps": {"supported": ["bridge", "router"], "enabled": ["router"]},
                     "bridge_ports": 52}


@pytest.mark.parametrize("value", [None, 7, True, b"", b"\xff" * 5000, (1, 3, 6), object(), 1.5])
def test_hostile_lldp_values_give_nothing(value):
    assert t.lldp_caps(value) == []
    facts = t.class_facts({t.LLDP_CAP_SUPPORTED: value, t.LLDP_CAP_ENABLED: value})
    assert facts == {}


@pytest.mark.parametrize("ports", [-1, 10**9, "52", b"52", True, None])
def test_hostile_port_counts_are_dropped(ports):
    assert "bridge_ports" not in t.class_facts({t.BRIDGE_NUM_PORTS: ports})


def test_enterprise_numbers_skip_net_snmp_and_junk():
    answers = [(parse_oid("1.3.6.1.4.1.2021.4.1.0"), 1), (parse_oid("1.3.6.1.4.1.8072.1.2.1"), 1),
               (parse_oid("1.3.6.1.4.1.9.9.23.1"), b"x"), (parse_oid("1.3.6.1.4.1.6574.1.1.0"), 5),
               (parse_oid("1.3.6.1.6.3.10.2.1.1.0"), b"e"), (parse_oid("1.3.6.1.4.1.9.2.1"), 1),
               ((1, 3, 6, 1, 4, 1), 1), ("1.3.6.1.4.1.11", 1), ((1, 3, 6, 1, 4, 1, 2**40), 1)]
    assert t.enterprise_numbers(answers) == [9, 6574]
    many = [((*t.ENTERPRISES, n, 1), 1) for n in range(1, 500)]
    assert len(t.enterprise_numbers(many)) == t.MAX_ENTERPRISE_NUMBERS
    # an agent that answers every hop with the same OID (a loop) still gives one number, once
    looping = [(parse_oid("1.3.6.1.4.1.9.1"), 1)] * 1000
    assert t.enterprise_numbers(looping) == [9]


def test_hops_start_after_net_snmp_subtrees():
    starts = [".".join(map(str, oid)) for oid in t.ENTERPRISE_HOPS]
    assert starts == ["1.3.6.1.4.1", "1.3.6.1.4.1.2022", "1.3.6.1.4.1.8073"]


RECORDING = """\
1.3.6.1.2.1.1.1.0|4|Linux nas 4.4.302+ x86_64
1.3.6.1.2.1.1.2.0|6|1.3.6.1.4.1.8072.3.2.10
1.3.6.1.2.1.1.7.0|2|72
1.3.6.1.2.1.17.1.4.1.2.1|2|1
1.3.6.1.2.1.17.1.4.1.2.2|2|2
1.3.6.1.2.1.17.1.4.1.2.3|2|3
1.0.8802.1.1.2.1.3.5.0|4x|2800
1.0.8802.1.1.2.1.3.6.0|4x|2000
1.3.6.1.4.1.2021.4.1.0|2|1
1.3.6.1.4.1.6574.1.1.0|2|1
1.3.6.1.4.1.8072.1.2.1.1.4.0|2|1
1.3.6.1.4.1.9999.1.0|2|1
1.3.6.1.4.1.12356.1.0|2|1
not-an-oid|4|x
1.0.8802.1.1.2.1.3.5.9|4x|zz
"""


def test_recording_gives_the_same_class_facts(tmp_path):
    path = tmp_path / "nas.snmprec"
    path.write_text(RECORDING)
    facts = snmprec.load(path)
    assert facts["lldp_caps"] == {"supported": ["bridge", "router"], "enabled": ["bridge"]}
    assert facts["bridge_ports"] == 3           # rows of dot1dBasePortTable when the scalar is absent
    # first subtree (2021, net-snmp: skipped), first after 2021 (6574), first after 8072 (9999),
    # plus the first five enterprise OIDs (the scanner's bulk sample), which reach 12356
    assert facts["enterprise_numbers"] == [6574, 9999, 12356]
    assert "bridge" in facts["mibs"] and "lldp" in facts["mibs"]


def test_recording_scalar_port_count_wins(tmp_path):
    path = tmp_path / "sw.snmprec"
    path.write_text("1.3.6.1.2.1.17.1.2.0|2|48\n1.3.6.1.2.1.17.1.4.1.2.1|2|1\n1.0.8802.1.1.2.1.3.5.0|4x|nothex\n")
    facts = snmprec.load(path)
    assert facts["bridge_ports"] == 48 and "lldp_caps" not in facts
