"""The SNMP scanner against misbehaving agents on loopback addresses (no root needed).

Each agent from ``netdiscover_lab.snmp_bad_agent`` answers in one wrong way; the sweep must
finish, keep what is sane and report the rest.
"""

from __future__ import annotations

import asyncio
import json
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from netaddr import IPSet

from netdiscover.credentials import communities
from netdiscover.scanners.base import ScanContext
from netdiscover.scanners.snmp import scanner as snmp

AGENTS = {"127.0.0.21": "malformed", "127.0.0.22": "loop", "127.0.0.23": "huge-table",
          "127.0.0.24": "big-sysdescr", "127.0.0.25": "wrong-types", "127.0.0.26": "stall",
          "127.0.0.27": "gen-err"}
COMMUNITY = "bad-agents-ro"


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind(("127.0.0.21", 0))
        return sock.getsockname()[1]


@contextmanager
def agent_process(agents: list[str], seconds: int) -> Iterator[str | None]:
    """Run the misbehaving agents (``mode@ip:port`` each); yields None once they answer, else
    why they did not start. The process is stopped on the way out, whatever happened."""
    cmd = [sys.executable, "-m", "netdiscover_lab.snmp_bad_agent", "--community", COMMUNITY,
           "--seconds", str(seconds)]
    for agent in agents:
        cmd += ["--agent", agent]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        ready = proc.stdout.readline().strip() == "ready"
        yield None if ready else proc.stderr.read()[:300]
    finally:
        proc.terminate()
        proc.wait(timeout=10)


@pytest.fixture(scope="module")
def bad_agents():
    port = free_port()
    with agent_process([f"{mode}@{ip}:{port}" for ip, mode in AGENTS.items()], seconds=120) as failed:
        if failed is not None:
            pytest.fail(f"bad agents did not start: {failed}")
        yield port


@pytest.fixture(scope="module")
def outcome(bad_agents):
    ctx = ScanContext(targets=IPSet(["127.0.0.16/28"]), credentials=communities([COMMUNITY]),
                      options={"snmp_port": bad_agents, "snmp_timeout": 0.3, "snmp_walk_timeout": 0.5,
                               "snmp_walk_retries": 1, "snmp_max_column_rows": 5000})
    started = time.monotonic()
    result = snmp.scan(ctx)
    result.stats["test_elapsed"] = time.monotonic() - started
    return result


def hosts(outcome) -> dict:
    return {o.ip: o for o in outcome.observations if o.kind == "host"}


def messages_for(outcome, ip: str) -> str:
    return "\n".join(m for m in outcome.messages if m.startswith(f"{ip}:"))


def test_sweep_finishes_in_bounded_time_and_reports_partial(outcome):
    assert outcome.status == "partial"
    assert outcome.stats["test_elapsed"] < 30
    assert outcome.stats["targets"] == 16
    assert set(hosts(outcome)) == set(AGENTS) - {"127.0.0.21"}


def test_malformed_agent_is_reported_not_stored(outcome):
    assert "127.0.0.21" not in hosts(outcome)
    assert "malformed reply" in messages_for(outcome, "127.0.0.21")


def test_looping_walk_is_detected(outcome):
    assert "non-increasing OID" in messages_for(outcome, "127.0.0.22")
    assert hosts(outcome)["127.0.0.22"].hostname == "loop"
    assert len(hosts(outcome)["127.0.0.22"].interfaces) <= 3


def test_huge_table_is_cut_at_the_row_cap(outcome):
    host = hosts(outcome)["127.0.0.23"]
    assert "cut at 5000 rows" in messages_for(outcome, "127.0.0.23")
    assert 4000 <= len(host.interfaces) <= 5000
    assert host.interfaces[0].name == "port-000001"
    assert outcome.stats["truncated_agents"] >= 1


