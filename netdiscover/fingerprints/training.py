"""Fitting the class model: multinomial logistic regression, calibration, grouped folds.

Plain Python (no NumPy): the corpus is a few hundred devices with a few dozen features each, so
a deterministic AdaGrad fit takes seconds. Labels may accept several classes (generic network
gear is right as ``router`` or ``switch``): the loss is -log of the probability of the accepted
set. A feature seen on fewer than ``min_count`` training devices gets no weight, so no weight
rests on one device. Used by ``scripts/train_fingerprint_model.py`` and the accuracy benchmark.

Besides the corpus, the labelled ``<example>`` sysDescr strings of Recog's public
``snmp_sysdescr`` database (``recog_samples``) are training devices too: written by others, for
makers nobody here recorded, they teach the model the words of products the corpus lacks. They
carry only what a sysDescr says (no rule or Recog class feature, which would be the label
itself), and in grouped cross-validation the examples of a held-out vendor or OS are left out
with it (``held_out_extra``).
"""

from __future__ import annotations

import importlib.util
import json
import math
import os
import random
from collections import Counter
from collections.abc import Callable, Hashable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

from netdiscover.fingerprints.class_model import ClassModel, softmax


@dataclass(slots=True)
class Sample:
    """One labelled device: its features, the classes that count as right, and its groups."""

    name: str
    features: Mapping[str, float]
    accept: frozenset[str]
    groups: Mapping[str, str]


RULE_FEATURES = ("rtop:", "range:")
# features naming a class; one shared weight per kind
TIED_KINDS = ("rtop", "range", "std", "recog", "cword")


def without_rules(feats: Mapping[str, float]) -> dict[str, float]:
    """The features a device shows when no product rule recognises it."""
    return {k: v for k, v in feats.items() if not k.startswith(RULE_FEATURES)}


# L2 strength: the best held-out share right in grouped CV (``l2_scores``) on either grouping;
# chosen again inside each outer fold from its training part alone (nested), 0.1 won 7 of 10
# folds (0.3 the other three, by 0.002 or on a tie).
L2 = 0.1
L2_GRID = (0.01, 0.03, 0.1, 0.3)


def fit(samples: Sequence[Sample], classes: Sequence[str] | None = None, *, min_count: int = 2,
        epochs: int = 30, rate: float = 0.3, l2: float = L2, seed: int = 17,
        augment: bool = True, learn_bias: bool = False, extra: Sequence[Sample] = ()) -> ClassModel:
    """A multinomial logistic model fitted to ``samples`` (deterministic for a given order and seed).

    With ``augment``, every device is also shown without its rule features, so the model learns
    to fall back on standard-MIB and text evidence for products no rule knows. The class bias
    stays 0 unless ``learn_bias``: the corpus's mix of classes is not any network's mix, and a
    learned prior would bury a rare class under its own rules' evidence. ``extra`` samples
    (Recog examples) are fitted as they are, never augmented.
    """
    corpus_devices = len(samples)
    if augment:
        samples = [*samples, *(Sample(s.name, without_rules(s.features), s.accept, s.groups) for s in samples
                               if any(k.startswith(RULE_FEATURES) for k in s.features))]
    samples = [*samples, *extra]
    if classes is None:
        classes = sorted({c for s in samples for c in s.accept})
    classes = list(classes)
    index = {c: i for i, c in enumerate(classes)}
    counts = Counter(name for s in samples for name in s.features)
    vocab = sorted(name for name, n in counts.items() if n >= min_count)
    slot = {name: i for i, name in enumerate(vocab)}
    k = len(classes)
    kinds = {kind: i for i, kind in enumerate(TIED_KINDS)}
    rows = []
    for s in samples:
        accepted = [index[c] for c in s.accept if c in index]
        if not accepted:
            continue
        feats = [(slot[n], v) for n, v in sorted(s.features.items()) if n in slot and v]
        tied = []
        for n, v in sorted(s.features.items()):
            kind, _, klass = n.partition(":")
            if kind in kinds and klass in index and v:
                tied.append((kinds[kind], index[klass], v))
        rows.append((feats, tied, accepted))
    weights = [[0.0] * k for _ in vocab]
    squares = [[1e-8] * k for _ in vocab]
    bias, bias_sq = [0.0] * k, [1e-8] * k
    tied_w, tied_sq = [0.0] * len(kinds), [1e-8] * len(kinds)
    order = list(range(len(rows)))
    rng = random.Random(seed)
    for _ in range(epochs):
        rng.shuffle(order)
        for at in order:
            feats, tied, accepted = rows[at]
            scores = list(bias)
            for f, v in feats:
                row = weights[f]
                for c in range(k):
                    scores[c] += v * row[c]
            for kind, c, v in tied:
                scores[c] += v * tied_w[kind]
            probs = softmax(scores)
            mass = sum(probs[c] for c in accepted) or 1e-12
            grad = list(probs)
            for c in accepted:
                grad[c] -= probs[c] / mass
            for c in range(k if learn_bias else 0):
                g = grad[c]
                bias_sq[c] += g * g
                bias[c] -= rate * g / math.sqrt(bias_sq[c])
            for f, v in feats:
                row, sq = weights[f], squares[f]
                for c in range(k):
                    g = v * grad[c] + l2 * row[c]
                    sq[c] += g * g
                    row[c] -= rate * g / math.sqrt(sq[c])
            for kind, c, v in tied:
                g = v * grad[c]
                tied_sq[kind] += g * g
                tied_w[kind] -= rate * g / math.sqrt(tied_sq[kind])
    return ClassModel(classes, bias, dict(zip(vocab, weights, strict=True)),
                      tied=dict(zip(TIED_KINDS, tied_w, strict=True)),
                      meta={"min_count": min_count, "epochs": epochs, "rate": rate, "l2": l2, "seed": seed,
                            "devices": len(rows), "features": len(vocab), "augment": augment,
                            "learn_bias": learn_bias, "corpus_devices": corpus_devices,
                            "extra_devices": len(extra)})


