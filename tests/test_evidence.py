"""Observations kept in the observations table read back as the same Observation."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from netdiscover.observation import NEIGHBOUR, Interface, Observation, Service, Software
from netdiscover.services.reconcile import reconcile
from netdiscover.storage.evidence import observation_dict, record_row, stored_observation
from netdiscover.storage.models import ObservationRecord

AT = datetime(2026, 3, 1, 12, 0, 0, 123456, tzinfo=UTC)

CASES = {
    "plain arp": Observation(method="arp", ip="10.0.0.5", mac="00:11:22:33:44:55", seen_at=AT),
    "rich snmp": Observation(
        method="snmp", ip="10.0.0.1", mac="00:11:22:33:44:01", seen_at=AT, hostname="core-sw",
        serial="FOC1234X", snmp_engine_id="80000009030000112233", credential="public", rtt_ms=1.5,
        interfaces=[Interface(name="Gi0/1", mac="00:11:22:33:44:02", index=1, ips=["10.0.1.1"],
                              speed=1_000_000_000, status="up", description="uplink")],
        services=[Service(port=161, protocol="udp", name="snmp", cpe=["cpe:/a:net-snmp"])],
        software=[Software(name="ios", version="15.2")], flags=["default_community"],
        facts={"snmp": {"sysDescr": "Cisco IOS"}}),
    "neighbour": Observation(method="snmp", ip="10.0.0.9", mac="00:11:22:33:44:09", kind=NEIGHBOUR,
                             reporter="core-sw", seen_at=AT),
    "loopback ip": Observation(method="nmap", ip="127.0.0.1", seen_at=AT),
    "ipv6 long form": Observation(method="nmap", ip="2001:db8:0:0:0:0:0:1", seen_at=AT),
    "other zone": Observation(method="arp", ip="10.0.0.6", mac="00:11:22:33:44:66",
                              seen_at=datetime(2026, 3, 1, 14, 0, tzinfo=timezone(timedelta(hours=2)))),
    "long method": Observation(method="a-method-name-longer-than-sixteen", ip="10.0.0.7", seen_at=AT),
}


def _same(a: Observation, b: Observation) -> None:
    assert b.to_dict() | {"seen_at": None} == a.to_dict() | {"seen_at": None}
    assert b.seen_at == a.seen_at


@pytest.mark.parametrize("name", sorted(CASES))
def test_row_reads_back_as_the_observation(name):
    o = CASES[name]
    _scan, _asset, method, kind, ip, mac, seen_at, data = record_row(o, 7, 3)
    assert len(method) <= 16
    _same(o, Observation.from_dict(observation_dict(method, kind, ip, mac, seen_at, data)))


def test_plain_sighting_stores_no_json_beyond_the_columns():
    row = record_row(CASES["plain arp"], None, None)
    assert row[2:7] == ("arp", "host", "10.0.0.5", "00:11:22:33:44:55", AT)
    assert row[7] == {}


def test_only_identity_ips_go_in_the_ip_column():
    assert record_row(CASES["loopback ip"], None, None)[4] is None
    assert record_row(CASES["ipv6 long form"], None, None)[4] == "2001:db8::1"


def test_rows_of_the_older_layout_read_back_unchanged():
    o = CASES["rich snmp"]
    old_data = o.to_dict()                      # the whole dict in data, as earlier versions stored it
    _same(o, Observation.from_dict(observation_dict(o.method, o.kind, o.ip, o.mac, o.seen_at, old_data)))


def test_reconciled_observations_read_back_from_the_database(sessions):
    observations = [CASES["plain arp"], CASES["rich snmp"], CASES["neighbour"]]
    reconcile(sessions, observations, now=AT, fingerprinter=lambda obs: None, complete=False)
    with sessions() as s:
        records = s.scalars(select(ObservationRecord).order_by(ObservationRecord.id)).all()
        back = [stored_observation(r) for r in records]
    assert len(back) == 3
    for original, stored in zip(observations, back, strict=True):
        _same(original, stored)
