"""Send SNMP requests and get their answers: one client per sweep, shared by every agent.

Community requests (v1/v2c) go through one UDP socket owned by the sweep, coded by the small
BER codec in ``snmp_ber`` and matched to their replies by request id and peer address; a
reply that does not decode is counted against its sender and reported, never raised.
SNMPv3 requests go through a single pysnmp ``SnmpEngine`` (USM discovery, authentication and
privacy), created on first use and reused for the whole sweep. Both return varbinds as
``(oid tuple, plain value)`` pairs, so walkers and parsers never see which path was taken.
"""

from __future__ import annotations

import asyncio
import contextlib
import secrets
import socket
from collections import defaultdict, deque
from collections.abc import Sequence
from dataclasses import dataclass

from netdiscover.credentials import SnmpCredential
from netdiscover.scanners.pacing import SendSchedule
from netdiscover.scanners.snmp import ber
from netdiscover.scanners.snmp.ber import END_OF_MIB, NO_SUCH_INSTANCE, NO_SUCH_OBJECT, Oid

VarBinds = list[tuple[Oid, object]]
_REJECTIONS = frozenset({
    "UnknownUserName", "WrongDigest", "UnsupportedSecurityLevel", "DecryptionError", "AuthenticationError",
    "AuthenticationFailure", "NotInTimeWindow", "UnknownSecurityName", "ReportPduReceived", "NoSuchView",
    "NoAccessEntry", "NotInView", "UnknownEngineID", "NoGroupName",
})
MAX_EXPIRED = 100_000


class SnmpTimeout(Exception):
    """No usable answer in time (after retries)."""


class SnmpMalformed(Exception):
    """The agent answered, but with bytes that are not a valid SNMP message."""


class SnmpRejected(Exception):
    """The agent refused the credential (SNMPv3 unknown user, wrong digest, ...)."""


class SnmpErrorStatus(Exception):
    """The agent answered with a non-zero error-status."""

    def __init__(self, status: int, index: int) -> None:
        super().__init__(f"error-status {status} at varbind {index}")
        self.status = status
        self.index = index


@dataclass(slots=True)
class Reply:
    """A decoded answer and how many bytes it took on the wire."""

    varbinds: VarBinds
    size: int


class _Protocol(asyncio.DatagramProtocol):
    def __init__(self, client: CommunityClient) -> None:
        self.client = client

    def datagram_received(self, data: bytes, addr: tuple) -> None:  # type: ignore[override]
        self.client._received(data, addr)

    def error_received(self, exc: Exception) -> None:
        return None


class Window:
    """How many requests may await a prompt reply at once.

    The client keeps two: one for requests to agents that have answered, each holding its slot
    until its reply or its timeout, and one for first contacts. A first contact (the address
    may have no agent, and most have none) holds its slot only while a prompt reply may still
    come (``prompt``: four times the smoothed reply time, at most ``latency_target``), then
    waits out its timeout outside the window: silent hosts cost little, while a burst of first
    contacts to agents that do answer (hundreds of addresses of one busy responder) is paced.

    Additive increase, multiplicative decrease: grows by about one per window of requests
    answered promptly, shrinks by one for each answer slower than ``latency_target`` (requests are
    queueing; the sweep sets it to half the first-contact timeout, so that new agents are still
    heard in time), halves (at most once per window) when an answering agent's request times out. An
    overloaded agent or a simulator serving hundreds of agents then gets a rate it can answer,
    instead of a flood that turns into timeouts.

    Waiting requests queue in order and each freed slot wakes exactly one of them: a sweep keeps
    hundreds of walks waiting here, and waking them all on every reply cost more CPU than the
    SNMP itself.
    """

    def __init__(self, initial: int = 32, minimum: int = 8, maximum: int = 256,
                 latency_target: float = 0.5) -> None:
        self.size = float(min(max(initial, minimum), maximum))
        self.latency_target = latency_target
        self.minimum = minimum
        self.maximum = maximum
        self.inflight = 0
        self.congested = False        # some reply was slow or late, or a paced request timed out
        self.srtt: float | None = None  # smoothed reply time, seconds
        self._waiters: deque[asyncio.Future] = deque()
        self._since_cut = 0

    def prompt(self) -> float:
        """How long a first contact holds its slot waiting for a reply."""
        if self.srtt is None:
            return self.latency_target
        return min(self.latency_target, max(0.005, 4 * self.srtt))

    def replied(self, seconds: float) -> None:
        """A reply came after ``seconds``: smooth it into ``srtt``."""
        self.srtt = seconds if self.srtt is None else 0.875 * self.srtt + 0.125 * seconds

    async def acquire(self) -> None:
        if not self._waiters and self.inflight < int(self.size):
            self.inflight += 1
            return
        fut = asyncio.get_running_loop().create_future()
        self._waiters.append(fut)
        try:
            await fut                 # the releaser counted our slot in ``inflight`` already
        except asyncio.CancelledError:
            if fut.done() and not fut.cancelled():
                self.inflight -= 1    # handed a slot just as we were cancelled: give it on
                self._wake()
            else:
                with contextlib.suppress(ValueError):
                    self._waiters.remove(fut)
            raise

    def release(self, ok: bool, slow: bool = False) -> None:
        self.inflight -= 1
        self._since_cut += 1
        if ok and slow:
            self.slowed()
        elif ok:
            self.size = min(self.maximum, self.size + 1 / self.size)
        else:
            self.congested = True
            if self._since_cut >= self.size:
                self.size = max(self.minimum, self.size / 2)
                self._since_cut = 0
        self._wake()

    def slowed(self) -> None:
        """A reply came slower than ``latency_target``: requests are queueing."""
        self.congested = True
        self.size = max(self.minimum, self.size - 1)

    def step_aside(self) -> None:
        """Give up a slot without a verdict (a first contact still unanswered after ``prompt``)."""
        self.inflight -= 1
        self._wake()

    def _wake(self) -> None:
        while self._waiters and self.inflight < int(self.size):
            fut = self._waiters.popleft()
            if not fut.done():
                self.inflight += 1
                fut.set_result(None)


