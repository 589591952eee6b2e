"""Web API and review page latency on a 100,000-asset database, SQLite and PostgreSQL.

Builds a database of --assets assets (40 % undocumented, the rest documented, approved,
ignored or rogue; one interface, one address and one event each), starts `netdiscover serve`
as its own process on 127.0.0.1, and drives it from --clients concurrent clients (raw
asyncio keep-alive connections) for --seconds per scenario, --rounds times in turn:
  floor   GET /healthz  (the in-run reference: the same stack answering a trivial request)
  api     GET /api/v1/assets?status=undocumented&limit=100   (bearer token)
  page    GET /unknown                                      (signed-in browser session, 100 rows)
  deep    GET /api/v1/assets?status=undocumented&limit=100&cursor=<page 200>
Prints p50/p95/p99 latency and requests/s per scenario, and the CPU time per request of the
server processes, of the PostgreSQL backends (when the server runs on this machine) and of the
load generator itself (all share the machine's cores). Targets: p95 < 100 ms (api) and
< 300 ms (page) under 20 clients. Only loopback is used.

Each figure is printed with the load average (the machine is shared; record it with the figure).
With --baseline PATH (a checkout of the previous code, e.g. `git worktree add --detach /tmp/base
main`), a second server runs that checkout's netdiscover on the same database, and every round
measures both, in alternating order, so the machine's load falls on each alike.

Usage: python benchmarks/api_bench.py [--assets 100000] [--clients 20] [--seconds 10] [--rounds 2]
       [--workers N] [--sqlite-file PATH] [--pg URL | NETDISCOVER_TEST_PG] [--pg-keep URL]
       [--only sqlite|postgresql] [--baseline PATH]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from datetime import UTC, datetime, timedelta

import httpx
from baseline_tree import with_our_migrations
from scratch_db import scratch_postgres
from sqlalchemy import func, insert, select, text

from netdiscover.services.accounts import add_user, create_token
from netdiscover.storage.engine import open_database
from netdiscover.storage.models import Address, Asset, AssetEvent, Interface

PASSWORD = "benchmark password"
STATUSES = ("undocumented", "undocumented", "undocumented", "undocumented", "documented", "documented",
            "documented", "approved", "ignored", "rogue")
CLASSES = ("workstation", "printer", "camera", "server", "mobile", "iot", "unknown")
CHUNK = 5000
SCENARIOS = ("floor", "api", "page", "deep")


def build(url: str, count: int) -> str:
    """Fill the database with ``count`` assets and an admin user; returns an API token."""
    sessions = open_database(url)
    engine = sessions.kw["bind"]
    now = datetime.now(UTC)
    started = time.perf_counter()
    for first in range(1, count + 1, CHUNK):
        ids = range(first, min(first + CHUNK, count + 1))
        assets, ifaces, addrs, events = [], [], [], []
        for i in ids:
            seen = now - timedelta(minutes=i % 43200)
            mac = f"00:16:3e:{(i >> 16) & 255:02x}:{(i >> 8) & 255:02x}:{i & 255:02x}"
            assets.append({"id": i, "status": STATUSES[i % 10], "device_class": CLASSES[i % 7],
                           "vendor": ("Acme", "Globex", "Initech")[i % 3], "hostname": f"host-{i}",
                           "confidence": 0.8, "present": True, "methods": ["arp"], "first_seen": seen,
                           "last_seen": now, "created_at": seen, "updated_at": now,
                           "site": ("hq", "lab", "branch")[i % 3]})
            ifaces.append({"asset_id": i, "mac": mac, "mac_vendor": "Acme", "randomised": False,
                           "first_seen": seen, "last_seen": now})
            addrs.append({"asset_id": i, "ip": f"10.{(i >> 16) & 255}.{(i >> 8) & 255}.{i & 255}", "mac": mac,
                          "current": True, "first_seen": seen, "last_seen": now})
            events.append({"asset_id": i, "kind": "discovered", "at": seen, "actor": "bench"})
        with engine.begin() as conn:
            for table, rows in ((Asset, assets), (Interface, ifaces), (Address, addrs), (AssetEvent, events)):
                conn.execute(insert(table), rows)
    if engine.dialect.name == "postgresql":
        with engine.connect() as conn:
            conn.execute(text("SELECT setval('assets_id_seq', (SELECT max(id) FROM assets))"))
            conn.commit()
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM ANALYZE"))
    with sessions.begin() as s:
        add_user(s, "bench", "admin", PASSWORD)
        token = create_token(s, "bench", "api_bench")[1]
    engine.dispose()
    print(f"  built {count:,} assets in {time.perf_counter() - started:.1f} s")
    return token


def reuse_token(url: str) -> str:
    """A fresh token for the bench user of a database built by an earlier run."""
    sessions = open_database(url)
    with sessions.begin() as s:
        token = create_token(s, "bench", "api_bench")[1]
    sessions.kw["bind"].dispose()
    print("  reusing the database built by an earlier run")
    return token


def built_or_reused(url: str, count: int) -> str:
    """The token of the database at ``url``: built when it holds no assets, else reused."""
    sessions = open_database(url)
    with sessions() as s:
        empty = not s.scalar(select(func.count()).select_from(Asset))
    sessions.kw["bind"].dispose()
    return build(url, count) if empty else reuse_token(url)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_server(url: str, port: int, workers: int, checkout: str | None = None) -> subprocess.Popen:
    """``netdiscover serve`` of this code, or of the checkout at ``checkout`` (put first on the path)."""
    cmd = [sys.executable, "-c", "from netdiscover.cli import main; main()", "--db", url, "serve",
           "--host", "127.0.0.1", "--port", str(port), "--workers", str(workers)]
    env = dict(os.environ)
    if checkout:
        paths = (os.path.abspath(checkout), env.get("PYTHONPATH"))
        env["PYTHONPATH"] = os.pathsep.join(p for p in paths if p)
    # `python -c` puts the working directory first on the path, before PYTHONPATH: run in the
    # checkout, or a run started from this code's directory would import this code twice
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env,
                            cwd=os.path.abspath(checkout) if checkout else None)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                return proc
        except httpx.HTTPError:
            time.sleep(0.2)
    proc.kill()
    raise SystemExit(f"server did not start: {proc.stderr.read().decode()[-2000:]}")


def processes_cpu_s(pids: list[int]) -> float:
    """CPU seconds used so far by these processes (Linux /proc; those gone or unreadable count 0)."""
    total = 0.0
    for p in pids:
        try:
            with open(f"/proc/{p}/stat") as handle:
                fields = handle.read().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
        except (OSError, IndexError, ValueError):
            continue
    return total


def server_cpu_s(pid: int) -> float:
    """CPU seconds used so far by the server process and its worker processes (Linux /proc)."""
    pids = [pid]
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as handle:
            pids += [int(p) for p in handle.read().split()]
    except OSError:
        pass
    return processes_cpu_s(pids)


class DatabaseCpu:
    """CPU seconds used so far by the PostgreSQL backends serving the database at ``url`` (when the
    server runs on this machine and its processes can be read; else None): the database's share of
    a request, which the server's own CPU figure leaves out."""

    def __init__(self, url: str) -> None:
        self.sessions = open_database(url) if url.startswith("postgresql") else None

    def backends(self) -> list[int]:
        with self.sessions() as s:
            return list(s.scalars(text(
                "SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
                "AND backend_type = 'client backend' AND pid <> pg_backend_pid()")))

    def cpu_s(self) -> float | None:
        if self.sessions is None:
            return None
        pids = self.backends()
        return processes_cpu_s(pids) if pids and os.path.exists(f"/proc/{pids[0]}/stat") else None

    def close(self) -> None:
        if self.sessions is not None:
            self.sessions.kw["bind"].dispose()


