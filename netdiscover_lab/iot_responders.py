"""Devices that announce themselves, for the namespace lab: mDNS, SSDP/UPnP and NetBIOS responders.

Real daemons where they run in a namespace: avahi-daemon (without D-Bus, with its own config,
its own service files bind-mounted over /etc/avahi/services and a private /run, all inside the
namespace's mount namespace) and Samba's nmbd (its own smb.conf and state directories). SSDP has
no daemon that fits, so ``ssdp`` below is a small responder: it answers M-SEARCH with a LOCATION
and serves the device description over HTTP. ``http`` is a recorder that logs every request
(to prove a URL was never fetched); ``mdns`` answers every query with a hostile reply.

Run the Python responders inside a namespace as ``python -m netdiscover_lab.iot_responders ...``;
the helpers below do that through a ``Lab``.
"""

from __future__ import annotations

import argparse
import random
import socket
import struct
import sys
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from xml.sax.saxutils import escape

from netdiscover.scanners.iot.mdns import (
    SERVICES_ENUM,
    T_A,
    T_PTR,
    T_SRV,
    T_TXT,
    pack_name,
    reply_id,
)
from netdiscover_lab.netns import Host, Lab, LabError

SSDP_GROUP = "239.255.255.250"
SSDP_PORT = 1900
MDNS_GROUP = "224.0.0.251"
MDNS_PORT = 5353


# -- avahi-daemon ----------------------------------------------------------------------------
@dataclass
class MdnsService:
    """One DNS-SD service to advertise: instance name, type (``_ipp._tcp``), port, TXT items."""

    name: str
    type: str
    port: int
    txt: dict[str, str] = field(default_factory=dict)


AVAHI_CONF = """[server]
host-name={hostname}
domain-name=local
use-ipv4=yes
use-ipv6=no
allow-interfaces={iface}
enable-dbus=no
ratelimit-interval-usec=1000000
ratelimit-burst=1000
[wide-area]
enable-wide-area=no
[publish]
publish-hinfo=no
publish-workstation=no
publish-addresses=yes
[reflector]
[rlimits]
"""


def avahi_service_file(service: MdnsService) -> str:
    """An avahi static service file for ``service`` (names and TXT escaped as XML text)."""
    txt = "".join(f"<txt-record>{escape(f'{k}={v}')}</txt-record>" for k, v in service.txt.items())
    return ("<?xml version=\"1.0\" standalone='no'?>\n<service-group>\n"
            f"  <name>{escape(service.name)}</name>\n"
            f"  <service><type>{escape(service.type)}</type><port>{service.port}</port>{txt}</service>\n"
            "</service-group>\n")


def start_avahi(lab: Lab, host: Host, hostname: str, services: Sequence[MdnsService], workdir: Path,
                iface: str = "eth0", wait: float = 10.0) -> Path:
    """Run avahi-daemon in ``host``'s namespace advertising ``services``; return its log path."""
    workdir.mkdir(parents=True, exist_ok=True)
    svc_dir = workdir / "services"
    svc_dir.mkdir(exist_ok=True)
    conf = workdir / "avahi-daemon.conf"
    conf.write_text(AVAHI_CONF.format(hostname=hostname, iface=iface))
    for i, service in enumerate(services):
        (svc_dir / f"s{i}.service").write_text(avahi_service_file(service))
    log = workdir / "avahi.log"
    script = (f"mount -t tmpfs none /run && mkdir -p /run/avahi-daemon && "
              f"mount --bind {svc_dir} /etc/avahi/services && "
              f"exec avahi-daemon -f {conf} --no-drop-root --no-chroot --no-rlimits")
    lab.start(host.ns, ["sh", "-c", script], log=log)
    _wait_for(lambda: log.exists() and log.read_text(errors="replace").count("successfully established")
              >= len(services) and "Server startup complete" in log.read_text(errors="replace"),
              wait, f"avahi-daemon in {host.ns} did not come up: {_tail(log)}")
    return log


