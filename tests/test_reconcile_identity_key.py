"""Randomised MACs tied together by the DHCP identity key the passive listener records: one
client renewing with new MACs stays one asset (a ``mac_added`` event per MAC), two phones both
called "iPhone" with different client identifiers stay two, never across sites (SQLite and
PostgreSQL)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from netdiscover.observation import Observation
from netdiscover.reconcile import group_devices
from netdiscover.scanners.passive.linking import identity_key
from netdiscover.services.reconcile import reconcile
from netdiscover.storage.assets import list_assets
from netdiscover.storage.events import events_for
from netdiscover.storage.models import Interface
from netdiscover.storage.repository import asset_to_dict

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
PRL = "1,121,3,6,15,119,252"
ROTATING = ("7a:11:22:33:44:01", "5e:11:22:33:44:02", "f2:11:22:33:44:03")   # locally administered


def heard(mac: str, ip: str, *, client_id: str | None = None, hostname: str = "iPhone",
          at: datetime = T0) -> Observation:
    """A passive DHCP sighting as the listener's sightings table makes it."""
    dhcp = {"hostname": hostname, "prl": PRL}
    if client_id:
        dhcp["client_id"] = client_id
    passive = {"protocols": ["dhcp"], "packets": 2, "addresses": [ip]}
    key = identity_key(mac, dhcp)
    if key:
        passive["identity_key"] = key
    return Observation(method="passive", mac=mac, ip=ip, hostname=hostname, seen_at=at,
                       facts={"dhcp": dhcp, "passive": passive})


def flush(sessions, obs, site=None, at=T0):
    return reconcile(sessions, obs, now=at, fingerprinter=lambda _o: None, site=site, complete=False)


def assets(sessions) -> list[dict]:
    with sessions() as s:
        return sorted((asset_to_dict(a) for a in list_assets(s)), key=lambda r: r["id"])


def events(sessions, asset_id: int, kind: str) -> list:
    with sessions() as s:
        return [e.new for e in events_for(s, asset_id, [kind])]


def test_grouping_joins_one_sweeps_rotated_macs_by_key():
    devices = group_devices([heard(ROTATING[0], "10.0.0.10", client_id="01aa"),
                             heard(ROTATING[1], "10.0.0.11", client_id="01aa"),
                             heard(ROTATING[2], "10.0.0.12", client_id="01bb")])
    assert sorted(len(d.lmacs) for d in devices) == [1, 2]
    pair = next(d for d in devices if len(d.lmacs) == 2)
    assert pair.idkeys == {ROTATING[0]: "dhcp-client-id:01aa", ROTATING[1]: "dhcp-client-id:01aa"}


def test_grouping_ignores_a_key_on_a_global_mac():
    """Only randomised MACs are tied by the key: two global MACs are two devices whatever they claim."""
    a = heard("00:11:22:33:44:01", "10.0.0.10", client_id="01aa")
    b = heard("00:11:22:33:44:02", "10.0.0.11", client_id="01aa")
    a.facts["passive"]["identity_key"] = b.facts["passive"]["identity_key"] = "dhcp-client-id:01aa"
    assert len(group_devices([a, b])) == 2


def test_same_ip_different_keys_stay_apart_in_one_sweep():
    devices = group_devices([heard(ROTATING[0], "10.0.0.10", client_id="01aa"),
                             heard(ROTATING[1], "10.0.0.10", client_id="01bb")])
    assert len(devices) == 2


