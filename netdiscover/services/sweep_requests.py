"""Sweeps asked for over the web: checked and queued for the daemon or a worker (nothing is
scanned here), and the latest requests listed."""

from __future__ import annotations

from typing import Any

import netaddr
from sqlalchemy.orm import Session

from netdiscover.observation import clean_text
from netdiscover.services.errors import OperationError
from netdiscover.storage.auth_models import SweepRequest
from netdiscover.storage.sweep_requests import add_request, latest_requests
from netdiscover.vocabulary import SCAN_METHODS


def queue_sweep(session: Session, targets: list[str], methods: list[str] | None, profile: str | None,
                note: str | None, by: str) -> dict[str, Any]:
    """Record a sweep request for the daemon or a worker; nothing is scanned here (caller commits)."""
    if not targets or len(targets) > 256:
        raise OperationError("targets: give 1 to 256 networks or addresses")
    clean = []
    for target in targets:
        try:
            clean.append(str(netaddr.IPNetwork(str(target).strip()).cidr))
        except (netaddr.AddrFormatError, ValueError, TypeError):
            raise OperationError(f"target {clean_text(target, 60)!r} is not an IP or CIDR") from None
    methods = list(dict.fromkeys(methods or ["arp"]))
    for m in methods:
        if m not in SCAN_METHODS:
            raise OperationError(f"method {clean_text(m, 20)!r} is not one of {', '.join(SCAN_METHODS)}")
    if profile is not None and (len(profile) > 64 or not profile.replace("-", "").replace("_", "").isalnum()):
        raise OperationError("profile: letters, digits, - and _ only (at most 64)")
    row = add_request(session, targets=clean, methods=methods, profile=profile,
                      note=clean_text(note, 2000), requested_by=clean_text(by, 128))
    return sweep_request_dict(row)


def sweep_request_dict(row: SweepRequest) -> dict[str, Any]:
    """A sweep request as plain data."""
    return {"id": row.id, "status": row.status, "targets": list(row.targets or []),
            "methods": list(row.methods or []), "profile": row.profile, "note": row.note,
            "requested_by": row.requested_by,
            "requested_at": row.requested_at.isoformat() if row.requested_at else None,
            "scan_id": row.scan_id, "error": row.error}


def sweep_requests(session: Session, limit: int = 50) -> list[dict[str, Any]]:
    """The latest sweep requests, newest first."""
    return [sweep_request_dict(r) for r in latest_requests(session, limit)]
