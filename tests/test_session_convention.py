"""The services' session convention (``services/__init__``): reads take the caller's Session, services
that own their transactions take a sessionmaker; so a request holds one pooled connection at a time."""

from __future__ import annotations

import ast
import threading
from pathlib import Path

import pytest
from click.testing import CliRunner
from fastapi.testclient import TestClient
from sqlalchemy import event
from webdata import seeded_sqlite

from netdiscover.cli import main
from netdiscover.services.sites import add_site, record_heartbeat
from netdiscover.storage.engine import open_database
from netdiscover.web.app import create_app

SERVICES = Path(__file__).resolve().parents[1] / "netdiscover" / "services"


class Checkouts:
    """The most pooled connections the engine had out at once."""

    def __init__(self, engine) -> None:
        self.out = self.most = 0
        self.lock = threading.Lock()
        event.listen(engine, "checkout", self._checkout)
        event.listen(engine, "checkin", self._checkin)

    def _checkout(self, *_args) -> None:
        with self.lock:
            self.out += 1
            self.most = max(self.most, self.out)

    def _checkin(self, *_args) -> None:
        with self.lock:
            self.out -= 1


@pytest.fixture
def site(sqlite_url):
    data = seeded_sqlite(sqlite_url)
    sessions = open_database(sqlite_url)
    add_site(sessions, "hq")
    record_heartbeat(sessions, "hq", {"version": "1.2", "host": "c1", "root": True, "nmap": False})
    data.update(sessions=sessions, app=create_app(sessions), db_url=sqlite_url)
    yield data
    sessions.kw["bind"].dispose()


def test_the_sites_api_holds_one_connection_at_a_time(site):
    checkouts = Checkouts(site["sessions"].kw["bind"])
    api = TestClient(site["app"])
    r = api.get("/api/v1/sites", headers={"Authorization": f"Bearer {site['tokens']['viewer']}"})
    assert r.status_code == 200 and [s["site"] for s in r.json()] == ["hq"]
    assert checkouts.most == 1, "the token check and the read should share one session"


def test_read_services_run_in_the_callers_session(site):
    from netdiscover.services.health import assets_by_status, database_alive
    from netdiscover.services.inventory import export_inventory
    from netdiscover.services.sites import site_names, site_rows, sweep_state
    from netdiscover.services.sweep_history import sweep_history

    checkouts = Checkouts(site["sessions"].kw["bind"])
    with site["sessions"]() as session:
        assert site_names(session) == {"hq"} and site_rows(session)[0]["version"] == "1.2"
        assert sweep_state(session, "nope") is None and isinstance(sweep_history(session), dict)
        assert database_alive(session)
        assert sum(assets_by_status(session).values()) == len(export_inventory(session))
    assert checkouts.most == 1
    res = CliRunner().invoke(main, ["--db", site["db_url"], "sites", "--format", "json"])
    assert res.exit_code == 0 and '"hq"' in res.output


def _parameters() -> list[tuple[str, str, str]]:
    found = []
    for path in sorted(SERVICES.glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                for arg in node.args.args:
                    if arg.arg in ("session", "sessions"):
                        hint = ast.unparse(arg.annotation) if arg.annotation else ""
                        found.append((f"{path.stem}.{node.name}", arg.arg, hint))
    return found


def test_services_name_what_they_take():
    """``session: Session`` for the caller's session, ``sessions: sessionmaker[Session]`` for a
    service that opens its own transactions; nothing else under those names."""
    params = _parameters()
    assert len(params) > 50
    allowed = (("session", "Session"), ("sessions", "sessionmaker[Session]"))
    wrong = [p for p in params if p[1:] not in allowed]
    assert not wrong, wrong
