"""RabbitMQ set-up for several sites, through ``rabbitmqctl``: a virtual host, the central user,
and one user per collector that may consume only its own site's queue.

A collector's permissions (configure / write / read regular expressions):

- configure ``^$``: it declares nothing (the central side declared every queue);
- write ``^nd\\.ingest$``: it publishes only to the ingest exchange;
- read ``^sweeps\\.<site>$``: it consumes only its site's queue (and, lacking read on any
  exchange, cannot bind a queue to receive another site's sweeps).
"""

from __future__ import annotations

import contextlib
import re
import secrets
import subprocess
from collections.abc import Iterator


class RabbitError(RuntimeError):
    """rabbitmqctl failed."""


def collector_permissions(site: str) -> tuple[str, str, str]:
    """(configure, write, read) regular expressions of ``site``'s collector user."""
    return "^$", r"^nd\.ingest$", f"^sweeps\\.{re.escape(site)}$"


def ctl(*args: str, timeout: float = 60) -> str:
    proc = subprocess.run(["rabbitmqctl", "-q", *args], capture_output=True, text=True, timeout=timeout)
    if proc.returncode != 0:
        raise RabbitError(f"rabbitmqctl {args[0]} failed: {(proc.stderr or proc.stdout).strip()[:300]}")
    return proc.stdout


def add_vhost(vhost: str, central_user: str = "guest") -> None:
    """A virtual host where ``central_user`` may do anything."""
    ctl("add_vhost", vhost)
    ctl("set_permissions", "-p", vhost, central_user, ".*", ".*", ".*")


def add_collector_user(vhost: str, site: str, user: str, password: str) -> None:
    """A broker user for ``site``'s collector, with only the permissions it needs."""
    ctl("add_user", user, password)
    ctl("set_permissions", "-p", vhost, user, *collector_permissions(site))


def delete_vhost(vhost: str) -> None:
    ctl("delete_vhost", vhost)


def delete_user(user: str) -> None:
    ctl("delete_user", user)


def make_vhost(sites: list[str], tag: str | None = None, host: str = "127.0.0.1",
               port: int = 5672) -> tuple[dict[str, str], list[str]]:
    """A vhost ``nd_<tag>`` with a collector user per site; returns the broker URLs (``vhost``,
    ``central`` for guest, and one per site for its collector user) and the users made. Whatever
    was made is removed again when a step fails."""
    tag = tag or secrets.token_hex(4)
    vhost = f"nd_{tag}"
    users = {site: (f"nd_{site}_{tag}", secrets.token_hex(8)) for site in sites}
    add_vhost(vhost)
    made: list[str] = []
    try:
        for site, (user, password) in users.items():
            add_collector_user(vhost, site, user, password)
            made.append(user)
    except BaseException:
        remove_vhost(vhost, made)
        raise
    urls = {"vhost": vhost, "central": f"amqp://guest:guest@{host}:{port}/{vhost}"}
    urls.update({site: f"amqp://{u}:{p}@{host}:{port}/{vhost}" for site, (u, p) in users.items()})
    return urls, made


def remove_vhost(vhost: str, users: list[str]) -> None:
    """Delete the collector users and the vhost (what ``make_vhost`` made)."""
    for user in users:
        with contextlib.suppress(RabbitError):
            delete_user(user)
    delete_vhost(vhost)


@contextlib.contextmanager
def throwaway_vhost(sites: list[str], host: str = "127.0.0.1", port: int = 5672) -> Iterator[dict[str, str]]:
    """A fresh vhost with a collector user per site, removed on exit (tests, labs, benchmarks).

    Yields broker URLs: ``central`` (guest, everything) and one per site (its collector user).
    """
    urls, users = make_vhost(sites, host=host, port=port)
    try:
        yield urls
    finally:
        remove_vhost(urls["vhost"], users)
