"""Kernel packet filters kept as data: classic BPF programs attached with SO_ATTACH_FILTER.

``filter.json`` holds the passive listener's program, compiled once with ``tcpdump -dd`` (its
expression is kept beside it); the ndp scanner keeps its own the same way. ``attach`` installs
a program on a socket, so the kernel drops every frame nobody parses before it is copied to
user space.
"""

from __future__ import annotations

import json
import socket
from functools import lru_cache
from pathlib import Path

from netdiscover.scanners.arp.engine import attach_filter

FILTER_FILE = Path(__file__).with_name("filter.json")
MAX_INSTRUCTIONS = 4096            # the kernel's BPF_MAXINSNS


@lru_cache(maxsize=4)
def program(path: Path = FILTER_FILE) -> tuple[tuple[int, int, int, int], ...]:
    """The instructions of the filter stored in ``path`` as (code, jt, jf, k)."""
    data = json.loads(path.read_text(encoding="utf-8"))
    insns = tuple(tuple(int(v) for v in insn) for insn in data["program"])
    if not 0 < len(insns) <= MAX_INSTRUCTIONS or any(len(i) != 4 for i in insns):
        raise ValueError(f"{path.name}: not a classic BPF program")
    return insns  # type: ignore[return-value]


def expression(path: Path = FILTER_FILE) -> str:
    """The tcpdump expression the program in ``path`` was compiled from."""
    return str(json.loads(path.read_text(encoding="utf-8"))["expression"])


def attach(sock: socket.socket, path: Path = FILTER_FILE) -> None:
    """Install the filter in ``path`` on ``sock``."""
    attach_filter(sock, list(program(path)))
