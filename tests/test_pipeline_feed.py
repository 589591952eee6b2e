"""The host feed that joins ARP to SNMP and nmap in one sweep, and what each prober asks from it.

Unit tests of the pieces: the feed itself (threads), the order methods run in, the nmap runs
planned from a feed, SNMP on loopback listeners fed by hand, and absence coverage of a prober
that asked only ARP's hosts. The lab test (test_pipeline_lab.py) checks the wire.
"""

from __future__ import annotations

import threading
import time

import pytest
from netaddr import IPSet

from netdiscover.credentials import communities
from netdiscover.reconcile.absence import coverage_of
from netdiscover.scanners.base import ScanContext, ScanOutcome
from netdiscover.scanners.feed import HostFeed, split_targets
from netdiscover.scanners.nmap.args import found_host_args
from netdiscover.scanners.nmap.scanner import jobs
from netdiscover.scanners.snmp import scanner as snmp
from netdiscover.services.sweeps import method_groups
from tests.test_probe_edges import Listeners


def test_a_reader_gets_each_host_once_in_order_then_none_when_closed():
    feed = HostFeed()
    feed.declare(IPSet(["10.0.0.0/24"]))
    reader = feed.reader()
    feed.publish("10.0.0.5")
    feed.publish("10.0.0.3")
    feed.publish("10.0.0.5")                    # a second reply is not a second host
    assert reader.take(0) == ["10.0.0.5", "10.0.0.3"]
    assert reader.take(0.05) == []              # nothing new in time
    feed.publish("10.0.0.9")
    feed.close(complete=True)
    feed.publish("10.0.0.10")                   # too late: ignored
    assert reader.take(0) == ["10.0.0.9"]
    assert reader.take(0) is None
    assert feed.complete and reader.leftover().size == 0


def test_every_reader_sees_every_host_even_when_it_starts_late():
    feed = HostFeed()
    feed.declare(IPSet(["10.0.0.0/30"]))
    first = feed.reader()
    feed.publish("10.0.0.1")
    assert first.take(0) == ["10.0.0.1"]
    late = feed.reader()
    assert late.take(0) == ["10.0.0.1"]


def test_take_wakes_up_when_another_thread_publishes():
    feed = HostFeed()
    feed.declare(IPSet(["10.0.0.0/24"]))
    reader = feed.reader()
    timer = threading.Timer(0.1, feed.publish, args=("10.0.0.7",))
    timer.start()
    began = time.monotonic()
    try:
        assert reader.take(5) == ["10.0.0.7"]
    finally:
        timer.cancel()
    assert time.monotonic() - began < 4


def test_segment_waits_for_arp_to_declare_it():
    feed = HostFeed()
    timer = threading.Timer(0.1, feed.declare, args=(IPSet(["10.0.0.0/28"]),))
    timer.start()
    try:
        assert feed.segment(5) == IPSet(["10.0.0.0/28"])
    finally:
        timer.cancel()


def test_no_segment_when_arp_ends_before_declaring_or_does_not_finish():
    never = HostFeed()
    never.close(complete=True)                  # ARP skipped: nothing on its segment
    assert never.segment(1).size == 0 and not never.complete

    broken = HostFeed()
    broken.declare(IPSet(["10.0.0.0/29"]))
    broken.close(complete=False)
    assert broken.segment(1).size == 0          # a prober starting now asks everything itself


def test_an_unfinished_arp_hands_back_what_it_did_not_find():
    feed = HostFeed()
    feed.declare(IPSet(["10.0.0.0/29"]))
    reader = feed.reader()
    feed.publish("10.0.0.2")
    assert reader.leftover().size == 0         # not closed yet: nothing to hand back
    feed.close(complete=False)
    assert reader.take(0) == ["10.0.0.2"]
    assert reader.take(0) is None
    assert reader.leftover() == IPSet(["10.0.0.0/29"]) - IPSet(["10.0.0.2"])


def test_split_targets_waits_only_for_the_prober_s_own_addresses_on_the_segment():
    probe = IPSet(["10.0.0.0/24", "10.9.0.0/24"])
    assert split_targets(probe, None) == (probe, None)
    feed = HostFeed()
    feed.declare(IPSet(["10.0.0.0/24"]))
    now, reader = split_targets(probe, feed)
    assert now == IPSet(["10.9.0.0/24"]) and reader is not None
    other = HostFeed()
    other.declare(IPSet(["10.5.0.0/24"]))
    assert split_targets(probe, other) == (probe, None)


@pytest.mark.parametrize(("methods", "groups"), [
    (["arp", "snmp", "nmap"], [["arp", "snmp", "nmap"]]),
    (["snmp", "arp"], [["arp", "snmp"]]),
    (["iot", "arp", "nmap", "passive"], [["iot"], ["arp", "nmap"], ["passive"]]),
    (["snmp", "nmap"], [["snmp"], ["nmap"]]),                  # no ARP: one after another
    (["arp", "iot"], [["arp"], ["iot"]]),
])
def test_arp_and_the_probers_it_feeds_run_together(methods, groups):
    assert method_groups(methods) == groups