def test_enormous_sysdescr_with_control_bytes_is_bounded_and_clean(outcome):
    host = hosts(outcome)["127.0.0.24"]
    descr = host.facts["snmp"]["sysDescr"]
    assert 1000 < len(descr) <= 8192
    assert not any(ord(c) < 32 or 0x7F <= ord(c) <= 0x9F for c in descr)
    assert host.hostname == "evilname"
    json.dumps(host.to_dict())


def test_wrong_types_are_dropped_field_by_field(outcome):
    host = hosts(outcome)["127.0.0.25"]
    facts = host.facts["snmp"]
    assert facts["sysObjectID"] is None and facts["sysUpTime"] is None and facts["sysServices"] is None
    assert facts["sysDescr"] is None and host.hostname is None
    assert all(i.mac is None and i.name is None for i in host.interfaces)
    assert not [o for o in outcome.observations if o.reporter == "127.0.0.25"]


def test_agent_falling_silent_mid_walk_keeps_what_it_said(outcome):
    host = hosts(outcome)["127.0.0.26"]
    assert host.hostname == "stall" and host.facts["snmp"]["sysDescr"] == "stall agent"
    assert "stopped answering" in messages_for(outcome, "127.0.0.26")


def test_credential_is_a_label_and_the_secret_never_appears(outcome):
    assert {o.credential for o in hosts(outcome).values()} == {"v2c#1"}
    dumped = json.dumps([o.to_dict() for o in outcome.observations]) + json.dumps(outcome.messages)
    assert COMMUNITY not in dumped


def test_wrong_community_gets_nothing(bad_agents):
    ctx = ScanContext(targets=IPSet(["127.0.0.22/32"]), credentials=communities(["nope"]),
                      options={"snmp_port": bad_agents, "snmp_timeout": 0.2, "snmp_retries": 0})
    result = snmp.scan(ctx)
    assert result.observations == [] and result.stats["answered"] == 0


def test_bad_option_is_a_failed_outcome_not_an_exception():
    result = snmp.scan(ScanContext(targets=IPSet(["127.0.0.1/32"]), options={"snmp_depth": "deep"}))
    assert result.status == "failed" and "snmp_depth" in result.messages[0]


def test_packet_rate_is_kept(bad_agents):
    ctx = ScanContext(targets=IPSet(["127.0.0.16/28"]), credentials=communities(["nope"]), rate=20,
                      options={"snmp_port": bad_agents, "snmp_timeout": 0.2, "snmp_retries": 0})
    started = time.monotonic()
    result = snmp.scan(ctx)
    elapsed = time.monotonic() - started
    assert result.stats["requests_sent"] == 16
    assert elapsed >= 15 / 20


def test_scan_called_from_inside_an_event_loop(bad_agents):
    ctx = ScanContext(targets=IPSet(["127.0.0.22/32"]), credentials=communities([COMMUNITY]),
                      options={"snmp_port": bad_agents, "snmp_depth": "basic"})

    async def caller():
        return snmp.scan(ctx)

    result = asyncio.run(caller())
    assert [o.hostname for o in result.observations] == ["loop"]


def test_gen_err_on_one_oid_costs_only_that_oid(outcome):
    host = hosts(outcome)["127.0.0.27"]
    assert host.hostname == "gen-err" and host.snmp_engine_id is None
    assert host.facts["snmp"]["sysObjectID"] == "1.3.6.1.4.1.8072.3.2.10"
    assert not messages_for(outcome, "127.0.0.27")


def test_ipv6_agent_and_oversized_ipv6_block():
    port = free_port()
    with agent_process([f"loop@::1:{port}"], seconds=60) as failed:
        if failed is not None:
            pytest.skip(f"no IPv6 loopback here: {failed[:200]}")
        ctx = ScanContext(targets=IPSet(["::1/128", "fd00::/64"]), credentials=communities([COMMUNITY]),
                          options={"snmp_port": port, "snmp_depth": "system", "snmp_timeout": 0.5})
        result = snmp.scan(ctx)
    assert [(o.ip, o.hostname) for o in result.observations] == [("::1", "loop")]
    assert any(m.startswith("fd00::/64: IPv6 block too large") for m in result.messages)
    assert result.stats["targets"] == 1


