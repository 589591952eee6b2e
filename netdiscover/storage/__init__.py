"""The asset database: models, engine/session factory, repository and Alembic migrations."""