def login(base: str) -> str:
    """A signed-in browser session's Cookie header value."""
    with httpx.Client(base_url=base) as client:
        form = client.get("/login").text
        csrf = re.search(r'name="csrf" value="([^"]+)"', form).group(1)
        r = client.post("/login", data={"username": "bench", "password": PASSWORD, "csrf": csrf})
        if "nd_session" not in client.cookies:
            raise SystemExit(f"login failed: {r.status_code}")
        return f"nd_session={client.cookies['nd_session']}"


class Connection:
    """One keep-alive HTTP/1.1 connection speaking just enough of the protocol for these GETs.

    The load generator shares the machine's cores with the server, so it is kept as cheap as it
    can be: raw asyncio streams, a request pre-encoded once, a response read by Content-Length.
    """

    def __init__(self, port: int, request: bytes) -> None:
        self.port = port
        self.request = request
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def get(self) -> int:
        """Send the request and read the whole response; its status (0 when the connection broke)."""
        try:
            if self.writer is None:
                self.reader, self.writer = await asyncio.open_connection("127.0.0.1", self.port)
            self.writer.write(self.request)
            head = await self.reader.readuntil(b"\r\n\r\n")
            length = re.search(rb"(?im)^content-length:\s*(\d+)", head)
            if length is None:
                raise ValueError("response without Content-Length")
            await self.reader.readexactly(int(length.group(1)))
            return int(head[9:12])
        except (OSError, ValueError, asyncio.IncompleteReadError, asyncio.LimitOverrunError):
            self.close()
            return 0

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
        self.reader = self.writer = None


