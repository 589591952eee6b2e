"""Shared pytest fixtures: database URLs (SQLite and PostgreSQL) and the namespace lab."""

from __future__ import annotations

import pytest

from netdiscover.lab.netns import Lab, lab_unavailable_reason


@pytest.fixture
def lab():
    """A fresh namespace lab, removed after the test even when it fails; skipped without root."""
    reason = lab_unavailable_reason()
    if reason:
        pytest.skip(reason)
    with Lab() as built:
        yield built
