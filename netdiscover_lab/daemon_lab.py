"""Run the sweep daemon as a real process inside a lab namespace, and watch what it does.

``DaemonProcess`` writes a settings file, starts ``netdiscover daemon`` in the scanner
namespace (so every packet it sends stays in the lab), reads its JSON event log, signals it,
and checks the database it keeps. ``ChurnHost`` is a lab host that can vanish, come back and
change its IP, for tests and the soak benchmark. Used by tests and benchmarks/daemon_soak.py.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from netdiscover_lab.netns import Host, Lab, stop_process

DAEMON_CMD = [sys.executable, "-c", "from netdiscover.cli import main; main()"]


def toml_value(value: Any) -> str:
    """A TOML literal for the simple values settings files use."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, list | tuple):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{k} = {toml_value(v)}" for k, v in value.items()) + " }"
    return json.dumps(str(value))


def settings_text(db_url: str, sweeps: list[dict[str, Any]], daemon: dict[str, Any] | None = None,
                  credentials: dict[str, dict[str, Any]] | None = None) -> str:
    """A settings file for ``netdiscover daemon`` from plain dicts."""
    lines = ["[database]", f"url = {toml_value(db_url)}", ""]
    if daemon:
        lines.append("[daemon]")
        lines.extend(f"{k} = {toml_value(v)}" for k, v in daemon.items())
        lines.append("")
    for sweep in sweeps:
        lines.append("[[sweep]]")
        lines.extend(f"{k} = {toml_value(v)}" for k, v in sweep.items())
        lines.append("")
    for name, table in (credentials or {}).items():
        lines.append(f"[credentials.{name}]")
        lines.extend(f"{k} = {toml_value(v)}" for k, v in table.items())
        lines.append("")
    return "\n".join(lines)


@dataclass
class DaemonProcess:
    """``netdiscover daemon`` running inside ``ns`` with its JSON event log in ``workdir``."""

    lab: Lab
    ns: str
    workdir: Path
    config: Path = field(init=False)
    log_path: Path = field(init=False)
    proc: subprocess.Popen | None = None
    _offset: int = 0
    _events: list[dict[str, Any]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.config = self.workdir / "netdiscover.toml"
        self.log_path = self.workdir / "daemon.log"

    def write_settings(self, text: str) -> None:
        tmp = self.config.with_suffix(".tmp")
        tmp.write_text(text, encoding="utf-8")
        tmp.chmod(0o600)
        os.replace(tmp, self.config)

    def start(self, *args: str, env: dict[str, str] | None = None) -> subprocess.Popen:
        self.proc = self.lab.start(self.ns, [*DAEMON_CMD, "daemon", "--config", str(self.config), *args],
                                   log=self.log_path, env=env)
        return self.proc

    def run_once(self, timeout: float = 60, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
        """``daemon --once`` in the namespace, waited for."""
        return self.lab.run(self.ns, [*DAEMON_CMD, "daemon", "--config", str(self.config), "--once"],
                            check=False, timeout=timeout)

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    def signal(self, sig: int) -> None:
        # ``ip netns exec`` execs the command, so the Popen pid is the daemon itself.
        os.kill(self.pid, sig)

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def wait(self, timeout: float) -> int | None:
        assert self.proc is not None
        try:
            return self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            return None

    def events(self, name: str | None = None) -> list[dict[str, Any]]:
        """Every JSON event logged so far (optionally only those called ``name``)."""
        if self.log_path.exists():
            with open(self.log_path, "rb") as handle:
                handle.seek(self._offset)
                chunk = handle.read()
            cut = chunk.rfind(b"\n") + 1
            self._offset += cut
            for line in chunk[:cut].splitlines():
                with contextlib.suppress(ValueError):
                    item = json.loads(line)
                    if isinstance(item, dict):
                        self._events.append(item)
        return [e for e in self._events if name is None or e.get("event") == name]

    def log_lines(self) -> list[str]:
        return self.log_path.read_text(errors="replace").splitlines() if self.log_path.exists() else []

    def wait_for(self, check: Callable[[], Any], timeout: float, what: str) -> Any:
        """Poll ``check`` until it returns something true; fail with the log tail otherwise."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            value = check()
            if value:
                return value
            if self.proc is not None and self.proc.poll() is not None:
                break
            time.sleep(0.1)
        tail = "\n".join(self.log_lines()[-15:])
        raise AssertionError(f"timed out waiting for {what}; daemon log tail:\n{tail}")


@dataclass
class ChurnHost:
    """A lab host that can disappear, reappear and move to another IP."""

    lab: Lab
    host: Host
    prefixlen: int = 24
    up: bool = True

    @property
    def ip(self) -> str:
        return self.host.ip or ""

    def disappear(self) -> None:
        self.lab.run(self.host.ns, ["ip", "link", "set", "eth0", "down"])
        self.up = False

    def reappear(self) -> None:
        self.lab.run(self.host.ns, ["ip", "link", "set", "eth0", "up"])
        self.up = True

    def move_to(self, ip: str) -> None:
        self.lab.run(self.host.ns, ["ip", "addr", "flush", "dev", "eth0"])
        self.lab.run(self.host.ns, ["ip", "addr", "add", f"{ip}/{self.prefixlen}", "dev", "eth0"])
        self.host.ip = ip


@contextlib.contextmanager
def postgres_socket(url: str, sock_dir: Path) -> Iterator[str]:
    """Yield ``url`` rewritten to reach its TCP server through a Unix socket in ``sock_dir``.

    A process inside a lab namespace has its own loopback, so it cannot reach a PostgreSQL
    server on the host's 127.0.0.1; a Unix socket lives in the file system and crosses the
    namespace boundary. socat relays it to the server (loopback only); it is stopped on exit.
    """
    from netdiscover.storage.engine import normalise_url

    parsed = normalise_url(url)
    sock_dir.mkdir(parents=True, exist_ok=True)
    port = parsed.port or 5432
    sock = sock_dir / f".s.PGSQL.{port}"
    relay = subprocess.Popen(
        ["socat", f"UNIX-LISTEN:{sock},fork,mode=600", f"TCP:{parsed.host or '127.0.0.1'}:{port}"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 5
        while not sock.exists() and time.monotonic() < deadline and relay.poll() is None:
            time.sleep(0.05)
        if not sock.exists():
            raise RuntimeError("socat did not open the PostgreSQL relay socket")
        yield parsed.set(host=None, query={"host": str(sock_dir)}).render_as_string(hide_password=False)
    finally:
        stop_process(relay, 5)


def terminate(proc: DaemonProcess, timeout: float = 20) -> int | None:
    """SIGTERM the daemon and wait for it; SIGKILL if it does not stop in time."""
    if not proc.alive():
        return proc.proc.returncode if proc.proc else None
    proc.signal(signal.SIGTERM)
    code = proc.wait(timeout)
    if code is None:
        proc.signal(signal.SIGKILL)
        code = proc.wait(5)
    return code
