"""The host feed: ARP hands the hosts it finds to SNMP and nmap while the sweep is still running.

One sweep with ARP and a prober (SNMP, nmap) runs them side by side. The ARP scanner first
``declare``s the segment it will ask (the on-link targets), then ``publish``es each address as
its first reply arrives, and ``close``s the feed when it ends, saying whether it asked every
address of the segment. Each prober reads the feed through its own ``FeedReader``:

- an address inside the declared segment is probed only once ARP has found it;
- an address outside it is the prober's own business (SNMP asks it, nmap discovers it);
- when the feed closes incomplete (ARP failed, timed out or never started), the segment's
  addresses ARP did not find are handed back (``FeedReader.leftover``), so the prober asks
  them as it would have without the feed.

Thread-safe: the producer and every reader may run in different threads.
"""

from __future__ import annotations

import threading
import time

from netaddr import IPSet


class HostFeed:
    """Addresses found on the scanner's own segment, in the order they were found."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._found: list[str] = []
        self._seen: set[str] = set()
        self._segment: IPSet | None = None
        self._closed = False
        self._complete = False

    # -- the producer (ARP) -------------------------------------------------------------------
    def declare(self, segment: IPSet) -> None:
        """The addresses ARP is about to ask; only these wait for the feed (first call wins)."""
        with self._cond:
            if self._segment is None and not self._closed:
                self._segment = IPSet(segment)
                self._cond.notify_all()

    def publish(self, ip: str) -> None:
        """An address of the segment answered (repeats are ignored)."""
        with self._cond:
            if self._closed or ip in self._seen:
                return
            self._seen.add(ip)
            self._found.append(ip)
            self._cond.notify_all()

    def close(self, complete: bool) -> None:
        """ARP is over; ``complete`` when it asked every address of the declared segment."""
        with self._cond:
            if self._closed:
                return
            self._closed = True
            self._complete = complete and self._segment is not None
            self._cond.notify_all()

    # -- the readers (SNMP, nmap) -------------------------------------------------------------
    def segment(self, timeout: float | None = None) -> IPSet:
        """The declared segment; waits until ARP declares it or the feed closes (then empty)."""
        with self._cond:
            self._cond.wait_for(lambda: self._segment is not None or self._closed, timeout)
            if self._segment is None or (self._closed and not self._complete):
                return IPSet()
            return IPSet(self._segment)

    @property
    def closed(self) -> bool:
        with self._cond:
            return self._closed

    @property
    def complete(self) -> bool:
        """Closed, and ARP asked every address of the segment."""
        with self._cond:
            return self._closed and self._complete

    def reader(self) -> FeedReader:
        """A reader that sees every address published, from the first."""
        return FeedReader(self)


class FeedReader:
    """One prober's position in a HostFeed."""

    def __init__(self, feed: HostFeed) -> None:
        self.feed = feed
        self._next = 0

    def take(self, timeout: float | None = None) -> list[str] | None:
        """The addresses published since the last call, waiting up to ``timeout`` for one.

        Returns [] when nothing came in time, None once the feed is closed and everything
        published has been taken.
        """
        feed = self.feed
        deadline = None if timeout is None else time.monotonic() + timeout
        with feed._cond:
            while self._next >= len(feed._found) and not feed._closed:
                left = None if deadline is None else deadline - time.monotonic()
                if left is not None and left <= 0:
                    return []
                feed._cond.wait(left)
            if self._next < len(feed._found):
                new = feed._found[self._next:]
                self._next = len(feed._found)
                return new
            return None

    def leftover(self) -> IPSet:
        """After the feed closed incomplete: the segment's addresses ARP did not find (else empty)."""
        feed = self.feed
        with feed._cond:
            if not feed._closed or feed._complete or feed._segment is None:
                return IPSet()
            return feed._segment - IPSet(feed._found)


SEGMENT_WAIT = 30.0     # seconds a prober waits for ARP to say which segment it asks


def split_targets(probe: IPSet, feed: HostFeed | None, wait: float = SEGMENT_WAIT
                  ) -> tuple[IPSet, FeedReader | None]:
    """A prober's addresses split into those it asks at once, and a reader for those that wait
    for ARP (None when nothing waits: no feed, or no address of the prober on ARP's segment)."""
    if feed is None:
        return probe, None
    segment = feed.segment(wait) & probe
    if not segment:
        return probe, None
    return probe - segment, feed.reader()
