"""Fingerprint accuracy on recordings nobody here has seen: PyPI ``snmpsim-data`` (evaluation only).

The recordings are never used to fit or tune anything; ``unseen_labels.json`` holds hand labels
written from each recording's path, sysDescr, sysObjectID and ENTITY-MIB before the fingerprinter
was run on them (lists are the acceptable answers, null = not scored). Offline: each ``.snmprec``
is read into ``facts["snmp"]`` the way the scanner's system sweep reports it (fingerprints.snmprec).
With ``--lab`` (root), every recording is served by snmpsim in a lab namespace, one SNMP engine
per device, and swept by the real SNMP scanner (``benchmarks/fingerprint_lab.py``); the offline
reading and the IANA-registrant-only reference are printed beside it, from the same run, with
which ``facts["snmp"]`` keys the scanner reported on how many devices against the offline reading.

    pip download --no-deps snmpsim-data -d /tmp/sd && unzip -q /tmp/sd/*.whl -d /tmp/sd
    bunzip2 -k /tmp/sd/snmpsim_data/data/**/*.bz2      # most recordings ship compressed
    .venv/bin/python benchmarks/fingerprint_unseen.py /tmp/sd/snmpsim_data/data [--misses]
    sudo .venv/bin/python benchmarks/fingerprint_unseen.py /tmp/sd/snmpsim_data/data --lab [--misses]
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
from collections import Counter, defaultdict
from collections.abc import Callable
from pathlib import Path

from netdiscover.fingerprints import fingerprint, pen, snmprec
from netdiscover.observation import Observation

LABELS = Path(__file__).with_name("unseen_labels.json")
LABEL_KEY = {"vendor": "vendor", "device_class": "accept", "os_family": "os"}
_SUFFIX = re.compile(r"\b(inc|ltd|co|corp|corporation|company|gmbh|networks?|systems?|technologies|"
                     r"technology|communications?|electronics?|holdings)\b")


def norm(text: str | None) -> str:
    if not text:
        return ""
    return re.sub(r"[^a-z0-9]", "", _SUFFIX.sub(" ", text.lower()))


def vendor_right(pred: str | None, accepted: list[str]) -> bool:
    """The corpus scorer's rule: equal after normalising, or one a prefix (>= 3 chars) of the other."""
    p = norm(pred)
    for name in accepted:
        t = norm(name)
        if p and (p == t or (len(p) >= 3 and len(t) >= 3 and (p.startswith(t) or t.startswith(p)))):
            return True
    return False


Observations = Callable[[Path], list[Observation]]


def offline_observations(path: Path) -> list[Observation]:
    """The recording read straight into ``facts["snmp"]`` (no network)."""
    return [Observation(method="snmp", ip="192.0.2.1", facts={"snmp": snmprec.load(path)})]


def registrant_only(observations: list[Observation]) -> dict:
    """The reference: the IANA registrant of sysObjectID's enterprise number as vendor, nothing else."""
    facts = observations[0].facts.get("snmp", {}) if observations else {}
    number = pen.enterprise_number(str(facts.get("sysObjectID") or "").strip("."))
    return {"vendor": pen.organisation(number) if number is not None else None,
            "device_class": None, "os_family": None, "conf": {}}


def fingerprinted(observations: list[Observation]) -> dict:
    fp = fingerprint(observations)
    return {"vendor": fp.vendor, "device_class": None if fp.device_class == "unknown" else fp.device_class,
            "os_family": fp.os_family or fp.os_name, "conf": dict(fp.confidence)}


def labels() -> list[dict]:
    return json.loads(LABELS.read_text(encoding="utf-8"))["records"]


def evaluate(data: Path, observe: Observations = offline_observations,
             predict: Callable[[list[Observation]], dict] = fingerprinted) -> tuple[dict, list[dict]]:
    rows = []
    for label in labels():
        path = data / label["file"]
        pred = predict(observe(path) if path.exists() else [])
        klass, os_family = pred["device_class"], pred["os_family"]
        rows.append({
            "file": label["file"], "present": path.exists(), **pred,
            "right": {
                "vendor": None if not label["vendor"] else vendor_right(pred["vendor"], label["vendor"]),
                "device_class": None if not label["accept"] else klass in label["accept"],
                "os_family": None if not label["os"] else norm(os_family) in {norm(o) for o in label["os"]},
            },
            "label": label,
        })
    return summary(rows), rows