def test_agent_slower_than_every_first_attempt_is_heard_on_the_second_pass():
    port = free_port()
    with agent_process([f"slow@127.0.0.28:{port}"], seconds=60) as failed:
        assert failed is None
        # 0.3 s then 0.6 s per attempt: the 0.75 s agent misses both, but its late answer is seen.
        ctx = ScanContext(targets=IPSet(["127.0.0.28/32"]), credentials=communities([COMMUNITY]),
                          options={"snmp_port": port, "snmp_depth": "basic", "snmp_timeout": 0.3,
                                   "snmp_retries": 1})
        result = snmp.scan(ctx)
    assert result.stats.get("second_pass") == 1
    assert [o.hostname for o in result.observations] == ["slow"]


def test_only_the_silent_address_that_answered_late_is_asked_again():
    port = free_port()
    with agent_process([f"slow@127.0.0.28:{port}"], seconds=60) as failed:
        assert failed is None
        # .29 and .30 have no agent: they never answer, not even late, so they are not asked again
        ctx = ScanContext(targets=IPSet(["127.0.0.28/32", "127.0.0.29/32", "127.0.0.30/32"]),
                          credentials=communities([COMMUNITY]),
                          options={"snmp_port": port, "snmp_depth": "basic", "snmp_timeout": 0.3,
                                   "snmp_retries": 1})
        result = snmp.scan(ctx)
    assert result.stats.get("second_pass") == 1
    assert [o.ip for o in result.observations] == ["127.0.0.28"]


def test_progress_counts_an_address_asked_again_once():
    port = free_port()
    reported: list[tuple[int, int]] = []
    with agent_process([f"slow@127.0.0.28:{port}"], seconds=60) as failed:
        assert failed is None
        # .28 is counted when first contact gives up on it; its second-pass answer is no new host
        ctx = ScanContext(targets=IPSet(["127.0.0.28/32", "127.0.0.29/32", "127.0.0.30/32"]),
                          credentials=communities([COMMUNITY]),
                          options={"snmp_port": port, "snmp_depth": "basic", "snmp_timeout": 0.3,
                                   "snmp_retries": 1},
                          progress=lambda done, total, _message: reported.append((done, total)))
        result = snmp.scan(ctx)
    assert result.stats.get("second_pass") == 1 and [o.ip for o in result.observations] == ["127.0.0.28"]
    assert reported[-1] == (3, 3)
    assert all(done <= total == 3 for done, total in reported), reported


def test_first_contact_runs_wide_and_hands_agents_to_a_narrow_interrogation(bad_agents, monkeypatch):
    """Addresses without an agent wait out their timeout in the first-contact pool
    (``snmp_contacts``) instead of holding one of the ``snmp_concurrency`` interrogations."""
    peaks = {"first_contact": [0, 0], "interrogate": [0, 0]}     # name -> [now, most at once]

    def counted(name):
        original = getattr(snmp, name)

        async def wrapper(*args, **kwargs):
            count = peaks[name]
            count[0] += 1
            count[1] = max(count[1], count[0])
            try:
                return await original(*args, **kwargs)
            finally:
                count[0] -= 1

        monkeypatch.setattr(snmp, name, wrapper)

    counted("first_contact")
    counted("interrogate")
    ctx = ScanContext(targets=IPSet(["127.0.0.16/28"]), credentials=communities([COMMUNITY]),
                      options={"snmp_port": bad_agents, "snmp_depth": "basic", "snmp_timeout": 0.3,
                               "snmp_concurrency": 1, "snmp_contacts": 8})
    result = snmp.scan(ctx)
    assert peaks["first_contact"][1] == 8
    assert peaks["interrogate"][1] == 1
    # the stalling agent (.26) may already have fallen silent for good in an earlier test
    assert {o.ip for o in result.observations} - {"127.0.0.26"} == set(AGENTS) - {"127.0.0.21", "127.0.0.26"}
    assert result.stats["targets"] == 16


