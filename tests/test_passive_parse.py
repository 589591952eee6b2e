"""Passive parsers on hand-built frames: what each protocol yields, and bad frames counted and dropped."""

from __future__ import annotations

import random
import struct

import pytest

from netdiscover.scanners.passive import bpf
from netdiscover.scanners.passive.frames import MAX_FRAME, parse_frame
from netdiscover.scanners.passive.listener import Listener
from netdiscover.scanners.passive.records import Malformed
from netdiscover.scanners.passive.sightings import SightingTable
from tests import passive_frames as pf


def one(frame: bytes, protocol: str):
    got, sightings = parse_frame(frame)
    assert got == protocol
    return sightings


def test_arp_names_sender():
    (s,) = one(pf.arp_request(), "arp")
    assert (s.mac, s.ips) == (pf.CLIENT, ["10.21.0.5"])


def test_dhcp_request_carries_fingerprint_options():
    (s,) = one(pf.dhcp_request(), "dhcp")
    dhcp = s.facts["dhcp"]
    assert s.mac == pf.CLIENT and s.hostname == "lab-laptop"
    assert dhcp["prl"] == "1,3,6,15,31,33,43,44,46,47,119,121,249,252"
    assert dhcp["vendor_class"] == "MSFT 5.0"
    assert dhcp["client_id"] == "01" + pf.CLIENT.replace(":", "")
    assert dhcp["message"] == "request" and dhcp["requested_ip"] == "10.21.0.100"
    assert s.ips == []                               # a requested address is not proof of holding it


def test_dhcp_markup_is_kept_as_inert_text():
    hostile = b"<script>alert(1)</script>\x1b[31m\x00"
    (s,) = one(pf.dhcp_request(hostname=hostile), "dhcp")
    assert s.hostname == "<script>alert(1)</script>"
    assert s.facts["dhcp"]["hostname"] == "<script>alert(1)</script>"


def test_dhcp_ack_ties_lease_to_client_and_names_server():
    server, client = one(pf.dhcp_ack(), "dhcp")
    assert (server.mac, server.ips, server.facts) == (pf.SERVER, ["10.21.0.1"], {"dhcp_server": True})
    assert (client.mac, client.ips) == (pf.CLIENT, ["10.21.0.100"])


def test_dhcpv6_solicit_and_reply():
    (s,) = one(pf.dhcpv6_solicit(), "dhcpv6")
    v6 = s.facts["dhcpv6"]
    assert s.hostname == "v6-laptop.example" and s.ips == ["fe80::21b:21ff:feaa:bb01"]
    assert v6["duid_mac"] == pf.CLIENT and v6["oro"] == "23,24,39" and v6["vendor_enterprise"] == 311
    server, client = one(pf.dhcpv6_reply(), "dhcpv6")
    assert client.mac == pf.CLIENT and client.ips == ["fd00:21::100"]
    assert server.mac == pf.SERVER


def test_mdns_ssdp_netbios_announcements():
    (m,) = one(pf.mdns_announce(), "mdns")
    assert m.hostname == "printer.local" and m.ips == ["10.21.0.7"] and m.facts["mdns"]["hostname"]
    (s,) = one(pf.ssdp_notify(), "ssdp")
    assert s.facts["ssdp"]["server"] == "Linux/5.10 UPnP/1.0 TestCam/1.0" and s.ips == ["10.21.0.8"]
    (n,) = one(pf.netbios_registration(), "netbios")
    assert n.hostname == "DESKTOP-1" and n.facts["netbios"]["names"] == [["DESKTOP-1", 0, False]]


def test_lldp_and_cdp_neighbours():
    (s,) = one(pf.lldp_frame(), "lldp")
    lldp = s.facts["lldp"]
    assert s.hostname == "core-sw1" and s.ips == ["10.21.0.2"] and s.mac == pf.SWITCH
    assert lldp["port_id"] == "Gi1/0/24" and lldp["capabilities"] == ["bridge", "router"]
    assert lldp["system_description"].startswith("Cisco IOS Software")
    (c,) = one(pf.cdp_frame(), "cdp")
    assert c.hostname == "edge-sw2" and c.ips == ["10.21.0.3"]
    assert c.facts["cdp"]["platform"] == "cisco WS-C2960-24TT-L"
    assert c.facts["cdp"]["port_id"] == "GigabitEthernet0/1"


