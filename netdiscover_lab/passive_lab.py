"""Lab pieces for passive discovery: a silent listener namespace and real announcing clients.

The listener's namespace has IPv6 switched off before its interface exists and gets no IPv4
address, so its kernel has nothing of its own to say: the interface's ``tx_packets`` counter
must stay where it was while ``netdiscover listen`` runs. The clients are the real Debian
programs: dnsmasq as DHCP server, udhcpc and dhclient asking it, lldpd announcing LLDP, radvd
sending router advertisements for SLAAC, dhcpcd with Debian's configuration.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from netdiscover_lab.netns import Host, Lab, LabError, Segment

NETDISCOVER = [sys.executable, "-c", "from netdiscover.cli import main; main()"]


def _wait_for(check: Callable[[], bool], timeout: float, message: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.1)
    raise LabError(message)


def mirror_segment(lab: Lab, name: str = "lan") -> Segment:
    """A segment whose bridge floods every frame to every port, like a switch's mirror port.

    Unicast is flooded (no MAC learning) and LLDP's link-local group 01:80:c2:00:00:0e, which a
    bridge normally keeps to itself, is forwarded (group_fwd_mask bit 14). The bridge's own ports
    have IPv6 off, so the segment adds no frames of its own to what the hosts send.
    """
    seg = lab.segment(name)
    for scope in ("all", "default"):
        lab.sysctl(seg.ns, f"net.ipv6.conf.{scope}.disable_ipv6", "1")
    lab.run(seg.ns, ["ip", "link", "set", "br0", "type", "bridge", "ageing_time", "0",
                     "group_fwd_mask", "0x4000"])
    return seg


def silent_host(lab: Lab, name: str, segment: Segment) -> Host:
    """A namespace on ``segment`` with no addresses and IPv6 off: its kernel sends nothing."""
    return silent_host_on_port(lab, name, segment)[0]


def silent_host_on_port(lab: Lab, name: str, segment: Segment) -> tuple[Host, str]:
    """``silent_host`` and the name of the bridge port its cable is plugged into."""
    ns = lab.namespace(name)
    for scope in ("all", "default"):
        lab.sysctl(ns, f"net.ipv6.conf.{scope}.disable_ipv6", "1")
    port = lab.attach(ns, segment, "eth0")
    mac = lab.run(ns, ["cat", "/sys/class/net/eth0/address"]).stdout.strip()
    host = Host(name=name, ns=ns, ip=None, mac=mac)
    lab.hosts[name] = host
    return host, port


def tx_packets(lab: Lab, ns: str, iface: str = "eth0") -> int:
    """The interface's transmitted-packets counter as the kernel keeps it."""
    out = lab.run(ns, ["cat", f"/sys/class/net/{iface}/statistics/tx_packets"]).stdout
    return int(out.strip())


@dataclass
class RunningListen:
    """A ``netdiscover listen`` running in a namespace; ``finish`` stops it and reads its JSON summary."""

    proc: subprocess.Popen
    out: Path
    err: Path

    def finish(self, timeout: float = 20.0) -> dict:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
        try:
            self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            raise LabError(f"listen did not stop: {self.err.read_text(errors='replace')[-500:]}") from None
        text = self.out.read_text(errors="replace")
        try:
            return json.loads(text)
        except ValueError:
            raise LabError(f"listen printed no JSON ({self.proc.returncode}): "
                           f"{self.err.read_text(errors='replace')[-800:]}") from None


def start_listen(lab: Lab, host: Host, db_url: str, workdir: Path, duration: str = "60s",
                 flush: str = "30s", iface: str = "eth0", wait: float = 15.0) -> RunningListen:
    """Start ``netdiscover listen`` in ``host``'s namespace; return once it is listening."""
    workdir.mkdir(parents=True, exist_ok=True)
    out, err = workdir / "listen.json", workdir / "listen.err"
    cmd = [*NETDISCOVER, "--db", db_url, "-v", "listen", "--iface", iface, "--duration", duration,
           "--flush", flush, "--format", "json"]
    script = " ".join(f"'{c}'" for c in cmd) + f" >{out} 2>{err}"
    proc = lab.start(host.ns, ["sh", "-c", f"exec {script}"])
    def ready() -> bool:
        return proc.poll() is not None or (err.exists() and "listening on" in err.read_text(errors="replace"))

    _wait_for(ready, wait, f"listen did not start within {wait}s (see {err})")
    if proc.poll() is not None:
        raise LabError(f"listen exited at once: {err.read_text(errors='replace')[-500:]}")
    return RunningListen(proc, out, err)


