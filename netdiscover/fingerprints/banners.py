"""Banner evidence: what services and announcements say of themselves, read through Recog.

The strings a device gives without SNMP are matched against the vendored Recog databases:
nmap's service product/version and banner per port (SSH, FTP, telnet, HTTP, SIP, RTSP, PJL),
nmap script output when present (``http-title``, ``http-server-header``, ``ssl-cert``), the
SSDP ``SERVER`` header, mDNS ``_device-info`` TXT items (and the ``model`` item of other
services), a DHCP vendor class when a collector recorded one. Recog's params
become Evidence: ``hw.vendor`` the vendor (never ``service.vendor``: the maker of Apache or
OpenSSH is not the maker of the box), ``hw.product`` the model, ``hw.device`` the device class
(``recog/mapping.yaml``), ``os.family``/``os.product`` the OS; a printer's ``os.vendor`` is its maker
(printer firmware is the maker's own), any other ``os.vendor`` is not. A banner is a clue, not proof:
weights stay below SNMP rules and nmap OS classes.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any

from netdiscover.fingerprints import recog, rules
from netdiscover.fingerprints.model import Evidence
from netdiscover.fingerprints.vendors import short_vendor
from netdiscover.observation import Observation, Service
from netdiscover.vocabulary import DEVICE_CLASSES

SOURCE = "recog"
FACT_KEYS = ("nmap", "mdns", "ssdp", "dhcp")
MAPPING = Path(recog.__file__).with_name("mapping.yaml")
W_CLASS = 0.5
# a class read from os.device (what the OS usually runs on: Recog's "Cisco IOS" says Router for
# every IOS box, switches included) says less than one read from hw.device (the box itself)
OS_DEVICE_SCALE = 0.75
W_VENDOR = 0.45
W_MODEL = 0.45
W_OS = 0.45
W_OS_VERSION = 0.35
W_FIRMWARE_VENDOR = 0.35
MAX_SERVICES = 64
MAX_TEXTS = 48           # strings matched per device
MAX_TEXT = 512           # characters of one string looked at
_SSH_PREFIX = re.compile(r"^SSH-\d+(?:\.\d+)?-")
_FTP_PREFIX = re.compile(r"^\d{3}[ -]")
_HTTP_NAMES = frozenset({"http", "https", "http-proxy", "http-alt", "https-alt", "upnp", "ssl/http"})
_HTTP_PORTS = frozenset({80, 81, 443, 8000, 8008, 8080, 8081, 8088, 8443, 8888})
_X509_ORDER = (("commonName", "CN"), ("organizationalUnitName", "OU"), ("organizationName", "O"),
               ("localityName", "L"), ("stateOrProvinceName", "ST"), ("countryName", "C"))
_CLASSES = frozenset(DEVICE_CLASSES) - {"unknown"}
_OWN_FIRMWARE = frozenset({"printer", "multifunction device"})


@lru_cache(maxsize=1)
def _mapping_data() -> dict[str, Any]:
    with MAPPING.open(encoding="utf-8") as handle:
        return rules.load_yaml(handle) or {}


def _class_table(section: str) -> dict[str, str]:
    table = {str(k).casefold(): str(v) for k, v in (_mapping_data().get(section) or {}).items()}
    unknown = sorted(set(table.values()) - _CLASSES)
    if unknown:
        raise ValueError(f"{MAPPING.name}: unknown device class {unknown[0]!r} in {section}")
    return table


@lru_cache(maxsize=1)
def mapping() -> tuple[dict[str, str], dict[str, tuple[str, str]]]:
    """(Recog device word -> our class, Recog OS family [``vendor/family``] -> (os_family, os_name))."""
    families = {str(k).casefold(): (str(v[0]), str(v[1]))
                for k, v in (_mapping_data().get("os_families") or {}).items()}
    return _class_table("device_classes"), families


# device words that in a product description name a form factor ("8-port GE, Desktop") rather than a class
_FORM_FACTORS = frozenset({"desktop"})


@lru_cache(maxsize=1)
def _class_phrases() -> tuple[re.Pattern[str], dict[str, str]]:
    table = {k: v for k, v in {**mapping()[0], **product_classes()}.items() if k not in _FORM_FACTORS}
    # longest first, so "security appliance" is read before "appliance"
    words = sorted(table, key=lambda w: (-len(w), w))
    alternatives = "|".join(re.escape(w) for w in words)
    pattern = re.compile(r"(?<![\w-])(" + alternatives + r")(?![\w-])", re.IGNORECASE)
    return pattern, table


def class_words(text: Any) -> set[str]:
    """The classes a product description names in plain words ("Load Balancer ADC", "Network Camera",
    "Wireless LAN Controller"): the device words of the Recog mapping, read in any text."""
    if not isinstance(text, str) or not text:
        return set()
    pattern, table = _class_phrases()
    return {table[found.casefold()] for found in pattern.findall(text[:MAX_TEXT])}


@lru_cache(maxsize=1)
def product_classes() -> dict[str, str]:
    """Recog product name -> our class, where the product says more than its device word."""
    return _class_table("product_classes")


def _clip(value: Any) -> str | None:
    if not isinstance(value, str):
        return None
    text = value.strip()
    return text[:MAX_TEXT] if text else None


def _first_line(value: Any) -> str | None:
    text = _clip(value)
    return _clip(text.splitlines()[0]) if text else None


def _joined(*parts: Any, sep: str = " ") -> str | None:
    texts = [p for p in (_clip(x) for x in parts) if p]
    return sep.join(texts) if len(texts) == len(parts) else None


def _service_texts(service: Service) -> Iterator[tuple[str, str, str]]:
    """(database, text, where) for one nmap service."""
    name = (service.name or "").lower() if isinstance(service.name, str) else ""
    port = service.port if isinstance(service.port, int) else -1
    product, version, banner = service.product, service.version, service.banner
    where = f"port {port}"
    if name == "ssh" or port == 22:
        line = _first_line(banner)
        if line:
            yield "ssh_banners", _SSH_PREFIX.sub("", line), f"{where} ssh banner"
        for text in (_joined(product, version, sep="_"), _clip(product)):
            if text:
                yield "ssh_banners", text, f"{where} ssh product"
    elif name == "ftp" or port == 21:
        line = _first_line(banner)
        if line:
            yield "ftp_banners", _FTP_PREFIX.sub("", line), f"{where} ftp banner"
    elif name == "telnet" or port in (23, 2323):
        text = _clip(banner)
        if text:
            yield "telnet_banners", text, f"{where} telnet banner"
    elif name.startswith("sip") or port in (5060, 5061):
        for text in (_joined(product, version, sep="/"), _joined(product, version), _clip(product),
                     _first_line(banner)):
            if text:
                yield "sip_user_agents", text, f"{where} sip"
    elif name == "rtsp" or port in (554, 8554):
        for text in (_joined(product, version, sep="/"), _joined(product, version), _clip(product)):
            if text:
                yield "rtsp_servers", text, f"{where} rtsp server"
    elif name in ("jetdirect", "pjl") or port == 9100:
        for text in (_clip(product), _clip(service.extrainfo), _first_line(banner)):
            if text:
                yield "hp_pjl_id", text, f"{where} pjl id"
    elif name in _HTTP_NAMES or port in _HTTP_PORTS:
        for text in (_joined(product, version, sep="/"), _clip(product)):
            if text:
                yield "http_servers", text, f"{where} http server"


def _script_texts(scripts: Any) -> Iterator[tuple[str, str, str]]:
    """(database, text, where) from nmap script output kept in ``facts["nmap"]["scripts"]``."""
    if not isinstance(scripts, list):
        return
    for item in scripts[:MAX_SERVICES]:
        if not isinstance(item, Mapping):
            continue
        where = f"port {item.get('port')} {item.get('id')}"
        script = item.get("id")
        if script == "http-title":
            text = _clip(item.get("title"))
            if text:
                yield "html_title", text, where
                if "\xa0" in text:      # Recog's titles keep the page's own &nbsp;
                    yield "html_title", text.replace("\xa0", "&nbsp;"), where
        elif script == "http-server-header":
            text = _clip(item.get("server"))
            if text:
                yield "http_servers", text, where
        elif script == "ssl-cert":
            subject = item.get("subject")
            if isinstance(subject, Mapping):
                # RFC 4514 order as Recog writes it, commas in values escaped
                parts = [f"{short}={subject[key].replace(',', chr(92) + ',')}" for key, short in _X509_ORDER
                         if isinstance(subject.get(key), str) and subject[key]]
                if parts:
                    yield "x509_subjects", ",".join(parts)[:MAX_TEXT], where


def _mdns_texts(mdns: Any) -> Iterator[tuple[str, str, str]]:
    if not isinstance(mdns, Mapping):
        return
    records = mdns.get("records")
    for record in (records if isinstance(records, list) else [])[:MAX_TEXTS]:
        if not isinstance(record, Mapping) or not isinstance(record.get("txt"), Mapping):
            continue
        service = record.get("service")
        device_info = service == "_device-info._tcp"
        for key, value in list(record["txt"].items())[:16]:
            # other Apple services (_airplay, _raop...) carry the same model identifier
            if isinstance(key, str) and isinstance(value, str) and (device_info or key.lower() == "model"):
                yield "mdns_device-info_txt", f"{key}={value}"[:MAX_TEXT], f"mdns {service}"


def _fact_texts(facts: Mapping[str, Any]) -> list[Iterator[tuple[str, str, str]]]:
    found: list[Iterator[tuple[str, str, str]]] = []
    nmap = facts.get("nmap")
    if isinstance(nmap, Mapping) and nmap.get("scripts"):
        found.append(_script_texts(nmap["scripts"]))
    if facts.get("mdns"):
        found.append(_mdns_texts(facts["mdns"]))
    ssdp = facts.get("ssdp")
    if isinstance(ssdp, Mapping):
        server = _clip(ssdp.get("server"))
        if server:
            found.append(iter([("http_servers", server, "ssdp SERVER")]))
    dhcp = facts.get("dhcp")
    if isinstance(dhcp, Mapping):
        vendor_class = _clip(dhcp.get("vendor_class"))
        if vendor_class:
            found.append(iter([("dhcp_vendor_class", vendor_class, "dhcp vendor class")]))
    return found


def texts(observations: Sequence[Observation]) -> list[tuple[str, str, str]]:
    """Every (database, text, where) worth matching for one device, deduplicated and bounded."""
    out: dict[tuple[str, str], str] = {}
    for obs in observations:
        services = obs.services if isinstance(obs.services, list) else ()
        # a port nmap could not identify says nothing: skip it before any string work
        found = [_service_texts(s) for s in services[:MAX_SERVICES]
                 if s.__class__ is Service and (s.product or s.banner or s.extrainfo)]
        if obs.facts and isinstance(obs.facts, Mapping):
            found.extend(_fact_texts(obs.facts))
        for items in found:
            for db, text, where in items:
                if len(out) >= MAX_TEXTS:
                    return [(d, t, w) for (d, t), w in out.items()]
                out.setdefault((db, text), where)
    return [(d, t, w) for (d, t), w in out.items()]


def _certainty(params: Mapping[str, str], key: str) -> float:
    try:
        value = float(params.get(key, "1"))
    except ValueError:
        return 1.0
    return min(1.0, max(0.1, value)) if value == value else 1.0


def params_evidence(params: Mapping[str, str], rule: str, matched: str, scale: float = 1.0) -> list[Evidence]:
    """Evidence from one Recog match's params (``scale`` lowers the weights of weak databases)."""
    classes, families = mapping()
    hw = scale * _certainty(params, "hw.certainty")
    os_scale = scale * _certainty(params, "os.certainty")
    out: list[Evidence] = []
    device = params.get("hw.device") or params.get("os.device") or ""
    vendor = short_vendor(params.get("hw.vendor"))
    if vendor:
        out.append(Evidence(SOURCE, rule, "vendor", vendor, round(W_VENDOR * hw, 3), matched))
    elif device.casefold() in _OWN_FIRMWARE:
        # a printer's firmware is its maker's own: Recog names that maker as os.vendor only
        vendor = short_vendor(params.get("os.vendor"))
        if vendor:
            out.append(Evidence(SOURCE, rule, "vendor", vendor, round(W_FIRMWARE_VENDOR * hw, 3), matched))
    model = (params.get("hw.product") or "").strip()
    if model and len(model) <= 64:
        out.append(Evidence(SOURCE, rule, "model", model, round(W_MODEL * hw, 3), matched))
    products = product_classes()
    by_product = products.get((params.get("os.product") or "").casefold()) or products.get(model.casefold())
    klass = by_product or classes.get(device.casefold())
    if klass:
        generic = not by_product and not params.get("hw.device")
        weight = W_CLASS * (os_scale * OS_DEVICE_SCALE if generic else hw)
        out.append(Evidence(SOURCE, rule, "device_class", klass, round(weight, 3), matched))
    os_vendor = (params.get("os.vendor") or "").casefold()
    for word in (params.get("os.family"), params.get("os.product")):
        if not word:
            continue
        family = families.get(f"{os_vendor}/{word.casefold()}") or families.get(word.casefold())
        if family:
            weight = round(W_OS * os_scale, 3)
            out.append(Evidence(SOURCE, rule, "os_family", family[0], weight, matched))
            out.append(Evidence(SOURCE, rule, "os_name", family[1], weight, matched))
            version = (params.get("os.version") or "").strip()
            if version and len(version) <= 32:
                out.append(Evidence(SOURCE, rule, "os_version", version, round(W_OS_VERSION * os_scale, 3),
                                    matched))
            break
    return out


