"""Load the fingerprint sources' rules and tables ahead of need.

Each source loads its tables the first time it is asked (OUI registry, Recog databases, rule
files, the class model): a few hundred milliseconds that a sweep would otherwise pay after its
scanners finish. ``warm`` fingerprints one made-up device whose observations reach the usual
sources (a vendor MAC, SSH and HTTP services with banners, nmap OS classes, SNMP system facts),
so a caller can pay that while it waits for the network. The result is thrown away.
"""

from __future__ import annotations

from netdiscover.fingerprints import fingerprint
from netdiscover.observation import Observation, Service

_SAMPLE = [
    Observation(
        method="nmap", ip="192.0.2.10", mac="00:1b:78:00:00:10",
        services=[
            Service(port=22, protocol="tcp", name="ssh", product="OpenSSH", version="9.2p1",
                    banner="SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3"),
            Service(port=80, protocol="tcp", name="http", product="nginx", version="1.22.1"),
            Service(port=9100, protocol="tcp", name="jetdirect"),
        ],
        facts={"nmap": {"osmatch": [{"name": "Linux 5.0 - 5.4", "accuracy": 95, "osclass": [
            {"vendor": "Linux", "osfamily": "Linux", "osgen": "5.X", "type": "general purpose",
             "accuracy": 95, "cpe": ["cpe:/o:linux:linux_kernel:5"]}]}]}},
    ),
    Observation(
        method="snmp", ip="192.0.2.10",
        facts={"snmp": {"sysDescr": "Linux printer 5.10.0 #1 SMP armv7l",
                        "sysObjectID": "1.3.6.1.4.1.8072.3.2.10", "sysServices": 72}},
    ),
]


def warm() -> None:
    """Fingerprint the sample device once, so that the sources' tables are loaded."""
    fingerprint(_SAMPLE)
