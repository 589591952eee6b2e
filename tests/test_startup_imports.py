"""Importing the CLI (what ``--help`` and ``--version`` pay for) must not load the heavy libraries.

Timing is a benchmark's job; this checks the cause instead: which modules the import pulls in,
in a fresh interpreter so other tests' imports do not count.
"""

from __future__ import annotations

import json
import subprocess
import sys

HEAVY = ("sqlalchemy", "scapy", "pysnmp", "rich", "netaddr", "alembic")


def _loaded_after(code: str) -> list[str]:
    probe = (f"import sys\n{code}\nimport json\n"
             f"print(json.dumps(sorted({{m.split('.')[0] for m in sys.modules}} & set({list(HEAVY)!r}))))")
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                         timeout=60, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_importing_the_cli_loads_no_heavy_library():
    assert _loaded_after("import netdiscover.cli") == []


def test_help_and_version_load_no_heavy_library():
    for args in (["--help"], ["--version"]):
        code = ("import sys\nfrom netdiscover.cli import main\n"
                f"try:\n    main.main({args!r}, standalone_mode=False)\nexcept SystemExit:\n    pass\n")
        assert _loaded_after(code) == [], args


def test_the_probe_sees_a_heavy_import():
    assert _loaded_after("import sqlalchemy.orm") == ["sqlalchemy"]
