"""schemathesis against the running server's /openapi.json: no 5xx, every response fits its schema.

The database holds a real ARP sweep of a namespace lab (an inventory import first, so it has
documented, undocumented and ARP-evidence rows; root only, otherwise it is left out) plus the
seeded web test assets with hostile names, and users with tokens. The server runs on
127.0.0.1; the sweep runs inside the lab's scanner namespace.

A short, bounded run (a fixed seed, ten examples per operation, the fuzzing and stateful
phases; about 20 s), with an admin token so every operation is reachable. The one check left
out is ``positive_data_acceptance``: filters such as ``subnet`` or ``since`` are plain strings
in the schema, and a string that is not a CIDR or a duration is answered 422 on purpose.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import httpx
from click.testing import CliRunner
from webdata import seed, served

from netdiscover.cli import main
from netdiscover.storage.engine import open_database
from netdiscover.web.app import create_app
from netdiscover_lab.netns import Lab, lab_unavailable_reason

NETDISCOVER = str(Path(sys.executable).with_name("netdiscover"))
HOSTS = {"10.20.0.10": "00:1b:21:3a:00:10", "10.20.0.50": "b8:27:eb:3a:00:50",
         "10.20.0.51": "00:1e:c9:3a:00:51"}


def lab_sweep(url: str, tmp_path: Path) -> bool:
    """Import one documented host and ARP-sweep a three-host lab segment; False without a lab."""
    if lab_unavailable_reason():
        return False
    from netdiscover_lab.arp_lab import small_lab

    inventory = tmp_path / "inventory.csv"
    inventory.write_text("hostname,mac,ip\nknown-0,00:1b:21:3a:00:10,10.20.0.10\n")
    assert CliRunner().invoke(main, ["--db", url, "inventory", "import", str(inventory)]).exit_code == 0
    with Lab() as lab:
        net = small_lab(lab)
        for i, (ip, mac) in enumerate(HOSTS.items()):
            net.add_host(f"h{i}", ip, mac)
        proc = lab.run(net.scanner.ns, [NETDISCOVER, "--db", url, "scan", "10.20.0.0/24", "-m", "arp",
                                        "--iface", "eth0"], check=False, timeout=120)
        assert proc.returncode == 0, proc.stderr[-2000:]
    return True


def test_openapi_fuzzing_finds_no_server_error_and_no_schema_break(sqlite_url, tmp_path):
    swept = lab_sweep(sqlite_url, tmp_path)
    sessions = open_database(sqlite_url)
    token = seed(sessions)["tokens"]["admin"]
    st = Path(sys.executable).parent / "st"
    with served(create_app(sessions)) as url:
        unknown = httpx.get(f"{url}/api/v1/reports/unknown", headers={"Authorization": f"Bearer {token}"})
        cli = CliRunner().invoke(main, ["--db", sqlite_url, "report", "unknown", "--format", "json"])
        assert unknown.text == cli.output
        if swept:
            rows = json.loads(unknown.text)
            lab_rows = [r for r in rows if r["ips"] and r["ips"][0].startswith("10.20.0.")]
            assert sorted(r["ips"][0] for r in lab_rows) == ["10.20.0.50", "10.20.0.51"]
            assert all("arp" in r["found_by"]["methods"] for r in lab_rows)
        run = subprocess.run(
            [str(st), "run", f"{url}/openapi.json", "-H", f"Authorization: Bearer {token}",
             "--checks", "all", "--exclude-checks", "positive_data_acceptance",
             "--max-examples", "10", "--phases", "examples,fuzzing,stateful", "--seed", "20261207",
             "--request-timeout", "10", "--workers", "1", "--no-color"],
            capture_output=True, text=True, timeout=180, cwd=tmp_path,
        )
    sessions.kw["bind"].dispose()
    assert run.returncode == 0, run.stdout[-6000:] + run.stderr[-2000:]
    assert "Tested: 12" in run.stdout and "generated" in run.stdout
