"""A several-sites lab: one network per site in namespaces, each with a collector process inside
that reaches the broker on the host through a Unix-socket relay (a namespace has its own
loopback; a socket file crosses the boundary, as ``daemon_lab.postgres_socket`` does for
PostgreSQL).

``sites_up``/``sites_down`` (``netdiscover lab up --sites N`` / ``lab down``) build and remove a
lasting one on the local RabbitMQ: its own vhost and collector users, the sites registered in
the asset database, a collector per site; the central ingest is left to the user to start.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from netdiscover_lab.arp_lab import quiet_namespace
from netdiscover_lab.netns import Host, Lab, LabError, remove_namespaces, stop_process

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


# name, /24 prefix, hosts, MAC byte: the first two share 10.1.0.0/24 (two offices, one plan)
SITE_PLAN = (("paris", "10.1.0", 4, 0x11), ("lyon", "10.1.0", 4, 0x22), ("nantes", "10.3.0", 3, 0x33),
             ("lille", "10.4.0", 3, 0x44), ("rennes", "10.5.0", 3, 0x55))


def build_sites(lab: Lab, count: int) -> dict[str, SiteNet]:
    """The first ``count`` sites of ``SITE_PLAN``."""
    if not 1 <= count <= len(SITE_PLAN):
        raise LabError(f"the sites lab has 1 to {len(SITE_PLAN)} sites")
    return {name: build_site(lab, name, prefix, hosts, mac) for name, prefix, hosts, mac in SITE_PLAN[:count]}


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
                                      f"TCP:127.0.0.1:{port}"], start_new_session=True,
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
        stop_process(self.proc, 5)


def start_collector(lab: Lab, site: SiteNet, broker: str, workdir: Path, heartbeat: float = 2.0) -> None:
    """Run ``netdiscover collector`` for ``site`` inside its collector namespace."""
    site.log = workdir / f"collector-{site.name}.log"
    site.process = lab.start(site.collector.ns, [*CLI, "collector", "--site", site.name, "--broker", broker,
                                                 "--heartbeat", str(heartbeat)], log=site.log)


def sites_up(count: int, sessions: Any, prefix: str, state_dir: Path,
             heartbeat: float = 10.0) -> dict[str, Any]:
    """Build a lasting sites lab of ``count`` sites (replacing one with the same ``prefix``);
    returns (and saves under ``state_dir``) its description, broker URLs included. On any
    failure, whatever was built is removed and LabError raised."""
    from netdiscover.services.sites import add_site
    from netdiscover.workers import rabbitadmin
    from netdiscover.workers.app import declare, make_app

    sites_down(prefix, state_dir)
    lab = Lab(prefix)
    workdir = state_dir / prefix
    workdir.mkdir(parents=True, exist_ok=True)
    relay = None
    made: tuple[dict[str, str], list[str]] | None = None
    try:
        sites = build_sites(lab, count)
        made = rabbitadmin.make_vhost(list(sites), tag=prefix)
        urls = made[0]
        for name in sites:
            add_site(sessions, name)
        declare(make_app(urls["central"]), list(sites))
        relay = BrokerRelay(workdir / "relay")
        for name, site in sites.items():
            relay.into(lab, site.collector.ns)
            start_collector(lab, site, urls[name], workdir, heartbeat=heartbeat)
        state = {"prefix": prefix, "workdir": str(workdir), "relay_pid": relay.proc.pid,
                 "vhost": urls["vhost"], "users": made[1], "central": urls["central"],
                 "sites": {name: {"cidr": site.cidr, "namespace": site.collector.ns, "hosts": site.hosts,
                                  "log": str(site.log)} for name, site in sites.items()}}
        path = _state_path(prefix, state_dir)
        path.touch(mode=0o600)
        path.write_text(json.dumps(state, indent=1))
        return state
    except BaseException as exc:
        lab.close()
        if relay is not None:
            relay.close()
        if made is not None:
            with contextlib.suppress(Exception):
                rabbitadmin.remove_vhost(made[0]["vhost"], made[1])
        if isinstance(exc, LabError | subprocess.SubprocessError | OSError):
            raise LabError(str(exc)) from None
        raise


def sites_down(prefix: str, state_dir: Path) -> int:
    """Remove the sites lab ``prefix``: its namespaces (and the collectors in them), its relay, its
    vhost and broker users, its files. Returns the number of namespaces removed."""
    from netdiscover.workers import rabbitadmin

    if not prefix.isalnum():
        raise LabError(f"refusing to remove labs with prefix {prefix!r}")
    removed = remove_namespaces(prefix)
    path = _state_path(prefix, state_dir)
    try:
        state = json.loads(path.read_text())
    except (OSError, ValueError):
        state = {}
    if state.get("relay_pid"):
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(int(state["relay_pid"]), signal.SIGTERM)
    vhost = state.get("vhost") or f"nd_{prefix}"         # also after an ``up`` that crashed
    with contextlib.suppress(rabbitadmin.RabbitError, OSError, subprocess.SubprocessError):
        if vhost in rabbitadmin.ctl("list_vhosts", "name").split():
            users = state.get("users") or [f"nd_{name}_{prefix}" for name, *_ in SITE_PLAN]
            rabbitadmin.remove_vhost(vhost, list(users))
    shutil.rmtree(state_dir / prefix, ignore_errors=True)
    path.unlink(missing_ok=True)
    return removed


def load_sites_state(prefix: str, state_dir: Path) -> dict[str, Any] | None:
    """The description ``sites_up`` saved, or None."""
    try:
        return json.loads(_state_path(prefix, state_dir).read_text())
    except (OSError, ValueError):
        return None


def _state_path(prefix: str, state_dir: Path) -> Path:
    return state_dir / f"{prefix}.json"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _port_open(port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(1)
        return s.connect_ex(("127.0.0.1", port)) == 0


class PrivateBroker:
    """A RabbitMQ node of our own (its own node name, ports, data and logs under ``directory``) that
    a test may stop and start again without touching the shared broker on port 5672.

    Only loopback listens; no plug-in is enabled (no management port); the Erlang cookie is its
    own (``HOME`` is ``directory``). Its data survives ``stop``/``start``: durable queues and
    persistent messages come back, as after a real broker restart.
    """

    SERVER = "/usr/lib/rabbitmq/bin/rabbitmq-server"
    CTL = "/usr/lib/rabbitmq/bin/rabbitmqctl"

    def __init__(self, directory: Path) -> None:
        if not Path(self.SERVER).exists():
            raise LabError("rabbitmq-server is not installed")
        self.dir = directory
        self.dir.mkdir(parents=True, exist_ok=True)
        self.port, dist = _free_port(), _free_port()
        self.node = f"nd{secrets.token_hex(4)}@localhost"
        (self.dir / "rabbitmq.conf").write_text(f"listeners.tcp.local = 127.0.0.1:{self.port}\n")
        (self.dir / "enabled_plugins").write_text("[].\n")
        (self.dir / "rabbitmq-env.conf").write_text("")
        cookie = self.dir / ".erlang.cookie"
        cookie.write_text(secrets.token_hex(16))
        cookie.chmod(0o400)
        self.env = {**os.environ, "HOME": str(self.dir), "RABBITMQ_NODENAME": self.node,
                    "RABBITMQ_NODE_PORT": str(self.port), "RABBITMQ_DIST_PORT": str(dist),
                    "RABBITMQ_CONF_ENV_FILE": str(self.dir / "rabbitmq-env.conf"),
                    "RABBITMQ_CONFIG_FILE": str(self.dir / "rabbitmq.conf"),
                    "RABBITMQ_ENABLED_PLUGINS_FILE": str(self.dir / "enabled_plugins"),
                    "RABBITMQ_MNESIA_BASE": str(self.dir / "mnesia"),
                    "RABBITMQ_LOG_BASE": str(self.dir / "log"),
                    "RABBITMQ_PID_FILE": str(self.dir / "rabbit.pid"),
                    "ERL_EPMD_ADDRESS": "127.0.0.1",
                    "ERL_FLAGS": "-kernel inet_dist_use_interface {127,0,0,1}"}
        self.proc: subprocess.Popen | None = None
        self.url = f"amqp://guest:guest@127.0.0.1:{self.port}//"

    def start(self, timeout: float = 120) -> None:
        """Start the node and wait until it accepts AMQP connections."""
        self.proc = subprocess.Popen([self.SERVER], env=self.env, start_new_session=True,
                                     stdout=open(self.dir / "server.out", "ab"),  # noqa: SIM115
                                     stderr=subprocess.STDOUT)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise LabError(f"rabbitmq-server exited: {self.output()[-500:]}")
            if _port_open(self.port) and self.ctl("await_startup", timeout=60).returncode == 0:
                return
            time.sleep(0.5)
        raise LabError(f"rabbitmq-server did not start in {timeout:.0f} s")

    def ctl(self, *args: str, timeout: float = 60) -> subprocess.CompletedProcess:
        return subprocess.run([self.CTL, "-n", self.node, *args], env=self.env, capture_output=True,
                              text=True, timeout=timeout, check=False)

    def output(self) -> str:
        return (self.dir / "server.out").read_text(errors="replace")

    def stop(self, timeout: float = 60) -> None:
        """Stop the node (a clean shutdown, as a service restart does); kill it if it hangs."""
        if self.proc is None or self.proc.poll() is not None:
            return
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.ctl("stop", timeout=timeout)
        try:
            self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(10)
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)

    def close(self) -> None:
        """Stop the node and anything it left in its process group (epmd is shared: left alone)."""
        self.stop()
        if self.proc is not None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, signal.SIGKILL)
