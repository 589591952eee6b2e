"""The ``netdiscover`` command line (click): global options and the command groups.

Each command group lives in its own module under ``netdiscover/commands/`` and is registered
below; this module holds the global options. What every command shares (the application
context, the one-line user error) is in ``commands/context.py``, so no command imports this module.
"""

from __future__ import annotations

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
            self._entry_points = {ep.name: ep for ep in found if ep.name not in self.commands}
        return self._entry_points

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted([*self.commands, *self._plugins()])

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name in self.commands:
            return self.commands[cmd_name]
        ep = self._plugins().get(cmd_name)
        if ep is None:
            return None
        command = ep.load()
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


# --- command registration (one line per command module; keep this block sorted) ---------------
from netdiscover.commands.assets import assets  # noqa: E402
from netdiscover.commands.collector import collector  # noqa: E402
from netdiscover.commands.daemon import daemon, status  # noqa: E402
from netdiscover.commands.db import db  # noqa: E402
from netdiscover.commands.fingerprint import fingerprint  # noqa: E402
from netdiscover.commands.inventory import inventory  # noqa: E402
from netdiscover.commands.listen import listen  # noqa: E402
from netdiscover.commands.report import report  # noqa: E402
from netdiscover.commands.review import review  # noqa: E402
from netdiscover.commands.scan import scan  # noqa: E402
from netdiscover.commands.serve import serve  # noqa: E402
from netdiscover.commands.sites import sites  # noqa: E402
from netdiscover.commands.sweep import sweep  # noqa: E402
from netdiscover.commands.users import token, user  # noqa: E402
from netdiscover.commands.worker import worker  # noqa: E402

main.add_command(assets)
main.add_command(collector)
main.add_command(daemon)
main.add_command(db)
main.add_command(fingerprint)
main.add_command(inventory)
main.add_command(listen)
main.add_command(report)
main.add_command(review)
main.add_command(scan)
main.add_command(serve)
main.add_command(sites)
main.add_command(status)
main.add_command(sweep)
main.add_command(token)
main.add_command(user)
main.add_command(worker)
# --- end of command registration ---------------------------------------------------------------