def summary(rows: list[dict]) -> dict:
    out: dict = {"recordings": len(rows), "missing_files": sum(not r["present"] for r in rows)}
    for field in ("vendor", "device_class", "os_family"):
        scored = [r for r in rows if r["right"][field] is not None]
        answered = [r for r in scored if r[field]]
        right = sum(r["right"][field] for r in scored)
        high = [r for r in answered if r["conf"].get(field, 0.0) >= 0.8]
        out[field] = {
            "scored": len(scored), "accuracy": round(right / len(scored), 3) if scored else None,
            "coverage": round(len(answered) / len(scored), 3) if scored else None,
            "precision_when_answered": round(right / len(answered), 3) if answered else None,
            "conf>=0.8": f"{sum(r['right'][field] for r in high)}/{len(high)}",
        }
    per: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for r in rows:
        if r["label"]["accept"]:
            per[r["label"]["accept"][0]][1] += 1
            per[r["label"]["accept"][0]][0] += bool(r["right"]["device_class"])
    out["device_class"]["per_class"] = {k: f"{ok}/{n}" for k, (ok, n) in sorted(per.items())}
    out["device_class"]["per_class_average"] = round(sum(ok / n for ok, n in per.values()) / len(per), 3)
    return out


def lab_observations(data: Path, depth: str, batch: int) -> dict[Path, list[Observation]]:
    """Every labelled recording served by snmpsim and swept by the SNMP scanner (lab namespaces)."""
    import fingerprint_lab

    paths = [data / label["file"] for label in labels() if (data / label["file"]).exists()]
    swept = fingerprint_lab.sweep({str(p): p for p in paths}, depth, batch)
    return {Path(k): v for k, v in swept.items()}


def fact_keys(observe: Observations, paths: list[Path]) -> Counter:
    """How many devices each ``facts["snmp"]`` key was reported for."""
    seen: Counter = Counter()
    for path in paths:
        keys = {k for obs in observe(path) for k, v in (obs.facts.get("snmp") or {}).items()
                if v not in (None, "", [], {})}
        seen.update(keys)
    return seen


def loadavg() -> str:
    try:
        return Path("/proc/loadavg").read_text().strip()
    except OSError:
        return "?"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data", type=Path, help="snmpsim_data/data folder (recordings decompressed)")
    parser.add_argument("--misses", action="store_true", help="list every wrong or missing answer")
    parser.add_argument("--lab", action="store_true",
                        help="serve recordings with snmpsim, sweep them with the real SNMP scanner (root)")
    parser.add_argument("--depth", default="system", choices=("basic", "system", "full"),
                        help="lab: SNMP scanner depth")
    parser.add_argument("--batch", type=int, default=120, help="lab: devices per snmpsim process")
    args = parser.parse_args(argv)
    if not args.data.is_dir():
        print(f"error: no such folder: {args.data}", file=sys.stderr)
        return 2
    observe: Observations = offline_observations
    report: dict = {"load_before": loadavg()}
    if args.lab:
        started = time.perf_counter()
        swept = lab_observations(args.data, args.depth, args.batch)
        report["lab_seconds"] = round(time.perf_counter() - started, 1)
        report["load_after_sweep"] = loadavg()

        def observe(path: Path) -> list[Observation]:
            return swept.get(path, [])

        paths = list(swept)
        report["facts_reported"] = {
            key: f"scanner {fact_keys(observe, paths).get(key, 0)} / offline {n}"
            for key, n in sorted(fact_keys(offline_observations, paths).items())}
        report["offline_reading"] = summary(evaluate(args.data)[1])
    result, rows = evaluate(args.data, observe)
    report["through_scanner" if args.lab else "offline"] = result
    reference = summary(evaluate(args.data, observe, registrant_only)[1])
    report["reference_iana_registrant_only"] = {"vendor": reference["vendor"]}
    print(json.dumps(report, indent=1))
    if args.misses:
        for r in rows:
            wrong = [f"{f}={r[f]!r} want {r['label'][LABEL_KEY[f]]}"
                     for f in LABEL_KEY if r["right"][f] is False]
            if wrong:
                print(f"{r['file'][:48]:48} {'; '.join(wrong)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
