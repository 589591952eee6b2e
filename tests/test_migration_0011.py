"""Migration 0011: observations and asset_events lose their foreign keys and keep every row."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import func, inspect, select

from netdiscover.observation import Observation
from netdiscover.services.reconcile import reconcile
from netdiscover.storage.models import AssetEvent, ObservationRecord

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def foreign_keys(engine, table: str) -> set[str]:
    return {fk["name"] for fk in inspect(engine).get_foreign_keys(table)}


def counts(sessions) -> tuple[int, int]:
    with sessions() as s:
        return (s.scalar(select(func.count()).select_from(ObservationRecord)),
                s.scalar(select(func.count()).select_from(AssetEvent)))


def test_migration_0011_goes_down_and_up_keeping_the_evidence(sessions):
    from alembic import command

    from netdiscover.storage.engine import _alembic_config, current_revision, head_revision

    obs = [Observation(method="arp", ip=f"10.20.0.{i}", mac=f"00:11:22:00:00:{i:02x}", seen_at=T0)
           for i in range(1, 6)]
    reconcile(sessions, obs, now=T0, fingerprinter=lambda _o: None)
    engine = sessions.kw["bind"]
    before = counts(sessions)
    assert before == (5, 5)
    assert foreign_keys(engine, "observations") == foreign_keys(engine, "asset_events") == set()
    with engine.begin() as conn:
        command.downgrade(_alembic_config(conn), "0010")
    assert current_revision(engine) == "0010"
    assert foreign_keys(engine, "observations") == {"fk_observations_asset_id_assets",
                                                    "fk_observations_scan_id_scans"}
    assert foreign_keys(engine, "asset_events") == {"fk_asset_events_asset_id_assets",
                                                    "fk_asset_events_scan_id_scans"}
    assert counts(sessions) == before
    with engine.begin() as conn:
        command.upgrade(_alembic_config(conn), "head")
    assert current_revision(engine) == head_revision()
    assert foreign_keys(engine, "observations") == foreign_keys(engine, "asset_events") == set()
    assert counts(sessions) == before
