"""A lab removes what it built when its process is told to stop (SIGTERM), not only on an error."""

from __future__ import annotations

import secrets
import signal
import subprocess
import sys
import time

import pytest

from netdiscover_lab.netns import lab_unavailable_reason, list_namespaces

CHILD = """
import sys, time
from netdiscover_lab.netns import Lab
with Lab(prefix=sys.argv[1]) as lab:
    lab.namespace("a")
    print("ready", flush=True)
    time.sleep(60)
"""


def _child(prefix: str) -> subprocess.Popen:
    proc = subprocess.Popen([sys.executable, "-c", CHILD, prefix], stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None and proc.stdout.readline().strip() == "ready"
    return proc


def test_sigterm_removes_the_labs_namespaces() -> None:
    reason = lab_unavailable_reason()
    if reason:
        pytest.skip(reason)
    prefix = f"ndt{secrets.token_hex(3)}"
    proc = _child(prefix)
    try:
        assert f"{prefix}-a" in list_namespaces()
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=30) == 128 + signal.SIGTERM
        deadline = time.monotonic() + 10
        while f"{prefix}-a" in list_namespaces() and time.monotonic() < deadline:
            time.sleep(0.1)
        assert f"{prefix}-a" not in list_namespaces()
    finally:
        proc.kill()
        subprocess.run(["ip", "netns", "delete", f"{prefix}-a"], capture_output=True, timeout=30)
