"""Test data for the web tests: assets of every status (hostile names included), users and tokens."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from functools import cache

from netdiscover.services.accounts import create_token
from netdiscover.storage.auth_models import User
from netdiscover.storage.models import Address, Asset, AssetEvent, Interface, Scan, Service

NOW = datetime.now(UTC).replace(microsecond=0)
PASSWORD = "correct horse battery"
XSS = "<img src=x onerror=alert(1)>"
HOSTILE = (XSS, "\"'><script>alert(2)</script>", "{{7*7}} ${7*7} %s %n", "'; DROP TABLE assets; --",
           "naïve-\u202etxt.exe", "=cmd|' /C calc'!A0")


@cache
def password_hash() -> str:
    """PASSWORD's argon2 hash, made once per test run (each hash takes a third of a second)."""
    from argon2 import PasswordHasher

    return PasswordHasher().hash(PASSWORD)


def add_user(session, name: str, role: str) -> None:
    """A user with PASSWORD (what ``accounts.add_user`` stores, without hashing again)."""
    session.add(User(name=name, role=role, password_hash=password_hash(), disabled=False, created_at=NOW))
    session.flush()


def add_asset(session, n: int, status: str, hostname: str | None = None, *, device_class: str = "unknown",
              vendor: str | None = None, site: str | None = None, ip: str | None = None,
              first_seen: datetime | None = None, ports: tuple[int, ...] = ()) -> int:
    """One discovered asset with a MAC and a current IP; returns its id."""
    seen = first_seen or NOW - timedelta(hours=n)
    asset = Asset(status=status, hostname=hostname, device_class=device_class, vendor=vendor, site=site,
                  confidence=0.9, first_seen=seen, last_seen=NOW - timedelta(minutes=n), created_at=seen,
                  updated_at=seen, methods=["arp"], present=True)
    session.add(asset)
    session.flush()
    mac = f"02:00:00:00:{n // 256:02x}:{n % 256:02x}"
    session.add(Interface(asset_id=asset.id, mac=mac, mac_vendor=vendor, first_seen=seen, last_seen=NOW,
                          switch="sw1" if n % 2 else None, switch_port=f"Gi1/0/{n}" if n % 2 else None))
    session.add(Address(asset_id=asset.id, ip=ip or f"10.0.{n // 250}.{n % 250 + 1}", mac=mac, current=True,
                        first_seen=seen, last_seen=NOW))
    for port in ports:
        name = "telnet" if port == 23 else "http"
        session.add(Service(asset_id=asset.id, port=port, protocol="tcp", name=name, open=True,
                            first_seen=seen, last_seen=NOW))
    session.add(AssetEvent(asset_id=asset.id, kind="discovered", at=seen, actor="scanner"))
    return asset.id


def seed(sessions) -> dict:
    """Assets, a scan, users (viewer, reviewer, admin) and a token each; returns ids and tokens."""
    out: dict = {"assets": {}, "tokens": {}}
    with sessions.begin() as s:
        statuses = ("undocumented", "documented", "rogue", "approved", "ignored")
        for n in range(1, 31):
            status = statuses[n % 5]
            out["assets"][n] = add_asset(
                s, n, status, f"host-{n}", device_class="printer" if n % 3 == 0 else "unknown",
                vendor="Acme" if n % 4 == 0 else "Globex", site="hq" if n < 15 else "lab",
                ports=(23,) if n == 5 else ())
        out["hostile"] = [add_asset(s, 100 + i, "undocumented", name, vendor=name, ip=f"192.168.77.{i + 1}")
                          for i, name in enumerate(HOSTILE)]
        out["v6"] = add_asset(s, 200, "undocumented", "v6-host", ip="2001:db8::42")
        s.add(Scan(targets=["10.0.0.0/24"], methods=["arp"], started_at=NOW - timedelta(hours=1),
                   finished_at=NOW - timedelta(minutes=59), status="completed",
                   counts={"devices": 31, "new": 3}, sweep_name="office <b>"))
        for role in ("viewer", "reviewer", "admin"):
            add_user(s, role, role)
            out["tokens"][role] = create_token(s, role, f"{role} test")[1]
    return out


@contextmanager
def served(app) -> Iterator[str]:
    """Run ``app`` with uvicorn on a free 127.0.0.1 port in a thread; yields its base URL."""
    import uvicorn

    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", access_log=False))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    try:
        assert server.started, "server did not start"
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()


_TEMPLATE: dict = {}


def seeded_sqlite(url: str) -> dict:
    """Put a copy of one migrated, seeded SQLite database at ``url`` (a fresh file); returns seed()'s data.

    Migrating and seeding once per run and copying the file keeps each test's setup to milliseconds.
    """
    import copy
    import shutil
    import tempfile
    from pathlib import Path

    from netdiscover.storage.engine import open_database

    if not _TEMPLATE:
        path = Path(tempfile.mkdtemp(prefix="netdiscover-web-template-")) / "template.db"
        sessions = open_database(f"sqlite:///{path}")
        _TEMPLATE["data"] = seed(sessions)
        sessions.kw["bind"].dispose()          # closing the last connection checkpoints the WAL
        _TEMPLATE["path"] = path
    shutil.copyfile(_TEMPLATE["path"], url.removeprefix("sqlite:///"))
    return copy.deepcopy(_TEMPLATE["data"])


def open_seeded(db_url: str) -> tuple:
    """The sessions of a database at ``db_url`` holding seed()'s data, and that data (SQLite: a
    copy of the seeded template; a server database: seeded now)."""
    from netdiscover.storage.engine import open_database

    if db_url.startswith("sqlite:///"):
        data = seeded_sqlite(db_url)
        return open_database(db_url), data
    sessions = open_database(db_url)
    return sessions, seed(sessions)
