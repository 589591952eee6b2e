"""The learned device-class model: a multinomial logistic model shipped as ``class_model.json``.

Scores are ``bias[c] + sum(strength(f) * weight[f][c])`` over the device's features
(``snmp_features``), plus, for features that name a class (``rule:switch``: a rule proposes
switch; ``range:power``: the maker's usual range), one learned weight per kind of evidence
added to the class it names — so a class few devices showed still gets its rules' support.
A softmax gives the class probabilities, and the calibration table (fitted on
held-out predictions by ``scripts/train_fingerprint_model.py``) turns the top probability into a
confidence that means what it says. Below ``abstain_below`` the model does not answer.
The file is plain JSON so that a re-trained model ships without code changes.
"""

from __future__ import annotations

import bisect
import json
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from itertools import repeat
from operator import add, mul
from pathlib import Path
from typing import Any

DATA = Path(__file__).with_name("class_model.json")


@dataclass(slots=True)
class Prediction:
    """The model's answer for one device: best class, calibrated confidence, and why."""

    device_class: str
    probability: float                    # the softmax probability of the best class
    confidence: float                     # calibrated: share of such answers that were right
    contributions: list[tuple[str, float]] = field(default_factory=list)   # feature, score share
    abstained: bool = False


@dataclass(slots=True)
class ClassModel:
    classes: list[str]
    bias: list[float]
    weights: dict[str, list[float]]
    calibration: list[tuple[float, float]] = field(default_factory=list)   # (probability, accuracy)
    abstain_below: float = 0.0
    min_probability: float = 0.0          # a guess the model itself rates below this is no answer
    meta: dict[str, Any] = field(default_factory=dict)
    tied: dict[str, float] = field(default_factory=dict)     # evidence kind -> weight for its class
    # vendor / os_family: combined confidence -> share right on held-out devices (combine applies it)
    fields: dict[str, list[tuple[float, float]]] = field(default_factory=dict)
    # kind of vendor evidence (sysObjectID's registrant, a served subtree's, sysDescr maker...) -> weight
    evidence_weights: dict[str, float] = field(default_factory=dict)
    _slot: dict[str, int] = field(default_factory=dict)
    _tied_memo: dict[str, tuple[int, float] | None] = field(default_factory=dict)
    _means: dict[str, float] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self._slot = {c: i for i, c in enumerate(self.classes)}
        self._means = {name: sum(row) / len(row) for name, row in self.weights.items() if row}

    def tied_slot(self, name: str) -> tuple[int, float] | None:
        """(class index, kind weight) for a feature that names a class, else None."""
        try:
            return self._tied_memo[name]
        except KeyError:
            pass
        kind, _, klass = name.partition(":")
        weight = self.tied.get(kind)
        at = self._slot.get(klass) if weight is not None else None
        found = None if at is None or weight is None else (at, weight)
        if len(self._tied_memo) < 65536:
            self._tied_memo[name] = found
        return found

    def scores(self, feats: Mapping[str, float]) -> list[float]:
        totals = list(self.bias)
        weights = self.weights
        tied = self.tied
        for name, strength in feats.items():
            row = weights.get(name)
            if row is not None:
                if len(row) != len(totals):
                    raise ValueError(f"feature {name}: {len(row)} weights for {len(totals)} classes")
                # t + strength * w, class by class, in C; 1.0 * w is w exactly
                scaled = row if strength == 1.0 else map(mul, repeat(strength), row)
                totals = list(map(add, totals, scaled))
            if tied:
                slot = self.tied_slot(name)
                if slot is not None:
                    totals[slot[0]] += strength * slot[1]
        return totals

    def known(self, feats: Mapping[str, float]) -> bool:
        """Whether any feature that says something (not a mere absence) is in the model."""
        return any(not name.endswith(":none") and (name in self.weights or self.tied_slot(name))
                   for name in feats)

    def probabilities(self, feats: Mapping[str, float]) -> list[float]:
        return softmax(self.scores(feats))

    def calibrated(self, probability: float) -> float:
        """Piecewise-linear lookup in the calibration table (identity when there is none)."""
        return interpolate(self.calibration, probability)

    def predict(self, feats: Mapping[str, float], explain: int = 6) -> Prediction:
        probs = self.probabilities(feats)
        best = max(range(len(probs)), key=probs.__getitem__)
        klass, probability = self.classes[best], probs[best]
        confidence = round(self.calibrated(probability), 3)
        parts = []
        for name, strength in feats.items():
            row = self.weights.get(name)
            # how much this feature pushes the winner above the average class
            push = strength * (row[best] - self._means[name]) if row is not None else 0.0
            tied = self.tied_slot(name) if self.tied else None
            if tied is not None and tied[0] == best:
                push += strength * tied[1] * (1 - 1 / len(self.classes))
            if push > 0:
                parts.append((name, push))
        parts.sort(key=lambda p: (-p[1], p[0]))
        abstain = (confidence < self.abstain_below or probability < self.min_probability
                   or not self.known(feats))
        return Prediction(klass, probability, confidence, parts[:explain], abstain)

    def to_dict(self) -> dict[str, Any]:
        return {"classes": self.classes, "bias": [round(b, 5) for b in self.bias],
                "weights": {k: [round(w, 5) for w in v] for k, v in sorted(self.weights.items())},
                "calibration": [[round(x, 4), round(y, 4)] for x, y in self.calibration],
                "abstain_below": self.abstain_below, "min_probability": self.min_probability,
                "meta": self.meta,
                "tied": {k: round(w, 5) for k, w in sorted(self.tied.items())},
                "fields": {f: [[round(x, 4), round(y, 4)] for x, y in table]
                           for f, table in sorted(self.fields.items())},
                "evidence_weights": {k: round(w, 4) for k, w in sorted(self.evidence_weights.items())}}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ClassModel:
        classes = [str(c) for c in data["classes"]]
        weights = {str(k): [float(w) for w in v] for k, v in data["weights"].items()
                   if len(v) == len(classes)}
        return cls(classes, [float(b) for b in data["bias"]], weights,
                   [(float(x), float(y)) for x, y in data.get("calibration") or []],
                   float(data.get("abstain_below") or 0.0), float(data.get("min_probability") or 0.0),
                   dict(data.get("meta") or {}),
                   {str(k): float(w) for k, w in (data.get("tied") or {}).items()},
                   {str(f): [(float(x), float(y)) for x, y in table]
                    for f, table in (data.get("fields") or {}).items()},
                   {str(k): float(w) for k, w in (data.get("evidence_weights") or {}).items()})


def interpolate(table: list[tuple[float, float]], x: float) -> float:
    """Piecewise-linear lookup of ``x`` in sorted (x, y) knots; flat beyond the ends; identity if none."""
    if not table:
        return x
    at = bisect.bisect_left([k for k, _ in table], x)
    if at == 0:
        return table[0][1]
    if at >= len(table):
        return table[-1][1]
    (x0, y0), (x1, y1) = table[at - 1], table[at]
    return y0 if x1 == x0 else y0 + (y1 - y0) * (x - x0) / (x1 - x0)


def softmax(scores: list[float]) -> list[float]:
    top = max(scores)
    exps = [math.exp(s - top) for s in scores]
    total = sum(exps)
    return [e / total for e in exps]


@lru_cache(maxsize=1)
def shipped() -> ClassModel | None:
    """The shipped model, or None when the data file is missing or unreadable."""
    try:
        return ClassModel.from_dict(json.loads(DATA.read_text(encoding="utf-8")))
    except (OSError, ValueError, KeyError, TypeError):
        return None