ABSTAIN_BELOW = 0.3      # calibrated confidence under which the class is left "unknown"
# and the model's own probability under which it is no answer either (2.4 times a uniform guess
# over 16 classes); at 0.25 it overruled the calibration, leaving answers held-out right ~45 % unsaid
MIN_PROBABILITY = 0.15


def finish(model: ClassModel, held_out: Sequence[tuple[float, bool]]) -> ClassModel:
    """Calibration from held-out (probability, right) pairs, and the abstention thresholds."""
    model.calibration = isotonic(held_out)
    model.abstain_below = ABSTAIN_BELOW
    model.min_probability = MIN_PROBABILITY
    return model


def isotonic(points: Sequence[tuple[float, bool]], prior: float = 1.0,
             z: float = 0.0) -> list[tuple[float, float]]:
    """Monotone map probability -> share right (pool adjacent violators), as (x, y) knots.

    Each block's accuracy is shrunk towards 0.5 by ``prior`` pseudo-answers, so a block of a
    few lucky answers does not claim certainty; with ``z`` > 0 it is the Wilson lower bound
    ``z`` standard errors below that share (a promise that holds for a block the size it is).
    """
    tied: dict[float, list[float]] = {}     # equal scores are one block from the start
    for x, right in points:
        block = tied.setdefault(x, [0.0, 0.0, 0.0])
        block[0] += x
        block[1] += 1.0 if right else 0.0
        block[2] += 1.0
    blocks: list[list[float]] = []      # [sum_x, right, n]
    for x in sorted(tied):
        blocks.append(tied[x])
        while len(blocks) > 1 and _rate(blocks[-2], prior, z) >= _rate(blocks[-1], prior, z):
            last = blocks.pop()
            for i in range(3):
                blocks[-1][i] += last[i]
    return [(b[0] / b[2], _rate(b, prior, z)) for b in blocks]


def _rate(block: list[float], prior: float, z: float = 0.0) -> float:
    n = block[2] + prior
    share = (block[1] + 0.5 * prior) / n
    if not z:
        return share
    spread = z * math.sqrt(share * (1 - share) / n + z * z / (4 * n * n))
    return (share + z * z / (2 * n) - spread) / (1 + z * z / n)


