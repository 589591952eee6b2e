"""Read requests on PostgreSQL run without a transaction (no BEGIN/ROLLBACK round trips, and the
connection's prepared statements are kept); writes still run in one transaction each."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import event
from webdata import seed

from netdiscover.storage.engine import open_database
from netdiscover.web.app import create_app


@pytest.mark.postgres
def test_reads_on_postgresql_run_without_a_transaction_and_writes_within_one(pg_url):
    sessions = open_database(pg_url)
    data = seed(sessions)
    engine = sessions.kw["bind"]
    autocommit: list[tuple[str, bool]] = []

    def seen(conn, _cursor, statement, *_args) -> None:
        autocommit.append((statement, conn.connection.driver_connection.autocommit))

    try:
        client = TestClient(create_app(sessions))
        viewer = {"Authorization": f"Bearer {data['tokens']['viewer']}"}
        reviewer = {"Authorization": f"Bearer {data['tokens']['reviewer']}"}
        event.listen(engine, "before_cursor_execute", seen)
        for _ in range(2):                      # the pooled connections go from reads to writes and back
            for path in ("/api/v1/assets?limit=5", "/api/v1/scans", "/healthz"):
                assert client.get(path, headers=viewer).status_code == 200
            reads, autocommit[:] = list(autocommit), []
            assert reads and all(flag for _s, flag in reads), "reads send no BEGIN and no ROLLBACK"
            r = client.post(f"/api/v1/assets/{data['assets'][5]}/review", headers=reviewer,
                            json={"decision": "ignore", "note": "n"})
            assert r.status_code == 200
            # the role check before the write is a read (of the token)
            writes, autocommit[:] = [w for w in autocommit if "FROM api_tokens" not in w[0]], []
            assert writes and not any(flag for _s, flag in writes), "a write is one transaction"
            assert client.post(f"/api/v1/assets/{data['assets'][5]}/review", headers=reviewer,
                               json={"decision": "undo"}).status_code == 200
            autocommit.clear()
        client.close()
    finally:
        engine.dispose()
