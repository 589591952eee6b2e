"""The central ingest without a broker: batches, closing messages, idempotence, poison messages
(SQLite and PostgreSQL)."""

from __future__ import annotations

import base64
import json
import zlib
from datetime import UTC, datetime, timedelta

import pytest
from in_session import in_session, sweep_state_of
from sqlalchemy import func, select

from netdiscover.observation import Observation
from netdiscover.services import sites as services_sites
from netdiscover.services.sites import add_site, record_sweep
from netdiscover.storage import sites as storage_sites
from netdiscover.storage.assets import list_assets
from netdiscover.storage.models import Asset, ObservationRecord, Scan
from netdiscover.workers import messages
from netdiscover.workers.ingest import Ingest, SweepBusy
from netdiscover.workers.messages import PoisonMessage

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def hosts(n: int, prefix: str = "10.1", at: datetime = T0) -> list[Observation]:
    return [Observation(method="arp", ip=f"{prefix}.{i // 250}.{i % 250 + 1}",
                        mac=f"00:00:00:00:{i // 256:02x}:{i % 256:02x}", seen_at=at) for i in range(n)]


@pytest.fixture
def sqlite_ingest(sqlite_url):
    from netdiscover.storage.engine import open_database

    sessions = open_database(sqlite_url)
    add_site(sessions, "paris")
    yield sessions, Ingest(sessions, fingerprinter=lambda _o: None)
    sessions.kw["bind"].dispose()


@pytest.fixture
def ingest(sessions):
    add_site(sessions, "paris")
    add_site(sessions, "lyon")
    return Ingest(sessions, fingerprinter=lambda _o: None)


def send(ingest, site, sweep, obs, outcome="complete", run="r1", size=100, scope=("10.1.0.0/16",),
         close=True):
    sent = list(messages.batches(site, sweep, obs, run=run, size=size))
    states = [ingest.handle(m) for m in sent]
    if close:
        coverage = {"arp": list(scope)} if outcome == "complete" else {}
        states.append(ingest.handle(messages.closing(site, sweep, outcome=outcome, batches=len(sent), run=run,
                                                     scope=scope, coverage=coverage, methods=["arp"])))
    return sent, states


def count_assets(sessions) -> int:
    with sessions() as s:
        return s.scalar(select(func.count()).select_from(Asset))


def test_batches_then_close_reconcile_once(sessions, ingest):
    record_sweep(sessions, "paris", "sw-1", ["10.1.0.0/16"], ["arp"])
    sent, states = send(ingest, "paris", "sw-1", hosts(250))
    assert states == ["stored"] * 3 + ["closed"]
    assert count_assets(sessions) == 250
    state = sweep_state_of(sessions, "sw-1")
    assert (state.state, state.outcome, state.counts["new"]) == ("reconciled", "complete", 250)
    # every message again (a broker redelivering): nothing changes, nothing doubles
    assert [ingest.handle(m) for m in sent] == ["duplicate"] * 3
    again = messages.closing("paris", "sw-1", outcome="complete", batches=3, run="r1")
    assert ingest.handle(again) == "duplicate"
    assert count_assets(sessions) == 250
    with sessions() as s:
        assert s.scalar(select(func.count()).select_from(Scan)) == 1
        assert {a.site for a in list_assets(s)} == {"paris"}


def test_close_before_the_last_batch_waits_for_it(sessions, ingest):
    sent = list(messages.batches("paris", "sw-2", hosts(30), run="r1", size=10))
    ingest.handle(sent[0])
    ingest.handle(messages.closing("paris", "sw-2", outcome="complete", batches=3, run="r1",
                                   scope=["10.1.0.0/16"]))
    assert count_assets(sessions) == 0 and sweep_state_of(sessions, "sw-2").state == "closed"
    ingest.handle(sent[2])
    assert count_assets(sessions) == 0
    ingest.handle(sent[1])
    assert count_assets(sessions) == 30 and sweep_state_of(sessions, "sw-2").state == "reconciled"


def test_only_the_closing_run_counts(sessions, ingest):
    """A collector died after two batches; the redelivered sweep ran again under a new run."""
    send(ingest, "paris", "sw-3", hosts(20, at=T0), run="dead", size=10, close=False)
    send(ingest, "paris", "sw-3", hosts(5, at=T0), run="again", size=10)
    assert count_assets(sessions) == 5


def test_disappearance_only_after_a_complete_sweep(sessions, ingest):
    now = datetime.now(UTC)
    send(ingest, "paris", "a", hosts(10, at=now - timedelta(hours=5)))
    for i, outcome in enumerate(("partial", "partial", "aborted")):
        send(ingest, "paris", f"p{i}", hosts(2), outcome=outcome)
    with sessions() as s:
        assert all(a.present and a.missed_sweeps == 0 for a in list_assets(s))
    send(ingest, "paris", "c1", hosts(2))
    send(ingest, "paris", "c2", hosts(2))
    with sessions() as s:
        assert sum(not a.present for a in list_assets(s)) == 8
    assert sweep_state_of(sessions, "p2").counts is None        # aborted: nothing written


