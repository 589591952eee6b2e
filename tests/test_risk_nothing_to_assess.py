"""``risk.nothing_to_assess`` answers True only where ``risk.assess`` finds no hint."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime

from netdiscover.reports import risk


class _EverySubnetHint:
    """An index under which every subnet hint applies, so a skipped look-up would show."""

    def has_user_devices(self, net: str, asset_id: int) -> bool:
        return True

    def class_is_new(self, net: str, device_class: str, first_seen: datetime | None) -> bool:
        return True


SERVICES = ([], [{"port": 23, "protocol": "tcp", "name": "telnet", "product": "", "version": None}])
CREDENTIALS = (None, "", "public", "v3:ops")
SIGNALS = ((), ["default"], ["ops"])
MACS = ([], ["00:16:3e:00:00:01"], ["02:16:3e:00:00:01"], ["00:16:3e:00:00:01", "da:a1:19:00:00:02"], ["zz"])
CONFIDENCES = (0.0, 0.4999, 0.5, 1.0)
INDEXES = (None, _EverySubnetHint())


def test_nothing_to_assess_agrees_with_assess() -> None:
    quick = 0
    for services, credential, signals, macs, randomised, confidence, index, cls in itertools.product(
            SERVICES, CREDENTIALS, SIGNALS, MACS, (False, True), CONFIDENCES, INDEXES, ("camera", "unknown")):
        row = {"id": 7, "services": services, "snmp_credential": credential, "macs": macs,
               "ips": ["10.0.0.7"], "randomised_mac": randomised, "confidence": confidence,
               "device_class": cls, "_first_seen_dt": datetime(2026, 1, 1, tzinfo=UTC)}
        hints = risk.assess(row, index, signals)
        if risk.nothing_to_assess(services, credential, signals, macs, randomised, confidence, index):
            quick += 1
            assert hints == [], row
    assert quick > 0            # the quick answer is given at all


def test_a_sure_class_with_an_index_is_always_assessed() -> None:
    assert not risk.nothing_to_assess([], None, (), ["00:16:3e:00:00:01"], False, 0.5, _EverySubnetHint())
    assert risk.nothing_to_assess([], None, (), ["00:16:3e:00:00:01"], False, 0.5, None)
