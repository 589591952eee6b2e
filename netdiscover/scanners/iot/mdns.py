"""mDNS / DNS-SD as data: the query template, the reply matcher and the parser to per-host facts.

Queries are sent from an ephemeral port, so responders answer with "legacy unicast" replies
straight back to us (RFC 6762 section 6.7); nothing here binds port 5353 or joins the group.
Per responding host the conversation is: ``_services._dns-sd._udp.local`` PTR and the reverse
PTR of its address, then PTR of each service type, then SRV and TXT of each instance, then A of
the SRV target when the host name is still unknown. Every count is bounded and every string is
cleaned: a reply is attacker-controlled data.
"""

from __future__ import annotations

import itertools
import struct
from dataclasses import dataclass, field
from typing import Any

from netdiscover.observation import clean_text

PORT = 5353
GROUP = "224.0.0.251"

T_A, T_PTR, T_TXT, T_AAAA, T_SRV = 1, 12, 16, 28, 33
CLASS_IN = 1

Name = tuple[bytes, ...]          # labels, as sent; compare with name_key()

SERVICES_ENUM: Name = (b"_services", b"_dns-sd", b"_udp", b"local")
DEVICE_INFO: Name = (b"_device-info", b"_tcp", b"local")   # model TXT, not listed in the enumeration

MAX_RECORDS = 96                  # records parsed per reply (answer + authority + additional)
MAX_POINTER_JUMPS = 16
MAX_TXT_STRINGS = 64
MAX_SERVICES = 32                 # service types kept per host
MAX_INSTANCES = 32                # instances kept per host
MAX_TXT_KEYS = 32                 # TXT keys kept per instance
TXT_BUDGET = 8192                 # characters of TXT keys and values kept per host, all instances
MAX_QUERIES_PER_HOST = 64
QUESTIONS_PER_QUERY = 4


class DnsFormatError(ValueError):
    """A reply that is not a well-formed DNS message."""


@dataclass(slots=True)
class Record:
    """One resource record: ``value`` is a Name (PTR), (port, target) (SRV), [bytes] (TXT), str (A)."""

    name: Name
    rtype: int
    value: Any


def name_key(name: Name) -> tuple[bytes, ...]:
    """A case-insensitive key for a DNS name."""
    return tuple(label.lower() for label in name)


def name_text(name: Name, limit: int = 255) -> str:
    """A printable, bounded form of a name (labels joined by dots)."""
    return clean_text(b".".join(name), limit) or ""


def reverse_name(ip: str) -> Name:
    """The in-addr.arpa name of an IPv4 address."""
    return (*(part.encode() for part in reversed(ip.split("."))), b"in-addr", b"arpa")


def pack_name(name: Name) -> bytes:
    """A name in wire form (no compression)."""
    out = bytearray()
    for label in name:
        out += bytes([min(len(label), 63)]) + label[:63]
    return bytes(out) + b"\x00"


def build_query(qid: int, questions: list[tuple[Name, int]]) -> bytes:
    """A standard query (no recursion) asking each (name, type) question."""
    body = b"".join(pack_name(name) + struct.pack("!HH", rtype, CLASS_IN) for name, rtype in questions)
    return struct.pack("!HHHHHH", qid & 0xFFFF, 0, len(questions), 0, 0, 0) + body


def reply_id(data: bytes) -> int | None:
    """The matcher: the query id if ``data`` is a DNS response (QR set, opcode 0), else None."""
    if len(data) < 12:
        return None
    qid, flags = struct.unpack_from("!HH", data)
    if not flags & 0x8000 or (flags >> 11) & 0xF:
        return None
    return qid


def _read_name(data: bytes, offset: int) -> tuple[Name, int]:
    labels: list[bytes] = []
    jumps = 0
    end: int | None = None
    total = 0
    while True:
        if offset >= len(data):
            raise DnsFormatError("name runs past the end")
        length = data[offset]
        if length & 0xC0 == 0xC0:
            if offset + 1 >= len(data):
                raise DnsFormatError("truncated pointer")
            jumps += 1
            if jumps > MAX_POINTER_JUMPS:
                raise DnsFormatError("compression loop")
            if end is None:
                end = offset + 2
            offset = ((length & 0x3F) << 8) | data[offset + 1]
            continue
        if length & 0xC0:
            raise DnsFormatError("unknown label type")
        if length == 0:
            return tuple(labels), (end if end is not None else offset + 1)
        label = data[offset + 1 : offset + 1 + length]
        if len(label) != length:
            raise DnsFormatError("label runs past the end")
        total += length + 1
        if total > 255:
            raise DnsFormatError("name longer than 255 bytes")
        labels.append(label)
        offset += 1 + length


def _txt_strings(rdata: bytes) -> list[bytes]:
    strings: list[bytes] = []
    pos = 0
    while pos < len(rdata) and len(strings) < MAX_TXT_STRINGS:
        length = rdata[pos]
        strings.append(rdata[pos + 1 : pos + 1 + length])
        pos += 1 + length
    return strings


