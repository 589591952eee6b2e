"""`netdiscover serve` as a process: 127.0.0.1 by default, answers /healthz; bad input is one line."""

from __future__ import annotations

import socket
import subprocess
import sys
import time

import httpx
from click.testing import CliRunner

from netdiscover.cli import main


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_serve_listens_on_loopback_and_answers(sqlite_url):
    port = free_port()
    cmd = [sys.executable, "-c", "from netdiscover.cli import main; main()", "--db", sqlite_url,
           "serve", "--port", str(port)]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 20
        health = None
        while time.monotonic() < deadline and proc.poll() is None:
            try:
                health = httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1)
                break
            except httpx.HTTPError:
                time.sleep(0.1)
        assert health is not None and health.json()["status"] == "ok", proc.stderr.read1().decode()
        assert health.headers["content-security-policy"].startswith("default-src 'none'")
        listening = subprocess.run(["ss", "-Hltn", f"sport = :{port}"], capture_output=True, text=True).stdout
        local = [line.split()[3] for line in listening.splitlines()]
        assert local == [f"127.0.0.1:{port}"]
        r = httpx.get(f"http://127.0.0.1:{port}/api/v1/assets", timeout=5)
        assert r.status_code == 401 and r.json()["error"] == "unauthorized"
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_serve_with_a_bad_database_is_a_one_line_error():
    result = CliRunner().invoke(main, ["--db", "mysql://x/y", "serve"])
    assert result.exit_code == 2
    assert "unsupported database 'mysql'" in result.output and "Traceback" not in result.output


def test_more_concurrent_requests_than_pooled_connections(sqlite_url):
    """40 clients at once (the pool holds 15 connections): all answered, none waits out a timeout."""
    from concurrent.futures import ThreadPoolExecutor

    from webdata import seed, served

    from netdiscover.storage.engine import open_database
    from netdiscover.web.app import create_app

    sessions = open_database(sqlite_url)
    token = seed(sessions)["tokens"]["viewer"]
    with served(create_app(sessions)) as url:
        def fetch(_: int) -> int:
            return httpx.get(f"{url}/api/v1/assets?limit=50", timeout=20,
                             headers={"Authorization": f"Bearer {token}"}).status_code

        started = time.monotonic()
        with ThreadPoolExecutor(40) as pool:
            codes = list(pool.map(fetch, range(120)))
        elapsed = time.monotonic() - started
    sessions.kw["bind"].dispose()
    assert codes == [200] * 120
    assert elapsed < 20


def test_pages_under_more_concurrent_browsers_than_pooled_connections(sqlite_url):
    """40 signed-in browsers at once on pages that read through several sessions (sites, the
    unknown list with its site names, an asset, the dashboard) and a form post: all answered,
    none waits out the pool timeout (a page holding a connection while waiting for another
    one, or for a thread, would)."""
    import re
    from concurrent.futures import ThreadPoolExecutor

    from webdata import PASSWORD, seed, served

    from netdiscover.services.sites import add_site
    from netdiscover.storage.engine import open_database
    from netdiscover.web.app import create_app

    sessions = open_database(sqlite_url)
    seed(sessions)
    add_site(sessions, "hq")
    with served(create_app(sessions)) as url:
        with httpx.Client(base_url=url) as client:
            csrf = re.search(r'name="csrf" value="([^"]+)"', client.get("/login").text).group(1)
            client.post("/login", data={"username": "reviewer", "password": PASSWORD, "csrf": csrf})
            cookies = {"nd_session": client.cookies["nd_session"]}
            form_csrf = re.search(r'name="csrf" value="([^"]+)"', client.get("/unknown").text).group(1)
        paths = ("/unknown", "/sites", "/assets/1", "/", "/sweeps")

        def fetch(n: int) -> int:
            with httpx.Client(base_url=url, cookies=cookies, timeout=25) as browser:
                if n % 10 == 9:
                    return browser.post("/assets/1/decide", data={"decision": "ignore", "csrf": form_csrf},
                                        follow_redirects=False).status_code
                return browser.get(paths[n % len(paths)]).status_code

        started = time.monotonic()
        with ThreadPoolExecutor(40) as pool:
            codes = list(pool.map(fetch, range(160)))
        elapsed = time.monotonic() - started
    sessions.kw["bind"].dispose()
    assert sorted(set(codes)) == [200, 303] and codes.count(303) == 16
    assert elapsed < 25
