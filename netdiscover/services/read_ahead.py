"""Reading one batch ahead: the next batch of a long report is read on a worker thread while the
caller writes out the current one, so the database (a server, or SQLite's C code, both outside
the GIL while they work) and Python's encoding overlap instead of taking turns.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from typing import TypeVar

Item = TypeVar("Item")
Batch = TypeVar("Batch")

# A thread woken by its socket waits this long at most for the GIL held by the encoding thread
# (Python's default, 5 ms, would be paid on every round trip of every batch).
SWITCH_INTERVAL = 0.0005


@contextmanager
def _quick_switches() -> Iterator[None]:
    before = sys.getswitchinterval()
    if before > SWITCH_INTERVAL:
        sys.setswitchinterval(SWITCH_INTERVAL)
    try:
        yield
    finally:
        # (another reader that started meanwhile found the short interval and leaves it be)
        if before > SWITCH_INTERVAL and sys.getswitchinterval() == SWITCH_INTERVAL:
            sys.setswitchinterval(before)


def read_ahead(read: Callable[[Item], Batch], items: Iterable[Item],
               on_thread: bool = True) -> Iterator[Batch]:
    """``read(item)`` of each item, in order, each read while the previous result is being used
    (``on_thread`` False: each read when its result is asked for, on the caller's thread).

    ``read`` runs on one worker thread, one call at a time: whatever else uses its session while
    batches are being read must take turns with it (a lock both hold). When the caller stops
    early, the read under way is finished before this returns, so the session is free again.
    """
    if not on_thread:
        yield from map(read, items)
        return
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="read-ahead") as pool, _quick_switches():
        pending: Future[Batch] | None = None
        for item in items:
            following = pool.submit(read, item)
            if pending is not None:
                yield pending.result()
            pending = following
        if pending is not None:
            yield pending.result()
