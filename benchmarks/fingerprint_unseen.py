"""Fingerprint accuracy on recordings nobody here has seen: PyPI ``snmpsim-data`` (evaluation only).

The recordings are never used to fit or tune anything; ``unseen_labels.json`` holds hand labels
written from each recording's path, sysDescr, sysObjectID and ENTITY-MIB before the fingerprinter
was run on them (lists are the acceptable answers, null = not scored). Offline: each ``.snmprec``
is read into ``facts["snmp"]`` the way the scanner's system sweep reports it (fingerprints.snmprec).

    pip download --no-deps snmpsim-data -d /tmp/sd && unzip -q /tmp/sd/*.whl -d /tmp/sd
    bunzip2 -k /tmp/sd/snmpsim_data/data/**/*.bz2      # most recordings ship compressed
    .venv/bin/python benchmarks/fingerprint_unseen.py /tmp/sd/snmpsim_data/data [--misses]
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections import defaultdict
from pathlib import Path

from netdiscover.fingerprints import fingerprint, snmprec
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


def evaluate(data: Path) -> tuple[dict, list[dict]]:
    labels = json.loads(LABELS.read_text(encoding="utf-8"))["records"]
    rows = []
    for label in labels:
        path = data / label["file"]
        facts = snmprec.load(path) if path.exists() else {}
        fp = fingerprint([Observation(method="snmp", ip="192.0.2.1", facts={"snmp": facts})])
        klass = None if fp.device_class == "unknown" else fp.device_class
        os_family = fp.os_family or fp.os_name
        rows.append({
            "file": label["file"], "present": path.exists(),
            "vendor": fp.vendor, "device_class": klass, "os_family": os_family, "conf": dict(fp.confidence),
            "right": {
                "vendor": None if not label["vendor"] else vendor_right(fp.vendor, label["vendor"]),
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


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data", type=Path, help="snmpsim_data/data folder (recordings decompressed)")
    parser.add_argument("--misses", action="store_true", help="list every wrong or missing answer")
    args = parser.parse_args(argv)
    result, rows = evaluate(args.data)
    print(json.dumps(result, indent=1))
    if args.misses:
        for r in rows:
            wrong = [f"{f}={r[f]!r} want {r['label'][LABEL_KEY[f]]}"
                     for f in LABEL_KEY if r["right"][f] is False]
            if wrong:
                print(f"{r['file'][:48]:48} {'; '.join(wrong)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
