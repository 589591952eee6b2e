"""SNMP scanner: interrogate every agent in the targets, and harvest what routers and switches know.

One sweep shares one client (one UDP socket for v1/v2c, one pysnmp engine for v3) between two
stages. First contact asks every address for its system group, each credential in order until
one answers, up to ``snmp_contacts`` addresses at once (fewer while replies come slowly; see
``client.Window``): most addresses have no agent, so this stage mostly waits out timeouts and
costs little. Each agent that answers is handed to the
interrogation, ``snmp_concurrency`` agents at once, where the costly walks are. An agent
then yields one HOST observation (system group, engine ID, chassis serial, interfaces,
installed software, the agreed ``facts["snmp"]`` keys) and, at ``snmp_depth="full"``, the
router ARP cache as NEIGHBOUR observations, the bridge forwarding tables as LOCATION
observations and LLDP neighbours as NEIGHBOUR observations.

Options (``ctx.options``) and their defaults are in the package's ``DESCRIPTOR``; ``snmp_depth``
``system`` reads the fingerprint facts (system group, MIB probes, ENTITY chassis, ifType,
host-resources devices). ``ctx.rate`` caps v1/v2c packets per second. A misbehaving agent is
reported in ``messages`` and never stops the sweep.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from itertools import chain
from typing import Any

from netaddr import IPAddress, IPNetwork, IPSet

from netdiscover.credentials import SnmpCredential
from netdiscover.observation import HOST, Observation
from netdiscover.scanners.base import ScanContext, ScanOutcome
from netdiscover.scanners.feed import FeedReader, split_targets
from netdiscover.scanners.snmp import DEPTHS, DESCRIPTOR
from netdiscover.scanners.snmp import tables as t
from netdiscover.scanners.snmp.client import (
    SnmpClient,
    SnmpErrorStatus,
    SnmpMalformed,
    SnmpRejected,
    SnmpTimeout,
)
from netdiscover.scanners.snmp.walk import AgentSession, BudgetExceeded, Limits

NAME = DESCRIPTOR.name
MAX_V6_BLOCK = 65_536
MAX_MESSAGES = 200
FEED_POLL_S = 0.5          # longest wait on ARP's feed before looking again
DEFAULT_CREDENTIAL = SnmpCredential(version="2c", community="public", label="v2c:public-default")


@dataclass
class AgentResult:
    """What one agent gave (or why it gave nothing)."""

    ip: str
    observations: list[Observation] = field(default_factory=list)
    answered: bool = False
    problems: list[str] = field(default_factory=list)
    requests: int = 0
    truncated: bool = False


def scan(ctx: ScanContext) -> ScanOutcome:
    """Sweep ``ctx.targets`` with SNMP; see the module docstring for options."""
    started = time.monotonic()
    try:
        settings = _settings(ctx)
    except (ValueError, TypeError) as exc:
        return ScanOutcome(method=NAME, status="failed", messages=[f"bad SNMP option: {exc}"])
    outcome = _run(_sweep(ctx, **settings))
    outcome.stats["elapsed_s"] = round(time.monotonic() - started, 3)
    return outcome


def _settings(ctx: ScanContext) -> dict[str, Any]:
    opts = DESCRIPTOR.defaults() | (ctx.options or {})
    depth = str(opts["snmp_depth"])
    if depth not in DEPTHS:
        raise ValueError(f"snmp_depth must be one of {', '.join(DEPTHS)}, not {depth!r}")
    limits = Limits(
        timeout=float(ctx.timeout if ctx.timeout is not None else opts["snmp_timeout"]),
        retries=int(ctx.retries if ctx.retries is not None else opts["snmp_retries"]),
        walk_timeout=float(opts["snmp_walk_timeout"]),
        walk_retries=int(opts["snmp_walk_retries"]),
        max_repetitions=int(opts["snmp_max_repetitions"]),
        initial_repetitions=int(opts["snmp_initial_repetitions"]),
        max_rows=int(opts["snmp_max_rows"]),
        max_column_rows=int(opts["snmp_max_column_rows"]),
        max_bytes=int(opts["snmp_max_bytes"]),
        agent_seconds=float(opts["snmp_agent_seconds"]),
    )
    if limits.timeout <= 0 or limits.retries < 0 or limits.max_repetitions < 1:
        raise ValueError("snmp timeout must be > 0, retries >= 0 and max-repetitions >= 1")
    concurrency = max(1, min(int(opts["snmp_concurrency"]), 4096))
    contacts = max(1, min(int(opts["snmp_contacts"]), 16_384))
    inflight = max(4, int(opts["snmp_inflight"]))
    return {"depth": depth, "limits": limits, "concurrency": concurrency, "contacts": contacts,
            "inflight": inflight, "port": int(opts["snmp_port"])}


def _run(coro: Any) -> ScanOutcome:
    """Run the sweep's coroutine, also when the caller already has an event loop running."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coro)
    box: dict[str, Any] = {}

    def runner() -> None:
        box["result"] = asyncio.run(coro)

    thread = threading.Thread(target=runner, name="snmp-sweep")
    thread.start()
    thread.join()
    return box["result"]


