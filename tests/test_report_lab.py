"""End to end in the namespace lab: an inventory, a real ARP sweep by `netdiscover scan` inside the
scanner namespace, then `netdiscover report unknown` lists exactly the hosts nobody documented;
an approval survives a rescan after the approved host changed its IP (root only)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from netdiscover.cli import main
from netdiscover.storage.engine import open_database
from netdiscover.storage.models import Asset
from netdiscover_lab.arp_lab import small_lab

pytestmark = pytest.mark.lab

DOCUMENTED = {"10.20.0.10": "00:1b:21:3a:00:10", "10.20.0.11": "3c:d9:2b:3a:00:11"}
UNDOCUMENTED = {"10.20.0.50": "b8:27:eb:3a:00:50", "10.20.0.51": "00:1e:c9:3a:00:51"}
NETDISCOVER = str(Path(sys.executable).with_name("netdiscover"))


def import_inventory(url: str, tmp_path: Path) -> None:
    """The documented records an organisation keeps, through the real inventory import."""
    csv_file = tmp_path / "inventory.csv"
    csv_file.write_text("hostname,mac,ip,owner\n" + "".join(
        f"known-{i},{mac},{ip},it\n" for i, (ip, mac) in enumerate(DOCUMENTED.items())))
    res = CliRunner().invoke(main, ["--db", url, "inventory", "import", str(csv_file)])
    assert res.exit_code == 0, res.output


def sweep(lab, net, url: str) -> None:
    proc = lab.run(net.scanner.ns, [NETDISCOVER, "--db", url, "scan", "10.20.0.0/24", "-m", "arp",
                                    "--iface", "eth0", "--format", "json"], check=False, timeout=120)
    assert proc.returncode == 0, proc.stderr[-2000:]


def report(url: str) -> list[dict]:
    res = CliRunner().invoke(main, ["--db", url, "report", "unknown", "--format", "json"])
    assert res.exit_code == 0, res.output
    return json.loads(res.output)


def test_lab_sweep_report_and_approval_through_ip_change(lab, tmp_path):
    url = f"sqlite:///{tmp_path / 'lab.db'}"
    net = small_lab(lab)
    for i, (ip, mac) in enumerate({**DOCUMENTED, **UNDOCUMENTED}.items()):
        net.add_host(f"h{i}", ip, mac)
    import_inventory(url, tmp_path)
    sweep(lab, net, url)

    rows = report(url)
    assert sorted(m for r in rows for m in r["macs"]) == sorted(UNDOCUMENTED.values())
    assert sorted(ip for r in rows for ip in r["ips"]) == sorted(UNDOCUMENTED)
    assert all(r["status"] == "undocumented" and "arp" in r["methods"] for r in rows)
    pi = next(r for r in rows if UNDOCUMENTED["10.20.0.50"] in r["macs"])
    assert pi["vendor"] and "raspberry" in pi["vendor"].lower()

    res = CliRunner().invoke(main, ["--db", url, "review", "approve", str(pi["id"]), "--by", "lab",
                                    "--note", "the build server"])
    assert res.exit_code == 0, res.output
    host = net.hosts["10.20.0.50"]
    lab.run(host.ns, ["ip", "addr", "flush", "dev", "eth0"])
    lab.run(host.ns, ["ip", "addr", "add", "10.20.0.77/24", "dev", "eth0"])
    sweep(lab, net, url)

    rows = report(url)
    assert sorted(m for r in rows for m in r["macs"]) == [UNDOCUMENTED["10.20.0.51"]]
    sessions = open_database(url)
    with sessions() as s:
        asset = s.get(Asset, pi["id"])
        assert asset.status == "approved"
        assert [a.ip for a in asset.addresses if a.current] == ["10.20.0.77"]
        assert s.query(Asset).count() == len(DOCUMENTED) + len(UNDOCUMENTED)
    sessions.kw["bind"].dispose()
