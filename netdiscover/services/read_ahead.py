"""Reading one batch ahead: the next batch of a long report is read on a worker thread while the
caller writes out the current one, so the database (a server, or SQLite's C code, both outside
the GIL while they work) and Python's encoding overlap instead of taking turns.
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from typing import TypeVar

Item = TypeVar("Item")
Batch = TypeVar("Batch")

# A thread woken by its socket waits this long at most for the GIL held by the encoding thread
# (Python's default, 5 ms, would be paid on every round trip of every batch).
SWITCH_INTERVAL = 0.0005


_readers = 0                 # read_ahead calls under way in this process (web requests overlap)
_restore_to = 0.0
_readers_lock = threading.Lock()


@contextmanager
def _quick_switches() -> Iterator[None]:
    """The short switch interval while any reader of this process reads ahead; the interval of
    before the first of them is put back when the last one ends."""
    global _readers, _restore_to
    with _readers_lock:
        if _readers == 0:
            _restore_to = sys.getswitchinterval()
            if _restore_to > SWITCH_INTERVAL:
                sys.setswitchinterval(SWITCH_INTERVAL)
        _readers += 1
    try:
        yield
    finally:
        with _readers_lock:
            _readers -= 1
            if _readers == 0 and _restore_to > SWITCH_INTERVAL:
                sys.setswitchinterval(_restore_to)


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
