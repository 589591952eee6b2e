"""Merging one device's observations across methods into a Summary (pure)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from netdiscover.identity import (
    engine_key,
    identity_ip,
    link_local_ip,
    serial_key,
)
from netdiscover.observation import HOST, Observation, as_utc
from netdiscover.reconcile.grouping import Device

# Whose hostname wins when methods disagree: the device's own word first.
HOSTNAME_PRIORITY = {"snmp": 0, "iot": 1, "nmap": 2, "arp": 3}



@dataclass(slots=True)
class Summary:
    """What a device's observations say, merged across methods."""

    first: datetime
    last: datetime
    hostname: str | None
    serial: str | None
    engine: str | None
    credential: str | None
    methods: set[str]
    ips: list[str]
    ip_mac: dict[str, str]
    macs: dict[str, dict[str, Any]]         # mac -> interface details
    services: dict[tuple[int, str], Any]
    services_authoritative: bool
    software: dict[tuple[str, str | None], Any]
    host_seen: bool
    hostname_method: str | None = None      # the method whose hostname was taken
    # link-local address -> the MAC that showed it: stored as an address, never matched on
    local_ips: dict[str, str] | None = None


def _recordable(mac: str) -> bool:
    """Worth an interfaces row: any unicast, non-zero MAC (shared virtual ones included)."""
    return mac != "00:00:00:00:00:00" and not int(mac[:2], 16) & 0x01


def _add_local(local_ips: dict[str, str], ip: str, mac: str) -> None:
    """Keep ``ip`` as one of ``mac``'s link-local addresses when it is one (the first MAC wins)."""
    local = link_local_ip(ip)
    if local:
        local_ips.setdefault(local, mac)


def _summarise_plain(dev: Device, o: Observation) -> Summary:
    """``summarise`` for the common device: one observation without interfaces, services or software."""
    macs: dict[str, dict[str, Any]] = {}
    ip_mac: dict[str, str] = {}
    local_ips = None
    mac, flags = o.mac, o.flags
    if mac and _recordable(mac) and not (flags and "proxy_arp" in flags):
        macs[mac] = {}
        ip = identity_ip(o.ip)
        if ip:
            if not (flags and "ip_conflict" in flags):
                ip_mac[ip] = mac
        elif o.ip:
            local = link_local_ip(o.ip)
            if local:
                local_ips = {local: mac}
    seen = o.seen_at
    if seen is None or seen.tzinfo is not UTC:
        seen = as_utc(seen)
    if seen.microsecond:
        seen = seen.replace(microsecond=0)
    # positional, in field order: this runs once per device of every sweep
    return Summary(seen, seen, o.hostname, o.serial if o.serial and serial_key(o.serial) else None,
                   engine_key(o.snmp_engine_id) if o.snmp_engine_id else None, o.credential, {o.method},
                   list(dev.ips), ip_mac, macs, {}, False, {}, o.kind == HOST,
                   o.method if o.hostname else None, local_ips)


def summarise(dev: Device) -> Summary:
    """Merge a device's observations into one Summary."""
    if len(dev.obs) == 1:
        o = dev.obs[0]
        if not (o.interfaces or o.services or o.software):
            return _summarise_plain(dev, o)
        obs = dev.obs
    else:
        obs = sorted(dev.obs, key=lambda o: (o.kind != HOST, HOSTNAME_PRIORITY.get(o.method, 9)))
    times = [as_utc(o.seen_at) for o in obs]
    hostname = serial = engine = credential = hostname_method = None
    methods: set[str] = set()
    ip_mac: dict[str, str] = {}
    macs: dict[str, dict[str, Any]] = {}
    services: dict[tuple[int, str], Any] = {}
    software: dict[tuple[str, str | None], Any] = {}
    local_ips: dict[str, str] = {}
    authoritative = host_seen = False
    for o in obs:
        methods.add(o.method)
        host_seen = host_seen or o.kind == HOST
        if o.hostname and not hostname:
            hostname, hostname_method = o.hostname, o.method
        if o.serial and not serial and serial_key(o.serial):
            serial = o.serial
        if o.snmp_engine_id and not engine:
            engine = engine_key(o.snmp_engine_id)
        credential = credential or o.credential
        if o.mac and "proxy_arp" not in o.flags and _recordable(o.mac):
            macs.setdefault(o.mac, {})
            ip = identity_ip(o.ip)
            if ip:
                if "ip_conflict" not in o.flags:
                    ip_mac.setdefault(ip, o.mac)
            elif o.ip:
                _add_local(local_ips, o.ip, o.mac)
        for iface in o.interfaces:
            if iface.mac and _recordable(iface.mac):
                for ip in iface.ips:
                    norm = identity_ip(ip)
                    if norm:
                        ip_mac.setdefault(norm, iface.mac)
                    else:
                        _add_local(local_ips, ip, iface.mac)
                info = macs.setdefault(iface.mac, {})
                for key, value in (("name", iface.name), ("if_index", iface.index), ("speed", iface.speed),
                                   ("oper_status", iface.status)):
                    if value is not None and key not in info:
                        info[key] = value
        for svc in o.services:
            key = (int(svc.port), (svc.protocol or "tcp").lower())
            if key not in services or (svc.product and not services[key].product):
                services[key] = svc
        if o.method == "nmap" and o.kind == HOST and o.services:
            authoritative = True
        for sw in o.software:
            software.setdefault((sw.name, sw.version), sw)
    first = min(times).replace(microsecond=0)
    return Summary(
        first=first, last=first if len(times) == 1 else max(times).replace(microsecond=0),
        hostname=hostname, serial=serial, engine=engine,
        credential=credential, methods=methods, ips=list(dev.ips), ip_mac=ip_mac, macs=macs,
        services=services, services_authoritative=authoritative, software=software,
        host_seen=host_seen, hostname_method=hostname_method, local_ips=local_ips or None,
    )
