"""``netdiscover scan``: sweep targets now, store what was found, print it."""

from __future__ import annotations

import gc
import json
import sys
from pathlib import Path

import click

from netdiscover.commands.context import AppContext, UserError
from netdiscover.commands.output import check_writable, emit, output_option
from netdiscover.scanners import DEFAULT_METHODS, SCANNERS
from netdiscover.scanners.nmap import PROFILES as NMAP_PROFILES

EXIT_FAILED = 1
EXIT_ABORTED = 130


class _Progress:
    """Sweep progress on stderr: one live line per method on a terminal (rich, gone when done);
    on a pipe nothing, or with -v a plain line per method every few seconds.

    Each line says the method, hosts (or chunks) done of the total, what the scanner reports
    found so far, and the time since the method started.
    """

    EVERY_S = 2.0      # how often a piped -v line may repeat for one method

    def __init__(self, terminal: bool, verbose: bool = False, stream=None) -> None:
        self.terminal = terminal
        self.verbose = verbose
        self.stream = stream if stream is not None else sys.stderr
        self._rich = None
        self._tasks: dict[str, int] = {}
        self._started: dict[str, float] = {}
        self._printed: dict[str, float] = {}

    @classmethod
    def for_stderr(cls, fmt: str, verbose: int) -> _Progress:
        terminal = fmt != "json" and sys.stderr.isatty()
        return cls(terminal=terminal, verbose=verbose > 0 and not terminal)

    def __enter__(self) -> _Progress:
        if self.terminal:
            from rich.console import Console
            from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

            self._rich = Progress(TextColumn("{task.description:<6}"), BarColumn(),
                                  TextColumn("{task.completed}/{task.total} {task.fields[note]}"),
                                  TimeElapsedColumn(), console=Console(file=self.stream), transient=True)
            self._rich.start()
        return self

    def __call__(self, method: str, done: int, total: int, message: str) -> None:
        import time

        now = time.monotonic()
        self._started.setdefault(method, now)
        if self._rich is not None:
            if method not in self._tasks:
                self._tasks[method] = self._rich.add_task(method, total=max(total, 1), note="")
            self._rich.update(self._tasks[method], completed=done, total=max(total, 1), note=message[:50])
        elif self.verbose:
            last = self._printed.get(method)
            if last is None or now - last >= self.EVERY_S or done >= total:
                self._printed[method] = now
                elapsed = now - self._started[method]
                print(f"progress: {method} {done}/{total} {message[:80]} ({elapsed:.0f}s)",
                      file=self.stream, flush=True)

    def __exit__(self, *exc: object) -> None:
        if self._rich is not None:
            self._rich.stop()


def _methods_help() -> str:
    """One paragraph per method for ``scan --help``: what it does and what it needs."""
    return "\n\n".join(f"{d.name}: {d.summary}. Needs {d.needs}." for d in SCANNERS.values())


@click.command(epilog=_methods_help())
@click.argument("targets", nargs=-1, required=True)
@click.option("-m", "--method", "methods", multiple=True, type=click.Choice(sorted(SCANNERS)),
              help=f"Discovery method; repeat for several (default: {', '.join(DEFAULT_METHODS)}).")
@click.option("--iface", "interface", metavar="NAME", help="Interface for ARP and link-local discovery "
              "(default: the one whose subnet holds the targets).")
@click.option("--community", "community_list", multiple=True, metavar="STR",
              help="SNMP v2c community to try; repeat for several (default: public).")
@click.option("--snmp-v3", "v3_list", multiple=True, metavar="USER:AUTH:PRIV",
              help="SNMPv3 user as user:sha/AUTHKEY[:aes/PRIVKEY]; repeat for several.")
@click.option("--exclude", multiple=True, metavar="CIDR", help="Addresses never to touch; repeatable.")
@click.option("--rate", type=click.IntRange(1, 1_000_000), metavar="PPS",
              help="Upper bound on packets per second (each method has a safe default).")
@click.option("--nmap-profile", type=click.Choice(NMAP_PROFILES), default="quick",
              show_default=True, help="How deep nmap looks: ports and service/OS detection.")
