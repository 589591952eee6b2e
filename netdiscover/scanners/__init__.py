"""Discovery methods. Each module here yields Observations; the registry maps names to modules.

Modules are imported lazily so that a missing optional dependency of one scanner never stops
the others (a scanner reports ``ScannerUnavailable`` instead).
"""

from __future__ import annotations

import importlib
from types import ModuleType

SCANNER_MODULES: dict[str, str] = {
    "arp": "netdiscover.scanners.arp.scanner",
    "snmp": "netdiscover.scanners.snmp.scanner",
    "nmap": "netdiscover.scanners.nmap.scanner",
    "iot": "netdiscover.scanners.iot.scanner",
    "ndp": "netdiscover.scanners.ndp.scanner",
}

DEFAULT_METHODS = ("arp", "iot", "snmp", "nmap")


def load(name: str) -> ModuleType:
    """Import the scanner module registered under ``name``."""
    try:
        path = SCANNER_MODULES[name]
    except KeyError:
        raise ValueError(f"unknown scan method {name!r}; choose from {', '.join(SCANNER_MODULES)}") from None
    return importlib.import_module(path)