def _blocks(ipset: IPSet) -> tuple[list[IPNetwork], list[IPNetwork]]:
    """Target blocks to sweep, and IPv6 blocks too large to walk address by address."""
    sweep, too_big = [], []
    for cidr in ipset.iter_cidrs():
        (too_big if cidr.version == 6 and cidr.size > MAX_V6_BLOCK else sweep).append(cidr)
    return sweep, too_big


def _addresses(blocks: list[IPNetwork]) -> Iterator[str]:
    """Every address of the blocks (CIDR targets' network and broadcast addresses already left out)."""
    for cidr in blocks:
        for ip in cidr:
            yield str(ip)


class _Targets:
    """The addresses the workers ask, one at a time: ARP's hosts as they are found (those first),
    the addresses that need not wait for ARP meanwhile, and what ARP left undone once it ends."""

    def __init__(self, blocks: list[IPNetwork], reader: FeedReader | None = None,
                 probe: IPSet | None = None) -> None:
        self.blind = _addresses(blocks)
        self.total = sum(c.size for c in blocks)
        self.reader = reader
        self.probe = probe if probe is not None else IPSet()
        self.found: deque[str] = deque()
        self.waiting = reader is not None
        self._cond = asyncio.Condition()

    async def pump(self) -> None:
        """Move ARP's hosts from the feed to the workers until ARP ends (then add its leftover)."""
        if self.reader is None:
            return
        try:
            while (batch := await asyncio.to_thread(self.reader.take, FEED_POLL_S)) is not None:
                fresh = [ip for ip in batch if ip in self.probe]
                if fresh:
                    async with self._cond:
                        self.found.extend(fresh)
                        self.total += len(fresh)
                        self._cond.notify_all()
            left, _ = _blocks(self.reader.leftover() & self.probe)
            self.blind = chain(self.blind, _addresses(left))
            self.total += sum(c.size for c in left)
        finally:
            async with self._cond:
                self.waiting = False
                self._cond.notify_all()

    async def next(self) -> str | None:
        """The next address to ask; None when there is none left."""
        while True:
            if self.found:
                return self.found.popleft()
            ip = next(self.blind, None)
            if ip is not None:
                return ip
            if not self.waiting:
                return None
            async with self._cond:
                await self._cond.wait_for(lambda: self.found or not self.waiting)


@dataclass
class _Contact:
    """An agent that answered first contact: the session with the credential it took, its system group."""

    session: AgentSession
    system: dict
    rtt_ms: float


