"""Soak: run the sweep daemon for N minutes over a lab whose hosts appear, vanish and move.

    sudo .venv/bin/python benchmarks/daemon_soak.py --minutes 3

The daemon runs as a real process inside the lab's scanner namespace, sweeping with ARP on a
short interval. Meanwhile the script changes the lab one step at a time (a new host appears, a
host disappears, comes back, or moves to another IP), with at least two sweeps between steps.
At the end it checks that:

- every change is in asset_events (discovered / disappeared / reappeared / ip_changed, for the
  right asset, after the change), and no event was raised for a change that did not happen;
- there are no duplicates (one asset per MAC, no IP current on two assets);
- every scan completed, none overlapped, no scan row is left running;
- the daemon's memory (RSS) did not grow: median of the last third vs the first third of the
  samples taken after warm-up.

For reference, arp-scan sweeps the same segment in the same lab at the end: its time per sweep
against the daemon's median sweep time, and whether both see the same hosts.
"""

from __future__ import annotations

import argparse
import contextlib
import itertools
import json
import os
import random
import shutil
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import func, select

from netdiscover.storage.engine import open_database
from netdiscover.storage.models import Address, Asset, AssetEvent, Interface, Scan
from netdiscover_lab.arp_lab import small_lab
from netdiscover_lab.daemon_lab import ChurnHost, DaemonProcess, postgres_socket, settings_text, terminate
from netdiscover_lab.netns import Lab

OUIS = ["00:1b:21", "3c:d9:2b", "00:1e:c9", "b8:27:eb", "00:0d:93"]
SUBNET = "10.20.0"


@dataclass
class Change:
    kind: str            # discovered | disappeared | reappeared | ip_changed
    mac: str
    ip: str
    at: datetime
    old_ip: str | None = None


def rss_kib(pid: int) -> int | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        return None
    return None


