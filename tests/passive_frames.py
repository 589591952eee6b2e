"""Hand-built frames for the passive parser tests and benchmark (scapy builds the packets)."""

from __future__ import annotations

import struct

from scapy.layers.dhcp import BOOTP, DHCP
from scapy.layers.dhcp6 import (
    DUID_LL,
    VENDOR_CLASS_DATA,
    DHCP6_Reply,
    DHCP6_Solicit,
    DHCP6OptClientFQDN,
    DHCP6OptClientId,
    DHCP6OptIA_NA,
    DHCP6OptIAAddress,
    DHCP6OptOptReq,
    DHCP6OptVendorClass,
)
from scapy.layers.dns import DNS, DNSRR
from scapy.layers.inet import IP, TCP, UDP
from scapy.layers.inet6 import (
    ICMPv6ND_NA,
    ICMPv6ND_NS,
    ICMPv6ND_RA,
    ICMPv6NDOptDstLLAddr,
    ICMPv6NDOptPrefixInfo,
    ICMPv6NDOptSrcLLAddr,
    IPv6,
)
from scapy.layers.l2 import ARP, LLC, SNAP, Dot3, Ether

CLIENT = "00:1b:21:aa:bb:01"
SERVER = "00:1b:21:aa:bb:02"
SWITCH = "00:1b:21:aa:bb:03"


def raw(pkt) -> bytes:
    return bytes(pkt)


def arp_request(mac: str = CLIENT, ip: str = "10.21.0.5") -> bytes:
    return raw(Ether(src=mac, dst="ff:ff:ff:ff:ff:ff") / ARP(op=1, hwsrc=mac, psrc=ip, pdst="10.21.0.1"))


def dhcp_request(mac: str = CLIENT, hostname: bytes = b"lab-laptop", prl=(1, 3, 6, 15, 31, 33, 43, 44, 46,
                 47, 119, 121, 249, 252), vendor: bytes | None = b"MSFT 5.0",
                 client_id: bytes | None = None) -> bytes:
    opts = [("message-type", "request"), ("requested_addr", "10.21.0.100"), ("hostname", hostname),
            ("param_req_list", list(prl))]
    if vendor is not None:
        opts.append(("vendor_class_id", vendor))
    if client_id is None:
        client_id = b"\x01" + bytes.fromhex(mac.replace(":", ""))
    if client_id:                                   # b"" sends no client identifier
        opts.append(("client_id", client_id))
    opts.append("end")
    return raw(Ether(src=mac, dst="ff:ff:ff:ff:ff:ff") / IP(src="0.0.0.0", dst="255.255.255.255")
               / UDP(sport=68, dport=67) / BOOTP(op=1, chaddr=bytes.fromhex(mac.replace(":", "")))
               / DHCP(options=opts))


def dhcp_ack(client: str = CLIENT, ip: str = "10.21.0.100") -> bytes:
    return raw(Ether(src=SERVER, dst=client) / IP(src="10.21.0.1", dst=ip) / UDP(sport=67, dport=68)
               / BOOTP(op=2, yiaddr=ip, chaddr=bytes.fromhex(client.replace(":", "")))
               / DHCP(options=[("message-type", "ack"), ("server_id", "10.21.0.1"), "end"]))


def dhcpv6_solicit(mac: str = CLIENT) -> bytes:
    duid = DUID_LL(lladdr=mac)
    return raw(Ether(src=mac, dst="33:33:00:01:00:02") / IPv6(src="fe80::21b:21ff:feaa:bb01", dst="ff02::1:2")
               / UDP(sport=546, dport=547) / DHCP6_Solicit()
               / DHCP6OptClientId(duid=duid) / DHCP6OptOptReq(reqopts=[23, 24, 39])
               / DHCP6OptClientFQDN(fqdn="v6-laptop.example.")
               / DHCP6OptVendorClass(enterprisenum=311, vcdata=[VENDOR_CLASS_DATA(data=b"MSFT 5.0")]))


def dhcpv6_reply(client: str = CLIENT, addr: str = "fd00:21::100") -> bytes:
    return raw(Ether(src=SERVER, dst=client) / IPv6(src="fe80::1", dst="fe80::21b:21ff:feaa:bb01")
               / UDP(sport=547, dport=546) / DHCP6_Reply()
               / DHCP6OptIA_NA(iaid=1, ianaopts=[DHCP6OptIAAddress(addr=addr)]))


def mdns_announce(mac: str = CLIENT, ip: str = "10.21.0.7", name: str = "printer.local") -> bytes:
    dns = DNS(id=0, qr=1, aa=1, qd=[], an=DNSRR(rrname=name, type="A", rdata=ip, ttl=120))
    return raw(Ether(src=mac, dst="01:00:5e:00:00:fb") / IP(src=ip, dst="224.0.0.251")
               / UDP(sport=5353, dport=5353) / dns)


