"""Misbehaving SNMP agents for tests: each answers SNMPv2c in one particular wrong way.

    python -m netdiscover_lab.snmp_bad_agent --agent MODE@IP:PORT [--agent ...] [--community public]

Modes:
  malformed    every reply is broken BER (bad lengths, truncated, wrong tags)
  loop         system group is fine; walks get OIDs that do not increase
  huge-table   ifDescr has 100,000 rows (generated on the fly)
  big-sysdescr sysDescr as large as a datagram allows, full of control and escape bytes,
               and a sysName with NUL and ANSI escapes
  wrong-types  values of the wrong type everywhere (sysObjectID as text, ifPhysAddress as OID, ...)
  stall        answers the first few requests, then falls silent (timeouts mid-walk)
  gen-err      a GET that includes snmpEngineID fails whole with genErr pointing at that OID
  slow         every reply comes 0.75 s late

Only for the namespace lab: bind it inside a lab namespace.
"""

from __future__ import annotations

import argparse
import asyncio
import bisect
import sys
from collections.abc import Callable, Sequence

from netdiscover.scanners.snmp import ber
from netdiscover.scanners.snmp.ber import END_OF_MIB, NO_SUCH_OBJECT, Oid, Typed, parse_oid

MODES = ("malformed", "loop", "huge-table", "big-sysdescr", "wrong-types", "stall", "gen-err", "slow")
SLOW_DELAY = 0.75
ENGINE_ID = parse_oid("1.3.6.1.6.3.10.2.1.1.0")
HUGE_ROWS = 100_000
STALL_AFTER = 4
IF_DESCR = parse_oid("1.3.6.1.2.1.2.2.1.2")
MAX_REPLY = 65_000


def _system(descr: object, name: object, object_id: object = (1, 3, 6, 1, 4, 1, 8072, 3, 2, 10)) -> dict:
    return {
        parse_oid("1.3.6.1.2.1.1.1.0"): descr,
        parse_oid("1.3.6.1.2.1.1.2.0"): object_id,
        parse_oid("1.3.6.1.2.1.1.3.0"): Typed(ber.TIMETICKS, 4242),
        parse_oid("1.3.6.1.2.1.1.5.0"): name,
        parse_oid("1.3.6.1.2.1.1.7.0"): 72,
    }


def _interfaces(count: int) -> dict:
    values: dict = {}
    for i in range(1, count + 1):
        values[(*IF_DESCR, i)] = f"eth{i}"
        values[(*parse_oid("1.3.6.1.2.1.2.2.1.3"), i)] = 6
        values[(*parse_oid("1.3.6.1.2.1.2.2.1.6"), i)] = bytes((0x02, 0, 0, 0, 0, i))
    return values


class Mib:
    """Sorted static values plus optional generated columns, for GET / GETNEXT / GETBULK."""

    def __init__(self, values: dict, generated: dict[Oid, tuple[int, Callable[[int], object]]] | None = None):
        self.values = dict(values)
        self.generated = generated or {}
        self.keys = sorted(self.values)

    def get(self, oid: Oid) -> object:
        for prefix, (count, make) in self.generated.items():
            if oid[: len(prefix)] == prefix and len(oid) == len(prefix) + 1 and 1 <= oid[-1] <= count:
                return make(oid[-1])
        return self.values.get(oid, NO_SUCH_OBJECT)

    def next(self, oid: Oid) -> tuple[Oid, object]:
        best: tuple[Oid, object] | None = None
        pos = bisect.bisect_right(self.keys, oid)
        if pos < len(self.keys):
            key = self.keys[pos]
            best = (key, self.values[key])
        for prefix, (count, make) in self.generated.items():
            if oid < prefix:
                candidate = (*prefix, 1)
            elif oid[: len(prefix)] == prefix:
                index = oid[len(prefix)] + 1 if len(oid) > len(prefix) else 1
                if index > count:
                    continue
                candidate = (*prefix, index)
            else:
                continue
            if best is None or candidate < best[0]:
                best = (candidate, make(candidate[-1]))
        return best if best is not None else (oid, END_OF_MIB)


