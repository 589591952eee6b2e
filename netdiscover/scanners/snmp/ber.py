"""A small, strict BER codec for SNMPv1/v2c messages.

Community-based SNMP is a thin envelope around a PDU, and a sweep decodes thousands of them:
this codec does exactly that envelope, checks every length against the bytes that are really
there, and turns anything else into ``BerError``. Values come out as plain Python: int for the
integer types, bytes for OCTET STRING / IpAddress / Opaque, a tuple of ints for an OID, None for
NULL, and the ``NO_SUCH_OBJECT`` / ``NO_SUCH_INSTANCE`` / ``END_OF_MIB`` markers. SNMPv3 is not
handled here (pysnmp's engine does USM).
"""

from __future__ import annotations

from dataclasses import dataclass

# universal / application tags
INTEGER = 0x02
OCTET_STRING = 0x04
NULL = 0x05
OBJECT_ID = 0x06
SEQUENCE = 0x30
IP_ADDRESS = 0x40
COUNTER32 = 0x41
GAUGE32 = 0x42
TIMETICKS = 0x43
OPAQUE = 0x44
COUNTER64 = 0x46
# PDU tags
GET = 0xA0
GETNEXT = 0xA1
RESPONSE = 0xA2
SET = 0xA3
GETBULK = 0xA5
REPORT = 0xA8
PDU_TAGS = frozenset({GET, GETNEXT, RESPONSE, SET, 0xA4, GETBULK, 0xA6, 0xA7, REPORT})

MAX_OID_ARCS = 128
_INT_TAGS = frozenset({INTEGER, COUNTER32, GAUGE32, TIMETICKS, COUNTER64})
_BYTES_TAGS = frozenset({OCTET_STRING, IP_ADDRESS, OPAQUE})

Oid = tuple[int, ...]


class BerError(ValueError):
    """The bytes are not a well-formed SNMP message."""


class _Marker:
    __slots__ = ("name",)

    def __init__(self, name: str) -> None:
        self.name = name

    def __repr__(self) -> str:
        return self.name


NO_SUCH_OBJECT = _Marker("noSuchObject")
NO_SUCH_INSTANCE = _Marker("noSuchInstance")
END_OF_MIB = _Marker("endOfMibView")
EXCEPTIONS = (NO_SUCH_OBJECT, NO_SUCH_INSTANCE, END_OF_MIB)
_EXCEPTION_TAGS = {0x80: NO_SUCH_OBJECT, 0x81: NO_SUCH_INSTANCE, 0x82: END_OF_MIB}
_EXCEPTION_OF = {v: k for k, v in _EXCEPTION_TAGS.items()}


@dataclass(frozen=True, slots=True)
class Typed:
    """A value with an explicit tag, for encoding (e.g. ``Typed(TIMETICKS, 42)``)."""

    tag: int
    value: object


@dataclass(slots=True)
class Message:
    """One decoded SNMPv1/v2c message."""

    version: int                  # 0 = v1, 1 = v2c
    community: bytes
    pdu_type: int
    request_id: int
    error_status: int             # for GETBULK requests: non-repeaters
    error_index: int              # for GETBULK requests: max-repetitions
    varbinds: list[tuple[Oid, object]]


def parse_oid(text: str) -> Oid:
    """``"1.3.6.1.2.1.1.1.0"`` (leading dot allowed) to a tuple of ints."""
    return tuple(int(part) for part in text.strip().strip(".").split("."))


def oid_text(oid: Oid) -> str:
    """A tuple OID as dotted text without a leading dot."""
    return ".".join(map(str, oid))


# -- decoding -------------------------------------------------------------------------------

def _header(data: bytes, pos: int, end: int) -> tuple[int, int, int]:
    """Read tag and length at ``pos``; return (tag, content start, content end)."""
    if pos + 2 > end:
        raise BerError("truncated header")
    tag = data[pos]
    if tag & 0x1F == 0x1F:
        raise BerError("multi-byte tags are not used by SNMP")
    length = data[pos + 1]
    pos += 2
    if length & 0x80:
        count = length & 0x7F
        if count == 0 or count > 4:
            raise BerError("indefinite or oversized length")
        if pos + count > end:
            raise BerError("truncated length")
        length = int.from_bytes(data[pos : pos + count], "big")
        pos += count
    if pos + length > end:
        raise BerError("length runs past the end of the message")
    return tag, pos, pos + length


def _integer(data: bytes, start: int, stop: int) -> int:
    if stop <= start or stop - start > 9:
        raise BerError("bad integer length")
    return int.from_bytes(data[start:stop], "big", signed=True)


def _oid(data: bytes, start: int, stop: int) -> Oid:
    if stop <= start:
        raise BerError("empty OID")
    arcs: list[int] = []
    value = 0
    count = 0
    for i in range(start, stop):
        byte = data[i]
        value = (value << 7) | (byte & 0x7F)
        count += 1
        if count > 5:
            raise BerError("OID arc too large")
        if not byte & 0x80:
            arcs.append(value)
            value = 0
            count = 0
    if count:
        raise BerError("truncated OID arc")
    first = arcs[0]
    if first < 40:
        head = [0, first]
    elif first < 80:
        head = [1, first - 40]
    else:
        head = [2, first - 80]
    if len(arcs) + 1 > MAX_OID_ARCS:
        raise BerError("OID too long")
    return (*head, *arcs[1:])