def parse_reply(data: bytes) -> tuple[list[Record], str | None]:
    """The records of a reply, and a note when it was malformed (records before the fault are kept)."""
    records: list[Record] = []
    try:
        _, _, qd, an, ns, ar = struct.unpack_from("!HHHHHH", data)
        offset = 12
        for _ in range(min(qd, 16)):
            _, offset = _read_name(data, offset)
            offset += 4
        for _ in range(min(an + ns + ar, MAX_RECORDS)):
            name, offset = _read_name(data, offset)
            if offset + 10 > len(data):
                raise DnsFormatError("record header runs past the end")
            rtype, _, _, rdlen = struct.unpack_from("!HHIH", data, offset)
            offset += 10
            rdata = data[offset : offset + rdlen]
            if len(rdata) != rdlen:
                raise DnsFormatError("record data runs past the end")
            value: Any = None
            if rtype == T_PTR:
                value = _read_name(data, offset)[0]
            elif rtype == T_SRV and rdlen >= 7:
                port = struct.unpack_from("!H", data, offset + 4)[0]
                value = (port, _read_name(data, offset + 6)[0])
            elif rtype == T_TXT:
                value = _txt_strings(rdata)
            elif rtype == T_A and rdlen == 4:
                value = ".".join(str(b) for b in rdata)
            offset += rdlen
            if value is not None:
                records.append(Record(name, rtype, value))
    except (DnsFormatError, struct.error) as exc:
        return records, f"malformed mDNS reply: {exc}"
    return records, None


def _is_service_type(name: Name) -> bool:
    keyed = name_key(name)
    return len(keyed) == 3 and keyed[1] in (b"_tcp", b"_udp") and keyed[0][:1] == b"_" \
        and keyed[2] == b"local"


def _txt_dict(strings: list[bytes]) -> dict[str, str]:
    out: dict[str, str] = {}
    for raw in strings:
        if len(out) >= MAX_TXT_KEYS:
            break
        key_raw, _, value_raw = raw.partition(b"=")
        key = clean_text(key_raw, 64)
        if key and key not in out:
            out[key] = clean_text(value_raw, 255) or ""
    return out


@dataclass
class HostState:
    """What one host has told us over mDNS so far, and which questions are still to ask."""

    ip: str
    asked: set[tuple[tuple[bytes, ...], int]] = field(default_factory=set)
    services: dict[tuple[bytes, ...], Name] = field(default_factory=dict)
    instances: dict[tuple[bytes, ...], Name] = field(default_factory=dict)
    srv: dict[tuple[bytes, ...], tuple[int, Name]] = field(default_factory=dict)
    txt: dict[tuple[bytes, ...], dict[str, str]] = field(default_factory=dict)
    hostname: str | None = None
    host_label: bytes | None = None
    replied: bool = False
    queries: int = 0
    notes: list[str] = field(default_factory=list)

    def absorb(self, records: list[Record]) -> None:
        """Take every useful record of a reply (answers and additionals alike)."""
        reverse = name_key(reverse_name(self.ip))
        for rec in records:
            key = name_key(rec.name)
            if rec.rtype == T_PTR:
                if key == name_key(SERVICES_ENUM):
                    if _is_service_type(rec.value) and len(self.services) < MAX_SERVICES:
                        self.services.setdefault(name_key(rec.value), rec.value)
                elif key == reverse and not self.hostname and rec.value:
                    self.hostname = name_text(rec.value)
                    self.host_label = rec.value[0]
                elif _is_service_type(rec.name) and len(rec.value) == 4 \
                        and name_key(rec.value[1:]) == key:
                    if len(self.services) < MAX_SERVICES:
                        self.services.setdefault(key, rec.name)
                    if key in self.services and len(self.instances) < MAX_INSTANCES:
                        self.instances.setdefault(name_key(rec.value), rec.value)
            elif rec.rtype == T_SRV and key in self.instances:
                self.srv.setdefault(key, rec.value)
            elif rec.rtype == T_TXT and key in self.instances:
                self.txt.setdefault(key, _txt_dict(rec.value))
            elif rec.rtype == T_TXT and len(key) == 4 and key[1:] == name_key(DEVICE_INFO) \
                    and len(self.instances) < MAX_INSTANCES:
                self._device_info(rec)
            elif rec.rtype == T_A and rec.value == self.ip and not self.hostname and rec.name:
                self.hostname = name_text(rec.name)
                self.host_label = rec.name[0]

    def _device_info(self, rec: Record) -> None:
        key = name_key(rec.name)
        if len(self.services) < MAX_SERVICES:
            self.services.setdefault(name_key(DEVICE_INFO), DEVICE_INFO)
        self.asked.update({(name_key(DEVICE_INFO), T_PTR), (key, T_SRV)})
        self.instances.setdefault(key, rec.name)
        self.txt.setdefault(key, _txt_dict(rec.value))

    def first_questions(self) -> list[tuple[Name, int]]:
        """The opening questions for a host: its service types and its own name."""
        return self._mark([(SERVICES_ENUM, T_PTR), (reverse_name(self.ip), T_PTR)])

    def next_questions(self) -> list[tuple[Name, int]]:
        """Questions whose answers we still lack and have not asked yet (bounded per host)."""
        wanted: list[tuple[Name, int]] = [(name, T_PTR) for name in self.services.values()]
        for key, name in self.instances.items():
            if key not in self.srv:
                wanted.append((name, T_SRV))
            if key not in self.txt:
                wanted.append((name, T_TXT))
        if not self.hostname:
            for _, target in self.srv.values():
                wanted.append((target, T_A))
        elif self.host_label:
            wanted.append(((self.host_label, *DEVICE_INFO), T_TXT))
        return self._mark(wanted)

    def _mark(self, wanted: list[tuple[Name, int]]) -> list[tuple[Name, int]]:
        fresh = []
        for name, rtype in wanted:
            mark = (name_key(name), rtype)
            if mark in self.asked or self.queries + len(fresh) >= MAX_QUERIES_PER_HOST:
                continue
            self.asked.add(mark)
            fresh.append((name, rtype))
        self.queries += len(fresh)
        return fresh

    def facts(self) -> dict[str, Any] | None:
        """The agreed ``mdns`` facts, or None when the host told us nothing."""
        if not (self.services or self.instances or self.hostname):
            return None
        records = []
        merged_txt: dict[str, str] = {}
        budget = TXT_BUDGET
        for key, name in self.instances.items():
            txt = {}
            for k, v in self.txt.get(key, {}).items():
                budget -= len(k) + len(v)
                if budget < 0:
                    break
                txt[k] = v
            for k, v in txt.items():
                if len(merged_txt) < MAX_TXT_KEYS:
                    merged_txt.setdefault(k, v)
            port, target = self.srv.get(key, (None, ()))
            records.append({
                "instance": clean_text(name[0], 255),
                "service": name_text(name[1:3]),
                "port": port,
                "target": name_text(target) if target else None,
                "txt": txt,
            })
        return {
            "services": [name_text(name[:2]) for name in self.services.values()],
            "instances": [clean_text(name[0], 255) for name in self.instances.values()],
            "txt": merged_txt,
            "hostname": self.hostname,
            "records": records,
        }


