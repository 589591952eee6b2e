"""Nmap command lines: scan profiles, the rate bound, and the safe-argument checker.

Users may add their own nmap options (``--nmap-args``), but only from an allowlist: options
that change how the given targets are probed. Anything that reads or writes files (output
redirection, ``--resume``, ``--datadir``, ``-iL``, ``--script-args-file``), picks its own
targets (``-iR``, bare addresses), sends traffic on someone else's behalf (decoys, spoofing,
FTP bounce, idle scan, proxies) or reaches beyond the targets (``--traceroute``, broadcast and
external scripts) is refused with a one-line reason.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from netdiscover.scanners.base import ScannerUnavailable
from netdiscover.scanners.nmap import PROFILES

# Ports worth knowing for asset management: remote access, web, file and print, mail, directory,
# databases, management, IoT/OT and media. Quick and standard probe these; deep adds 1-1024.
COMMON_TCP = (
    "21,22,23,25,53,80,81,88,110,111,135,139,143,161,389,443,445,465,502,515,548,554,587,631,"
    "636,873,902,993,995,1080,1433,1521,1723,1883,2049,2323,3000,3128,3268,3306,3389,4443,"
    "5000,5001,5060,5061,5432,5555,5900,5985,5986,6379,6443,7547,8000,8008,8009,8080,8081,"
    "8088,8443,8883,8888,9000,9090,9100,9200,9443,10000,20000,37777,44818,47808,49152,62078"
)
COMMON_UDP = "53,67,69,123,137,161,500,623,1900,5353"
DEEP_UDP = COMMON_UDP + ",111,514,520,1434,5060,5683,47808"

_NO_FILE_REASON = "reads or writes files on this machine"
FORBIDDEN: dict[str, str] = {
    "-oN": "output is captured by netdiscover", "-oX": "output is captured by netdiscover",
    "-oG": "output is captured by netdiscover", "-oA": "output is captured by netdiscover",
    "-oS": "output is captured by netdiscover", "-oM": "output is captured by netdiscover",
    "--append-output": _NO_FILE_REASON, "--resume": _NO_FILE_REASON, "--datadir": _NO_FILE_REASON,
    "--servicedb": _NO_FILE_REASON, "--versiondb": _NO_FILE_REASON, "--stylesheet": _NO_FILE_REASON,
    "--webxml": _NO_FILE_REASON, "--script-args-file": _NO_FILE_REASON, "-iL": _NO_FILE_REASON,
    "--excludefile": _NO_FILE_REASON, "--script-updatedb": _NO_FILE_REASON,
    "-iR": "targets come from the scan scope only", "--exclude": "use netdiscover's --exclude",
    "-D": "decoys send traffic in others' names", "-S": "source spoofing is not allowed",
    "--spoof-mac": "source spoofing is not allowed", "-b": "FTP bounce reaches beyond the targets",
    "-sI": "idle scan reaches beyond the targets", "--proxies": "proxies reach beyond the targets",
    "--traceroute": "traceroute probes hosts beyond the targets",
    "-A": "implies default scripts and traceroute; use -sV -O", "-sC": "default scripts reach beyond "
    "the targets; name scripts with --script", "--script-trace": "floods the log", "--packet-trace":
    "floods the log", "--interactive": "not supported", "--iflist": "not a scan",
    "--dns-servers": "DNS goes to the system resolver only",
}

FLAGS = {
    "-sS", "-sT", "-sU", "-sV", "-sn", "-sA", "-sW", "-sM", "-sN", "-sF", "-sX", "-sY", "-sZ", "-sO",
    "-Pn", "-PE", "-PP", "-PM", "-PR", "-n", "-R", "-O", "-F", "-r", "-6", "-v", "-vv", "--open",
    "--reason", "--version-light", "--version-all", "--osscan-limit", "--osscan-guess",
    "--defeat-rst-ratelimit", "--defeat-icmp-ratelimit", "--disable-arp-ping", "--send-eth",
    "--send-ip", "--unprivileged", "--system-dns", "--allports", "--no-stylesheet",
}
_PORTS = re.compile(r"^(?:[TUS]:)?[0-9][0-9,\-]*(?:,(?:[TUS]:)?[0-9][0-9,\-]*)*$")
_INT = re.compile(r"^[0-9]{1,7}$")
_TIME = re.compile(r"^[0-9]{1,7}(?:\.[0-9]{1,3})?(?:ms|s|m|h)?$")
_IFACE = re.compile(r"^[A-Za-z0-9_.@:-]{1,15}$")
_SCRIPT_ARGS = re.compile(r"^[A-Za-z0-9_.,=:{}'\" -]{1,512}$")
VALUE_OPTS: dict[str, re.Pattern[str]] = {
    "-p": _PORTS, "--exclude-ports": _PORTS, "--top-ports": _INT, "--port-ratio": re.compile(r"^0?\.\d+$"),
    "--version-intensity": re.compile(r"^[0-9]$"), "--max-retries": _INT, "--host-timeout": _TIME,
    "--max-rtt-timeout": _TIME, "--min-rtt-timeout": _TIME, "--initial-rtt-timeout": _TIME,
    "--scan-delay": _TIME, "--max-scan-delay": _TIME, "--max-rate": _INT, "--min-rate": _INT,
    "--min-parallelism": _INT, "--max-parallelism": _INT, "--min-hostgroup": _INT,
    "--max-hostgroup": _INT, "--max-os-tries": _INT, "-e": _IFACE, "--script-timeout": _TIME,
    "--script-args": _SCRIPT_ARGS, "--script": re.compile(r"^[A-Za-z0-9_,-]{1,512}$"),
    "--ttl": _INT, "--data-length": _INT,
}
_PING_PORTS = re.compile(r"^-P[SAUYO]([0-9,\-]*)$")
_TIMING = re.compile(r"^-T([0-5])$")
_SCRIPT_DB = ("/usr/share/nmap/scripts/script.db", "/usr/local/share/nmap/scripts/script.db")
SAFE_SCRIPT_CATEGORIES = {"safe", "version", "default", "discovery"}
UNSAFE_SCRIPT_CATEGORIES = {"broadcast", "external", "intrusive", "dos", "exploit", "brute",
                            "fuzzer", "malware"}
NEEDS_ROOT = {"-sS", "-sU", "-sA", "-sW", "-sM", "-sN", "-sF", "-sX", "-sY", "-sZ", "-sO", "-O",
              "-PE", "-PP", "-PM", "-PR", "--send-eth", "--send-ip"}
SCAN_TYPES = {"-sS", "-sT", "-sU", "-sA", "-sW", "-sM", "-sN", "-sF", "-sX", "-sY", "-sZ", "-sO"}
_PORT_SELECTION = {"-p", "--top-ports", "-F", "--port-ratio"}


class NmapArgsError(ScannerUnavailable):
    """User-supplied nmap arguments that are malformed or not allowed (one-line message)."""


@dataclass
class UserArgs:
    """Checked user arguments, split into what the command builder needs to know."""

    tokens: list[str] = field(default_factory=list)     # everything except timing and rate
    timing: int | None = None
    max_rate: int | None = None
    min_rate: int | None = None

    def has(self, *names: str) -> bool:
        return any(t == n or t.startswith(n + "=") for t in self.tokens for n in names)


@lru_cache(maxsize=1)
def script_categories() -> dict[str, frozenset[str]]:
    """Script name -> categories, read from nmap's script.db (empty when not found)."""
    entry = re.compile(r'filename\s*=\s*"([^"]+)\.nse"\s*,\s*categories\s*=\s*\{([^}]*)\}')
    for path in _SCRIPT_DB:
        p = Path(path)
        if p.is_file():
            found: dict[str, frozenset[str]] = {}
            for match in entry.finditer(p.read_text(errors="replace")):
                found[match.group(1)] = frozenset(re.findall(r'"([^"]+)"', match.group(2)))
            return found
    return {}


