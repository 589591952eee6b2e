"""Real SNMP agents for the namespace lab: Debian's snmpd and snmpsim serving recordings.

``start_snmpd`` runs snmpd inside a lab namespace with its own configuration file (a v2c
community and SNMPv3 users), never touching the system's /etc/snmp. ``start_snmpsim`` runs one
snmpsim process that answers as one simulated device per address: each address gets its own
SNMP engine and a data directory holding one recording as ``<community>.snmprec``.

snmpsim lives in its own virtualenv (``SNMPSIM_VENV``), built from the system Python so that the
``nobody`` user snmpsim drops to can read it. ``python -m netdiscover_lab.snmp_agents --setup``
builds it when missing (CI calls this once).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from netdiscover_lab.netns import Lab, LabError

SNMPSIM_VENV = Path(os.environ.get("NETDISCOVER_SNMPSIM_VENV", "/opt/netdiscover-snmpsim"))
SNMPSIM_REQUIREMENTS = ("snmpsim>=1.2,<1.3", "pysmi>=2,<3")
SYSTEM_PYTHON = "/usr/bin/python3"
SNMPD = "/usr/sbin/snmpd"


def snmpsim_responder(venv: Path = SNMPSIM_VENV) -> Path:
    """Path of the snmpsim command responder inside its virtualenv."""
    return venv / "bin" / "snmpsim-command-responder"


def snmpsim_unavailable_reason(venv: Path = SNMPSIM_VENV) -> str | None:
    """Why snmpsim cannot be started here, or None when it can."""
    if not snmpsim_responder(venv).exists():
        return f"snmpsim is not installed in {venv} (run: python -m netdiscover_lab.snmp_agents --setup)"
    return None


def snmpd_unavailable_reason() -> str | None:
    """Why snmpd cannot be started here, or None when it can."""
    if not Path(SNMPD).exists():
        return "snmpd is not installed (apt-get install snmpd)"
    return None


def ensure_snmpsim(venv: Path = SNMPSIM_VENV, python: str = SYSTEM_PYTHON) -> Path:
    """Build the snmpsim virtualenv if it is missing; return the responder's path.

    Raises LabError with a one-line reason when the build fails.
    """
    responder = snmpsim_responder(venv)
    if responder.exists():
        return responder
    if not Path(python).exists():
        raise LabError(f"{python} is missing; snmpsim needs a system Python that 'nobody' can read")
    steps = [
        [python, "-m", "venv", str(venv)],
        [str(venv / "bin" / "pip"), "install", "--quiet", *SNMPSIM_REQUIREMENTS],
    ]
    for cmd in steps:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
        if proc.returncode != 0:
            tail = (proc.stderr or proc.stdout).strip().splitlines()[-1:] or ["no output"]
            raise LabError(f"building snmpsim venv failed: {tail[0]}")
    venv.chmod(0o755)
    if not responder.exists():
        raise LabError(f"snmpsim installed but {responder} is missing")
    return responder


def _readable_dir(path: Path) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    path.chmod(0o755)
    return path


def _wait_udp_bound(lab: Lab, ns: str, endpoints: Iterable[str], timeout: float,
                    proc: subprocess.Popen | None = None, log: Path | None = None) -> None:
    """Wait until every ``ip:port`` is bound for UDP inside ``ns`` (bounded in time)."""
    wanted = set(endpoints)
    deadline = time.monotonic() + timeout
    while True:
        out = lab.run(ns, ["ss", "-Hulpn"], check=False).stdout
        bound = {line.split()[3] for line in out.splitlines() if len(line.split()) > 3}
        missing = wanted - bound
        if not missing:
            return
        if proc is not None and proc.poll() is not None:
            raise LabError(f"agent exited early ({proc.returncode}); log: {_tail(log)}")
        if time.monotonic() > deadline:
            raise LabError(f"agent did not bind {len(missing)} endpoint(s) such as "
                           f"{sorted(missing)[0]} within {timeout:.0f} s; log: {_tail(log)}")
        time.sleep(0.2)


def _tail(log: Path | None) -> str:
    if not log or not log.exists():
        return "(none)"
    lines = log.read_text(errors="replace").strip().splitlines()
    return " | ".join(lines[-3:])[:400] or "(empty)"


# -- snmpd ----------------------------------------------------------------------------------

@dataclass
class V3User:
    """An SNMPv3 user for snmpd's configuration (authPriv when priv_key is set)."""

    name: str
    auth_key: str = field(repr=False)
    priv_key: str | None = field(default=None, repr=False)
    auth_protocol: str = "SHA"
    priv_protocol: str = "AES"


