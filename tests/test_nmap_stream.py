"""nmap's XML parsed as it streams, and the nmap process handled: timeouts, broken and cut output,
an nmap too old, errors on stderr, and a sweep that starts nmap before it opens the database.

The process tests run a stand-in ``nmap`` (a shell script printing recorded XML): they test how
netdiscover drives a process and reads its pipe, and send nothing anywhere. The real nmap against
real services is tests/test_nmap_lab.py.
"""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest
from netaddr import IPSet

from netdiscover.scanners.base import ScanContext, ScannerUnavailable
from netdiscover.scanners.nmap.parse import NmapStream, NmapXmlError, parse_xml
from netdiscover.scanners.nmap.process import run_nmap
from netdiscover.scanners.nmap.scanner import scan
from tests.test_nmap_parse import DOWN, FOOTER, HEADER, PRINTER, ROUTED, doc


def facts_of(observations: list) -> list[dict]:
    return [{k: v for k, v in o.to_dict().items() if k != "seen_at"} for o in observations]


def feed_in_pieces(data: bytes, size: int, stream: NmapStream) -> None:
    for i in range(0, len(data), size):
        stream.feed(data[i:i + size])


@pytest.mark.parametrize("size", [1, 7, 64, 4096])
def test_any_cut_of_the_stream_parses_like_the_whole_document(size):
    # a reference to a forbidden character, cut anywhere, is still removed
    text = doc(PRINTER, ROUTED.replace("OpenSSH", "Open&#x1b;SSH"), DOWN, up=2, down=1).encode()
    whole = parse_xml(text)
    stream = NmapStream()
    feed_in_pieces(text, size, stream)
    run = stream.close()
    assert facts_of(run.observations) == facts_of(whole.observations)
    assert (run.hosts_up, run.hosts_down, run.elapsed) == (2, 1, 12.5)
    assert run.observations[1].services[0].product == "OpenSSH"
    assert stream.version == "7.93"


def test_each_host_is_ready_as_soon_as_it_has_arrived():
    stream = NmapStream()
    stream.feed(HEADER.encode())
    assert stream.version == "7.93" and stream.run.observations == []
    stream.feed(PRINTER.encode())
    assert [o.ip for o in stream.run.observations] == ["10.9.0.20"]
    stream.feed(ROUTED.encode() + FOOTER.format(up=2, down=0).encode())
    assert [o.ip for o in stream.close().observations] == ["10.9.0.20", "10.10.0.5"]


def test_cut_output_keeps_the_hosts_before_the_cut():
    stream = NmapStream()
    stream.feed((HEADER + PRINTER + "<host><status state='up'").encode())
    with pytest.raises(NmapXmlError, match="not valid XML"):
        stream.close()
    assert [o.ip for o in stream.run.observations] == ["10.9.0.20"]


def test_not_nmap_output_is_refused_at_its_first_element():
    stream = NmapStream()
    with pytest.raises(NmapXmlError, match="not an nmaprun document"):
        stream.feed(b"<html><body>")