class MdnsProbe:
    """The mDNS protocol for the shared UDP engine: templates, matcher and per-host parser."""

    name = "mdns"
    port = PORT
    group = GROUP
    min_quiet = 0.0
    multicast_ttl = 255

    def __init__(self) -> None:
        self.hosts: dict[str, HostState] = {}
        self.notes: list[str] = []
        self._ids = itertools.count(0x4E44)
        self._sent_ids: set[int] = set()

    def _query(self, questions: list[tuple[Name, int]]) -> bytes:
        qid = next(self._ids) & 0xFFFF
        self._sent_ids.add(qid)
        return build_query(qid, questions)

    def multicast_probe(self) -> bytes:
        return self._query([(SERVICES_ENUM, T_PTR)])

    def probe(self, ip: str) -> bytes:
        state = self.hosts.get(ip)
        if state is None:
            state = self.hosts[ip] = HostState(ip)
            return self._query(state.first_questions())
        return self._query([(SERVICES_ENUM, T_PTR), (reverse_name(ip), T_PTR)])    # a retry

    def answered(self, ip: str) -> bool:
        state = self.hosts.get(ip)
        return bool(state and state.replied)

    def handle(self, ip: str, data: bytes) -> list[bytes]:
        """Absorb one reply from ``ip``; return the follow-up queries to send to it."""
        rid = reply_id(data)
        if rid is None or (rid not in self._sent_ids and rid != 0):   # some stacks answer with id 0
            return []
        state = self.hosts.get(ip)
        if state is None:         # answered the multicast query only
            state = self.hosts[ip] = HostState(ip)
            state.asked.add((name_key(SERVICES_ENUM), T_PTR))
            extra = state._mark([(reverse_name(ip), T_PTR)])
        else:
            extra = []
        state.replied = True
        records, note = parse_reply(data)
        if note and len(self.notes) < 20:
            self.notes.append(f"{ip}: {note}")
        state.absorb(records)
        questions = extra + state.next_questions()
        return [self._query(questions[i : i + QUESTIONS_PER_QUERY])
                for i in range(0, len(questions), QUESTIONS_PER_QUERY)]

    def results(self) -> dict[str, dict[str, Any]]:
        found = {}
        for ip, state in self.hosts.items():
            facts = state.facts()
            if facts:
                found[ip] = facts
        return found
