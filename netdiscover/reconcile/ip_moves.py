"""Planning IP moves: an IP a device of this sweep now holds is no longer current on the asset
that held it before (pure, given the current address rows)."""

from __future__ import annotations

from collections import defaultdict

from netdiscover.reconcile.context import Identities, SweepContext
from netdiscover.reconcile.grouping import Device
from netdiscover.storage.write_plan import WritePlan


def taken_ips(devices: list[Device], identities: Identities) -> list[tuple[int, str, list[int]]]:
    """(previous holder, IP, new holders) for every IP this sweep saw on another asset than the
    one holding it (only IPs some asset held before count)."""
    held = identities.ip_holders
    claimed: dict[str, set[int]] = defaultdict(set)
    for d in devices:
        for ip in d.ips:
            if ip in held:
                claimed[ip].add(d.asset_id)
    moves = []
    for ip, holders in claimed.items():
        for old in held.get(ip, ()):
            old = identities.resolve(old)
            if old not in holders:
                moves.append((old, ip, sorted(holders)))
    return moves


def plan_moves(ctx: SweepContext, moves: list[tuple[int, str, list[int]]],
               current: dict[tuple[int, str], int]) -> WritePlan:
    """Retire each moved IP on its previous holder (``current``: (asset id, IP) -> address id)."""
    plan = WritePlan()
    for old, ip, holders in moves:
        addr_id = current.get((old, ip))
        if addr_id is not None:
            plan.addr_updates.append({"id": addr_id, "current": False})
            plan.events.append(ctx.event(old, "ip_changed", {"ips": [ip]}, {"ips": [], "moved_to": holders},
                                         note=f"{ip} is now held by asset {', '.join(map(str, holders))}"))
    return plan
