"""Central ingest throughput: 3 collectors publish site sweeps through RabbitMQ, 2 ingest workers
(``netdiscover worker`` processes) reconcile them into PostgreSQL.

Each collector (a thread with its own broker user, as a real collector has) publishes one sweep of
``--hosts`` ARP observations of its own site in batches of ``--batch``, then its closing message;
the messages are encoded before the clock starts (that is the collectors' work, at their sites).
Measured: from the first publish to the last sweep reconciled, observations per second; once
for sweeps of devices nobody saw before, once for the same sweeps again (the usual rescan).
Target: >= 20,000 observations/s with 2 ingest workers. Fingerprinting is left out unless
--fingerprint (as in reconcile_bench.py, whose new-10k fingerprinted line shows its cost).

Compared in the same run, alternating (``--rounds`` times; ``--configs`` picks some):
``ingest`` (the workers as shipped), ``no-memo`` (workers that decode every batch twice, as
before the decoded-batch memo), ``baseline`` with ``--baseline TREE`` (workers running the
``netdiscover`` package of another source tree, e.g. ``git archive`` of an earlier commit:
before/after in one run) and
``direct`` (the reference: the same three sweeps reconciled one after another straight into the
database by ``services.reconcile``, no broker, no ingest: the floor the ingest adds its cost to).

Needs RabbitMQ on 127.0.0.1:5672 (guest; a throw-away vhost and users are created and removed)
and a PostgreSQL server (--pg or NETDISCOVER_TEST_PG): each configuration writes into a throw-away
database of its own (dropped afterwards), whose schema its own code's migrations made (a baseline
tree's schema may lack later migrations, which its workers could not open).

With --site-sweep: a 1,000-host lab site (namespaces, ARP over 10.77.0.0/20) swept once by
``netdiscover scan`` run locally at the site into PostgreSQL, once through a collector in the same
namespace (broker over a Unix-socket relay) and the central ingest; target: <= 1.2x the local time.

Usage: python benchmarks/collector_bench.py [--pg URL] [--hosts 20000] [--batch 5000] [--workers 2]
                                          [--rounds 2]
       python benchmarks/collector_bench.py --site-sweep [--pg URL] [--live 1000]   (root)
"""

from __future__ import annotations

import argparse
import contextlib
import os
import subprocess
import sys
import threading
import time
import uuid
from datetime import UTC, datetime
from statistics import median

from scratch_db import scratch_postgres
from sqlalchemy.orm import Session, sessionmaker

from netdiscover.observation import Observation
from netdiscover.services.sites import add_site, sweep_state
from netdiscover.storage.engine import create_db_engine, normalise_url, open_database
from netdiscover.workers import messages, rabbitadmin
from netdiscover.workers.app import INGEST_TASK, declare, make_app, send
from netdiscover_lab.netns import stop_process_groups

SITES = ("paris", "lyon", "nantes")
CLI = [sys.executable, "-c", "from netdiscover.cli import main; main()"]
# An ingest worker process, as ``netdiscover worker`` runs it; argv: db url, broker url, fingerprint
# 0/1, and 0 for a worker without the decoded-batch memo.
WORKER = """
import os, sys
if os.environ.get("ND_BENCH_TREE"):      # a baseline worker: that tree's package, not the editable install
    sys.meta_path[:] = [f for f in sys.meta_path if "editable" not in repr(f).lower()]
    sys.path.insert(0, os.environ["ND_BENCH_TREE"])
from netdiscover.storage.engine import open_database
from netdiscover.workers.app import ingest_app, run_worker
db, broker, fp, memo = sys.argv[1:5]
sessions = open_database(db)
app = ingest_app(broker, lambda: sessions, None if fp == "1" else (lambda _obs: None),
                 **({} if memo == "1" else {"decoded_limit": 0}))
run_worker(app, ["ingest"], "bench@%h", 1, "WARNING")
"""
# Create the schema of a database (argv: its url) with the migrations of the tree of ND_BENCH_TREE.
MIGRATE = """
import os, sys
sys.meta_path[:] = [f for f in sys.meta_path if "editable" not in repr(f).lower()]
sys.path.insert(0, os.environ["ND_BENCH_TREE"])
from netdiscover.storage.engine import open_database
open_database(sys.argv[1]).kw["bind"].dispose()
"""


