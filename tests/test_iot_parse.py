"""IoT discovery parsers and rules on hand-made packets and documents (no network)."""

from __future__ import annotations

import struct
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from netaddr import IPSet

from netdiscover.fingerprints.combine import decide
from netdiscover.fingerprints.iot import evidence
from netdiscover.observation import Observation
from netdiscover.scanners.base import ScannerUnavailable
from netdiscover.scanners.iot import mdns as iot_mdns
from netdiscover.scanners.iot import netbios as iot_netbios
from netdiscover.scanners.iot import ssdp as iot_ssdp
from netdiscover.scanners.iot.scanner import Exchange, pick_link
from netdiscover.scanners.pacing import ThreadPacer
from netdiscover_lab.iot_responders import (
    device_description,
    hostile_mdns_replies,
    malformed_description,
    xml_bomb,
)


def _rr(name, rtype, rdata):
    return iot_mdns.pack_name(name) + struct.pack("!HHIH", rtype, 1, 120, len(rdata)) + rdata


def _reply(qid, records):
    return struct.pack("!HHHHHH", qid, 0x8400, 0, len(records), 0, 0) + b"".join(records)


# ---------------------------------------------------------------- mDNS
def test_query_packs_questions_and_reply_id_matches_only_responses():
    query = iot_mdns.build_query(0x1234, [(iot_mdns.SERVICES_ENUM, iot_mdns.T_PTR)])
    assert query[:2] == b"\x12\x34" and query[4:6] == b"\x00\x01"
    assert b"\x09_services\x07_dns-sd\x04_udp\x05local\x00\x00\x0c\x00\x01" in query
    assert iot_mdns.reply_id(query) is None                     # a query is not a reply
    assert iot_mdns.reply_id(_reply(0x1234, [])) == 0x1234
    assert iot_mdns.reply_id(b"\x00" * 5) is None


def test_host_conversation_follows_services_instances_and_txt():
    probe = iot_mdns.MdnsProbe()
    first = probe.probe("10.0.0.9")
    qid = struct.unpack_from("!H", first)[0]
    ipp = (b"_ipp", b"_tcp", b"local")
    enum = _reply(qid, [_rr(iot_mdns.SERVICES_ENUM, iot_mdns.T_PTR, iot_mdns.pack_name(ipp)),
                        _rr(iot_mdns.reverse_name("10.0.0.9"), iot_mdns.T_PTR,
                            iot_mdns.pack_name((b"prn", b"local")))])
    follow = probe.handle("10.0.0.9", enum)
    assert len(follow) == 1 and b"\x04_ipp\x04_tcp" in follow[0]
    qid2 = struct.unpack_from("!H", follow[0])[0]
    inst = (b"Office Printer", *ipp)
    txt = b"".join(bytes([len(s)]) + s for s in (b"ty=HP LaserJet 400", b"usb_MFG=HP", b"note=<b>x</b>"))
    answer = _reply(qid2, [_rr(ipp, iot_mdns.T_PTR, iot_mdns.pack_name(inst)),
                           _rr(inst, iot_mdns.T_SRV, struct.pack("!HHH", 0, 0, 631)
                               + iot_mdns.pack_name((b"prn", b"local"))),
                           _rr(inst, iot_mdns.T_TXT, txt)])
    assert probe.handle("10.0.0.9", answer) == []               # SRV and TXT came along: nothing to ask
    facts = probe.results()["10.0.0.9"]
    assert facts["services"] == ["_ipp._tcp"]
    assert facts["instances"] == ["Office Printer"]
    assert facts["hostname"] == "prn.local"
    assert facts["txt"] == {"ty": "HP LaserJet 400", "usb_MFG": "HP", "note": "<b>x</b>"}
    assert facts["records"][0]["port"] == 631
    assert b"\x03prn\x0c_device-info\x04_tcp\x05local\x00\x00\x10" in follow[0]   # asked with the PTR
    info = (b"prn", b"_device-info", b"_tcp", b"local")
    probe.handle("10.0.0.9", _reply(qid2, [_rr(info, iot_mdns.T_TXT, b"\x10model=Macmini9,1")]))
    facts = probe.results()["10.0.0.9"]
    assert "_device-info._tcp" in facts["services"]
    assert {"instance": "prn", "service": "_device-info._tcp", "port": None, "target": None,
            "txt": {"model": "Macmini9,1"}} in facts["records"]


