"""A stable identity key for a DHCP client whose MAC is randomised.

A phone or laptop with MAC randomisation shows a new locally administered MAC per network or
per day, but its DHCP requests keep what the client software chose: the client identifier
(option 61), or, from a client that sends none, the hostname together with the parameter
request list. ``identity_key`` turns these into one string, recorded on the
Observation as ``facts["passive"]["identity_key"]`` for the reconciler to join devices on
(within one site only). A client identifier always wins over the hostname, so two phones both
called "iPhone" with different identifiers keep different keys (an identifier derived from
the rotating MAC links nothing: conservative, never a wrong merge).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

MIN_HOSTNAME = 2


def locally_administered(mac: str) -> bool:
    """The MAC's locally administered bit is set (randomised, virtual or container MACs)."""
    return bool(int(mac[1], 16) & 0x2)


def identity_key(mac: str, dhcp: Mapping[str, Any] | None) -> str | None:
    """The DHCP identity of a randomised-MAC client, or None when it has none worth keeping."""
    if not dhcp or not locally_administered(mac):
        return None
    client_id = dhcp.get("client_id")
    if isinstance(client_id, str) and client_id:
        return f"dhcp-client-id:{client_id}"
    hostname, prl = dhcp.get("hostname"), dhcp.get("prl")
    if isinstance(hostname, str) and len(hostname) >= MIN_HOSTNAME and isinstance(prl, str) and prl:
        return f"dhcp-host:{hostname.casefold()}|{prl}"
    return None
