"""Risk hints from exposed services: every risky_services.yaml entry makes its hint with its reason,
TLS-wrapped and unrelated services make none, and the unknown report carries them."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from netdiscover.reports.risk import assess, parse_risky_services, risky_services
from netdiscover.services.reports import unknown_rows
from netdiscover.storage.models import Address, Asset, Service

# What the issue asks the table to cover, as (protocol, port) -> hint code.
REQUIRED = {
    ("tcp", 1883): "mqtt-plaintext", ("tcp", 6379): "redis-noauth", ("tcp", 11211): "memcached",
    ("tcp", 27017): "mongodb-noauth", ("tcp", 9200): "elasticsearch", ("tcp", 5900): "vnc",
    ("tcp", 513): "rlogin", ("tcp", 514): "rsh", ("tcp", 6000): "x11", ("tcp", 502): "modbus",
    ("udp", 47808): "bacnet", ("tcp", 2375): "docker-api", ("tcp", 2379): "etcd",
    ("tcp", 10250): "kubelet", ("tcp", 5984): "couchdb", ("tcp", 23): "telnet", ("tcp", 21): "ftp",
}


def codes(*services: dict) -> list[str]:
    return [h["code"] for h in assess({"id": 1, "services": list(services), "macs": []})]


def test_every_entry_is_complete_and_codes_are_unique():
    table = risky_services()
    assert len({e.code for e in table}) == len(table) >= len(set(REQUIRED.values()))
    for entry in table:
        assert entry.text and "{port}" in entry.text, entry.code
        assert entry.names or entry.ports or entry.products, entry.code


@pytest.mark.parametrize(("key", "code"), sorted(REQUIRED.items()), ids=lambda v: str(v))
def test_required_service_on_its_port_without_a_name_gives_its_hint(key, code):
    protocol, port = key
    hints = assess({"id": 1, "services": [{"port": port, "protocol": protocol, "name": None}], "macs": []})
    match = [h for h in hints if h["code"] == code]
    assert len(match) == 1, hints
    assert f"{port}/{protocol}" in match[0]["text"] and "(" in match[0]["text"]
    assert match[0]["severity"] in ("high", "medium")


@pytest.mark.parametrize("entry", risky_services(), ids=lambda e: e.code)
def test_each_entry_matches_by_its_service_name_on_another_port(entry):
    if not entry.names:
        pytest.skip("matches by port or product only")
    name = sorted(entry.names)[0]
    assert entry.code in codes({"port": 40000, "protocol": entry.protocol, "name": name})


def test_reason_texts_say_why():
    hints = {h["code"]: h["text"] for h in assess({"id": 1, "macs": [], "services": [
        {"port": 1883, "protocol": "tcp", "name": "mqtt"},
        {"port": 6379, "protocol": "tcp", "name": "redis"},
    ]})}
    assert hints["mqtt-plaintext"] == ("MQTT without TLS on 1883/tcp "
                                       "(messages and broker logins in clear text)")
    assert "no authentication" in hints["redis-noauth"] and "6379/tcp" in hints["redis-noauth"]


def test_tls_wrapped_and_unrelated_services_make_no_hint():
    assert codes({"port": 8883, "protocol": "tcp", "name": "ssl/mqtt"}) == []
    assert codes({"port": 514, "protocol": "udp", "name": "syslog"}) == []
    assert codes({"port": 6379, "protocol": "tcp", "name": "ssh"}) == []       # name beats port
    assert codes({"port": 22, "protocol": "tcp", "name": "ssh"}) == []
    assert codes({"port": 47808, "protocol": "tcp", "name": None}) == []       # BACnet is UDP
    # the kubelet API is dangerous with TLS too
    assert "kubelet" in codes({"port": 10250, "protocol": "tcp", "name": "ssl/kubelet"})


def test_product_names_the_service_behind_a_generic_name():
    found = codes({"port": 9200, "protocol": "tcp", "name": "http", "product": "Elasticsearch REST API"})
    assert "elasticsearch" in found and "http-admin" in found


def test_one_hint_per_service_even_when_name_and_port_both_match():
    assert codes({"port": 1883, "protocol": "tcp", "name": "mqtt"}).count("mqtt-plaintext") == 1


def test_malformed_entries_are_refused_naming_the_entry():
    good = {"code": "x", "severity": "high", "protocol": "tcp", "text": "x on {port}", "ports": [1]}
    assert parse_risky_services([good])[0].ports == frozenset({1})
    with pytest.raises(ValueError, match="entry 2"):
        parse_risky_services([good, {**good, "severity": "urgent"}])
    with pytest.raises(ValueError, match="entry 1"):
        parse_risky_services([{**good, "port": 5}])


def test_unknown_report_lists_the_service_hints(sessions):
    now = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
    with sessions() as db:
        asset = Asset(status="undocumented", hostname="broker", device_class="iot", first_seen=now,
                      last_seen=now, created_at=now, updated_at=now, methods=["nmap"], confidence=0.9)
        db.add(asset)
        db.flush()
        db.add(Address(asset_id=asset.id, ip="10.40.0.5", current=True, first_seen=now, last_seen=now))
        for port, name in ((1883, "mqtt"), (6379, "redis"), (502, "mbap")):
            db.add(Service(asset_id=asset.id, port=port, protocol="tcp", name=name, open=True))
        db.commit()
        (row,) = unknown_rows(db)
    got = {h["code"] for h in row["risks"]}
    assert {"mqtt-plaintext", "redis-noauth", "modbus"} <= got
