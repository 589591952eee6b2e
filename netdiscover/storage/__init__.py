"""The asset database: models, engine/session factory, repositories (one module per concept: assets,
events, scans, reports ...) and Alembic migrations."""
