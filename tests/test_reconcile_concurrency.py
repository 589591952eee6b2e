"""Reconciliation under stress: a process killed mid-transaction, and two sweeps writing at once."""

from __future__ import annotations

import multiprocessing
import os
import signal
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select

from netdiscover.observation import Observation
from netdiscover.services.reconcile import reconcile
from netdiscover.storage.engine import open_database
from netdiscover.storage.models import Address, Asset, AssetEvent, Interface

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def _obs(first: int, count: int, at: datetime) -> list[Observation]:
    return [
        Observation(
            method="arp",
            ip=f"10.{(i >> 16) & 255}.{(i >> 8) & 255}.{i & 255}",
            mac=f"00:16:3e:{(i >> 16) & 255:02x}:{(i >> 8) & 255:02x}:{i & 255:02x}",
            seen_at=at,
        )
        for i in range(first, first + count)
    ]


def _counts(sessions) -> tuple[int, int, int, int]:
    with sessions() as s:
        return tuple(
            s.scalar(select(func.count()).select_from(t)) for t in (Asset, Interface, Address, AssetEvent)
        )


def _killed_mid_write(url: str) -> None:
    """Child: reconcile a sweep and die by SIGKILL after the asset rows are written, before commit."""
    from netdiscover.storage.sweep_writes import SweepStore

    def die(self, rows):
        os.kill(os.getpid(), signal.SIGKILL)

    SweepStore.store_observations = die
    sessions = open_database(url)
    reconcile(sessions, _obs(1000, 500, T0 + timedelta(hours=1)), fingerprinter=lambda o: None)


def test_process_killed_mid_reconcile_leaves_nothing_half_written(db_url):
    sessions = open_database(db_url)
    reconcile(sessions, _obs(1, 50, T0), now=T0, fingerprinter=lambda o: None)
    before = _counts(sessions)
    child = multiprocessing.get_context("spawn").Process(target=_killed_mid_write, args=(db_url,))
    child.start()
    child.join(60)
    assert child.exitcode == -signal.SIGKILL
    assert _counts(sessions) == before
    # the database is still usable and the next sweep stores everything
    res = reconcile(sessions, _obs(1000, 500, T0 + timedelta(hours=2)), fingerprinter=lambda o: None)
    assert res.new == 500
    assert _counts(sessions)[0] == before[0] + 500
    sessions.kw["bind"].dispose()


def _writer(url: str, first: int, count: int, rounds: int) -> list[int]:
    sessions = open_database(url)
    news = []
    for r in range(rounds):
        res = reconcile(
            sessions,
            _obs(first, count, T0 + timedelta(minutes=r)),
            fingerprinter=lambda o: None,
            complete=False,
        )
        news.append(res.new)
    sessions.kw["bind"].dispose()
    return news


def test_two_sweeps_at_once_lose_nothing_and_duplicate_nothing(db_url):
    open_database(db_url).kw["bind"].dispose()
    # writer A: devices 0..399, writer B: 300..699 -> 100 devices both see, 700 in all
    with multiprocessing.get_context("spawn").Pool(2) as pool:
        a, b = pool.starmap(_writer, [(db_url, 0, 400, 4), (db_url, 300, 400, 4)])
    assert a[1:] == [0, 0, 0] and b[1:] == [0, 0, 0]
    assert a[0] + b[0] == 700
    sessions = open_database(db_url)
    assets, ifaces, addrs, _events = _counts(sessions)
    assert (assets, ifaces, addrs) == (700, 700, 700)
    with sessions() as s:
        dup = s.execute(select(Interface.mac).group_by(Interface.mac).having(func.count() > 1)).all()
        assert dup == []
    sessions.kw["bind"].dispose()
