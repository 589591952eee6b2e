"""Named fields of a few nmap script results, kept as fingerprint facts.

Only scripts whose output names a device are read: ``http-title`` (the page title),
``http-server-header`` (the Server header) and ``ssl-cert`` (the certificate subject). Every
value comes from the peer: each is bounded and cleaned, and the number of results is capped.
"""

from __future__ import annotations

from typing import Any
from xml.etree.ElementTree import Element

from netdiscover.observation import clean_text

MAX_SCRIPTS = 64          # results kept per host
_SUBJECT_KEYS = ("commonName", "organizationName", "organizationalUnitName", "localityName",
                 "stateOrProvinceName", "countryName")


def _elem(parent: Element, key: str | None = None) -> str | None:
    for elem in parent.findall("elem")[:32]:
        if elem.get("key") == key:
            return clean_text(elem.text, 512)
    return None


def script_result(port_number: int, script: Element) -> dict[str, Any] | None:
    """The facts of one ``<script>`` element of a port, or None when it is not one we read."""
    name = script.get("id")
    if name == "http-title":
        title = _elem(script, "title")
        return {"port": port_number, "id": name, "title": title} if title else None
    if name == "http-server-header":
        server = _elem(script) or clean_text(script.get("output"), 512)
        return {"port": port_number, "id": name, "server": server} if server else None
    if name == "ssl-cert":
        for table in script.findall("table")[:16]:
            if table.get("key") == "subject":
                subject = {k: v for k in _SUBJECT_KEYS if (v := _elem(table, k))}
                return {"port": port_number, "id": name, "subject": subject} if subject else None
    return None


def port_scripts(port_number: int, port: Element, out: list[dict[str, Any]]) -> None:
    """Append the readable script results of one ``<port>`` to ``out`` (up to MAX_SCRIPTS)."""
    for script in port.findall("script")[:32]:
        if len(out) >= MAX_SCRIPTS:
            return
        result = script_result(port_number, script)
        if result is not None:
            out.append(result)
