"""One agent, one credential: GETs and bounded GETBULK walks that survive a misbehaving agent.

An ``AgentSession`` carries the agent's budget: rows, bytes and wall-clock time. Walks of
independent table columns run concurrently (a few at a time), each with GETBULK (GETNEXT for
SNMPv1). A walk stops at the end of its column, at endOfMibView, at an OID that does not
increase (a loop), when a budget runs out, or when the agent stops answering; what was
collected so far is kept and the reason goes into ``problems``. After repeated failures the
agent is treated as gone and further requests fail at once instead of waiting out timeouts.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence
from dataclasses import dataclass, field

from netdiscover.credentials import SnmpCredential
from netdiscover.scanners.snmp import ber
from netdiscover.scanners.snmp.ber import EXCEPTIONS, Oid, oid_text
from netdiscover.scanners.snmp.client import (
    Reply,
    SnmpClient,
    SnmpErrorStatus,
    SnmpMalformed,
    SnmpTimeout,
    VarBinds,
)

GONE = "agent stopped answering"
NO_SUCH_NAME = 2
TOO_BIG = 1


class BudgetExceeded(Exception):
    """The agent's row, byte or time budget ran out."""


@dataclass
class Limits:
    """Per-request and per-agent bounds."""

    timeout: float = 1.0              # first contact (finding a working credential)
    retries: int = 1
    walk_timeout: float = 2.0         # once the agent has answered: more patience
    walk_retries: int = 1             # each retry waits twice as long as the attempt before
    max_repetitions: int = 50
    initial_repetitions: int = 10     # first GETBULK of a walk; grows 4x per reply up to the maximum
    max_rows: int = 50_000            # values kept per agent, all walks together
    max_column_rows: int = 20_000     # values per column walk
    max_bytes: int = 8 << 20          # bytes of replies per agent
    agent_seconds: float = 60.0       # wall-clock budget per agent
    column_concurrency: int = 8
    max_failures: int = 3             # consecutive failed requests before giving up on an agent