@dataclass
class Snmpd:
    """A running snmpd inside a lab namespace."""

    ns: str
    address: str
    port: int
    engine_id: str               # hex, as the scanner reports it
    config: Path
    process: subprocess.Popen = field(repr=False)


def snmpd_config(address: str, port: int, community: str | None, users: Sequence[V3User],
                 engine_id: str, sys_name: str, location: str = "lab rack 1",
                 contact: str = "noc@lab.invalid", extra: Sequence[str] = ()) -> str:
    """The text of an snmpd.conf that serves only what the lab needs (``extra``: more directives)."""
    lines = [
        f"agentAddress udp:{address}:{port}",
        f"exactEngineID 0x{engine_id}",
        f"sysName {sys_name}",
        f"sysLocation {location}",
        f"sysContact {contact}",
        "sysServices 72",
        "view all included .1",
    ]
    if community:
        lines.append(f"rocommunity {community} default -V all")
    for user in users:
        if user.priv_key:
            lines.append(f"createUser {user.name} {user.auth_protocol} {user.auth_key} "
                         f"{user.priv_protocol} {user.priv_key}")
            lines.append(f"rouser {user.name} priv -V all")
        else:
            lines.append(f"createUser {user.name} {user.auth_protocol} {user.auth_key}")
            lines.append(f"rouser {user.name} auth -V all")
    lines.extend(extra)
    return "\n".join(lines) + "\n"


def start_snmpd(lab: Lab, ns: str, address: str, workdir: Path, community: str | None = "public",
                users: Sequence[V3User] = (), port: int = 161, sys_name: str = "lab-snmpd",
                engine_id: str = "80001f88046e6464656d6f", timeout: float = 15,
                extra: Sequence[str] = ()) -> Snmpd:
    """Start snmpd in ``ns`` on ``address:port`` with its own config and state directory."""
    reason = snmpd_unavailable_reason()
    if reason:
        raise LabError(reason)
    workdir = _readable_dir(Path(workdir))
    state = _readable_dir(workdir / "state")
    conf = workdir / "snmpd.conf"
    conf.write_text(snmpd_config(address, port, community, users, engine_id, sys_name, extra=extra))
    conf.chmod(0o600)
    log = workdir / "snmpd.log"
    proc = lab.start(ns, [SNMPD, "-f", "-C", "-c", str(conf), "-Lf", str(log), "-p", str(workdir / "pid")],
                     env={"SNMP_PERSISTENT_DIR": str(state), "MIBDIRS": "/nonexistent", "MIBS": ""})
    _wait_udp_bound(lab, ns, [f"{address}:{port}"], timeout, proc, log)
    return Snmpd(ns=ns, address=address, port=port, engine_id=engine_id, config=conf, process=proc)


# -- snmpsim --------------------------------------------------------------------------------

@dataclass
class SnmpSim:
    """A running snmpsim process answering as one device per address."""

    ns: str
    endpoints: dict[str, Path]     # "ip:port" -> recording served there
    community: str
    process: subprocess.Popen = field(repr=False)
    log: Path | None = None
    silent: list[str] = field(default_factory=list)   # addresses that did not answer the warm-up


