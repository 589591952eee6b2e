"""A several-sites lab: one network per site in namespaces, each with a collector process inside
that reaches the broker on the host through a Unix-socket relay (a namespace has its own
loopback; a socket file crosses the boundary, as ``daemon_lab.postgres_socket`` does for
PostgreSQL).
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from netdiscover_lab.arp_lab import quiet_namespace
from netdiscover_lab.netns import Host, Lab, LabError

CLI = [sys.executable, "-c", "from netdiscover.cli import main; main()"]


@dataclass
class SiteNet:
    """One site's network: its collector's namespace and the hosts beside it."""

    name: str
    cidr: str
    collector: Host
    hosts: dict[str, str] = field(default_factory=dict)    # ip -> mac
    process: subprocess.Popen | None = None
    log: Path | None = None


def build_site(lab: Lab, name: str, prefix: str, hosts: int, mac_base: int) -> SiteNet:
    """A /24 ``prefix``.0/24 with the collector at .2 and ``hosts`` hosts from .10."""
    seg = lab.segment(name)
    collector = lab.host(f"{name}-col", seg, f"{prefix}.2/24", f"02:00:5e:{mac_base:02x}:00:02")
    quiet_namespace(lab, collector.ns)
    site = SiteNet(name=name, cidr=f"{prefix}.0/24", collector=collector)
    for i in range(hosts):
        ip, mac = f"{prefix}.{10 + i}", f"00:00:5e:{mac_base:02x}:01:{i:02x}"
        host = lab.host(f"{name}-h{i}", seg, f"{ip}/24", mac)
        quiet_namespace(lab, host.ns)
        site.hosts[ip] = mac
    return site


class BrokerRelay:
    """socat on the host: a Unix socket in ``directory`` forwarding to the broker's TCP port."""

    def __init__(self, directory: Path, port: int = 5672) -> None:
        if not shutil.which("socat"):
            raise LabError("socat is not installed")
        directory.mkdir(parents=True, exist_ok=True)
        self.port = port
        self.sock = directory / f"broker-{port}.sock"
        self.proc = subprocess.Popen(["socat", f"UNIX-LISTEN:{self.sock},fork,mode=600",
                                      f"TCP:127.0.0.1:{port}"],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 5
        while not self.sock.exists() and time.monotonic() < deadline and self.proc.poll() is None:
            time.sleep(0.05)
        if not self.sock.exists():
            raise LabError("socat did not open the broker relay socket")

    def into(self, lab: Lab, ns: str) -> None:
        """Make 127.0.0.1:port inside ``ns`` reach the broker."""
        lab.start(ns, ["socat", f"TCP-LISTEN:{self.port},bind=127.0.0.1,reuseaddr,fork",
                       f"UNIX-CONNECT:{self.sock}"])
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            if lab.run(ns, ["socat", "-u", "OPEN:/dev/null", f"TCP:127.0.0.1:{self.port}"],
                       check=False, timeout=5).returncode == 0:
                return
            time.sleep(0.1)
        raise LabError(f"broker relay in {ns} did not come up")

    def close(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(5)
        except subprocess.TimeoutExpired:
            self.proc.kill()


def start_collector(lab: Lab, site: SiteNet, broker: str, workdir: Path, heartbeat: float = 2.0) -> None:
    """Run ``netdiscover collector`` for ``site`` inside its collector namespace."""
    site.log = workdir / f"collector-{site.name}.log"
    site.process = lab.start(site.collector.ns, [*CLI, "collector", "--site", site.name, "--broker", broker,
                                                 "--heartbeat", str(heartbeat)], log=site.log)
