"""Local interfaces as the ARP scanner sees them: name, MAC, state and on-link IPv4 subnets.

ARP only reaches the segment an interface sits on, so the scanner needs to know which
interface holds which subnet, pick the one that covers the targets, and refuse with a clear
message when an interface is missing or down. Facts come straight from the kernel over rtnetlink
(RTM_GETLINK, RTM_GETADDR) in the current network namespace: no helper process, no text parsing.
"""

from __future__ import annotations

import os
import socket
import struct
from dataclasses import dataclass, field

from netaddr import IPNetwork, IPSet

from netdiscover.scanners.base import ScannerUnavailable

NETLINK_ROUTE = 0
RTM_GETLINK, RTM_GETADDR = 18, 22
RTM_NEWLINK, RTM_NEWADDR = 16, 20
NLM_F_REQUEST, NLM_F_DUMP = 0x1, 0x300
NLMSG_ERROR, NLMSG_DONE = 2, 3
IFLA_ADDRESS, IFLA_IFNAME, IFLA_OPERSTATE = 1, 3, 16
IFA_ADDRESS, IFA_LOCAL = 1, 2
IFF_UP, IFF_LOOPBACK, IFF_LOWER_UP = 0x1, 0x8, 0x10000
ARPHRD_ETHER = 1
IF_OPER_DOWN, IF_OPER_LOWERLAYERDOWN, IF_OPER_NOTPRESENT = 2, 5, 1
MAX_DUMP_BYTES = 16 << 20            # a namespace with a few thousand interfaces fits easily


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


def _attrs(data: bytes, offset: int, end: int) -> dict[int, bytes]:
    """Netlink attributes (type -> payload) packed between ``offset`` and ``end``."""
    found: dict[int, bytes] = {}
    while offset + 4 <= end:
        length, kind = struct.unpack_from("HH", data, offset)
        if length < 4:
            break
        found.setdefault(kind & 0x3FFF, data[offset + 4 : offset + length])
        offset += (length + 3) & ~3
    return found


def _dump(sock: socket.socket, msg_type: int, body: bytes, seq: int) -> list[tuple[int, bytes]]:
    """Send one dump request; return (message type, message) for every reply message."""
    sock.send(struct.pack("IHHII", 16 + len(body), msg_type, NLM_F_REQUEST | NLM_F_DUMP, seq, 0) + body)
    messages: list[tuple[int, bytes]] = []
    received = 0
    while received < MAX_DUMP_BYTES:
        data = sock.recv(1 << 16)
        received += len(data)
        offset = 0
        while offset + 16 <= len(data):
            length, kind, _flags, _seq, _pid = struct.unpack_from("IHHII", data, offset)
            if length < 16:
                return messages
            if kind == NLMSG_DONE:
                return messages
            if kind == NLMSG_ERROR:
                errno = -struct.unpack_from("i", data, offset + 16)[0]
                if errno:
                    raise OSError(errno, os.strerror(errno))
            messages.append((kind, data[offset : offset + length]))
            offset += (length + 3) & ~3
    return messages


def list_links() -> dict[str, LinkInfo]:
    """All interfaces of the current network namespace, by name."""
    try:
        with socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, NETLINK_ROUTE) as sock:
            sock.settimeout(5)
            links_raw = _dump(sock, RTM_GETLINK, struct.pack("BxHiII", socket.AF_UNSPEC, 0, 0, 0, 0), 1)
            addrs_raw = _dump(sock, RTM_GETADDR, struct.pack("BBBBI", socket.AF_INET, 0, 0, 0, 0), 2)
    except OSError as exc:
        raise ScannerUnavailable(f"cannot list network interfaces: {exc.strerror or exc}") from None

    by_index: dict[int, LinkInfo] = {}
    for kind, msg in links_raw:
        if kind != RTM_NEWLINK or len(msg) < 32:
            continue
        _family, link_type, index, flags, _change = struct.unpack_from("BxHiII", msg, 16)
        attrs = _attrs(msg, 32, len(msg))
        name = attrs.get(IFLA_IFNAME, b"").split(b"\0", 1)[0].decode("utf-8", "replace")
        raw_mac = attrs.get(IFLA_ADDRESS, b"")
        oper = attrs.get(IFLA_OPERSTATE, b"\0")[0]
        by_index[index] = LinkInfo(
            name=name,
            mac=raw_mac.hex(":") if link_type == ARPHRD_ETHER and len(raw_mac) == 6 else None,
            admin_up=bool(flags & IFF_UP),
            carrier=bool(flags & IFF_LOWER_UP) and oper not in (IF_OPER_DOWN, IF_OPER_LOWERLAYERDOWN,
                                                                 IF_OPER_NOTPRESENT),
            loopback=bool(flags & IFF_LOOPBACK),
        )
    for kind, msg in addrs_raw:
        if kind != RTM_NEWADDR or len(msg) < 24:
            continue
        family, prefixlen, _flags, _scope, index = struct.unpack_from("BBBBI", msg, 16)
        attrs = _attrs(msg, 24, len(msg))
        raw = attrs.get(IFA_LOCAL) or attrs.get(IFA_ADDRESS)
        if family == socket.AF_INET and raw and len(raw) == 4 and index in by_index:
            by_index[index].addresses.append(IPNetwork(f"{socket.inet_ntoa(raw)}/{prefixlen}"))
    return {info.name: info for info in by_index.values()}


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
            covered = (targets & info.subnets()).size
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


def missing_interface(wanted: str) -> str | None:
    """Why ``wanted`` cannot be used as an interface name here (one line), or None when it exists.

    Checked before a sweep starts so a mistyped ``--iface`` is refused, not recorded as a failed scan.
    """
    try:
        links = {name: info.loopback for name, info in list_links().items()}
    except ScannerUnavailable:
        links = {name: name == "lo" for _index, name in socket.if_nameindex()}
    if wanted in links:
        return None
    names = ", ".join(sorted(name for name, loopback in links.items() if not loopback)) or "none"
    return f"no interface named {wanted!r} (interfaces here: {names})"