def test_reply_to_someone_elses_query_is_ignored():
    probe = iot_mdns.MdnsProbe()
    probe.probe("10.0.0.9")
    stray = _reply(0x0001, [_rr(iot_mdns.SERVICES_ENUM, iot_mdns.T_PTR,
                                iot_mdns.pack_name((b"_ipp", b"_tcp", b"local")))])
    assert probe.handle("10.0.0.9", stray) == []
    assert probe.results() == {}


def test_hostile_mdns_replies_are_bounded_and_loops_end():
    probe = iot_mdns.MdnsProbe()
    qid = struct.unpack_from("!H", probe.probe("10.0.0.66"))[0]
    big, looped = hostile_mdns_replies(qid, "10.0.0.66")
    assert len(big) > 60000
    started = time.monotonic()
    probe.handle("10.0.0.66", big)
    probe.handle("10.0.0.66", looped)
    assert time.monotonic() - started < 1.0
    facts = probe.results()["10.0.0.66"]
    assert facts["instances"] == ["<script>alert(1)</script>"]     # ANSI removed, markup kept as data
    txt = facts["txt"]
    assert len(txt) <= iot_mdns.MAX_TXT_KEYS
    assert all(len(v) <= 255 for v in txt.values())
    assert sum(len(k) + len(v) for k, v in txt.items()) <= iot_mdns.TXT_BUDGET
    assert "\x00" not in txt["ty"] and "\x07" not in txt["ty"]
    assert any("compression loop" in note for note in probe.notes)


@pytest.mark.parametrize("data", [
    b"\x00\x01\x84\x00\x00\x00\x00\x05\x00\x00\x00\x00\x03abc",             # name runs off the end
    b"\x00\x01\x84\x00\x00\x00\x00\x01\x00\x00\x00\x00\x00\x00\x0c\x00\x01\x00\x00\x00\x01\xff\xff",
    b"\x00\x01\x84\x00\x00\x00\x00\x01\x00\x00\x00\x00\x80abc",               # reserved label type
])
def test_malformed_mdns_is_a_note_not_an_exception(data):
    records, note = iot_mdns.parse_reply(data)
    assert records == [] and note and note.startswith("malformed")


# ---------------------------------------------------------------- NetBIOS
def _nbstat(tid, names, mac=b"\x00\x11\x22\x33\x44\x55", claimed=None):
    rdata = bytes([claimed if claimed is not None else len(names)])
    for name, suffix, flags in names:
        rdata += name.encode().ljust(15) + bytes([suffix]) + struct.pack("!H", flags)
    rdata += mac + b"\x00" * 40
    return (struct.pack("!HHHHHH", tid, 0x8400, 0, 1, 0, 0) + iot_netbios.encode_name("*")
            + struct.pack("!HHIH", 0x21, 1, 0, len(rdata)) + rdata)


def test_netbios_query_and_node_status_parse():
    query = iot_netbios.build_query(7)
    assert query[12] == 32 and query[13:15] == b"CK" and query[-4:] == b"\x00\x21\x00\x01"
    reply = _nbstat(7, [("FILESRV01", 0x00, 0x0400), ("OFFICE", 0x00, 0x8400), ("FILESRV01", 0x20, 0x0400)])
    facts, mac, note = iot_netbios.parse_status(reply)
    assert note is None and mac == "00:11:22:33:44:55"
    assert facts == {"names": [["FILESRV01", 0, False], ["OFFICE", 0, True], ["FILESRV01", 32, False]],
                     "workgroup": "OFFICE"}
    assert iot_netbios.computer_name(facts) == "FILESRV01"


