"""Real network services for lab hosts: web servers, SSH, a JetDirect printer port, an RTSP camera.

Each service speaks its protocol the way common devices do, so that nmap's version detection
names it from what it says on the wire: an HTTP server with a Server header and a page title,
an SSH server banner, PJL ``INFO ID`` answers on the raw printing port 9100, RTSP OPTIONS and
DESCRIBE like an IP camera. ``python -m netdiscover_lab.services --serve SPEC...`` runs them
in one asyncio process (start it inside a host namespace with ``Lab.start``);
``start_services`` does that and waits until every port listens. ``start_mosquitto`` runs the
Debian MQTT broker with its own configuration; ``start_snmpd`` a minimal read-only snmpd.

A SPEC is ``kind:port[:key=value,...]``, e.g. ``http:80:server=lighttpd/1.4.59,title=Printer``,
``ssh:22:banner=SSH-2.0-dropbear_2020.81``, ``jetdirect:9100:model=HP LaserJet 4250``,
``rtsp:554``, ``raw:7000:banner=...`` (sends a fixed banner). Banners take backslash escapes
(``\\x1b``) and ``pad=N`` appends N filler bytes, for hostile-output tests. Values cannot hold commas.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import email.utils
import html
import secrets
import shutil
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from netdiscover_lab.netns import Lab, LabError

MAX_REQUEST = 8192
IDLE_TIMEOUT = 30.0
MOSQUITTO = "/usr/sbin/mosquitto"
SNMPD = "/usr/sbin/snmpd"

DEFAULTS: dict[str, dict[str, str]] = {
    "http": {"server": "lighttpd/1.4.59", "title": "Device status"},
    "ssh": {"banner": "SSH-2.0-OpenSSH_8.4p1 Debian-5+deb11u3"},
    "jetdirect": {"model": "HP LaserJet 4250"},
    "rtsp": {"realm": "IP Camera"},
    "raw": {"banner": "hello"},
}


@dataclass
class ServiceSpec:
    """One listening service: its kind, TCP port and persona settings."""

    kind: str
    port: int
    settings: dict[str, str] = field(default_factory=dict)

    @classmethod
    def parse(cls, text: str) -> ServiceSpec:
        kind, _, rest = text.partition(":")
        port_text, _, opts = rest.partition(":")
        if kind not in DEFAULTS or not port_text.isdigit():
            raise ValueError(f"bad service spec {text!r}: want kind:port[:key=value,...]")
        settings = dict(DEFAULTS[kind])
        for item in filter(None, opts.split(",")):
            key, _, value = item.partition("=")
            settings[key] = value
        return cls(kind=kind, port=int(port_text), settings=settings)

    def render(self) -> str:
        opts = ",".join(f"{k}={v}" for k, v in self.settings.items() if DEFAULTS[self.kind].get(k) != v)
        return f"{self.kind}:{self.port}" + (f":{opts}" if opts else "")


# -- protocol handlers ----------------------------------------------------------------------

async def _read_head(reader: asyncio.StreamReader) -> bytes:
    """Read up to the blank line ending an HTTP/RTSP request head (bounded in size and time)."""
    data = b""
    while b"\r\n\r\n" not in data and b"\n\n" not in data and len(data) < MAX_REQUEST:
        chunk = await asyncio.wait_for(reader.read(1024), IDLE_TIMEOUT)
        if not chunk:
            break
        data += chunk
    return data


async def _http(spec: ServiceSpec, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    head = await _read_head(reader)
    if not head:
        return
    title = html.escape(spec.settings["title"])
    body = (f"<!DOCTYPE html>\n<html>\n<head>\n<title>{title}</title>\n</head>\n"
            f"<body><h1>{title}</h1></body>\n</html>\n").encode()
    version = "HTTP/1.0" if spec.settings["server"].startswith("Boa/") else "HTTP/1.1"
    lines = [f"{version} 200 OK", f"Date: {email.utils.formatdate(usegmt=True)}",
             f"Server: {spec.settings['server']}", "Content-Type: text/html; charset=utf-8",
             f"Content-Length: {len(body)}", "Connection: close", "", ""]
    writer.write("\r\n".join(lines).encode() + (b"" if head.startswith(b"HEAD ") else body))


def _banner(spec: ServiceSpec) -> bytes:
    """The configured banner with backslash escapes decoded, padded by ``pad`` filler bytes."""
    text = spec.settings["banner"].encode("latin-1", "replace").decode("unicode_escape")
    return text.encode("latin-1", "replace") + b"A" * min(int(spec.settings.get("pad", "0")), 1 << 20)


async def _ssh(spec: ServiceSpec, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    writer.write(_banner(spec) + b"\r\n")
    await writer.drain()
    with contextlib.suppress(asyncio.TimeoutError):
        await asyncio.wait_for(reader.read(256), 10)     # the client's banner; no key exchange


async def _jetdirect(spec: ServiceSpec, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """Raw printing: answer PJL INFO queries, swallow anything else as a print job."""
    received = 0
    buffer = b""
    while received < 1 << 20:
        chunk = await asyncio.wait_for(reader.read(4096), IDLE_TIMEOUT)
        if not chunk:
            return
        received += len(chunk)
        buffer = (buffer + chunk)[-MAX_REQUEST:]
        while b"\n" in buffer:
            line, _, buffer = buffer.partition(b"\n")
            command = line.strip().lstrip(b"\x1b%-12345X").strip().upper()
            if command == b"@PJL INFO ID":
                writer.write(f'@PJL INFO ID\r\n"{spec.settings["model"]}"\r\n\x0c'.encode())
            elif command == b"@PJL INFO STATUS":
                writer.write(b'@PJL INFO STATUS\r\nCODE=10001\r\nDISPLAY="Ready"\r\nONLINE=TRUE\r\n\x0c')
        await writer.drain()


async def _rtsp(spec: ServiceSpec, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """An IP camera's RTSP port: OPTIONS lists methods, DESCRIBE wants digest credentials."""
    for _ in range(16):
        head = await _read_head(reader)
        if not head:
            return
        lines = head.decode("latin-1").split("\r\n")
        method = lines[0].split(" ", 1)[0].upper()
        cseq = next((ln.split(":", 1)[1].strip() for ln in lines[1:] if ln.lower().startswith("cseq:")), None)
        echo = [f"CSeq: {cseq}"] if cseq else []
        if method == "OPTIONS":
            reply = ["RTSP/1.0 200 OK", *echo, "Public: OPTIONS, DESCRIBE, SETUP, PLAY, TEARDOWN, PAUSE"]
        elif method == "DESCRIBE":
            reply = ["RTSP/1.0 401 Unauthorized", *echo,
                     f'WWW-Authenticate: Digest realm="{spec.settings["realm"]}", '
                     f'nonce="{secrets.token_hex(16)}", stale="FALSE"']
        elif lines[0].endswith("RTSP/1.0"):
            reply = ["RTSP/1.0 405 Method Not Allowed", *echo]
        else:
            reply = ["RTSP/1.0 400 Bad Request", *echo]
        writer.write(("\r\n".join(reply) + "\r\n\r\n").encode())
        await writer.drain()


