"""Grouped cross-validation of the fingerprinter on the labelled SNMP corpus (offline).

Folds hold out whole vendors, and separately whole OS families. For every fold the class model
(and its calibration, from an inner grouped split of the training part) is fitted without the
held-out devices. Two readings per grouping:

- ``model refit``: the shipped sysDescr/sysObjectID rules stay (they are written knowledge, not
  fitted), only the learned parts are refitted;
- ``strict``: also drops every rule that fired only on held-out devices (a rule written after
  seeing them could not have been written without them) — the estimate for devices nobody
  here has seen.

With ``recog``, Recog's labelled sysDescr examples are training devices too, less those of the
held-out vendors / OS families (off by default: on this corpus they lowered every held-out
class figure, see the commit that added them).
The vendor/OS calibration tables and the learned weights of each kind of vendor evidence are
refitted per fold too (from the training part only).
Used by ``fingerprint_accuracy.py --cv``; the numbers go through the corpus's own score rules.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from types import ModuleType
from typing import Any

from netdiscover.fingerprints import snmp, training
from netdiscover.fingerprints.class_model import ClassModel
from netdiscover.fingerprints.combine import decide, set_field_calibration

BINS = (0.0, 0.2, 0.4, 0.6, 0.8, 0.9, 1.0001)
FIELDS = ("vendor", "device_class", "os_family")


def calibrated_fit(devices: Sequence[training.Device], part: Sequence[training.Sample], key: str,
                   classes: list[str], extra: Sequence[training.Sample] = (),
                   l2: float = training.L2) -> ClassModel:
    """A model fitted on ``part`` (and ``extra``) with a calibration from ``part``'s own grouped
    held-out predictions."""
    return training.finish(training.fit(part, classes, extra=extra, l2=l2),
                           training.held_out_points(devices, part, key, classes, extra=extra, l2=l2))


def run(devices: Sequence[training.Device], key: str, use_model: bool, scorer: ModuleType,
        k: int = 5, recog: bool = False, nested_l2: bool = False) -> dict[str, list[dict[str, Any]]]:
    """Held-out predictions per reading ("refit", "strict"): file, values and confidences.

    With ``nested_l2`` each outer fold chooses the model's L2 strength from its own training part
    (``training.l2_scores``, inner grouped folds) instead of using ``training.L2``."""
    data = training.samples(devices, lambda d: snmp.device_features(d.facts))
    classes = sorted({c for s in data for c in s.accept})
    fold_of = training.folds(data, key, k)
    fired = training.rules_fired(devices)
    extra = training.recog_samples() if recog and use_model else []
    out: dict[str, list[dict[str, Any]]] = {"refit": [], "strict": []}
    for fold in range(k):
        train = [s for s, f in zip(data, fold_of, strict=True) if f != fold]
        held = {d.name for d, f in zip(devices, fold_of, strict=True) if f == fold}
        only_held = frozenset(rule for rule, names in fired.items() if names <= held)
        train_devices = [d for d, f in zip(devices, fold_of, strict=True) if f != fold]
        held_groups = {s.groups.get(key) for s, f in zip(data, fold_of, strict=True) if f == fold}
        pool = training.held_out_extra(extra, key, held_groups)
        l2 = training.L2
        if use_model and nested_l2:
            l2 = training.best_l2(training.l2_scores(train_devices, train, key, classes))
            print(f"fold {fold} by {key}: l2 {l2}", file=sys.stderr)
        model = calibrated_fit(train_devices, train, key, classes, pool, l2) if use_model else None
        snmp.set_kind_weights(training.evidence_weights(train_devices, scorer) if use_model else {})
        set_field_calibration(training.field_tables(training.field_points(train_devices, scorer, key))
                              if use_model else {})
        for device, f in zip(devices, fold_of, strict=True):
            if f != fold:
                continue
            for reading, drop in (("refit", frozenset()), ("strict", only_held)):
                fp = decide(snmp.facts_evidence(device.facts, drop, model))
                out[reading].append({
                    "file": device.name, "vendor": fp.vendor, "os_family": fp.os_family or fp.os_name,
                    "device_class": None if fp.device_class == "unknown" else fp.device_class,
                    "_conf": dict(fp.confidence)})
    set_field_calibration(None)
    snmp.set_kind_weights(None)
    return out


def calibration(scorer: ModuleType, records: dict[str, dict], preds: list[dict[str, Any]]) -> dict[str, Any]:
    """Per field: answers per confidence bin and the share right, and the share right at >= 0.8."""
    table: dict[str, Any] = {}
    for field in FIELDS:
        bins = [[0, 0] for _ in BINS[:-1]]
        high = [0, 0]
        for pred in preds:
            if not pred[field]:
                continue
            right = training.correctness(scorer, records[pred["file"]], pred)[field]
            if right is None:
                continue
            conf = pred["_conf"].get(field, 0.0)
            at = next(i for i in range(len(BINS) - 1) if conf < BINS[i + 1])
            bins[at][0] += 1
            bins[at][1] += right
            if conf >= 0.8:
                high[0] += 1
                high[1] += right
        table[field] = {
            "bins": {f"{BINS[i]:.1f}-{min(BINS[i + 1], 1):.1f}":
                     f"{ok}/{n}" + (f" = {ok / n:.2f}" if n else "")
                     for i, (n, ok) in enumerate(bins)},
            "conf>=0.8_right": round(high[1] / high[0], 4) if high[0] else None, "conf>=0.8_answers": high[0]}
    return table


def confusion(records: dict[str, dict], preds: list[dict[str, Any]]) -> dict[str, dict[str, int]]:
    """Per true class (the corpus's ``itam_class``): how many answers were right, and what the wrong
    ones said (``unknown`` = no answer)."""
    table: dict[str, dict[str, int]] = {}
    for pred in preds:
        record = records[pred["file"]]
        truth = training.RENAME.get(record["itam_class"], record["itam_class"])
        accept = {training.RENAME.get(a, a) for a in record.get("itam_accept") or []} | {truth}
        row = table.setdefault(truth, {})
        key = "right" if pred["device_class"] in accept else pred["device_class"] or "unknown"
        row[key] = row.get(key, 0) + 1
    return {truth: dict(sorted(row.items(), key=lambda item: (-item[1], item[0])))
            for truth, row in sorted(table.items())}