def ssdp_notify(mac: str = CLIENT, ip: str = "10.21.0.8") -> bytes:
    body = (b"NOTIFY * HTTP/1.1\r\nHOST: 239.255.255.250:1900\r\nNT: upnp:rootdevice\r\nNTS: ssdp:alive\r\n"
            b"LOCATION: http://10.21.0.8:80/desc.xml\r\nSERVER: Linux/5.10 UPnP/1.0 TestCam/1.0\r\n"
            b"USN: uuid:1234::upnp:rootdevice\r\n\r\n")
    return raw(Ether(src=mac, dst="01:00:5e:7f:ff:fa") / IP(src=ip, dst="239.255.255.250")
               / UDP(sport=40000, dport=1900) / body)


def netbios_name(name: str, suffix: int = 0) -> bytes:
    padded = name.upper().ljust(15)[:15].encode() + bytes([suffix])
    return bytes([32]) + bytes(c for b in padded for c in (0x41 + (b >> 4), 0x41 + (b & 0x0F))) + b"\x00"


def netbios_registration(mac: str = CLIENT, ip: str = "10.21.0.9", name: str = "DESKTOP-1") -> bytes:
    flags = (5 << 11) | 0x0110                     # registration, recursion desired, broadcast
    head = struct.pack("!HHHHHH", 0x1234, flags, 1, 0, 0, 1)
    question = netbios_name(name) + struct.pack("!HH", 0x20, 1)
    record = b"\xc0\x0c" + struct.pack("!HHIH", 0x20, 1, 300000, 6) + struct.pack("!H", 0) + bytes(
        int(x) for x in ip.split("."))
    return raw(Ether(src=mac, dst="ff:ff:ff:ff:ff:ff") / IP(src=ip, dst="10.21.0.255")
               / UDP(sport=137, dport=137) / (head + question + record))


def tlv(ttype: int, value: bytes) -> bytes:
    return struct.pack("!H", (ttype << 9) | len(value)) + value


def lldp_frame(mac: str = SWITCH, name: bytes = b"core-sw1", port: bytes = b"Gi1/0/24",
               mgmt: str = "10.21.0.2") -> bytes:
    body = (tlv(1, b"\x04" + bytes.fromhex(mac.replace(":", ""))) + tlv(2, b"\x05" + port)
            + tlv(3, b"\x00\x78") + tlv(4, b"uplink to office") + tlv(5, name)
            + tlv(6, b"Cisco IOS Software, C2960X Software, Version 15.2(7)E2")
            + tlv(7, struct.pack("!HH", 0x14, 0x14))
            + tlv(8, bytes([5, 1]) + bytes(int(x) for x in mgmt.split(".")) + b"\x02\x00\x00\x00\x01\x00")
            + tlv(0, b""))
    return bytes.fromhex("0180c200000e") + bytes.fromhex(mac.replace(":", "")) + b"\x88\xcc" + body


def cdp_frame(mac: str = SWITCH) -> bytes:
    def t(ttype: int, value: bytes) -> bytes:
        return struct.pack("!HH", ttype, len(value) + 4) + value
    addr = struct.pack("!I", 1) + b"\x01\x01\xcc" + struct.pack("!H", 4) + bytes([10, 21, 0, 3])
    body = (b"\x02\xb4\x00\x00" + t(1, b"edge-sw2") + t(2, addr) + t(3, b"GigabitEthernet0/1")
            + t(4, struct.pack("!I", 0x28)) + t(6, b"cisco WS-C2960-24TT-L"))
    return raw(Dot3(src=mac, dst="01:00:0c:cc:cc:cc") / LLC(dsap=0xAA, ssap=0xAA, ctrl=3)
               / SNAP(OUI=0x0C, code=0x2000) / body)


def dad_ns(mac: str = CLIENT, target: str = "fd00:21::21b:21ff:feaa:bb01") -> bytes:
    return raw(Ether(src=mac, dst="33:33:ff:aa:bb:01") / IPv6(src="::", dst="ff02::1:ffaa:bb01")
               / ICMPv6ND_NS(tgt=target))


def router_adv(mac: str = SERVER) -> bytes:
    return raw(Ether(src=mac, dst="33:33:00:00:00:01") / IPv6(src="fe80::1", dst="ff02::1")
               / ICMPv6ND_RA(routerlifetime=1800) / ICMPv6NDOptSrcLLAddr(lladdr=mac)
               / ICMPv6NDOptPrefixInfo(prefix="fd00:21::", prefixlen=64))


def neighbour_adv(mac: str = CLIENT, target: str = "2001:db8::5") -> bytes:
    return raw(Ether(src=mac, dst="33:33:00:00:00:01") / IPv6(src="fe80::21b:21ff:feaa:bb01", dst="ff02::1")
               / ICMPv6ND_NA(tgt=target, R=0, S=0, O=1) / ICMPv6NDOptDstLLAddr(lladdr=mac))


def tcp_frame() -> bytes:
    return raw(Ether(src=CLIENT, dst=SERVER) / IP(src="10.21.0.5", dst="10.21.0.1") / TCP(dport=80))


ALL = {
    "arp": arp_request, "dhcp": dhcp_request, "dhcp_ack": dhcp_ack, "dhcpv6": dhcpv6_solicit,
    "dhcpv6_reply": dhcpv6_reply, "mdns": mdns_announce, "ssdp": ssdp_notify, "netbios": netbios_registration,
    "lldp": lldp_frame, "cdp": cdp_frame, "dad": dad_ns, "ra": router_adv, "na": neighbour_adv,
}
