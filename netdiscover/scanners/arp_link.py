"""Local interfaces as the ARP scanner sees them: name, MAC, state and on-link IPv4 subnets.

ARP only reaches the segment an interface sits on, so the scanner needs to know which
interface holds which subnet, pick the one that covers the targets, and refuse with a clear
message when an interface is missing or down. Facts come from ``ip -j addr`` (iproute2).
"""

from __future__ import annotations

import json
import shutil
import subprocess
from dataclasses import dataclass, field

from netaddr import IPNetwork, IPSet

from netdiscover.scanners.base import ScannerUnavailable


@dataclass
class LinkInfo:
    """One interface: its name, MAC, whether it can carry traffic, and its IPv4 addresses."""

    name: str
    mac: str | None
    admin_up: bool
    carrier: bool
    addresses: list[IPNetwork] = field(default_factory=list)   # address/prefix, e.g. 10.0.0.5/24
    loopback: bool = False

    @property
    def usable(self) -> bool:
        return self.admin_up and self.carrier

    def subnets(self) -> IPSet:
        """Every on-link IPv4 subnet of this interface."""
        return IPSet(addr.cidr for addr in self.addresses)


def list_links() -> dict[str, LinkInfo]:
    """All interfaces of the current network namespace, by name."""
    if shutil.which("ip") is None:
        raise ScannerUnavailable("ARP scan needs iproute2 ('ip') to read interface addresses")
    proc = subprocess.run(["ip", "-j", "addr", "show"], capture_output=True, text=True, timeout=10)
    if proc.returncode != 0:
        raise ScannerUnavailable(f"cannot list interfaces: {proc.stderr.strip()[:200]}")
    return parse_ip_addr_json(proc.stdout)


def parse_ip_addr_json(text: str) -> dict[str, LinkInfo]:
    """Turn ``ip -j addr show`` output into LinkInfo records."""
    links: dict[str, LinkInfo] = {}
    for entry in json.loads(text or "[]"):
        flags = set(entry.get("flags") or [])
        operstate = str(entry.get("operstate") or "").upper()
        carrier = "LOWER_UP" in flags and operstate not in ("DOWN", "LOWERLAYERDOWN", "NOTPRESENT")
        info = LinkInfo(
            name=entry["ifname"],
            mac=entry.get("address") if entry.get("link_type") == "ether" else None,
            admin_up="UP" in flags,
            carrier=carrier,
            loopback="LOOPBACK" in flags,
        )
        for addr in entry.get("addr_info") or []:
            if addr.get("family") == "inet" and addr.get("local"):
                info.addresses.append(IPNetwork(f"{addr['local']}/{addr.get('prefixlen', 32)}"))
        links[info.name] = info
    return links


def pick_link(targets: IPSet, wanted: str | None, links: dict[str, LinkInfo]) -> LinkInfo:
    """The interface to sweep ``targets`` on: ``wanted`` if given, else the one covering most targets.

    Raises ScannerUnavailable with a one-line reason when the interface is missing, down, has no
    MAC or IPv4 address, or when no interface holds any of the targets.
    """
    if wanted:
        link = links.get(wanted)
        if link is None:
            names = ", ".join(sorted(n for n, info in links.items() if not info.loopback)) or "none"
            raise ScannerUnavailable(f"no interface named {wanted!r} (interfaces here: {names})")
    else:
        best: tuple[int, LinkInfo] | None = None
        for info in links.values():
            if info.loopback or not info.mac or not info.addresses:
                continue
            covered = len(targets & info.subnets())
            if covered and (best is None or covered > best[0] or (covered == best[0] and info.usable
                                                                   and not best[1].usable)):
                best = (covered, info)
        if best is None:
            raise ScannerUnavailable("no local interface is on the same subnet as the targets; "
                                     "ARP only reaches the local segment (use --iface or another method)")
        link = best[1]
    if not link.admin_up:
        raise ScannerUnavailable(f"interface {link.name} is down (ip link set {link.name} up)")
    if not link.carrier:
        raise ScannerUnavailable(f"interface {link.name} has no carrier (cable or peer down)")
    if link.loopback or not link.mac:
        raise ScannerUnavailable(f"interface {link.name} is not an Ethernet interface; ARP needs one")
    if not link.addresses:
        raise ScannerUnavailable(f"interface {link.name} has no IPv4 address to send ARP requests from")
    return link