async def _raw(spec: ServiceSpec, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    writer.write(_banner(spec))


HANDLERS = {"http": _http, "ssh": _ssh, "jetdirect": _jetdirect, "rtsp": _rtsp, "raw": _raw}


async def serve(specs: Sequence[ServiceSpec], host: str | None = None) -> None:
    """Listen on every spec's port (all addresses, IPv4 and IPv6, by default) until cancelled."""

    def make(spec: ServiceSpec):
        async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            try:
                await HANDLERS[spec.kind](spec, reader, writer)
                await writer.drain()
            except (TimeoutError, ConnectionError, asyncio.IncompleteReadError):
                pass
            finally:
                writer.close()
                with contextlib.suppress(Exception):
                    await writer.wait_closed()
        return handle

    servers = [await asyncio.start_server(make(s), host, s.port, reuse_address=True) for s in specs]
    await asyncio.gather(*(srv.serve_forever() for srv in servers))


# -- starting things in a lab namespace ------------------------------------------------------

def _wait_tcp(lab: Lab, ns: str, ports: Sequence[int], proc: subprocess.Popen, timeout: float,
              log: Path | None = None) -> None:
    deadline = time.monotonic() + timeout
    wanted = {int(p) for p in ports}
    while True:
        out = lab.run(ns, ["ss", "-Htln"], check=False).stdout
        bound = {int(line.split()[3].rsplit(":", 1)[1]) for line in out.splitlines() if len(line.split()) > 3}
        if wanted <= bound:
            return
        if proc.poll() is not None:
            tail = log.read_text(errors="replace")[-300:] if log and log.exists() else ""
            raise LabError(f"service process exited early ({proc.returncode}): {tail}")
        if time.monotonic() > deadline:
            raise LabError(f"ports {sorted(wanted - bound)} not listening in {ns} after {timeout:.0f}s")
        time.sleep(0.1)


def start_services(lab: Lab, ns: str, specs: Sequence[str | ServiceSpec], log: Path | None = None,
                   timeout: float = 15) -> subprocess.Popen:
    """Run the given services inside ``ns`` (one process) and wait until all ports listen."""
    parsed = [s if isinstance(s, ServiceSpec) else ServiceSpec.parse(s) for s in specs]
    cmd = [sys.executable, "-m", "netdiscover_lab.services", "--serve", *(s.render() for s in parsed)]
    proc = lab.start(ns, cmd, log=log)
    _wait_tcp(lab, ns, [s.port for s in parsed], proc, timeout, log)
    return proc


def mosquitto_unavailable_reason() -> str | None:
    """Why the MQTT broker cannot be started here, or None when it can."""
    if not Path(MOSQUITTO).exists() and not shutil.which("mosquitto"):
        return "mosquitto is not installed (apt-get install mosquitto)"
    return None


def start_mosquitto(lab: Lab, ns: str, workdir: Path, port: int = 1883,
                    timeout: float = 15) -> subprocess.Popen:
    """Run Debian's mosquitto broker in ``ns`` with its own config (anonymous, no persistence)."""
    reason = mosquitto_unavailable_reason()
    if reason:
        raise LabError(reason)
    workdir = Path(workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    conf = workdir / "mosquitto.conf"
    conf.write_text(f"listener {port} 0.0.0.0\nallow_anonymous true\npersistence false\n"
                    "log_dest stdout\n")
    log = workdir / "mosquitto.log"
    binary = MOSQUITTO if Path(MOSQUITTO).exists() else shutil.which("mosquitto") or "mosquitto"
    proc = lab.start(ns, [binary, "-c", str(conf)], log=log)
    _wait_tcp(lab, ns, [port], proc, timeout, log)
    return proc


def start_snmpd(lab: Lab, ns: str, address: str, workdir: Path, community: str = "public",
                sys_descr: str = "Linux lab-device 6.1.0 x86_64", timeout: float = 15) -> subprocess.Popen:
    """Run Debian's snmpd in ``ns`` on ``address``:161/udp with a minimal read-only v2c config."""
    if not Path(SNMPD).exists():
        raise LabError("snmpd is not installed (apt-get install snmpd)")
    workdir = Path(workdir)
    (workdir / "state").mkdir(parents=True, exist_ok=True)
    conf = workdir / "snmpd.conf"
    conf.write_text(f"agentAddress udp:{address}:161\nrocommunity {community} default\n"
                    f"sysDescr {sys_descr}\nsysName lab-device\nsysServices 72\n")
    conf.chmod(0o600)
    log = workdir / "snmpd.log"
    env = {"SNMP_PERSISTENT_DIR": str(workdir / "state"), "MIBS": "", "MIBDIRS": "/nonexistent"}
    proc = lab.start(ns, [SNMPD, "-f", "-C", "-c", str(conf), "-Lf", str(log)], log=workdir / "snmpd.out",
                     env=env)
    deadline = time.monotonic() + timeout
    while f"{address}:161" not in lab.run(ns, ["ss", "-Hulnp"], check=False).stdout:
        if proc.poll() is not None or time.monotonic() > deadline:
            tail = log.read_text(errors="replace")[-300:] if log.exists() else ""
            raise LabError(f"snmpd did not start in {ns}: {tail}")
        time.sleep(0.1)
    return proc


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m netdiscover_lab.services",
                                     description="Serve lab device services (run inside a namespace).")
    parser.add_argument("--serve", nargs="+", required=True, metavar="SPEC", help="kind:port[:k=v,...]")
    parser.add_argument("--bind", default=None, help="address to listen on (default: all)")
    args = parser.parse_args(argv)
    try:
        specs = [ServiceSpec.parse(s) for s in args.serve]
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(serve(specs, args.bind))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
