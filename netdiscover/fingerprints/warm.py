"""Load the fingerprint sources' rules and tables ahead of need.

Each source loads its tables the first time it is asked (OUI registry, rule files, Recog
databases, the class model): up to a few hundred milliseconds that a sweep would otherwise pay
after its scanners finish. ``warm`` fingerprints made-up observations of the kinds a sweep will
bring, so a caller can pay that while it waits for the network. The results are thrown away.
"""

from __future__ import annotations

from collections.abc import Collection

from netdiscover.fingerprints import fingerprint
from netdiscover.observation import Observation, Service

# kind -> a made-up device that reaches the sources which that kind of observation feeds
SAMPLES: dict[str, list[Observation]] = {
    "mac": [Observation(method="arp", ip="192.0.2.10", mac="00:1b:78:00:00:10")],
    "ports": [Observation(
        method="nmap", ip="192.0.2.10", mac="00:1b:78:00:00:10",
        services=[Service(port=22, protocol="tcp", name="ssh"),
                  Service(port=9100, protocol="tcp", name="jetdirect")],
        facts={"nmap": {"osmatch": [{"name": "Linux 5.0 - 5.4", "accuracy": 95, "osclass": [
            {"vendor": "Linux", "osfamily": "Linux", "osgen": "5.X", "type": "general purpose",
             "accuracy": 95, "cpe": ["cpe:/o:linux:linux_kernel:5"]}]}]}},
    )],
    "banners": [Observation(
        method="nmap", ip="192.0.2.10",
        services=[Service(port=22, protocol="tcp", name="ssh", product="OpenSSH", version="9.2p1",
                          banner="SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3"),
                  Service(port=80, protocol="tcp", name="http", product="nginx", version="1.22.1")],
    )],
    "snmp": [Observation(
        method="snmp", ip="192.0.2.10",
        facts={"snmp": {"sysDescr": "Linux printer 5.10.0 #1 SMP armv7l",
                        "sysObjectID": "1.3.6.1.4.1.8072.3.2.10", "sysServices": 72}},
    )],
}


def warm(kinds: Collection[str] = tuple(SAMPLES)) -> None:
    """Fingerprint the samples of ``kinds`` (keys of ``SAMPLES``) once each."""
    for kind in kinds:
        if kind in SAMPLES:
            fingerprint(SAMPLES[kind])
