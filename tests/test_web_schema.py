"""schemathesis against the running server's /openapi.json: no 5xx, every response fits its schema.

A short, bounded run (a fixed seed, ten examples per operation, the fuzzing and stateful
phases; about 20 s) over a seeded SQLite database, with an admin token so every operation is
reachable. The one check left out is ``positive_data_acceptance``: filters such as ``subnet``
or ``since`` are plain strings in the schema, and a string that is not a CIDR or a duration is
answered 422 on purpose.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from webdata import seed, served

from netdiscover.storage.engine import open_database
from netdiscover.web.app import create_app


def test_openapi_fuzzing_finds_no_server_error_and_no_schema_break(sqlite_url, tmp_path):
    sessions = open_database(sqlite_url)
    token = seed(sessions)["tokens"]["admin"]
    st = Path(sys.executable).parent / "st"
    with served(create_app(sessions)) as url:
        run = subprocess.run(
            [str(st), "run", f"{url}/openapi.json", "-H", f"Authorization: Bearer {token}",
             "--checks", "all", "--exclude-checks", "positive_data_acceptance",
             "--max-examples", "10", "--phases", "examples,fuzzing,stateful", "--seed", "20261207",
             "--request-timeout", "10", "--workers", "1", "--no-color"],
            capture_output=True, text=True, timeout=180, cwd=tmp_path,
        )
    sessions.kw["bind"].dispose()
    assert run.returncode == 0, run.stdout[-6000:] + run.stderr[-2000:]
    assert "Tested: 11" in run.stdout and "generated" in run.stdout
