"""Fit the device-class model on the labelled SNMP corpus and write class_model.json.

Deterministic (devices in file-name order, fixed seed): re-running it on the same corpus writes
the same file. The calibration table comes from held-out predictions of grouped 5-fold
cross-validation (whole vendors held out, and separately whole OS families; each held-out device
seen without the rules that only its fold fired), so a confidence is the share of such answers
that were right on devices of makers and OSes neither the fit nor the rules had seen.
The weight of each kind of vendor evidence is its share of right makers on the corpus, and the
vendor and OS confidences get their tables the same way, from devices judged without the
rules that only their own held-out group fired.

    .venv/bin/python scripts/train_fingerprint_model.py [--corpus ../shared/corpus] [--out PATH]
    .venv/bin/python scripts/train_fingerprint_model.py --l2-scores   # the L2 strength's grouped-CV table
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from netdiscover.fingerprints import class_model, snmp, training

DEFAULT_CORPUS = training.default_corpus()
GROUPINGS = ("vendor", "os")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--out", type=Path, default=class_model.DATA)
    parser.add_argument("--l2-scores", action="store_true",
                        help="only print the held-out share right per L2 strength (how L2 is chosen)")
    args = parser.parse_args(argv)
    if not (args.corpus / "snmp-public" / "index.json").exists():
        print(f"error: no corpus index under {args.corpus}", file=sys.stderr)
        return 2
    started = time.perf_counter()
    devices = training.load_corpus(args.corpus)
    data = training.samples(devices, lambda d: snmp.device_features(d.facts))
    classes = sorted({c for s in data for c in s.accept})
    if args.l2_scores:
        for key in GROUPINGS:
            scores = training.l2_scores(devices, data, key, classes)
            print(f"held out by {key}: " + ", ".join(f"l2 {l2}: {share:.4f}" for l2, share in scores.items())
                  + f" -> best {training.best_l2(scores)}")
        return 0
    points = []
    for key in GROUPINGS:
        points += training.held_out_points(devices, data, key, classes)
    snmp_model = training.finish(training.fit(data, classes), points)
    scorer = training.scorer_module(args.corpus)
    snmp_model.evidence_weights = training.evidence_weights(devices, scorer)
    snmp.set_kind_weights(snmp_model.evidence_weights)
    field_points: dict[str, list] = {}
    for key in GROUPINGS:
        for name, pairs in training.field_points(devices, scorer, key).items():
            field_points.setdefault(name, []).extend(pairs)
    snmp_model.fields = training.field_tables(field_points)
    snmp_model.meta["trained_on"] = "public SNMP corpus (labels only; no recording is shipped)"
    snmp_model.meta["calibrated_on"] = "held-out predictions, 5 folds by vendor and by OS family"
    args.out.write_text(json.dumps(snmp_model.to_dict(), indent=0, sort_keys=True) + "\n", encoding="utf-8")
    print(f"{len(data)} devices, {len(snmp_model.weights)} features, {len(classes)} classes, "
          f"{len(snmp_model.calibration)} calibration knots -> {args.out} "
          f"({time.perf_counter() - started:.1f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
