"""Engine and session factory for the asset database, migrated to the newest schema on first use.

SQLite (the embedded default) runs in WAL mode with a busy timeout and foreign keys on;
PostgreSQL is reached through psycopg 3. ``open_database`` is the one entry point: it builds
the engine, checks the database answers, and runs the Alembic migrations up to head, under a
lock so two processes starting at once do not both migrate.
"""

from __future__ import annotations

import fcntl
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, NoSuchModuleError, SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import StaticPool

from netdiscover.storage.url_text import (
    BACKENDS,
    EXAMPLE,
    DatabaseError,
    check_url_text,
    default_db_url,
    first_line,
)

BUSY_TIMEOUT_S = 60
# Pooled connections kept open: more than the web server's worker threads and its background
# index refresh, so that under load every request reuses one. With SQLAlchemy's default of 5 and
# 8 worker threads, connections past the fifth were opened and closed per request (on PostgreSQL
# a backend process started for each: 53 new sessions in 1,250 API requests at 20 clients).
POOL_SIZE = 10
# Key of the PostgreSQL advisory locks that serialise migrations and sweep writes.
MIGRATE_LOCK = 0x6E64_6D67
WRITE_LOCK = 0x6E64_7772


def normalise_url(url: str | None) -> URL:
    """Parse a database URL; plain postgresql:// goes to psycopg 3, a bare path means SQLite."""
    raw = check_url_text(url)
    try:
        parsed = make_url(raw)
    except ArgumentError as exc:
        raise DatabaseError(f"invalid database URL {first_line(raw)!r}: {EXAMPLE}") from exc
    if parsed.drivername in ("postgresql", "postgres", "postgresql+psycopg2"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    if parsed.get_backend_name() not in BACKENDS:
        raise DatabaseError(f"unsupported database {parsed.get_backend_name()!r}: use sqlite or postgresql")
    return parsed


def safe_url(url: URL) -> str:
    """The URL for messages, password hidden."""
    return url.render_as_string(hide_password=True)


def _sqlite_setup(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        # Let us emit BEGIN ourselves so a writer can take the lock up front (BEGIN IMMEDIATE).
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_S * 1000}")
        cur.execute("PRAGMA foreign_keys = ON")
        if engine.url.database not in (None, "", ":memory:"):
            cur.execute("PRAGMA journal_mode = WAL")
            cur.execute("PRAGMA synchronous = NORMAL")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        write = conn.get_execution_options().get("netdiscover_write")
        conn.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")


def _sqlite_directory(url: URL) -> None:
    """Create the default database's directory; any other SQLite file's directory must exist.

    A mistyped ``--db`` path must not turn into a fresh, empty database that answers "no assets".
    """
    database = str(url.database)
    if database.startswith("file:") and url.query.get("uri"):
        return                                    # an SQLite URI filename: SQLite resolves it
    if database == make_url(default_db_url()).database:
        Path(database).parent.mkdir(parents=True, exist_ok=True)
        return
    parent = Path(database).parent
    if not parent.is_dir():
        what = "is not a directory" if parent.exists() else "does not exist"
        raise DatabaseError(f"cannot use database {safe_url(url)}: directory {parent} {what} "
                            "(create it first, or leave out --db for the default location)")


def create_db_engine(url: URL) -> Engine:
    """An Engine for ``url`` with netdiscover's connection settings (no migration)."""
    try:
        if url.get_backend_name() == "sqlite":
            memory = url.database in (None, "", ":memory:")
            if not memory:
                _sqlite_directory(url)
            kwargs: dict[str, Any] = {"connect_args": {"timeout": BUSY_TIMEOUT_S,
                                                       "check_same_thread": False}}
            if memory:
                kwargs["poolclass"] = StaticPool
            else:
                kwargs["pool_size"] = POOL_SIZE
            engine = create_engine(url, **kwargs)
            _sqlite_setup(engine)
        else:
            engine = create_engine(url, pool_pre_ping=True, pool_size=POOL_SIZE,
                                   connect_args={"connect_timeout": 10})
    except (NoSuchModuleError, ArgumentError, OSError) as exc:
        raise DatabaseError(f"cannot use database {safe_url(url)}: {first_line(str(exc))}") from exc
    return engine


def open_database(url: str | None) -> sessionmaker[Session]:
    """Open (creating and migrating if needed) the database at ``url``; None means the default.

    The default SQLite file's directory is created on first use; for any other SQLite URL the
    directory must already exist.

    Raises DatabaseError with a one-line message when the URL is bad or the database is
    unreachable. Safe to call from several processes at once.
    """
    parsed = normalise_url(url)
    engine = create_db_engine(parsed)
    try:
        upgrade(engine)
    except DatabaseError:
        engine.dispose()
        raise
    except (SQLAlchemyError, OSError, ValueError) as exc:
        engine.dispose()
        orig = getattr(exc, "orig", None) or exc
        raise DatabaseError(f"cannot open database {safe_url(parsed)}: {first_line(str(orig))}") from exc
    return sessionmaker(bind=engine, expire_on_commit=False)


def _alembic_config(connection: Any = None) -> Any:
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(Path(__file__).parent / "migrations"))
    cfg.attributes["connection"] = connection
    return cfg


def head_revision() -> str:
    """The newest schema revision this code knows: the highest ``NNNN`` of the versions folder.

    Every migration file is named ``NNNN_what.py`` with revision id ``NNNN``, each revising the
    one before (tests/test_migration_head.py checks this against Alembic's own head), so the
    head is found without loading Alembic's script directory on every command.
    """
    names = (p.name for p in (Path(__file__).parent / "migrations" / "versions").iterdir())
    return max(m.group(1) for m in map(_REVISION_FILE.match, names) if m)


