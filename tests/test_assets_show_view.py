"""``assets show`` reads one asset from the tables (a view, no ORM object): the same asset, data and
latest events as the ORM gives, whichever key names it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from netdiscover.services.assets import SHOWN_EVENTS, find_asset_id, show_asset
from netdiscover.services.history import event_dict
from netdiscover.storage.assets import get_asset
from netdiscover.storage.models import Address, Asset, AssetEvent, Interface, Service
from netdiscover.storage.repository import asset_to_dict

AT = datetime(2026, 4, 5, 6, 7, 8, 90, tzinfo=UTC)
BAD = "\x1b[31m'; DROP TABLE assets; -- é 中文 🎉 \u2028"


def _seed(sessions) -> dict[str, int]:
    with sessions.begin() as s:
        made = {}
        for n, name in enumerate(("Printer-1", "cam", None)):
            asset = Asset(status=("undocumented", "rogue", "documented")[n], hostname=name, vendor=BAD,
                          os_name=BAD if n else None, device_class="camera", confidence=0.73456,
                          methods=["arp", BAD], attributes={BAD: [1, None, 2.5]}, field_sources={"x": BAD},
                          fingerprint={"confidence": {"vendor": 0.9}}, first_seen=AT,
                          last_seen=AT + timedelta(n), created_at=AT, updated_at=AT)
            s.add(asset)
            s.flush()
            made[f"asset{n}"] = asset.id
            for k in range(3):
                s.add(Interface(asset_id=asset.id, mac=f"02:00:00:00:{n:02x}:{k:02x}",
                                name=BAD if k else None, switch="sw1" if k == 1 else None,
                                randomised=bool(k % 2),
                                first_seen=AT - timedelta(hours=k), last_seen=AT + timedelta(minutes=k)))
                s.add(Address(asset_id=asset.id, ip=f"10.9.{n}.{k}", current=k != 2, mac=None,
                              first_seen=AT, last_seen=AT - timedelta(minutes=k)))
            s.add(Service(asset_id=asset.id, port=23, protocol="tcp", name="telnet", product=BAD, open=True,
                          first_seen=AT, last_seen=AT))
            for e in range(SHOWN_EVENTS + 3):
                s.add(AssetEvent(asset_id=asset.id, kind="changed", at=AT + timedelta(seconds=e), actor=BAD,
                                 note=None if e % 2 else BAD, old={"n": e}, new={BAD: [e, None]}))
        # an address one asset held before another holds it now: the current holder is shown
        # (even when the past holder's record is newer)
        s.add(Address(asset_id=made["asset1"], ip="10.9.9.9", current=True, first_seen=AT, last_seen=AT))
        s.add(Address(asset_id=made["asset0"], ip="10.9.9.9", current=False, first_seen=AT,
                      last_seen=AT + timedelta(days=1)))
        return made


def _from_the_orm(session, asset_id: int):
    asset = get_asset(session, asset_id)
    latest = session.scalars(select(AssetEvent).where(AssetEvent.asset_id == asset_id)
                             .order_by(AssetEvent.id.desc()).limit(SHOWN_EVENTS)).all()
    return asset_to_dict(asset), [event_dict(e) for e in reversed(latest)]


def test_shown_as_the_orm_has_it_by_every_key(sessions):
    made = _seed(sessions)
    keys = {str(made["asset0"]): made["asset0"], "printer-1": made["asset0"], "CAM": made["asset1"],
            "02-00-00-00-02-01": made["asset2"], "10.9.2.1": made["asset2"], "10.9.9.9": made["asset1"],
            " 10.9.0.2 ": made["asset0"]}
    with sessions() as session:
        for key, asset_id in keys.items():
            assert find_asset_id(session, key) == asset_id, key
            shown = show_asset(session, key)
            assert (shown.data, shown.events) == _from_the_orm(session, asset_id), key
            assert len(shown.events) == SHOWN_EVENTS
        for missing in ("999999", "nobody", "02:00:00:00:99:99", "10.99.0.1", "", "   "):
            assert find_asset_id(session, missing) is None
            assert show_asset(session, missing) is None