def test_netbios_zero_mac_and_lying_count():
    facts, mac, _ = iot_netbios.parse_status(_nbstat(1, [("SAMBA", 0, 0x0400)], mac=b"\x00" * 6))
    assert facts["names"] == [["SAMBA", 0, False]] and mac is None          # Samba sends zeros
    facts, mac, _ = iot_netbios.parse_status(_nbstat(1, [("X\x1b[2J", 0, 0x0400)], claimed=255)[:80])
    assert facts["names"][0][0] == "X" and mac is None
    assert iot_netbios.parse_status(b"\x00\x01\x84\x00")[2].startswith("malformed")


# ---------------------------------------------------------------- SSDP
def test_msearch_and_reply_headers():
    msearch = iot_ssdp.build_msearch()
    assert msearch.startswith(b"M-SEARCH * HTTP/1.1\r\n") and b"ST: ssdp:all" in msearch
    headers = iot_ssdp.parse_reply(b"HTTP/1.1 200 OK\r\nLocation: http://10.0.0.5:80/d.xml\r\n"
                                   b"SERVER: Linux UPnP/1.0 \x1b[31mX\r\nST: upnp:rootdevice\r\n\r\n")
    assert headers == {"location": "http://10.0.0.5:80/d.xml", "server": "Linux UPnP/1.0 X",
                       "st": "upnp:rootdevice"}
    assert iot_ssdp.parse_reply(b"NOTIFY * HTTP/1.1\r\n\r\n") is None
    assert iot_ssdp.SsdpProbe().probe("10.0.0.5") is None              # on-link: multicast only
    unicast = iot_ssdp.SsdpProbe(unicast=True).probe("10.9.0.5")         # routed targets
    assert b"HOST: 10.9.0.5:1900\r\n" in unicast and b"MX:" not in unicast


@pytest.mark.parametrize(("url", "ok"), [
    ("http://10.0.0.5:49152/desc.xml", True),
    ("http://10.0.0.5/desc.xml", True),
    ("http://10.0.1.5/desc.xml", False),            # outside the targets
    ("https://10.0.0.5/desc.xml", False),
    ("http://printer.example/desc.xml", False),     # a name would need resolving: never
    ("http://010.000.000.005/desc.xml", False),
    ("http://10.0.0.5:99999/desc.xml", False),
    ("file:///etc/passwd", False),
])
def test_location_is_fetched_only_inside_targets(url, ok):
    assert iot_ssdp.location_allowed(url, IPSet(["10.0.0.0/24"]))[0] is ok


def test_description_fields_and_refusals():
    good = device_description("urn:schemas-upnp-org:device:MediaRenderer:1", "TV <&>", "Samsung", "UE55",
                              "55", "SN1", "uuid:1")
    fields, why = iot_ssdp.parse_description(good.encode())
    assert why is None
    assert fields == {"deviceType": "urn:schemas-upnp-org:device:MediaRenderer:1", "friendlyName": "TV <&>",
                      "manufacturer": "Samsung", "modelName": "UE55", "modelNumber": "55",
                      "serialNumber": "SN1", "UDN": "uuid:1"}
    started = time.monotonic()
    fields, why = iot_ssdp.parse_description(xml_bomb().encode())
    assert fields is None and "refused" in why and time.monotonic() - started < 1
    fields, why = iot_ssdp.parse_description(malformed_description().encode())
    assert fields is None and why.startswith("malformed")
    external = b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]><root>&x;</root>'
    assert iot_ssdp.parse_description(external)[0] is None


