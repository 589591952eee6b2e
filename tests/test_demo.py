"""The README's first command, end to end: build the office, import its inventory, sweep it,
and check that the unknown-device report lists exactly the devices the inventory leaves out,
each with the right vendor and class."""

from __future__ import annotations

import json
import os
import secrets
import subprocess
from pathlib import Path

import pytest

from netdiscover_lab.netns import lab_unavailable_reason, list_namespaces
from netdiscover_lab.office_topology import undocumented

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def demo_env(tmp_path):
    reason = lab_unavailable_reason()
    if reason:
        pytest.skip(reason)
    prefix = f"nd{secrets.token_hex(3)}"
    env = {
        **os.environ,
        "NETDISCOVER_LAB_PREFIX": prefix,
        "XDG_DATA_HOME": str(tmp_path / "data"),
        "NETDISCOVER_DEMO_OUT": str(tmp_path / "out"),
        # setup.sh links the command into this directory instead of /usr/local/bin
        "NETDISCOVER_BIN_DIR": str(tmp_path / "bin"),
        "PATH": f"{tmp_path / 'bin'}:{os.environ.get('PATH', '/usr/bin:/bin')}",
    }
    env.pop("NETDISCOVER_DB", None)
    yield env
    subprocess.run([str(ROOT / ".venv/bin/netdiscover"), "lab", "down"], env=env, capture_output=True,
                   timeout=120)
    leftovers = [ns for ns in list_namespaces() if ns.startswith(prefix)]
    assert not leftovers, f"lab down left namespaces behind: {leftovers}"


def test_demo_reports_exactly_the_undocumented_devices(demo_env, tmp_path):
    demo = subprocess.run(["bash", str(ROOT / "scripts/demo.sh")], env=demo_env, capture_output=True,
                          text=True, timeout=600)
    assert demo.returncode == 0, demo.stdout[-3000:] + demo.stderr[-3000:]
    assert "what nobody documented" in demo.stdout
    link = tmp_path / "bin" / "netdiscover"
    assert link.is_symlink() and link.resolve() == (ROOT / ".venv/bin/netdiscover").resolve()
    assert "netdiscover is on PATH" in demo.stdout
    assert "  netdiscover assets list" in demo.stdout and ".venv/bin/netdiscover assets" not in demo.stdout
    html = tmp_path / "out" / "unknown-devices.html"
    assert html.exists() and html.stat().st_size > 1000

    report = subprocess.run([str(ROOT / ".venv/bin/netdiscover"), "report", "unknown", "--format", "json"],
                            env=demo_env, capture_output=True, text=True, timeout=60)
    assert report.returncode == 0, report.stderr
    rows = json.loads(report.stdout)
    found = {ip: row for row in rows for ip in row["ips"]}
    expected = {d.ip: d for d in undocumented()}
    assert sorted(found) == sorted(expected), (
        f"unexpected: {sorted(set(found) - set(expected))}, missing: {sorted(set(expected) - set(found))}"
    )
    wrong = []
    for ip, device in expected.items():
        row = found[ip]
        vendor, device_class = (row.get("vendor") or "").lower(), row.get("device_class")
        if vendor != device.vendor.lower() or device_class != device.device_class:
            wrong.append(f"{device.name}: got {row.get('vendor')!r}/{row.get('device_class')!r}, "
                         f"want {device.vendor!r}/{device.device_class!r}")
    assert not wrong, "; ".join(wrong)
