"""An earlier source tree made able to open a database at this checkout's schema revision.

``report_bench.py --before`` and ``api_bench.py --baseline`` run the previous code on the
database this code built and migrated. When this checkout has migrations the earlier tree lacks,
the earlier code refuses that database ("can't locate revision"). ``with_our_migrations`` gives
back the tree itself when nothing is missing, else a throw-away copy of it with the missing
migration files added (the earlier code then reads the newer schema; it never migrates it back).
"""

from __future__ import annotations

import atexit
import shutil
import tempfile
from pathlib import Path

VERSIONS = Path("netdiscover") / "storage" / "migrations" / "versions"
OURS = Path(__file__).resolve().parents[1]


def missing_migrations(tree: Path) -> list[Path]:
    """This checkout's migration files that ``tree`` does not have (by file name)."""
    theirs = {p.name for p in (tree / VERSIONS).glob("[0-9]*.py")}
    return sorted(p for p in (OURS / VERSIONS).glob("[0-9]*.py") if p.name not in theirs)


def with_our_migrations(tree: str) -> str:
    """``tree``, or a copy of it (removed at exit) holding the migrations it lacks."""
    source = Path(tree).resolve()
    if not (source / VERSIONS).is_dir():
        raise SystemExit(f"{tree}: not a netdiscover source tree (no {VERSIONS})")
    missing = missing_migrations(source)
    if not missing:
        return str(source)
    copy = Path(tempfile.mkdtemp(prefix="netdiscover-baseline-")) / source.name
    atexit.register(shutil.rmtree, copy.parent, True)
    shutil.copytree(source, copy, ignore=shutil.ignore_patterns(".git", ".venv", "__pycache__"))
    for path in missing:
        shutil.copy2(path, copy / VERSIONS / path.name)
    print(f"baseline: {tree} lacks {', '.join(p.stem for p in missing)}; running a copy with them added",
          flush=True)
    return str(copy)
