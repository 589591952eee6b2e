"""A second, kernel-level reading of the corpus's OS labels, printed beside the scorer's.

The corpus labels OS with product identifiers (351 distinct values for 543 devices: ``ciscosb``,
``poweralert``, ``ees``...), so a device whose sysDescr says it runs Linux is scored wrong when the
fingerprinter answers ``linux``. This reading also accepts the general-purpose kernel or OS that
the recording's own sysDescr names (Linux, Windows, FreeBSD, NetBSD, OpenBSD, SunOS/Solaris,
VxWorks, eCos). It widens what counts as right; it never narrows it, and it is printed as its own
figure, never in place of the scorer's.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from types import ModuleType
from typing import Any

KERNELS = tuple((name, re.compile(pattern, re.I)) for name, pattern in (
    ("linux", r"\blinux\b"), ("windows", r"\bwindows\b"), ("freebsd", r"\bfreebsd\b"),
    ("netbsd", r"\bnetbsd\b"), ("openbsd", r"\bopenbsd\b"), ("sunos", r"\b(?:sunos|solaris)\b"),
    ("vxworks", r"\bvxworks\b"), ("ecos", r"\becos\b")))


def named_kernels(descr: object) -> set[str]:
    """The kernels a sysDescr names (normalised the scorer's way: lowercase letters and digits)."""
    if not isinstance(descr, str):
        return set()
    return {name for name, pattern in KERNELS if pattern.search(descr[:512])}


def accuracy(scorer: ModuleType, records: Mapping[str, Mapping[str, Any]],
             preds: Sequence[Mapping[str, Any]]) -> float | None:
    """Share of all records whose OS answer is right by the scorer or names the recording's kernel."""
    if not records:
        return None
    right = 0
    for pred in preds:
        record = records.get(pred["file"])
        answer = scorer.norm_os(pred.get("os_family"))
        if record is None or not answer:
            continue
        if answer in scorer.os_aliases(record) or answer in named_kernels(record.get("sysDescr")):
            right += 1
    return round(right / len(records), 4)
