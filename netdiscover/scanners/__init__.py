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
from typing import Any

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


def option_problem(methods: list[str], options: dict[str, Any]) -> str | None:
    """Why ``options`` (a sweep's ``options = {...}``) do not fit ``methods``' descriptors, or None.

    Each key must be an option of one of the sweep's methods, and its value of that option's kind
    (a whole number where a float is asked is fine; true/false is not a number).
    """
    known = {option.name: (name, option) for name in methods for option in SCANNERS[name].options}
    for key, value in options.items():
        if key not in known:
            owner = next((d.name for d in SCANNERS.values() if any(o.name == key for o in d.options)), None)
            if owner:
                return f"option {key!r} belongs to method {owner}, which this sweep does not run"
            names = ", ".join(sorted(known)) or "none for these methods"
            return f"unknown option {key!r} (known: {names})"
        _, option = known[key]
        kinds = (int, float) if option.kind is float else (option.kind,)
        if isinstance(value, bool) != (option.kind is bool) or not isinstance(value, kinds):
            return f"option {key!r} must be {_KIND_WORDS.get(option.kind, option.kind.__name__)}"
        if option.choices and value not in option.choices:
            return f"option {key!r} must be one of {', '.join(option.choices)}"
    return None


_KIND_WORDS = {int: "a whole number", float: "a number", str: "a string", bool: "true or false"}


def load(name: str) -> ModuleType:
    """Import the module holding the scan function of the method registered under ``name``."""
    try:
        descriptor = SCANNERS[name]
    except KeyError:
        raise ValueError(f"unknown scan method {name!r}; choose from {', '.join(SCANNERS)}") from None
    return importlib.import_module(descriptor.module)