def test_client_renewing_with_three_macs_is_one_asset(sessions):
    ids = []
    for n, mac in enumerate(ROTATING):
        at = T0 + timedelta(hours=n)
        # the identifier stays while the name changes too: the key ties them, not the hostname
        obs = heard(mac, f"10.0.0.{20 + n}", client_id="ff00c0ffee", hostname=f"phone-{n}", at=at)
        ids += flush(sessions, [obs], at=at).asset_ids
    rows = assets(sessions)
    assert len(rows) == 1 and set(ids) == {rows[0]["id"]}
    assert sorted(rows[0]["macs"]) == sorted(ROTATING)
    added = events(sessions, rows[0]["id"], "mac_added")
    assert [e["mac"] for e in added] == list(ROTATING[1:])
    with sessions() as s:
        keys = set(s.scalars(select(Interface.identity_key)))
    assert keys == {"dhcp-client-id:ff00c0ffee"}


def test_hostname_and_option55_tie_a_client_without_identifier(sessions):
    for n, mac in enumerate(ROTATING):
        at = T0 + timedelta(hours=n)
        flush(sessions, [heard(mac, f"10.0.0.{30 + n}", hostname="kitchen-tablet", at=at)], at=at)
    rows = assets(sessions)
    assert len(rows) == 1 and len(rows[0]["macs"]) == 3


def test_two_iphones_with_different_identifiers_stay_two(sessions):
    flush(sessions, [heard(ROTATING[0], "10.0.0.40", client_id="01aa")])
    at = T0 + timedelta(hours=1)
    # the second phone: same hostname "iPhone", another identifier, even the first one's old IP
    flush(sessions, [heard(ROTATING[1], "10.0.0.40", client_id="01bb", at=at)], at=at)
    at = T0 + timedelta(hours=2)
    flush(sessions, [heard(ROTATING[2], "10.0.0.41", client_id="01aa", at=at)], at=at)
    rows = assets(sessions)
    assert len(rows) == 2
    assert sorted(len(r["macs"]) for r in rows) == [1, 2]
    first = next(r for r in rows if ROTATING[0] in r["macs"])
    assert ROTATING[2] in first["macs"] and ROTATING[1] not in first["macs"]


def test_identity_key_never_crosses_sites(sessions):
    flush(sessions, [heard(ROTATING[0], "10.0.0.50", client_id="01cc")], site="paris")
    at = T0 + timedelta(hours=1)
    flush(sessions, [heard(ROTATING[1], "10.0.0.51", client_id="01cc", at=at)], site="lyon", at=at)
    flush(sessions, [heard(ROTATING[2], "10.0.0.52", client_id="01cc", at=at)], site=None, at=at)
    rows = assets(sessions)
    assert sorted((r["site"] or "", r["macs"]) for r in rows) == [
        ("", [ROTATING[2]]), ("lyon", [ROTATING[1]]), ("paris", [ROTATING[0]])]
    # at its own site the key still ties the next MAC to the right asset
    at = T0 + timedelta(hours=2)
    flush(sessions, [heard("06:11:22:33:44:04", "10.0.0.53", client_id="01cc", hostname="renamed", at=at)],
          site="lyon", at=at)
    lyon = [r for r in assets(sessions) if r["site"] == "lyon"]
    assert len(lyon) == 1 and sorted(lyon[0]["macs"]) == sorted([ROTATING[1], "06:11:22:33:44:04"])


def test_key_learned_later_is_stored_on_the_known_interface(sessions):
    """An ARP sweep saw the MAC first (no key); the listener's key lands on that interface row."""
    flush(sessions, [Observation(method="arp", mac=ROTATING[0], ip="10.0.0.60", seen_at=T0)])
    at = T0 + timedelta(hours=1)
    flush(sessions, [heard(ROTATING[0], "10.0.0.60", client_id="01dd", hostname="laptop", at=at)], at=at)
    with sessions() as s:
        assert set(s.scalars(select(Interface.identity_key))) == {"dhcp-client-id:01dd"}
    at = T0 + timedelta(hours=2)
    flush(sessions, [heard(ROTATING[1], "10.0.0.61", client_id="01dd", hostname="laptop-2", at=at)], at=at)
    rows = assets(sessions)
    assert len(rows) == 1 and sorted(rows[0]["macs"]) == sorted(ROTATING[:2])