@pytest.fixture
def loopback_http():
    """A loopback HTTP server whose responses the test chooses: path -> (headers, body chunks)."""
    routes = {}

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            headers, chunks = routes[self.path]
            self.send_response(200)
            for key, value in headers.items():
                self.send_header(key, value)
            self.end_headers()
            try:
                for chunk in chunks:
                    self.wfile.write(chunk)
                    self.wfile.flush()
            except OSError:
                pass

        def log_message(self, *args):
            return None

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield routes, f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_fetch_bounds_size_and_time(loopback_http):
    routes, base = loopback_http
    routes["/ok"] = ({"Content-Length": "5"}, [b"hello"])
    routes["/big"] = ({"Content-Length": str(10**9)}, [b"x"])
    routes["/stream"] = ({}, [b"x" * 65536] * 8)
    routes["/drip"] = ({}, (time.sleep(0.2) or b"x" for _ in range(40)))
    assert iot_ssdp.fetch(base + "/ok") == (b"hello", None)
    assert "too large" in iot_ssdp.fetch(base + "/big")[1]
    assert "too large" in iot_ssdp.fetch(base + "/stream", limit=256 * 1024)[1]
    started = time.monotonic()
    body, why = iot_ssdp.fetch(base + "/drip", seconds=1.0)
    assert body is None and ("too long" in why or "failed" in why)
    assert time.monotonic() - started < 2.5


# ---------------------------------------------------------------- interface choice
def _entry(name, cidr, up=True):
    ip, prefix = cidr.split("/")
    return {"ifname": name, "ifindex": 3, "flags": ["BROADCAST", "UP"] if up else ["BROADCAST"],
            "addr_info": [{"family": "inet", "local": ip, "prefixlen": int(prefix)}]}


def test_pick_link():
    entries = [_entry("eth0", "10.0.0.2/24"), _entry("eth1", "192.168.1.2/24", up=False)]
    assert pick_link(IPSet(["10.0.0.0/24"]), None, entries).name == "eth0"
    assert pick_link(IPSet(["172.16.0.0/24"]), None, entries) is None
    with pytest.raises(ScannerUnavailable, match="no interface named"):
        pick_link(IPSet(["10.0.0.0/24"]), "eth9", entries)
    with pytest.raises(ScannerUnavailable, match="down"):
        pick_link(IPSet(["192.168.1.0/24"]), "eth1", entries)


# ---------------------------------------------------------------- fingerprint rules
def _fp(facts):
    return decide(evidence([Observation(method="iot", ip="10.0.0.1", facts=facts)]))


def test_rules_name_printer_cast_homekit_tv_and_windows_box():
    printer = _fp({"mdns": {"services": ["_ipp._tcp"], "records": [
        {"instance": "x", "service": "_ipp._tcp", "txt": {"ty": "Brother MFC-L2710DW series"}}]}})
    assert (printer.device_class, printer.vendor, printer.model) == \
        ("printer", "Brother", "MFC-L2710DW series")
    cast = _fp({"mdns": {"services": ["_googlecast._tcp"], "records": [
        {"instance": "c", "service": "_googlecast._tcp", "txt": {"md": "Chromecast Ultra", "fn": "TV"}}]}})
    assert (cast.device_class, cast.vendor, cast.model) == ("media", "Google", "Chromecast Ultra")
    cam = _fp({"mdns": {"services": ["_hap._tcp"], "records": [
        {"instance": "d", "service": "_hap._tcp", "txt": {"md": "Doorbell 3000", "ci": "18"}}]}})
    assert cam.device_class == "camera"
    tv = _fp({"ssdp": {"deviceType": "urn:schemas-upnp-org:device:MediaRenderer:1",
                       "manufacturer": "Sony Corporation", "modelName": "KD-55X85J"}})
    assert (tv.device_class, tv.vendor, tv.model) == ("media", "Sony", "KD-55X85J")
    box = _fp({"netbios": {"names": [["DESKTOP-4F7Q2ZK", 0, False], ["WORKGROUP", 0, True]]}})
    assert (box.device_class, box.os_name) == ("workstation", "Microsoft Windows")
    jetdirect = _fp({"netbios": {"names": [["NPI0A1B2C", 0, False]]}})
    assert (jetdirect.device_class, jetdirect.vendor) == ("printer", "HP")