def _check_scripts(value: str) -> None:
    known = script_categories()
    for name in value.split(","):
        if not name:
            raise NmapArgsError("--script: empty script name")
        if name in SAFE_SCRIPT_CATEGORIES | UNSAFE_SCRIPT_CATEGORIES or name == "all":
            raise NmapArgsError(f"--script {name}: name scripts one by one, not by category")
        if name not in known:
            raise NmapArgsError(f"--script {name}: no such nmap script (only installed script names)")
        bad = known[name] & UNSAFE_SCRIPT_CATEGORIES
        if bad or name.startswith(("broadcast-", "targets-")):
            why = ", ".join(sorted(bad)) or "broadcast"
            raise NmapArgsError(f"--script {name}: {why} scripts are not allowed")


def _split(text: str) -> list[str]:
    try:
        return shlex.split(text)
    except ValueError as exc:
        raise NmapArgsError(f"--nmap-args: cannot parse ({exc})") from None


def check_user_args(text: str | None) -> UserArgs:
    """Validate ``--nmap-args``; raise NmapArgsError naming the first offending option."""
    result = UserArgs()
    if not text or not text.strip():
        return result
    if len(text) > 2048:
        raise NmapArgsError("--nmap-args: longer than 2048 characters")
    tokens = _split(text)
    i = 0
    while i < len(tokens):
        tok = tokens[i]
        name, eq, inline = tok.partition("=") if tok.startswith("--") else (tok, "", "")
        if any(ord(c) < 32 for c in tok):
            raise NmapArgsError("--nmap-args: control characters are not allowed")
        if not tok.startswith("-"):
            raise NmapArgsError(f"--nmap-args: {tok!r} is not an option; targets come from the scan scope")
        forbidden = next((f for f in FORBIDDEN if name == f or (len(f) == 3 and tok.startswith(f))), None)
        if forbidden or tok.startswith("-o"):
            reason = FORBIDDEN.get(forbidden or "", "output is captured by netdiscover")
            raise NmapArgsError(f"--nmap-args: {forbidden or tok} is not allowed ({reason})")
        timing = _TIMING.match(tok)
        if timing:
            result.timing = int(timing.group(1))
            i += 1
            continue
        if tok in FLAGS or _PING_PORTS.match(tok):
            ping = _PING_PORTS.match(tok)
            if ping and ping.group(1) and not _PORTS.match(ping.group(1)):
                raise NmapArgsError(f"--nmap-args: bad port list in {tok}")
            result.tokens.append(tok)
            i += 1
            continue
        if name in VALUE_OPTS or (tok.startswith("-p") and not tok.startswith("--")):
            if name in VALUE_OPTS:
                value = inline if eq else (tokens[i + 1] if i + 1 < len(tokens) else None)
                step = 1 if eq else 2
            else:                       # -p80,443 written without a space
                name, value, step = "-p", tok[2:], 1
            if value is None or not VALUE_OPTS[name].match(value):
                raise NmapArgsError(f"--nmap-args: {name} needs a valid value (got {value!r})")
            if name == "--script":
                _check_scripts(value)
            if name == "--max-rate":
                result.max_rate = int(value)
            elif name == "--min-rate":
                result.min_rate = int(value)
            else:
                result.tokens += [name, value]
            i += step
            continue
        raise NmapArgsError(f"--nmap-args: option {tok} is not on netdiscover's allowed list")
    return result