class CommunityClient:
    """v1/v2c requests over one shared UDP socket.

    Requests to agents that have answered go through the congestion ``window``; first contacts
    (``contact=True``) through their own, ``contacts``, where each holds its slot only while a
    prompt reply may come: hosts without an agent neither hold a slot for their whole timeout
    nor take one from the walks of agents that answered.
    """

    def __init__(self, max_inflight: int = 256, rate: float | None = None,
                 latency_target: float = 0.5, max_contacts: int = 1024) -> None:
        self.window = Window(initial=min(32, max_inflight), maximum=max_inflight,
                             latency_target=latency_target)
        self.contacts = Window(initial=min(64, max_contacts), maximum=max_contacts,
                               latency_target=latency_target)
        self._schedule = SendSchedule(rate, start=0.0)
        self._transports: dict[int, asyncio.DatagramTransport] = {}    # address family -> socket
        self._pending: dict[int, tuple[asyncio.Future, str]] = {}
        self._next_id = secrets.randbelow(1 << 30)
        self._expired: dict[int, str] = {}      # request id -> address, for requests we gave up on
        self.late: set[str] = set()             # addresses that answered after we stopped waiting
        self.malformed: dict[str, int] = defaultdict(int)
        self.last_malformed: dict[str, str] = {}
        self.sent = 0
        self.received = 0
        self.varbinds = 0                       # values in the replies matched to a request

    async def open(self, family: int = socket.AF_INET) -> asyncio.DatagramTransport:
        """The sweep's socket for ``family`` (IPv4 or IPv6), opened on first use."""
        transport = self._transports.get(family)
        if transport is None:
            loop = asyncio.get_running_loop()
            local = ("::", 0) if family == socket.AF_INET6 else ("0.0.0.0", 0)
            transport, _ = await loop.create_datagram_endpoint(lambda: _Protocol(self), local_addr=local,
                                                               family=family)
            sock = transport.get_extra_info("socket")
            if sock is not None:
                with contextlib.suppress(OSError):
                    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
            self._transports[family] = transport  # type: ignore[assignment]
        return transport  # type: ignore[return-value]

    def close(self) -> None:
        for transport in self._transports.values():
            transport.close()
        self._transports.clear()
        for fut, _ in self._pending.values():
            if not fut.done():
                fut.cancel()
        self._pending.clear()

    def _request_id(self) -> int:
        self._next_id = (self._next_id + 1) & 0x7FFFFFFF
        return self._next_id

    def _received(self, data: bytes, addr: tuple) -> None:
        self.received += 1
        ip = addr[0].split("%", 1)[0]
        try:
            msg = ber.decode_message(data)
        except ber.BerError as exc:
            self.malformed[ip] += 1
            self.last_malformed[ip] = str(exc)
            return
        entry = self._pending.get(msg.request_id)
        if entry is None:
            if self._expired.get(msg.request_id) == ip:
                self.late.add(ip)       # alive, only slower than we waited: replies are queueing
                self.window.congested = True
            return
        if entry[1] != ip or msg.pdu_type not in (ber.RESPONSE, ber.REPORT):
            return
        fut = entry[0]
        if not fut.done():
            self.varbinds += len(msg.varbinds)
            fut.set_result(Reply(msg.varbinds, len(data)) if not msg.error_status
                           else SnmpErrorStatus(msg.error_status, msg.error_index))

    async def request(self, ip: str, port: int, credential: SnmpCredential, pdu_type: int,
                      oids: Sequence[Oid], timeout: float, retries: int,
                      non_repeaters: int = 0, max_repetitions: int = 0, contact: bool = False) -> Reply:
        """Send one request and wait for its reply; raise SnmpTimeout/SnmpMalformed/SnmpErrorStatus.

        ``contact``: a first contact, to an address that may have no agent (see ``Window``)."""
        transport = await self.open(socket.AF_INET6 if ":" in ip else socket.AF_INET)
        version = 0 if credential.version == "1" else 1
        community = (credential.community or "").encode()
        loop = asyncio.get_running_loop()
        bad_before = self.malformed.get(ip, 0)
        for attempt in range(retries + 1):
            wait = timeout * (2 ** attempt)     # back off: a busy agent gets longer each time
            req_id = self._request_id()
            packet = ber.encode_message(version, community, pdu_type, req_id,
                                        [(oid, None) for oid in oids], non_repeaters, max_repetitions)
            fut: asyncio.Future = loop.create_future()
            window = self.contacts if contact else self.window
            await window.acquire()
            holding = True
            ok = slow = False
            self._pending[req_id] = (fut, ip)
            try:
                await self._schedule.wait(loop)
                transport.sendto(packet, (ip, port))
                self.sent += 1
                sent_at = loop.time()
                if contact:
                    await asyncio.wait((fut,), timeout=min(wait, window.prompt()))
                    if not fut.done():
                        holding = False
                        window.step_aside()
                result = await asyncio.wait_for(fut, max(0.0, wait - (loop.time() - sent_at)))
                ok = True
                took = loop.time() - sent_at
                window.replied(took)
                slow = took > window.latency_target
            except TimeoutError:
                if len(self._expired) >= MAX_EXPIRED:
                    self._expired.clear()
                self._expired[req_id] = ip
                continue
            finally:
                self._pending.pop(req_id, None)
                if holding:
                    window.release(ok, slow)
                elif slow:
                    window.slowed()
            if isinstance(result, SnmpErrorStatus):
                raise result
            return result
        if self.malformed.get(ip, 0) > bad_before:
            raise SnmpMalformed(f"malformed reply ({self.last_malformed.get(ip, 'undecodable')})")
        raise SnmpTimeout(f"no reply after {retries + 1} attempt(s) from {timeout:g} s, doubling")


