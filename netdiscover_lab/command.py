"""``netdiscover lab``: build, inspect and remove the demo office network (root only)."""

from __future__ import annotations

import csv
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import click

from netdiscover.commands.context import UserError


def _need_root() -> None:
    if os.geteuid() != 0:
        raise UserError("the lab builds network namespaces: run this as root (sudo)")


@click.group()
def lab() -> None:
    """A simulated office network in Linux network namespaces, on this machine only.

    \b
    sudo netdiscover lab up                 # build it (replaces an earlier one)
    sudo netdiscover lab exec -- netdiscover scan 10.20.0.0/24 10.30.0.0/24
    sudo netdiscover lab down               # remove everything, also after a failed up
    """


@lab.command()
@click.option("--inventory", "inventory_path", type=click.Path(dir_okay=False, path_type=Path),
              help="Also write the office's sample inventory CSV here.")
@click.option("--sites", "site_count", type=click.IntRange(1, 5),
              help="Build N site networks instead, each with its collector (local RabbitMQ, --db).")
@click.pass_obj
def up(app: Any, inventory_path: Path | None, site_count: int | None) -> None:
    """Build the office network (replacing any earlier demo lab), or with --sites the several-sites lab."""
    _need_root()
    if site_count:
        _sites_up(app, site_count)
        return
    from netdiscover_lab.office import DEMO_PREFIX, LabError, build_office, tear_down

    tear_down(DEMO_PREFIX)
    started = time.monotonic()
    click.echo("building the office lab (router, switch, servers, printers, cameras, phones, IoT)...",
               err=True)
    try:
        office = build_office(prefix=DEMO_PREFIX)
    except LabError as exc:
        raise UserError(f"lab up failed and was rolled back: {exc}") from None
    elapsed = time.monotonic() - started
    click.echo(f"lab up in {elapsed:.1f}s; scanner namespace: {office.scanner_ns}", err=True)
    if inventory_path:
        write_inventory(inventory_path)
        click.echo(f"sample inventory written to {inventory_path}", err=True)


@lab.command()
def down() -> None:
    """Remove the office network, the sites lab and everything they started."""
    _need_root()
    from netdiscover_lab.office import DEMO_PREFIX, STATE_DIR, tear_down
    from netdiscover_lab.sites_lab import sites_down

    removed = tear_down(DEMO_PREFIX) + sites_down(sites_prefix(), STATE_DIR)
    click.echo(f"removed {removed} namespaces")


def sites_prefix() -> str:
    """The sites lab's namespace prefix (beside the office's)."""
    from netdiscover_lab.office import DEMO_PREFIX

    return f"{DEMO_PREFIX}sites"


def _sites_up(app: Any, count: int) -> None:
    """``lab up --sites N``: the site networks, a collector in each, on the local RabbitMQ."""
    import shutil

    from netdiscover_lab.netns import LabError
    from netdiscover_lab.office import STATE_DIR
    from netdiscover_lab.sites_lab import sites_up

    if not shutil.which("rabbitmqctl"):
        raise UserError("the sites lab needs a local RabbitMQ (rabbitmqctl): scripts/services.sh starts it")
    sessions = app.sessions()
    click.echo(f"building {count} site networks, each with its collector...", err=True)
    try:
        state = sites_up(count, sessions, sites_prefix(), STATE_DIR)
    except LabError as exc:
        raise UserError(f"lab up --sites failed and was rolled back: {exc}") from None
    for name, site in state["sites"].items():
        click.echo(f"site {name:<8} {site['cidr']:<13} {len(site['hosts'])} hosts; collector in "
                   f"{site['namespace']} (log {site['log']})")
    db = app.db_url or ""
    click.echo("central ingest (start it; the broker URLs are also in "
               f"{STATE_DIR / (sites_prefix() + '.json')}):")
    click.echo(f"  netdiscover {'--db ' + db + ' ' if db else ''}worker --broker {state['central']}")
    first = next(iter(state["sites"]))
    click.echo(f"  netdiscover sweep submit {state['sites'][first]['cidr']} -m arp --site {first} "
               f"--broker {state['central']} --wait")


@lab.command()
def status() -> None:
    """Show whether the office lab is up and what it holds."""
    from netdiscover_lab.netns import list_namespaces
    from netdiscover_lab.office import DEMO_PREFIX, load_state
    from netdiscover_lab.office_topology import DEVICES

    names = [ns for ns in list_namespaces() if ns.startswith(f"{DEMO_PREFIX}-")] if os.geteuid() == 0 else []
    state = load_state(DEMO_PREFIX)
    if not names:
        click.echo("lab is down")
        return
    click.echo(f"lab is up: {len(names)} namespaces; scanner namespace {state and state['scanner_ns']}")
    for device in DEVICES:
        mark = "" if device.documented else "  (not in the sample inventory)"
        click.echo(f"  {device.ip:<13} {device.mac}  {device.device_class:<12} {device.vendor:<13} "
                   f"{device.name}{mark}")


@lab.command(name="exec", context_settings={"ignore_unknown_options": True})
@click.argument("command", nargs=-1, required=True, type=click.UNPROCESSED)
def exec_(command: tuple[str, ...]) -> None:
    """Run COMMAND inside the lab's scanner namespace (put -- before it)."""
    _need_root()
    from netdiscover_lab.office import DEMO_PREFIX, load_state

    state = load_state(DEMO_PREFIX)
    if not state:
        raise UserError("the lab is down; run: netdiscover lab up")
    cmd = list(command)
    if cmd[0] == "netdiscover":
        cmd[0] = str(Path(sys.executable).with_name("netdiscover"))
    sys.exit(subprocess.call(["ip", "netns", "exec", state["scanner_ns"], *cmd]))


@lab.command()
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
def inventory(path: Path) -> None:
    """Write the office's sample inventory (what its admins documented) as CSV to PATH."""
    write_inventory(path)
    click.echo(f"wrote {path}")


def write_inventory(path: Path) -> None:
    from netdiscover_lab.office_topology import INVENTORY_COLUMNS, inventory_rows

    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=INVENTORY_COLUMNS)
        writer.writeheader()
        writer.writerows(inventory_rows())
