"""The settings file (TOML) for the daemon and scheduled sweeps, plus environment overrides.

``load_settings(path)`` reads and checks the whole file and returns ``Settings``, or raises
``SettingsError`` whose message is one line starting with ``file:line:column``. Unknown keys
are errors (a typo must not silently disable a setting). ``NETDISCOVER_DB`` overrides
``[database] url``. Credentials live in ``[credentials.NAME]`` tables, inline or in a separate
file (``file = "path"``) readable only by the daemon's user; a world-readable secret gives a
warning in ``Settings.warnings``. Secrets never appear in any repr.
"""

from __future__ import annotations

import os
import re
import stat
import tomllib
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from netdiscover.credentials import CredentialError, SnmpCredential, communities, parse_v3
from netdiscover.daemon.schedule import Schedule, ScheduleError, parse_window, validate_cron
from netdiscover.durations import DurationError, parse_duration
from netdiscover.scanners import SCANNERS, option_problem
from netdiscover.scanners.nmap import PROFILES as NMAP_PROFILES

ENV_DB = "NETDISCOVER_DB"
LOG_FORMATS = ("text", "json")
STOP_MODES = ("abort", "finish")
NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")

_TOP_KEYS = {"database", "sweep", "credentials", "alerts", "fingerprint", "daemon", "listen"}
_SWEEP_KEYS = {"name", "targets", "exclude", "methods", "interface", "every", "cron", "window",
               "credentials", "nmap_profile", "nmap_args", "rate", "jitter", "options", "enabled", "site"}
_CRED_KEYS = {"snmp_communities", "snmp_v1_communities", "snmp_v3", "file"}
_DAEMON_KEYS = {"metrics_port", "metrics_address", "log_format", "state", "max_parallel",
                "db_retry_max", "on_stop", "stop_timeout", "disappear_after_misses", "disappear_after",
                "broker", "request_poll"}
_LISTEN_KEYS = {"interfaces", "site", "flush"}
MAX_INTERFACE = 15                    # Linux IFNAMSIZ - 1


class SettingsError(ValueError):
    """A settings file that cannot be used; ``str()`` is one line beginning ``file:line:col:``."""

    def __init__(self, message: str, path: str | os.PathLike | None = None,
                 line: int | None = None, column: int | None = None) -> None:
        self.path = str(path) if path is not None else None
        self.line = line
        self.column = column
        self.reason = message
        where = self.path or "<settings>"
        if line is not None:
            where += f":{line}"
            if column is not None:
                where += f":{column}"
        super().__init__(f"{where}: {message}")


@dataclass(frozen=True)
class SweepSettings:
    """One named, scheduled sweep."""

    name: str
    targets: list[str]
    schedule: Schedule
    exclude: list[str] = field(default_factory=list)
    methods: list[str] = field(default_factory=lambda: ["arp"])
    interface: str | None = None
    credentials_name: str | None = None
    credentials: list[SnmpCredential] = field(default_factory=list, repr=False)
    nmap_profile: str = "quick"
    nmap_args: str | None = None
    rate: int | None = None
    options: dict[str, Any] = field(default_factory=dict)
    enabled: bool = True
    site: str | None = None               # sent to this site's collector instead of run here


@dataclass(frozen=True)
class DaemonSettings:
    """The ``[daemon]`` table."""

    metrics_port: int | None = None
    metrics_address: str = "127.0.0.1"
    log_format: str = "text"
    state: str | None = None              # JSON file where the daemon publishes its schedule
    max_parallel: int = 2                 # different sweeps running at the same time
    db_retry_max: float = 300.0           # seconds; cap of the database retry backoff
    on_stop: str = "abort"                # SIGTERM: abort the running sweep, or let it finish
    stop_timeout: float = 60.0            # seconds to wait for sweeps on shutdown
    # A device missed by sweeps that could have seen it is disappeared only after both
    # (netdiscover.reconcile.absence): this many such sweeps in a row, and this long unseen.
    disappear_after_misses: int = 2
    disappear_after: float = 3600.0       # seconds
    broker: str | None = None             # Celery broker URL for sweeps with a site (workers.dispatch)
    request_poll: float = 5.0             # seconds between looks at the web's sweep queue (0 = off)


