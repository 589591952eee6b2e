"""Pausing Python's cyclic garbage collector while many acyclic objects are made.

Decoding a batch or reconciling a sweep allocates objects by the hundred thousand, none of them
in a reference cycle (reference counting frees them); left on, the cyclic collector walks every
object of the process again and again as they are allocated, and a worker that keeps decoded
batches for their reconciliation has many.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def gc_paused() -> Iterator[None]:
    """The cyclic collector off for the block (as it was before afterwards)."""
    collecting = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if collecting:
            gc.enable()