async def _sweep(ctx: ScanContext, depth: str, limits: Limits, concurrency: int, contacts: int,
                 inflight: int, port: int) -> ScanOutcome:
    credentials = list(ctx.credentials) or [DEFAULT_CREDENTIAL]
    probe = ctx.targets - ctx.skip
    # waiting for ARP to name its segment blocks: off the event loop
    now, reader = await asyncio.to_thread(split_targets, probe, ctx.feed) if ctx.feed else (probe, None)
    blocks, too_big = _blocks(now)
    targets = _Targets(blocks, reader, probe)
    outcome = ScanOutcome(method=NAME)
    for cidr in too_big:
        outcome.messages.append(f"{cidr}: IPv6 block too large to sweep address by address "
                                f"(over {MAX_V6_BLOCK} addresses); skipped")
    client = SnmpClient(inflight, rate=ctx.rate, latency_target=limits.timeout / 2, max_contacts=contacts)
    await client.community.open()
    done = 0
    results: list[AgentResult] = []
    asked: list[str] = []
    silent: list[str] = []
    handed: asyncio.Queue[_Contact | None] = asyncio.Queue()     # to the interrogators
    asked_again: set[str] = set()      # the second pass's addresses: the first pass counted them

    def finished(ip: str) -> None:
        nonlocal done
        if ip not in asked_again:
            done += 1
        ctx.progress(done, max(targets.total, done),
                     f"snmp {ip}" + (", waiting for ARP" if targets.waiting else ""))

    async def contact(pending: _Targets, lim: Limits) -> None:
        while (ip := await pending.next()) is not None:
            asked.append(ip)
            try:
                found = await first_contact(client, ip, credentials, lim, port)
            except Exception as exc:  # a bug must not lose the rest of the sweep
                found = [f"internal error: {type(exc).__name__}"]
                ctx.log.exception("snmp first contact of %s failed", ip)
            if isinstance(found, _Contact):
                handed.put_nowait(found)
                continue
            if found:
                results.append(AgentResult(ip=ip, problems=found))
            else:
                silent.append(ip)
            finished(ip)

    async def interrogator() -> None:
        while (agent := await handed.get()) is not None:
            try:
                results.append(await interrogate(agent, depth))
            except Exception as exc:  # a bug must not lose the rest of the sweep
                results.append(AgentResult(ip=agent.session.ip, answered=True,
                                           problems=[f"internal error: {type(exc).__name__}"]))
                ctx.log.exception("snmp interrogation of %s failed", agent.session.ip)
            finally:
                handed.task_done()
            finished(agent.session.ip)

    interrogators = [asyncio.ensure_future(interrogator()) for _ in range(concurrency)]
    try:
        pump = asyncio.ensure_future(targets.pump())
        width = contacts if reader is not None else min(contacts, max(targets.total, 1))
        await asyncio.gather(*(contact(targets, limits) for _ in range(width)))
        await pump
        await handed.join()         # the late replies of the whole first pass are in by now
        # A silent address whose reply came after we stopped waiting has an agent that was only
        # slow (replies were queueing somewhere): asked again, more patiently. An address that
        # never answered, not even late, has no agent for our credentials; asking it again would
        # cost every agentless host of the sweep a second timeout.
        retry = sorted(client.community.late.intersection(silent), key=lambda ip: IPAddress(ip).sort_key())
        if retry:
            ctx.log.info("asking again, twice as patiently, %d address(es) that answered late", len(retry))
            patient = replace(limits, timeout=limits.timeout * 2)
            asked_again.update(retry)
            again = _Targets([IPNetwork(ip) for ip in retry])
            await asyncio.gather(*(contact(again, patient) for _ in range(min(contacts, len(retry)))))
            outcome.stats["second_pass"] = len(retry)
        for _ in interrogators:
            handed.put_nowait(None)
        await asyncio.gather(*interrogators)
    finally:
        for task in interrogators:
            task.cancel()
        client.close()
    total = targets.total
    if reader is not None:
        # what was asked, for absence (reconcile.absence): not the segment's addresses ARP did not find
        outcome.stats["covered"] = [str(c) for c in IPSet(asked).iter_cidrs()]

    answered = 0
    for result in sorted(results, key=lambda r: IPAddress(r.ip).sort_key()):
        outcome.observations.extend(result.observations)
        answered += result.answered
        for problem in result.problems:
            if len(outcome.messages) < MAX_MESSAGES:
                outcome.messages.append(f"{result.ip}: {problem}")
    troubled = sum(1 for r in results if r.problems)
    if len(outcome.messages) >= MAX_MESSAGES:
        outcome.messages.append(f"... {troubled} agent(s) reported problems in all")
    if troubled:
        outcome.status = "partial"
    kinds: dict[str, int] = {}
    for obs in outcome.observations:
        kinds[obs.kind] = kinds.get(obs.kind, 0) + 1
    outcome.stats.update({
        "targets": total, "answered": answered, "problem_agents": troubled, "depth": depth,
        "requests_sent": client.community.sent, "observations": kinds,
        "truncated_agents": sum(1 for r in results if r.truncated),
    })
    return outcome


