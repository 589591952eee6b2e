"""services.read_ahead: results in order, the next item read while the caller holds this one,
an early stop that waits for the read under way, errors passed on."""

from __future__ import annotations

import sys
import threading
import time

import pytest

from netdiscover.services.read_ahead import SWITCH_INTERVAL, read_ahead


def test_results_come_in_order():
    assert list(read_ahead(lambda n: n * n, range(7))) == [0, 1, 4, 9, 16, 25, 36]
    assert list(read_ahead(lambda n: n, [])) == []


def test_the_next_item_is_read_while_the_caller_holds_this_one():
    started = {n: threading.Event() for n in range(3)}

    def read(n: int) -> int:
        started[n].set()
        return n

    results = read_ahead(read, range(3))
    assert next(results) == 0
    assert started[1].wait(timeout=10)         # under way before the caller asks for it
    assert not started[2].is_set()             # and no further than one ahead
    assert list(results) == [1, 2]


def test_an_early_stop_waits_for_the_read_under_way():
    finished: list[int] = []

    def read(n: int) -> int:
        time.sleep(0.05)
        finished.append(n)
        return n

    results = read_ahead(read, range(10))
    assert next(results) == 0
    results.close()
    assert finished == [0, 1]                  # the read of 1 ended before close() returned; no more began


def test_a_failed_read_reaches_the_caller():
    def read(n: int) -> int:
        if n == 2:
            raise ValueError("bad batch")
        return n

    got = []
    with pytest.raises(ValueError, match="bad batch"):
        for n in read_ahead(read, range(5)):
            got.append(n)
    assert got == [0, 1]


def test_the_switch_interval_is_short_while_reading_and_restored_after():
    before = sys.getswitchinterval()
    seen = []
    for _ in read_ahead(lambda n: n, range(2)):
        seen.append(sys.getswitchinterval())
    assert seen == [min(before, SWITCH_INTERVAL)] * 2
    assert sys.getswitchinterval() == before


def test_off_the_thread_each_read_comes_when_asked_for():
    calls: list[int] = []

    def read(n: int) -> int:
        calls.append(n)
        return n

    results = read_ahead(read, range(3), on_thread=False)
    assert next(results) == 0 and calls == [0]
    assert list(results) == [1, 2] and calls == [0, 1, 2]


def test_overlapping_readers_keep_the_short_switch_interval_until_the_last_ends():
    before = sys.getswitchinterval()
    first, second = read_ahead(lambda n: n, range(3)), read_ahead(lambda n: n, range(3))
    assert next(first) == 0 and next(second) == 0
    assert sys.getswitchinterval() == SWITCH_INTERVAL
    assert list(first) == [1, 2]                       # the first ends while the second reads
    assert sys.getswitchinterval() == SWITCH_INTERVAL
    assert list(second) == [1, 2]
    assert sys.getswitchinterval() == before
