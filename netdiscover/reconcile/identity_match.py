"""The one identity-matching walk shared by sweeps (``reconcile.matching``) and inventory import.

Both callers walk the identity keys in the single precedence order ``KEY_ORDER`` over a candidate
lookup (key -> the assets that key names, in the caller's order) and differ only by a ``Policy``:
which keys they use, which stored spellings of a serial or hostname they look for, whether some
keys count only when the earlier ones found nothing, and whether the first acceptable candidate
decides (import) or every candidate is collected to be merged (a sweep's strong keys). Guards that
depend on the caller's data (makers compatible, sites, another asset tag) go in ``accept``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from netdiscover.identity import hostname_key, serial_key

# Strongest first. A sweep has no asset tag; an inventory record has no engine ID or identity key.
KEY_ORDER = ("asset_tag", "serial", "engine", "mac", "identity_key", "hostname", "ip")


@dataclass(frozen=True)
class Policy:
    """How one caller matches: its keys (walked in ``KEY_ORDER``), spellings and mode."""

    keys: frozenset[str]
    collect: bool                                # every candidate (to merge) rather than the first
    fallback: frozenset[str] = frozenset()       # keys that count only when earlier keys found none
    raw_serial: bool = False                     # a serial's stored spelling may be the value as given
    dotted_hostname: bool = False                # a hostname's stored spelling may end with a dot

    def serial_spellings(self, serial: str | None) -> set[str]:
        """The stored spellings a serial may match: its key upper- and lower-case (and as given)."""
        key = serial_key(serial)
        if not key or not serial:
            return set()
        return {serial, key, key.lower()} if self.raw_serial else {key, key.lower()}

    def hostname_spellings(self, hostname: str | None) -> set[str]:
        """The stored spellings a hostname may match: as given, its key lower- and upper-case
        (and with a trailing dot)."""
        name = hostname_key(hostname)
        if not name or not hostname:
            return set()
        spellings = {hostname, name, name.upper()}
        if self.dotted_hostname:
            spellings.add(name + ".")
        return spellings


# A sweep: strong keys are all collected (assets they join are one device, merged); the DHCP
# identity key only for a device none of them matched.
SWEEP_STRONG = Policy(keys=frozenset({"serial", "engine", "mac", "identity_key"}), collect=True,
                      fallback=frozenset({"identity_key"}))
# A sweep's device with no strong match: hostname within the site, then a current IP; first hit.
SWEEP_WEAK = Policy(keys=frozenset({"hostname", "ip"}), collect=False, dotted_hostname=True)
# An inventory record: the first acceptable candidate by asset tag, serial, MAC, hostname, IP;
# never merges.
IMPORT = Policy(keys=frozenset({"asset_tag", "serial", "mac", "hostname", "ip"}), collect=False,
                raw_serial=True)


def walk(policy: Policy, candidates: Callable[[str], Iterable[int]],
         accept: Callable[[str, int], bool] | None = None) -> list[int]:
    """The assets the policy's keys name, in ``KEY_ORDER``: ``candidates(key)`` lists a key's
    assets, ``accept(key, asset)`` guards each. First-hit policies return at most one."""
    found: list[int] = []
    for key in KEY_ORDER:
        if key not in policy.keys or (found and key in policy.fallback):
            continue
        for asset_id in candidates(key):
            if accept is None or accept(key, asset_id):
                if not policy.collect:
                    return [asset_id]
                found.append(asset_id)
    return found