def site_obs(index: int, n: int, at: datetime) -> list[Observation]:
    """``n`` ARP sightings on 10.<index>.0.0/16 (a site's own range in one generation)."""
    return [Observation(method="arp", ip=f"10.{index}.{i // 250}.{i % 250 + 1}",
                        mac=f"00:00:5e:{index:02x}:{i // 256:02x}:{i % 256:02x}", seen_at=at)
            for i in range(n)]


def encoded(site: str, sweep_id: str, obs: list[Observation], batch: int, index: int) -> list[dict]:
    """A sweep's batch messages and its closing message, as its collector publishes them."""
    out = list(messages.batches(site, sweep_id, obs, run="r1", size=batch))
    net = [f"10.{index}.0.0/16"]
    out.append(messages.closing(site, sweep_id, outcome="complete", batches=len(out), run="r1",
                                scope=net, coverage={"arp": net}, methods=["arp"]))
    return out


def publish(broker: str, msgs: list[dict]) -> None:
    app = make_app(broker)
    for msg in msgs:
        send(app, INGEST_TASK, msg)


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds process ``pid`` used so far (all its threads); 0 once it is gone."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class CpuMeter:
    """CPU seconds of the ingest (its worker processes, or this process for ``direct``) and of the
    PostgreSQL backends serving the benchmark's database (the server runs on this machine; a
    backend that comes and goes between two readings is missed: the workers keep theirs open)."""

    def __init__(self, sessions, workers: list[int] | None = None) -> None:
        self.sessions, self.workers = sessions, workers

    def read(self) -> tuple[float, dict[int, float]]:
        from sqlalchemy import text

        with self.sessions() as s:
            backends = s.execute(text("SELECT pid FROM pg_stat_activity "
                                      "WHERE datname = current_database()")).scalars().all()
        mine = (sum(map(cpu_seconds, self.workers)) if self.workers is not None
                else time.process_time())
        return mine, {pid: cpu_seconds(pid) for pid in backends}

    def since(self, start: tuple[float, dict[int, float]]) -> str:
        mine, server = self.read()
        used = sum(cpu - start[1].get(pid, 0.0) for pid, cpu in server.items())
        return f"CPU ingest {mine - start[0]:.2f} s + PostgreSQL {used:.2f} s; "


def round_trip(urls: dict[str, str], sessions, gen: int, hosts: int, batch: int, label: str,
               meter: CpuMeter) -> float:
    """One sweep per site through the collectors and the ingest workers of ``urls``."""
    at = datetime.now(UTC)
    ids = {site: f"{site}-{uuid.uuid4().hex[:12]}" for site in SITES}
    index = {site: gen * len(SITES) + i + 1 for i, site in enumerate(SITES)}
    prepared = {site: encoded(site, ids[site], site_obs(index[site], hosts, at), batch, index[site])
                for site in SITES}
    cpu = meter.read()
    started = time.monotonic()
    threads = [threading.Thread(target=publish, args=(urls[site], prepared[site])) for site in SITES]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    published = time.monotonic() - started
    deadline = time.monotonic() + 600
    while time.monotonic() < deadline:
        with sessions() as session:
            done = all(getattr(sweep_state(session, i), "state", None) == "reconciled" for i in ids.values())
        if done:
            break
        time.sleep(0.1)
    else:
        raise SystemExit(f"{label}: sweeps not reconciled within 600 s")
    took = time.monotonic() - started
    with sessions() as session:
        counts = [sweep_state(session, i).counts for i in ids.values()]
    return report(label, hosts * len(SITES), took, counts,
                  f"published in {published:.2f} s; {meter.since(cpu)}")


def direct(sessions, gen: int, hosts: int, label: str, fingerprint: bool) -> float:
    """The reference: the same sweeps reconciled one after another, no broker, no ingest."""
    import netaddr

    from netdiscover.services.reconcile import reconcile

    at = datetime.now(UTC)
    index = {site: gen * len(SITES) + i + 1 for i, site in enumerate(SITES)}
    prepared = {site: site_obs(index[site], hosts, at) for site in SITES}
    meter = CpuMeter(sessions)
    cpu = meter.read()
    started = time.monotonic()
    counts = []
    for site in SITES:
        net = netaddr.IPSet([f"10.{index[site]}.0.0/16"])
        result = reconcile(sessions, prepared[site], scope=net, complete=True, coverage={"arp": net},
                           fingerprinter=None if fingerprint else (lambda _o: None), site=site)
        counts.append(result.counts)
    took = time.monotonic() - started
    return report(label, hosts * len(SITES), took, counts, meter.since(cpu))


