"""The suite is hermetic: a user's NETDISCOVER_* and XDG_* variables never reach the code under test."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from conftest import XDG_DIRS, product_env_names

HERE = Path(__file__).resolve().parent


def test_product_variables_are_cleared_and_xdg_dirs_are_private(tmp_path):
    assert product_env_names({k: v for k, v in os.environ.items() if not k.startswith("XDG_")}) == []
    for name in XDG_DIRS:
        assert os.environ[name].startswith(str(tmp_path.parent)), name


def test_tests_pass_with_a_users_environment_set(tmp_path):
    """Run env-sensitive tests with a hostile user environment: they must still pass."""
    hostile = {**os.environ,
               "NETDISCOVER_DB": "postgresql+psycopg://nobody@127.0.0.1:1/not_the_test_db",
               "NETDISCOVER_CONFIG": str(tmp_path / "missing.toml"),
               "XDG_DATA_HOME": str(tmp_path / "unwritable" / "\x7f"),
               "XDG_CONFIG_HOME": "/nonexistent/config"}
    tests = [str(HERE / "test_daemon.py"), str(HERE / "test_cli_assets.py")]
    run = subprocess.run([sys.executable, "-m", "pytest", "-q", "-x", "-p", "no:cacheprovider",
                          "-m", "not lab and not postgres", *tests],
                         env=hostile, cwd=HERE.parent, capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-2000:]
