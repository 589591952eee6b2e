"""Shared pytest fixtures: database URLs (SQLite and PostgreSQL) and the namespace lab."""

from __future__ import annotations

import logging
import os
import uuid

import pytest

from netdiscover_lab.netns import Lab, lab_unavailable_reason

PG_ENV = "NETDISCOVER_TEST_PG"
# Variables that configure the test run itself, not the product under test.
TEST_RUN_ENV = frozenset({PG_ENV, "NETDISCOVER_SNMPSIM_VENV", "NETDISCOVER_LAB_PREFIX", "NETDISCOVER_CORPUS"})
XDG_DIRS = ("XDG_DATA_HOME", "XDG_CONFIG_HOME", "XDG_CACHE_HOME", "XDG_STATE_HOME")


def product_env_names(environ: dict[str, str]) -> list[str]:
    """Variables the product reads that a user's shell may carry (NETDISCOVER_DB, XDG_DATA_HOME, ...)."""
    product = (name for name in environ if name.startswith(("NETDISCOVER_", "XDG_")))
    return sorted(name for name in product if name not in TEST_RUN_ENV)


def pytest_configure(config):
    """Hermetic suite: no test, nor any process it starts, sees the user's database or settings."""
    import tempfile

    for name in product_env_names(dict(os.environ)):
        del os.environ[name]
    home = tempfile.mkdtemp(prefix="netdiscover-test-xdg-")
    for name in XDG_DIRS:
        os.environ[name] = os.path.join(home, name.lower())


@pytest.fixture(autouse=True)
def _private_xdg_dirs(tmp_path_factory, monkeypatch):
    """Each test gets its own XDG directories, so the default database is never shared."""
    base = tmp_path_factory.mktemp("xdg")
    for name in XDG_DIRS:
        monkeypatch.setenv(name, str(base / name.lower()))


@pytest.fixture
def lab():
    """A fresh namespace lab, removed after the test even when it fails; skipped without root."""
    reason = lab_unavailable_reason()
    if reason:
        pytest.skip(reason)
    with Lab() as built:
        yield built


def _pg_admin(base_url: str):
    from sqlalchemy import create_engine

    from netdiscover.storage.engine import normalise_url

    url = normalise_url(base_url)
    return url, create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")


@pytest.fixture
def pg_url():
    """URL of a throw-away PostgreSQL database (dropped afterwards); skipped without NETDISCOVER_TEST_PG."""
    base = os.environ.get(PG_ENV)
    if not base:
        pytest.skip(f"PostgreSQL tests need {PG_ENV}=postgresql+psycopg://user@host:port/db")
    from sqlalchemy import text

    url, admin = _pg_admin(base)
    name = f"nd_test_{uuid.uuid4().hex[:16]}"
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as exc:  # the server is named in the env, so a failure here is a setup error
        admin.dispose()
        pytest.fail(f"cannot create test database on {url.render_as_string()}: {exc}")
    try:
        yield url.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture
def sqlite_url(tmp_path):
    """URL of a fresh SQLite file in the test's temporary directory."""
    return f"sqlite:///{tmp_path / 'netdiscover.db'}"


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def db_url(request):
    """A fresh, empty database URL: once on SQLite, once on PostgreSQL."""
    return request.getfixturevalue("sqlite_url" if request.param == "sqlite" else "pg_url")


@pytest.fixture
def sessions(db_url):
    """A migrated sessionmaker on the fresh database of ``db_url``."""
    from netdiscover.storage.engine import open_database

    factory = open_database(db_url)
    yield factory
    factory.kw["bind"].dispose()


class Events(logging.Handler):
    """Collects the daemon's structured events."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.items: list[tuple[str, dict]] = []

    def emit(self, record: logging.LogRecord) -> None:
        if getattr(record, "event", None):
            self.items.append((record.event, dict(record.fields)))

    def named(self, name: str) -> list[dict]:
        return [f for e, f in self.items if e == name]


@pytest.fixture
def events():
    """The daemon's structured events during the test."""
    handler = Events()
    logger = logging.getLogger("netdiscover.daemon")
    logger.addHandler(handler)
    old = logger.level
    logger.setLevel(logging.DEBUG)
    yield handler
    logger.removeHandler(handler)
    logger.setLevel(old)