class V3Client:
    """SNMPv3 requests through one pysnmp engine for the whole sweep."""

    def __init__(self) -> None:
        self._engine = None
        self._targets: dict[tuple[str, int, float, int], object] = {}

    def _auth(self, credential: SnmpCredential):
        from pysnmp.hlapi.v3arch.asyncio import UsmUserData
        from pysnmp.hlapi.v3arch.asyncio import auth as a

        auth_protocols = {
            "md5": a.USM_AUTH_HMAC96_MD5, "sha": a.USM_AUTH_HMAC96_SHA,
            "sha224": a.USM_AUTH_HMAC128_SHA224, "sha256": a.USM_AUTH_HMAC192_SHA256,
            "sha384": a.USM_AUTH_HMAC256_SHA384, "sha512": a.USM_AUTH_HMAC384_SHA512,
        }
        priv_protocols = {
            "des": a.USM_PRIV_CBC56_DES, "3des": a.USM_PRIV_CBC168_3DES, "aes": a.USM_PRIV_CFB128_AES,
            "aes128": a.USM_PRIV_CFB128_AES, "aes192": a.USM_PRIV_CFB192_AES,
            "aes256": a.USM_PRIV_CFB256_AES,
        }
        kwargs: dict = {}
        if credential.auth_key:
            kwargs["authKey"] = credential.auth_key
            kwargs["authProtocol"] = auth_protocols[(credential.auth_protocol or "sha").lower()]
        if credential.priv_key:
            kwargs["privKey"] = credential.priv_key
            kwargs["privProtocol"] = priv_protocols[(credential.priv_protocol or "aes").lower()]
        return UsmUserData(credential.user or "", **kwargs)

    async def request(self, ip: str, port: int, credential: SnmpCredential, pdu_type: int,
                      oids: Sequence[Oid], timeout: float, retries: int,
                      non_repeaters: int = 0, max_repetitions: int = 0, contact: bool = False) -> Reply:
        """Same contract as ``CommunityClient.request``, through pysnmp's engine."""
        from pysnmp.hlapi.v3arch.asyncio import (
            ContextData,
            ObjectIdentity,
            ObjectType,
            SnmpEngine,
            Udp6TransportTarget,
            UdpTransportTarget,
            bulk_cmd,
            get_cmd,
            next_cmd,
        )
        from pysnmp.proto.rfc1902 import ObjectName

        if self._engine is None:
            self._engine = SnmpEngine()
        key = (ip, port, timeout, retries)
        target = self._targets.get(key)
        if target is None:
            kind = Udp6TransportTarget if ":" in ip else UdpTransportTarget
            target = await kind.create((ip, port), timeout=timeout, retries=retries)
            self._targets[key] = target
        auth = self._auth(credential)
        vbs = [ObjectType(ObjectIdentity(ObjectName(oid))) for oid in oids]
        try:
            if pdu_type == ber.GET:
                err, status, index, out = await get_cmd(self._engine, auth, target, ContextData(), *vbs,
                                                        lookupMib=False)
            elif pdu_type == ber.GETNEXT:
                err, status, index, out = await next_cmd(self._engine, auth, target, ContextData(), *vbs,
                                                         lookupMib=False)
            else:
                err, status, index, out = await bulk_cmd(self._engine, auth, target, ContextData(),
                                                         non_repeaters, max_repetitions, *vbs,
                                                         lookupMib=False)
        except Exception as exc:  # pysnmp raises its own errors for undecodable peers
            raise SnmpMalformed(type(exc).__name__) from None
        if err:
            kind = type(err).__name__
            if kind == "RequestTimedOut":
                raise SnmpTimeout(f"no reply after {retries + 1} attempt(s) of {timeout:g} s")
            if kind in _REJECTIONS:
                raise SnmpRejected(f"credential refused ({kind})")
            raise SnmpMalformed(kind)
        if status:
            raise SnmpErrorStatus(int(status), int(index))
        return Reply([(tuple(vb[0]), _plain(vb[1])) for vb in out], 0)

    def close(self) -> None:
        if self._engine is not None:
            with contextlib.suppress(Exception):
                self._engine.close_dispatcher()
            self._engine = None


