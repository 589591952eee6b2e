"""What every command shares: the application context click passes around, and the user error.

It lives apart from cli.py so that command modules never import the module that registers them.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import click


@dataclass
class AppContext:
    """What every command gets through ``click.pass_obj``."""

    db_url: str | None = None
    verbose: int = 0
    _session_factory: object | None = field(default=None, repr=False)

    def check_db_url(self) -> None:
        """Refuse now a database URL no database could be reached by (cheap: the database layer
        is not loaded), for commands that do long work before they open the database."""
        from netdiscover.storage.url_text import DatabaseError, check_url_text

        try:
            check_url_text(self.db_url)
        except DatabaseError as exc:
            raise UserError(f"database: {exc}") from None

    def sessions(self):
        """The sessionmaker for the selected database, migrated on first use."""
        if self._session_factory is None:
            from netdiscover.storage.engine import DatabaseError, open_database

            try:
                self._session_factory = open_database(self.db_url)
            except DatabaseError as exc:
                raise UserError(f"database: {exc}") from None
        return self._session_factory


class UserError(click.ClickException):
    """A one-line error for the user; exits 2 with no traceback."""

    exit_code = 2