def test_rules_survive_junk_facts():
    junk = {"mdns": "x", "ssdp": [1], "netbios": {"names": [[1]]}}
    assert evidence([Observation(method="iot", facts=junk)]) == []
    assert evidence([Observation(method="iot", facts={"mdns": {"records": [None, {"txt": "x"}]}})]) == []
    assert _fp({}).device_class == "unknown"


# ---------------------------------------------------------------- the shared UDP engine (loopback)
class _EchoProto:
    """A stand-in protocol: probes are b"?", every datagram received is kept."""

    name = "echo"
    group = None
    multicast_ttl = 1
    min_quiet = 0.0

    def __init__(self, port):
        self.port = port
        self.got = []

    def multicast_probe(self):
        return None

    def probe(self, ip):
        return b"?"

    def handle(self, ip, data):
        self.got.append((ip, data))
        return []

    def answered(self, ip):
        return any(got_ip == ip for got_ip, _ in self.got)

    def results(self):
        return {}


def test_engine_keeps_replies_from_targets_only_and_bounds_its_time():
    import socket

    listener = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    listener.bind(("127.0.0.1", 0))
    other = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    other.bind(("127.0.0.3", 0))

    def answer():
        peer = listener.recvfrom(100)[1]
        listener.sendto(b"from-target", peer)
        other.sendto(b"from-outside", peer)

    thread = threading.Thread(target=answer, daemon=True)
    thread.start()
    proto = _EchoProto(listener.getsockname()[1])
    exchange = Exchange(proto, IPSet(["127.0.0.1/32"]), ThreadPacer(1000), None, quiet=0.3, limit=2)
    exchange.run(["127.0.0.1"])
    thread.join(2)
    listener.close()
    other.close()
    assert proto.got == [("127.0.0.1", b"from-target")]
    assert exchange.stats["ignored"] == 1 and exchange.stats["sent"] == 1

    slow = _EchoProto(9)                          # discard port: nobody answers
    started = time.monotonic()
    exchange = Exchange(slow, IPSet(["127.0.1.0/24"]), ThreadPacer(50), None, quiet=0.1, limit=0.5)
    exchange.run([f"127.0.1.{i}" for i in range(1, 255)])
    assert time.monotonic() - started < 1.5
    assert exchange.stats["unprobed"] > 200


def test_engine_retries_only_the_silent_addresses():
    silent = _EchoProto(9)
    silent.got = [("127.0.2.1", b"seen before")]          # answered already: never asked again
    exchange = Exchange(silent, IPSet(["127.0.2.0/24"]), ThreadPacer(2000), None, quiet=0.05, limit=5)
    exchange.run([f"127.0.2.{i}" for i in range(1, 11)], retries=2)
    assert exchange.stats["sent"] == 10 + 9 + 9


def test_shipped_rules_load_and_name_known_classes(tmp_path):
    from netdiscover.fingerprints import iot as iot_fp
    from netdiscover.fingerprints import rules
    from netdiscover.vocabulary import DEVICE_CLASSES

    book = iot_fp.rulebook()
    assert len(book.rules) > 50 and len({r.id for r in book.rules}) == len(book.rules)
    assert {r.values["device_class"] for r in book.rules if "device_class" in r.values} <= set(DEVICE_CLASSES)
    user = tmp_path / "rules.yaml"
    user.write_text("iot:\n  - {id: mdns-googlecast, mdns_service: _googlecast._tcp, "
                    "set: {vendor: Acme, device_class: iot}, weight: 0.9}\n")
    try:
        rules.load_user_rules(user)
        fp = _fp({"mdns": {"services": ["_googlecast._tcp"]}})
        assert (fp.vendor, fp.device_class) == ("Acme", "iot")
    finally:
        rules.load_user_rules(None)
    assert _fp({"mdns": {"services": ["_googlecast._tcp"]}}).vendor == "Google"
