"""The unknown-device page's rows and risk index are cheaper forms of the report's, never other data.

- ``row_listings`` (the page's rows) must hold exactly the report rows' values of the fields the
  page shows, hostile stored values included;
- the subnet index counted in SQL (``services.reports.subnet_index``) must answer every question
  the risk hints ask as the index built from every address row does, odd address texts included.
On SQLite and PostgreSQL.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from test_report_json_text import _seed as seed_hostile

from netdiscover.reports import risk
from netdiscover.reports.unknown_json import row_listings
from netdiscover.services.reports import decoded_rows, records_by_asset, subnet_index
from netdiscover.storage import reports as stored
from netdiscover.storage.models import Address, Asset

BASE = datetime(2026, 5, 6, 7, 8, 9, tzinfo=UTC)
ODD_IPS = ("10.1.2.05", "10.1.2.256", "10.1.2.0", "10.1.2.255", "010.1.2.7", "10.1.2", "10.1.2.1.5",
           "garbage", "169.254.3.4", "169.254.0.9", "169.254.255.1", "169.254.3.04", "2001:db8::1",
           "2001:db8:0:1::12", "fe80::1", "fe80::1%eth0", "::ffff:10.1.2.3", "10.1.3.7%eth1", "1::abc12",
           "10.1.2.1000", "10.1.2.9a", "", "10.1.4.99")


def _seed_subnets(factory) -> None:
    classes = ("workstation", "mobile", "camera", "printer", None, "iot", "unknown")
    statuses = ("undocumented", "documented", "approved", "rogue", "ignored")
    with factory.begin() as s:
        n = 0
        for net in range(4):
            for host in range(1, 23):
                n += 1
                seen = None if n % 11 == 0 else BASE - timedelta(days=n % 9, microseconds=n * 7)
                asset = Asset(status=statuses[n % 5], device_class=classes[n % 7], confidence=0.9,
                              first_seen=seen, last_seen=BASE, created_at=BASE, updated_at=BASE,
                              methods=["arp"], present=True)
                s.add(asset)
                s.flush()
                s.add(Address(asset_id=asset.id, ip=f"10.1.{net}.{host}", current=n % 6 != 0,
                              first_seen=seen, last_seen=BASE))
                if n % 4 == 0:               # a second address on the same subnet
                    s.add(Address(asset_id=asset.id, ip=f"10.1.{net}.{host + 100}", current=True,
                                  first_seen=seen, last_seen=BASE))
        # a subnet whose only user devices are two of one class and status: one group in SQL
        for host, cls in ((1, "workstation"), (2, "workstation"), (3, "camera")):
            asset = Asset(status="undocumented", device_class=cls, confidence=0.9, first_seen=BASE,
                          last_seen=BASE, created_at=BASE, updated_at=BASE, methods=["arp"], present=True)
            s.add(asset)
            s.flush()
            s.add(Address(asset_id=asset.id, ip=f"10.1.9.{host}", current=True, first_seen=BASE,
                          last_seen=BASE))
        for k, ip in enumerate(ODD_IPS):
            asset = Asset(status=statuses[k % 4], device_class=classes[k % 7], confidence=0.9,
                          first_seen=BASE - timedelta(days=k), last_seen=BASE, created_at=BASE,
                          updated_at=BASE, methods=["arp"], present=True)
            s.add(asset)
            s.flush()
            s.add(Address(asset_id=asset.id, ip=ip, current=True, first_seen=BASE, last_seen=BASE))


def _answers(index: risk.SubnetIndex, ids: list[int], nets: set[str]) -> dict:
    """Every answer the risk hints could ask of ``index`` about these subnets and assets."""
    out = {}
    for net in sorted(nets):
        for asset_id in ids:
            out[(net, "user", asset_id)] = index.has_user_devices(net, asset_id)
        for cls in ("workstation", "mobile", "camera", "printer", "iot", "unknown"):
            for days in (0, 3, 8, 30):
                moment = BASE - timedelta(days=days)
                out[(net, cls, days)] = index.class_is_new(net, cls, moment)
            out[(net, cls, None)] = index.class_is_new(net, cls, None)
    return out


def test_subnet_index_counted_in_sql_answers_as_the_full_one(sessions):
    _seed_subnets(sessions)
    # the reference: one row per current address of an asset that is not ignored, nothing grouped
    every_current_address = (
        select(Address.ip, Asset.id, Asset.device_class, Asset.first_seen, Asset.status)
        .join(Asset, Asset.id == Address.asset_id)
        .where(Address.current.is_(True), Asset.status != "ignored"))
    with sessions() as s:
        full = risk.SubnetIndex.build(s.execute(every_current_address))
        counted = subnet_index(s)
        ids = [*s.scalars(select(Asset.id)), 0]
    assert set(counted.nets) == set(full.nets)
    assert len(full.nets) >= 8           # the four /24s, link-local left out, odd texts on their own
    for net, pop in full.nets.items():
        mine = counted.nets[net]
        assert (mine.documented, mine.earliest, mine.class_documented, mine.class_earliest) == (
            pop.documented, pop.earliest, pop.class_documented, pop.class_earliest), net
    assert _answers(counted, ids, set(full.nets)) == _answers(full, ids, set(full.nets))


def test_listed_rows_are_the_report_rows_fields(sessions):
    seed_hostile(sessions)
    _seed_subnets(sessions)
    with sessions() as s:
        ids = list(s.scalars(select(Asset.id).order_by(Asset.id.desc())))
        index = subnet_index(s)
        batch = stored.report_text_batch(s, ids)
        records = records_by_asset(s, stored.report_keys(batch[0]))
        listed = list(row_listings(batch, records, index))
        full = decoded_rows(batch, records, index)
    assert [row["id"] for row in listed] == ids
    assert set(listed[0]) == {"id", "status", "vendor", "model", "hostname", "first_seen", "last_seen",
                              "device_class", "ips", "macs", "risks"}
    assert [{key: row[key] for key in listed[0]} for row in full] == listed
    assert any(row["risks"] for row in listed) and any(len(row["ips"]) > 1 for row in listed)
