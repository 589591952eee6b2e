"""What every scanner receives and returns: the ScanContext in, a ScanOutcome out.

A scanner is a package here whose ``DESCRIPTOR`` names its ``scan(ctx) -> ScanOutcome`` function.
It touches no database, never raises for a bad peer (it reports instead), sends traffic only
to ``ctx.targets`` (and, for link-local discovery, the multicast groups on ``ctx.interface``),
and calls ``ctx.progress`` as it goes. When ``ctx.feed`` is set, ARP publishes what it finds
there and the unicast probers ask the ARP segment's addresses only once ARP has found them.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from netaddr import IPSet

from netdiscover.credentials import SnmpCredential
from netdiscover.observation import Observation
from netdiscover.scanners.feed import HostFeed

ProgressFn = Callable[[int, int, str], None]   # (done, total, message)


def _no_progress(done: int, total: int, message: str) -> None:
    return None


class ScannerUnavailable(RuntimeError):
    """The scanner cannot run here at all (no privilege, no binary, no such interface).

    The message is one line meant for the user: what is missing and how to get it.
    """


@dataclass
class ScanContext:
    """Everything a scanner needs for one sweep."""

    targets: IPSet
    skip: IPSet = field(default_factory=IPSet)   # never addressed by unicast probes (Scope.edges)
    interface: str | None = None
    rate: int | None = None                # packets per second; None = scanner default
    credentials: list[SnmpCredential] = field(default_factory=list)
    nmap_profile: str = "quick"
    nmap_args: str | None = None
    timeout: float | None = None            # per-request timeout override (seconds)
    retries: int | None = None
    options: dict[str, Any] = field(default_factory=dict)
    progress: ProgressFn = _no_progress
    log: logging.Logger = field(default_factory=lambda: logging.getLogger("netdiscover.scan"))
    # ARP's hosts as it finds them (scanners.feed): ARP publishes, SNMP and nmap wait on it for
    # the addresses of its segment; None when the sweep has no ARP to wait for
    feed: HostFeed | None = None


@dataclass
class ScanOutcome:
    """What a scanner found, and how it went.

    status: ``done`` (everything ran), ``partial`` (some targets or chunks failed; what was
    found is still good), ``failed`` (nothing usable), ``skipped`` (not applicable here).
    """

    method: str
    observations: list[Observation] = field(default_factory=list)
    status: str = "done"
    messages: list[str] = field(default_factory=list)
    stats: dict[str, Any] = field(default_factory=dict)