def _value(data: bytes, tag: int, start: int, stop: int) -> object:
    if tag in _BYTES_TAGS:
        return data[start:stop]
    if tag in _INT_TAGS:
        if stop <= start or stop - start > 9:
            raise BerError("bad integer length")
        signed = tag == INTEGER
        return int.from_bytes(data[start:stop], "big", signed=signed)
    if tag == OBJECT_ID:
        return _oid(data, start, stop)
    if tag == NULL:
        return None
    marker = _EXCEPTION_TAGS.get(tag)
    if marker is not None:
        return marker
    raise BerError(f"unknown value tag 0x{tag:02x}")


def decode_message(data: bytes, max_varbinds: int = 10_000) -> Message:
    """Decode one SNMPv1/v2c message; raise BerError on anything malformed."""
    end = len(data)
    tag, pos, stop = _header(data, 0, end)
    if tag != SEQUENCE:
        raise BerError("message is not a SEQUENCE")
    end = stop
    tag, s, e = _header(data, pos, end)
    if tag != INTEGER:
        raise BerError("missing version")
    version = _integer(data, s, e)
    if version not in (0, 1):
        raise BerError(f"unsupported SNMP version {version}")
    tag, s, e = _header(data, e, end)
    if tag != OCTET_STRING:
        raise BerError("missing community")
    community = data[s:e]
    pdu_type, pos, pdu_end = _header(data, e, end)
    if pdu_type not in PDU_TAGS:
        raise BerError(f"unknown PDU type 0x{pdu_type:02x}")
    fields = []
    for _ in range(3):
        tag, s, pos = _header(data, pos, pdu_end)
        if tag != INTEGER:
            raise BerError("bad PDU header")
        fields.append(_integer(data, s, pos))
    tag, pos, vbl_end = _header(data, pos, pdu_end)
    if tag != SEQUENCE:
        raise BerError("missing varbind list")
    varbinds: list[tuple[Oid, object]] = []
    while pos < vbl_end:
        if len(varbinds) >= max_varbinds:
            raise BerError("too many varbinds")
        tag, s, vb_end = _header(data, pos, vbl_end)
        if tag != SEQUENCE:
            raise BerError("varbind is not a SEQUENCE")
        tag, os_, oe = _header(data, s, vb_end)
        if tag != OBJECT_ID:
            raise BerError("varbind without OID")
        oid = _oid(data, os_, oe)
        vtag, vs, ve = _header(data, oe, vb_end)
        if ve != vb_end:
            raise BerError("trailing bytes in varbind")
        varbinds.append((oid, _value(data, vtag, vs, ve)))
        pos = vb_end
    return Message(version, community, pdu_type, fields[0], fields[1], fields[2], varbinds)


# -- encoding -------------------------------------------------------------------------------

def _tlv(tag: int, content: bytes) -> bytes:
    n = len(content)
    if n < 0x80:
        return bytes((tag, n)) + content
    size = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes((tag, 0x80 | len(size))) + size + content


def _enc_int(value: int, tag: int = INTEGER, signed: bool = True) -> bytes:
    length = max(1, (value.bit_length() + 8) // 8)   # room for the sign bit, unsigned types too
    return _tlv(tag, value.to_bytes(length, "big", signed=signed))


def encode_oid(oid: Oid) -> bytes:
    """The BER content octets of an OID (without tag and length)."""
    if len(oid) < 2:
        raise BerError("an OID needs at least two arcs")
    out = bytearray()
    for arc in (oid[0] * 40 + oid[1], *oid[2:]):
        if arc < 0x80:
            out.append(arc)
            continue
        chunk = []
        while arc:
            chunk.append(arc & 0x7F)
            arc >>= 7
        chunk.reverse()
        out += bytes(b | 0x80 for b in chunk[:-1]) + bytes((chunk[-1],))
    return bytes(out)


def encode_value(value: object) -> bytes:
    """BER of one varbind value (None=NULL, int, bytes, str, OID tuple, marker, Typed)."""
    if value is None:
        return b"\x05\x00"
    if isinstance(value, _Marker):
        return bytes((_EXCEPTION_OF[value], 0))
    if isinstance(value, Typed):
        if value.tag in _INT_TAGS:
            return _enc_int(int(value.value), value.tag, signed=value.tag == INTEGER)  # type: ignore[arg-type]
        if value.tag == OBJECT_ID:
            return _tlv(OBJECT_ID, encode_oid(value.value))  # type: ignore[arg-type]
        return _tlv(value.tag, bytes(value.value))  # type: ignore[arg-type]
    if isinstance(value, bool):
        raise BerError("booleans are not SNMP values")
    if isinstance(value, int):
        return _enc_int(value)
    if isinstance(value, str):
        return _tlv(OCTET_STRING, value.encode())
    if isinstance(value, bytes | bytearray):
        return _tlv(OCTET_STRING, bytes(value))
    if isinstance(value, tuple):
        return _tlv(OBJECT_ID, encode_oid(value))
    raise BerError(f"cannot encode {type(value).__name__}")


def encode_message(version: int, community: bytes, pdu_type: int, request_id: int,
                   varbinds: list[tuple[Oid, object]], error_status: int = 0, error_index: int = 0) -> bytes:
    """Encode a v1/v2c message (for GETBULK, error_status/error_index are non-repeaters/max-reps)."""
    vbl = b"".join(_tlv(SEQUENCE, _tlv(OBJECT_ID, encode_oid(oid)) + encode_value(val))
                   for oid, val in varbinds)
    pdu = _tlv(pdu_type, _enc_int(request_id) + _enc_int(error_status) + _enc_int(error_index)
               + _tlv(SEQUENCE, vbl))
    return _tlv(SEQUENCE, _enc_int(version) + _tlv(OCTET_STRING, community) + pdu)