def start_dnsmasq(lab: Lab, host: Host, workdir: Path, first: str, last: str, iface: str = "eth0",
                  wait: float = 10.0) -> Path:
    """dnsmasq as a DHCP server only (no DNS) on ``host``; returns its log path.

    IPv6 ``first``/``last`` make it a DHCPv6 server for their /64 (``host`` must hold an
    address there); its leases are in ``workdir / "leases"``.
    """
    workdir.mkdir(parents=True, exist_ok=True)
    log = workdir / "dnsmasq.log"
    mask = "64" if ":" in first else "255.255.255.0"
    lab.start(host.ns, ["dnsmasq", "--keep-in-foreground", "--conf-file=/dev/null", f"--interface={iface}",
                        "--bind-interfaces", "--port=0", f"--dhcp-range={first},{last},{mask},1h",
                        f"--dhcp-leasefile={workdir / 'leases'}", f"--pid-file={workdir / 'dnsmasq.pid'}",
                        "--dhcp-authoritative", "--log-dhcp", "--log-facility=-"], log=log)
    _wait_for(lambda: log.exists() and "IP range" in log.read_text(errors="replace"), wait,
              f"dnsmasq did not start: {log.read_text(errors='replace')[-300:] if log.exists() else ''}")
    return log


def run_udhcpc(lab: Lab, host: Host, hostname: str, iface: str = "eth0", client_id: str | None = None,
               timeout: float = 20.0) -> str:
    """One busybox udhcpc lease (hostname sent, no address configured); returns its output."""
    cmd = ["udhcpc", "-i", iface, "-f", "-q", "-n", "-t", "5", "-T", "1", "-s", "/bin/true",
           "-x", f"hostname:{hostname}"]
    if client_id:
        cmd += ["-x", f"0x3d:{client_id}"]
    return lab.run(host.ns, cmd, timeout=timeout).stdout


def run_dhclient(lab: Lab, host: Host, hostname: str, workdir: Path, iface: str = "eth0",
                 timeout: float = 20.0, v6: bool = False) -> None:
    """One ISC dhclient lease with Debian's request list and ``hostname`` (no address configured).

    ``v6``: a DHCPv6 lease (``dhclient -6``, DUID-LL, the name sent as the client FQDN option).
    """
    workdir.mkdir(parents=True, exist_ok=True)
    conf = workdir / "dhclient.conf"
    debian = Path("/etc/dhcp/dhclient.conf")
    base = debian.read_text() if debian.exists() else ""
    lines = [line for line in base.splitlines() if "send host-name" not in line]
    name = f'send fqdn.fqdn "{hostname}";' if v6 else f'send host-name "{hostname}";'
    conf.write_text("\n".join(lines) + f"\n{name}\n")
    family = ["-6", "-D", "LL"] if v6 else ["-4"]
    lab.run(host.ns, ["dhclient", "-1", *family, "-sf", "/bin/true", "-cf", str(conf),
                      "-lf", str(workdir / "dhclient.leases"), "-pf", str(workdir / "dhclient.pid"), iface],
            timeout=timeout)
    pid = workdir / "dhclient.pid"
    if pid.exists():                      # dhclient stays to renew; the lease is all we wanted
        try:
            os.kill(int(pid.read_text().strip()), signal.SIGTERM)
        except (ValueError, ProcessLookupError):
            pass


def run_dhcpcd(lab: Lab, host: Host, hostname: str, iface: str = "eth0", timeout: float = 25.0) -> str:
    """One dhcpcd lease with Debian's /etc/dhcpcd.conf and ``hostname``; returns its output.

    Its state (/run, /var/lib/dhcpcd) lives on tmpfs mounts private to the namespace's mount
    namespace, and no hook script runs, so nothing outside the lab is touched.
    """
    script = ("mount -t tmpfs none /run && mount -t tmpfs none /var/lib/dhcpcd && "
              f"exec dhcpcd -B -4 -1 -t 15 -h {hostname} -c /bin/true {iface}")
    return lab.run(host.ns, ["sh", "-c", script], timeout=timeout).stdout


def start_lldpd(lab: Lab, host: Host, system_name: str, iface: str = "eth0", wait: float = 10.0,
                config: tuple[str, ...] = (), med_class: int | None = None) -> Path:
    """lldpd announcing ``system_name`` on ``iface`` every second; returns its directory.

    ``config`` adds lldpcli ``configure`` lines (capabilities, inventory); ``med_class`` makes
    it an LLDP-MED endpoint of that class (1-3). lldpd drops to its own user, so its socket and
    configuration live in a directory it can reach (``/tmp/<lab prefix>-lldpd-*``, mode 755);
    the caller removes it afterwards.
    """
    workdir = Path(tempfile.mkdtemp(prefix=f"{lab.prefix}-lldpd-"))
    workdir.chmod(0o755)
    log, sock = workdir / "lldpd.log", workdir / "lldpd.socket"
    conf = workdir / "lldpd.conf"
    lines = [f"configure system hostname {system_name}", "configure lldp tx-interval 1", *config]
    conf.write_text("\n".join(lines) + "\n")
    med = ["-M", str(med_class)] if med_class else []
    lab.start(host.ns, ["lldpd", "-d", "-u", str(sock), "-I", iface, "-O", str(conf), *med, "-S",
                        f"{system_name} lab switch"], log=log)
    _wait_for(sock.exists, wait, f"lldpd did not start (see {log})")
    return workdir