# -- nmbd ------------------------------------------------------------------------------------
SMB_CONF = """[global]
netbios name = {name}
workgroup = {workgroup}
server string = {name}
interfaces = {iface}
bind interfaces only = yes
disable netbios = no
server role = standalone server
local master = no
domain master = no
preferred master = no
wins support = no
dns proxy = no
lock directory = {w}/lock
state directory = {w}/state
cache directory = {w}/cache
private dir = {w}/private
pid directory = {w}/pid
ncalrpc dir = {w}/ncalrpc
log file = {w}/log.nmbd
log level = 1
"""


def start_nmbd(lab: Lab, host: Host, name: str, workgroup: str, workdir: Path, iface: str = "eth0",
               wait: float = 10.0) -> Path:
    """Run Samba's nmbd in ``host``'s namespace as NetBIOS node ``name``; return its config path."""
    for sub in ("lock", "state", "cache", "private", "pid", "ncalrpc"):
        (workdir / sub).mkdir(parents=True, exist_ok=True)
    conf = workdir / "smb.conf"
    conf.write_text(SMB_CONF.format(name=name, workgroup=workgroup, iface=iface, w=workdir))
    lab.start(host.ns, ["nmbd", "-F", "--no-process-group", "--debug-stdout", "-s", str(conf)],
              log=workdir / "nmbd.out")
    _wait_for(lambda: ":137 " in lab.run(host.ns, ["ss", "-uln"]).stdout, wait,
              f"nmbd in {host.ns} did not bind port 137: {_tail(workdir / 'nmbd.out')}")
    return conf


# -- Python responders, started in a namespace -------------------------------------------------
def start_ssdp(lab: Lab, host: Host, description: Path, workdir: Path, location: str | None = None,
               http_port: int = 49152, server: str = "Linux/6.1 UPnP/1.0 lab/1.0",
               huge: int = 0) -> Path:
    """Run the SSDP responder plus its description server in ``host``; return its request log."""
    log = workdir / f"ssdp-{host.name}.log"
    cmd = [sys.executable, "-m", "netdiscover_lab.iot_responders", "ssdp", "--ip", host.ip,
           "--description", str(description), "--http-port", str(http_port), "--server", server,
           "--log", str(log)]
    if location:
        cmd += ["--location", location]
    if huge:
        cmd += ["--huge", str(huge)]
    lab.start(host.ns, cmd, log=workdir / f"ssdp-{host.name}.out")
    _wait_for(lambda: ":1900 " in lab.run(host.ns, ["ss", "-uln"]).stdout
              and f":{http_port} " in lab.run(host.ns, ["ss", "-tln"]).stdout, 10,
              f"ssdp responder in {host.ns} did not start: {_tail(workdir / f'ssdp-{host.name}.out')}")
    return log


def start_http_recorder(lab: Lab, host: Host, port: int, workdir: Path) -> Path:
    """An HTTP server in ``host`` that logs every request line; return the log path."""
    log = workdir / f"http-{host.name}.log"
    lab.start(host.ns, [sys.executable, "-m", "netdiscover_lab.iot_responders", "http", "--ip", host.ip,
                        "--port", str(port), "--log", str(log)], log=workdir / f"http-{host.name}.out")
    _wait_for(lambda: f":{port} " in lab.run(host.ns, ["ss", "-tln"]).stdout, 10,
              f"http recorder in {host.ns} did not start")
    return log


def start_hostile_mdns(lab: Lab, host: Host, workdir: Path) -> None:
    """A responder in ``host`` that answers every mDNS query with a hostile reply."""
    lab.start(host.ns, [sys.executable, "-m", "netdiscover_lab.iot_responders", "mdns", "--ip", host.ip],
              log=workdir / f"mdns-{host.name}.out")
    _wait_for(lambda: ":5353 " in lab.run(host.ns, ["ss", "-uln"]).stdout, 10,
              f"hostile mDNS responder in {host.ns} did not start")


def _wait_for(check, seconds: float, message: str) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if check():
                return
        except (OSError, LabError):
            pass
        time.sleep(0.1)
    raise LabError(message)


def _tail(path: Path) -> str:
    try:
        return path.read_text(errors="replace")[-400:].replace("\n", " | ")
    except OSError:
        return "(no log)"


