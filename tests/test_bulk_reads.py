"""Bulk reads for listings and reports: the same data as the ORM path, streamed.

``iter_assets`` (plain rows in batches) must render exactly as ``list_assets`` (ORM objects),
and ``iter_json_array`` must write exactly what ``json.dumps(indent=2)`` writes.
"""

from __future__ import annotations

import datetime as dt
import enum
import json

from netdiscover.reports.render_json import _default, iter_json_array, render_json
from netdiscover.storage.assets import iter_asset_views, iter_assets, list_assets
from netdiscover.storage.models import Address, Asset, Interface, Service
from netdiscover.storage.repository import asset_to_dict

T = dt.datetime(2026, 3, 1, 9, 30, tzinfo=dt.UTC)


class Level(enum.IntEnum):
    HIGH = 3


class Tag(str):
    pass


def _seed(session, count: int) -> None:
    for n in range(count):
        asset = Asset(status="rogue" if n % 3 == 0 else "undocumented", hostname=f"h{n}", vendor="Ven",
                      os_name="Linux", os_version="6.1", first_seen=T + dt.timedelta(minutes=n),
                      last_seen=T + dt.timedelta(hours=1), methods=["arp", "nmap"], confidence=0.5,
                      attributes={"rack": n}, field_sources={"vendor": "oui"}, site="s1",
                      created_at=T, updated_at=T)
        asset.interfaces = [
            Interface(mac=f"00:16:3e:00:{n // 256:02x}:{n % 256:02x}", first_seen=T, last_seen=T,
                      switch="sw1" if n % 2 else None, switch_port="Gi1/0/1" if n % 2 else None),
            Interface(mac=f"02:16:3e:00:{n // 256:02x}:{n % 256:02x}", first_seen=T - dt.timedelta(days=1)),
        ]
        asset.addresses = [
            Address(ip=f"10.9.{n // 256}.{n % 256}", current=True, first_seen=T, last_seen=T),
            Address(ip=f"10.8.{n // 256}.{n % 256}", current=n % 2 == 0, first_seen=T,
                    last_seen=T - dt.timedelta(hours=2)),
        ]
        asset.services = [Service(port=443, protocol="tcp", name="https", product="nginx", cpe=["cpe:/a:x"]),
                          Service(port=22, protocol="tcp", name="ssh", open=n % 2 == 0)]
        session.add(asset)
    session.add(Asset(status="approved", hostname="bare", created_at=T, updated_at=T))   # no children
    session.commit()


def test_bulk_listing_renders_exactly_as_the_orm_listing(sessions):
    with sessions() as session:
        _seed(session, 25)
    with sessions() as session:
        orm = [asset_to_dict(a) for a in list_assets(session)]
        bulk = [asset_to_dict(a) for a in iter_assets(session)]
        small_batches = [asset_to_dict(a) for a in
                         iter_asset_views(session, [row["id"] for row in orm], batch=4)]
        rogue = [asset_to_dict(a) for a in iter_assets(session, status="rogue")]
    assert len(orm) == 26 and orm[0]["services"] and orm[0]["macs"]
    assert bulk == orm
    assert small_batches == orm
    assert rogue == [row for row in orm if row["status"] == "rogue"]


def test_streamed_json_is_the_one_shot_dump():
    tricky = {"s": 'a\nb\u2028"\\ é 😀 \x00', 1: 2, None: True, False: 0, 2.5: float("nan"),
              "numbers": [1.0, -0.0, 1e300, float("inf"), float("-inf"), 10**30, Level.HIGH, True, None],
              "nested": (1, "x", [], {}, [[{"k": []}]]), "when": dt.datetime(2026, 1, 1), "set": {1},
              "enum": Level.HIGH, "sub": Tag("q"), Tag("key"): {}}
    for rows in ([], [{}], [tricky], [{"a": 1}, {"b": "é"}] * 450):
        expected = json.dumps(rows, indent=2, ensure_ascii=False, default=_default)
        assert "".join(iter_json_array(rows, rows_per_chunk=7)) == expected
        assert "".join(iter_json_array(rows)) + "\n" == render_json(rows)


def test_streamed_json_without_default_refuses_what_json_refuses():
    try:
        "".join(iter_json_array([{"x": object()}], default=None))
    except TypeError:
        return
    raise AssertionError("an unserialisable value must raise TypeError")


def test_html_report_lists_at_most_the_cap_and_counts_all(monkeypatch):
    from netdiscover.reports import render_html as html

    rows = [{"id": n, "status": "undocumented", "hostname": f"dev-{n}", "ips": [f"10.0.0.{n}"]}
            for n in range(5)]
    monkeypatch.setattr(html, "MAX_HTML_ROWS", 3)
    page = html.render_html(rows, {"total": 5, "at_risk": 0}, total=5)
    assert page.count('<tbody class="dev') == 3
    assert "dev-2" in page and "dev-3" not in page
    assert "The first 3 of 5 devices" in page
    small = html.render_html(rows[:3], {"total": 3, "at_risk": 0})
    assert small.count('<tbody class="dev') == 3 and "The first" not in small
