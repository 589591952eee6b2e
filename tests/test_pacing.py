"""The shared send-rate engine: slots 1/rate apart, bounded catch-up, blocking and async waits."""

from __future__ import annotations

import asyncio
import threading
import time

import pytest

from netdiscover.scanners.pacing import SendSchedule, ThreadPacer


def test_claims_are_spaced_by_the_interval_and_idle_time_is_not_banked():
    schedule = SendSchedule(100, start=10.0)
    assert schedule.claim(10.0) == 0.0
    assert schedule.claim(10.0) == pytest.approx(0.01)
    assert schedule.claim(10.0) == pytest.approx(0.02)
    assert schedule.claim(50.0) == 0.0                      # long idle: no burst credit
    assert schedule.claim(50.0) == pytest.approx(0.01)


def test_no_rate_means_no_wait():
    for rate in (None, 0, -5):
        schedule = SendSchedule(rate, start=0.0)
        assert schedule.interval == 0.0
        assert [schedule.claim(1.0) for _ in range(5)] == [0.0] * 5


def test_a_non_blocking_sender_catches_up_at_most_the_catch_up_window():
    schedule = SendSchedule(1000, start=0.0, catch_up=0.05)
    schedule.settle(10.0)                                   # woke up late after a long idle
    sent = 0
    while schedule.due(10.0):
        schedule.take()
        sent += 1
    assert sent == 51                                       # 50 ms of credit plus the slot now
    schedule.settle(10.0)
    assert not schedule.due(10.0)
    schedule.hold(10.5)                                     # transmit queue full
    assert not schedule.due(10.4) and schedule.due(10.5)


def test_thread_pacer_holds_the_rate_across_threads():
    pacer = ThreadPacer(200)
    started = time.monotonic()
    workers = [threading.Thread(target=lambda: [pacer.wait() for _ in range(20)]) for _ in range(3)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    assert time.monotonic() - started >= 59 / 200 - 0.01   # 60 sends, the first one at once


def test_async_wait_holds_the_rate():
    async def send_all() -> float:
        loop = asyncio.get_running_loop()
        schedule = SendSchedule(100, start=0.0)
        started = loop.time()
        await asyncio.gather(*(schedule.wait(loop) for _ in range(21)))
        return loop.time() - started

    assert asyncio.run(send_all()) >= 0.2 - 0.01