def test_icmpv6_dad_router_and_neighbour_advertisement():
    (dad,) = one(pf.dad_ns(), "icmpv6")
    assert (dad.mac, dad.ips) == (pf.CLIENT, ["fd00:21::21b:21ff:feaa:bb01"])
    (ra,) = one(pf.router_adv(), "icmpv6")
    assert ra.facts["ipv6_router"]["prefixes"] == ["fd00:21::/64"] and ra.ips == ["fe80::1"]
    (na,) = one(pf.neighbour_adv(), "icmpv6")
    assert (na.mac, na.ips) == (pf.CLIENT, ["2001:db8::5"])


@pytest.mark.parametrize("name", sorted(pf.ALL))
def test_every_truncation_is_malformed_or_harmless(name):
    frame = pf.ALL[name]()
    for cut in range(len(frame)):
        try:
            parse_frame(frame[:cut])
        except Malformed:
            pass


def test_specific_faults_raise_malformed():
    lldp = pf.lldp_frame()
    with pytest.raises(Malformed):
        parse_frame(lldp[:14] + struct.pack("!H", (1 << 9) | 300) + b"\x04abc")   # TLV longer than frame
    dhcp = bytearray(pf.dhcp_request())
    dhcp[14 + 20 + 8 + 236 : 14 + 20 + 8 + 240] = b"XXXX"                       # no magic cookie
    with pytest.raises(Malformed):
        parse_frame(bytes(dhcp))
    with pytest.raises(Malformed):
        parse_frame(b"\x00" * (MAX_FRAME + 1))
    with pytest.raises(Malformed):
        parse_frame(b"\x00" * 10)


def test_fuzzed_frames_are_counted_never_raised():
    rng = random.Random(21)
    listener = Listener(["unused"])
    frames = [f() for f in pf.ALL.values()]
    for _ in range(4000):
        frame = bytearray(rng.choice(frames))
        for _ in range(rng.randint(1, 6)):
            frame[rng.randrange(12, len(frame))] = rng.randrange(256)
        listener.handle(bytes(frame[: rng.randint(10, len(frame))]))
    listener.handle(b"\x00" * (MAX_FRAME + 10))
    stats = listener.stats
    assert stats.received == 4001
    assert stats.received == sum(stats.packets.values()) + stats.malformed + stats.oversized
    assert stats.malformed > 100 and stats.oversized == 1


def test_sighting_table_is_bounded_under_a_mac_flood():
    table = SightingTable(max_devices=100)
    listener = Listener(["unused"])
    listener.table = table
    for i in range(5000):
        mac = f"02:00:00:{i >> 16 & 0xff:02x}:{i >> 8 & 0xff:02x}:{i & 0xff:02x}"
        listener.handle(pf.arp_request(mac=mac, ip=f"10.{i >> 16 & 0xff}.{i >> 8 & 0xff}.{i & 0xff or 1}"))
    assert len(table) == 100 and table.overflow == 4900
    for i in range(100):
        listener.handle(pf.neighbour_adv(mac="02:00:00:00:00:00", target=f"2001:db8::{i + 1:x}"))
    observations = table.drain()
    assert len(table) == 0
    flooded = [o for o in observations if o.mac == "02:00:00:00:00:00"]
    assert len(flooded) == 16                          # one per address, capped at MAX_IPS


def test_table_merges_protocols_into_one_observation_per_mac():
    listener = Listener(["unused"])
    for frame in (pf.dhcp_request(), pf.dhcp_ack(), pf.dad_ns(), pf.mdns_announce(ip="10.21.0.100")):
        listener.handle(frame)
    observations = listener.table.drain()
    mine = [o for o in observations if o.mac == pf.CLIENT]
    assert [o.ip for o in mine] == ["10.21.0.100", "fd00:21::21b:21ff:feaa:bb01"]
    main = mine[0]
    assert main.method == "passive" and main.hostname == "lab-laptop"     # DHCP's name beats mDNS's
    assert set(main.facts) >= {"dhcp", "mdns", "passive"}
    assert main.facts["passive"]["protocols"] == ["dhcp", "icmpv6", "mdns"]