def build_mib(mode: str) -> Mib:
    if mode == "huge-table":
        values = {**_system("huge table agent", "huge"), **_interfaces(0)}
        return Mib(values, {IF_DESCR: (HUGE_ROWS, lambda i: f"port-{i:06d}")})
    if mode == "big-sysdescr":
        noise = "\x1b[31mRED\x1b[0m\x00\x07\x08\r\x1b]0;title\x07" + "A" * 50
        descr = (noise * (60_000 // len(noise))).encode()
        return Mib({**_system(descr, b"evil\x00name\x1b[2J", (1, 3, 6, 1, 4, 1, 9, 1, 1)), **_interfaces(2)})
    if mode == "wrong-types":
        values = _system(12345, (1, 3, 6, 1), b"not-an-oid")
        values[parse_oid("1.3.6.1.2.1.1.3.0")] = b"yesterday"
        values[parse_oid("1.3.6.1.2.1.1.7.0")] = b"seventy-two"
        values[parse_oid("1.3.6.1.2.1.47.1.1.1.1.5.1")] = b"chassis"
        values[parse_oid("1.3.6.1.2.1.47.1.1.1.1.11.1")] = (1, 2, 3)
        values[(*IF_DESCR, 1)] = 77
        values[parse_oid("1.3.6.1.2.1.2.2.1.6.1")] = (1, 3, 6)
        values[parse_oid("1.3.6.1.2.1.4.35.1.4.1.1.4.10.9.9.9")] = 42
        values[parse_oid("1.3.6.1.2.1.17.7.1.2.2.1.2.1.1.2.3")] = b"port"
        return Mib(values)
    return Mib({**_system(f"{mode} agent", mode), **_interfaces(3)})


class BadAgent(asyncio.DatagramProtocol):
    """One misbehaving agent on one address."""

    def __init__(self, mode: str, community: bytes) -> None:
        self.mode = mode
        self.community = community
        self.mib = build_mib(mode)
        self.requests = 0
        self.transport: asyncio.DatagramTransport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def datagram_received(self, data: bytes, addr: tuple) -> None:  # type: ignore[override]
        try:
            request = ber.decode_message(data)
        except ber.BerError:
            return
        if request.community != self.community:
            return
        self.requests += 1
        reply = self.answer(request)
        if reply is not None and self.transport is not None:
            if self.mode == "slow":
                asyncio.get_running_loop().call_later(SLOW_DELAY, self.transport.sendto, reply, addr)
            else:
                self.transport.sendto(reply, addr)

    def answer(self, request: ber.Message) -> bytes | None:
        if self.mode == "stall" and self.requests > STALL_AFTER:
            return None
        asked = [oid for oid, _ in request.varbinds]
        if self.mode == "gen-err" and request.pdu_type == ber.GET and ENGINE_ID in asked:
            return ber.encode_message(request.version, request.community, ber.RESPONSE, request.request_id,
                                      request.varbinds, error_status=5,
                                      error_index=asked.index(ENGINE_ID) + 1)
        varbinds = self.respond(request)
        reply = self.encode(request, varbinds)
        while len(reply) > MAX_REPLY and len(varbinds) > 1:
            varbinds = varbinds[: len(varbinds) // 2]
            reply = self.encode(request, varbinds)
        if self.mode == "malformed":
            return self.break_(reply, request.request_id)
        return reply

    @staticmethod
    def encode(request: ber.Message, varbinds: list[tuple[Oid, object]]) -> bytes:
        return ber.encode_message(request.version, request.community, ber.RESPONSE, request.request_id,
                                  varbinds)

    def break_(self, reply: bytes, request_id: int) -> bytes:
        kind = self.requests % 4
        if kind == 0:
            return reply[: len(reply) // 2]                    # truncated
        if kind == 1:
            return b"\x30\x84\xff\xff\xff\xff" + reply[2:]     # length far past the end
        if kind == 2:
            return b"\x31" + reply[1:]                         # wrong outer tag
        return reply[:-3] + b"\x06\x81\xff"                    # OID whose length runs off the end

    def respond(self, request: ber.Message) -> list[tuple[Oid, object]]:
        oids = [oid for oid, _ in request.varbinds]
        if request.pdu_type == ber.GET:
            return [(oid, self.mib.get(oid)) for oid in oids]
        if request.pdu_type == ber.GETNEXT:
            return [self.step(oid) for oid in oids]
        if request.pdu_type == ber.GETBULK:
            reps = max(0, min(request.error_index, 200))
            out: list[tuple[Oid, object]] = []
            cursors = list(oids)
            for _ in range(reps):
                for i, oid in enumerate(cursors):
                    nxt = self.step(oid)
                    out.append(nxt)
                    cursors[i] = nxt[0]
            return out
        return []

    def step(self, oid: Oid) -> tuple[Oid, object]:
        if self.mode == "loop" and oid[:8] == parse_oid("1.3.6.1.2.1.2.2"):
            return (*IF_DESCR, 1), "loop"       # always the same, whatever was asked
        return self.mib.next(oid)


async def serve(specs: Sequence[tuple[str, str, int]], community: bytes, seconds: float) -> None:
    loop = asyncio.get_running_loop()
    transports = []
    for mode, ip, port in specs:
        transport, _ = await loop.create_datagram_endpoint(lambda m=mode: BadAgent(m, community),
                                                           local_addr=(ip, port))
        transports.append(transport)
    print("ready", flush=True)
    try:
        await asyncio.sleep(seconds)
    finally:
        for transport in transports:
            transport.close()


def parse_spec(text: str) -> tuple[str, str, int]:
    mode, _, endpoint = text.partition("@")
    ip, _, port = endpoint.rpartition(":")
    if mode not in MODES or not ip or not port.isdigit():
        raise argparse.ArgumentTypeError(f"expected MODE@IP:PORT with MODE in {', '.join(MODES)}")
    return mode, ip, int(port)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m netdiscover_lab.snmp_bad_agent",
                                     description="Misbehaving SNMPv2c agents for lab tests.")
    parser.add_argument("--agent", action="append", type=parse_spec, required=True, metavar="MODE@IP:PORT")
    parser.add_argument("--community", default="public")
    parser.add_argument("--seconds", type=float, default=600, help="exit after this long (default 600)")
    args = parser.parse_args(argv)
    try:
        asyncio.run(serve(args.agent, args.community.encode(), args.seconds))
    except OSError as exc:
        print(f"error: cannot bind: {exc.strerror}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 0
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
