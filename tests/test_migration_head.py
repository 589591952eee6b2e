"""The head revision found from the migration file names is the one Alembic computes."""

from __future__ import annotations

from pathlib import Path

from alembic.script import ScriptDirectory

from netdiscover.storage import engine as engine_mod
from netdiscover.storage.engine import _alembic_config, _stamped_revision, head_revision


def test_head_from_file_names_is_alembic_head() -> None:
    script = ScriptDirectory.from_config(_alembic_config())
    assert head_revision() == script.get_current_head()


def test_every_migration_file_is_named_after_its_revision() -> None:
    script = ScriptDirectory.from_config(_alembic_config())
    for rev in script.walk_revisions():
        assert Path(rev.path).name.startswith(f"{rev.revision}_"), rev.path


def test_stamped_revision_reads_alembic_version(tmp_path: Path) -> None:
    url = engine_mod.normalise_url(f"sqlite:///{tmp_path / 'db.sqlite'}")
    eng = engine_mod.create_db_engine(url)
    try:
        assert _stamped_revision(eng) is None            # fresh file: no alembic_version table
        assert engine_mod.upgrade(eng) is True
        assert _stamped_revision(eng) == head_revision()
        assert engine_mod.upgrade(eng) is False
    finally:
        eng.dispose()
