"""Reviewers' decisions on discovered assets: approve, ignore, flag as rogue, and undo.

A decision sets ``assets.status`` and appends an asset_event (kind ``approved``, ``ignored`` or
``rogue``) carrying who decided, why, and the status before and after. Decisions live on the
asset, so they survive rescans and changes of IP or MAC; reconciliation never overwrites a
reviewer's status. ``undo`` restores the status before the latest decision not yet undone.
"""

from __future__ import annotations

import getpass
import os
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from netdiscover.observation import clean_text
from netdiscover.services.errors import NotFound, OperationError
from netdiscover.storage.assets import asset_row, existing_ids, set_status
from netdiscover.storage.events import events_for, record_event
from netdiscover.storage.models import Asset, AssetEvent

DECISIONS: dict[str, tuple[str, str]] = {   # decision -> (new status, event kind)
    "approve": ("approved", "approved"),
    "ignore": ("ignored", "ignored"),
    "rogue": ("rogue", "rogue"),
}
DECISION_KINDS = tuple(kind for _, kind in DECISIONS.values())
UNDO_KIND = "review_undone"


class ReviewError(ValueError):
    """A review request that cannot be carried out (unknown asset, nothing to undo)."""


@dataclass(frozen=True)
class Outcome:
    """What one decision did to one asset."""

    asset_id: int
    old_status: str
    new_status: str
    event_id: int


def default_reviewer() -> str:
    """The person behind this command: the sudo caller if any, else the login name."""
    for var in ("SUDO_USER", "USER", "LOGNAME"):
        if os.environ.get(var):
            return os.environ[var]
    try:
        return getpass.getuser()
    except (OSError, KeyError):
        return "unknown"


def _asset(session: Session, asset_id: int) -> Asset:
    asset = asset_row(session, asset_id)
    if asset is None:
        raise ReviewError(f"no asset with id {asset_id}")
    return asset


def _event(session: Session, asset: Asset, kind: str, by: str | None, note: str | None,
           old: dict, new: dict) -> AssetEvent:
    return record_event(session, asset.id, kind, actor=clean_text(by, 128), note=clean_text(note, 2000),
                        old=old, new=new)


def decide(session: Session, decision: str, asset_ids: Iterable[int], by: str | None = None,
           note: str | None = None) -> list[Outcome]:
    """Apply ``decision`` (approve, ignore, rogue) to each asset; all or none (caller commits).

    Raises ReviewError for an unknown decision or asset id, before anything changes.
    """
    if decision not in DECISIONS:
        raise ReviewError(f"unknown decision {decision!r}; choose from {', '.join(DECISIONS)}")
    status, kind = DECISIONS[decision]
    ids = list(dict.fromkeys(asset_ids))
    assets = [_asset(session, i) for i in ids]
    by = by or default_reviewer()
    outcomes = []
    for asset in assets:
        old = asset.status
        set_status(session, asset, status)
        event = _event(session, asset, kind, by, note, {"status": old}, {"status": status})
        outcomes.append(Outcome(asset.id, old, status, event.id))
    return outcomes


def _open_decision(session: Session, asset_id: int) -> AssetEvent | None:
    """The latest decision on ``asset_id`` that no later undo has reverted."""
    events = events_for(session, asset_id, (*DECISION_KINDS, UNDO_KIND))
    stack: list[AssetEvent] = []
    undone = {int((e.new or {}).get("undoes", -1)) for e in events if e.kind == UNDO_KIND}
    for e in events:
        if e.kind in DECISION_KINDS and e.id not in undone:
            stack.append(e)
    return stack[-1] if stack else None


def undo(session: Session, asset_id: int, by: str | None = None, note: str | None = None) -> Outcome:
    """Revert the latest decision on the asset to the status it had before (caller commits)."""
    asset = _asset(session, asset_id)
    last = _open_decision(session, asset_id)
    if last is None:
        raise ReviewError(f"asset {asset_id} has no review decision to undo")
    old = asset.status
    restored = (last.old or {}).get("status") or "undocumented"
    set_status(session, asset, restored)
    event = _event(session, asset, UNDO_KIND, by or default_reviewer(), note,
                   {"status": old}, {"status": restored, "undoes": last.id, "decision": last.kind})
    return Outcome(asset.id, old, restored, event.id)


REVIEW_ACTIONS = (*DECISIONS, "undo")


def review(session: Session, asset_ids: list[int], decision: str, by: str,
           note: str | None) -> list[dict[str, Any]]:
    """Apply a reviewer's decision (approve, ignore, rogue, undo) to assets, as the web takes it:
    bad input raises OperationError, an unknown id NotFound; events carry ``by`` (caller commits)."""
    if decision not in REVIEW_ACTIONS:
        raise OperationError(f"decision must be one of {', '.join(REVIEW_ACTIONS)}")
    if note is not None and len(note) > 2000:
        raise OperationError("note is longer than 2000 characters")
    ids = list(dict.fromkeys(asset_ids))
    known = existing_ids(session, [i for i in ids if 1 <= i <= 2**62])
    for asset_id in ids:
        if asset_id not in known:
            raise NotFound(f"no asset with id {asset_id}")
    try:
        if decision == "undo":
            outcomes = [undo(session, i, by=by, note=note) for i in ids]
        else:
            outcomes = decide(session, decision, ids, by=by, note=note)
    except ReviewError as exc:
        raise OperationError(str(exc)) from None
    return [{"asset_id": o.asset_id, "old_status": o.old_status, "new_status": o.new_status,
             "event_id": o.event_id} for o in outcomes]