def test_listed_addresses_are_all_swept_even_when_merged_into_blocks(bad_agents):
    listed = [f"127.0.0.{i}" for i in (20, 21, 22, 23, 24, 25, 27)]   # IPSet: .20/30, .24/31, .27/32
    ctx = ScanContext(targets=IPSet(listed), credentials=communities([COMMUNITY]),
                      options={"snmp_port": bad_agents, "snmp_depth": "basic", "snmp_timeout": 0.3})
    result = snmp.scan(ctx)
    assert result.stats["targets"] == 7
    assert {o.ip for o in result.observations} == set(AGENTS) - {"127.0.0.21", "127.0.0.26"}


def test_congestion_window_wakes_waiters_one_slot_at_a_time_in_order():
    from netdiscover.scanners.snmp.client import Window

    async def run() -> tuple[list[int], int, int]:
        window = Window(initial=8, minimum=8, maximum=8)
        order: list[int] = []
        most = 0

        async def one(i: int) -> None:
            nonlocal most
            await window.acquire()
            most = max(most, window.inflight)
            order.append(i)
            await asyncio.sleep(0)
            window.release(ok=True)

        await asyncio.gather(*(one(i) for i in range(100)))
        return order, most, window.inflight

    order, most, left = asyncio.run(run())
    assert order == list(range(100))     # first come, first served
    assert most == 8                     # never more in flight than the window
    assert left == 0


def test_congestion_window_slot_of_a_cancelled_waiter_is_not_lost():
    from netdiscover.scanners.snmp.client import Window

    async def run() -> int:
        window = Window(initial=8, minimum=8, maximum=8)
        for _ in range(8):
            await window.acquire()
        waiter = asyncio.ensure_future(window.acquire())
        later = asyncio.ensure_future(window.acquire())
        await asyncio.sleep(0)
        window.release(ok=True)          # hands the slot to ``waiter`` ...
        waiter.cancel()                  # ... which is cancelled before it runs: ``later`` gets it
        await asyncio.wait_for(later, 1)
        with pytest.raises(asyncio.CancelledError):
            await waiter
        return window.inflight

    assert asyncio.run(run()) == 8


def test_first_contacts_without_a_prompt_reply_step_out_of_the_window():
    """A host without an agent holds a window slot only while a prompt reply may come, not for its
    whole timeout: 20 first contacts to a silent address all go out through a window of 8, and
    none takes a slot of the window of agents that answered."""
    from netdiscover.scanners.snmp import ber
    from netdiscover.scanners.snmp.client import CommunityClient, SnmpTimeout

    port = free_port()
    credential = communities([COMMUNITY])[0]

    async def run() -> tuple[int, int, int, list]:
        client = CommunityClient(8, latency_target=0.1, max_contacts=8)
        tasks = [asyncio.ensure_future(client.request("127.0.0.29", port, credential, ber.GET, [(1, 3, 6, 1)],
                                                      timeout=5.0, retries=0, contact=True))
                 for _ in range(20)]
        for _ in range(200):                    # at most 4 s
            if client.sent == 20 and client.contacts.inflight == 0:
                break
            assert client.window.inflight == 0
            await asyncio.sleep(0.02)
        seen = (client.sent, client.contacts.inflight, sum(t.done() for t in tasks))
        client.close()
        return (*seen, await asyncio.gather(*tasks, return_exceptions=True))

    sent, inflight, done, outcomes = asyncio.run(run())
    assert (sent, inflight, done) == (20, 0, 0)
    assert all(isinstance(o, SnmpTimeout | asyncio.CancelledError) for o in outcomes)