def _place_recording(source: Path, target: Path) -> None:
    """Hard-link (same file system) or copy ``source`` to ``target``; never a symlink."""
    with contextlib.suppress(FileNotFoundError):
        target.unlink()
    try:
        os.link(source, target)
        if source.stat().st_mode & 0o004:
            return
        target.unlink()
    except OSError:
        pass
    shutil.copyfile(source, target)
    target.chmod(0o644)


def _forget_stale_indexes(workdir: Path, cache: Path, devices: Mapping[str, Path]) -> None:
    """Empty snmpsim's index cache when any slot ``devNNNN`` is to serve another recording than
    last time: snmpsim keys its indexes by the data file's path, so a reused work directory would
    otherwise serve the old recording's index for the new one."""
    manifest = workdir / "slots.json"
    wanted = {f"dev{i:04d}": _recording_key(Path(r)) for i, r in enumerate(devices.values())}
    try:
        before = json.loads(manifest.read_text())
    except (OSError, ValueError):
        before = None
    if before != wanted:
        for entry in cache.iterdir():
            if entry.is_dir():
                shutil.rmtree(entry, ignore_errors=True)
            else:
                entry.unlink(missing_ok=True)
    manifest.write_text(json.dumps(wanted, sort_keys=True))


def _recording_key(recording: Path) -> list:
    try:
        st = recording.stat()
    except OSError:
        return [str(recording)]
    return [str(recording.resolve()), st.st_size, st.st_mtime_ns]


def start_snmpsim(lab: Lab, ns: str, devices: Mapping[str, Path], workdir: Path, port: int = 161,
                  community: str = "public", timeout: float | None = None, warm: bool = True) -> SnmpSim:
    """Serve each recording in ``devices`` (address -> .snmprec file) on ``address:port`` in ``ns``.

    One snmpsim process, one SNMP engine per address. The addresses must already be configured
    in ``ns``. Start-up costs ~0.15 s per device on an idle machine (one SNMP engine each, plus indexing new
    recordings), several times that on a busy one; ``timeout`` allows for
    that. With ``warm``, every device is asked for its system group once before returning, so the
    simulator's slow first answer per device does not land in a test or a benchmark; devices that
    stay silent are listed in ``SnmpSim.silent`` (LabError only when none answers).
    """
    responder = ensure_snmpsim()
    workdir = _readable_dir(Path(workdir))
    blocked = [p for p in workdir.resolve().parents if not p.stat().st_mode & 0o001]
    if blocked:
        raise LabError(f"snmpsim runs as 'nobody' and cannot pass {blocked[0]} to reach {workdir}; "
                       "every directory on the way needs o+x")
    cache = _readable_dir(workdir / "cache")
    _forget_stale_indexes(workdir, cache, devices)
    shutil.chown(cache, "nobody", "nogroup")
    args: list[str] = []
    endpoints: dict[str, Path] = {}
    for i, (address, recording) in enumerate(devices.items()):
        recording = Path(recording)
        if not recording.is_file():
            raise LabError(f"no such recording: {recording}")
        data = _readable_dir(workdir / f"dev{i:04d}")
        _place_recording(recording, data / f"{community}.snmprec")
        endpoint = f"{address}:{port}"
        endpoints[endpoint] = recording
        args += ["--v3-engine-id=auto", f"--data-dir={data}", f"--agent-udpv4-endpoint={endpoint}"]
    argfile = workdir / "snmpsim.args"
    argfile.write_text("\n".join(args) + "\n")
    argfile.chmod(0o644)
    lab.sysctl(ns, "net.ipv4.ip_unprivileged_port_start", "0")
    log = workdir / "snmpsim.log"
    cmd = [str(responder), "--process-user=nobody", "--process-group=nogroup", f"--cache-dir={cache}",
           "--log-level=error", f"--args-from-file={argfile}"]
    proc = lab.start(ns, cmd, log=log)
    limit = timeout if timeout is not None else 60 + len(devices) * 0.75
    _wait_udp_bound(lab, ns, endpoints, limit, proc, log)
    sim = SnmpSim(ns=ns, endpoints=endpoints, community=community, process=proc, log=log)
    if warm:
        warm_up = scan_in_namespace(
            lab, ns, list(devices), [{"version": "2c", "community": community, "label": "warm"}],
            {"snmp_depth": "basic", "snmp_timeout": 3, "snmp_retries": 2, "snmp_port": port,
             "snmp_concurrency": 16}, timeout=limit + 120)
        answered = {o["ip"] for o in warm_up["observations"]}
        sim.silent = [ip for ip in devices if ip not in answered]
        if len(sim.silent) == len(devices):
            raise LabError(f"snmpsim bound its ports but no device answers; log: {_tail(log)}")
    return sim