def folds(samples: Sequence[Sample], key: str, k: int = 5) -> list[int]:
    """Fold number per sample, whole groups (``Sample.groups[key]``) kept in one fold.

    Groups are dealt largest first to the emptiest fold (ties by name), so it is deterministic.
    """
    sizes = Counter(s.groups.get(key, s.name) for s in samples)
    load = [0] * k
    where: dict[Hashable, int] = {}
    for group, size in sorted(sizes.items(), key=lambda item: (-item[1], str(item[0]))):
        target = min(range(k), key=lambda f: (load[f], f))
        where[group] = target
        load[target] += size
    return [where[s.groups.get(key, s.name)] for s in samples]


def out_of_fold(samples: Sequence[Sample], fold_of: Sequence[int],
                train: Callable[[Sequence[Sample]], ClassModel]) -> list[tuple[str, float, list[float]]]:
    """(best class, its probability, all probabilities) per sample from a model fitted without its fold."""
    result: list[tuple[str, float, list[float]] | None] = [None] * len(samples)
    for fold in sorted(set(fold_of)):
        model = train([s for s, f in zip(samples, fold_of, strict=True) if f != fold])
        for i, (s, f) in enumerate(zip(samples, fold_of, strict=True)):
            if f == fold:
                probs = model.probabilities(s.features)
                best = max(range(len(probs)), key=probs.__getitem__)
                result[i] = (model.classes[best], probs[best], probs)
    return [r for r in result if r is not None]


def held_out_extra(extra: Sequence[Sample], key: str, held_groups: set[Any] | frozenset[Any]) -> list[Sample]:
    """The extra samples not of a held-out group (same vendor / OS family as a held-out device)."""
    return [s for s in extra if s.groups.get(key) not in held_groups]


_NOT_SAID = (":none", "recog:", *RULE_FEATURES)


def recog_samples(per_fingerprint: int = 1) -> list[Sample]:
    """Recog's labelled ``snmp_sysdescr`` examples as training devices: sysDescr features only,
    the class their fingerprint names, grouped by maker and OS family like corpus devices.
    At most ``per_fingerprint`` examples of one fingerprint, so that a product with many
    recorded firmware strings does not outweigh the rest."""
    from netdiscover.fingerprints import banners, snmp
    from netdiscover.fingerprints.recog import database
    from netdiscover.fingerprints.vendors import short_vendor

    out: list[Sample] = []
    db = database.load("snmp_sysdescr")
    for number, print_ in enumerate(db.fingerprints):
        for at, example in enumerate(print_.examples[:per_fingerprint]):
            params = print_.match(example.text)
            if params is None:
                continue
            found = banners.params_evidence(params, "recog", example.text)
            klass = next((e.value for e in found if e.field == "device_class"), None)
            if klass is None:
                continue
            vendor = short_vendor(params.get("hw.vendor") or params.get("os.vendor")) or ""
            os_family = next((e.value for e in found if e.field == "os_family"), "")
            feats = {name: v for name, v in snmp.device_features({"sysDescr": example.text}).items()
                     if not name.endswith(_NOT_SAID[0]) and not name.startswith(_NOT_SAID[1:])}
            if feats:
                out.append(Sample(f"recog:{number}:{at}", feats, frozenset({klass}),
                                  {"vendor": _group(vendor), "os": _group(os_family)}))
    return out


RENAME = {"ups/power": "power", "phone/voip": "voip"}


@dataclass(slots=True)
class Device:
    """One labelled corpus recording: its SNMP facts and what it really is."""

    name: str
    facts: dict
    accept: frozenset[str]
    vendor: str
    os: str
    record: dict


def default_corpus() -> Path:
    """The labelled corpus: $NETDISCOVER_CORPUS, else the first ``shared/corpus`` beside this
    checkout or one of its parents (a git worktree nested under the project's folder finds it too)."""
    named = os.environ.get("NETDISCOVER_CORPUS")
    if named:
        return Path(named)
    here = Path(__file__).resolve()
    for folder in here.parents[2:]:
        if (folder / "shared" / "corpus").is_dir():
            return folder / "shared" / "corpus"
    return here.parents[3] / "shared" / "corpus"


