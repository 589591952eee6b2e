"""The report's 'how found' read (recent_sightings) is served by the partial index of migration
0010, not by walking every host sighting of its assets: the query must write the index's
condition as the same literal text, or the database cannot use it (on PostgreSQL, the generic
plan of a statement the driver prepared never can when the values are bound)."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from sqlalchemy import event

from netdiscover.storage.asset_observations import recent_sightings
from netdiscover.storage.models import Asset, ObservationRecord

AT = datetime(2026, 5, 1, tzinfo=UTC)


def _seed(sessions) -> list[int]:
    with sessions.begin() as s:
        assets = [Asset(status="undocumented", created_at=AT, updated_at=AT) for _ in range(3)]
        s.add_all(assets)
        s.flush()
        for sweep in range(40):
            s.add_all(ObservationRecord(asset_id=a.id, method="arp", kind="host", seen_at=AT,
                                        data={"n": sweep})
                      for a in assets)
        s.add(ObservationRecord(asset_id=assets[0].id, method="snmp", kind="host", seen_at=AT, data={"a": 1}))
        s.add(ObservationRecord(asset_id=assets[1].id, method="lldp", kind="neighbour", seen_at=AT,
                                data={"b": 2}))
        return [a.id for a in assets]


def _literal(value) -> str:
    if isinstance(value, list):
        return "'{" + ",".join(str(int(v)) for v in value) + "}'"
    return f"'{value.isoformat() if isinstance(value, datetime) else value}'"


def _generic_plan(conn, statement: str, params: dict) -> str:
    """PostgreSQL's generic plan of ``statement`` (values as parameters, whatever they are)."""
    names = re.findall(r"%\((\w+)\)s", statement)
    numbered = re.sub(r"%\((\w+)\)s", lambda m: f"${names.index(m.group(1)) + 1}", statement)
    conn.exec_driver_sql("SET LOCAL enable_seqscan = off")
    conn.exec_driver_sql("SET LOCAL plan_cache_mode = force_generic_plan")
    conn.exec_driver_sql(f"PREPARE sightings AS {numbered}".replace("%%", "%"))
    args = ", ".join(_literal(params[n]) for n in dict.fromkeys(names))
    plan = " ".join(r[0] for r in conn.exec_driver_sql(f"EXPLAIN EXECUTE sightings ({args})"))
    conn.exec_driver_sql("DEALLOCATE sightings")
    return plan


def test_recent_sightings_use_the_partial_index(sessions):
    ids = _seed(sessions)
    ran: list[tuple[str, object]] = []
    engine = sessions.kw["bind"]

    def capture(conn, cursor, statement, parameters, context, executemany):
        if "observations" in statement:
            ran.append((statement, parameters))

    event.listen(engine, "before_cursor_execute", capture)
    try:
        with sessions() as session:
            rows = list(recent_sightings(session, ids, AT))
            assert sorted((r.asset_id, r.kind) for r in rows) == [(ids[0], "host"), (ids[1], "neighbour")]
            statement, params = ran[-1]
            conn = session.connection()
            if conn.dialect.name == "sqlite":
                plan = " ".join(r[3] for r in conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}", params))
            else:
                plan = _generic_plan(conn, statement, params)
    finally:
        event.remove(engine, "before_cursor_execute", capture)
    assert "ix_observations_sightings" in plan, plan