# -- device descriptions, good and hostile ------------------------------------------------------
def device_description(device_type: str, friendly_name: str, manufacturer: str, model_name: str,
                       model_number: str = "", serial: str = "", udn: str = "") -> str:
    """A UPnP root device description document."""
    def tag(name: str, value: str) -> str:
        return f"    <{name}>{escape(value)}</{name}>\n" if value else ""

    return ('<?xml version="1.0"?>\n<root xmlns="urn:schemas-upnp-org:device-1-0">\n'
            "  <specVersion><major>1</major><minor>0</minor></specVersion>\n  <device>\n"
            + tag("deviceType", device_type) + tag("friendlyName", friendly_name)
            + tag("manufacturer", manufacturer) + tag("modelName", model_name)
            + tag("modelNumber", model_number) + tag("serialNumber", serial) + tag("UDN", udn)
            + "  </device>\n</root>\n")


def xml_bomb(levels: int = 10) -> str:
    """A billion-laughs entity expansion document (harmless unless a parser expands entities)."""
    ents = ['<!ENTITY lol0 "lol">']
    ents += [f'<!ENTITY lol{i} "{f"&lol{i - 1};" * 10}">' for i in range(1, levels)]
    return ('<?xml version="1.0"?>\n<!DOCTYPE root [\n' + "\n".join(ents) + "\n]>\n"
            '<root xmlns="urn:schemas-upnp-org:device-1-0"><device>'
            f"<friendlyName>&lol{levels - 1};</friendlyName></device></root>\n")


def malformed_description() -> str:
    """A description that is not well-formed XML."""
    return ('<?xml version="1.0"?>\n<root><device><friendlyName>broken<modelName>x</device>'
            "<<<>>></root")


# -- the hostile mDNS reply ------------------------------------------------------------------
def _rr(name: tuple[bytes, ...], rtype: int, rdata: bytes) -> bytes:
    return pack_name(name) + struct.pack("!HHIH", rtype, 1, 120, len(rdata)) + rdata


def hostile_mdns_replies(qid: int, ip: str) -> list[bytes]:
    """Two hostile replies: ~60 KB with markup in names and TXT (236 TXT strings of 255 bytes),
    then one whose second record's name is a compression pointer to itself."""
    service = (b"_http", b"_tcp", b"local")
    instance = (b"<script>alert(1)</script>\x1b[31m", *service)
    target = (b"evil", b"local")
    txt = [b"md=<b>Pwn</b><img src=x onerror=alert(1)>", b"ty=\x00\x07bell" + b"A" * 200]
    txt += [b"k%03d=" % i + b"V" * 250 for i in range(234)]
    txt_rdata = b"".join(bytes([len(s)]) + s for s in txt)
    records = [
        _rr(SERVICES_ENUM, T_PTR, pack_name(service)),
        _rr(service, T_PTR, pack_name(instance)),
        _rr(instance, T_SRV, struct.pack("!HHH", 0, 0, 80) + pack_name(target)),
        _rr(target, T_A, socket.inet_aton(ip)),
        _rr(instance, T_TXT, txt_rdata),
    ]
    big = struct.pack("!HHHHHH", qid, 0x8400, 0, len(records), 0, 0) + b"".join(records)
    first = _rr(SERVICES_ENUM, T_PTR, pack_name((b"_loop", b"_tcp", b"local")))
    here = 12 + len(first)
    loop = struct.pack("!H", 0xC000 | here) + struct.pack("!HHIH", T_PTR, 1, 120, 2) + struct.pack(
        "!H", 0xC000 | here)
    looped = struct.pack("!HHHHHH", qid, 0x8400, 0, 2, 0, 0) + first + loop
    return [big, looped]


# -- servers (run with python -m) ------------------------------------------------------------
def _append(log: Path | None, line: str) -> None:
    if log is not None:
        with log.open("a", encoding="utf-8") as handle:
            handle.write(line + "\n")


def _http_server(ip: str, port: int, body: bytes, log: Path | None, huge: int = 0) -> ThreadingHTTPServer:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            _append(log, f"GET {self.path} from {self.client_address[0]}")
            self.send_response(200)
            self.send_header("Content-Type", 'text/xml; charset="utf-8"')
            if huge:
                self.end_headers()
                chunk = b"<x>" + b"A" * 65533
                sent = 0
                try:
                    while sent < huge:
                        self.wfile.write(chunk)
                        sent += len(chunk)
                except OSError:
                    pass
                return
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            return None

    server = ThreadingHTTPServer((ip, port), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def _multicast_socket(ip: str, group: str, port: int) -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("0.0.0.0", port))
    sock.setsockopt(socket.IPPROTO_IP, socket.IP_ADD_MEMBERSHIP,
                    socket.inet_aton(group) + socket.inet_aton(ip))
    return sock


