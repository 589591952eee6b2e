"""Fingerprinting: name each device (vendor, model, OS, class) from its observations, with evidence.

``fingerprint(observations)`` is a pure function: same observations, same Fingerprint.
"""

from __future__ import annotations

from collections.abc import Sequence

from netdiscover.fingerprints.model import Evidence, Fingerprint
from netdiscover.fingerprints.rules import RuleError, load_user_rules
from netdiscover.observation import Observation

__all__ = ["Evidence", "Fingerprint", "RuleError", "fingerprint", "load_user_rules"]


def fingerprint(observations: Sequence[Observation]) -> Fingerprint:
    """Combine every source's evidence over one device's observations into a Fingerprint."""
    from netdiscover.fingerprints.combine import combine

    return combine(observations)
