"""The ``netdiscover`` command line (click): global options and the command groups.

Each command group lives in its own module under ``netdiscover/commands/`` and is named in
``BUILT_IN`` below (imported when it is run or listed); this module holds the global options.
What every command shares (the application context, the one-line user error) is in
``commands/context.py``, so no command imports this module.
"""

from __future__ import annotations

import importlib
import logging
import sys
from typing import Any

import click

from netdiscover import __version__
from netdiscover.commands.context import AppContext


class _PluginGroup(click.Group):
    """The top-level group: built-in commands, plus commands other installed packages offer.

    A package adds a command through the ``netdiscover.commands`` entry-point group (the test
    network's ``lab`` command comes this way, so the core never imports the lab). Entry points
    are read only when a name is not built in or the command list is shown.
    """

    _entry_points: dict[str, Any] | None = None

    def _plugins(self) -> dict[str, Any]:
        if self._entry_points is None:     # the installed packages' metadata is read once
            from importlib.metadata import entry_points

            found = entry_points(group="netdiscover.commands")
            self._entry_points = {ep.name: ep for ep in found if ep.name not in BUILT_IN}
        return self._entry_points

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*self.commands, *BUILT_IN, *self._plugins()})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name in self.commands:
            return self.commands[cmd_name]
        if cmd_name in BUILT_IN:
            module_name, _, attribute = BUILT_IN[cmd_name].partition(":")
            command = getattr(importlib.import_module(module_name), attribute)
        elif (ep := self._plugins().get(cmd_name)) is not None:
            command = ep.load()
        else:
            return None
        self.add_command(command, cmd_name)
        return command


@click.group(cls=_PluginGroup,
             context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.option("--db", "db_url", envvar="NETDISCOVER_DB", metavar="URL",
              help="Database URL (default: SQLite under $XDG_DATA_HOME/netdiscover). "
                   "Example: postgresql+psycopg://user@host/netdiscover. Env: NETDISCOVER_DB.")
@click.option("-v", "--verbose", count=True, help="More log output (-vv for debug).")
@click.version_option(__version__, prog_name="netdiscover")
@click.pass_context
def main(ctx: click.Context, db_url: str | None, verbose: int) -> None:
    """Find every device on your networks, say what each one is, and show which ones nobody documented.

    \b
    Typical use:
      netdiscover inventory import assets.csv        # what you already know
      sudo netdiscover scan 10.20.0.0/24 --iface eth1 # what is really there
      netdiscover report unknown                     # what nobody documented
    """
    level = logging.WARNING - 10 * min(verbose, 2)
    logging.basicConfig(level=level, stream=sys.stderr, format="%(levelname)s %(name)s: %(message)s")
    ctx.obj = AppContext(db_url=db_url, verbose=verbose)


# --- command registration (one line per command; keep it sorted) -----------------------------
# name -> "module:object"; a command's module is imported only when that command is run or listed,
# so `netdiscover scan` does not pay for the web, the workers or the reports before nmap starts.
BUILT_IN: dict[str, str] = {
    "assets": "netdiscover.commands.assets:assets",
    "collector": "netdiscover.commands.collector:collector",
    "daemon": "netdiscover.commands.daemon:daemon",
    "db": "netdiscover.commands.db:db",
    "fingerprint": "netdiscover.commands.fingerprint:fingerprint",
    "inventory": "netdiscover.commands.inventory:inventory",
    "listen": "netdiscover.commands.listen:listen",
    "report": "netdiscover.commands.report:report",
    "review": "netdiscover.commands.review:review",
    "scan": "netdiscover.commands.scan:scan",
    "serve": "netdiscover.commands.serve:serve",
    "sites": "netdiscover.commands.sites:sites",
    "status": "netdiscover.commands.daemon:status",
    "sweep": "netdiscover.commands.sweep:sweep",
    "token": "netdiscover.commands.users:token",
    "user": "netdiscover.commands.users:user",
    "worker": "netdiscover.commands.worker:worker",
}
# --- end of command registration ---------------------------------------------------------------
