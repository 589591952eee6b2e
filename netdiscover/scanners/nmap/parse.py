"""Nmap XML -> Observations, host by host as nmap writes them (``NmapStream``) or from a whole
document (``parse_xml``).

The XML is parsed with defusedxml (no entities, no external references) and every string
in it is treated as hostile: banners, hostnames and service fields come from the peer, so each
goes through ``clean_text`` (bounded, control characters and escape sequences removed) and
lists are capped. Only hosts nmap reports as up become Observations; the scanner's own
addresses are dropped.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass, field
from typing import Any
from xml.etree.ElementTree import Element, TreeBuilder

from defusedxml import ElementTree as SafeET
from defusedxml.common import DefusedXmlException
from defusedxml.ElementTree import DefusedXMLParser

from netdiscover.observation import Observation, Service, clean_text, normalise_mac
from netdiscover.scanners.nmap.scripts import port_scripts

MAX_PORTS = 2048        # per host
MAX_CPES = 8            # per service or osclass
MAX_OSMATCH = 5
MAX_OSCLASS = 8
MAX_HOSTNAMES = 8
LOCAL_REASONS = {"localhost-response"}
# Characters XML 1.0 forbids, raw or as references: one in a banner must not lose the whole run.
_BAD_RAW = re.compile(rb"[\x00-\x08\x0b\x0c\x0e-\x1f]")
_BAD_REF = re.compile(rb"&#(?:x0*(?:[0-8bcef]|1[0-9a-f])|0*(?:[0-8]|1[1-2]|1[4-9]|2[0-9]|3[01]));", re.I)


class NmapXmlError(ValueError):
    """The nmap output is not readable XML (nmap died early, or the output was cut)."""


@dataclass
class ParsedRun:
    """Everything one nmap run reported."""

    observations: list[Observation] = field(default_factory=list)
    hosts_up: int = 0
    hosts_down: int = 0
    elapsed: float | None = None
    errors: list[str] = field(default_factory=list)
    dropped_local: list[str] = field(default_factory=list)


def _text(value: Any, limit: int = 255) -> str | None:
    return clean_text(value, limit)


def _int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _cpes(elem: Element) -> list[str]:
    out: list[str] = []
    for cpe in elem.findall("cpe")[:256]:
        text = _text(cpe.text, 255)
        if text and text not in out:
            out.append(text)
            if len(out) == MAX_CPES:
                break
    return out


def _service(port: Element) -> Service | None:
    state = port.find("state")
    if state is None or state.get("state") != "open":
        return None
    number = _int(port.get("portid"))
    if number is None or not 0 <= number <= 65535:
        return None
    svc = port.find("service")
    banner = None
    for script in port.findall("script"):
        if script.get("id") == "banner":
            banner = _text(script.get("output"), 1024)
    if svc is None:
        return Service(port=number, protocol=_text(port.get("protocol"), 8) or "tcp", banner=banner)
    return Service(
        port=number,
        protocol=_text(port.get("protocol"), 8) or "tcp",
        name=_text(svc.get("name"), 64),
        product=_text(svc.get("product")),
        version=_text(svc.get("version"), 128),
        extrainfo=_text(svc.get("extrainfo")),
        cpe=_cpes(svc),
        banner=banner,
    )


def _service_hints(ports: Element | None) -> list[dict[str, Any]]:
    hints: list[dict[str, Any]] = []
    if ports is None:
        return hints
    for port in ports.findall("port")[:MAX_PORTS]:
        svc = port.find("service")
        state = port.find("state")
        if svc is None or state is None or state.get("state") != "open":
            continue
        hint = {k: _text(svc.get(k), 64) for k in ("devicetype", "ostype", "hostname")}
        hint = {k: v for k, v in hint.items() if v}
        if hint:
            hints.append({"port": _int(port.get("portid")), **hint})
    return hints


def _osmatches(host: Element) -> list[dict[str, Any]]:
    os_elem = host.find("os")
    if os_elem is None:
        return []
    matches = []
    for match in os_elem.findall("osmatch")[:MAX_OSMATCH]:
        classes = []
        for cls in match.findall("osclass")[:MAX_OSCLASS]:
            classes.append({
                "vendor": _text(cls.get("vendor"), 128),
                "osfamily": _text(cls.get("osfamily"), 128),
                "osgen": _text(cls.get("osgen"), 64),
                "type": _text(cls.get("type"), 64),
                "accuracy": _int(cls.get("accuracy")),
                "cpe": _cpes(cls),
            })
        matches.append({"name": _text(match.get("name")), "accuracy": _int(match.get("accuracy")),
                        "osclass": classes})
    return matches


def _hostnames(host: Element) -> list[str]:
    names: list[str] = []
    for item in host.findall("hostnames/hostname")[: MAX_HOSTNAMES * 2]:
        name = _text(item.get("name"), 255)
        if name and name not in names:
            names.append(name)
    return names[:MAX_HOSTNAMES]


def host_observation(host: Element, local_ips: Collection[str] = ()) -> Observation | None:
    """One <host> element -> an Observation, or None (down, no address, or ourselves)."""
    status = host.find("status")
    state = status.get("state") if status is not None else None
    if state != "up":
        return None
    reason = status.get("reason") if status is not None else None
    ip = mac = vendor = None
    for addr in host.findall("address"):
        kind = addr.get("addrtype")
        if kind in ("ipv4", "ipv6") and ip is None:
            ip = _text(addr.get("addr"), 64)
        elif kind == "mac":
            mac = normalise_mac(addr.get("addr"))
            vendor = _text(addr.get("vendor"), 128)
    if ip is None and mac is None:
        return None
    if reason in LOCAL_REASONS or (ip is not None and ip in local_ips):
        return None
    ports = host.find("ports")
    services = []
    scripts: list[dict[str, Any]] = []
    if ports is not None:
        for port in ports.findall("port")[:MAX_PORTS]:
            svc = _service(port)
            if svc is not None:
                services.append(svc)
                port_scripts(svc.port, port, scripts)
    uptime = host.find("uptime")
    distance = host.find("distance")
    times = host.find("times")
    srtt = _int(times.get("srtt")) if times is not None else None
    facts: dict[str, Any] = {
        "state": _text(state, 32),
        "reason": _text(reason, 64),
        "mac_vendor": vendor,
        "osmatch": _osmatches(host),
        "uptime_seconds": _int(uptime.get("seconds")) if uptime is not None else None,
    }
    if distance is not None and _int(distance.get("value")) is not None:
        facts["distance"] = _int(distance.get("value"))
    hints = _service_hints(ports)
    if hints:
        facts["service_hints"] = hints
    if scripts:
        facts["scripts"] = scripts
    names = _hostnames(host)
    if len(names) > 1:
        facts["hostnames"] = names
    return Observation(
        method="nmap", ip=ip, mac=mac, hostname=names[0] if names else None,
        vendor_hint=vendor, services=services,
        rtt_ms=round(srtt / 1000, 3) if srtt and srtt > 0 else None,
        facts={"nmap": facts},
    )


class NmapStream:
    """One nmap ``-oX`` document parsed as it arrives, host by host.

    ``feed`` takes the bytes as nmap writes them; each ``<host>`` becomes an Observation (in
    ``run``) as soon as its end tag has arrived, and ``version`` is nmap's version once the root
    element has. ``close`` ends the document. Both raise NmapXmlError when the output is not a
    usable nmaprun document; what was parsed before the fault stays in ``run``.
    """

    def __init__(self, local_ips: Collection[str] = ()) -> None:
        self.run = ParsedRun()
        self.version: str | None = None
        self.local_ips = local_ips
        self._parser = DefusedXMLParser(target=_HostTarget(self))
        self._held = b""          # a character reference cut at the end of the last chunk
        self._fed = False

    def feed(self, data: bytes) -> None:
        if not data:
            return
        self._fed = True
        data = self._held + _BAD_RAW.sub(b"", data)
        cut = data.rfind(b"&")
        if cut != -1 and len(data) - cut < 16 and b";" not in data[cut:]:
            data, self._held = data[:cut], data[cut:]
        else:
            self._held = b""
        self._parse(self._parser.feed, _BAD_REF.sub(b"", data))

    def close(self) -> ParsedRun:
        if not self._fed:
            raise NmapXmlError("nmap produced no output")
        if self._held:
            self._parse(self._parser.feed, _BAD_REF.sub(b"", self._held))
            self._held = b""
        self._parse(self._parser.close)
        return self.run

    @staticmethod
    def _parse(step, *args: bytes) -> None:
        try:
            step(*args)
        except (SafeET.ParseError, DefusedXmlException) as exc:
            raise NmapXmlError(f"nmap output is not valid XML: {clean_text(str(exc), 200)}") from None

    def host(self, host: Element) -> None:
        obs = host_observation(host, self.local_ips)
        if obs is not None:
            self.run.observations.append(obs)
            return
        status = host.find("status")
        if status is not None and status.get("state") == "up":
            addr = host.find("address")
            self.run.dropped_local.append(_text(addr.get("addr"), 64) if addr is not None else "?")

    def runstats(self, tag: str, attrs: dict[str, str]) -> None:
        if tag == "hosts":
            self.run.hosts_up = _int(attrs.get("up")) or 0
            self.run.hosts_down = _int(attrs.get("down")) or 0
        elif tag == "finished":
            try:
                self.run.elapsed = float(attrs.get("elapsed") or "")
            except ValueError:
                self.run.elapsed = None
            if attrs.get("exit") == "error":
                self.run.errors.append(_text(attrs.get("errormsg"), 300) or "nmap reported an error")


class _HostTarget:
    """The parser's target: builds one ``<host>`` subtree at a time (then hands it over and lets
    it go), and reads the root's and the run statistics' attributes on the way."""

    def __init__(self, stream: NmapStream) -> None:
        self.stream = stream
        self.path: list[str] = []          # open elements outside any host
        self.host: TreeBuilder | None = None
        self.depth = 0                     # open elements inside the host being built

    def start(self, tag: str, attrs: dict[str, str]) -> None:
        if self.host is not None:
            self.depth += 1
            self.host.start(tag, attrs)
        elif tag == "host":
            self.host, self.depth = TreeBuilder(), 1
            self.host.start(tag, attrs)
        else:
            if not self.path:
                if tag != "nmaprun":
                    raise NmapXmlError("nmap output is not an nmaprun document")
                self.stream.version = _text(attrs.get("version"), 32)
            elif self.path[-1] == "runstats":
                self.stream.runstats(tag, attrs)
            self.path.append(tag)

    def end(self, tag: str) -> None:
        if self.host is None:
            self.path.pop()
            return
        self.host.end(tag)
        self.depth -= 1
        if self.depth == 0:
            host, self.host = self.host.close(), None
            self.stream.host(host)

    def data(self, text: str) -> None:
        if self.host is not None:
            self.host.data(text)

    def close(self) -> None:
        return None


def parse_xml(data: str | bytes, local_ips: Collection[str] = ()) -> ParsedRun:
    """Parse one whole nmap ``-oX`` document; raise NmapXmlError when it is not usable XML."""
    if isinstance(data, str):
        data = data.encode("utf-8", "replace")
    stream = NmapStream(local_ips)
    stream.feed(data)
    return stream.close()