def load_corpus(corpus: Path) -> list[Device]:
    """The labelled devices of a corpus folder (``snmp-public/index.json`` + recordings), by file name."""
    from netdiscover.fingerprints import snmprec

    index = corpus / "snmp-public" / "index.json"
    records = json.loads(index.read_text(encoding="utf-8"))["records"]
    devices = []
    for record in sorted(records, key=lambda r: r["file"]):
        accept = {RENAME.get(a, a) for a in record.get("itam_accept") or []}
        klass = RENAME.get(record["itam_class"], record["itam_class"])
        if klass != "router-or-switch":
            accept.add(klass)
        facts = snmprec.load(corpus / "snmp-public" / "snmprec" / record["file"])
        devices.append(Device(record["file"], facts, frozenset(accept), _group(record.get("vendor")),
                              _group(record.get("os")), record))
    return devices


def _group(value: object) -> str:
    return "".join(ch for ch in str(value or "").casefold() if ch.isalnum()) or "-"


def samples(devices: Sequence[Device], featurise: Callable[[Device], Mapping[str, float]]) -> list[Sample]:
    return [Sample(d.name, featurise(d), d.accept, {"vendor": d.vendor, "os": d.os}) for d in devices]


def scorer_module(corpus: Path) -> ModuleType:
    """The corpus's own score.py (its vendor and OS normalisation decide what is right)."""
    spec = importlib.util.spec_from_file_location("corpus_score", corpus / "score.py")
    if spec is None or spec.loader is None:
        raise FileNotFoundError(corpus / "score.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def correctness(scorer: ModuleType, record: Mapping[str, Any],
                pred: Mapping[str, Any]) -> dict[str, bool | None]:
    """Per field: right, wrong, or None where the corpus does not score it (vendor of software)."""
    result: dict[str, bool | None] = {}
    if record.get("vendor_kind") == "hardware" and record.get("vendor"):
        pv, tv = scorer.norm_vendor(pred.get("vendor")), scorer.norm_vendor(record["vendor"])
        result["vendor"] = bool(pv) and (pv == tv or (len(tv) >= 3 and len(pv) >= 3 and
                                                      (pv.startswith(tv) or tv.startswith(pv))))
    else:
        result["vendor"] = None
    accept = {RENAME.get(a, a) for a in record.get("itam_accept") or []}
    accept.add(RENAME.get(record["itam_class"], record["itam_class"]))
    result["device_class"] = pred.get("device_class") in accept
    result["os_family"] = scorer.norm_os(pred.get("os_family")) in scorer.os_aliases(record)
    return result


def rules_fired(devices: Sequence[Device]) -> dict[str, set[str]]:
    """Rule id -> devices it fired on (registry evidence such as ``iana-pen:N`` is not a rule)."""
    from netdiscover.fingerprints import snmp

    fired: dict[str, set[str]] = {}
    for device in devices:
        for item in snmp._rule_evidence(snmp.subject(device.facts)):
            fired.setdefault(item.rule, set()).add(device.name)
    return fired


def field_points(devices: Sequence[Device], scorer: ModuleType, key: str,
                 k: int = 5) -> dict[str, list[tuple[float, bool]]]:
    """(raw confidence, right) for vendor and OS family, each device judged with the rules that only
    its own held-out fold fired dropped (what an unseen device of that vendor/OS would show);
    answers other evidence contradicted are listed under ``combine.table_name(field, True)``, and
    for ``KIND_FIELDS`` the kind of evidence that decided the answer follows after ``KIND_MARK``."""
    from netdiscover.fingerprints import combine, snmp

    data = samples(devices, lambda d: {})
    fold_of = folds(data, key, k)
    fired = rules_fired(devices)
    points: dict[str, list[tuple[float, bool]]] = {}
    combine.set_field_calibration({})
    try:
        for fold in range(k):
            held = {d.name for d, f in zip(devices, fold_of, strict=True) if f == fold}
            drop = frozenset(rule for rule, names in fired.items() if names <= held)
            for device in devices:
                if device.name not in held:
                    continue
                fp = combine.decide(snmp.facts_evidence(device.facts, drop, None))
                pred = {"vendor": fp.vendor, "os_family": fp.os_family or fp.os_name}
                right = correctness(scorer, device.record, pred)
                dissent = {item.field for item in fp.conflicts}
                for name in FIELD_TABLES:
                    if pred[name] and right[name] is not None:
                        table = combine.table_name(name, name in dissent)
                        kind = combine.deciding_kind(fp, name) if name in KIND_FIELDS else None
                        if kind:
                            table += KIND_MARK + kind
                        points.setdefault(table, []).append((fp.confidence.get(name, 0.0), bool(right[name])))
    finally:
        combine.set_field_calibration(None)
    return points


