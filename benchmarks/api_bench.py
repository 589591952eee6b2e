"""Web API and review page latency on a 100,000-asset database, SQLite and PostgreSQL.

Builds a database of --assets assets (40 % undocumented, the rest documented, approved,
ignored or rogue; one interface, one address and one event each), starts `netdiscover serve`
as its own process on 127.0.0.1, and drives it from --clients concurrent clients (httpx,
asyncio) for --seconds per scenario:
  api     GET /api/v1/assets?status=undocumented&limit=100   (bearer token)
  page    GET /unknown                                      (signed-in browser session, 100 rows)
  deep    GET /api/v1/assets?status=undocumented&limit=100&cursor=<page 200>
Prints p50/p95/p99 latency and requests/s per scenario. Targets: p95 < 100 ms (api) and
< 300 ms (page) under 20 clients. Only loopback is used.

Usage: python benchmarks/api_bench.py [--assets 100000] [--clients 20] [--seconds 10]
       [--pg URL | NETDISCOVER_TEST_PG] [--only sqlite|postgresql]
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
from datetime import UTC, datetime, timedelta

import httpx
from scratch_db import scratch_postgres
from sqlalchemy import insert, text

from netdiscover.services.accounts import add_user, create_token
from netdiscover.storage.engine import open_database
from netdiscover.storage.models import Address, Asset, AssetEvent, Interface

PASSWORD = "benchmark password"
STATUSES = ("undocumented", "undocumented", "undocumented", "undocumented", "documented", "documented",
            "documented", "approved", "ignored", "rogue")
CLASSES = ("workstation", "printer", "camera", "server", "mobile", "iot", "unknown")
CHUNK = 5000


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


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_server(url: str, port: int, workers: int) -> subprocess.Popen:
    cmd = [sys.executable, "-c", "from netdiscover.cli import main; main()", "--db", url, "serve",
           "--host", "127.0.0.1", "--port", str(port), "--workers", str(workers)]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                return proc
        except httpx.HTTPError:
            time.sleep(0.2)
    proc.kill()
    raise SystemExit(f"server did not start: {proc.stderr.read().decode()[-2000:]}")


def server_cpu_s(pid: int) -> float:
    """CPU seconds used so far by the server process and its worker processes (Linux /proc)."""
    total = 0.0
    pids = [pid]
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as handle:
            pids += [int(p) for p in handle.read().split()]
    except OSError:
        pass
    for p in pids:
        try:
            with open(f"/proc/{p}/stat") as handle:
                fields = handle.read().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
        except (OSError, IndexError, ValueError):
            continue
    return total


def login(base: str) -> httpx.Cookies:
    with httpx.Client(base_url=base) as client:
        form = client.get("/login").text
        csrf = re.search(r'name="csrf" value="([^"]+)"', form).group(1)
        r = client.post("/login", data={"username": "bench", "password": PASSWORD, "csrf": csrf})
        if "nd_session" not in client.cookies:
            raise SystemExit(f"login failed: {r.status_code}")
        return httpx.Cookies({"nd_session": client.cookies["nd_session"]})


async def load(base: str, path: str, clients: int, seconds: float, headers: dict[str, str],
               cookies: httpx.Cookies | None) -> dict[str, float]:
    latencies: list[float] = []
    errors = 0
    stop = time.perf_counter() + seconds
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)

    async def one(client: httpx.AsyncClient) -> None:
        nonlocal errors
        while time.perf_counter() < stop:
            t0 = time.perf_counter()
            try:
                r = await client.get(path)
                ok = r.status_code == 200
            except httpx.HTTPError:
                ok = False
            latencies.append(time.perf_counter() - t0)
            errors += not ok

    async with httpx.AsyncClient(base_url=base, headers=headers, cookies=cookies, limits=limits,
                                 timeout=30) as client:
        for _ in range(3):                                    # warm-up (caches, connections)
            await client.get(path)
        started = time.perf_counter()
        await asyncio.gather(*(one(client) for _ in range(clients)))
        elapsed = time.perf_counter() - started
    latencies.sort()
    q = statistics.quantiles(latencies, n=100)
    return {"n": len(latencies), "errors": errors, "p50": q[49] * 1000, "p95": q[94] * 1000,
            "p99": q[98] * 1000, "rps": len(latencies) / elapsed}


def run_backend(label: str, url: str, args: argparse.Namespace) -> dict[str, dict[str, float]]:
    print(f"\n== {label}")
    token = build(url, args.assets)
    port = free_port()
    proc = start_server(url, port, args.workers)
    base = f"http://127.0.0.1:{port}"
    results = {}
    try:
        api_headers = {"Authorization": f"Bearer {token}"}
        api = "/api/v1/assets?status=undocumented&limit=100"
        cursor = None
        with httpx.Client(base_url=base, headers=api_headers, timeout=30) as client:
            for _ in range(200):
                cursor = client.get(api + (f"&cursor={cursor}" if cursor else "")).json()["next_cursor"]
        scenarios = (("api", api, api_headers, None), ("page", "/unknown", {}, login(base)),
                     ("deep", f"{api}&cursor={cursor}", api_headers, None))
        for name, path, headers, cookies in scenarios:
            solo = asyncio.run(load(base, path, 1, min(args.seconds, 3), headers, cookies))
            print(f"  {name:<5} one client: p50 {solo['p50']:6.1f} ms  p95 {solo['p95']:6.1f} ms")
            cpu = server_cpu_s(proc.pid)
            figs = asyncio.run(load(base, path, args.clients, args.seconds, headers, cookies))
            figs["cpu_ms"] = (server_cpu_s(proc.pid) - cpu) * 1000 / max(figs["n"], 1)
            results[name] = figs
            print(f"  {name:<5} {figs['n']:>6} requests  p50 {figs['p50']:6.1f} ms  "
                  f"p95 {figs['p95']:6.1f} ms  p99 {figs['p99']:6.1f} ms  {figs['rps']:6.1f} req/s  "
                  f"errors {figs['errors']}  server CPU {figs['cpu_ms']:.1f} ms/request")
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--workers", type=int, default=1, help="server processes (serve --workers)")
    parser.add_argument("--assets", type=int, default=100_000)
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--pg", default=os.environ.get("NETDISCOVER_TEST_PG"), help="PostgreSQL server URL")
    parser.add_argument("--only", choices=("sqlite", "postgresql"))
    args = parser.parse_args()
    print(f"machine: {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f} before the run; "
          f"{args.assets:,} assets, {args.clients} clients, {args.seconds:.0f} s per scenario")
    results = {}
    if args.only in (None, "sqlite"):
        with tempfile.TemporaryDirectory() as tmp:
            results["sqlite"] = run_backend("SQLite", f"sqlite:///{tmp}/bench.db", args)
    if args.only in (None, "postgresql"):
        if not args.pg:
            print("\n== PostgreSQL: skipped (give --pg URL or NETDISCOVER_TEST_PG)")
        else:
            with scratch_postgres(args.pg) as url:
                results["postgresql"] = run_backend("PostgreSQL", url, args)
    print("\ntargets: api p95 < 100 ms, page p95 < 300 ms")
    for backend, figs in results.items():
        api_ok = figs["api"]["p95"] < 100
        page_ok = figs["page"]["p95"] < 300
        print(f"  {backend:<10} api {'met' if api_ok else 'MISSED'}  page {'met' if page_ok else 'MISSED'}")


if __name__ == "__main__":
    main()