@dataclass
class AgentSession:
    """Requests to one agent with one credential, within that agent's budget."""

    client: SnmpClient
    ip: str
    credential: SnmpCredential
    limits: Limits
    port: int = 161
    rows: int = 0
    bytes: int = 0
    requests: int = 0
    failures: int = 0
    gone: bool = False
    truncated: bool = False
    problems: list[str] = field(default_factory=list)
    started: float = field(default_factory=time.monotonic)
    answered: bool = False
    _columns: asyncio.Semaphore | None = None

    # -- raw requests ---------------------------------------------------------------------
    def note(self, problem: str) -> None:
        if problem not in self.problems and len(self.problems) < 20:
            self.problems.append(problem)

    async def _request(self, pdu_type: int, oids: Sequence[Oid], max_repetitions: int = 0) -> Reply:
        if self.gone:
            raise SnmpTimeout(GONE)
        if time.monotonic() - self.started > self.limits.agent_seconds:
            raise BudgetExceeded(f"time budget of {self.limits.agent_seconds:g} s used up")
        if self.bytes > self.limits.max_bytes:
            raise BudgetExceeded(f"byte budget of {self.limits.max_bytes} used up")
        self.requests += 1
        if self.answered:
            timeout, retries = self.limits.walk_timeout, self.limits.walk_retries
        else:
            timeout, retries = self.limits.timeout, self.limits.retries
        try:
            reply = await self.client.request(self.ip, self.port, self.credential, pdu_type, oids,
                                              timeout, retries, 0, max_repetitions,
                                              contact=not self.answered)
        except (SnmpTimeout, SnmpMalformed) as exc:
            self.failures += 1
            if self.failures >= self.limits.max_failures and not self.gone:
                self.gone = True
                self.note(f"{exc}; {GONE} after {self.requests} requests, the rest is skipped")
            raise
        self.failures = 0
        self.answered = True
        self.bytes += reply.size or _estimate(reply.varbinds)
        return reply

    async def get(self, oids: Sequence[Oid]) -> dict[Oid, object]:
        """GET; returns only the OIDs that have a value.

        A varbind the agent names in an error (v1 noSuchName, a genErr on one OID) is dropped and
        the rest asked again, so one unsupported OID never costs the whole answer.
        """
        wanted = list(oids)
        for _ in range(len(wanted) + 1):
            if not wanted:
                return {}
            try:
                reply = await self._request(ber.GET, wanted)
            except SnmpErrorStatus as exc:
                if exc.status != TOO_BIG and 1 <= exc.index <= len(wanted):
                    del wanted[exc.index - 1]     # v1 noSuchName, or an agent choking on one OID
                    continue
                raise
            return {oid: value for oid, value in reply.varbinds if value not in EXCEPTIONS}
        return {}

    async def getnext(self, oids: Sequence[Oid]) -> VarBinds:
        """GETNEXT of several OIDs at once; a varbind named in an error (v1 end of MIB) is dropped."""
        wanted = list(oids)
        for _ in range(len(wanted) + 1):
            if not wanted:
                return []
            try:
                reply = await self._request(ber.GETNEXT, wanted)
            except SnmpErrorStatus as exc:
                if exc.status != TOO_BIG and 1 <= exc.index <= len(wanted):
                    del wanted[exc.index - 1]     # v1 noSuchName, or an agent choking on one OID
                    continue
                raise
            return [(oid, value) for oid, value in reply.varbinds if value not in EXCEPTIONS]
        return []

    async def bulk(self, oid: Oid, max_repetitions: int) -> VarBinds:
        """One GETBULK from ``oid``: the next ``max_repetitions`` values, whatever subtree they are in."""
        reply = await self._request(ber.GETBULK, [oid], max_repetitions=max_repetitions)
        return [(o, value) for o, value in reply.varbinds if value not in EXCEPTIONS]

    # -- walks ----------------------------------------------------------------------------
    async def walk(self, column: Oid, max_rows: int | None = None, sample: bool = False) -> dict[Oid, object]:
        """Every value under ``column``, keyed by the index (the OID suffix after ``column``).

        Never raises for agent trouble: stops and records why in ``problems``. With ``sample``,
        ``max_rows`` is a wanted sample size, not a cap worth reporting.
        """
        limit = min(max_rows or self.limits.max_column_rows, self.limits.max_column_rows)
        found: dict[Oid, object] = {}
        depth = len(column)
        last = column
        # Start small (most columns are short or absent, and an agent fills every repetition,
        # spilling into the next column), then grow while the column goes on.
        reps = min(self.limits.initial_repetitions, self.limits.max_repetitions)
        bulk = self.credential.version != "1"
        label = oid_text(column)
        try:
            while True:
                if len(found) >= limit:
                    if not sample:
                        self.truncated = True
                        self.note(f"walk of {label} cut at {limit} rows")
                    break
                if self.rows >= self.limits.max_rows:
                    self.truncated = True
                    self.note(f"row budget of {self.limits.max_rows} used up")
                    break
                try:
                    if bulk:
                        want = min(reps, limit - len(found)) if sample else reps
                        reply = await self._request(ber.GETBULK, [last], max_repetitions=max(1, want))
                    else:
                        reply = await self._request(ber.GETNEXT, [last])
                except SnmpTimeout:
                    # Some agents drop replies too big for them instead of saying tooBig.
                    if bulk and reps > 5 and found and not self.gone:
                        reps = max(5, reps // 4)
                        continue
                    raise
                except SnmpErrorStatus as exc:
                    if exc.status == TOO_BIG and bulk and reps > 1:
                        reps = max(1, reps // 2)
                        continue
                    if exc.status != NO_SUCH_NAME:
                        self.note(f"walk of {label}: {exc}")
                    break
                if not reply.varbinds:
                    break
                done = False
                for oid, value in reply.varbinds:
                    if value in EXCEPTIONS or oid[:depth] != column or len(oid) == depth:
                        done = True
                        break
                    if oid <= last:
                        self.note(f"walk of {label}: non-increasing OID {oid_text(oid)[:80]}")
                        done = True
                        break
                    found[oid[depth:]] = value
                    self.rows += 1
                    last = oid
                    if len(found) >= limit:
                        break
                if done:
                    break
                reps = min(self.limits.max_repetitions, reps * 4)
        except (SnmpTimeout, SnmpMalformed) as exc:
            if not self.gone:       # once gone, the one summary note says it all
                self.note(f"walk of {label} stopped: {exc}")
        except BudgetExceeded as exc:
            self.truncated = True
            self.note(str(exc))
        return found

    async def walk_columns(self, columns: Sequence[Oid], max_rows: int | None = None,
                           sample: bool = False) -> dict[Oid, dict[Oid, object]]:
        """Walk independent columns concurrently (bounded); result maps column -> {index: value}."""
        if self._columns is None:
            self._columns = asyncio.Semaphore(self.limits.column_concurrency)
        sem = self._columns

        async def one(column: Oid) -> dict[Oid, object]:
            async with sem:
                return await self.walk(column, max_rows, sample)

        results = await asyncio.gather(*(one(c) for c in columns))
        return dict(zip(columns, results, strict=True))


def _estimate(varbinds: VarBinds) -> int:
    """Approximate wire size of varbinds (for replies whose raw size is not known)."""
    size = 0
    for oid, value in varbinds:
        size += len(oid) + 4
        if isinstance(value, bytes | tuple):
            size += len(value) + 2
        else:
            size += 6
    return size
