"""SNMP credentials: parsing, labels, and secrets kept out of every rendering."""

import pytest

from netdiscover.credentials import CredentialError, communities, parse_v3


def test_labels_never_carry_the_community_but_flag_defaults():
    creds = communities(["s3cret-comm", "public"])
    assert [c.label for c in creds] == ["v2c#1", "v2c#2-default"]
    for cred in creds:
        assert "s3cret" not in repr(cred) and "s3cret" not in str(cred)


def test_v3_long_and_short_forms():
    full = parse_v3("ops:sha256/AuthKey123:aes256/PrivKey456")
    assert (full.user, full.auth_protocol, full.priv_protocol) == ("ops", "sha256", "aes256")
    short = parse_v3("ops:AuthKey123")
    assert (short.auth_protocol, short.priv_protocol, short.label) == ("sha", None, "v3:ops")
    assert "AuthKey123" not in repr(full) and "PrivKey456" not in repr(full)


@pytest.mark.parametrize("spec", ["ops", ":sha/AuthKey123", "ops:md4/AuthKey123", "ops:sha/short",
                                  "ops:sha/AuthKey123:rc4/PrivKey456"])
def test_bad_v3_specs_are_refused(spec):
    with pytest.raises(CredentialError):
        parse_v3(spec)
