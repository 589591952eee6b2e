"""The kernel packet filter of the passive listener: a classic BPF program kept as data.

``filter.json`` holds the program (compiled once with ``tcpdump -dd``; its expression is kept
beside it). ``attach`` installs it on a socket with SO_ATTACH_FILTER, so the kernel drops
every frame the listener has no parser for before it is copied to user space.
"""

from __future__ import annotations

import ctypes
import json
import socket
import struct
from functools import lru_cache
from pathlib import Path

FILTER_FILE = Path(__file__).with_name("filter.json")
SO_ATTACH_FILTER = 26
MAX_INSTRUCTIONS = 4096            # the kernel's BPF_MAXINSNS


@lru_cache(maxsize=1)
def program() -> tuple[tuple[int, int, int, int], ...]:
    """The filter's instructions as (code, jt, jf, k)."""
    data = json.loads(FILTER_FILE.read_text(encoding="utf-8"))
    insns = tuple(tuple(int(v) for v in insn) for insn in data["program"])
    if not 0 < len(insns) <= MAX_INSTRUCTIONS or any(len(i) != 4 for i in insns):
        raise ValueError(f"{FILTER_FILE.name}: not a classic BPF program")
    return insns  # type: ignore[return-value]


def expression() -> str:
    """The tcpdump expression the program was compiled from."""
    return str(json.loads(FILTER_FILE.read_text(encoding="utf-8"))["expression"])


def attach(sock: socket.socket) -> None:
    """Install the filter on ``sock`` (a struct sock_fprog pointing at the packed program)."""
    insns = program()
    blob = b"".join(struct.pack("HBBI", *insn) for insn in insns)
    buf = ctypes.create_string_buffer(blob, len(blob))
    fprog = struct.pack("HL", len(insns), ctypes.addressof(buf))
    sock.setsockopt(socket.SOL_SOCKET, SO_ATTACH_FILTER, fprog)
