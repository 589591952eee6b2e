"""DHCPv4 and DHCPv6 messages as heard on the wire: client name, fingerprint options, leases.

A client's request carries its hostname (option 12 or FQDN 81), its parameter request list
(option 55, whose order is the client's fingerprint), its vendor class (60) and client
identifier (61). A server's ACK ties the leased address to the client's hardware address.
Strings are kept as data: control characters removed, lengths bounded, markup left as text.
DHCPv6 gives the client's DUID, option request list (ORO), vendor class and FQDN, and the
addresses a server assigns in a Reply.
"""

from __future__ import annotations

import struct
from typing import Any

from netdiscover.observation import clean_text
from netdiscover.scanners.passive.records import (
    Malformed,
    Packet,
    Sighting,
    ipv4_text,
    ipv6_text,
    mac_text,
    sender,
    unicast_mac,
    useful_ip,
)

COOKIE = b"\x63\x82\x53\x63"
BOOTP_FIXED = 236
MAX_OPTIONS = 128
MESSAGE_TYPES = {1: "discover", 2: "offer", 3: "request", 4: "decline", 5: "ack", 6: "nak",
                 7: "release", 8: "inform"}
CLIENT_MESSAGES = {"discover", "request", "decline", "release", "inform"}
OPT_HOSTNAME, OPT_REQUESTED_IP, OPT_MSG_TYPE, OPT_SERVER_ID = 12, 50, 53, 54
OPT_PRL, OPT_MAX_SIZE, OPT_VENDOR_CLASS, OPT_CLIENT_ID, OPT_USER_CLASS, OPT_FQDN = 55, 57, 60, 61, 77, 81

V6_CLIENT = {1: "solicit", 3: "request", 4: "confirm", 5: "renew", 6: "rebind", 8: "release",
             9: "decline", 11: "information-request"}
V6_SERVER = {2: "advertise", 7: "reply"}
V6_CLIENTID, V6_IA_NA, V6_IAADDR, V6_ORO, V6_VENDOR_CLASS, V6_FQDN = 1, 3, 5, 6, 16, 39
MAX_V6_ADDRESSES = 8


def _text(raw: bytes, limit: int = 255) -> str | None:
    return clean_text(raw, limit)


def _options(data: bytes, offset: int) -> dict[int, bytes]:
    """DHCPv4 options from ``offset`` (first occurrence of each; pad and end honoured)."""
    opts: dict[int, bytes] = {}
    for _ in range(MAX_OPTIONS):
        if offset >= len(data):
            break
        code = data[offset]
        if code == 0:
            offset += 1
            continue
        if code == 255:
            break
        if offset + 2 > len(data):
            raise Malformed("truncated DHCP option")
        length = data[offset + 1]
        value = data[offset + 2 : offset + 2 + length]
        if len(value) != length:
            raise Malformed("DHCP option runs past the end")
        opts.setdefault(code, value)
        offset += 2 + length
    return opts


def _fqdn_name(value: bytes) -> str | None:
    """The name in option 81: three flag/rcode bytes, then DNS wire format or plain ASCII."""
    name = value[3:]
    if not name:
        return None
    if value[0] & 0x04:                      # E flag: canonical wire format
        labels, offset = [], 0
        while offset < len(name) and name[offset] and len(labels) < 32:
            length = name[offset]
            labels.append(name[offset + 1 : offset + 1 + length])
            offset += 1 + length
        name = b".".join(labels)
    return _text(name)


def _client_id(value: bytes) -> str | None:
    return value[:64].hex() if value else None


def parse_dhcpv4(packet: Packet) -> list[Sighting]:
    """The client (and for server messages, the server) of one BOOTP/DHCP message."""
    data = packet.payload
    if len(data) < BOOTP_FIXED + 4:
        raise Malformed("truncated BOOTP message")
    op, htype, hlen = data[0], data[1], data[2]
    if data[BOOTP_FIXED : BOOTP_FIXED + 4] != COOKIE:
        raise Malformed("no DHCP magic cookie")
    opts = _options(data, BOOTP_FIXED + 4)
    msg = MESSAGE_TYPES.get(opts[OPT_MSG_TYPE][0]) if opts.get(OPT_MSG_TYPE) else None
    chaddr = data[28:34] if htype == 1 and hlen == 6 else b""
    ciaddr, yiaddr = ipv4_text(data[12:16]), ipv4_text(data[16:20])
    out: list[Sighting] = []
    if op == 1 and chaddr and unicast_mac(chaddr):
        facts: dict[str, Any] = {"message": msg}
        if OPT_PRL in opts:
            facts["prl"] = ",".join(str(b) for b in opts[OPT_PRL])
        if OPT_VENDOR_CLASS in opts:
            facts["vendor_class"] = _text(opts[OPT_VENDOR_CLASS])
        if OPT_CLIENT_ID in opts:
            facts["client_id"] = _client_id(opts[OPT_CLIENT_ID])
        if OPT_USER_CLASS in opts:
            facts["user_class"] = _text(opts[OPT_USER_CLASS])
        if OPT_MAX_SIZE in opts and len(opts[OPT_MAX_SIZE]) == 2:
            facts["max_size"] = struct.unpack("!H", opts[OPT_MAX_SIZE])[0]
        hostname = _text(opts[OPT_HOSTNAME]) if OPT_HOSTNAME in opts else None
        if OPT_FQDN in opts:
            facts["fqdn"] = _fqdn_name(opts[OPT_FQDN])
            hostname = hostname or facts["fqdn"]
        if hostname:
            facts["hostname"] = hostname
        ips = [ciaddr] if useful_ip(ciaddr) else []
        if msg in ("request", "inform") and OPT_REQUESTED_IP in opts and len(opts[OPT_REQUESTED_IP]) == 4:
            facts["requested_ip"] = ipv4_text(opts[OPT_REQUESTED_IP])
        out.append(Sighting("dhcp", mac_text(chaddr), ips, hostname,
                            {"dhcp": {k: v for k, v in facts.items() if v is not None}}))
    elif op == 2:
        server = sender(packet, "dhcp")
        if server:
            server.facts["dhcp_server"] = True
            out.append(server)
        if msg == "ack" and chaddr and unicast_mac(chaddr) and useful_ip(yiaddr):
            out.append(Sighting("dhcp", mac_text(chaddr), [yiaddr]))
    return out