@click.option("--nmap-args", metavar="ARGS", help="Extra nmap arguments (checked against a safe list).")
@click.option("--allow-large", is_flag=True, help="Permit sweeps larger than a /16.")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True)
@output_option
@click.option("--name", "sweep_name", metavar="NAME", help="A name for this sweep in the scans table.")
@click.pass_obj
def scan(app: AppContext, targets: tuple[str, ...], methods: tuple[str, ...], interface: str | None,
         community_list: tuple[str, ...], v3_list: tuple[str, ...], exclude: tuple[str, ...],
         rate: int | None, nmap_profile: str, nmap_args: str | None, allow_large: bool, fmt: str,
         output: Path | None, sweep_name: str | None) -> None:
    """Sweep TARGETS now and store what is found.

    TARGETS are CIDRs (10.20.0.0/24), ranges (10.20.0.1-50), IPs, hostnames or @FILE
    (one target per line). Sweeps larger than a /16 need --allow-large.

    \b
    Examples:
      sudo netdiscover scan 192.168.1.0/24 --iface eth0
      netdiscover scan 10.0.0.1 10.0.0.2 -m snmp --community s3cret
      netdiscover scan 10.30.0.0/24 -m nmap --nmap-profile standard --format json -o found.json
    """
    from netdiscover.credentials import CredentialError, communities, parse_v3
    from netdiscover.scanners.nmap.args import NmapArgsError, check_user_args
    from netdiscover.scope import ScopeError, parse_scope
    from netdiscover.services.sweeps import SweepRequest, start_sweep

    try:
        scope = parse_scope(list(targets), list(exclude), allow_large=allow_large)
        creds = communities(list(community_list) or ["public"])
        creds += [parse_v3(spec) for spec in v3_list]
        if nmap_args:
            check_user_args(nmap_args)
    except (ScopeError, CredentialError, NmapArgsError) as exc:
        raise UserError(str(exc)) from None
    check_writable(output)
    app.check_db_url()
    if interface is not None:
        from netdiscover.scanners.arp.link import missing_interface

        problem = missing_interface(interface)
        if problem:
            raise UserError(f"--iface: {problem}")
    request = SweepRequest(
        targets=list(targets), exclude=list(exclude), methods=list(methods or DEFAULT_METHODS),
        interface=interface, rate=rate, credentials=creds, nmap_profile=nmap_profile,
        nmap_args=nmap_args, sweep_name=sweep_name, started_by="cli", allow_large=allow_large,
    )
    try:
        with _Progress.for_stderr(fmt, app.verbose) as progress:
            # the scanners go to work first; the database opens (and migrates) and what the
            # output needs is imported while they do
            running = start_sweep(request, progress=progress, scope=scope)
            sessions = app.sessions()
            from netdiscover.services.assets import assets_of_scan

            result = running.finish(sessions)
    except KeyboardInterrupt:
        click.echo("interrupted: nothing half-written was stored", err=True)
        sys.exit(EXIT_ABORTED)

    with sessions() as session:
        assets = assets_of_scan(session, result.scan_id)
    for message in result.messages:
        click.echo(f"warning: {message}", err=True)
    if fmt == "json":
        emit(json.dumps(assets, indent=2, default=str) + "\n", output)
    else:
        emit(_table_text(assets, result, full=output is not None), output)
    # The process ends here. Close the database now (SQLite's last connection moves its WAL into
    # the file), then keep the interpreter's last collection from walking every object the sweep
    # loaded (fingerprint tables, SQLAlchemy): a few hundred ms of CPU for nothing.
    sessions.kw["bind"].dispose()
    gc.freeze()
    if result.status == "failed":
        sys.exit(EXIT_FAILED)
    if result.status == "aborted":
        sys.exit(EXIT_ABORTED)


def _table_text(assets: list[dict], result, full: bool) -> str:
    """The sweep's line, its devices' table (every column when ``full`` or not on a terminal),
    then what changed."""
    from netdiscover.commands.assets import list_table_text, on_terminal

    counts = result.counts
    return (f"scan {result.scan_id}: {result.status}, {len(assets)} devices in {result.duration_s:.1f}s\n"
            + list_table_text(assets, full=full or not on_terminal())
            + f"new: {counts.get('new', 0)}  updated: {counts.get('updated', 0)}  "
              f"undocumented new: {len(result.new_undocumented_ids)}  "
              f"disappeared: {counts.get('disappeared', 0)}\n")
