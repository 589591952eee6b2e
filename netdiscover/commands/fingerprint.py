"""``netdiscover fingerprint explain ASSET``: what a device is, how sure, and why.

The fingerprint is derived again from the asset's stored observations (the same pure function
a sweep uses), then printed field by field with its confidence and every piece of evidence,
strongest first, followed by the evidence that disagreed.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from netdiscover.commands.context import UserError

if TYPE_CHECKING:
    from netdiscover.fingerprints.model import Fingerprint
    from netdiscover.observation import Observation

MAX_OBSERVATIONS = 1000


@click.group()
def fingerprint() -> None:
    """Device fingerprints: vendor, model, OS and class with their evidence."""


def _load_rules(rules_path: str | None, settings_path: str | None) -> None:
    from netdiscover.fingerprints.rules import RuleError, load_user_rules

    path = rules_path
    if path is None and settings_path:
        from netdiscover.config import SettingsError, load_settings

        try:
            path = load_settings(settings_path).fingerprint_rules
        except SettingsError as exc:
            raise UserError(str(exc).splitlines()[0]) from None
    if path:
        try:
            load_user_rules(path)
        except RuleError as exc:
            raise UserError(str(exc)) from None


def _from_file(path: str) -> list[Observation]:
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as exc:
        raise UserError(f"cannot read {path}: {exc.strerror or exc}") from None
    except ValueError as exc:
        raise UserError(f"{path} is not JSON: {exc}") from None
    items = data if isinstance(data, list) else [data]
    return _observations(items, path)


def _observations(items: list[Any], where: str) -> list[Observation]:
    from netdiscover.observation import Observation

    found = []
    for item in items[:MAX_OBSERVATIONS]:
        try:
            found.append(Observation.from_dict(item))
        except (TypeError, ValueError, KeyError, AttributeError):
            raise UserError(f"{where}: an entry is not an observation record") from None
    return found


def _from_database(app: Any, key: str) -> tuple[str, list[Observation]]:
    from netdiscover.services.fingerprints import asset_observations

    with app.sessions()() as session:
        found = asset_observations(session, key, MAX_OBSERVATIONS)
    if found is None:
        raise UserError(f"no asset matches {key!r} (give an asset id, MAC or IP)")
    return found.label, _observations(found.records, found.label)


def _safe(value: Any, limit: int = 120) -> str:
    from netdiscover.observation import clean_text

    return clean_text(value, limit) or "-"


def render(label: str, fp: Fingerprint, count: int) -> str:
    """The human-readable explanation."""
    from netdiscover.fingerprints.model import FIELDS

    lines = [f"{label}: fingerprint from {count} observation(s)"]
    for field in FIELDS:
        value = getattr(fp, field)
        if value is None and field not in fp.confidence:
            continue
        conf = fp.confidence.get(field)
        lines.append(f"  {field:<13} {_safe(value, 80):<40} confidence {conf:.2f}" if conf is not None
                     else f"  {field:<13} {_safe(value, 80)}")
    lines.append("evidence (strongest first):")
    if not fp.evidence:
        lines.append("  none: no source recognised anything")
    for ev in sorted(fp.evidence, key=lambda e: -e.weight):
        mark = "  " if ev not in fp.conflicts else "x "
        lines.append(f"  {mark}{ev.weight:.2f}  {ev.source:<6} {_safe(ev.rule, 40):<34} "
                     f"{ev.field}={_safe(ev.value, 60)}  <- {_safe(ev.matched, 90)}")
    if fp.conflicts:
        lines.append("conflicts (outweighed, marked x above):")
        for ev in fp.conflicts:
            lines.append(f"  {ev.field}={_safe(ev.value, 60)} from {ev.source}/{_safe(ev.rule, 40)} "
                         f"({ev.weight:.2f})")
    return "\n".join(lines)


@fingerprint.command()
@click.argument("asset", required=False)
@click.option("--observations", "obs_file", type=click.Path(dir_okay=False), metavar="FILE",
              help="Explain observations from a JSON file (Observation.to_dict records), not the database.")
@click.option("--rules", "rules_path", type=click.Path(dir_okay=False), metavar="FILE",
              help="A user rules file overriding shipped rules.")
@click.option("--settings", "settings_path", type=click.Path(dir_okay=False), metavar="FILE",
              help="Settings file whose [fingerprint] rules key names the user rules file.")
@click.option("--json", "as_json", is_flag=True, help="Print the fingerprint as JSON.")
@click.pass_obj
def explain(app: Any, asset: str | None, obs_file: str | None, rules_path: str | None,
            settings_path: str | None, as_json: bool) -> None:
    """Explain what ASSET (an id, MAC or IP) is: fields, confidence and evidence, strongest first."""
    from netdiscover.fingerprints import fingerprint as derive

    _load_rules(rules_path, settings_path)
    if obs_file:
        label, observations = f"observations in {obs_file}", _from_file(obs_file)
    elif asset:
        label, observations = _from_database(app, asset)
    else:
        raise UserError("give an ASSET (id, MAC or IP) or --observations FILE")
    fp = derive(observations)
    if as_json:
        click.echo(json.dumps(fp.to_dict(), indent=1, ensure_ascii=False))
        return
    click.echo(render(label, fp, len(observations)))