def cpu_seconds(pid: int) -> float | None:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--minutes", type=float, default=3.0)
    ap.add_argument("--hosts", type=int, default=12, help="hosts present at the start")
    ap.add_argument("--every", type=int, default=5, help="sweep interval in seconds")
    ap.add_argument("--seed", type=int, default=11)
    ap.add_argument("--db", help="database URL (default: a SQLite file in a temporary directory); "
                    "a PostgreSQL server is reached from the lab through a Unix-socket relay")
    ap.add_argument("--keep", action="store_true", help="keep the work directory (logs, database)")
    args = ap.parse_args()

    rng = random.Random(args.seed)
    work = Path(tempfile.mkdtemp(prefix="nd-soak-"))
    db_url = args.db or f"sqlite:///{work / 'soak.db'}"
    step_every = 2 * args.every + 2           # at least two sweeps see each state
    changes: list[Change] = []
    samples: list[tuple[float, int]] = []
    failures: list[str] = []
    print(f"soak: {args.minutes} min, {args.hosts} hosts, sweep every {args.every}s, "
          f"a change every {step_every}s, work dir {work}")

    with Lab() as lab, contextlib.ExitStack() as stack:
        daemon_db = db_url
        if db_url.startswith("postgres"):
            daemon_db = stack.enter_context(postgres_socket(db_url, work / "pgsock"))
        net = small_lab(lab, f"{SUBNET}.2/24")
        hosts: dict[str, ChurnHost] = {}           # mac -> host
        serial = 0

        def new_host(ip: str) -> ChurnHost:
            nonlocal serial
            serial += 1
            mac = f"{OUIS[serial % len(OUIS)]}:5a:{serial >> 8:02x}:{serial & 0xFF:02x}"
            churn = ChurnHost(lab, net.add_host(f"h{serial}", ip, mac))
            hosts[mac] = churn
            return churn

        for i in range(args.hosts):
            new_host(f"{SUBNET}.{10 + i}")
        daemon = DaemonProcess(lab, net.scanner.ns, work / "daemon")
        daemon.write_settings(settings_text(daemon_db, [{
            "name": "soak", "targets": [f"{SUBNET}.0/24"], "exclude": [f"{SUBNET}.2"], "methods": ["arp"],
            "interface": "eth0", "every": f"{args.every}s", "jitter": "0s"}],
            # the grace before a silent host is disappeared: the two sweeps each step lets run
            {"log_format": "json", "stop_timeout": "20s", "disappear_after_misses": 2,
             "disappear_after": "1s"}))
        daemon.start()
        daemon.wait_for(lambda: daemon.events("sweep.finished"), 60, "the first sweep")
        start = time.monotonic()
        first_change = datetime.now(UTC)
        end = start + args.minutes * 60
        next_step = start + step_every
        warmup_until = start + min(30.0, args.minutes * 20)

        def used_ips() -> set[str]:
            return {h.ip for h in hosts.values()}

        def step() -> None:
            up = [h for h in hosts.values() if h.up]
            down = [h for h in hosts.values() if not h.up]
            kinds = ["discovered", "disappeared", "ip_changed"] + (["reappeared"] * 2 if down else [])
            kind = rng.choice(kinds)
            now = datetime.now(UTC)
            if kind == "discovered" or (not up and kind != "reappeared"):
                free = [f"{SUBNET}.{n}" for n in range(10, 250) if f"{SUBNET}.{n}" not in used_ips()]
                h = new_host(rng.choice(free))
                changes.append(Change("discovered", h.host.mac, h.ip, now))
            elif kind == "disappeared":
                h = rng.choice(up)
                h.disappear()
                changes.append(Change("disappeared", h.host.mac, h.ip, now))
            elif kind == "reappeared":
                h = rng.choice(down)
                h.reappear()
                changes.append(Change("reappeared", h.host.mac, h.ip, now))
            else:
                h = rng.choice(up)
                free = [f"{SUBNET}.{n}" for n in range(10, 250) if f"{SUBNET}.{n}" not in used_ips()]
                old = h.ip
                h.move_to(rng.choice(free))
                changes.append(Change("ip_changed", h.host.mac, h.ip, now, old_ip=old))
            print(f"  {time.monotonic() - start:6.1f}s  {changes[-1].kind:<11} {changes[-1].mac} "
                  f"{changes[-1].old_ip + ' -> ' if changes[-1].old_ip else ''}{changes[-1].ip}")

        while time.monotonic() < end:
            if not daemon.alive():
                failures.append("the daemon exited during the soak")
                break
            now = time.monotonic()
            if now >= next_step and now + step_every <= end:
                step()
                next_step = now + step_every
            if now >= warmup_until:
                value = rss_kib(daemon.pid)
                if value:
                    samples.append((now - start, value))
            time.sleep(1.0)
        # let at least two sweeps see the final state
        seen = len(daemon.events("sweep.finished"))
        daemon.wait_for(lambda: len(daemon.events("sweep.finished")) >= seen + 2, 4 * args.every + 30,
                        "two final sweeps")
        cpu = cpu_seconds(daemon.pid)
        code = terminate(daemon)
        if code != 0:
            failures.append(f"daemon exit code {code}")

        # the reference tool over the same segment, same lab
        ref_times: list[float] = []
        ref_ips: set[str] = set()
        if shutil.which("arp-scan"):
            for _ in range(3):
                t0 = time.monotonic()
                out = lab.run(net.scanner.ns, ["arp-scan", "-I", "eth0", "-q", "-x", "-r", "2",
                                               f"{SUBNET}.0/24"], check=False, timeout=120)
                ref_times.append(time.monotonic() - t0)
                ref_ips = {line.split()[0] for line in out.stdout.splitlines() if line.strip()}
        truth = {h.ip for h in hosts.values() if h.up}

    # ---- checks ------------------------------------------------------------------------------
    sessions = open_database(db_url)
    with sessions() as s:
        scans = list(s.scalars(select(Scan).order_by(Scan.id)))
        assets = {a.id: a for a in s.scalars(select(Asset))}
        mac_owner: dict[str, list[int]] = {}
        for iface in s.scalars(select(Interface)):
            mac_owner.setdefault(iface.mac, []).append(iface.asset_id)
        current_ips: dict[str, list[int]] = {}
        for addr in s.scalars(select(Address).where(Address.current.is_(True))):
            current_ips.setdefault(addr.ip, []).append(addr.asset_id)
        events = list(s.scalars(select(AssetEvent).where(AssetEvent.at >= first_change)
                                .order_by(AssetEvent.id)))
        event_count = s.scalar(select(func.count()).select_from(AssetEvent))

    dupes = {m: ids for m, ids in mac_owner.items() if len(ids) > 1}
    if dupes:
        failures.append(f"MACs on several assets: {dupes}")
    shared = {ip: ids for ip, ids in current_ips.items() if len(ids) > 1}
    if shared:
        failures.append(f"IPs current on several assets: {shared}")
    if set(mac_owner) != set(hosts):
        failures.append(f"assets vs lab MACs differ: extra {set(mac_owner) - set(hosts)}, "
                        f"missing {set(hosts) - set(mac_owner)}")
    if len(assets) != len(hosts):
        failures.append(f"{len(assets)} assets for {len(hosts)} lab hosts")

    bad_scans = [(sc.id, sc.status) for sc in scans if sc.status != "completed"]
    if bad_scans:
        failures.append(f"scans not completed: {bad_scans}")
    overlaps = [(a.id, b.id) for a, b in itertools.pairwise(scans)
                if a.finished_at is None or b.started_at < a.finished_at]
    if overlaps:
        failures.append(f"overlapping scans: {overlaps}")

    tracked = ("discovered", "disappeared", "reappeared", "ip_changed")
    unmatched = list(events)
    missing: list[Change] = []
    for change in changes:
        owners = mac_owner.get(change.mac, [])
        hit = None
        for ev in unmatched:
            if ev.kind != change.kind or ev.asset_id not in owners or ev.at < change.at:
                continue
            if change.kind == "ip_changed" and change.ip not in (ev.new or {}).get("ips", []):
                continue
            hit = ev
            break
        if hit is None:
            missing.append(change)
        else:
            unmatched.remove(hit)
    spurious = [ev for ev in unmatched if ev.kind in tracked]
    if missing:
        failures.append("changes missing from asset_events: "
                        + "; ".join(f"{c.kind} {c.mac} {c.ip}" for c in missing))
    if spurious:
        failures.append("events without a change: "
                        + "; ".join(f"{e.kind} asset {e.asset_id} {json.dumps(e.new)}" for e in spurious))

    growth_kib = growth_pct = 0.0
    if len(samples) >= 6:
        third = len(samples) // 3
        early = statistics.median(v for _, v in samples[:third])
        late = statistics.median(v for _, v in samples[-third:])
        growth_kib = late - early
        growth_pct = 100.0 * growth_kib / early
        # allow allocator noise; a leak of one object per sweep would show as steady growth
        if growth_pct > 5.0 and growth_kib > 2048:
            failures.append(f"RSS grew {growth_kib:.0f} KiB ({growth_pct:.1f}%)")
    else:
        failures.append("too few RSS samples (run longer)")

    durations = [(sc.finished_at - sc.started_at).total_seconds() for sc in scans if sc.finished_at]
    gaps = [(b.started_at - a.started_at).total_seconds() for a, b in itertools.pairwise(scans)]
    print()
    print(f"sweeps: {len(scans)} (all completed: {not bad_scans}); "
          f"median sweep {statistics.median(durations):.2f}s, "
          f"median start-to-start {statistics.median(gaps):.2f}s (interval {args.every}s)")
    print(f"changes made: {len(changes)} "
          f"({', '.join(f'{k} {sum(c.kind == k for c in changes)}' for k in tracked)}); "
          f"found in asset_events: {len(changes) - len(missing)}; events without a change: {len(spurious)}")
    print(f"assets: {len(assets)} for {len(hosts)} lab hosts; duplicate MACs: {len(dupes)}; "
          f"IPs current on two assets: {len(shared)}; asset_events total: {event_count}")
    if samples:
        print(f"daemon RSS: first {samples[0][1] / 1024:.1f} MiB, last {samples[-1][1] / 1024:.1f} MiB, "
              f"median last third vs first third {growth_kib:+.0f} KiB ({growth_pct:+.1f}%), "
              f"{len(samples)} samples; CPU {cpu or 0:.1f}s total, "
              f"{(cpu or 0) / max(1, len(scans)):.2f}s per sweep")
    if ref_times:
        ref = statistics.median(ref_times)
        ours = statistics.median(durations)
        print(f"reference arp-scan (-r 2) same /24: median {ref:.2f}s per sweep; netdiscover sweep "
              f"(scan + reconcile + store) median {ours:.2f}s; ratio {ours / ref:.2f}x")
        print(f"final hosts up: {len(truth)}; arp-scan saw {len(ref_ips)}; "
              f"agree with lab: {ref_ips == truth}")
        if ref_ips != truth:
            print(f"  (arp-scan differs: extra {sorted(ref_ips - truth)}, missing {sorted(truth - ref_ips)})")
    else:
        print("reference arp-scan not installed; no comparison")
    if failures:
        print("\nFAIL")
        for f in failures:
            print(f"  - {f}")
    else:
        print("\nPASS: every change recorded, no duplicates, no overlap, RSS flat")
    if args.keep:
        print(f"work directory kept: {work}")
    else:
        shutil.rmtree(work, ignore_errors=True)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
