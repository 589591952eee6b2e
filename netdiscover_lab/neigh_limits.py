"""The kernel's neighbour-table limits (IPv4 ``gc_thresh1/2/3``), raised for large labs and shared
safely between labs running at once.

These limits are global: they exist only in the initial network namespace
(``/proc/sys/net/ipv4/neigh/default``; a new namespace has no ``default`` entry to set), so
one lab cannot raise them for its own namespaces alone. Every lab that needs them takes a hold:
under an exclusive lock on a state file shared by every process on the machine, the first hold
saves the values it found, each hold only ever raises (never lowers what another lab raised),
and only the last release puts the saved values back, and only where nobody else changed them
meanwhile. A hold whose process died (a crashed test run) is dropped by the next hold or release,
so the values are never left raised for a holder that no longer exists, nor lowered under a live one.
"""

from __future__ import annotations

import fcntl
import json
import os
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

GC_THRESH = Path("/proc/sys/net/ipv4/neigh/default")
STATE_DIR = Path("/run/netdiscover_lab")
NAMES = ("gc_thresh3", "gc_thresh2", "gc_thresh1")     # raised in this order: thresh1 <= 2 <= 3


def _process_start(pid: int) -> str | None:
    """The start time of process ``pid`` (tells it apart from a later process with the same id)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return stat.rsplit(")", 1)[1].split()[19]


@dataclass
class NeighLimits:
    """The limits under ``sysctl_dir`` and the shared state of the holds on them in ``state_dir``."""

    sysctl_dir: Path = GC_THRESH
    state_dir: Path = STATE_DIR

    @contextmanager
    def _locked_state(self) -> Iterator[dict]:
        self.state_dir.mkdir(parents=True, exist_ok=True)
        with open(self.state_dir / "neigh-limits.lock", "a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            path = self.state_dir / "neigh-limits.json"
            try:
                state = json.loads(path.read_text())
            except (OSError, ValueError):
                state = {}
            state.setdefault("holds", {})
            state.setdefault("saved", {})
            state.setdefault("set", {})
            state["holds"] = {token: h for token, h in state["holds"].items()
                              if _process_start(h["pid"]) == h["start"]}
            yield state
            if state["holds"]:
                tmp = path.with_suffix(".tmp")
                tmp.write_text(json.dumps(state))
                tmp.replace(path)
            else:
                self._restore(state)
                path.unlink(missing_ok=True)

    def _read(self, name: str) -> int | None:
        try:
            return int((self.sysctl_dir / name).read_text())
        except (OSError, ValueError):
            return None

    def _restore(self, state: dict) -> None:
        """Put back what the holds raised, unless someone changed it since (then it is theirs)."""
        for name in reversed(NAMES):      # thresh1 first, so that thresh1 <= 2 <= 3 holds throughout
            if name in state["saved"] and self._read(name) == state["set"].get(name):
                (self.sysctl_dir / name).write_text(str(state["saved"][name]))
        state["saved"].clear()
        state["set"].clear()

    def hold(self, wanted: dict[str, int]) -> str:
        """Raise each limit to at least ``wanted`` for as long as this hold lasts; return its token."""
        token = secrets.token_hex(8)
        pid = os.getpid()
        with self._locked_state() as state:
            state["holds"][token] = {"pid": pid, "start": _process_start(pid), "wanted": wanted}
            for name in NAMES:
                current = self._read(name)
                if current is None or name not in wanted or current >= wanted[name]:
                    continue
                state["saved"].setdefault(name, current)     # a dead holder's originals stay
                (self.sysctl_dir / name).write_text(str(wanted[name]))
                state["set"][name] = wanted[name]
        return token

    def release(self, token: str) -> None:
        """End the hold ``token``; the last one puts the saved values back. Safe to call twice."""
        with self._locked_state() as state:
            state["holds"].pop(token, None)

    def holders(self) -> int:
        """How many live holds there are."""
        with self._locked_state() as state:
            return len(state["holds"])
