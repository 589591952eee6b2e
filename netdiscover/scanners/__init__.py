"""Discovery methods: one package per method, each exporting its ``DESCRIPTOR``; the registry here.

``SCANNERS`` maps each method's name to its descriptor (registry order: how methods are listed);
``DEFAULT_METHODS`` is what a sweep runs without ``-m``, in the order the descriptors place them.
Importing this package imports only the descriptors. Scanner modules are imported when a sweep
runs them (``load``), so a missing optional dependency of one scanner never stops the others
(a scanner reports ``ScannerUnavailable`` instead). A new method is a new package here with a
descriptor, and one line in ``SCANNERS``.
"""

from __future__ import annotations

import importlib
from types import ModuleType

from netdiscover.scanners.arp import DESCRIPTOR as ARP
from netdiscover.scanners.descriptor import ScannerDescriptor
from netdiscover.scanners.iot import DESCRIPTOR as IOT
from netdiscover.scanners.ndp import DESCRIPTOR as NDP
from netdiscover.scanners.nmap import DESCRIPTOR as NMAP
from netdiscover.scanners.snmp import DESCRIPTOR as SNMP

SCANNERS: dict[str, ScannerDescriptor] = {d.name: d for d in (ARP, SNMP, NMAP, IOT, NDP)}

DEFAULT_METHODS: tuple[str, ...] = tuple(
    d.name for d in sorted((d for d in SCANNERS.values() if d.default_position is not None),
                           key=lambda d: d.default_position))


def load(name: str) -> ModuleType:
    """Import the module holding the scan function of the method registered under ``name``."""
    try:
        descriptor = SCANNERS[name]
    except KeyError:
        raise ValueError(f"unknown scan method {name!r}; choose from {', '.join(SCANNERS)}") from None
    return importlib.import_module(descriptor.module)