def test_same_range_at_two_sites_through_the_ingest(sessions, ingest):
    send(ingest, "paris", "s-paris", hosts(50))
    send(ingest, "lyon", "s-lyon", [Observation(method="nmap", ip=o.ip, seen_at=T0) for o in hosts(50)])
    with sessions() as s:
        sites = [a.site for a in list_assets(s)]
    assert sorted(set(sites)) == ["lyon", "paris"] and len(sites) == 100


def _packed(obj) -> str:
    return base64.b64encode(zlib.compress(json.dumps(obj).encode())).decode()


@pytest.mark.parametrize("mutate, why", [
    (lambda m: "not a dict", "not a message object"),
    (lambda m: {**m, "site": "atlantis"}, "unknown site"),
    (lambda m: {**m, "site": "../etc"}, "bad site"),
    (lambda m: {**m, "count": 99}, "holds"),
    (lambda m: {**m, "data": "!!!"}, "not compressed base64"),
    (lambda m: {**m, "data": "A" * (messages.MAX_WIRE + 4)}, "larger than"),
    (lambda m: {**m, "data": base64.b64encode(zlib.compress(b"[" + b" " * (messages.MAX_JSON + 10)
                                                           + b"]")).decode()}, "inflates past"),
    (lambda m: {**m, "count": 1, "data": _packed([{"method": "arp", "bogus": 1}])}, "bad observation"),
    (lambda m: {**m, "count": 1, "data": _packed([{"method": "arp", "ip": "10.1.0.1", "seen_at": "x"}])},
     "bad observation"),
    (lambda m: {**m, "kind": "launch"}, "unknown message kind"),
    (lambda m: {**m, "v": 99}, "version"),
])
def test_poison_messages_are_refused_with_a_reason(sqlite_ingest, mutate, why):
    sessions, ingest = sqlite_ingest
    good = messages.encode_batch("paris", "sw-p", 0, hosts(3), run="r1")
    with pytest.raises(PoisonMessage, match=why):
        ingest.handle(mutate(good))
    assert count_assets(sessions) == 0


def test_a_bad_closing_message_is_poison(sessions, ingest):
    close = messages.closing("paris", "sw-x", outcome="complete", batches=0, run="r1")
    for bad in ({**close, "outcome": "finished"}, {**close, "batches": -1}, {**close, "scope": "10.0.0.0/8"},
                {**close, "coverage": {"arp": [1]}}):
        with pytest.raises(PoisonMessage):
            ingest.handle(bad)
    ingest.handle(messages.closing("lyon", "sw-y", outcome="complete", batches=0, run="r1"))
    with pytest.raises(PoisonMessage, match="belongs to site lyon"):
        ingest.handle(messages.closing("paris", "sw-y", outcome="complete", batches=0, run="r1"))


class Died(BaseException):
    """A worker dying in the middle of a reconciliation (nothing of it is committed)."""


def _die_reconciling(monkeypatch) -> None:
    def die(*_a, **_k):
        raise Died()
    monkeypatch.setattr(services_sites, "reconcile_claimed", die)


def test_a_dead_workers_claim_is_taken_over(sessions, ingest, monkeypatch):
    """SQLite: a claim is held for its lease (the redelivered message is retried, not dropped);
    PostgreSQL: the dead worker's guard went with it, so the claim is taken over at once."""
    sent = list(messages.batches("paris", "sw-l", hosts(10), run="r1"))
    ingest.handle(sent[0])
    close = messages.closing("paris", "sw-l", outcome="complete", batches=1, run="r1", scope=["10.1.0.0/16"])
    with monkeypatch.context() as m:
        _die_reconciling(m)
        with pytest.raises(Died):
            ingest.handle(close)
    assert sweep_state_of(sessions, "sw-l").state == "reconciling" and count_assets(sessions) == 0
    other = Ingest(sessions, fingerprinter=lambda _o: None, lease_s=3600)
    if sessions.kw["bind"].dialect.name == "sqlite":
        with pytest.raises(SweepBusy) as busy:
            other.handle(close)                           # the redelivered message: looked at again later
        assert 3500 < busy.value.retry_in <= 3600
        other.lease_s = 0
    assert other.handle(close) == "duplicate"             # its first delivery had closed the sweep
    assert count_assets(sessions) == 10 and sweep_state_of(sessions, "sw-l").state == "reconciled"
    with sessions() as s:
        assert s.scalar(select(func.count()).select_from(ObservationRecord)) == 10


