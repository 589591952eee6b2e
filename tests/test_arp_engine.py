"""The probe engine's rules (tries, retries stop once answered, quiet end, pacing) on an in-memory link."""

from __future__ import annotations

import os
import time
from collections import Counter

from netdiscover.scanners.arp.engine import ProbeTiming, run_probes


class EchoLink:
    """Answers a key's frame on its ``answer_on``-th try; keys not listed never answer."""

    def __init__(self, answer_on: dict[int, int]) -> None:
        self.answer_on = answer_on
        self.tries: Counter[int] = Counter()
        self.sent_at: list[float] = []
        self.pending: list[bytes] = []
        self.error = None
        self._r, self._w = os.pipe()      # something pollable that is always quiet

    def fileno(self) -> int:
        return self._r

    def send(self, frame: bytes) -> None:
        key = int(frame)
        self.tries[key] += 1
        self.sent_at.append(time.monotonic())
        if self.answer_on.get(key) == self.tries[key]:
            self.pending.append(frame)

    def drain(self, limit: int = 4096) -> list[tuple[bytes, float]]:
        out, self.pending = [(f, time.monotonic()) for f in self.pending], []
        return out

    def kernel_drops(self) -> int:
        return 0

    def close(self) -> None:
        os.close(self._r)
        os.close(self._w)


def sweep(link: EchoLink, keys: list[int], **pacing: float) -> tuple[set[int], object]:
    answered: set[int] = set()

    def on_frame(frame: bytes, ts: float) -> bool:
        answered.add(int(frame))
        return True

    settings = {"rate": 5000, "retries": 2, "retry_after": 0.02, "quiet": 0.05, "deadline": 10.0, **pacing}
    stats = run_probes(link, keys, lambda k: str(k).encode(), on_frame, answered.__contains__,
                       ProbeTiming(**settings))
    return answered, stats


def test_silent_keys_get_every_try_and_answered_keys_stop():
    link = EchoLink({1: 1, 2: 2, 3: 3, 4: 4})       # key 4 would need a fourth try
    try:
        answered, stats = sweep(link, [1, 2, 3, 4, 5])
    finally:
        link.close()
    assert answered == {1, 2, 3}
    assert link.tries == Counter({1: 1, 2: 2, 3: 3, 4: 3, 5: 3})
    assert stats.sent == 12 and stats.retries_sent == 7 and not stats.timed_out


def test_no_retries_means_one_try():
    link = EchoLink({1: 2})
    try:
        answered, _ = sweep(link, [1, 2], retries=0)
    finally:
        link.close()
    assert answered == set() and link.tries == Counter({1: 1, 2: 1})


def test_rate_bounds_the_send_times():
    link = EchoLink({})
    try:
        _, stats = sweep(link, list(range(100)), rate=500, retries=0, quiet=0.01)
    finally:
        link.close()
    span = link.sent_at[-1] - link.sent_at[0]
    assert stats.sent == 100
    assert span >= 99 / 500 - 0.05          # at most a 50 ms catch-up burst after a late wake-up


def test_deadline_stops_a_sweep_that_would_run_long():
    link = EchoLink({})
    try:
        _, stats = sweep(link, list(range(1000)), rate=100, deadline=0.3)
    finally:
        link.close()
    assert stats.timed_out and stats.sent < 100 and stats.elapsed < 1.0


def test_third_tries_are_skipped_when_second_tries_found_nothing():
    # 20 live keys answer the first try; 200 silent keys: the second round rescues nobody
    link = EchoLink({k: 1 for k in range(20)})
    try:
        answered, stats = sweep(link, list(range(220)), rate=20000, retries=3)
    finally:
        link.close()
    assert answered == set(range(20))
    assert all(link.tries[k] == 2 for k in range(20, 220))
    assert stats.retries_sent == 200 and stats.retries_skipped == 400


def test_later_rounds_are_sent_while_retries_keep_finding_hosts():
    # a lossy segment: a third of the live keys need a second try, some a third, one a fourth
    answer_on = {k: 1 for k in range(20)} | {k: 2 for k in range(20, 30)} | {30: 3, 31: 3, 32: 4}
    link = EchoLink(answer_on)
    try:
        answered, stats = sweep(link, list(range(60)), rate=20000, retries=3)
    finally:
        link.close()
    assert answered == set(range(33))
    assert link.tries[32] == 4 and link.tries[59] == 4
    assert stats.retries_skipped == 0
