"""Sweep progress: shown on a terminal, silent on a pipe, plain lines on a pipe with -v.

A real ``netdiscover scan`` runs in a subprocess, once with stderr on a pseudo-terminal and once
on a pipe; the sweep is SNMP over loopback addresses where no agent listens, so it takes a few
seconds (each address times out) and sends nothing off this machine.
"""

from __future__ import annotations

import os
import pty
import select
import subprocess
import sys
import time

import pytest

TARGET = "127.0.9.0/29"      # 6 addresses probed (not .0, not .7), none answering


def scan_cmd(db: str, *extra: str) -> list[str]:
    return [sys.executable, "-c", "from netdiscover.cli import main; main()", "--db", db, *extra,
            "scan", TARGET, "-m", "snmp"]


def env() -> dict[str, str]:
    return {**os.environ, "TERM": "xterm", "COLUMNS": "120", "LINES": "40"}


def run_on_pty(cmd: list[str], seconds: float = 60) -> tuple[int, str]:
    """Run with stdin/stdout/stderr on a pseudo-terminal; everything it wrote, and its exit code."""
    leader, follower = pty.openpty()
    proc = subprocess.Popen(cmd, stdin=follower, stdout=follower, stderr=follower, env=env(), close_fds=True)
    os.close(follower)
    out = bytearray()
    deadline = time.monotonic() + seconds
    try:
        while time.monotonic() < deadline:
            ready, _, _ = select.select([leader], [], [], 0.2)
            if ready:
                try:
                    chunk = os.read(leader, 65536)
                except OSError:          # the child closed the terminal
                    break
                if not chunk:
                    break
                out += chunk
            elif proc.poll() is not None:
                break
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.wait(timeout=10)
        os.close(leader)
    return proc.returncode, out.decode("utf-8", "replace")


@pytest.fixture
def db(tmp_path) -> str:
    return f"sqlite:///{tmp_path}/progress.db"


def test_progress_is_drawn_on_a_terminal(db):
    code, text = run_on_pty(scan_cmd(db))
    assert code == 0, text[-2000:]
    assert "snmp" in text and "/6" in text, text[-2000:]       # the method and hosts done of 6
    assert "0:00:0" in text                                    # elapsed time column


def test_nothing_on_a_pipe(db):
    proc = subprocess.run(scan_cmd(db), capture_output=True, text=True, env=env(), timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert "/6" not in proc.stderr and "progress" not in proc.stderr
    assert "\x1b[" not in proc.stderr and "\x1b[" not in proc.stdout


def test_verbose_on_a_pipe_prints_plain_progress_lines(db):
    proc = subprocess.run(scan_cmd(db, "-v"), capture_output=True, text=True, env=env(), timeout=120)
    assert proc.returncode == 0, proc.stderr
    lines = [line for line in proc.stderr.splitlines() if line.startswith("progress: snmp ")]
    assert lines and lines[-1].startswith("progress: snmp 6/6"), proc.stderr
    assert "\x1b[" not in proc.stderr
