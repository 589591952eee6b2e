"""SNMP credentials: v1/v2c communities and v3 users, with secrets kept out of every rendering.

A credential's ``label`` is what may be logged or stored ("v2c#1", "v3:monitor"); the secret
parts never appear in ``repr``, ``str``, logs, the database or reports.
"""

from __future__ import annotations

from dataclasses import dataclass, field

V3_AUTH_PROTOCOLS = ("md5", "sha", "sha224", "sha256", "sha384", "sha512")
V3_PRIV_PROTOCOLS = ("des", "3des", "aes", "aes128", "aes192", "aes256")


class CredentialError(ValueError):
    """A credential string that cannot be understood."""


@dataclass(frozen=True)
class SnmpCredential:
    """One way to talk to an SNMP agent."""

    version: str                       # "1", "2c" or "3"
    community: str | None = field(default=None, repr=False)
    user: str | None = None
    auth_protocol: str | None = None
    auth_key: str | None = field(default=None, repr=False)
    priv_protocol: str | None = None
    priv_key: str | None = field(default=None, repr=False)
    label: str = ""

    def __str__(self) -> str:
        return self.label or f"v{self.version}"


# Factory defaults that attackers try first: an agent answering one of these is a risk finding.
DEFAULT_COMMUNITIES = frozenset({"public", "private"})


def communities(values: list[str] | tuple[str, ...], version: str = "2c") -> list[SnmpCredential]:
    """v2c (or v1) credentials for each community, labelled by position, never by value.

    A factory-default community is labelled ``v2c#N-default`` so that reports can flag agents
    that answer to it without the community itself ever being stored.
    """
    return [
        SnmpCredential(version=version, community=c,
                       label=f"v{version}#{i + 1}" + ("-default" if c in DEFAULT_COMMUNITIES else ""))
        for i, c in enumerate(values)
    ]


def parse_v3(spec: str) -> SnmpCredential:
    """Parse ``user:authproto/authkey:privproto/privkey`` (priv part optional).

    Short form ``user:authkey:privkey`` means SHA and AES-128.
    """
    parts = spec.split(":")
    if len(parts) not in (2, 3) or not parts[0]:
        raise CredentialError(
            "SNMPv3 credential must look like user:sha/AUTHKEY[:aes/PRIVKEY] (or user:AUTHKEY[:PRIVKEY])"
        )
    user = parts[0]

    def split(part: str, protocols: tuple[str, ...], default: str) -> tuple[str, str]:
        proto, sep, key = part.partition("/")
        if not sep:
            proto, key = default, part
        proto = proto.lower()
        if proto not in protocols:
            raise CredentialError(f"unknown SNMPv3 protocol {proto!r}; choose from {', '.join(protocols)}")
        if len(key) < 8:
            raise CredentialError("SNMPv3 keys must be at least 8 characters")
        return proto, key

    auth_proto, auth_key = split(parts[1], V3_AUTH_PROTOCOLS, "sha")
    priv_proto = priv_key = None
    if len(parts) == 3:
        priv_proto, priv_key = split(parts[2], V3_PRIV_PROTOCOLS, "aes")
    return SnmpCredential(
        version="3", user=user, auth_protocol=auth_proto, auth_key=auth_key,
        priv_protocol=priv_proto, priv_key=priv_key, label=f"v3:{user}",
    )