def start_radvd(lab: Lab, host: Host, workdir: Path, prefix: str, iface: str = "eth0",
                wait: float = 10.0) -> Path:
    """radvd advertising ``prefix`` (SLAAC) every few seconds on ``host``; returns its log path."""
    workdir.mkdir(parents=True, exist_ok=True)
    conf, log = workdir / "radvd.conf", workdir / "radvd.log"
    conf.write_text(f"interface {iface} {{\n  AdvSendAdvert on;\n  MinRtrAdvInterval 3;\n"
                    f"  MaxRtrAdvInterval 4;\n"
                    f"  prefix {prefix} {{ AdvOnLink on; AdvAutonomous on; }};\n}};\n")
    lab.sysctl(host.ns, "net.ipv6.conf.all.forwarding", "1")
    lab.start(host.ns, ["radvd", "-n", "-C", str(conf), "-p", str(workdir / "radvd.pid"), "-m", "stderr"],
              log=log)
    _wait_for(lambda: (workdir / "radvd.pid").exists(), wait,
              f"radvd did not start: {log.read_text(errors='replace')[-300:] if log.exists() else ''}")
    return log


def count_frames(interface: str, expect: int, timeout: float) -> dict:
    """Listen (no storage) until ``expect`` frames arrived or ``timeout``; the figures and CPU used."""
    import resource

    from netdiscover.scanners.passive.listener import Listener

    listener = Listener([interface])
    listener.open()
    print("ready", flush=True)
    first: list[float] = []
    original = listener.handle

    def timed(frame: bytes, interface: str | None = None) -> None:
        if not first:
            first.append(time.monotonic())
            first.append(resource.getrusage(resource.RUSAGE_SELF))  # type: ignore[arg-type]
        original(frame, interface)

    listener.handle = timed  # type: ignore[method-assign]
    try:
        stats = listener.run(timeout, flush_every=timeout, max_packets=expect)
    finally:
        listener.close()
    end, usage = time.monotonic(), resource.getrusage(resource.RUSAGE_SELF)
    wall = end - first[0] if first else 0.0
    cpu = (usage.ru_utime + usage.ru_stime - first[1].ru_utime - first[1].ru_stime) if first else 0.0
    return {**stats.to_dict(), "wall_s": round(wall, 3), "cpu_s": round(cpu, 3)}


SO_TIMESTAMPNS = 35              # Linux: the kernel's receive time of each frame, as a timespec
PROBE_TYPES = (128, 135)         # ICMPv6 echo request, neighbour solicitation


def probe_times(interface: str, src_mac: str, seconds: float) -> list[float]:
    """Kernel receive times (s) of the ICMPv6 echo requests and neighbour solicitations that
    ``src_mac`` sent, heard on ``interface`` for ``seconds`` (a receive-only socket)."""
    import socket
    import struct

    sock = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(0x86DD))
    sock.setsockopt(socket.SOL_SOCKET, SO_TIMESTAMPNS, 1)
    sock.bind((interface, 0x86DD))
    sock.settimeout(0.2)
    print("ready", flush=True)
    mac = bytes.fromhex(src_mac.replace(":", ""))
    times: list[float] = []
    end = time.monotonic() + seconds
    try:
        while time.monotonic() < end and len(times) < 100_000:
            try:
                frame, ancillary, _flags, _addr = sock.recvmsg(2048, 64)
            except TimeoutError:
                continue
            if frame[6:12] != mac or len(frame) < 55 or frame[20] != 58 or frame[54] not in PROBE_TYPES:
                continue
            for level, kind, data in ancillary:
                if level == socket.SOL_SOCKET and kind == SO_TIMESTAMPNS and len(data) >= 16:
                    sec, nsec = struct.unpack_from("qq", data)
                    times.append(sec + nsec / 1e9)
    finally:
        sock.close()
    return times


def main(argv: list[str] | None = None) -> int:
    """``python -m netdiscover_lab.passive_lab count IFACE EXPECT TIMEOUT``: print count_frames as JSON;
    ``... probes IFACE MAC SECONDS``: print probe_times as JSON."""
    args = sys.argv[1:] if argv is None else argv
    if len(args) == 4 and args[0] == "count":
        print(json.dumps(count_frames(args[1], int(args[2]), float(args[3]))), flush=True)
        return 0
    if len(args) == 4 and args[0] == "probes":
        print(json.dumps(probe_times(args[1], args[2], float(args[3]))), flush=True)
        return 0
    print("usage: python -m netdiscover_lab.passive_lab count IFACE EXPECT TIMEOUT\n"
          "       python -m netdiscover_lab.passive_lab probes IFACE MAC SECONDS", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