FIELD_TABLES = ("vendor", "os_family")
MIN_CONTESTED = 20      # fewer contested answers than this: they share the field's one table
# Fields whose answers are calibrated per kind of deciding evidence (combine.kind_table): an OS
# rule's weight says how specific it is, not how often the OS it names is the one a device runs.
KIND_FIELDS = ("os_family",)
KIND_MARK = "|"         # separates a point list's table name from its deciding kind
MIN_KIND = 12           # answers a kind needs for its own table; fewer share the field's tables
# Vendor/OS confidences are lower bounds one standard error under the held-out share right: the
# corpus's mix of makers is not a network's, and "0.8" should still hold on the next one.
FIELD_Z = 1.0


def field_tables(points: Mapping[str, Sequence[tuple[float, bool]]]) -> dict[str, list[tuple[float, float]]]:
    """Isotonic confidence -> share-right tables per field, per kind of deciding evidence where a
    kind decided at least ``MIN_KIND`` answers (``combine.kind_table``), and per field answered
    against dissent (``combine.CONTESTED``) where there are at least ``MIN_CONTESTED`` such answers."""
    from netdiscover.fingerprints import combine

    by_kind: dict[str, list[tuple[float, bool]]] = {}
    for name, pairs in points.items():
        table, _, kind = name.partition(KIND_MARK)
        if kind and not table.endswith(combine.CONTESTED):
            by_kind.setdefault(combine.kind_table(table, kind), []).extend(pairs)
    rest: dict[str, list[tuple[float, bool]]] = {}
    for name, pairs in points.items():
        table, _, kind = name.partition(KIND_MARK)
        if len(by_kind.get(combine.kind_table(table, kind), ())) < MIN_KIND:
            rest.setdefault(table, []).extend(pairs)
    pooled: dict[str, list[tuple[float, bool]]] = {}
    for name, pairs in rest.items():
        base = name.removesuffix(combine.CONTESTED)
        own = name if base == name or len(pairs) >= MIN_CONTESTED else base
        pooled.setdefault(own, []).extend(pairs)
    tables = {name: isotonic(pairs, z=FIELD_Z) for name, pairs in sorted(pooled.items()) if pairs}
    for name, pairs in sorted(by_kind.items()):
        if len(pairs) >= MIN_KIND:
            # one share for the kind: its answers are too few to split by score
            rate = _rate([0.0, float(sum(right for _, right in pairs)), float(len(pairs))], 1.0, FIELD_Z)
            tables[name] = [(0.0, round(rate, 4)), (1.0, round(rate, 4))]
    return tables


def held_out_points(devices: Sequence[Device], data: Sequence[Sample], key: str, classes: Sequence[str],
                    k: int = 5, extra: Sequence[Sample] = (), l2: float = L2) -> list[tuple[float, bool]]:
    """(top probability, right) per device from a model fitted without its fold, the device seen
    without the rules that only its fold fired: the calibration data for devices nobody has seen."""
    from netdiscover.fingerprints import snmp

    fold_of = folds(data, key, k)
    fired = rules_fired(devices)
    points: list[tuple[float, bool]] = []
    for fold in sorted(set(fold_of)):
        part = [s for s, f in zip(data, fold_of, strict=True) if f != fold]
        held_groups = {s.groups.get(key) for s, f in zip(data, fold_of, strict=True) if f == fold}
        model = fit(part, classes, extra=held_out_extra(extra, key, held_groups), l2=l2)
        held = {d.name for d, f in zip(devices, fold_of, strict=True) if f == fold}
        drop = frozenset(rule for rule, names in fired.items() if names <= held)
        for device, sample, f in zip(devices, data, fold_of, strict=True):
            if f == fold:
                feats = snmp.device_features(device.facts, drop) if drop else sample.features
                probs = model.probabilities(feats)
                best = max(range(len(probs)), key=probs.__getitem__)
                points.append((probs[best], model.classes[best] in device.accept))
    return points