_REVISION_FILE = re.compile(r"^(\d{4})_\w+\.py$")


def current_revision(engine: Engine) -> str | None:
    """The schema revision the database is at (None when it was never migrated)."""
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def _stamped_revision(engine: Engine) -> str | None:
    """The revision in alembic_version read with one plain query; None when it cannot tell
    (no such table yet, or not exactly one row), so the caller asks Alembic."""
    with engine.connect() as conn:
        try:
            rows = conn.execute(text("SELECT version_num FROM alembic_version")).scalars().all()
        except DBAPIError:
            return None
    return rows[0] if len(rows) == 1 else None


@contextmanager
def _migration_lock(engine: Engine) -> Iterator[Any]:
    """Hold a cross-process lock while migrating; yields a connection for the migration."""
    if engine.url.get_backend_name() == "sqlite" and engine.url.database not in (None, "", ":memory:"):
        lock_path = Path(engine.url.database).expanduser().absolute().with_suffix(".migrate.lock")
        with open(lock_path, "a") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                with engine.connect() as conn:
                    yield conn
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)
    elif engine.url.get_backend_name() == "postgresql":
        with engine.connect() as conn:
            conn.execute(text("SELECT pg_advisory_lock(:k)"), {"k": MIGRATE_LOCK})
            conn.commit()
            try:
                yield conn
            finally:
                conn.rollback()
                conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": MIGRATE_LOCK})
                conn.commit()
    else:
        with engine.connect() as conn:
            yield conn


def upgrade(engine: Engine) -> bool:
    """Migrate the database to head if it is behind; True when a migration ran. Idempotent."""
    head = head_revision()
    try:
        if _stamped_revision(engine) == head or current_revision(engine) == head:
            return False
    except DBAPIError as exc:
        raise DatabaseError(f"cannot open database {safe_url(engine.url)}: "
                            f"{first_line(str(exc.orig))}") from exc
    from alembic import command
    from alembic.runtime.migration import MigrationContext

    with _migration_lock(engine) as conn:
        if MigrationContext.configure(conn).get_current_revision() == head:
            return False
        conn.rollback()
        command.upgrade(_alembic_config(conn), "head")
        conn.commit()
    return True


@contextmanager
def write_session(sessions: sessionmaker[Session], whole_database: bool = True) -> Iterator[Session]:
    """A session whose one transaction holds the database's write lock from its first statement.

    SQLite: BEGIN IMMEDIATE (a second writer waits up to the busy timeout); PostgreSQL: a
    transaction-scoped advisory lock. Writers that read, decide and write (reconciliation,
    inventory import) use it so two of them never decide on the same stale picture.
    ``whole_database=False`` is for a writer whose decision rests on rows it locks itself
    (``SELECT ... FOR UPDATE``): PostgreSQL then takes no database-wide lock, so it does not wait
    for a reconciliation under way; SQLite has one write lock only and still begins IMMEDIATE.
    Commits on success, rolls back on any exception.
    """
    with sessions() as session, session.begin():
        conn = session.connection(execution_options={"netdiscover_write": True})
        if whole_database and conn.dialect.name == "postgresql":
            conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": WRITE_LOCK})
        yield session


def read_sessions(sessions: sessionmaker[Session]) -> sessionmaker[Session]:
    """Sessions of the same database for work that only reads (the web server's requests).

    PostgreSQL: each statement in its own implicit transaction (autocommit), so a read costs no
    BEGIN and no ROLLBACK round trip, and the connection's prepared statements survive from one
    request to the next (psycopg drops them all on ROLLBACK). At READ COMMITTED, PostgreSQL's
    level and ours, every statement of a transaction reads its own snapshot anyway, so the rows
    read are the same. SQLite: the same sessions (a read transaction there is one consistent
    snapshot, and costs no round trip).
    """
    engine = sessions.kw["bind"]
    if engine.dialect.name != "postgresql":
        return sessions
    return sessionmaker(bind=engine.execution_options(isolation_level="AUTOCOMMIT"), expire_on_commit=False)


def refresh_planner_statistics(sessions: sessionmaker[Session], tables: tuple[str, ...]) -> None:
    """PostgreSQL: ANALYZE these tables now, so the next reads are planned on their new size.

    After a bulk load the planner would otherwise keep its old estimates until autovacuum comes
    round (a minute or more) and scan a whole table where an index serves a batch (a report of
    100,000 fresh assets: 0.86 s instead of 0.30 s for the addresses alone). SQLite: nothing.
    """
    engine = sessions.kw["bind"]
    if engine.dialect.name != "postgresql":
        return
    names = ", ".join(engine.dialect.identifier_preparer.quote(t) for t in tables)
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text(f"ANALYZE {names}"))


def planner_row_estimate(sessions: sessionmaker[Session], table: str) -> float | None:
    """PostgreSQL: the rows ``table`` held at its last ANALYZE or VACUUM as the planner knows them
    (``pg_class.reltuples``; -1 when it was never analysed). SQLite: None."""
    engine = sessions.kw["bind"]
    if engine.dialect.name != "postgresql":
        return None
    with engine.connect() as conn:
        return conn.execute(text("SELECT reltuples FROM pg_class WHERE oid = to_regclass(:t)"),
                            {"t": table}).scalar()