def raw_request(path: str, headers: dict[str, str]) -> bytes:
    lines = [f"GET {path} HTTP/1.1", "Host: 127.0.0.1", *(f"{k}: {v}" for k, v in headers.items()), "", ""]
    return "\r\n".join(lines).encode()


async def load(port: int, path: str, clients: int, seconds: float,
               headers: dict[str, str]) -> dict[str, float]:
    latencies: list[float] = []
    failed: Counter[int] = Counter()                  # status of each failed request (0: connection broke)
    request = raw_request(path, headers)
    connections = [Connection(port, request) for _ in range(clients)]
    for conn in connections:                                  # warm-up (connections, caches)
        await conn.get()
    stop = time.perf_counter() + seconds

    async def one(conn: Connection) -> None:
        while time.perf_counter() < stop:
            t0 = time.perf_counter()
            status = await conn.get()
            latencies.append(time.perf_counter() - t0)
            if status != 200:
                failed[status] += 1

    started, cpu = time.perf_counter(), time.process_time()
    await asyncio.gather(*(one(conn) for conn in connections))
    elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
    for conn in connections:
        conn.close()
    latencies.sort()
    q = statistics.quantiles(latencies, n=100)
    return {"n": len(latencies), "errors": sum(failed.values()), "failed": dict(failed), "p50": q[49] * 1000,
            "p95": q[94] * 1000, "p99": q[98] * 1000, "rps": len(latencies) / elapsed,
            "client_ms": cpu * 1000 / max(len(latencies), 1)}


def load_average() -> str:
    return "/".join(f"{x:.1f}" for x in os.getloadavg())


def stop_server(proc: subprocess.Popen) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=10)


def scenarios_of(base: str, token: str,
                 wanted: tuple[str, ...]) -> tuple[tuple[str, str, dict[str, str]], ...]:
    """(name, path, headers) of each wanted scenario against the server at ``base``."""
    api_headers = {"Authorization": f"Bearer {token}"}
    api = "/api/v1/assets?status=undocumented&limit=100"
    cursor = None
    with httpx.Client(base_url=base, headers=api_headers, timeout=30) as client:
        for _ in range(200):
            cursor = client.get(api + (f"&cursor={cursor}" if cursor else "")).json()["next_cursor"]
    # "floor" is the in-run reference: the same server, stack and client answering /healthz
    # (one trivial query), so the other figures can be read as a multiple of it.
    found = (("floor", "/healthz", {}), ("api", api, api_headers),
             ("page", "/unknown", {"Cookie": login(base)}),
             ("deep", f"{api}&cursor={cursor}", api_headers))
    return tuple(s for s in found if s[0] in wanted)


