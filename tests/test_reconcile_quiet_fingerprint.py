"""A rescan's device whose fingerprint says what its asset holds takes the unchanged-device path
(reconcile.known): the rule that decides it, and the sweep's outcome with the real fingerprinter."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import netaddr

from netdiscover.observation import Observation
from netdiscover.reconcile.fingerprint_merge import default_fingerprinter, merge_fingerprint
from netdiscover.reconcile.known import _fingerprint_adds_nothing
from netdiscover.services.reconcile import reconcile
from netdiscover.storage import sweep_writes

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
CISCO = "00:1b:54:00:00:01"        # an OUI the fingerprinter names (vendor by OUI)


def _row(fp_of_sighting, **fields):
    changed, stored, _conf = merge_fingerprint({}, None, fp_of_sighting)
    row = {"vendor": None, "model": None, "os_name": None, "os_version": None, "device_class": "unknown",
           "fingerprint": stored, "field_sources": None}
    row.update(changed)
    row.update(fields)
    return row


def test_the_same_fingerprint_adds_nothing_a_different_or_documented_one_does():
    fp = default_fingerprinter()([Observation(method="arp", ip="10.0.0.1", mac=CISCO, seen_at=T0)])
    assert fp is not None and fp.vendor
    assert _fingerprint_adds_nothing(_row(fp), fp)
    assert _fingerprint_adds_nothing(_row(fp), None)
    assert not _fingerprint_adds_nothing(_row(fp, vendor="Other", fingerprint=None), fp)
    assert not _fingerprint_adds_nothing(_row(fp, fingerprint=None), fp)
    documented = _row(fp, field_sources={"vendor": "inventory"})
    assert not _fingerprint_adds_nothing(documented, fp)


def test_a_fingerprinted_rescan_reads_no_interface_or_address_rows(sessions, monkeypatch):
    obs = [Observation(method="arp", ip=f"10.0.0.{i + 1}", mac=f"00:1b:54:00:00:{i:02x}", seen_at=T0)
           for i in range(20)]
    scope = netaddr.IPSet(["10.0.0.0/24"])
    first = reconcile(sessions, obs, now=T0, fingerprinter=None, complete=True, scope=scope)
    assert first.new == 20
    read = []
    known_rows = sweep_writes.SweepStore.known_rows
    monkeypatch.setattr(sweep_writes.SweepStore, "known_rows",
                        lambda self, ids, *rest: read.extend(ids) or known_rows(self, ids, *rest))
    later = T0 + timedelta(hours=1)
    again = [Observation(method="arp", ip=o.ip, mac=o.mac, seen_at=later) for o in obs]
    result = reconcile(sessions, again, now=later, fingerprinter=None, complete=True, scope=scope)
    assert (result.unchanged, result.updated, result.new) == (20, 0, 0)
    assert read == []