@pytest.mark.postgres
def test_a_live_workers_sweep_is_retried_not_dropped(pg_url):
    """While a live worker holds the sweep's guard, a message that would reconcile it raises
    SweepBusy (the task publishes it again later); once the guard is free it reconciles."""
    import threading

    from netdiscover.storage.engine import open_database

    sessions = open_database(pg_url)
    add_site(sessions, "paris")
    ingest = Ingest(sessions, fingerprinter=lambda _o: None)
    sent = list(messages.batches("paris", "sw-g", hosts(20), run="r1", size=10))
    close = messages.closing("paris", "sw-g", outcome="complete", batches=2, run="r1", scope=["10.1.0.0/16"])
    holding, release = threading.Event(), threading.Event()

    def live_worker() -> None:
        with storage_sites.reconcile_guard(sessions, "sw-g") as guard:
            assert guard == "held"
            holding.set()
            release.wait(30)

    thread = threading.Thread(target=live_worker)
    thread.start()
    try:
        assert holding.wait(10)
        assert [ingest.handle(m) for m in sent] == ["stored", "stored"]
        with pytest.raises(SweepBusy) as busy:
            ingest.handle(close)
        assert busy.value.retry_in == services_sites.GUARD_RETRY_S
        assert sweep_state_of(sessions, "sw-g").state == "closed" and count_assets(sessions) == 0
    finally:
        release.set()
        thread.join(10)
    assert ingest.handle(close) == "duplicate"
    assert sweep_state_of(sessions, "sw-g").state == "reconciled" and count_assets(sessions) == 20
    sessions.kw["bind"].dispose()


def test_a_claim_says_why_it_claimed_nothing(sessions, ingest):
    def why(sweep_id: str) -> str:
        return services_sites.claim_for_reconcile(sessions, sweep_id, 300).status

    assert why("nobody") == "unknown"
    record_sweep(sessions, "paris", "sw-w", ["10.1.0.0/16"], ["arp"])
    assert why("sw-w") == "open"
    sent = list(messages.batches("paris", "sw-w", hosts(20), run="r1", size=10))
    ingest.handle(sent[0])
    ingest.handle(messages.closing("paris", "sw-w", outcome="complete", batches=2, run="r1",
                                   scope=["10.1.0.0/16"]))
    assert why("sw-w") == "waiting"
    ingest.handle(sent[1])
    assert why("sw-w") == "reconciled"


def test_a_sweep_reconciles_from_its_decoded_batches_or_the_stored_ones(sessions, ingest):
    """Batches this worker decoded are not decoded again; those another worker stored are read
    back: the reconciliation sees the same observations either way, in batch order."""
    obs = hosts(30)
    sent = list(messages.batches("paris", "sw-d", obs, run="r1", size=10))
    other = Ingest(sessions, fingerprinter=lambda _o: None)
    ingest.handle(sent[0])
    other.handle(sent[1])                      # stored by another worker: not in ours
    ingest.handle(sent[2])
    assert sorted(ingest.decoded.of("sw-d", "r1")) == [0, 2]
    memo = ingest.decoded.of("sw-d", "r1")
    with_memo = in_session(sessions, services_sites.observations, "sw-d", "r1", memo)
    assert [o.to_dict() for o in with_memo] == [o.to_dict() for o in obs]
    assert [o.to_dict() for o in in_session(sessions, services_sites.observations, "sw-d", "r1")] == \
        [o.to_dict() for o in obs]
    ingest.handle(messages.closing("paris", "sw-d", outcome="complete", batches=3, run="r1",
                                   scope=["10.1.0.0/16"]))
    assert count_assets(sessions) == 30 and ingest.decoded.of("sw-d", "r1") == {}


def test_decoded_batches_keep_at_most_their_limit():
    from netdiscover.workers.ingest import DecodedBatches

    memo = DecodedBatches(limit=25)
    memo.add("a", "r", 0, hosts(10))
    memo.add("a", "r", 1, hosts(10))
    memo.add("b", "r", 0, hosts(10))          # 30 > 25: sweep a (the oldest) goes
    assert memo.of("a", "r") == {} and list(memo.of("b", "r")) == [0]
    memo.add("c", "r", 0, hosts(30))          # larger than the limit: not kept
    assert memo.of("c", "r") == {} and list(memo.of("b", "r")) == [0]


def test_batch_observations_travel_without_empty_fields_and_come_back_whole():
    from netdiscover.observation import Interface, Service, Software

    rich = Observation(method="snmp", ip="10.1.0.9", mac="00:11:22:33:44:55", hostname="sw1", rtt_ms=0.0,
                       seen_at=T0,
                       interfaces=[Interface(name="eth0", mac="00:11:22:33:44:56", ips=["10.1.0.10"])],
                       services=[Service(port=22, cpe=["cpe:/a:openbsd:openssh"])],
                       software=[Software(name="x", version="1")], flags=["proxy_arp"],
                       facts={"sysDescr": "switch", "nested": {"a": [1, 2]}})
    plain = hosts(1)[0]
    assert messages.wire_dict(plain) == {"method": "arp", "ip": plain.ip, "mac": plain.mac, "kind": "host",
                                         "seen_at": T0.isoformat()}
    assert messages.wire_dict(rich)["rtt_ms"] == 0.0          # a zero is a value, not an empty field
    msg = messages.encode_batch("paris", "sw-w", 0, [rich, plain])
    _head, _packed, back = messages.check_batch(msg)
    assert [o.to_dict() for o in back] == [rich.to_dict(), plain.to_dict()]
    # the full to_dict form (collectors before this encoding) is still read
    raw = json.dumps([rich.to_dict(), plain.to_dict()]).encode()
    legacy = {**msg, "data": base64.b64encode(zlib.compress(raw)).decode()}
    assert [o.to_dict() for o in messages.check_batch(legacy)[2]] == [rich.to_dict(), plain.to_dict()]
