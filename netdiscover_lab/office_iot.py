"""What the office's devices announce: mDNS services, a UPnP TV, NetBIOS workstation names.

Each entry of ``ANNOUNCERS`` starts one real responder (avahi-daemon, the SSDP responder with
its HTTP description, Samba's nmbd) for a device role such as ``mdns:printer`` or ``ssdp:tv``.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from netdiscover_lab.iot_responders import (
    MdnsService,
    device_description,
    start_avahi,
    start_nmbd,
    start_ssdp,
)
from netdiscover_lab.netns import Host, Lab
from netdiscover_lab.office_topology import Device

MDNS_PROFILES: dict[str, tuple[str, list[MdnsService]]] = {
    "printer": ("prn-hq", [
        MdnsService("HP LaserJet M507 [20:00:60]", "_ipp._tcp", 631,
                    {"ty": "HP LaserJet M507", "usb_MFG": "HP", "usb_MDL": "LaserJet M507",
                     "product": "(HP LaserJet M507)", "rp": "ipp/print"}),
        MdnsService("HP LaserJet M507 [20:00:60]", "_pdl-datastream._tcp", 9100, {"ty": "HP LaserJet M507"}),
    ]),
    "googlecast": ("Chromecast-Lounge", [
        MdnsService("Chromecast-f4f5d8200112", "_googlecast._tcp", 8009,
                    {"md": "Chromecast", "fn": "Lounge TV", "id": "f4f5d8200112", "ve": "05"}),
    ]),
    "iphone": ("Johns-iPhone", [
        MdnsService("Johns-iPhone", "_apple-mobdev2._tcp", 32498, {}),
        MdnsService("Johns-iPhone", "_companion-link._tcp", 49152, {"rpVr": "510.2"}),
        MdnsService("Johns-iPhone", "_device-info._tcp", 0, {"model": "iPhone14,5"}),
    ]),
}


def _mdns(lab: Lab, host: Host, device: Device, profile: str, work: Path) -> None:
    hostname, services = MDNS_PROFILES[profile]
    start_avahi(lab, host, hostname, services, work / "avahi")


def _ssdp(lab: Lab, host: Host, device: Device, profile: str, work: Path) -> None:
    description = work / "description.xml"
    description.write_text(device_description(
        "urn:schemas-upnp-org:device:MediaRenderer:1", "[TV] Meeting Room", "Samsung Electronics",
        "UE55TU8000", model_number="UE55TU8000KXXU", serial="0AB43HBN600123X",
        udn="uuid:0ab43hbn-6001-23x0-8c71-f8200111aa01"))
    start_ssdp(lab, host, description, work, server="Samsung/Tizen 6.0 UPnP/1.0 SmartTV/1.0")


def _netbios(lab: Lab, host: Host, device: Device, name: str, work: Path) -> None:
    start_nmbd(lab, host, name, "OFFICE", work / "nmbd")


ANNOUNCERS: dict[str, Callable[[Lab, Host, Device, str, Path], None]] = {
    "mdns": _mdns,
    "ssdp": _ssdp,
    "netbios": _netbios,
}