def l2_scores(devices: Sequence[Device], data: Sequence[Sample], key: str, classes: Sequence[str],
              grid: Sequence[float] = L2_GRID, k: int = 5) -> dict[float, float]:
    """Held-out share right per L2 strength (``held_out_points``: whole ``key`` groups held out,
    their own rules dropped): how ``L2`` is chosen, and, given a training part only, how a
    nested cross-validation chooses it per outer fold."""
    scores = {}
    for l2 in grid:
        points = held_out_points(devices, data, key, classes, k, l2=l2)
        scores[l2] = sum(right for _, right in points) / len(points) if points else 0.0
    return scores


def best_l2(scores: Mapping[float, float]) -> float:
    """The strength with the best score; ties go to the stronger one (the simpler model)."""
    return max(scores, key=lambda l2: (round(scores[l2], 6), l2))


REGISTRANT_PRIOR = 2.0     # pseudo-answers at the kind's share that shrink one registrant's own share
MIN_REGISTRANT_MAKERS = 2  # makers a registrant must have answered for to get its own weight


def evidence_weights(devices: Sequence[Device], scorer: ModuleType) -> dict[str, float]:
    """Per kind of registry/convention evidence (``snmp.REGISTRY_KINDS``), how often it named the
    right maker or OS on these devices, shrunk towards 0.5 by one pseudo-answer each way: the order
    of trust when kinds disagree, learned instead of hand-set.

    A registrant whose number (``snmp.PER_REGISTRANT`` kinds) came from boxes of at least
    ``MIN_REGISTRANT_MAKERS`` makers, as the labels name them (the two halves of a split maker, HP
    and HPE, are two), gets its own entry ("iana-pen:4413"): its share of right
    makers, shrunk towards its kind's by ``REGISTRANT_PRIOR`` pseudo-answers. A maker that split
    in two (``combine.SPLIT_MAKERS``) is right as either half: the device class picks the half."""
    from netdiscover.fingerprints import snmp

    tally = {kind: [0, 0] for kind in snmp.REGISTRY_KINDS}
    registrants: dict[str, tuple[str, list[int], set[str]]] = {}
    for device in devices:
        for item in snmp.facts_evidence(device.facts, frozenset(), None):
            kind = snmp.registry_kind(item)
            if kind is None:
                continue
            right = _names_right(scorer, device.record, item.field, item.value)
            if right is None:
                continue
            tally[kind][0] += 1
            tally[kind][1] += right
            if kind in snmp.PER_REGISTRANT:
                entry = registrants.setdefault(item.rule, (kind, [0, 0], set()))
                entry[1][0] += 1
                entry[1][1] += right
                entry[2].add(scorer.norm_vendor(device.record["vendor"]))
    weights = {kind: round((right + 1) / (n + 2), 4) for kind, (n, right) in tally.items()}
    for rule, (kind, (n, right), makers) in sorted(registrants.items()):
        if len(makers) >= MIN_REGISTRANT_MAKERS:
            weights[rule] = round((right + REGISTRANT_PRIOR * weights[kind]) / (n + REGISTRANT_PRIOR), 4)
    return weights


def _names_right(scorer: ModuleType, record: Mapping[str, Any], field: str, value: str) -> bool | None:
    """Whether ``value`` is the device's ``field`` (a split maker's either half counts), None if unscored."""
    from netdiscover.fingerprints import combine

    right = correctness(scorer, record, {field: value})[field]
    split = combine.split_maker(value) if field == "vendor" and right is False else None
    if split is not None:
        right = correctness(scorer, record, {field: split[1]})[field]
    return right