def _v6_options(data: bytes, offset: int, end: int) -> dict[int, list[bytes]]:
    opts: dict[int, list[bytes]] = {}
    for _ in range(MAX_OPTIONS):
        if offset + 4 > end:
            break
        code, length = struct.unpack_from("!HH", data, offset)
        value = data[offset + 4 : offset + 4 + length]
        if len(value) != length or offset + 4 + length > end:
            raise Malformed("DHCPv6 option runs past the end")
        opts.setdefault(code, []).append(value)
        offset += 4 + length
    return opts


def _duid_mac(duid: bytes) -> str | None:
    """The link-layer address inside a DUID-LLT (type 1) or DUID-LL (type 3) for Ethernet."""
    if len(duid) >= 14 and duid[:4] == b"\x00\x01\x00\x01":
        raw = duid[8:14]
    elif len(duid) >= 10 and duid[:4] == b"\x00\x03\x00\x01":
        raw = duid[4:10]
    else:
        return None
    return mac_text(raw) if unicast_mac(raw) else None


def _dns_name(raw: bytes) -> str | None:
    labels, offset = [], 0
    while offset < len(raw) and raw[offset] and len(labels) < 32:
        labels.append(raw[offset + 1 : offset + 1 + raw[offset]])
        offset += 1 + raw[offset]
    return _text(b".".join(labels)) if labels else None


def _assigned(ia_values: list[bytes]) -> list[str]:
    addrs: list[str] = []
    for ia in ia_values:
        inner = _v6_options(ia, 12, len(ia)) if len(ia) >= 12 else {}
        for value in inner.get(V6_IAADDR, []):
            if len(value) >= 16 and len(addrs) < MAX_V6_ADDRESSES:
                addrs.append(ipv6_text(value[:16]))
    return addrs


def parse_dhcpv6(packet: Packet) -> list[Sighting]:
    """The client of a DHCPv6 client message, or the addresses a server's reply assigns."""
    data = packet.payload
    if len(data) < 4:
        raise Malformed("truncated DHCPv6 message")
    kind = data[0]
    opts = _v6_options(data, 4, len(data))
    me = sender(packet, "dhcpv6")
    if kind in V6_CLIENT and me:
        facts: dict[str, Any] = {"message": V6_CLIENT[kind]}
        duid = opts.get(V6_CLIENTID, [b""])[0]
        if duid:
            facts["duid"] = duid[:64].hex()
            facts["duid_mac"] = _duid_mac(duid)
        oro = opts.get(V6_ORO, [b""])[0]
        if oro:
            facts["oro"] = ",".join(str(c) for (c,) in struct.iter_unpack("!H", oro[: len(oro) // 2 * 2]))
        vendor = opts.get(V6_VENDOR_CLASS, [b""])[0]
        if len(vendor) >= 6:
            facts["vendor_enterprise"] = struct.unpack_from("!I", vendor)[0]
            facts["vendor_class"] = _text(vendor[6:])
        fqdn = opts.get(V6_FQDN, [b""])[0]
        if len(fqdn) > 1:
            me.hostname = _dns_name(fqdn[1:])
            facts["fqdn"] = me.hostname
        me.facts["dhcpv6"] = {k: v for k, v in facts.items() if v is not None}
        return [me]
    if kind in V6_SERVER:
        out = [me] if me else []
        if kind == 7:
            addrs = _assigned(opts.get(V6_IA_NA, []))
            client = bytes.fromhex(packet.dst_mac.replace(":", ""))
            if addrs and unicast_mac(client):
                out.append(Sighting("dhcpv6", packet.dst_mac, addrs))
        return out
    return [me] if me else []