def run_backend(label: str, url: str, args: argparse.Namespace,
                token: str) -> dict[str, dict[str, list[dict[str, float]]]]:
    """Figures per server ("ours", and "base" with --baseline) per scenario, one per round."""
    print(f"\n== {label}, {args.workers} server process(es)")
    checkouts = {"ours": None, **({"base": args.baseline} if args.baseline else {})}
    servers: dict[str, tuple[subprocess.Popen, int]] = {}
    results: dict[str, dict[str, list[dict[str, float]]]] = {name: {} for name in checkouts}
    database = DatabaseCpu(url)
    try:
        for name, checkout in checkouts.items():
            port = free_port()
            servers[name] = (start_server(url, port, args.workers, checkout), port)
        plans = {name: scenarios_of(f"http://127.0.0.1:{port}", token, args.scenario)
                 for name, (_proc, port) in servers.items()}
        for name, plan in plans.items():
            port = servers[name][1]
            for scenario, path, headers in plan:
                solo = asyncio.run(load(port, path, 1, min(args.seconds, 3), headers))
                print(f"  {name:<4} {scenario:<5} one client: p50 {solo['p50']:6.1f} ms  "
                      f"p95 {solo['p95']:6.1f} ms")
        order = list(servers)
        # alternate scenarios and servers, so the machine's noise hits each alike
        for round_no in range(1, args.rounds + 1):
            for index in range(len(args.scenario)):
                for name in order:
                    if index >= len(plans[name]):
                        continue
                    scenario, path, headers = plans[name][index]
                    proc, port = servers[name]
                    cpu, db_cpu = server_cpu_s(proc.pid), database.cpu_s()
                    figs = asyncio.run(load(port, path, args.clients, args.seconds, headers))
                    per_request = 1000 / max(figs["n"], 1)
                    figs["cpu_ms"] = (server_cpu_s(proc.pid) - cpu) * per_request
                    db_after = database.cpu_s()
                    db = "" if db_cpu is None or db_after is None else \
                        f"database {(db_after - db_cpu) * per_request:.1f}  "
                    results[name].setdefault(scenario, []).append(figs)
                    print(f"  {name:<4} {scenario:<5} #{round_no} {figs['n']:>6} requests  "
                          f"p50 {figs['p50']:6.1f} ms  p95 {figs['p95']:6.1f} ms  p99 {figs['p99']:6.1f} ms  "
                          f"{figs['rps']:6.1f} req/s  "
                          f"errors {figs['errors']}{figs['failed'] or ''}  "
                          f"CPU ms/request: server {figs['cpu_ms']:.1f}  {db}"
                          f"client {figs['client_ms']:.1f}  load {load_average()}", flush=True)
                order.reverse()
    finally:
        for proc, _port in servers.values():
            stop_server(proc)
        database.close()
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--workers", type=int, default=1, help="server processes (serve --workers)")
    parser.add_argument("--assets", type=int, default=100_000)
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--rounds", type=int, default=2, help="times each scenario runs, alternating")
    parser.add_argument("--sqlite-file", help="keep the SQLite database here and reuse it when it exists")
    parser.add_argument("--pg", default=os.environ.get("NETDISCOVER_TEST_PG"), help="PostgreSQL server URL")
    parser.add_argument("--pg-keep", metavar="URL",
                        help="use this PostgreSQL database and keep it (built when it holds no assets)")
    parser.add_argument("--baseline", metavar="PATH",
                        help="a checkout of the previous code, served beside ours and measured in turn")
    parser.add_argument("--only", choices=("sqlite", "postgresql"))
    parser.add_argument("--scenario", action="append", choices=SCENARIOS,
                        help="run only these scenarios (repeat; default all)")
    args = parser.parse_args()
    args.scenario = args.scenario or SCENARIOS
    if args.baseline:
        args.baseline = with_our_migrations(args.baseline)
    print(f"machine: {os.cpu_count()} CPUs, load average {load_average()} before the run; "
          f"{args.assets:,} assets, {args.clients} clients, {args.seconds:.0f} s per scenario")
    results = {}
    if args.only in (None, "sqlite"):
        with tempfile.TemporaryDirectory() as tmp:
            path = args.sqlite_file or f"{tmp}/bench.db"
            url = f"sqlite:///{path}"
            token = reuse_token(url) if os.path.exists(path) else build(url, args.assets)
            results["sqlite"] = run_backend("SQLite", url, args, token)
    if args.only in (None, "postgresql"):
        if args.pg_keep:
            results["postgresql"] = run_backend("PostgreSQL", args.pg_keep, args,
                                                built_or_reused(args.pg_keep, args.assets))
        elif not args.pg:
            print("\n== PostgreSQL: skipped (give --pg URL, --pg-keep URL or NETDISCOVER_TEST_PG)")
        else:
            with scratch_postgres(args.pg) as url:
                results["postgresql"] = run_backend("PostgreSQL", url, args, build(url, args.assets))
    print("\ntargets: api p95 < 100 ms, page p95 < 300 ms (best and worst round)")
    for backend, by_server in results.items():
        for server, figs in by_server.items():
            for name, limit in (("api", 100), ("page", 300)):
                if name not in figs:
                    continue
                p95s = sorted(f["p95"] for f in figs[name])
                cpu = sorted(f["cpu_ms"] for f in figs[name])
                verdict = "met" if p95s[-1] < limit else "met in some rounds" if p95s[0] < limit else "MISSED"
                print(f"  {backend:<10} {server:<4} {name:<4} p95 {p95s[0]:.0f}-{p95s[-1]:.0f} ms, "
                      f"server CPU {cpu[0]:.1f}-{cpu[-1]:.1f} ms/request: {verdict}")


if __name__ == "__main__":
    main()