def fake_nmap(tmp_path: Path, body: str) -> str:
    """A stand-in nmap: a shell script that runs ``body`` whatever its arguments."""
    path = tmp_path / "bin" / "nmap"
    path.parent.mkdir(exist_ok=True)
    path.write_text("#!/bin/sh\n" + body)
    path.chmod(path.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
    return str(path)


def xml_file(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def test_a_run_that_times_out_keeps_what_it_reported(tmp_path):
    first = xml_file(tmp_path, "first.xml", HEADER + PRINTER)
    nmap = fake_nmap(tmp_path, f"cat {first}\nexec sleep 30\n")
    started = time.monotonic()
    result = run_nmap([nmap, "-oX", "-"], ["10.9.0.0/24"], timeout=1.5, local_ips=set())
    assert time.monotonic() - started < 10                 # the hung nmap was killed, not waited for
    assert result.error == "nmap timed out after 1s"
    assert [o.ip for o in result.observations] == ["10.9.0.20"]


def test_broken_xml_keeps_the_hosts_before_it_and_says_why(tmp_path):
    out = xml_file(tmp_path, "out.xml", HEADER + PRINTER + "<host><status state='up'></host>")
    result = run_nmap([fake_nmap(tmp_path, f"cat {out}\n")], ["10.9.0.0/24"], timeout=30, local_ips=set())
    assert result.error.startswith("nmap output is not valid XML") and "\n" not in result.error
    assert [o.ip for o in result.observations] == ["10.9.0.20"]


def test_nmap_quitting_is_reported_by_its_own_words(tmp_path):
    nmap = fake_nmap(tmp_path, "echo 'Warning: no root' >&2\n"
                               "echo 'Failed to open device eth9. QUITTING!' >&2\nexit 1\n")
    result = run_nmap([nmap], ["10.9.0.0/24"], timeout=30, local_ips=set())
    assert result.error == "Failed to open device eth9. QUITTING!"
    assert result.warnings == ["Warning: no root"] and result.observations == []


def test_a_whole_run_gives_its_hosts_without_its_own_address(tmp_path):
    out = xml_file(tmp_path, "out.xml", doc(PRINTER, ROUTED, up=2))
    result = run_nmap([fake_nmap(tmp_path, f"cat {out}\n")], ["10.9.0.0/24"], timeout=30,
                      local_ips={"10.10.0.5"})
    assert result.error is None and result.version == "7.93"
    assert [o.ip for o in result.observations] == ["10.9.0.20"] and result.dropped_local == ["10.10.0.5"]


def test_an_nmap_too_old_stops_the_sweep_with_a_clear_message(tmp_path):
    out = xml_file(tmp_path, "out.xml", doc(PRINTER).replace('version="7.93"', 'version="5.21"'))
    nmap = fake_nmap(tmp_path, f"cat {out}\n")
    ctx = ScanContext(targets=IPSet(["192.0.2.0/30"]), options={"nmap_path": nmap})
    with pytest.raises(ScannerUnavailable, match=r"nmap 5\.21 is too old; netdiscover needs nmap 7\.0"):
        scan(ctx)


def test_each_run_is_logged_with_its_whole_command_line(tmp_path, caplog):
    out = xml_file(tmp_path, "out.xml", doc(PRINTER))
    nmap = fake_nmap(tmp_path, f"cat {out}\n")
    ctx = ScanContext(targets=IPSet(["192.0.2.0/29"]), skip=IPSet(["192.0.2.0", "192.0.2.7"]),
                      nmap_args="-p 80", options={"nmap_path": nmap, "nmap_chunk_size": 4})
    caplog.set_level("INFO", logger="netdiscover.scan")
    outcome = scan(ctx)
    assert outcome.status == "done" and outcome.stats["nmap_version"] == "7.93"
    runs = [r.getMessage() for r in caplog.records if r.getMessage().startswith("nmap run ")]
    assert runs == [f"nmap run 1, 2 at once: {nmap} -oX - -p 80 -n -T4 192.0.2.1/32 192.0.2.2/31",
                    f"nmap run 2, 2 at once: {nmap} -oX - -p 80 -n -T4 192.0.2.4/31 192.0.2.6/32"]


def test_the_sweep_starts_nmap_before_it_opens_the_database(tmp_path):
    """The stand-in nmap notes whether the database file exists when it starts; opening (and
    creating) it loads SQLAlchemy and runs the migrations, far longer than starting nmap takes."""
    db = tmp_path / "data" / "nd.db"
    db.parent.mkdir()
    out = xml_file(tmp_path, "out.xml", doc(PRINTER.replace("10.9.0.20", "192.0.2.1")))
    note = tmp_path / "db-at-start.txt"
    fake_nmap(tmp_path, f"ls {db.parent} > {note}\nsleep 1\ncat {out}\n")
    env = {**os.environ, "PATH": f"{tmp_path / 'bin'}:{os.environ['PATH']}"}
    proc = subprocess.run([sys.executable, "-c", "from netdiscover.cli import main; main()", "--db",
                           f"sqlite:///{db}", "scan", "192.0.2.1", "-m", "nmap", "--format", "json"],
                          capture_output=True, text=True, env=env, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert note.read_text() == ""                     # no database yet when nmap started
    (asset,) = json.loads(proc.stdout)
    assert asset["ips"] == ["192.0.2.1"] and {s["port"] for s in asset["services"]} == {80, 9100, 161}
    assert not (db.parent / "nd.db-wal").exists()         # closed: the WAL went into the file


def test_a_database_that_cannot_open_stops_the_sweep_with_one_line_and_no_nmap_left(tmp_path):
    pid_file = tmp_path / "nmap.pid"
    fake_nmap(tmp_path, f"echo $$ > {pid_file}\nexec sleep 60\n")
    env = {**os.environ, "PATH": f"{tmp_path / 'bin'}:{os.environ['PATH']}"}
    started = time.monotonic()
    proc = subprocess.run([sys.executable, "-c", "from netdiscover.cli import main; main()", "--db",
                           f"sqlite:///{tmp_path}/missing/dir/nd.db", "scan", "192.0.2.1", "-m", "nmap"],
                          capture_output=True, text=True, env=env, timeout=120)
    assert time.monotonic() - started < 30, "the command waited for nmap"
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert proc.stderr.startswith("Error: database: ") and proc.stderr.count("\n") == 1, proc.stderr
    deadline = time.monotonic() + 10
    while not pid_file.exists() and time.monotonic() < deadline:     # nmap may have been killed unborn
        time.sleep(0.1)
    if pid_file.exists():
        pid = int(pid_file.read_text())
        while Path(f"/proc/{pid}").exists() and time.monotonic() < deadline:
            time.sleep(0.1)
        state = Path(f"/proc/{pid}/stat").read_text().split()[2] if Path(f"/proc/{pid}").exists() else "gone"
        assert state in ("gone", "Z"), "nmap outlived the sweep that started it"


def test_no_more_runs_at_once_than_asked(tmp_path):
    out = xml_file(tmp_path, "out.xml", doc(PRINTER))
    log = tmp_path / "runs.log"
    # each run notes when it starts and ends; with 2 at once, no third starts before one has ended
    nmap = fake_nmap(tmp_path, f"echo start >> {log}\nsleep 0.3\necho end >> {log}\ncat {out}\n")
    ctx = ScanContext(targets=IPSet(["192.0.2.0/28"]), options={"nmap_path": nmap, "nmap_chunk_size": 2,
                                                                "nmap_parallel": 2})
    outcome = scan(ctx)
    assert outcome.stats["chunks"] == 8 and outcome.stats["parallel"] == 2
    at_once = peak = 0
    for line in log.read_text().split():
        at_once += 1 if line == "start" else -1
        peak = max(peak, at_once)
    assert peak == 2