# -- misbehaving agents ----------------------------------------------------------------------

def start_bad_agents(lab: Lab, ns: str, agents: Mapping[str, str], port: int = 161,
                     community: str = "public", log: Path | None = None,
                     timeout: float = 15) -> subprocess.Popen:
    """Serve misbehaving agents (address -> mode, see ``snmp_bad_agent``) in ``ns``; one process."""
    cmd = [sys.executable, "-m", "netdiscover_lab.snmp_bad_agent", "--community", community]
    for address, mode in agents.items():
        cmd += ["--agent", f"{mode}@{address}:{port}"]
    proc = lab.start(ns, cmd, log=log)
    _wait_udp_bound(lab, ns, [f"{a}:{port}" for a in agents], timeout, proc, log)
    return proc


# -- running the scanner inside a namespace ---------------------------------------------------

def scan_in_namespace(lab: Lab, ns: str, targets: Sequence[str],
                      credentials: Sequence[Mapping[str, str]] = (),
                      options: Mapping[str, object] | None = None, timeout: float = 120) -> dict:
    """Run the SNMP scanner inside ``ns``; return its outcome as a dict.

    ``credentials`` are SnmpCredential fields (dicts); they travel on stdin, never on argv.
    """
    request = {"targets": list(targets), "credentials": [dict(c) for c in credentials],
               "options": dict(options or {})}
    proc = lab.run(ns, [sys.executable, "-m", "netdiscover_lab.snmp_agents", "--scan-stdin"],
                   check=False, timeout=timeout, input=json.dumps(request))
    if proc.returncode != 0:
        raise LabError(f"scanner failed in {ns} ({proc.returncode}): {proc.stderr.strip()[-500:]}")
    return json.loads(proc.stdout)


def _scan_stdin() -> int:
    from netaddr import IPSet

    from netdiscover.credentials import SnmpCredential
    from netdiscover.scanners.base import ScanContext
    from netdiscover.scanners.snmp import scanner as snmp

    request = json.loads(sys.stdin.read())
    ctx = ScanContext(targets=IPSet(request["targets"]),
                      credentials=[SnmpCredential(**c) for c in request["credentials"]],
                      options=request.get("options") or {})
    outcome = snmp.scan(ctx)
    json.dump({"method": outcome.method, "status": outcome.status, "messages": outcome.messages,
               "stats": outcome.stats, "observations": [o.to_dict() for o in outcome.observations]},
              sys.stdout)
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Command line: ``--setup`` builds the snmpsim virtualenv when it is missing."""
    parser = argparse.ArgumentParser(prog="python -m netdiscover_lab.snmp_agents",
                                     description="Lab SNMP agents (snmpd, snmpsim).")
    parser.add_argument("--setup", action="store_true",
                        help=f"build the snmpsim virtualenv at {SNMPSIM_VENV}")
    parser.add_argument("--scan-stdin", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.scan_stdin:
        return _scan_stdin()
    if not args.setup:
        parser.print_usage()
        return 2
    try:
        path = ensure_snmpsim()
    except LabError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(f"snmpsim ready: {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
