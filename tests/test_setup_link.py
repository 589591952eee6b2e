"""scripts/setup.sh puts `netdiscover` on PATH: a symlink to the venv's command, replacing an old
symlink, never a real file; the README says exactly where."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
VENV_CLI = ROOT / ".venv" / "bin" / "netdiscover"

pytestmark = pytest.mark.skipif(not VENV_CLI.exists(), reason="no .venv/bin/netdiscover in this checkout")


def link_only(bin_dir: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "NETDISCOVER_BIN_DIR": str(bin_dir)}
    return subprocess.run(["bash", str(ROOT / "scripts" / "setup.sh"), "--link-only"], env=env,
                          capture_output=True, text=True, timeout=30)


def test_link_puts_netdiscover_on_path(tmp_path):
    bin_dir = tmp_path / "bin"
    res = link_only(bin_dir)
    assert res.returncode == 0, res.stderr
    link = bin_dir / "netdiscover"
    assert link.is_symlink() and Path(os.readlink(link)) == VENV_CLI
    env = {**os.environ, "PATH": f"{bin_dir}:/usr/bin:/bin"}
    env.pop("VIRTUAL_ENV", None)
    run = subprocess.run(["netdiscover", "--version"], cwd=tmp_path, env=env, capture_output=True,
                         text=True, timeout=60)
    assert run.returncode == 0 and run.stdout.startswith("netdiscover"), run.stderr


def test_an_old_symlink_is_replaced_and_a_real_file_left_alone(tmp_path):
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    link = bin_dir / "netdiscover"
    link.symlink_to(tmp_path / "old-clone" / ".venv" / "bin" / "netdiscover")
    assert link_only(bin_dir).returncode == 0
    assert Path(os.readlink(link)) == VENV_CLI
    link.unlink()
    link.write_text("#!/bin/sh\necho mine\n")
    res = link_only(bin_dir)
    assert res.returncode == 0 and "left alone" in res.stderr
    assert not link.is_symlink() and link.read_text() == "#!/bin/sh\necho mine\n"


def test_readme_says_where_the_command_comes_from():
    readme = (ROOT / "README.md").read_text()
    assert "/usr/local/bin/netdiscover -> .venv/bin/netdiscover" in readme
    setup = (ROOT / "scripts" / "setup.sh").read_text()
    assert "${NETDISCOVER_BIN_DIR:-/usr/local/bin}" in setup and "\nlink_cli\n" in setup
    scanning = readme.split("## Scanning your own network", 1)[1].split("\n## ", 1)[0]
    assert "sudo netdiscover scan" in scanning and ".venv/bin/netdiscover scan" not in scanning
