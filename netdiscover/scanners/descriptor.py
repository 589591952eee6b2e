"""What a discovery method says about itself, as data: the ``ScannerDescriptor`` each package exports.

A descriptor is cheap to import (no scanner code, no third-party library): the CLI's ``-m``
choices, the settings-file checks and the default method list are read from the descriptors
before any scanner is loaded. The scanner itself is imported only when a sweep runs it, through
the dotted path in ``scan``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Option:
    """One knob a scanner reads from ``ScanContext.options`` (settings file: ``options = {...}``)."""

    name: str
    kind: type
    default: Any
    help: str
    choices: tuple[str, ...] = ()


@dataclass(frozen=True)
class Needs:
    """What a method needs from the machine it runs on."""

    root: bool = False                  # raw sockets: root or CAP_NET_RAW
    interface: bool = False             # works on one local segment (--iface, or the targets' subnet)
    credentials: bool = False           # tries the sweep's credentials (SNMP communities, v3 users)
    programs: tuple[str, ...] = ()      # executables it runs, found on PATH

    def __str__(self) -> str:
        parts = (["root (or CAP_NET_RAW)"] if self.root else []) + (
            ["a local interface"] if self.interface else []) + (
            ["credentials (default: community public)"] if self.credentials else []) + [
            f"the {program} program" for program in self.programs]
        return ", ".join(parts) or "nothing special"


@dataclass(frozen=True)
class ScannerDescriptor:
    """One discovery method: its name, what it needs, its knobs and defaults, where its code is.

    ``rate``, ``retries`` and ``timeout`` are what the method uses when the sweep leaves
    ``ScanContext.rate``/``retries``/``timeout`` unset (None: the method has no such default).
    ``default_position`` places the method in a sweep run without ``-m`` (None: only on request).
    """

    name: str
    summary: str
    scan: str                           # dotted path of ``scan(ctx: ScanContext) -> ScanOutcome``
    needs: Needs = Needs()
    rate: int | None = None             # packets per second
    retries: int | None = None
    timeout: float | None = None        # seconds
    options: tuple[Option, ...] = field(default_factory=tuple)
    default_position: int | None = None

    @property
    def module(self) -> str:
        """The module that holds the scan function."""
        return self.scan.rpartition(".")[0]

    def defaults(self) -> dict[str, Any]:
        """Each option's default, by option name."""
        return {option.name: option.default for option in self.options}
