"""Alembic environment: migrates the connection handed over by netdiscover.storage.engine.upgrade.

Also usable from the alembic command line with ``-x url=...`` for development.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine

from netdiscover.storage import auth_models, site_models  # noqa: F401  (their tables join Base.metadata)
from netdiscover.storage.models import Base

target_metadata = Base.metadata


def _run(connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run() -> None:
    connection = context.config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    url = context.get_x_argument(as_dictionary=True).get("url")
    if not url:
        raise SystemExit("give the database with: alembic -x url=sqlite:///path.db ...")
    engine = create_engine(url)
    with engine.connect() as conn:
        _run(conn)
        conn.commit()


if context.is_offline_mode():
    raise SystemExit("offline (SQL script) migrations are not supported")
run()