@dataclass(frozen=True)
class ListenSettings:
    """One ``[[listen]]`` table: passive listening the daemon keeps running beside its schedule."""

    interfaces: list[str]
    site: str | None = None
    flush: float = 30.0                   # seconds between stores of what was heard


@dataclass
class Settings:
    """A loaded, checked settings file."""

    path: str | None
    database_url: str | None = None
    sweeps: list[SweepSettings] = field(default_factory=list)
    credentials: dict[str, list[SnmpCredential]] = field(default_factory=dict, repr=False)
    alerts: dict[str, Any] = field(default_factory=dict, repr=False)
    fingerprint_rules: str | None = None
    daemon: DaemonSettings = field(default_factory=DaemonSettings)
    listens: list[ListenSettings] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def sweep(self, name: str) -> SweepSettings | None:
        """The sweep called ``name``, or None."""
        return next((s for s in self.sweeps if s.name == name), None)


class _Locator:
    """Best-effort line/column of a key in the TOML source (tomllib keeps no positions)."""

    def __init__(self, text: str) -> None:
        self.lines = text.splitlines()

    def _section_start(self, header: str, occurrence: int = 0) -> int | None:
        pattern = re.compile(r"^\s*" + re.escape(header) + r"\s*(#.*)?$")
        seen = 0
        for i, line in enumerate(self.lines):
            if pattern.match(line):
                if seen == occurrence:
                    return i
                seen += 1
        return None

    def find(self, header: str | None, key: str | None = None, occurrence: int = 0) -> tuple[int, int] | None:
        """(line, column), 1-based, of ``key`` inside the section ``header`` (or the header itself)."""
        start = 0
        if header is not None:
            found = self._section_start(header, occurrence)
            if found is None:
                return None
            if key is None:
                return found + 1, self.lines[found].index("[") + 1
            start = found + 1
        if key is None:
            return None
        key_re = re.compile(r"^(\s*)(" + re.escape(key) + r'|"' + re.escape(key) + r'")\s*=')
        for i in range(start, len(self.lines)):
            line = self.lines[i]
            if header is not None and re.match(r"^\s*\[", line):
                break
            match = key_re.match(line)
            if match:
                return i + 1, len(match.group(1)) + 1
        return None


def _toml_error(exc: tomllib.TOMLDecodeError, path: str) -> SettingsError:
    text = str(exc)
    line = getattr(exc, "lineno", None)
    col = getattr(exc, "colno", None)
    match = re.search(r"\s*\(at line (\d+), column (\d+)\)\s*$", text)
    if match:
        line, col = int(match.group(1)), int(match.group(2))
        text = text[: match.start()]
    elif re.search(r"\(at end of document\)", text):
        line = text.count("\n") + 1 if line is None else line
        text = text.replace("(at end of document)", "").strip()
    return SettingsError(f"not valid TOML: {text.strip()}", path, line, col)