def _plain(value: object) -> object:
    """A pysnmp value as the same plain Python value the BER codec yields."""
    name = type(value).__name__
    if name == "NoSuchObject":
        return NO_SUCH_OBJECT
    if name == "NoSuchInstance":
        return NO_SUCH_INSTANCE
    if name == "EndOfMibView":
        return END_OF_MIB
    if name == "Null":
        return None
    if name in ("ObjectIdentifier", "ObjectName"):
        return tuple(value)  # type: ignore[arg-type]
    if hasattr(value, "asOctets"):
        return value.asOctets()  # type: ignore[attr-defined]
    try:
        return int(value)  # type: ignore[call-overload]
    except (TypeError, ValueError):
        return None


class SnmpClient:
    """The one client a sweep uses: dispatches by credential version."""

    def __init__(self, max_inflight: int = 256, rate: float | None = None,
                 latency_target: float = 0.5, max_contacts: int = 1024) -> None:
        self.community = CommunityClient(max_inflight, rate, latency_target, max_contacts)
        self.v3 = V3Client()

    async def request(self, ip: str, port: int, credential: SnmpCredential, pdu_type: int,
                      oids: Sequence[Oid], timeout: float, retries: int,
                      non_repeaters: int = 0, max_repetitions: int = 0, contact: bool = False) -> Reply:
        client = self.v3 if credential.version == "3" else self.community
        return await client.request(ip, port, credential, pdu_type, oids, timeout, retries,
                                    non_repeaters, max_repetitions, contact)

    def close(self) -> None:
        self.community.close()
        self.v3.close()