def serve_ssdp(ip: str, description: Path, http_port: int, location: str | None, server: str,
               log: Path | None, huge: int = 0) -> None:
    """Answer M-SEARCH with LOCATION (default: our own description URL) and serve the description."""
    _http_server(ip, http_port, description.read_bytes(), log, huge)
    location = location or f"http://{ip}:{http_port}/description.xml"
    uuid = f"uuid:{random.Random(ip).getrandbits(128):032x}"
    sock = _multicast_socket(ip, SSDP_GROUP, SSDP_PORT)
    while True:
        data, peer = sock.recvfrom(4096)
        if not data.startswith(b"M-SEARCH") or b"ssdp:discover" not in data:
            continue
        _append(log, f"M-SEARCH from {peer[0]}")
        st = "upnp:rootdevice"
        for line in data.split(b"\r\n"):
            if line.upper().startswith(b"ST:"):
                st = line[3:].strip().decode("latin-1")
        targets = ["upnp:rootdevice", uuid] if st == "ssdp:all" else [st]
        time.sleep(random.uniform(0, 0.3))
        for each in targets:
            usn = uuid if each == uuid else f"{uuid}::{each}"
            reply = (f"HTTP/1.1 200 OK\r\nCACHE-CONTROL: max-age=1800\r\nEXT:\r\nLOCATION: {location}\r\n"
                     f"SERVER: {server}\r\nST: {each}\r\nUSN: {usn}\r\n\r\n")
            sock.sendto(reply.encode(), peer)


def serve_http(ip: str, port: int, log: Path) -> None:
    """Serve a small description to anyone and log every request."""
    body = device_description("urn:schemas-upnp-org:device:Basic:1", "outside", "Outside", "Outside")
    _http_server(ip, port, body.encode(), log)
    while True:
        time.sleep(3600)


def serve_hostile_mdns(ip: str) -> None:
    """Answer every query (multicast or unicast) with the hostile reply, to the asker."""
    sock = _multicast_socket(ip, MDNS_GROUP, MDNS_PORT)
    while True:
        data, peer = sock.recvfrom(9000)
        if len(data) < 12 or reply_id(data) is not None:
            continue
        qid = struct.unpack_from("!H", data)[0]
        for reply in hostile_mdns_replies(qid, ip):
            sock.sendto(reply, peer)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m netdiscover_lab.iot_responders")
    sub = parser.add_subparsers(dest="cmd", required=True)
    p_ssdp = sub.add_parser("ssdp", help="SSDP responder with a description server")
    p_ssdp.add_argument("--ip", required=True)
    p_ssdp.add_argument("--description", required=True, type=Path)
    p_ssdp.add_argument("--http-port", type=int, default=49152)
    p_ssdp.add_argument("--location")
    p_ssdp.add_argument("--server", default="Linux/6.1 UPnP/1.0 lab/1.0")
    p_ssdp.add_argument("--log", type=Path)
    p_ssdp.add_argument("--huge", type=int, default=0, help="stream this many bytes, no length")
    p_http = sub.add_parser("http", help="HTTP request recorder")
    p_http.add_argument("--ip", required=True)
    p_http.add_argument("--port", type=int, required=True)
    p_http.add_argument("--log", type=Path, required=True)
    p_mdns = sub.add_parser("mdns", help="hostile mDNS responder")
    p_mdns.add_argument("--ip", required=True)
    args = parser.parse_args(argv)
    try:
        if args.cmd == "ssdp":
            serve_ssdp(args.ip, args.description, args.http_port, args.location, args.server, args.log,
                       args.huge)
        elif args.cmd == "http":
            serve_http(args.ip, args.port, args.log)
        else:
            serve_hostile_mdns(args.ip)
    except KeyboardInterrupt:
        return 0
    except OSError as exc:
        print(f"iot_responders: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
