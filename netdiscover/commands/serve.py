"""``netdiscover serve``: the web review interface and REST API on one port (127.0.0.1 by default)."""

from __future__ import annotations

import os
from typing import Any

import click


@click.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to listen on; keep loopback and put a TLS reverse proxy in front.")
@click.option("--port", type=click.IntRange(1, 65535), default=8080, show_default=True)
@click.option("--workers", type=click.IntRange(1, 64), default=1, show_default=True,
              help="Server processes (each keeps its own login-attempt counters).")
@click.option("--forwarded-allow-ips", default="127.0.0.1", show_default=True, metavar="IPS",
              help="Proxies whose X-Forwarded-For/-Proto headers are trusted (comma-separated).")
@click.pass_obj
def serve(app: Any, host: str, port: int, workers: int, forwarded_allow_ips: str) -> None:
    """Serve the review pages and /api/v1 (needs users: netdiscover user add NAME --role admin)."""
    import uvicorn

    from netdiscover.web.app import create_app

    sessions = app.sessions()               # migrates, and fails here with a one-line error
    options: dict[str, Any] = {"host": host, "port": port, "proxy_headers": True,
                               "forwarded_allow_ips": forwarded_allow_ips, "log_level": "warning",
                               "access_log": False, "server_header": False}
    click.echo(f"serving on http://{host}:{port}/ (Ctrl-C stops)", err=True)
    if workers == 1:
        uvicorn.run(create_app(sessions), **options)
        return
    sessions.kw["bind"].dispose()
    if app.db_url:
        os.environ["NETDISCOVER_DB"] = app.db_url
    uvicorn.run("netdiscover.web.app:app_from_env", factory=True, workers=workers, **options)