def report(label: str, total: int, took: float, counts: list[dict], extra: str) -> float:
    new, unchanged = sum(c["new"] for c in counts), sum(c["unchanged"] for c in counts)
    print(f"   {label:<16} {total:>8,} obs  {took:7.2f} s  {total / took:>9,.0f} obs/s  "
          f"({extra}new {new:,}, unchanged {unchanged:,}; load {os.getloadavg()[0]:.1f})", flush=True)
    return total / took


def site_sweep(url: str, live: int) -> None:
    """Local scan vs the same sweep through a collector, on one large lab site."""
    import tempfile
    from pathlib import Path

    from netdiscover_lab.arp_lab import large_lab
    from netdiscover_lab.daemon_lab import postgres_socket
    from netdiscover_lab.netns import Lab
    from netdiscover_lab.sites_lab import BrokerRelay, SiteNet, start_collector

    lab = Lab()
    net = None
    work = Path(tempfile.mkdtemp(prefix="nd-collector-bench-"))
    relay = None
    worker = None
    try:
        net = large_lab(lab, network="10.77.0.0/20", live=live, dense_cidr="10.77.0.0/24", dense_live=80)
        target = str(net.network)
        sessions = open_database(url)
        with postgres_socket(url, work / "pg") as inside_url:
            started = time.monotonic()
            done = lab.run(net.scanner_ns, [*CLI, "--db", inside_url, "scan", target, "-m", "arp"],
                           check=False, timeout=600)
            local = time.monotonic() - started
            if done.returncode != 0:
                raise SystemExit(f"local scan failed: {done.stderr[-500:]}")
        add_site(sessions, "big")
        with rabbitadmin.throwaway_vhost(["big"]) as urls:
            declare(make_app(urls["central"]), ["big"])
            worker = subprocess.Popen([*CLI, "--db", url, "worker", "--broker", urls["central"]],
                                      stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                      start_new_session=True)
            relay = BrokerRelay(work / "relay")
            relay.into(lab, net.scanner_ns)
            site = SiteNet(name="big", cidr=target, collector=lab.hosts["scan"])
            start_collector(lab, site, urls["big"], work, heartbeat=60)
            time.sleep(5)                 # collector and worker connected
            started = time.monotonic()
            done = subprocess.run([*CLI, "--db", url, "sweep", "submit", target, "-m", "arp", "--site",
                                   "big", "--broker", urls["central"], "--wait", "--timeout", "600"],
                                  capture_output=True, text=True, timeout=700)
            remote = time.monotonic() - started
            if done.returncode != 0:
                raise SystemExit(f"collector sweep failed: {done.stdout[-300:]} {done.stderr[-500:]}")
        print(f"site sweep of {len(net.hosts):,} hosts over {target}: local scan {local:.2f} s, "
              f"through a collector {remote:.2f} s = {remote / local:.2f}x "
              f"(target <= 1.2x {'met' if remote <= 1.2 * local else 'NOT met'}); "
              f"{done.stdout.splitlines()[-1]}")
        sessions.kw["bind"].dispose()
    finally:
        if worker is not None:
            stop_process_groups([worker], 20)
        lab.close()
        if relay is not None:
            relay.close()
        if net is not None:
            net.restore_gc()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pg", default=os.environ.get("NETDISCOVER_TEST_PG"), help="PostgreSQL server URL")
    parser.add_argument("--hosts", type=int, default=20_000, help="observations per site sweep")
    parser.add_argument("--batch", type=int, default=messages.MAX_BATCH)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--rounds", type=int, default=2, help="alternating rounds of each configuration")
    parser.add_argument("--baseline", metavar="TREE",
                        help="also run workers on the netdiscover package under TREE (an earlier commit)")
    parser.add_argument("--configs", default="ingest,no-memo,baseline,direct",
                        help="which configurations to run, comma-separated (baseline needs --baseline)")
    parser.add_argument("--fingerprint", action="store_true",
                        help="ingest with the real fingerprinter (vendor by OUI ...); left out by default, "
                             "as in reconcile_bench: the target is the ingest's")
    parser.add_argument("--site-sweep", action="store_true", help="local vs collector sweep of a lab site")
    parser.add_argument("--live", type=int, default=1000, help="hosts of the --site-sweep lab")
    args = parser.parse_args()
    if not args.pg:
        parser.error("a PostgreSQL server URL is needed (--pg or NETDISCOVER_TEST_PG)")
    if args.site_sweep:
        with scratch_postgres(args.pg) as url:
            site_sweep(url, args.live)
        return 0
    return run(args.pg, args)


