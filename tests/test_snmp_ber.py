"""The SNMPv1/v2c BER codec: agrees with pysnmp's own codec, and rejects every malformed message."""

from __future__ import annotations

import random

import pytest
from pyasn1.codec.ber import decoder, encoder
from pysnmp.proto import api

from netdiscover.scanners.snmp import ber
from netdiscover.scanners.snmp.ber import BerError, Typed, decode_message, encode_message, parse_oid

V2C = api.PROTOCOL_MODULES[api.SNMP_VERSION_2C]


def reference_response(varbinds: list) -> bytes:
    pdu = V2C.GetResponsePDU()
    V2C.apiPDU.set_defaults(pdu)
    V2C.apiPDU.set_request_id(pdu, 987654)
    V2C.apiPDU.set_varbinds(pdu, varbinds)
    msg = V2C.Message()
    V2C.apiMessage.set_defaults(msg)
    V2C.apiMessage.set_community(msg, "s3cret")
    V2C.apiMessage.set_pdu(msg, pdu)
    return encoder.encode(msg)


def test_getbulk_request_decodes_with_pysnmp():
    oids = [(parse_oid("1.3.6.1.2.1.2.2.1.2"), None), ((1, 3, 6, 1, 4, 1, 99999, 200000, 1), None)]
    raw = encode_message(1, b"public", ber.GETBULK, 4242, oids, 0, 40)
    msg, rest = decoder.decode(raw, asn1Spec=V2C.Message())
    assert rest == b""
    pdu = V2C.apiMessage.get_pdu(msg)
    assert int(V2C.apiPDU.get_request_id(pdu)) == 4242
    assert int(V2C.apiBulkPDU.get_max_repetitions(pdu)) == 40
    names = [tuple(oid) for oid, _ in V2C.apiPDU.get_varbinds(pdu)]
    assert names == [parse_oid("1.3.6.1.2.1.2.2.1.2"), (1, 3, 6, 1, 4, 1, 99999, 200000, 1)]


def test_response_from_pysnmp_decodes_to_plain_values():
    raw = reference_response([
        ("1.3.6.1.2.1.1.1.0", V2C.OctetString(b"Linux \x00box")),
        ("1.3.6.1.2.1.1.2.0", V2C.ObjectIdentifier("1.3.6.1.4.1.8072.3.2.10")),
        ("1.3.6.1.2.1.1.3.0", V2C.TimeTicks(4294967295)),
        ("1.3.6.1.2.1.4.1.0", V2C.Integer(-3)),
        ("1.3.6.1.2.1.31.1.1.1.6.1", V2C.Counter64(2**64 - 1)),
        ("1.3.6.1.2.1.4.20.1.1.10.0.0.1", V2C.IpAddress("10.0.0.1")),
        ("1.3.6.1.2.1.1.9.0", V2C.NoSuchObject("")),
        ("1.3.6.1.2.1.1.10.0", V2C.EndOfMibView("")),
    ])
    msg = decode_message(raw)
    assert (msg.version, msg.community, msg.pdu_type, msg.request_id) == (1, b"s3cret", ber.RESPONSE, 987654)
    values = dict(msg.varbinds)
    assert values[parse_oid("1.3.6.1.2.1.1.1.0")] == b"Linux \x00box"
    assert values[parse_oid("1.3.6.1.2.1.1.2.0")] == (1, 3, 6, 1, 4, 1, 8072, 3, 2, 10)
    assert values[parse_oid("1.3.6.1.2.1.1.3.0")] == 4294967295
    assert values[parse_oid("1.3.6.1.2.1.4.1.0")] == -3
    assert values[parse_oid("1.3.6.1.2.1.31.1.1.1.6.1")] == 2**64 - 1
    assert values[parse_oid("1.3.6.1.2.1.4.20.1.1.10.0.0.1")] == b"\x0a\x00\x00\x01"
    assert values[parse_oid("1.3.6.1.2.1.1.9.0")] is ber.NO_SUCH_OBJECT
    assert values[parse_oid("1.3.6.1.2.1.1.10.0")] is ber.END_OF_MIB


def test_our_encoding_of_a_response_is_byte_identical_to_pysnmp():
    ours = encode_message(1, b"s3cret", ber.RESPONSE, 987654, [
        (parse_oid("1.3.6.1.2.1.1.3.0"), Typed(ber.TIMETICKS, 4294967295)),
        (parse_oid("1.3.6.1.2.1.2.2.1.2.1"), b"Gi1/0/1"),
        (parse_oid("1.3.6.1.2.1.4.1.0"), -129),
    ])
    assert ours == reference_response([
        ("1.3.6.1.2.1.1.3.0", V2C.TimeTicks(4294967295)),
        ("1.3.6.1.2.1.2.2.1.2.1", V2C.OctetString(b"Gi1/0/1")),
        ("1.3.6.1.2.1.4.1.0", V2C.Integer(-129)),
    ])


GOOD = encode_message(1, b"public", ber.RESPONSE, 7, [
    (parse_oid("1.3.6.1.2.1.1.5.0"), b"sw1"), (parse_oid("1.3.6.1.2.1.1.2.0"), (1, 3, 6, 1, 4, 1, 9))])


@pytest.mark.parametrize("raw, why", [
    (b"", "empty"),
    (GOOD[: len(GOOD) // 2], "truncated"),
    (b"\x30\x84\xff\xff\xff\xff" + GOOD[2:], "length past end"),
    (b"\x30\x80" + GOOD[2:], "indefinite length"),
    (b"\x31" + GOOD[1:], "wrong outer tag"),
    (GOOD[:-3] + b"\x06\x81\xff", "OID length runs off"),
    (encode_message(1, b"p", ber.RESPONSE, 1, [((1, 3, 6, 1), None)])[:-4] + b"\x06\x02\x2b\x86\x05\x00",
     "truncated OID arc"),
    (b"\x30\x06\x02\x01\x03\x04\x01x", "SNMPv3 or unknown version"),
    (b"\x30\x0b\x02\x01\x01\x04\x01x\xbf\x1f\x02\x00\x00", "multi-byte tag"),
])
def test_malformed_messages_raise_ber_error(raw, why):
    with pytest.raises(BerError):
        decode_message(raw)


def test_random_corruption_only_ever_raises_ber_error():
    rng = random.Random(20261130)
    decoded = rejected = 0
    for _ in range(3000):
        data = bytearray(GOOD)
        for _ in range(rng.randint(1, 4)):
            data[rng.randrange(len(data))] = rng.randrange(256)
        if rng.random() < 0.3:
            del data[rng.randrange(len(data)):]
        try:
            decode_message(bytes(data))
            decoded += 1
        except BerError:
            rejected += 1
    assert rejected > 1000 and decoded + rejected == 3000


def test_oid_arcs_are_bounded():
    ok = encode_message(1, b"p", ber.RESPONSE, 1, [((1, 3, 6, 1, 4, 1, 2**35 - 1), None)])
    assert decode_message(ok).varbinds[0][0][-1] == 2**35 - 1
    huge = encode_message(1, b"p", ber.RESPONSE, 1, [((1, 3, 6, 1, 4, 1, 2**36), None)])
    with pytest.raises(BerError, match="arc too large"):
        decode_message(huge)
    long_oid = encode_message(1, b"p", ber.RESPONSE, 1, [((1, 3) + (1,) * 200, None)])
    with pytest.raises(BerError, match="OID too long"):
        decode_message(long_oid)
