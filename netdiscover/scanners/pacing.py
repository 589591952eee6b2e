"""The one send-rate engine of the scanners that pace: a schedule of send slots ``1/rate`` apart.

``SendSchedule`` is the core and keeps no clock of its own: the caller says what time it is.
An event loop that must not block (the ARP engine) asks whether a slot is ``due``, sends, and
``take``s it; idle time is not banked beyond ``catch_up`` seconds (``settle``), so a late wake-up
is made up in a short burst but no longer window exceeds the rate. A sender that may wait
``claim``s the next slot and sleeps until it: ``ThreadPacer`` for threads (IoT exchanges share
one), ``await schedule.wait(loop)`` for asyncio (SNMP requests).

This is a rate of sends, not a bound on requests awaiting answers: SNMP's congestion window
(``snmp.client.Window``) limits those separately.
"""

from __future__ import annotations

import threading
import time
from typing import TYPE_CHECKING

if TYPE_CHECKING:        # asyncio costs an ARP sweep's start-up ~50 ms; only SNMP's wait() needs it
    import asyncio


class SendSchedule:
    """Send slots at most ``rate`` per second (None or <= 0: no limit)."""

    def __init__(self, rate: float | None, start: float, catch_up: float = 0.0) -> None:
        self.interval = 1.0 / rate if rate and rate > 0 else 0.0
        self.catch_up = catch_up
        self.next_slot = start

    def due(self, now: float) -> bool:
        """Whether a send may go out at ``now``."""
        return self.next_slot <= now

    def take(self) -> None:
        """Use the current slot (after a send)."""
        self.next_slot += self.interval

    def settle(self, now: float) -> None:
        """Forget idle time beyond ``catch_up`` seconds before ``now``."""
        if self.next_slot < now - self.catch_up:
            self.next_slot = now - self.catch_up

    def hold(self, until: float) -> None:
        """Send nothing before ``until`` (the transmit queue is full)."""
        self.next_slot = until

    def claim(self, now: float) -> float:
        """Take the next slot for a send that will wait for it; return the seconds to wait."""
        self.settle(now)
        delay = self.next_slot - now
        self.take()
        return max(0.0, delay)

    async def wait(self, loop: asyncio.AbstractEventLoop) -> None:
        """Sleep (in ``loop``) until this caller's slot."""
        if not self.interval:
            return
        delay = self.claim(loop.time())
        if delay > 0:
            import asyncio

            await asyncio.sleep(delay)


class ThreadPacer:
    """One ``SendSchedule`` shared by threads: ``wait()`` blocks until the caller's slot."""

    def __init__(self, rate: float) -> None:
        self.schedule = SendSchedule(rate, time.monotonic())
        self._lock = threading.Lock()

    def wait(self) -> None:
        with self._lock:
            delay = self.schedule.claim(time.monotonic())
        if delay > 0:
            time.sleep(delay)
