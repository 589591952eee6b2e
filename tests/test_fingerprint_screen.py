"""Literal screens (literal_screen.Screen): a regex is skipped only when it cannot match, and the speed
paths (shared pair sets, direct anchor checks, the decision memo) give the same answers."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from netdiscover.fingerprints import combine, literal_screen, rules, snmp, vendors
from netdiscover.fingerprints.model import Evidence
from netdiscover.fingerprints.recog import database

SHIPPED = Path(snmp.__file__).parent
FLAGS = re.IGNORECASE | re.DOTALL
SAMPLES = [
    "Cisco IOS Software, C2960X Software (C2960X-UNIVERSALK9-M), Version 15.2(7)E4, RELEASE SOFTWARE (fc2)",
    "RouterOS RB4011iGS+", "Linux web 5.10.0-21-amd64 #1 SMP Debian 5.10.162-1 x86_64",
    "SG350-28 28-Port Gigabit Managed Switch", "SN4120 SmartNode VoIP gateway", "UAP-AC-Pro 6.5.62",
    "U6-LR 6.6.55", "Prestige 660HW-61", "DGS-1210-28/ME/B1", "JetStream 24-Port Gigabit L2 Managed Switch",
    "ECS4120-28Fv2-I", "Horizon Compact hc400", "GXP2170 1.0.11.3", "ST706v6 8.2.6.5",
    "ProCurve J9019B Switch 2510B-24, revision Q.11.17, ROM Q.10.02", "Hewlett-Packard Company",
    "HUAWEI Versatile Routing Platform Software", "Dell EMC Networking N1524P",
    "APC Web/SNMP Management Card",
    "Juniper Networks, Inc. ex2300-24p Ethernet Switch, kernel JUNOS 20.4R3", "Zebra ZTC ZT410-203dpi",
    "", " ", "x", "\u00e9\u00e8\u00ea", "\x00\x01\x02" * 20, "a" * 5000,
]
# characters an IGNORECASE regex matches to an ASCII letter although str.lower() keeps them apart
TRICKS = {"i": "\u0130", "I": "\u0131", "s": "\u017f", "k": "\u212a"}


def tricky(text: str) -> str:
    return "".join(TRICKS.get(c, c) for c in text)


def texts() -> list[str]:
    return SAMPLES + [tricky(t) for t in SAMPLES] + [t.upper() for t in SAMPLES] + [t[3:] for t in SAMPLES]


@pytest.mark.parametrize(("pattern", "needs"), [
    ("Cisco IOS", (("cisco ios", False),)),
    (r"^SN\d{4}|SmartNode", (("smartnode", False), ("sn", True))),
    (r"^(SG|SF)\w*[\s-]", (("s", True),)),     # re factors the common S out
    (r"\AFoo", (("foo", True),)),
    (r"(?m)^SN", (("sn", False),)),            # ^ of any line: anywhere
    (r"(?m:^SN)x", (("sn", False),)),
    (r"x(?=abc)", (("x", False),)),           # a lookahead's text is not part of the match
    (r"(?!abc)x", (("x", False),)),
    (r"(?:ab)?c", (("c", False),)),           # an optional group is not needed
    (r"(a|)x", (("x", False),)),
    (r"^\d?SN", (("sn", False),)),            # something may come before SN
    (r"\w+", None),
    (r"a|\d", None),                          # one alternative needs no literal
    ("\u212a", None),                         # non-ASCII literals are never screened on
    ("[", None),                              # not a regex: no screen
])
def test_requirements_of(pattern, needs):
    assert literal_screen.requirements_of(pattern, FLAGS) == needs


@pytest.mark.parametrize(("text", "folded"), [
    ("Cisco IOS", "cisco ios"), ("R\u0130X", "rix"), ("\u017fn", "sn"), ("\u0131x", "ix"),
    ("\u212aB", "kb"), ("", ""),
])
def test_fold_keeps_what_ignorecase_matches(text, folded):
    assert literal_screen.fold(text) == folded


def test_pairs_of():
    assert literal_screen.pairs_of("abca") == frozenset({"ab", "bc", "ca"})
    assert literal_screen.pairs_of("a") == frozenset()


def shipped_patterns() -> list[re.Pattern[str]]:
    raw = rules.read_rules(SHIPPED / "snmp_rules.yaml")
    found = [re.compile(str(r[key]), FLAGS) for r in raw for key in ("descr", "entity", "text") if r.get(key)]
    found += [pattern for pattern, _ in vendors._table()]
    found += [re.compile(p, FLAGS) for p in (r"^SN\d{4}|SmartNode", "RIX", r"^sn", r"(?m)^ab", r"\bks")]
    return found


def test_screen_never_hides_a_match():
    patterns = shipped_patterns()
    screen = literal_screen.Screen(patterns)
    assert screen.size == len(patterns)
    for text in texts():
        matching = [n for n, p in enumerate(patterns) if p.search(text)]
        candidates = screen.candidates(literal_screen.fold(text))
        assert candidates == sorted(candidates)
        assert set(matching) <= set(candidates), text[:60]


def test_screen_skips_what_cannot_match():
    screen = literal_screen.Screen([re.compile(r"^SN\d{4}", FLAGS), re.compile("SmartNode", FLAGS), None,
                           re.compile(r"\w+", FLAGS)])
    assert screen.candidates(literal_screen.fold("SN4120 gateway")) == [0, 2, 3]
    assert screen.candidates(literal_screen.fold("a SmartNode")) == [1, 2, 3]
    assert screen.candidates(literal_screen.fold("ſn4120")) == [0, 2, 3]     # long s: IGNORECASE finds ^sn
    assert screen.candidates("") == [2, 3]


def naive(ruleset: rules.RuleSet, subject: rules.Subject) -> set[tuple[str, tuple]]:
    return {(r.id, tuple(sorted(v.items()))) for r in ruleset.rules if (v := r.matches(subject)) is not None}


@pytest.mark.parametrize("text", texts())
def test_ruleset_matches_what_every_rule_tried_would(text):
    ruleset = snmp.ruleset()
    for oid in ("", "1.3.6.1.4.1.9.1.1208", "1.3.6.1.4.1.14988.1"):
        subject = rules.Subject(texts={"descr": text, "text": text}, oid=oid,
                                sets={"enterprise": frozenset({41112, 9}), "mib": frozenset({"bridge"})},
                                subtrees=("1.3.6.1.4.1.41112.1.4",))
        fast = ruleset.match(subject)
        assert {(r.id, tuple(sorted(v.items()))) for r, v in fast} == naive(ruleset, subject)
        unindexed = [r.id for r, _ in fast if not r.oids]
        order = [r.id for r in ruleset.rules if r.id in set(unindexed)]
        assert unindexed == order                 # rules without an OID speak in file order


def test_ruleset_survives_hostile_text():
    ruleset = snmp.ruleset()
    for text in ("\U0010ffff" * 10_000, "1.3.6." * 50_000, "(" * 100_000):
        bounded = text[:rules.MAX_TEXT]
        subject = rules.Subject(texts={"descr": bounded, "text": bounded}, oid=text[:200])
        assert isinstance(ruleset.match(subject), list)


def test_known_vendor_screen_agrees_with_every_row():
    table = vendors._table()
    for text in texts():
        head = text[:120]
        expected = next((short for pattern, short in table if pattern.search(head)), None)
        assert vendors._tabled(head) == expected


@pytest.mark.parametrize("name", ["snmp_sysobjid", "snmp_sysdescr"])
def test_recog_candidates_are_the_fingerprints_whose_anchor_occurs(name):
    db = database.load(name)
    lengths = set()
    for text in texts() + ["1.3.6.1.4.1.9.1.1208 " + t for t in SAMPLES]:
        lowered = text.lower()
        lengths.add(len(db.anchors) < len(lowered))      # both ways of looking are exercised
        expected = sorted(set(db.always) | {i for anchor, i in db.anchors if anchor in lowered})
        assert db.candidates(lowered) == expected
    assert lengths == {True, False}


def test_decide_memo_cuts_weights_above_one_every_time():
    def items() -> list[Evidence]:
        return [Evidence("snmp", "r1", "vendor", "Cisco", 1.5, "a"),
                Evidence("oui", "o", "vendor", "Cisco", 0.3)]

    combine._plan.cache_clear()
    first, second = combine.decide(items()), combine.decide(items())
    for fp in (first, second):
        assert fp.vendor == "Cisco"
        assert [e.weight for e in fp.evidence] == [1.0, 0.3]
        assert fp.evidence[0].matched == "a"
    assert first.to_dict() == second.to_dict() == combine._decide(items()).to_dict()


def test_model_scores_add_feature_rows_in_order_exactly():
    from netdiscover.fingerprints.class_model import ClassModel

    model = ClassModel(["a", "b", "c"], [0.1, -0.2, 0.3],
                       {"w:x": [0.1, 0.7, -1e-17], "w:y": [1e16, 1.0, 3.3], "rtop:a": [0.0, 0.0, 0.0]},
                       tied={"rtop": 0.5})
    feats = {"w:x": 1.0, "w:y": 0.37, "rtop:a": 1.0, "w:unknown": 1.0}
    expected = list(model.bias)
    for name, strength in feats.items():
        row = model.weights.get(name)
        if row is not None:
            expected = [t + strength * w for t, w in zip(expected, row, strict=True)]
        if name == "rtop:a":
            expected[0] += strength * 0.5
    assert model.scores(feats) == expected          # bit for bit: same additions, same order
    model.weights["w:bad"] = [1.0]
    with pytest.raises(ValueError):
        model.scores({"w:bad": 1.0})


def test_gather_asks_nmap_and_ports_only_of_devices_with_their_input(monkeypatch):
    from netdiscover.fingerprints import nmap, ports
    from netdiscover.observation import Observation, Service

    asked: list[str] = []
    for module in (nmap, ports):
        real = module.evidence
        monkeypatch.setattr(module, "evidence",
                            lambda obs, real=real, name=module.__name__: asked.append(name) or real(obs))
    arp = Observation(method="arp", ip="192.0.2.7", mac="00:1b:54:00:00:07")
    snmp_only = Observation(method="snmp", ip="192.0.2.7", facts={"snmp": {"sysDescr": "RouterOS RB4011"}})
    assert combine.gather([arp, snmp_only]) == combine.gather([arp, snmp_only])
    assert asked == []
    served = Observation(method="nmap", ip="192.0.2.7", services=[Service(port=9100, name="jetdirect")])
    assert any(e.source == "ports" for e in combine.gather([arp, served]))
    assert sorted(asked) == ["netdiscover.fingerprints.nmap", "netdiscover.fingerprints.ports"]
    asked.clear()
    osmatch = [{"name": "Linux", "accuracy": 96, "osclass": [{"vendor": "Linux", "osfamily": "Linux",
                                                             "type": "general purpose", "accuracy": 96}]}]
    guessed = Observation(method="nmap", ip="192.0.2.7", facts={"nmap": {"osmatch": osmatch}})
    assert any(e.source == "nmap" for e in combine.gather([guessed]))
    assert "netdiscover.fingerprints.nmap" in asked