class _Reader:
    """Turns the raw TOML dict into Settings, raising SettingsError with positions."""

    def __init__(self, path: Path, text: str) -> None:
        self.path = path
        self.loc = _Locator(text)
        self.warnings: list[str] = []

    def fail(self, message: str, header: str | None = None, key: str | None = None,
             occurrence: int = 0) -> SettingsError:
        pos = self.loc.find(header, key, occurrence)
        if pos is None and header is not None:
            pos = self.loc.find(header, None, occurrence)
        line, col = pos if pos else (None, None)
        return SettingsError(message, self.path, line, col)

    def check_keys(self, table: dict, allowed: set[str], header: str | None, what: str,
                   occurrence: int = 0) -> None:
        for key in table:
            if key not in allowed:
                raise self.fail(f"unknown key {key!r} in {what} (known: {', '.join(sorted(allowed))})",
                                header, key, occurrence)

    # -- sections ---------------------------------------------------------------------------
    def read(self, raw: dict[str, Any]) -> Settings:
        self.check_keys(raw, _TOP_KEYS, None, "the settings file")
        settings = Settings(path=str(self.path))
        db = self.table(raw, "database", "[database]")
        self.check_keys(db, {"url"}, "[database]", "[database]")
        if "url" in db:
            settings.database_url = self.string(db["url"], "[database]", "url")
        if os.environ.get(ENV_DB):
            settings.database_url = os.environ[ENV_DB]

        settings.credentials = self.read_credentials(raw.get("credentials", {}))
        settings.sweeps = self.read_sweeps(raw.get("sweep", []), settings.credentials)
        settings.alerts = self.table(raw, "alerts", "[alerts]")
        self.check_alerts(settings.alerts)
        fp = self.table(raw, "fingerprint", "[fingerprint]")
        self.check_keys(fp, {"rules"}, "[fingerprint]", "[fingerprint]")
        if "rules" in fp:
            settings.fingerprint_rules = str(self.resolve(self.string(fp["rules"], "[fingerprint]", "rules")))
        settings.daemon = self.read_daemon(self.table(raw, "daemon", "[daemon]"))
        settings.listens = self.read_listens(raw.get("listen", []))
        sited = next((i for i, sw in enumerate(settings.sweeps) if sw.site), None)
        if sited is not None and not settings.daemon.broker:
            raise self.fail(f"sweep {settings.sweeps[sited].name!r} has a site: [daemon] needs "
                            "broker = \"amqp://...\" (or NETDISCOVER_BROKER)", "[[sweep]]", "site", sited)
        settings.warnings = self.warnings
        return settings

    def check_alerts(self, table: dict) -> None:
        """Let the alerts module vet its own table now, so a mistake shows at load time."""
        try:
            from netdiscover.daemon.alerts import parse_settings as parse_alerts
        except ImportError:
            return
        try:
            parse_alerts(table)
        except ValueError as exc:
            raise self.fail(f"[alerts]: {exc}", "[alerts]") from None

    def table(self, raw: dict, key: str, header: str) -> dict:
        value = raw.get(key, {})
        if not isinstance(value, dict):
            raise self.fail(f"{header} must be a table", None, key)
        return value

    def string(self, value: Any, header: str | None, key: str, occurrence: int = 0) -> str:
        if not isinstance(value, str) or not value.strip():
            raise self.fail(f"{key} must be a non-empty string", header, key, occurrence)
        return value.strip()

    def strings(self, value: Any, header: str | None, key: str, occurrence: int = 0) -> list[str]:
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
            raise self.fail(f"{key} must be a list of strings", header, key, occurrence)
        return [v.strip() for v in value]

    def number(self, value: Any, header: str | None, key: str, occurrence: int = 0,
               minimum: float = 0, integer: bool = False) -> float:
        ok = isinstance(value, int) if integer else isinstance(value, int | float)
        if isinstance(value, bool) or not ok or value < minimum:
            kind = "an integer" if integer else "a number"
            raise self.fail(f"{key} must be {kind} >= {minimum:g}", header, key, occurrence)
        return value

    def seconds(self, value: Any, header: str | None, key: str, occurrence: int = 0) -> float:
        try:
            return parse_duration(value, zero_ok=True).total_seconds()
        except DurationError as exc:
            raise self.fail(f"{key}: {exc}", header, key, occurrence) from None

    def resolve(self, name: str) -> Path:
        candidate = Path(name).expanduser()
        return candidate if candidate.is_absolute() else self.path.parent / candidate

    # -- credentials ----------------------------------------------------------------------------
    def read_credentials(self, raw: Any) -> dict[str, list[SnmpCredential]]:
        if not isinstance(raw, dict):
            raise self.fail("[credentials] must hold tables like [credentials.office]", None, "credentials")
        result: dict[str, list[SnmpCredential]] = {}
        inline_secrets = False
        for name, table in raw.items():
            header = f"[credentials.{name}]"
            if not isinstance(table, dict):
                raise self.fail(f"credentials.{name} must be a table", None, "credentials")
            self.check_keys(table, _CRED_KEYS, header, header)
            if "file" in table:
                if len(table) > 1:
                    raise self.fail(f"{header}: use either file = ... or inline values, not both",
                                    header, "file")
                target = self.resolve(self.string(table["file"], header, "file"))
                table, where = self.read_secret_file(target, header)
            else:
                where = (header, None)
                inline_secrets = inline_secrets or bool(table)
            result[name] = self.parse_credential_table(table, name, where)
        if inline_secrets:
            self.warn_if_world_readable(self.path, "holds inline credentials")
        return result

    def read_secret_file(self, target: Path, header: str) -> tuple[dict, tuple]:
        try:
            text = target.read_text(encoding="utf-8")
        except OSError as exc:
            raise self.fail(f"cannot read credentials file {target}: {exc.strerror}",
                            header, "file") from None
        try:
            data = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            raise _toml_error(exc, str(target)) from None
        self.warn_if_world_readable(target, "holds credentials")
        bad = set(data) - (_CRED_KEYS - {"file"})
        if bad:
            key = sorted(bad)[0]
            pos = _Locator(text).find(None, key)
            raise SettingsError(f"unknown key {key!r} in credentials file", target,
                                *(pos or (None, None)))
        return data, (str(target), text)

    def parse_credential_table(self, table: dict, name: str, where: tuple) -> list[SnmpCredential]:
        def fail(message: str, key: str) -> SettingsError:
            if where[1] is None:
                return self.fail(message, where[0], key)
            pos = _Locator(where[1]).find(None, key)
            return SettingsError(message, where[0], *(pos or (None, None)))

        creds: list[SnmpCredential] = []
        for key, version in (("snmp_communities", "2c"), ("snmp_v1_communities", "1")):
            values = table.get(key, [])
            if not isinstance(values, list) or not all(isinstance(v, str) and v for v in values):
                raise fail(f"credentials {name!r}: {key} must be a list of strings", key)
            for cred in communities(values, version):
                creds.append(SnmpCredential(version=cred.version, community=cred.community,
                                            label=f"{name}:{cred.label}"))
        v3 = table.get("snmp_v3", [])
        if isinstance(v3, str):
            v3 = [v3]
        if not isinstance(v3, list):
            raise fail(f"credentials {name!r}: snmp_v3 must be a list of \"user:sha/key:aes/key\"", "snmp_v3")
        for spec in v3:
            try:
                cred = parse_v3(spec if isinstance(spec, str) else "")
            except CredentialError as exc:
                # The message of CredentialError never quotes the secret itself.
                raise fail(f"credentials {name!r}: {exc}", "snmp_v3") from None
            creds.append(replace(cred, label=f"{name}:{cred.label}"))
        return creds

    def warn_if_world_readable(self, target: Path, what: str) -> None:
        try:
            mode = target.stat().st_mode
        except OSError:
            return
        if mode & stat.S_IROTH:
            self.warnings.append(
                f"{target} {what} and is readable by every user; run: chmod 600 {target}")

    # -- sweeps ---------------------------------------------------------------------------------
    def read_sweeps(self, raw: Any, creds: dict[str, list[SnmpCredential]]) -> list[SweepSettings]:
        if not isinstance(raw, list):
            raise self.fail("sweeps are written as [[sweep]] tables", None, "sweep")
        sweeps: list[SweepSettings] = []
        for i, table in enumerate(raw):
            header = "[[sweep]]"
            self.check_keys(table, _SWEEP_KEYS, header, "[[sweep]]", i)
            sweeps.append(self.read_sweep(table, i, creds))
        names = [s.name for s in sweeps]
        for i, name in enumerate(names):
            if name in names[:i]:
                raise self.fail(f"two sweeps are called {name!r}; sweep names must be unique",
                                "[[sweep]]", "name", i)
        return sweeps

    def read_sweep(self, t: dict, i: int, creds: dict[str, list[SnmpCredential]]) -> SweepSettings:
        h = "[[sweep]]"
        if "name" not in t:
            raise self.fail("every [[sweep]] needs a name", h, None, i)
        name = self.string(t["name"], h, "name", i)
        if not NAME_RE.match(name):
            raise self.fail(f"sweep name {name!r}: use letters, digits, '.', '_' or '-' (max 64)",
                            h, "name", i)
        what = f"sweep {name!r}"

        if "targets" not in t:
            raise self.fail(f"{what} needs targets", h, "name", i)
        targets = self.strings(t["targets"], h, "targets", i)
        exclude = self.strings(t.get("exclude", []), h, "exclude", i) if "exclude" in t else []
        problem = _check_scope(targets, exclude)
        if problem:
            raise self.fail(f"{what}: {problem}", h, problem.split(":", 1)[0], i)

        methods = self.strings(t.get("methods", ["arp"]), h, "methods", i)
        for method in methods:
            if method not in SCANNERS:
                raise self.fail(f"{what}: unknown method {method!r} (choose from "
                                f"{', '.join(SCANNERS)})", h, "methods", i)

        if ("every" in t) == ("cron" in t):
            raise self.fail(f"{what} needs exactly one of every = \"15m\" or cron = \"0 */4 * * *\"",
                            h, "every" if "every" in t else "name", i)
        try:
            every = parse_duration(t["every"]) if "every" in t else None
        except DurationError as exc:
            raise self.fail(f"{what}: every: {exc}", h, "every", i) from None
        try:
            cron = validate_cron(t["cron"]) if "cron" in t else None
        except ScheduleError as exc:
            raise self.fail(f"{what}: cron: {exc}", h, "cron", i) from None
        try:
            window = parse_window(t["window"]) if "window" in t else None
        except ScheduleError as exc:
            raise self.fail(f"{what}: window: {exc}", h, "window", i) from None
        jitter = None
        if "jitter" in t:
            from datetime import timedelta

            jitter = timedelta(seconds=self.seconds(t["jitter"], h, "jitter", i))

        site = self.string(t["site"], h, "site", i) if "site" in t else None
        if site is not None and not NAME_RE.match(site):
            raise self.fail(f"{what}: site {site!r}: use letters, digits, '.', '_' or '-' (max 64)",
                            h, "site", i)
        cred_name = None
        cred_list: list[SnmpCredential] = []
        if "credentials" in t:
            cred_name = self.string(t["credentials"], h, "credentials", i)
            if site is None and cred_name not in creds:   # a site's collector resolves its own
                known = ", ".join(sorted(creds)) or "none defined"
                raise self.fail(f"{what}: credentials {cred_name!r} has no [credentials.{cred_name}] "
                                f"table ({known})", h, "credentials", i)
            cred_list = list(creds.get(cred_name, []))

        profile = self.string(t.get("nmap_profile", "quick"), h, "nmap_profile", i)
        if profile not in NMAP_PROFILES:
            raise self.fail(f"{what}: nmap_profile must be one of {', '.join(NMAP_PROFILES)}",
                            h, "nmap_profile", i)
        options = t.get("options", {})
        if not isinstance(options, dict):
            raise self.fail(f"{what}: options must be a table", h, "options", i)
        problem = option_problem(methods, options)
        if problem:
            raise self.fail(f"{what}: {problem}", h, "options", i)
        enabled = t.get("enabled", True)
        if not isinstance(enabled, bool):
            raise self.fail(f"{what}: enabled must be true or false", h, "enabled", i)
        return SweepSettings(
            name=name, targets=targets, exclude=exclude, methods=methods,
            interface=self.string(t["interface"], h, "interface", i) if "interface" in t else None,
            schedule=Schedule(every=every, cron=cron, window=window, jitter=jitter),
            credentials_name=cred_name, credentials=cred_list,
            nmap_profile=profile,
            nmap_args=self.string(t["nmap_args"], h, "nmap_args", i) if "nmap_args" in t else None,
            rate=int(self.number(t["rate"], h, "rate", i, 1, integer=True)) if "rate" in t else None,
            options=dict(options), enabled=enabled, site=site,
        )

    # -- passive listening ------------------------------------------------------------------------
    def read_listens(self, raw: Any) -> list[ListenSettings]:
        if not isinstance(raw, list):
            raise self.fail("listening is written as [[listen]] tables", None, "listen")
        h = "[[listen]]"
        listens: list[ListenSettings] = []
        taken: set[str] = set()
        for i, t in enumerate(raw):
            self.check_keys(t, _LISTEN_KEYS, h, h, i)
            if "interfaces" not in t:
                raise self.fail("every [[listen]] needs interfaces = [\"eth0\", ...]", h, None, i)
            interfaces = list(dict.fromkeys(self.strings(t["interfaces"], h, "interfaces", i)))
            if not interfaces:
                raise self.fail("interfaces must name at least one interface", h, "interfaces", i)
            for name in interfaces:
                if len(name) > MAX_INTERFACE or "/" in name or any(c.isspace() for c in name):
                    raise self.fail(f"interface {name!r} is not a valid interface name", h, "interfaces", i)
                if name in taken:
                    raise self.fail(f"interface {name!r} is listened on twice", h, "interfaces", i)
                taken.add(name)
            site = self.string(t["site"], h, "site", i) if "site" in t else None
            if site is not None and not NAME_RE.match(site):
                raise self.fail(f"site {site!r}: use letters, digits, '.', '_' or '-' (max 64)", h, "site", i)
            flush = self.seconds(t["flush"], h, "flush", i) if "flush" in t else 30.0
            if not 1.0 <= flush <= 86400.0:
                raise self.fail("flush must be between 1s and 1d", h, "flush", i)
            listens.append(ListenSettings(interfaces=interfaces, site=site, flush=flush))
        return listens

    # -- daemon -----------------------------------------------------------------------------------
    def read_daemon(self, t: dict) -> DaemonSettings:
        h = "[daemon]"
        self.check_keys(t, _DAEMON_KEYS, h, h)
        port = None
        if "metrics_port" in t:
            port = int(self.number(t["metrics_port"], h, "metrics_port", minimum=0, integer=True))
            if port > 65535:
                raise self.fail("metrics_port must be 0-65535 (0 = off)", h, "metrics_port")
            port = port or None
        fmt = t.get("log_format", "text")
        if fmt not in LOG_FORMATS:
            raise self.fail(f"log_format must be one of {', '.join(LOG_FORMATS)}", h, "log_format")
        on_stop = t.get("on_stop", "abort")
        if on_stop not in STOP_MODES:
            raise self.fail(f"on_stop must be one of {', '.join(STOP_MODES)}", h, "on_stop")
        state = str(self.resolve(self.string(t["state"], h, "state"))) if "state" in t else None
        return DaemonSettings(
            metrics_port=port,
            metrics_address=self.string(t.get("metrics_address", "127.0.0.1"), h, "metrics_address"),
            log_format=fmt, state=state,
            max_parallel=int(self.number(t.get("max_parallel", 2), h, "max_parallel", minimum=1,
                                         integer=True)),
            db_retry_max=self.seconds(t["db_retry_max"], h, "db_retry_max") if "db_retry_max" in t else 300.0,
            on_stop=on_stop,
            stop_timeout=self.seconds(t["stop_timeout"], h, "stop_timeout") if "stop_timeout" in t else 60.0,
            disappear_after_misses=int(self.number(t.get("disappear_after_misses", 2), h,
                                                   "disappear_after_misses", minimum=1, integer=True)),
            disappear_after=(self.seconds(t["disappear_after"], h, "disappear_after")
                             if "disappear_after" in t else 3600.0),
            broker=(self.string(t["broker"], h, "broker") if "broker" in t
                    else os.environ.get("NETDISCOVER_BROKER") or None),
            request_poll=self.seconds(t["request_poll"], h, "request_poll") if "request_poll" in t else 5.0,
        )


