"""``netdiscover listen``: hear what devices announce, without sending a packet, and store it.

Runs the passive listener on one or more interfaces for ``--duration``; every ``--flush``
seconds the sightings are reconciled as method ``passive`` (the same entry point a sweep uses,
never proving that anything is gone). Prints a summary at the end (and at each flush with -v).
"""

from __future__ import annotations

import json
import signal
import sys
import time
from datetime import timedelta
from typing import Any

import click

from netdiscover.commands.context import AppContext, UserError
from netdiscover.durations import HELP, DurationError, parse_duration

LONGEST_LISTEN = timedelta(days=366)


class _Totals:
    """Assets new/updated over every flush, and flush failures."""

    def __init__(self) -> None:
        self.counts: dict[str, int] = {"new": 0, "updated": 0, "unchanged": 0, "devices": 0}
        self.errors: list[str] = []


def _summary(interfaces: list[str], seconds: float, stats: Any, totals: _Totals, scan_id: int | None) -> dict:
    return {"interfaces": interfaces, "seconds": round(seconds, 3), "scan_id": scan_id, **stats.to_dict(),
            "assets": dict(totals.counts), "errors": list(totals.errors)}


def _print_summary(data: dict, err: bool = False) -> None:
    packets = "  ".join(f"{k} {v}" for k, v in data["packets"].items()) or "none"
    assets = data["assets"]
    click.echo(f"listened on {', '.join(data['interfaces'])} for {data['seconds']:.1f}s", err=err)
    click.echo(f"packets: {packets}", err=err)
    click.echo(f"received {data['received']}  kernel drops {data['kernel_drops']}  malformed "
               f"{data['malformed']}  oversized {data['oversized']}", err=err)
    click.echo(f"sightings {data['sightings']}  dropped by the table {data['overflow']}  devices "
               f"{assets['devices']}  assets new {assets['new']}  updated {assets['updated']}", err=err)
    for interface, where in data["uplinks"].items():
        click.echo(f"{interface} is plugged into {where['switch']} port {where['port'] or '?'} "
                   f"(heard by {where['protocol']})", err=err)
    for message in data["errors"]:
        click.echo(f"warning: {message}", err=True)


@click.command()
@click.option("--iface", "interfaces", multiple=True, required=True, metavar="NAME",
              help="Interface to listen on; repeat for several.")
@click.option("--duration", default="10m", show_default=True, metavar="TIME",
              help=f"How long to listen: {HELP}, at most 366d.")
@click.option("--flush", "flush_text", default="30s", show_default=True, metavar="TIME",
              help=f"How often sightings are stored: {HELP}.")
@click.option("--site", metavar="NAME", help="Site the heard devices belong to.")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True)
@click.pass_obj
def listen(app: AppContext, interfaces: tuple[str, ...], duration: str, flush_text: str, site: str | None,
           fmt: str) -> None:
    """Listen on INTERFACES for what devices announce (ARP, DHCP, mDNS, SSDP, LLDP, CDP, IPv6 ND,
    NetBIOS) and store it. Sends nothing, ever; needs root or CAP_NET_RAW.

    \b
    Examples:
      sudo netdiscover listen --iface eth0 --duration 1h
      sudo netdiscover listen --iface eth0 --iface eth1 --duration 10m --format json
    """
    from netdiscover.scanners.passive.listener import Listener, ListenerError
    from netdiscover.services.listening import ListenRun

    try:
        seconds = parse_duration(duration, longest=LONGEST_LISTEN).total_seconds()
        flush_every = parse_duration(flush_text, longest=LONGEST_LISTEN).total_seconds()
    except DurationError as exc:
        raise UserError(str(exc)) from None
    names = list(dict.fromkeys(interfaces))
    listener = Listener(names)
    try:
        listener.open()
    except ListenerError as exc:
        raise UserError(str(exc)) from None
    sessions = app.sessions()
    if app.verbose:
        click.echo(f"listening on {', '.join(names)} for {seconds:g}s", err=True)
    run = ListenRun.start(sessions, names, started_by="cli", site=site)
    scan_id = run.scan_id
    totals = _Totals()
    started = time.monotonic()

    def on_flush(observations: list) -> None:
        try:
            rec = run.store(observations)
        except Exception as exc:   # keep listening; the next window is stored on its own
            totals.errors.append(f"storing {len(observations)} observations failed: "
                                 f"{type(exc).__name__}: {exc}")
            return
        for key in totals.counts:
            totals.counts[key] += getattr(rec, key)
        if app.verbose:
            elapsed = time.monotonic() - started
            _print_summary(_summary(names, elapsed, listener.stats, totals, scan_id), err=True)

    previous = {sig: signal.signal(sig, lambda *_: listener.stop())
                for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        stats = listener.run(seconds, flush_every=flush_every, on_flush=on_flush)
    finally:
        listener.close()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    data = _summary(names, time.monotonic() - started, stats, totals, scan_id)
    status = "completed" if not totals.errors else "partial"
    run.finish(status, {**data["assets"], "observations": stats.observations}, totals.errors)
    if fmt == "json":
        click.echo(json.dumps(data, indent=2))
    else:
        _print_summary(data)
    if totals.errors and not totals.counts["devices"]:
        sys.exit(1)
