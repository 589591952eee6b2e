"""SSDP / UPnP as data: the M-SEARCH template, the reply matcher and parser, and the guarded
fetch and parse of a device description.

A reply's LOCATION is attacker-controlled: it is fetched only when it is a plain ``http`` URL
whose host is an IPv4 literal inside the targets (never a name to resolve, never a redirect),
read up to a size and time bound, and parsed with defusedxml with DTDs refused, so entity
bombs and external entities never expand.
"""

from __future__ import annotations

import http.client
import time
from typing import Any
from urllib.parse import urlsplit

from defusedxml import DefusedXmlException
from defusedxml import ElementTree as SafeET
from netaddr import AddrFormatError, IPAddress, IPSet

from netdiscover.observation import MAX_TEXT, clean_text

PORT = 1900
GROUP = "239.255.255.250"
MAX_REPLY = 8192                 # bytes of one M-SEARCH reply we look at
MAX_HEADERS = 32
MAX_LOCATIONS_PER_HOST = 2
MAX_DESCRIPTION = 256 * 1024     # bytes of a device description we accept
FETCH_SECONDS = 3.0
DEVICE_FIELDS = ("deviceType", "friendlyName", "manufacturer", "modelName", "modelNumber",
                 "serialNumber", "UDN")
USER_AGENT = "netdiscover/0.1 UPnP/1.1"


def build_msearch(search_target: str = "ssdp:all", mx: int = 1, host: str | None = None) -> bytes:
    """An M-SEARCH request: to the SSDP group, or (``host``) a unicast search of one device."""
    where = f"HOST: {host or GROUP}:{PORT}\r\n"
    wait = "" if host else f"MX: {mx}\r\n"
    return (f"M-SEARCH * HTTP/1.1\r\n{where}MAN: \"ssdp:discover\"\r\n{wait}"
            f"ST: {search_target}\r\nUSER-AGENT: {USER_AGENT}\r\n\r\n").encode()


def parse_reply(data: bytes) -> dict[str, str] | None:
    """The matcher and parser: headers (lower-cased names) of an M-SEARCH 200 reply, else None."""
    head = data[:MAX_REPLY]
    if head[:12].upper() not in (b"HTTP/1.1 200", b"HTTP/1.0 200"):
        return None
    headers: dict[str, str] = {}
    for line in head.split(b"\r\n")[1 : MAX_HEADERS + 1]:
        key, sep, value = line.partition(b":")
        if not sep:
            continue
        name = key.strip().lower().decode("latin-1")
        if name in ("location", "server", "st", "usn") and name not in headers:
            headers[name] = clean_text(value.strip(), 512) or ""
    return headers


def location_allowed(url: str, targets: IPSet) -> tuple[bool, str]:
    """Whether LOCATION may be fetched: http, an IPv4 literal host inside the targets, a sane port."""
    try:
        parts = urlsplit(url)
        port = parts.port or 80
    except ValueError:
        return False, "unparseable LOCATION"
    if parts.scheme.lower() != "http":
        return False, "LOCATION is not an http URL"
    host = parts.hostname or ""
    try:
        address = IPAddress(host, version=4, flags=0)
    except (AddrFormatError, ValueError, TypeError):
        return False, "LOCATION host is not an IPv4 address"
    if str(address) != host or address not in targets:
        return False, f"LOCATION host {host} is outside the targets"
    if not 0 < port < 65536:
        return False, "LOCATION port out of range"
    return True, ""


def fetch(url: str, limit: int = MAX_DESCRIPTION,
          seconds: float = FETCH_SECONDS) -> tuple[bytes | None, str | None]:
    """GET ``url`` (already checked) within ``seconds`` and ``limit`` bytes: (body, None) or (None, why)."""
    parts = urlsplit(url)
    path = parts.path or "/"
    if parts.query:
        path += "?" + parts.query
    deadline = time.monotonic() + seconds
    conn = http.client.HTTPConnection(parts.hostname, parts.port or 80, timeout=seconds)
    try:
        conn.request("GET", path, headers={"User-Agent": USER_AGENT, "Accept": "text/xml",
                                           "Connection": "close"})
        resp = conn.getresponse()
        if resp.status != 200:
            return None, f"description fetch answered HTTP {resp.status}"
        length = resp.getheader("Content-Length")
        if length and length.strip().isdigit() and int(length) > limit:
            return None, f"description too large ({int(length)} bytes > {limit})"
        body = bytearray()
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return None, "description fetch took too long"
            if conn.sock is not None:
                conn.sock.settimeout(remaining)
            chunk = resp.read1(min(65536, limit + 1 - len(body)))
            if not chunk:
                break
            body += chunk
            if len(body) > limit:
                return None, f"description too large (over {limit} bytes)"
        return bytes(body), None
    except (OSError, http.client.HTTPException, ValueError) as exc:
        return None, f"description fetch failed: {type(exc).__name__}"
    finally:
        conn.close()


