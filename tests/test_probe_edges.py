"""Network and broadcast addresses of a CIDR target are never addressed by SNMP or nmap.

The rule lives in ``scope.parse_scope`` (``Scope.edges``); the sweep hands it to every scanner
as ``ScanContext.skip``. A single address ending in .0, given as a target, is still addressed.
SNMP is checked on the wire: UDP listeners on loopback addresses record who was asked.
"""

from __future__ import annotations

import socket
import threading
import time

import pytest
from netaddr import IPSet

from netdiscover.scanners.base import ScanContext
from netdiscover.scanners.nmap.scanner import plan
from netdiscover.scope import parse_scope
from netdiscover.services.sweeps import SweepRequest, collect


def addresses(ipset: IPSet) -> set[str]:
    return {str(ip) for ip in ipset}


@pytest.mark.parametrize(("targets", "edges"), [
    (["10.1.2.0/24"], {"10.1.2.0", "10.1.2.255"}),
    (["10.1.2.0/30"], {"10.1.2.0", "10.1.2.3"}),
    (["10.1.2.0/31"], set()),                                  # point-to-point: both are hosts
    (["10.1.2.0/32"], set()),
    (["10.1.2.0"], set()),                                     # named explicitly
    (["10.1.2.0/24", "10.1.2.0"], {"10.1.2.255"}),             # the single IP wins over the CIDR edge
    (["10.1.2.0/24", "10.1.2.250-10.1.2.255"], {"10.1.2.0"}),  # so does a range
    (["10.1.0.0/23", "10.1.1.0/24"], {"10.1.0.0", "10.1.1.255"}),  # .1.0 is a host of the /23
    (["10.1.2.0/24", "10.1.3.0/24"], {"10.1.2.0", "10.1.2.255", "10.1.3.0", "10.1.3.255"}),
    (["10.1.2.0-10.1.2.255"], set()),
    (["2001:db8::/120"], set()),                               # IPv6 has no broadcast address
])
def test_edges_of_cidr_targets(targets, edges):
    scope = parse_scope(targets)
    assert addresses(scope.edges) == edges
    assert addresses(scope.probe_ipset()) == addresses(scope.ipset) - edges


def test_excluded_edges_are_not_reported_and_the_scope_is_unchanged():
    scope = parse_scope(["10.1.2.0/24"], exclude=["10.1.2.255"])
    assert addresses(scope.edges) == {"10.1.2.0"}
    assert scope.ipset.size == 255 and scope.probe_ipset().size == 254


def nmap_targets(targets: list[str]) -> set[str]:
    scope = parse_scope(targets)
    _command, chunks, _parallel = plan(ScanContext(targets=scope.ipset, skip=scope.edges))
    return addresses(IPSet(cidr for _version, batch in chunks for cidr in batch))


def test_nmap_never_gets_the_edges_of_a_cidr():
    hosts = nmap_targets(["10.1.2.0/24"])
    assert len(hosts) == 254
    assert "10.1.2.0" not in hosts and "10.1.2.255" not in hosts and "10.1.2.1" in hosts


def test_nmap_gets_a_single_ip_ending_in_zero():
    assert nmap_targets(["10.1.2.0"]) == {"10.1.2.0"}
    assert "10.1.2.0" in nmap_targets(["10.1.2.0/24", "10.1.2.0"])


class Listeners:
    """UDP sockets on loopback addresses that record which of them received a datagram."""

    def __init__(self, ips: list[str]) -> None:
        self.asked: set[str] = set()
        self.socks = []
        first = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        first.bind((ips[0], 0))
        self.port = first.getsockname()[1]
        self.socks.append(first)
        for ip in ips[1:]:
            sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            sock.bind((ip, self.port))
            self.socks.append(sock)
        for sock in self.socks:
            sock.settimeout(0.2)
        self._stop = threading.Event()
        self._threads = [threading.Thread(target=self._listen, args=(s,), daemon=True) for s in self.socks]
        for thread in self._threads:
            thread.start()

    def _listen(self, sock: socket.socket) -> None:
        deadline = time.monotonic() + 60
        while not self._stop.is_set() and time.monotonic() < deadline:
            try:
                sock.recvfrom(4096)
            except TimeoutError:
                continue
            except OSError:
                return
            self.asked.add(sock.getsockname()[0])

    def close(self) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=2)
        for sock in self.socks:
            sock.close()


@pytest.fixture
def listeners():
    found = Listeners(["127.0.9.1", "127.0.9.0", "127.0.9.255", "127.0.9.128"])
    yield found
    found.close()


def snmp_sweep(targets: list[str], port: int) -> None:
    request = SweepRequest(targets=targets, methods=["snmp"], options={
        "snmp_port": port, "snmp_timeout": 0.2, "snmp_retries": 0, "snmp_depth": "basic"})
    _observations, outcomes = collect(parse_scope(targets), request)
    assert outcomes[0].status in ("done", "partial"), outcomes[0].messages


def test_snmp_sweep_of_a_slash24_never_asks_network_or_broadcast(listeners):
    snmp_sweep(["127.0.9.0/24"], listeners.port)
    time.sleep(0.3)
    assert {"127.0.9.1", "127.0.9.128"} <= listeners.asked, "the listeners must see ordinary targets"
    assert "127.0.9.0" not in listeners.asked
    assert "127.0.9.255" not in listeners.asked


def test_snmp_asks_a_single_ip_ending_in_zero(listeners):
    snmp_sweep(["127.0.9.0", "127.0.9.255"], listeners.port)
    time.sleep(0.3)
    assert listeners.asked == {"127.0.9.0", "127.0.9.255"}