def timing_for_rate(rate: int | None) -> int:
    """The nmap timing template (-T) that suits a packet-rate bound."""
    if rate is None or rate >= 1000:
        return 4
    if rate >= 100:
        return 3
    return 2


def _profile_args(profile: str, privileged: bool) -> tuple[list[str], list[str]]:
    notes: list[str] = []
    if profile == "quick":
        # The asset-management port list, not nmap's generic top 100: that one misses MQTT, RTSP
        # alternatives and other device ports that say what a thing is.
        return ["-p", COMMON_TCP], notes
    if profile == "standard":
        if privileged:
            return ["-sS", "-sU", "-sV", "-p", f"T:{COMMON_TCP},U:{COMMON_UDP}"], notes
        notes.append("UDP ports need root: standard profile scans TCP only")
        return ["-sT", "-sV", "-p", COMMON_TCP], notes
    if profile == "deep":
        high = ",".join(p for p in COMMON_TCP.split(",") if int(p) > 1024)
        ports = f"T:1-1024,{high}"
        if privileged:
            return ["-sS", "-sU", "-sV", "-O", "-p", f"{ports},U:{DEEP_UDP}"], notes
        notes.append("OS detection (-O) and UDP need root: deep profile runs -sV on TCP without them")
        return ["-sT", "-sV", "-p", ports.replace("T:", "")], notes
    raise NmapArgsError(f"unknown nmap profile {profile!r}; choose from {', '.join(PROFILES)}")


