"""Build throw-away test networks from Linux network namespaces on this machine only.

A Lab owns every namespace it makes (all named ``<prefix>-<name>``, the prefix unique per run),
and the processes it starts in them. ``close()`` kills the processes and deletes the
namespaces, which also destroys every veth and bridge inside them; nothing is ever created
in the root namespace, so parallel labs never clash and no packet can leave the lab. What a lab
must change outside its namespaces (the kernel's global neighbour-table limits) is undone by the
``on_close`` callbacks it registered.

Topology: one "switch" namespace holding bridge ``br0`` (a segment); the scanner and each host
namespace get an ``eth0`` whose peer port sits on the bridge. Routed subnets are built by
giving a router namespace a port on two segments.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import shlex
import shutil
import signal
import subprocess
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

NETNS_DIR = Path("/run/netns")



def stop_process_groups(procs: list[subprocess.Popen], timeout: float) -> None:
    """SIGTERM each process's group, wait up to ``timeout`` s for them all, SIGKILL what is left."""
    for proc in procs:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(proc.pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    for proc in procs:
        try:
            proc.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(proc.pid, signal.SIGKILL)
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(timeout=2)


def stop_process(proc: subprocess.Popen, timeout: float) -> None:
    """SIGTERM one process, wait up to ``timeout`` s, SIGKILL it if it is still there."""
    proc.terminate()
    try:
        proc.wait(timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(10)


class LabError(RuntimeError):
    """The lab cannot be built here (no root, no iproute2, a command failed)."""


def lab_unavailable_reason() -> str | None:
    """Why namespaces cannot be built here, or None when they can."""
    if os.geteuid() != 0:
        return "network-namespace lab needs root"
    if shutil.which("ip") is None:
        return "iproute2 ('ip') is not installed"
    return None


def _ip(args: Sequence[str], ns: str | None = None, check: bool = True) -> subprocess.CompletedProcess:
    cmd = ["ip", *args] if ns is None else ["ip", "netns", "exec", ns, "ip", *args]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=30)
    if check and proc.returncode != 0:
        raise LabError(f"{shlex.join(cmd)}: {proc.stderr.strip()}")
    return proc


@dataclass
class Segment:
    """A layer-2 segment: bridge ``br0`` inside its own namespace."""

    ns: str
    ports: int = 0


@dataclass
class Host:
    """A namespace with one interface on a segment (more via ``Lab.attach``)."""

    name: str
    ns: str
    ip: str | None
    mac: str | None
    ifaces: list[str] = field(default_factory=lambda: ["eth0"])


class Lab:
    """A set of namespaces, links and processes that is removed as a whole."""

    def __init__(self, prefix: str | None = None) -> None:
        reason = lab_unavailable_reason()
        if reason:
            raise LabError(reason)
        self.prefix = prefix or f"nd{secrets.token_hex(3)}"
        self.namespaces: list[str] = []
        self.processes: list[subprocess.Popen] = []
        self.hosts: dict[str, Host] = {}
        self.segments: dict[str, Segment] = {}
        self.closing: list[Callable[[], None]] = []
        self._on_term: Any = None

    # -- building -------------------------------------------------------------------------
    def namespace(self, name: str) -> str:
        """Create namespace ``<prefix>-<name>`` with loopback up; return its full name."""
        ns = f"{self.prefix}-{name}"
        _ip(["netns", "add", ns])
        self.namespaces.append(ns)
        _ip(["link", "set", "lo", "up"], ns=ns)
        return ns

    def segment(self, name: str = "lan") -> Segment:
        """A new bridge in its own namespace; hosts are attached with ``host`` or ``attach``."""
        ns = self.namespace(f"sw-{name}")
        _ip(["link", "add", "br0", "type", "bridge", "forward_delay", "0"], ns=ns)
        # No STP, no multicast snooping: every port forwards at once, like a plain office switch.
        _ip(["link", "set", "br0", "type", "bridge", "stp_state", "0", "mcast_snooping", "0"], ns=ns)
        _ip(["link", "set", "br0", "up"], ns=ns)
        seg = Segment(ns=ns)
        self.segments[name] = seg
        return seg

    def attach(self, host_ns: str, segment: Segment, ifname: str, cidr: str | None = None,
               mac: str | None = None) -> str:
        """Plug ``host_ns`` into ``segment`` with interface ``ifname``; return the bridge port name."""
        segment.ports += 1
        port = f"p{segment.ports}"
        _ip(["link", "add", port, "type", "veth", "peer", "name", ifname, "netns", host_ns], ns=segment.ns)
        _ip(["link", "set", port, "master", "br0"], ns=segment.ns)
        _ip(["link", "set", port, "up"], ns=segment.ns)
        if mac:
            _ip(["link", "set", ifname, "address", mac], ns=host_ns)
        if cidr:
            _ip(["addr", "add", cidr, "dev", ifname], ns=host_ns)
        _ip(["link", "set", ifname, "up"], ns=host_ns)
        return port

    def host(self, name: str, segment: Segment, cidr: str | None, mac: str | None = None,
             gateway: str | None = None) -> Host:
        """A namespace with ``eth0`` on ``segment`` at ``cidr`` (e.g. "10.20.0.5/24")."""
        ns = self.namespace(name)
        self.attach(ns, segment, "eth0", cidr, mac)
        if gateway:
            _ip(["route", "add", "default", "via", gateway], ns=ns)
        host = Host(name=name, ns=ns, ip=cidr.split("/")[0] if cidr else None, mac=mac)
        self.hosts[name] = host
        return host

    def router(self, name: str, legs: Sequence[tuple[Segment, str, str | None]]) -> Host:
        """A namespace with one interface per (segment, cidr, mac) leg and IP forwarding on."""
        ns = self.namespace(name)
        for i, (seg, cidr, mac) in enumerate(legs):
            self.attach(ns, seg, f"eth{i}", cidr, mac)
        self.sysctl(ns, "net.ipv4.ip_forward", "1")
        host = Host(name=name, ns=ns, ip=legs[0][1].split("/")[0], mac=legs[0][2],
                    ifaces=[f"eth{i}" for i in range(len(legs))])
        self.hosts[name] = host
        return host

    # -- running things inside ----------------------------------------------------------
    def sysctl(self, ns: str, key: str, value: str) -> None:
        self.run(ns, ["sysctl", "-qw", f"{key}={value}"])

    def run(self, ns: str, cmd: Sequence[str], check: bool = True, timeout: float = 60,
            input: str | None = None) -> subprocess.CompletedProcess:
        """Run ``cmd`` inside ``ns`` and wait for it."""
        proc = subprocess.run(["ip", "netns", "exec", ns, *cmd], capture_output=True, text=True,
                              timeout=timeout, input=input)
        if check and proc.returncode != 0:
            err = proc.stderr.strip()[:500]
            raise LabError(f"[{ns}] {shlex.join(cmd)} failed ({proc.returncode}): {err}")
        return proc

    def start(self, ns: str, cmd: Sequence[str], log: Path | None = None,
              env: dict[str, str] | None = None) -> subprocess.Popen:
        """Start a background process inside ``ns``; it is killed by ``close()``."""
        out = open(log, "ab") if log else subprocess.DEVNULL  # noqa: SIM115 - lives as long as the process
        proc = subprocess.Popen(["ip", "netns", "exec", ns, *cmd], stdout=out, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL, start_new_session=True,
                                env={**os.environ, **(env or {})})
        self.processes.append(proc)
        return proc

    def nft(self, ns: str, ruleset: str) -> None:
        """Load an nftables ruleset into ``ns`` (e.g. a bridge-family table dropping ARP)."""
        self.run(ns, ["nft", "-f", "-"], input=ruleset)

    # -- teardown -----------------------------------------------------------------------
    def on_close(self, undo: Callable[[], None]) -> None:
        """Run ``undo`` when the lab closes (for what a lab changes outside its namespaces)."""
        self.closing.append(undo)

    def close(self) -> None:
        """Kill every process and delete every namespace this lab made, then run the ``on_close``
        undos (latest first, each even if another failed). Safe to call twice."""
        try:
            stop_process_groups(self.processes, 5)
            self.processes.clear()
            remove_namespaces(self.prefix)
            self.namespaces.clear()
        finally:
            while self.closing:
                with contextlib.suppress(Exception):
                    self.closing.pop()()

    def __enter__(self) -> Lab:
        self._on_term = _exit_on_sigterm()
        return self

    def __exit__(self, *exc: object) -> None:
        try:
            self.close()
        finally:
            if self._on_term is not None:
                signal.signal(signal.SIGTERM, self._on_term)


def _raise_exit(signum: int, _frame: object) -> None:
    raise SystemExit(128 + signum)


def _exit_on_sigterm() -> Any:
    """Make SIGTERM unwind the program (so a lab's ``with`` block removes what it built, as on an
    exception) where it would otherwise end the process on the spot; return the handler to put
    back, or None when left as it was (not the main thread, or someone else handles it)."""
    if threading.current_thread() is not threading.main_thread():
        return None
    if signal.getsignal(signal.SIGTERM) is not signal.SIG_DFL:
        return None
    return signal.signal(signal.SIGTERM, _raise_exit)


def remove_namespaces(prefix: str) -> int:
    """Delete every namespace named ``<prefix>-*`` and kill what still runs in it; return the count."""
    names = [ns for ns in list_namespaces() if ns.startswith(f"{prefix}-")]
    for ns in names:
        pids = subprocess.run(["ip", "netns", "pids", ns], capture_output=True, text=True, timeout=10)
        for pid in pids.stdout.split():
            with contextlib.suppress(ProcessLookupError, ValueError, PermissionError):
                os.kill(int(pid), signal.SIGKILL)
        subprocess.run(["ip", "netns", "delete", ns], capture_output=True, timeout=30)
    return len(names)


def list_namespaces() -> list[str]:
    """Names of all network namespaces on this machine."""
    proc = subprocess.run(["ip", "netns", "list"], capture_output=True, text=True, timeout=10)
    return [line.split()[0] for line in proc.stdout.splitlines() if line.strip()]