# Databases whose strings say less about the box: a page title or a certificate can be copied.
_SCALE = {"html_title": 0.9, "x509_subjects": 0.9, "telnet_banners": 0.9}


@lru_cache(maxsize=32768)
def recog_hit(db: str, text: str) -> tuple[tuple[str, str, str, float], ...]:
    """(rule, field, value, weight) for one string of one database (memoised: banners repeat)."""
    hit = recog.match(db, text)
    if hit is None:
        return ()
    fingerprint, params = hit
    rule = f"{db}:{fingerprint.description[:60] or fingerprint.pattern[:60]}"
    return tuple((e.rule, e.field, e.value, e.weight)
                 for e in params_evidence(params, rule, "", _SCALE.get(db, 1.0)))


def evidence(observations: Sequence[Observation]) -> list[Evidence]:
    """Recog evidence for one device's banners and announcements."""
    found_texts = texts(observations)
    if not found_texts:
        return []
    out: list[Evidence] = []
    seen: set[tuple[str, str, str]] = set()
    for db, text, where in found_texts:
        found = recog_hit(db, text)
        if not found:
            continue
        matched = f"{where}: {text[:120]}"
        for rule, field, value, weight in found:
            key = (rule, field, value)
            if key not in seen:
                seen.add(key)
                out.append(Evidence(SOURCE, rule, field, value, weight, matched))
    return out
