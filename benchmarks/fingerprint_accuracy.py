"""Fingerprinting accuracy on the labelled SNMP corpus (../shared/corpus by default).

Lab mode (default, needs root): serves every recording with snmpsim inside a lab namespace,
one simulated device per address, sweeps them with the real SNMP scanner, fingerprints each
device's observations and scores the predictions with the corpus's score.py --by-class.

Offline mode (--offline): reads each .snmprec straight into facts["snmp"] (no network), for
fast rule work. Both print the scorer's figures next to a reference: the IANA enterprise
number's registered organisation as vendor, with no class and no OS. Every reading also prints
``os_family_accuracy_kernel_level``: the scorer's OS figure, with the kernel a recording's own
sysDescr names (Linux, Windows, FreeBSD...) accepted too (benchmarks/os_kernel_reading.py).

    .venv/bin/python benchmarks/fingerprint_accuracy.py --offline [--misses]
    .venv/bin/python benchmarks/fingerprint_accuracy.py --cv [--no-model]   # grouped cross-validation
    sudo .venv/bin/python benchmarks/fingerprint_accuracy.py [--limit N]

Devices nobody here has seen (PyPI snmpsim-data, hand-labelled, evaluation only):
benchmarks/fingerprint_unseen.py.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import fingerprint_cv as cv
import fingerprint_lab
import os_kernel_reading

from netdiscover.fingerprints import Evidence, fingerprint, pen, snmprec, training
from netdiscover.observation import Observation

DEFAULT_CORPUS = training.default_corpus()


def prediction(name: str, observations: list[Observation]) -> dict:
    fp = fingerprint(observations)
    return {"file": name, "vendor": fp.vendor, "device_class": None if fp.device_class == "unknown"
            else fp.device_class, "os_family": fp.os_family or fp.os_name, "_fp": fp}


def reference(name: str, facts: dict) -> dict:
    number = pen.enterprise_number(snmprec_oid(facts))
    org = pen.organisation(number) if number is not None else None
    return {"file": name, "vendor": org, "device_class": None, "os_family": None}


def snmprec_oid(facts: dict) -> str:
    return str(facts.get("sysObjectID") or "").strip(".")


def offline(records: list[dict], data_dir: Path, per_enterprise: bool) -> tuple[list, list, float]:
    """Read each recording straight into facts["snmp"] and fingerprint it (no network)."""
    preds, refs = [], []
    sample = 32 if per_enterprise else 5
    facts_by_file = {r["file"]: snmprec.load(data_dir / r["file"], sample, per_enterprise) for r in records}
    started = time.perf_counter()
    for record in records:
        facts = facts_by_file[record["file"]]
        obs = Observation(method="snmp", ip="192.0.2.1", facts={"snmp": facts})
        preds.append(prediction(record["file"], [obs]))
    elapsed = time.perf_counter() - started
    refs = [reference(r["file"], facts_by_file[r["file"]]) for r in records]
    return preds, refs, elapsed


def lab(records: list[dict], data_dir: Path, depth: str, batch: int) -> tuple[list[dict], list[dict], float]:
    """Serve the recordings with snmpsim (one engine per address), sweep them with the SNMP scanner."""
    swept = fingerprint_lab.sweep({r["file"]: data_dir / r["file"] for r in records}, depth, batch)
    preds, refs = [], []
    started = time.perf_counter()
    for record in records:
        preds.append(prediction(record["file"], swept[record["file"]]))
    elapsed = time.perf_counter() - started
    for record in records:
        observations = swept[record["file"]]
        facts = observations[0].facts.get("snmp", {}) if observations else {}
        refs.append(reference(record["file"], facts))
    return preds, refs, elapsed


def score(corpus: Path, rows: list[dict], label: str) -> dict:
    with tempfile.NamedTemporaryFile("w", suffix=".jsonl", delete=False) as out:
        for row in rows:
            out.write(json.dumps({k: v for k, v in row.items() if not k.startswith("_")}) + "\n")
    index = corpus / "snmp-public" / "index.json"
    proc = subprocess.run([sys.executable, str(corpus / "score.py"), str(index), out.name, "--by-class"],
                          capture_output=True, text=True, check=True)
    result = json.loads(proc.stdout)
    records = {r["file"]: r for r in json.loads(index.read_text())["records"]}
    result["os_family_accuracy_kernel_level"] = os_kernel_reading.accuracy(
        training.scorer_module(corpus), records, rows)
    result["label"] = label
    result["predictions"] = out.name
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--offline", action="store_true", help="parse recordings directly, no network")
    parser.add_argument("--limit", type=int, default=0, help="only the first N devices")
    parser.add_argument("--misses", action="store_true", help="list every wrong prediction")
    parser.add_argument("--leave-one-out", action="store_true",
                        help="also score without rules that fired on one device only (unseen estimate)")
    parser.add_argument("--batch", type=int, default=120, help="lab: devices per snmpsim process")
    parser.add_argument("--depth", default="system", choices=("basic", "system", "full"),
                        help="lab: SNMP scanner depth (system = every fingerprint fact)")
    parser.add_argument("--per-enterprise", action="store_true",
                        help="offline: first OID of every enterprise subtree, not the scanner's first five")
    parser.add_argument("--cv", action="store_true",
                        help="grouped cross-validation (folds of whole vendors, then whole OS families)")
    parser.add_argument("--groupings", default="vendor,os",
                        help="cv: which groupings to hold out, comma-separated (vendor, os)")
    parser.add_argument("--recog", action="store_true",
                        help="cv: Recog's labelled sysDescr examples are training devices too")
    parser.add_argument("--nested-l2", action="store_true",
                        help="cv: choose the model's L2 strength inside each outer fold (nested, slow)")
    parser.add_argument("--no-model", action="store_true",
                        help="cv: rules and hand weights only, no learned class model (the old combination)")
    args = parser.parse_args(argv)
    index = args.corpus / "snmp-public" / "index.json"
    if not index.exists():
        print(f"error: no corpus index at {index}", file=sys.stderr)
        return 2
    if args.cv:
        keys = tuple(k for k in args.groupings.split(",") if k)
        if not keys or set(keys) - {"vendor", "os"}:
            print("error: --groupings takes vendor and/or os", file=sys.stderr)
            return 2
        return cross_validate(args.corpus, not args.no_model, args.recog, keys, args.nested_l2)
    records = json.loads(index.read_text())["records"]
    if args.limit:
        records = records[: args.limit]
    data_dir = args.corpus / "snmp-public" / "snmprec"
    if args.offline:
        preds, refs, elapsed = offline(records, data_dir, args.per_enterprise)
    else:
        preds, refs, elapsed = lab(records, data_dir, args.depth, args.batch)
    ours = score(args.corpus, preds, "netdiscover")
    ref = score(args.corpus, refs, "reference: IANA PEN organisation only")
    for result in (ours, ref):
        print(json.dumps(result, indent=1))
    print(f"fingerprinting time: {elapsed * 1000:.1f} ms for {len(preds)} devices")
    if ref.get("vendor_accuracy"):
        ratio = ours["vendor_accuracy"] / ref["vendor_accuracy"]
        print(f"vendor accuracy ratio netdiscover/reference: {ratio:.2f}")
    rule_usage(preds)
    if args.leave_one_out:
        held_out = leave_one_out(preds)
        label = "leave-one-out: rules seen on that device only dropped"
        print(json.dumps(score(args.corpus, held_out, label), indent=1))
    if args.misses:
        show_misses(args.corpus, records, preds)
    return 0


def cross_validate(corpus: Path, use_model: bool, recog: bool = False,
                   keys: tuple[str, ...] = ("vendor", "os"), nested_l2: bool = False) -> int:
    """Print held-out figures (scorer's rules) and calibration tables for both groupings."""
    devices = training.load_corpus(corpus)
    scorer = training.scorer_module(corpus)
    index = json.loads((corpus / "snmp-public" / "index.json").read_text())
    records = {r["file"]: r for r in index["records"]}
    for key in keys:
        started = time.perf_counter()
        readings = cv.run(devices, key, use_model, scorer, recog=recog, nested_l2=nested_l2)
        for reading, preds in readings.items():
            result = score(corpus, preds, f"grouped CV, whole {key} groups held out, {reading}"
                           + ("" if use_model else " (no model: rules and hand weights)")
                           + (" (+ Recog examples)" if recog else "")
                           + (" (L2 chosen per fold, nested)" if nested_l2 else ""))
            result.pop("predictions", None)
            result["calibration"] = cv.calibration(scorer, records, preds)
            result["confusion"] = cv.confusion(records, preds)
            print(json.dumps(result, indent=1))
        print(f"cv by {key}: {time.perf_counter() - started:.1f} s", file=sys.stderr)
    return 0


def _fired(preds: list[dict]) -> dict[str, set[str]]:
    fired: dict[str, set[str]] = {}
    for pred in preds:
        for ev in pred["_fp"].evidence:
            fired.setdefault(f"{ev.source}:{ev.rule.split(':')[0]}", set()).add(pred["file"])
    return fired


def leave_one_out(preds: list[dict]) -> list[dict]:
    """Predictions without the rules that only this device triggered: a rule written after seeing
    one device cannot help that device, so this approximates accuracy on devices nobody has seen."""
    from netdiscover.fingerprints.combine import decide

    fired = _fired(preds)
    out = []
    for pred in preds:
        kept = [Evidence(e.source, e.rule, e.field, e.value, e.weight, e.matched)
                for e in pred["_fp"].evidence if len(fired[f"{e.source}:{e.rule.split(':')[0]}"]) > 1]
        fp = decide(kept)
        out.append({"file": pred["file"], "vendor": fp.vendor,
                    "device_class": None if fp.device_class == "unknown" else fp.device_class,
                    "os_family": fp.os_family or fp.os_name})
    return out


def rule_usage(preds: list[dict]) -> None:
    """How many answers rest on a rule that fired for one corpus device only (narrow rules).

    Registry-derived rules (``iana-pen:N``, ``mib:NAME``) count as one rule each.
    """
    fired = _fired(preds)
    deciding: dict[str, list[str | None]] = {"vendor": [], "device_class": [], "os_family": []}
    for pred in preds:
        fp = pred["_fp"]
        for field in deciding:
            value = getattr(fp, field)
            top = next((e for e in fp.evidence if e.field == field and e.value == value), None)
            deciding[field].append(f"{top.source}:{top.rule.split(':')[0]}" if top else None)
    parts = []
    for field, rules in deciding.items():
        narrow = sum(1 for r in rules if r and len(fired[r]) == 1)
        parts.append(f"{field} {narrow}/{len(rules)}")
    print("answers decided by a rule that fired on a single corpus device: " + ", ".join(parts))


def show_misses(corpus: Path, records: list[dict], preds: list[dict]) -> None:
    scorer = training.scorer_module(corpus)

    for record, pred in zip(records, preds, strict=True):
        accept = record.get("itam_accept") or [record["itam_class"]]
        accept = [{"ups/power": "power", "phone/voip": "voip"}.get(a, a) for a in accept]
        wrong = []
        if record.get("vendor_kind") == "hardware":
            pv, tv = scorer.norm_vendor(pred["vendor"]), scorer.norm_vendor(record["vendor"])
            close = len(tv) >= 3 and len(pv or "") >= 3 and (pv.startswith(tv) or tv.startswith(pv))
            if not pv or not (pv == tv or close):
                wrong.append(f"vendor {pred['vendor']!r}≠{record['vendor']}")
        if pred["device_class"] not in accept:
            wrong.append(f"class {pred['device_class']}∉{'/'.join(accept)}")
        if scorer.norm_os(pred["os_family"]) not in scorer.os_aliases(record):
            wrong.append(f"os {pred['os_family']!r}≠{record['os']}")
        if wrong:
            print(f"{record['file'][:34]:34} {record.get('sysObjectID') or '':30.30} "
                  f"{(record.get('sysDescr') or '')[:60]!r:64} :: {'; '.join(wrong)}")


if __name__ == "__main__":
    sys.exit(main())
