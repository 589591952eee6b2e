"""Shared pytest fixtures: database URLs (SQLite and PostgreSQL) and the namespace lab."""

from __future__ import annotations

import os
import uuid

import pytest

from netdiscover.lab.netns import Lab, lab_unavailable_reason

PG_ENV = "NETDISCOVER_TEST_PG"


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
