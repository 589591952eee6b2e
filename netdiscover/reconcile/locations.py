"""Planning switch-port placements: a switch's forwarding table puts a known MAC on a port (pure,
given the interfaces carrying those MACs)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from netdiscover.identity import mac_kind
from netdiscover.observation import Observation
from netdiscover.reconcile.context import ReconcileResult, SweepContext
from netdiscover.storage.write_plan import WritePlan


def edge_sightings(locations: list[Observation]) -> dict[str, Observation]:
    """MAC -> the sighting that places it: of several ports, the edge port (fewest MACs)."""
    per_port: dict[tuple[str | None, str | None], int] = defaultdict(int)
    for o in locations:
        per_port[(o.switch, o.switch_port)] += 1
    best: dict[str, Observation] = {}
    for o in locations:
        if mac_kind(o.mac) is None:
            continue
        prev = best.get(o.mac)
        if prev is None or per_port[(o.switch, o.switch_port)] < per_port[(prev.switch, prev.switch_port)]:
            best[o.mac] = o
    return best


def plan_locations(ctx: SweepContext, locations: list[Observation], best: dict[str, Observation],
                   interfaces: Sequence[Any], result: ReconcileResult
                   ) -> tuple[WritePlan, dict[int, int | None]]:
    """Move interfaces to the ports ``best`` names; returns the plan and observation index -> asset id."""
    plan = WritePlan()
    holder: dict[str, int] = {}
    for r in interfaces:
        holder.setdefault(r.mac, r.asset_id)
        o = best[r.mac]
        if (o.switch, o.switch_port) != (r.switch, r.switch_port):
            plan.iface_updates.append({"id": r.id, "switch": o.switch, "switch_port": o.switch_port})
            plan.events.append(ctx.event(r.asset_id, "switch_port_changed",
                                         {"mac": r.mac, "switch": r.switch, "port": r.switch_port},
                                         {"mac": r.mac, "switch": o.switch, "port": o.switch_port}))
            result.located += 1
    return plan, {i: holder.get(o.mac) for i, o in enumerate(locations) if o.mac}
