"""The nmap argument checker and command builder: profiles, allowlist, rate bound."""

from __future__ import annotations

import pytest

from netdiscover.scanners.nmap.args import (
    COMMON_TCP,
    NmapArgsError,
    build_command,
    check_user_args,
    detects_services,
    script_categories,
    timing_for_rate,
)


@pytest.mark.parametrize("text, named", [
    ("-oN /tmp/out.txt", "-oN"),
    ("-oX -", "-oX"),
    ("-oG out", "-oG"),
    ("-oA base", "-oA"),
    ("-oNfile", "-oN"),
    ("--resume /tmp/scan.gnmap", "--resume"),
    ("--datadir /tmp/evil", "--datadir"),
    ("--datadir=/tmp/evil", "--datadir"),
    ("-iL /etc/hosts", "-iL"),
    ("-iR 1000", "-iR"),
    ("--script-args-file /etc/shadow", "--script-args-file"),
    ("--excludefile /tmp/x", "--excludefile"),
    ("--servicedb /tmp/x", "--servicedb"),
    ("-D RND:10", "-D"),
    ("-S 1.2.3.4", "-S"),
    ("-sI zombie.example", "-sI"),
    ("--traceroute", "--traceroute"),
    ("-A", "-A"),
    ("-sC", "-sC"),
    ("--proxies http://p:8080", "--proxies"),
])
def test_forbidden_options_are_refused_by_name(text, named):
    with pytest.raises(NmapArgsError) as err:
        check_user_args(text)
    message = str(err.value)
    assert named in message
    assert "\n" not in message


@pytest.mark.parametrize("text", [
    "--script /tmp/evil.nse",
    "--script=../../tmp/evil",
    "--script ./x.nse",
    "--script default",
    "--script all",
    "--script broadcast-dhcp-discover",
    "--script http-open-proxy",           # category external
    "--script no-such-script-name",
    "--script-args userdb=/etc/passwd",
])
def test_scripts_only_by_safe_name(text):
    if not script_categories():
        pytest.skip("nmap's script.db is not installed")
    with pytest.raises(NmapArgsError):
        check_user_args(text)


@pytest.mark.parametrize("text", [
    "10.0.0.1",                  # targets come from the scope only
    "-p",                        # missing value
    "-p 22;rm",                  # not a port list
    "--max-rate fast",
    "--unknown-option",
    "-sV 'unbalanced",
    "-e eth0\x1b",
])
def test_malformed_arguments_are_refused(text):
    with pytest.raises(NmapArgsError):
        check_user_args(text)


def test_allowed_arguments_pass_through():
    user = check_user_args("-p T:22,80,U:161 -sV --version-intensity 2 -PS22,80 --open "
                           "--host-timeout=30s -Pn")
    assert user.tokens == ["-p", "T:22,80,U:161", "-sV", "--version-intensity", "2", "-PS22,80",
                           "--open", "--host-timeout", "30s", "-Pn"]
    assert check_user_args(None).tokens == []
    assert check_user_args("   ").tokens == []


def test_named_safe_script_allowed():
    if "http-title" not in script_categories():
        pytest.skip("nmap's script.db is not installed")
    assert check_user_args("--script http-title,ssh-hostkey").tokens == ["--script", "http-title,ssh-hostkey"]


def test_profiles():
    quick = build_command("quick").args
    assert "-p" in quick and "1883" in quick[quick.index("-p") + 1] and "-sV" not in quick
    standard = build_command("standard").args
    assert {"-sV", "-sS", "-sU"} <= set(standard)
    assert "U:" in standard[standard.index("-p") + 1]
    deep = build_command("deep").args
    assert {"-sV", "-O"} <= set(deep)
    assert deep[deep.index("-p") + 1].startswith("T:1-1024,")
    for args in (quick, standard, deep):
        assert "-n" in args            # no reverse DNS unless asked: traffic only to the targets
    with pytest.raises(NmapArgsError):
        build_command("insane")


def test_without_root_the_privileged_parts_fall_back():
    deep = build_command("deep", privileged=False)
    assert "-O" not in deep.args and "-sU" not in deep.args and "-sS" not in deep.args
    assert "-sT" in deep.args and "-sV" in deep.args
    assert any("-O" in note for note in deep.notes)
    standard = build_command("standard", privileged=False)
    assert standard.args[standard.args.index("-p") + 1] == COMMON_TCP
    user = build_command("quick", "-sU -O -PE -PS80", privileged=False)
    assert "-sU" not in user.args and "-O" not in user.args and "-PE" not in user.args
    assert "-PS80" in user.args and user.notes


def test_user_ports_replace_profile_ports():
    cmd = build_command("standard", "-p 22,80").args
    assert cmd.count("-p") == 1 and cmd[cmd.index("-p") + 1] == "22,80"
    assert "-sU" not in cmd                      # TCP-only port list: no UDP scan
    cmd = build_command("standard", "-p T:22,U:161").args
    assert "-sU" in cmd
    cmd = build_command("deep", "-sn").args
    assert "-sn" in cmd and "-sV" not in cmd and "-O" not in cmd and "-p" not in cmd
    cmd = build_command("standard", "-sT -p 80").args
    assert "-sT" in cmd and "-sS" not in cmd
    assert "-n" not in build_command("quick", "-R").args


def test_rate_bounds_timing_and_max_rate():
    assert timing_for_rate(None) == 4 and timing_for_rate(5000) == 4
    assert timing_for_rate(300) == 3 and timing_for_rate(20) == 2
    cmd = build_command("quick", "-T5 --max-rate 10000 --min-rate 5000", rate=100, parallel=2).args
    assert "-T3" in cmd and "-T5" not in cmd
    assert cmd[cmd.index("--max-rate") + 1] == "50"          # the rate is shared by parallel chunks
    assert cmd[cmd.index("--min-rate") + 1] == "50"          # never above the bound
    slower = build_command("quick", "-T1 --max-rate 10", rate=1000).args
    assert "-T1" in slower and slower[slower.index("--max-rate") + 1] == "10"
    unbounded = build_command("quick").args
    assert "-T4" in unbounded and "--max-rate" not in unbounded
    timed = build_command("quick", timeout=0.5, retries=1, interface="eth1").args
    assert timed[timed.index("--max-rtt-timeout") + 1] == "500ms"
    assert timed[timed.index("--max-retries") + 1] == "1" and timed[timed.index("-e") + 1] == "eth1"


def test_detects_services_follows_the_command_actually_built():
    assert not detects_services("quick")
    assert detects_services("standard") and detects_services("deep")
    assert detects_services("quick", "-sV -p 22")
    assert not detects_services("quick", "--version-light -p 22")   # no -sV: nothing to tune
    assert not detects_services("deep", "-sn")                      # discovery only drops -sV
    assert not detects_services("standard", "-oX out.xml")           # refused: nmap will not run
    assert not detects_services("insane")
    if "http-title" in script_categories():
        assert detects_services("quick", "--script http-title")