def _without(args: list[str], drop: Iterable[str], with_value: Iterable[str] = ()) -> list[str]:
    drop, with_value = set(drop), set(with_value)
    out: list[str] = []
    skip = False
    for tok in args:
        if skip:
            skip = False
            continue
        if tok in with_value:
            skip = True
            continue
        if tok not in drop:
            out.append(tok)
    return out


@dataclass
class Command:
    """The nmap arguments for every chunk (targets and -6 are added per chunk)."""

    args: list[str]
    notes: list[str]


def build_command(profile: str, user_text: str | None = None, rate: int | None = None,
                  privileged: bool = True, parallel: int = 1, interface: str | None = None,
                  timeout: float | None = None, retries: int | None = None) -> Command:
    """Profile + checked user args + rate/timing bound -> one nmap argument list.

    ``rate`` is the whole scan's packet-rate bound; with ``parallel`` chunks at once each nmap
    gets an equal share. User -T/--max-rate may only slow the scan down, never past the bound.
    """
    user = check_user_args(user_text)
    args, notes = _profile_args(profile, privileged)
    if user.has(*_PORT_SELECTION) or "-sn" in user.tokens:
        args = _without(args, (), {"-p", "--top-ports"})
        if not any("U:" in t for t in user.tokens):
            args = _without(args, {"-sU"})      # the user picked TCP ports only
    if "-sn" in user.tokens:
        args = _without(args, {"-sS", "-sU", "-sV", "-O"})
    if any(t in SCAN_TYPES for t in user.tokens):
        args = _without(args, SCAN_TYPES)
    tokens = list(user.tokens)
    if not privileged:
        dropped = [t for t in tokens if t in NEEDS_ROOT or (_PING_PORTS.match(t) and not t.startswith("-PS"))]
        if dropped:
            notes.append(f"{' '.join(sorted(set(dropped)))} need root: running without them")
            tokens = [t for t in tokens if t not in dropped]
    args += tokens
    if "-R" not in args and "--system-dns" not in args:
        args.append("-n")
    bound_t = timing_for_rate(rate)
    args.append(f"-T{min(user.timing, bound_t) if user.timing is not None else bound_t}")
    share = None if rate is None else max(1, rate // max(1, parallel))
    max_rate = user.max_rate
    if share is not None:
        max_rate = share if max_rate is None else min(max_rate, share)
    if max_rate is not None:
        args += ["--max-rate", str(max_rate)]
    if user.min_rate is not None:
        args += ["--min-rate", str(min(user.min_rate, max_rate) if max_rate else user.min_rate)]
    if interface and "-e" not in args:
        args += ["-e", interface]
    if timeout is not None and "--max-rtt-timeout" not in args:
        args += ["--max-rtt-timeout", f"{max(1, int(timeout * 1000))}ms"]
    if retries is not None and "--max-retries" not in args:
        args += ["--max-retries", str(max(0, int(retries)))]
    return Command(args=args, notes=notes)


def detects_services(profile: str, user_text: str | None = None) -> bool:
    """Whether nmap runs of ``profile`` with these user arguments report products and banners
    (service detection ``-sV`` or named scripts); False when the arguments would be refused."""
    try:
        args = build_command(profile, user_text).args
    except NmapArgsError:
        return False
    return "-sV" in args or "--script" in args


def found_host_args(args: list[str]) -> list[str]:
    """The arguments for hosts ARP has just found: nmap's own host discovery skipped (-Pn), unless
    the user chose how hosts are discovered or asked for discovery only (-sn)."""
    if any(a == "-sn" or (a.startswith("-P") and len(a) > 2) for a in args):
        return list(args)
    return [*args, "-Pn"]
