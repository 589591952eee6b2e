"""Alembic migrations of the asset database (run by netdiscover.storage.engine.upgrade)."""