async def first_contact(client: SnmpClient, ip: str, credentials: list[SnmpCredential], limits: Limits,
                        port: int = 161) -> _Contact | list[str]:
    """Ask ``ip`` for its system group with each credential in turn: the agent that answered, or
    why none did (empty when nothing came back at all)."""
    failures: list[str] = []
    for credential in credentials:
        session = AgentSession(client, ip, credential, limits, port=port)
        began = time.monotonic()
        try:
            system = await session.get(list(t.SYSTEM.values()))
        except (SnmpTimeout, BudgetExceeded):
            continue
        except (SnmpMalformed, SnmpRejected, SnmpErrorStatus) as exc:
            failures.append(f"{credential.label}: {exc}")
            continue
        return _Contact(session, system, (time.monotonic() - began) * 1000)
    return failures


async def interrogate(agent: _Contact, depth: str = "full") -> AgentResult:
    """Collect what ``depth`` asks for from an agent that answered first contact."""
    session = agent.session
    session.started = time.monotonic()      # its time budget is for this, not for waiting its turn
    result = AgentResult(ip=session.ip, answered=True)
    try:
        await _collect(session, result, agent.system, depth, agent.rtt_ms)
    finally:
        result.requests = session.requests
        result.truncated = session.truncated
        result.problems.extend(session.problems)
    return result


async def _collect(session: AgentSession, result: AgentResult, system: dict, depth: str,
                   rtt: float) -> None:
    facts = t.system_facts(system)
    host = Observation(method=NAME, kind=HOST, ip=session.ip, hostname=facts.get("sysName"),
                       snmp_engine_id=t.engine_id(system), credential=session.credential.label,
                       rtt_ms=round(rtt, 2), facts={"snmp": facts})
    result.observations.append(host)
    if depth == "basic":
        return

    probes, enterprise, class_values, entity_classes, cols = await asyncio.gather(
        _safe_getnext(session, [*t.MIB_PROBES.values(), *t.ENTERPRISE_HOPS]),
        _safe_bulk_sample(session, t.ENTERPRISES),
        _safe_get(session, list(t.CLASS_GETS)),
        session.walk(t.ENT_CLASS, max_rows=t.MAX_ENTITY_SCAN, sample=True),
        session.walk_columns(table_columns(depth)),
    )
    facts["mibs"] = t.mibs_present(probes)
    facts["enterprise_oids"] = t.enterprise_oids(enterprise)
    facts["enterprise_numbers"] = t.enterprise_numbers([*probes, *enterprise])
    facts.update(t.class_facts(class_values))
    if "bridge_ports" not in facts and "bridge" in facts["mibs"]:
        # dot1dBaseNumPorts unanswered: count dot1dBasePortTable's rows instead
        ports = cols.get(t.BASE_PORT_IFINDEX) if depth == "full" else await session.walk(
            t.BASE_PORT_IFINDEX, max_rows=t.MAX_BRIDGE_PORT_ROWS, sample=True)
        facts.update(t.class_facts({t.BRIDGE_NUM_PORTS: len(ports)} if ports else {}))
    facts["if_types"] = t.if_types(cols.get(t.IF_TYPE, {}))
    indexes = t.entity_rows_to_fetch(entity_classes)
    entity_values = await _safe_get(session, t.entity_oids(indexes)) if indexes else {}
    facts["entity"] = t.entity_facts(indexes, entity_classes, entity_values)
    host.serial = t.chassis_serial(facts["entity"])
    hr_types: dict = {}
    hr_descrs: dict = {}
    if "host-resources" in facts["mibs"]:
        both = await session.walk_columns([t.HR_DEVICE_TYPE, t.HR_DEVICE_DESCR], max_rows=t.MAX_HR_DEVICES,
                                          sample=True)
        hr_types, hr_descrs = both[t.HR_DEVICE_TYPE], both[t.HR_DEVICE_DESCR]
    facts["hr_devices"] = t.hr_devices(hr_types, hr_descrs)
    if depth != "full":
        return

    if not cols.get(t.IP_ADDRESS_IFINDEX):
        cols.update(await session.walk_columns([t.IP_ADDR_IFINDEX]))
    ips = t.addresses(cols.get(t.IP_ADDRESS_IFINDEX, {}), cols.get(t.IP_ADDR_IFINDEX, {}))
    host.interfaces = t.interfaces(cols, ips)
    host.mac = next((i.mac for i in host.interfaces if i.mac and session.ip in i.ips), None)
    host.software = t.software(cols.get(t.HR_SW_NAME, {}))
    names = t.if_names(cols)
    own_macs = {iface.mac for iface in host.interfaces if iface.mac}
    reporter = facts.get("sysName") or session.ip

    source = "ipNetToPhysicalTable"
    arp, arp_types = cols.get(t.NET_TO_PHYS_ADDR, {}), cols.get(t.NET_TO_PHYS_TYPE, {})
    if not arp:
        source = "ipNetToMediaTable"
        media = await session.walk_columns([t.NET_TO_MEDIA_ADDR, t.NET_TO_MEDIA_TYPE])
        arp, arp_types = media[t.NET_TO_MEDIA_ADDR], media[t.NET_TO_MEDIA_TYPE]
    result.observations.extend(t.arp_neighbours(arp, arp_types, source, reporter, names, own_macs))
    result.observations.extend(t.fdb_locations(cols, reporter, names, own_macs))
    lldp_cols = {c: v for c, v in cols.items() if c[: len(t.LLDP_REM)] == t.LLDP_REM}
    if lldp_cols and any(lldp_cols.values()):
        local = await session.walk_columns([t.LLDP_LOC_PORT_ID, t.LLDP_LOC_PORT_DESC])
        result.observations.extend(t.lldp_neighbours(lldp_cols, cols.get(t.LLDP_MAN_ADDR_IFSUBTYPE, {}),
                                                     local, reporter))