def _check_scope(targets: list[str], exclude: list[str]) -> str | None:
    """Why these targets cannot be swept, or None; hostnames are left to resolve at sweep time."""
    from netdiscover.scope import ScopeError, parse_scope

    literal: dict[str, list[str]] = {"targets": [], "exclude": []}
    for key, specs in (("targets", targets), ("exclude", exclude)):
        for spec in specs:
            try:
                parse_scope([spec], resolve=False)
            except ScopeError as exc:
                if "hostname" in str(exc) and "only addresses" in str(exc):
                    continue
                return f"{key}: {exc}"
            literal[key].append(spec)
    if literal["targets"] and len(literal["targets"]) == len(targets):
        try:
            parse_scope(literal["targets"], literal["exclude"], resolve=False)
        except ScopeError as exc:
            return f"targets: {exc}"
    return None


def load_settings(path: str | os.PathLike) -> Settings:
    """Read, check and return the settings file at ``path`` (raises SettingsError)."""
    target = Path(path).expanduser()
    try:
        text = target.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise SettingsError("no such settings file", target) from None
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) else "not UTF-8 text"
        raise SettingsError(f"cannot read settings file: {reason}", target) from None
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise _toml_error(exc, str(target)) from None
    return _Reader(target.absolute(), text).read(raw)


def parse_settings(text: str, path: str | os.PathLike = "<settings>") -> Settings:
    """Like ``load_settings`` for text already in memory (relative paths resolve from ``path``)."""
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise _toml_error(exc, str(path)) from None
    return _Reader(Path(path).absolute(), text).read(raw)