def baseline_env(tree: str) -> dict[str, str]:
    """The environment of a worker that imports ``netdiscover`` from ``tree`` first."""
    return {**os.environ, "ND_BENCH_TREE": os.path.abspath(tree)}


def config_database(url: str, tree: str | None) -> sessionmaker[Session]:
    """Sessions on the empty database at ``url`` with the sites registered, its schema made by
    the migrations of ``tree`` (a baseline's own, which may lack later ones) or of ours."""
    if tree is None:
        sessions = open_database(url)
    else:
        subprocess.run([sys.executable, "-c", MIGRATE, url], env=baseline_env(tree), check=True)
        sessions = sessionmaker(bind=create_db_engine(normalise_url(url)), expire_on_commit=False)
    for site in SITES:
        add_site(sessions, site)
    return sessions


def run(server: str, args: argparse.Namespace) -> int:
    """The measurements, each configuration on a throw-away database of its own on ``server``."""
    workers: list[subprocess.Popen] = []
    meters: dict[str, CpuMeter] = {}
    with contextlib.ExitStack() as stack:
        wanted = set(args.configs.split(","))
        configs = {label: memo for label, memo in (("ingest", "1"), ("no-memo", "0"), ("baseline", "1"))
                   if label in wanted and (label != "baseline" or args.baseline)}
        dbs = {label: stack.enter_context(scratch_postgres(server))
               for label in (*configs, *(["direct"] if "direct" in wanted else []))}
        db_sessions = {label: config_database(db, args.baseline if label == "baseline" else None)
                       for label, db in dbs.items()}
        for sessions in db_sessions.values():
            stack.callback(sessions.kw["bind"].dispose)
        urls = {label: stack.enter_context(rabbitadmin.throwaway_vhost(list(SITES))) for label in configs}
        try:
            for label, memo in configs.items():
                declare(make_app(urls[label]["central"]), list(SITES))
                started = [subprocess.Popen([sys.executable, "-c", WORKER, dbs[label], urls[label]["central"],
                                              "1" if args.fingerprint else "0", memo],
                                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                             start_new_session=True,
                                             env=baseline_env(args.baseline) if label == "baseline" else None)
                           for _ in range(args.workers)]
                workers += started
                meters[label] = CpuMeter(db_sessions[label], [p.pid for p in started])
            print(f"machine: {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}; "
                  f"{len(SITES)} collectors x {args.hosts:,} observations, batches of {args.batch:,}, "
                  f"{args.workers} ingest workers per configuration, PostgreSQL, "
                  f"{'real fingerprinter' if args.fingerprint else 'fingerprinting left out'}", flush=True)
            time.sleep(3)            # the workers connect
            rates: dict[str, list[float]] = {}
            gen = 0
            for _ in range(args.rounds):
                for label in (*configs, *(["direct"] if "direct" in wanted else [])):
                    for kind in ("new", "rescan"):
                        name = f"{label} {kind}"
                        if label == "direct":
                            rate = direct(db_sessions[label], gen, args.hosts, name, args.fingerprint)
                        else:
                            rate = round_trip(urls[label], db_sessions[label], gen, args.hosts, args.batch,
                                              name, meters[label])
                        rates.setdefault(name, []).append(rate)
                    gen += 1
            print("summary (median obs/s):")
            for name, figs in rates.items():
                met = "met" if median(figs) >= 20_000 else "NOT met"
                verdict = met if name.startswith("ingest") else ""
                print(f"   {name:<16} {median(figs):>9,.0f}  {' '.join(f'{f:,.0f}' for f in figs)}"
                      f"{'  target >= 20,000 ' + verdict if verdict else ''}")
        finally:
            stop_process_groups(workers, 20)
    return 0


if __name__ == "__main__":
    sys.exit(main())