# -- the kernel filter, run by a small classic-BPF interpreter ------------------------------
def run_bpf(program, pkt: bytes) -> int:
    a = x = 0
    pc = 0
    for _ in range(10_000):
        code, jt, jf, k = program[pc]
        cls, size, mode = code & 0x07, code & 0x18, code & 0xE0
        if cls == 0x06:                                        # ret
            return k
        if cls in (0x00, 0x01):                                # ld / ldx
            width = {0x00: 4, 0x08: 2, 0x10: 1}[size]
            if cls == 0x01 and mode == 0xA0:                   # ldx msh: 4 * (pkt[k] & 0xf)
                if k >= len(pkt):
                    return 0
                x = (pkt[k] & 0x0F) * 4
            elif mode in (0x20, 0x40):                          # abs / ind
                off = k + (x if mode == 0x40 else 0)
                if off + width > len(pkt):
                    return 0
                val = int.from_bytes(pkt[off : off + width], "big")
                if cls == 0x00:
                    a = val
                else:
                    x = val
            elif mode == 0x00:                                  # imm
                if cls == 0x00:
                    a = k
                else:
                    x = k
            else:
                raise AssertionError(f"unhandled load {code:#x}")
            pc += 1
        elif cls == 0x05:                                      # jumps
            op = code & 0xF0
            if op == 0x00:
                pc += 1 + k
                continue
            ok = {0x10: a == k, 0x20: a > k, 0x30: a >= k, 0x40: bool(a & k)}[op]
            pc += 1 + (jt if ok else jf)
        elif cls == 0x04:                                      # alu (and with k)
            if code & 0xF0 == 0x50:
                a &= k
            else:
                raise AssertionError(f"unhandled alu {code:#x}")
            pc += 1
        else:
            raise AssertionError(f"unhandled class {code:#x}")
    raise AssertionError("BPF program did not return")


@pytest.mark.parametrize("name", sorted(pf.ALL))
def test_kernel_filter_accepts_every_parsed_protocol(name):
    assert run_bpf(bpf.program(), pf.ALL[name]()) > 0


def test_kernel_filter_rejects_other_traffic():
    assert run_bpf(bpf.program(), pf.tcp_frame()) == 0
    assert "icmp6" in bpf.expression()


# -- randomised MACs: the identity key the reconciler can join on -----------------------------
def keys_of(*frames: bytes) -> dict[str, str | None]:
    listener = Listener(["unused"])
    for frame in frames:
        listener.handle(frame)
    return {o.mac: o.facts.get("passive", {}).get("identity_key") for o in listener.table.drain() if o.facts}


def test_one_client_id_across_three_random_macs_gives_one_key():
    macs = ["02:11:22:33:44:01", "8a:11:22:33:44:02", "3e:11:22:33:44:03"]
    keys = keys_of(*(pf.dhcp_request(mac=m, hostname=b"Pixel-7", client_id=b"\xffstable-iaid-duid")
                     for m in macs))
    assert len(set(keys.values())) == 1 and next(iter(keys.values())).startswith("dhcp-client-id:")


def test_two_iphones_with_their_own_client_ids_keep_two_keys():
    keys = keys_of(pf.dhcp_request(mac="02:aa:00:00:00:01", hostname=b"iPhone"),
                   pf.dhcp_request(mac="02:aa:00:00:00:02", hostname=b"iPhone"))
    assert len(set(keys.values())) == 2 and all(k.startswith("dhcp-client-id:") for k in keys.values())


def test_without_client_id_hostname_and_request_list_link():
    keys = keys_of(pf.dhcp_request(mac="02:bb:00:00:00:01", hostname=b"Lab-Tab", client_id=b""),
                   pf.dhcp_request(mac="02:bb:00:00:00:02", hostname=b"lab-tab", client_id=b""))
    assert set(keys.values()) == {"dhcp-host:lab-tab|1,3,6,15,31,33,43,44,46,47,119,121,249,252"}
    assert keys_of(pf.dhcp_request())[pf.CLIENT] is None            # a global MAC is its own identity