def _local(tag: Any) -> str:
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def parse_description(body: bytes) -> tuple[dict[str, Any] | None, str | None]:
    """The root device's fields of a UPnP description: (fields, None) or (None, why refused)."""
    try:
        root = SafeET.fromstring(body, forbid_dtd=True)
    except DefusedXmlException as exc:
        return None, f"description refused: {type(exc).__name__} (DTD or entities)"
    except SafeET.ParseError as exc:
        return None, f"malformed description XML: {clean_text(str(exc), 120)}"
    except (ValueError, RecursionError) as exc:
        return None, f"malformed description XML: {type(exc).__name__}"
    device = next((child for child in root if _local(child.tag) == "device"), None)
    if device is None:
        return None, "description has no root device"
    fields: dict[str, Any] = {}
    embedded: list[str] = []
    for child in device:
        tag = _local(child.tag)
        if tag in DEVICE_FIELDS and tag not in fields:
            fields[tag] = clean_text(child.text, 256)
        elif tag == "deviceList":
            for sub in child.iter():
                if _local(sub.tag) == "deviceType" and len(embedded) < 16:
                    value = clean_text(sub.text, 256)
                    if value:
                        embedded.append(value)
    if embedded:
        fields["embedded"] = embedded
    return fields, None


class SsdpProbe:
    """SSDP for the shared UDP engine: one multicast M-SEARCH, replies grouped per host.

    With ``unicast`` set (targets beyond the local link, where multicast cannot reach), each
    swept address gets a unicast M-SEARCH instead (UPnP Device Architecture 1.1).
    """

    name = "ssdp"
    port = PORT
    group = GROUP
    min_quiet = 1.6            # replies come up to MX (1 s) after the search
    multicast_ttl = 1

    def __init__(self, unicast: bool = False) -> None:
        self.unicast = unicast
        self.replies: dict[str, dict[str, Any]] = {}
        self.notes: list[str] = []

    def multicast_probe(self) -> bytes:
        return build_msearch()

    def probe(self, ip: str) -> bytes | None:
        return build_msearch(host=ip) if self.unicast else None

    def answered(self, ip: str) -> bool:
        return ip in self.replies

    def handle(self, ip: str, data: bytes) -> list[bytes]:
        headers = parse_reply(data)
        if headers is None:
            return []
        entry = self.replies.setdefault(ip, {"locations": [], "server": None, "st": []})
        location = headers.get("location")
        if location and location not in entry["locations"] and \
                len(entry["locations"]) < MAX_LOCATIONS_PER_HOST:
            entry["locations"].append(location)
        if headers.get("server") and not entry["server"]:
            entry["server"] = clean_text(headers["server"], 256)
        st = headers.get("st")
        if st and st not in entry["st"] and len(entry["st"]) < 8:
            entry["st"].append(clean_text(st, 256))
        return []

    def describe(self, ip: str, targets: IPSet,
                 deadline: float | None = None) -> tuple[dict[str, Any], list[str]]:
        """The ``ssdp`` facts of one host: its replies plus its fetched description, and notes.

        Nothing is fetched once ``deadline`` (a ``time.monotonic()`` value) has passed.
        """
        entry = self.replies[ip]
        facts: dict[str, Any] = {"server": entry["server"], "st": entry["st"]}
        notes: list[str] = []
        for location in entry["locations"]:
            facts.setdefault("location", clean_text(location, MAX_TEXT))
            allowed, why = location_allowed(location, targets)
            if not allowed:
                notes.append(f"{ip}: not fetched: {why}")
                continue
            seconds = FETCH_SECONDS if deadline is None else min(FETCH_SECONDS, deadline - time.monotonic())
            if seconds <= 0.2:
                notes.append(f"{ip}: not fetched: description time budget spent")
                break
            body, why = fetch(location, seconds=seconds)
            if body is None:
                notes.append(f"{ip}: {why}")
                continue
            fields, why = parse_description(body)
            if fields is None:
                notes.append(f"{ip}: {why}")
                continue
            facts.update(fields)
            facts["location"] = clean_text(location, MAX_TEXT)
            break
        return facts, notes
