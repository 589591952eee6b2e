"""Fingerprint accuracy on the labelled SNMP corpus (read in place from ../shared/corpus).

Offline: each recording is read into facts["snmp"] as the scanner reports them; the corpus's
own scorer rules decide what is right. Skipped when the corpus is not present.
"""

from __future__ import annotations

import collections
import importlib.util
import json

import pytest

from netdiscover.fingerprints import fingerprint, snmprec, training
from netdiscover.observation import Observation

CORPUS = training.default_corpus()
INDEX = CORPUS / "snmp-public" / "index.json"


@pytest.fixture(scope="module")
def scored():
    if not INDEX.exists():
        pytest.skip(f"corpus not found at {CORPUS} (set NETDISCOVER_CORPUS)")
    spec = importlib.util.spec_from_file_location("corpus_score", CORPUS / "score.py")
    scorer = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(scorer)
    records = json.loads(INDEX.read_text())["records"]
    rename = {"ups/power": "power", "phone/voip": "voip"}
    vendor = [0, 0]
    klass = collections.defaultdict(lambda: [0, 0])
    os_ok = 0
    for record in records:
        facts = snmprec.load(CORPUS / "snmp-public" / "snmprec" / record["file"])
        fp = fingerprint([Observation(method="snmp", ip="192.0.2.1", facts={"snmp": facts})])
        if record.get("vendor_kind") == "hardware":
            vendor[1] += 1
            pv, tv = scorer.norm_vendor(fp.vendor), scorer.norm_vendor(record["vendor"])
            vendor[0] += bool(pv) and (pv == tv or (len(tv) >= 3 and len(pv) >= 3 and
                                                    (pv.startswith(tv) or tv.startswith(pv))))
        accept = [rename.get(a, a) for a in record.get("itam_accept") or [record["itam_class"]]]
        klass[record["itam_class"]][1] += 1
        klass[record["itam_class"]][0] += fp.device_class in accept
        os_ok += scorer.norm_os(fp.os_family or fp.os_name) in scorer.os_aliases(record)
    n = len(records)
    return {
        "vendor": vendor[0] / vendor[1],
        "class": sum(ok for ok, _ in klass.values()) / n,
        "class_macro": sum(ok / tot for ok, tot in klass.values()) / len(klass),
        "os": os_ok / n,
    }


def test_corpus_targets(scored):
    # vendor 0.95 and OS 0.92 before the rules that rested on a single recording were removed or
    # tied to their maker's registered number (issue 17, item 5: scripts/audit_fingerprint_rules.py);
    # the figures that matter are the held-out ones of benchmarks/fingerprint_accuracy.py --cv
    assert scored["vendor"] >= 0.85, scored
    assert scored["class"] >= 0.90, scored
    assert scored["class_macro"] >= 0.85, scored
    assert scored["os"] >= 0.80, scored
