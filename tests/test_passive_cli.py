"""``netdiscover listen`` arguments: durations, bad interfaces, one-line errors."""

from __future__ import annotations

import os

import pytest
from click.testing import CliRunner

from netdiscover.cli import main
from netdiscover.commands.listen import _print_summary, _summary, _Totals
from netdiscover.scanners.passive.listener import ListenStats


@pytest.mark.parametrize(("args", "message"), [
    (["--iface", "eth0", "--duration", "soon"], "cannot read 'soon' as a duration"),
    (["--iface", "nd-no-such0", "--duration", "1s"],
     "cannot listen on nd-no-such0" if os.geteuid() == 0 else "listening needs root"),
    (["--duration", "1s"], "Missing option '--iface'"),
])
def test_bad_input_is_one_line_and_no_traceback(args, message, sqlite_url):
    result = CliRunner().invoke(main, ["--db", sqlite_url, "listen", *args])
    assert result.exit_code == 2
    assert message in result.output and "Traceback" not in result.output


def test_summary_says_where_the_listener_is_plugged_in(capsys):
    stats = ListenStats(received=3)
    stats.uplinks["eth0"] = {"switch": "access-sw3", "port": "ge-0/0/17", "protocol": "lldp"}
    data = _summary(["eth0"], 1.0, stats, _Totals(), None)
    assert data["uplinks"] == {"eth0": {"switch": "access-sw3", "port": "ge-0/0/17", "protocol": "lldp"}}
    _print_summary(data)
    assert "eth0 is plugged into access-sw3 port ge-0/0/17 (heard by lldp)" in capsys.readouterr().out
