"""Where the listener itself is plugged in: the switch port at the other end of its cable.

What a passive LLDP or CDP sighting locates, and what it does not:

- An LLDPDU goes to the nearest-bridge group 01:80:c2:00:00:0e, which an 802.1D bridge never
  forwards. Hearing one on interface IF from a sender whose *enabled* capabilities include
  ``bridge`` or ``router`` means IF is cabled to that device, at the port its Port ID names.
  That places exactly one device: the listening host's own interface IF (its MAC), as a
  ``LOCATION`` observation (switch = the sender's system name, else its chassis ID; port = the
  Port ID, or the port description when the Port ID is only a MAC address). Reconciliation
  applies it only when that MAC is already an asset's interface (a location adds no device).
- It locates nobody else heard on IF: their frames crossed the switch from other ports.
- An LLDPDU from a station or phone (no bridge/router enabled) locates nothing: it says the
  sender shares IF's cable (a PC behind a phone's pass-through port); the sender is recorded as
  its own asset with its LLDP(-MED) facts, but "plugged into a phone" is no switch port.
- CDP goes to 01:00:0c:cc:cc:cc, which Cisco devices consume but other bridges flood, so a CDP
  switch may be several hops away. CDP is used only when no LLDP bridge was heard on IF.
- Two or more different bridges heard on IF in the same role (an unmanaged switch forwarding
  LLDP, a mirror port) make the answer ambiguous: no location, counted as ``ambiguous``.

An uplink heard is kept for its LLDP time-to-live (``ttl``, CDP: ``CDP_HOLD``) so a flush
window shorter than the sender's interval still carries the location; a shutdown LLDPDU (TTL 0)
forgets it at once.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass

from netdiscover.observation import LOCATION, Observation
from netdiscover.scanners.passive.linklayer import port_name
from netdiscover.scanners.passive.records import Sighting

METHOD = "passive"
NETWORK_CAPS = frozenset({"bridge", "router", "switch", "trans-bridge", "source-route-bridge"})
CDP_HOLD = 180.0            # CDP's usual holdtime, seconds
DEFAULT_TTL = 120.0         # LLDP's usual TTL when the TLV is missing
MAX_PER_INTERFACE = 8       # bridges remembered per interface (more is a flood, not a cable)


@dataclass(frozen=True, slots=True)
class Uplink:
    """A network device heard announcing itself on one of our interfaces."""

    protocol: str           # lldp or cdp
    chassis: str            # what tells two senders apart
    switch: str
    port: str | None


def uplink_of(sighting: Sighting) -> tuple[Uplink, float] | None:
    """The network device a LLDP/CDP sighting announces, with how long it stays valid; None for
    a station, phone or anything without bridge/router enabled."""
    facts = sighting.facts.get(sighting.protocol)
    if sighting.protocol not in ("lldp", "cdp") or not isinstance(facts, dict):
        return None
    caps = facts.get("enabled") if "enabled" in facts else facts.get("capabilities")
    if not NETWORK_CAPS.intersection(caps or ()):
        return None
    if sighting.protocol == "lldp":
        chassis = facts.get("chassis_id")
        name = facts.get("system_name") or chassis
        port = port_name(facts)
        ttl = facts.get("ttl")
        hold = float(DEFAULT_TTL if ttl is None else ttl)
    else:
        chassis = name = facts.get("device_id")
        port, hold = facts.get("port_id"), CDP_HOLD
    if not chassis or not name:
        return None
    return Uplink(sighting.protocol, str(chassis), str(name), port), hold


class Uplinks:
    """Per listening interface, the network devices heard on it lately; their LOCATION sightings."""

    def __init__(self, own_macs: dict[str, str | None]) -> None:
        self.own_macs = own_macs
        self.heard: dict[str, dict[Uplink, float]] = {name: {} for name in own_macs}
        self.ambiguous = 0

    def add(self, interface: str, sightings: Iterable[Sighting], now: float | None = None) -> None:
        """Note the LLDP/CDP ``sightings`` of one frame heard on ``interface``."""
        seen = self.heard.get(interface)
        if seen is None:
            return
        stamp = time.monotonic() if now is None else now
        for sighting in sightings:
            found = uplink_of(sighting)
            if found is None:
                continue
            uplink, hold = found
            if hold <= 0:                        # a shutdown LLDPDU: the port is going down
                seen.pop(uplink, None)
            elif uplink in seen or len(seen) < MAX_PER_INTERFACE:
                seen[uplink] = stamp + hold

    def locations(self, now: float | None = None) -> list[Observation]:
        """One LOCATION observation per interface with exactly one uplink (LLDP before CDP)."""
        stamp = time.monotonic() if now is None else now
        out = []
        for interface, seen in self.heard.items():
            for uplink in [u for u, until in seen.items() if until < stamp]:
                del seen[uplink]
            mac = self.own_macs.get(interface)
            if not seen or not mac:
                continue
            latest_last = sorted(seen, key=seen.__getitem__)          # a port renamed: the newest wins
            lldp = {u.chassis: u for u in latest_last if u.protocol == "lldp"}
            chosen = lldp or {u.chassis: u for u in latest_last}
            if len(chosen) != 1:
                self.ambiguous += 1
                continue
            (uplink,) = chosen.values()
            out.append(Observation(method=METHOD, mac=mac, kind=LOCATION, switch=uplink.switch,
                                   switch_port=uplink.port, reporter=uplink.switch,
                                   facts={"uplink": {"interface": interface, "protocol": uplink.protocol,
                                                     "chassis_id": uplink.chassis}}))
        return out