def table_columns(depth: str) -> list[tuple[int, ...]]:
    """The table columns walked at ``depth`` (besides ENTITY and the fallbacks)."""
    cols = [t.IF_TYPE]
    if depth == "full":
        cols += [*t.IF_COLUMNS, t.IP_ADDRESS_IFINDEX, t.NET_TO_PHYS_ADDR, t.NET_TO_PHYS_TYPE,
                 t.BASE_PORT_IFINDEX, t.QFDB_PORT, t.QFDB_STATUS, t.FDB_PORT, t.FDB_STATUS,
                 *((*t.LLDP_REM, c) for c in t.LLDP_FIELDS.values()), t.LLDP_MAN_ADDR_IFSUBTYPE,
                 t.HR_SW_NAME]
    return cols


async def _safe_get(session: AgentSession, oids: list[tuple[int, ...]]) -> dict:
    try:
        return await session.get(oids)
    except (SnmpTimeout, SnmpMalformed, SnmpRejected, SnmpErrorStatus, BudgetExceeded) as exc:
        if not session.gone:
            session.note(f"GET failed: {exc}")
        return {}


async def _safe_getnext(session: AgentSession, oids: list[tuple[int, ...]]) -> list:
    try:
        return await session.getnext(oids)
    except (SnmpTimeout, SnmpMalformed, SnmpRejected, SnmpErrorStatus, BudgetExceeded) as exc:
        if not session.gone:
            session.note(f"GETNEXT failed: {exc}")
        return []


async def _safe_bulk_sample(session: AgentSession, root: tuple[int, ...]) -> list:
    """A handful of OIDs right after ``root`` (one request)."""
    try:
        if session.credential.version == "1":
            return await session.getnext([root])
        return await session.bulk(root, t.ENTERPRISE_SAMPLE)
    except (SnmpTimeout, SnmpMalformed, SnmpRejected, SnmpErrorStatus, BudgetExceeded) as exc:
        if not session.gone:
            session.note(f"enterprise sample failed: {exc}")
        return []