class ScriptedReader:
    """A FeedReader stand-in: returns the scripted takes, then None."""

    def __init__(self, takes, leftover=()):
        self.takes = list(takes)
        self.left = IPSet(leftover)

    def take(self, timeout=None):
        return self.takes.pop(0) if self.takes else None

    def leftover(self):
        return self.left


def test_nmap_runs_found_hosts_in_groups_then_the_rest_then_arp_s_leftover():
    probe = IPSet(["10.0.0.0/24", "10.9.0.0/30"]) - IPSet(["10.0.0.255"])
    reader = ScriptedReader([["10.0.0.1", "10.0.0.2", "10.0.0.3"], ["10.0.0.255"], [], ["10.0.0.4"]],
                            leftover=["10.0.0.200/30"])
    planned = [job for job in jobs([(4, ["10.9.0.0/30"])], reader, probe, 2, idle=lambda: True) if job]
    assert planned == [
        (4, ["10.0.0.1", "10.0.0.2"], True),
        (4, ["10.0.0.3"], True),               # the feed went quiet and a run is free
        (4, ["10.0.0.4"], True),               # .255 is not the prober's (a CIDR edge)
        (4, ["10.9.0.0/30"], False),
        (4, ["10.0.0.200/31"], False),         # ARP did not finish: the rest with host discovery
        (4, ["10.0.0.202/31"], False),
    ]


def test_nmap_without_a_feed_runs_its_chunks_as_planned():
    assert list(jobs([(4, ["10.9.0.0/30"])], None, IPSet(), 64, idle=lambda: True)) == [
        (4, ["10.9.0.0/30"], False)]


def test_found_hosts_skip_nmap_host_discovery_unless_the_user_chose_it():
    assert found_host_args(["-p", "80", "-n"])[-1] == "-Pn"
    assert "-Pn" not in found_host_args(["-sn", "-n"])
    assert found_host_args(["-PS22", "-n"]) == ["-PS22", "-n"]


@pytest.fixture
def listeners():
    found = Listeners(["127.0.9.1", "127.0.9.2", "127.0.9.3", "127.0.10.1"])
    yield found
    found.close()


def test_snmp_asks_only_the_hosts_arp_found_on_its_segment(listeners):
    feed = HostFeed()
    feed.declare(IPSet(["127.0.9.0/29"]))
    ctx = ScanContext(targets=IPSet(["127.0.9.0/29", "127.0.10.1"]), credentials=communities(["public"]),
                      options={"snmp_port": listeners.port, "snmp_timeout": 0.2, "snmp_retries": 0,
                               "snmp_depth": "basic"}, feed=feed)
    box = {}
    thread = threading.Thread(target=lambda: box.setdefault("outcome", snmp.scan(ctx)))
    thread.start()
    time.sleep(0.3)
    feed.publish("127.0.9.2")
    time.sleep(0.3)
    feed.close(complete=True)
    thread.join(30)
    time.sleep(0.3)
    assert listeners.asked == {"127.0.9.2", "127.0.10.1"}   # not .1 or .3: ARP did not find them
    outcome = box["outcome"]
    assert outcome.status == "done"
    assert IPSet(outcome.stats["covered"]) == IPSet(["127.0.9.2", "127.0.10.1"])


def test_snmp_asks_the_whole_segment_when_arp_does_not_finish(listeners):
    feed = HostFeed()
    feed.declare(IPSet(["127.0.9.0/30"]))
    ctx = ScanContext(targets=IPSet(["127.0.9.1", "127.0.9.2", "127.0.9.3"]),
                      credentials=communities(["public"]),
                      options={"snmp_port": listeners.port, "snmp_timeout": 0.2, "snmp_retries": 0,
                               "snmp_depth": "basic"}, feed=feed)
    feed.publish("127.0.9.3")
    feed.close(complete=False)
    snmp.scan(ctx)
    time.sleep(0.3)
    assert listeners.asked == {"127.0.9.1", "127.0.9.2", "127.0.9.3"}


def test_a_prober_fed_by_arp_covers_only_what_it_asked():
    scope = IPSet(["10.0.0.0/24"])
    outcomes = [
        ScanOutcome(method="arp", stats={"covered": ["10.0.0.0/24"]}),
        ScanOutcome(method="nmap", stats={"covered": ["10.0.0.5/32"]}),
        ScanOutcome(method="snmp"),                              # not fed: the whole scope, as before
    ]
    coverage = coverage_of(outcomes, scope)
    assert coverage["nmap"] == IPSet(["10.0.0.5"])
    assert coverage["snmp"] == scope and coverage["arp"] == scope
    assert "nmap" not in coverage_of([ScanOutcome(method="nmap", stats={"covered": []})], scope)
