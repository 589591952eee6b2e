"""What ``fingerprint explain`` reads from the database: an asset's stored observations, back in
``Observation.to_dict`` form, from which the fingerprint is derived again."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from netdiscover.observation import clean_text
from netdiscover.storage.asset_observations import observations_of
from netdiscover.storage.assets import find_asset
from netdiscover.storage.evidence import observation_dict


@dataclass(frozen=True)
class AssetObservations:
    """An asset's stored observations, newest first, and a label naming the asset."""

    label: str
    records: list[dict[str, Any]]


def asset_observations(session: Session, key: str, limit: int) -> AssetObservations | None:
    """The latest ``limit`` observations of the asset an id, MAC, IP or hostname names; None when
    no asset matches. Records whose data is not a JSON object are left out."""
    asset = find_asset(session, key)
    if asset is None:
        return None
    label = f"asset {asset.id}"
    extra = [getattr(asset, "hostname", None), getattr(asset, "ip", None)]
    label += "".join(f" {clean_text(x, 80)}" for x in extra if x)
    records = [observation_dict(r.method, r.kind, r.ip, r.mac, r.seen_at, r.data)
               for r in observations_of(session, asset.id, limit)
               if r.data is None or isinstance(r.data, dict)]
    return AssetObservations(label, records)
