"""Labs share the kernel's global neighbour-table limits: raised while any lab holds them, never
lowered under a live lab, put back by the last one (and only where nobody else changed them).

The hold logic runs on files of the test's own (the real limits are global to the machine);
one test checks on this kernel that they are indeed global, one that a large lab holds them
until it closes.
"""

from __future__ import annotations

import multiprocessing
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from netdiscover_lab import arp_lab
from netdiscover_lab.neigh_limits import GC_THRESH, NeighLimits

ORIGINAL = {"gc_thresh1": 128, "gc_thresh2": 512, "gc_thresh3": 1024}
BIG = {"gc_thresh1": 8192, "gc_thresh2": 32768, "gc_thresh3": 65536}


@pytest.fixture
def limits(tmp_path) -> NeighLimits:
    sysctl = tmp_path / "default"
    sysctl.mkdir()
    for name, value in ORIGINAL.items():
        (sysctl / name).write_text(f"{value}\n")
    return NeighLimits(sysctl_dir=sysctl, state_dir=tmp_path / "state")


def values(limits: NeighLimits) -> dict[str, int]:
    return {name: int((limits.sysctl_dir / name).read_text()) for name in ORIGINAL}


def test_two_labs_at_once_never_lower_each_others_limits(limits):
    first = limits.hold(BIG)
    second = limits.hold({"gc_thresh1": 4096, "gc_thresh2": 16384, "gc_thresh3": 131072})
    assert values(limits) == {"gc_thresh1": 8192, "gc_thresh2": 32768, "gc_thresh3": 131072}
    limits.release(first)                      # the second lab still runs: nothing is lowered
    assert values(limits) == {"gc_thresh1": 8192, "gc_thresh2": 32768, "gc_thresh3": 131072}
    assert limits.holders() == 1
    limits.release(second)
    assert values(limits) == ORIGINAL and limits.holders() == 0
    limits.release(second)                     # twice is harmless
    assert values(limits) == ORIGINAL


def test_higher_values_are_kept_and_a_change_by_someone_else_is_not_undone(limits):
    (limits.sysctl_dir / "gc_thresh3").write_text("200000")
    hold = limits.hold(BIG)
    assert values(limits)["gc_thresh3"] == 200000          # only raised, never lowered
    (limits.sysctl_dir / "gc_thresh2").write_text("40000")  # an admin's change while the lab runs
    limits.release(hold)
    assert values(limits) == {"gc_thresh1": 128, "gc_thresh2": 40000, "gc_thresh3": 200000}


def _hold_and_die(sysctl_dir: str, state_dir: str) -> None:
    NeighLimits(Path(sysctl_dir), Path(state_dir)).hold(BIG)
    os._exit(0)                                # a crashed test run: no release


def test_a_dead_holder_does_not_pin_the_limits(limits):
    ctx = multiprocessing.get_context("fork")
    child = ctx.Process(target=_hold_and_die, args=(str(limits.sysctl_dir), str(limits.state_dir)))
    child.start()
    child.join(30)
    assert child.exitcode == 0 and values(limits) == BIG
    live = limits.hold({"gc_thresh1": 256, "gc_thresh2": 1024, "gc_thresh3": 2048})
    assert limits.holders() == 1 and values(limits) == BIG   # the dead hold is gone, its values stay
    limits.release(live)
    assert values(limits) == ORIGINAL          # the originals the dead holder saved come back


def _read_settled(path: Path) -> int:
    """A fake sysctl file is written in two steps (truncate, write); /proc's are not: read again
    when caught in between."""
    for _ in range(1000):
        if text := path.read_text().strip():
            return int(text)
    raise AssertionError(f"{path} stayed empty")


def _worker(sysctl_dir: str, state_dir: str, wanted: int, rounds: int, errors) -> None:
    limits = NeighLimits(Path(sysctl_dir), Path(state_dir))
    want = {"gc_thresh1": wanted // 8, "gc_thresh2": wanted // 2, "gc_thresh3": wanted}
    for _ in range(rounds):
        hold = limits.hold(want)
        for _ in range(3):
            now = _read_settled(Path(sysctl_dir) / "gc_thresh3")
            if now < wanted:
                errors.put(f"pid {os.getpid()}: gc_thresh3 {now} < {wanted} while held")
            time.sleep(0.002)
        limits.release(hold)


def test_parallel_labs_from_many_processes(limits):
    ctx = multiprocessing.get_context("fork")
    errors = ctx.Queue()
    procs = [ctx.Process(target=_worker, args=(str(limits.sysctl_dir), str(limits.state_dir), 4096 * (i + 1),
                                               15, errors)) for i in range(6)]
    for proc in procs:
        proc.start()
    for proc in procs:
        proc.join(60)
    assert [p.exitcode for p in procs] == [0] * 6
    found = []
    while not errors.empty():
        found.append(errors.get())
    assert not found, found[:5]
    assert values(limits) == ORIGINAL and limits.holders() == 0


@pytest.mark.lab
def test_the_limits_are_global_on_this_kernel(lab):
    """The premise: a namespace has no gc_thresh of its own to raise."""
    assert (GC_THRESH / "gc_thresh3").exists()
    ns = lab.namespace("gc")
    inside = subprocess.run(["ip", "netns", "exec", ns, sys.executable, "-c",
                             f"import os; print(os.path.exists('{GC_THRESH}/gc_thresh3'))"],
                            capture_output=True, text=True, timeout=30)
    assert inside.stdout.strip() == "False", inside.stderr


@pytest.mark.lab
def test_a_large_lab_holds_the_limits_until_it_closes(limits, monkeypatch):
    from netdiscover_lab.netns import Lab, lab_unavailable_reason

    if reason := lab_unavailable_reason():
        pytest.skip(reason)
    monkeypatch.setattr(arp_lab, "LIMITS", limits)
    with Lab() as lab:
        other = limits.hold(BIG)               # another lab, running meanwhile
        arp_lab.large_lab(lab, network="10.81.0.0/23", live=201, dense_cidr="10.81.0.0/24", dense_live=20)
        assert limits.holders() == 2 and values(limits) == BIG
        limits.release(other)
        assert values(limits) == BIG           # this lab is still open
    assert limits.holders() == 0 and values(limits) == ORIGINAL


@pytest.mark.lab
def test_the_kernels_limits_through_the_shared_state(lab):
    """On the real files and state directory: a hold asking for no more than is set writes nothing
    and is recorded under this process until released."""
    import json

    real = NeighLimits()
    hold = real.hold({name: 1 for name in ORIGINAL})
    try:
        state = json.loads((real.state_dir / "neigh-limits.json").read_text())
        assert state["holds"][hold]["pid"] == os.getpid() and state["holds"][hold]["start"]
    finally:
        real.release(hold)
    path = real.state_dir / "neigh-limits.json"
    assert not path.exists() or hold not in json.loads(path.read_text())["holds"]
