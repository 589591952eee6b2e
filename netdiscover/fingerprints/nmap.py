"""Fingerprint evidence from nmap observations (rules to come)."""

from __future__ import annotations

from collections.abc import Sequence

from netdiscover.fingerprints.model import Evidence
from netdiscover.observation import Observation


def evidence(observations: Sequence[Observation]) -> list[Evidence]:
    """No rules yet: no evidence."""
    return []
