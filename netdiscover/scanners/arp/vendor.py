"""The IEEE registrant of a MAC address's OUI, looked up without loading the whole registry.

netaddr ships the IEEE OUI registry with a byte-offset index, but reads every index line into
a dict on first use (about 0.2 s of CPU, longer than a tuned sweep of a /20). A sweep needs a
handful of distinct OUIs, so this module finds each one in the index text directly and reads
just its record from the registry; it falls back to netaddr if the files are not where expected.
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

from netdiscover.observation import normalise_mac


def vendor_of(mac: str) -> str | None:
    """The IEEE registrant of a MAC's OUI; None for locally administered or unregistered MACs."""
    norm = normalise_mac(mac)
    if norm is None or int(norm[:2], 16) & 0x02:   # locally administered: randomised or virtual
        return None
    return oui_org(int(norm[:8].replace(":", ""), 16))


def vendor_of_bytes(mac: bytes) -> str | None:
    """``vendor_of`` for a MAC given as 6 raw bytes (as it comes off the wire)."""
    if len(mac) != 6 or mac[0] & 0x02:
        return None
    return oui_org(int.from_bytes(mac[:3], "big"))


@lru_cache(maxsize=1)
def _registry() -> tuple[Path, str] | None:
    import netaddr.eui  # the package only; its ieee module is what loads the full index

    base = Path(netaddr.eui.__file__).parent
    try:
        return base / "oui.txt", (base / "oui.idx").read_text(encoding="ascii", errors="replace")
    except OSError:
        return None


@lru_cache(maxsize=4096)
def oui_org(oui: int) -> str | None:
    """Organisation registered for the 24-bit ``oui``, or None."""
    registry = _registry()
    if registry is None:
        return _netaddr_org(oui)
    registry_file, index = registry
    hit = re.search(rf"^{oui},(\d+),(\d+)\s*$", index, re.M)
    if hit is None:
        return None
    try:
        with registry_file.open("rb") as fh:
            fh.seek(int(hit.group(1)))
            record = fh.read(min(int(hit.group(2)), 4096)).decode("utf-8", errors="replace")
    except OSError:
        return _netaddr_org(oui)
    for line in record.splitlines():
        if "(hex)" in line:
            return line.split("(hex)", 1)[1].strip() or None
    return None


def _netaddr_org(oui: int) -> str | None:
    from netaddr import OUI, NotRegisteredError

    try:
        return str(OUI(oui).registration().org).strip() or None
    except (NotRegisteredError, IndexError, AttributeError, ValueError):
        return None
