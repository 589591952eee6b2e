"""The learned class model: features, prediction, calibration, abstention, fitting, explanation."""

from __future__ import annotations

import json

import pytest

from netdiscover.fingerprints import class_model, fingerprint, snmp, snmp_features, training
from netdiscover.fingerprints.class_model import ClassModel
from netdiscover.observation import Observation


def snmp_obs(**facts) -> Observation:
    return Observation(method="snmp", ip="192.0.2.20", facts={"snmp": facts})


def test_features_of_a_real_looking_switch():
    facts = {"sysDescr": "Juniper Networks, Inc. ex2300-24p Ethernet Switch, kernel JUNOS 21.4R3",
             "sysObjectID": "1.3.6.1.4.1.2636.1.1.1.2.132", "sysServices": 6, "ipForwarding": 2,
             "mibs": ["bridge", "q-bridge", "lldp", "power-ethernet"], "if_types": [6, 6, 24, 53],
             "bridge_ports": 28, "lldp_caps": {"supported": ["bridge", "router"], "enabled": ["bridge"]},
             "enterprise_numbers": [2636], "entity": [{"class": 3, "model": "EX2300-24P", "mfg": "Juniper"}],
             "hr_devices": [{"type": "1.3.6.1.2.1.25.3.1.3"}]}
    feats = snmp.device_features(facts)
    for name in ("pen:2636", "maker:juniper", "w:switch", "svc:L2", "svc:L3", "fwd:2", "mib:q-bridge",
                 "if:53", "bports:13-32", "lldp:sup:router", "lldp:ena:bridge", "eclass:chassis",
                 "e:ex0", "hr:processor", "rtop:switch"):
        assert name in feats, name


HOSTILE_FACTS = [
    {"sysDescr": "A" * 1_000_000, "sysObjectID": "." + ".1" * 5000},
    {"sysDescr": b"\xff\xfe", "sysObjectID": ["x"], "sysServices": "lots", "ipForwarding": 10**30,
     "mibs": "printer", "if_types": [True, "71", None, -5, 10**12], "bridge_ports": -3,
     "lldp_caps": {"supported": "bridge", "enabled": [None, 7, "x" * 100]},
     "enterprise_numbers": ["9", None, True],
     "hr_devices": [None, {"type": 5}, {"type": "1.3.6.1.2.1.25.3.1." + "9" * 50}], "entity": {"a": 1}},
    {"lldp_caps": ["router"], "bridge_ports": "many", "entity": [None, {"class": "3", "model": 5}] * 3000},
    {"mibs": [["printer"]] * 10_000, "if_types": list(range(100_000)),
     "enterprise_numbers": list(range(10**5))},
]


@pytest.mark.parametrize("facts", HOSTILE_FACTS)
def test_hostile_facts_never_raise(facts):
    feats = snmp.device_features(facts)
    assert all(isinstance(v, float) and 0 <= v <= 1 for v in feats.values())
    assert len(feats) < 2000
    fp = fingerprint([snmp_obs(**facts)])
    assert 0 <= fp.confidence["device_class"] <= 1


def test_no_evidence_gives_unknown():
    assert snmp_features.features("garbage") == {}     # type: ignore[arg-type]
    for facts in ({}, {"sysDescr": None, "sysObjectID": "1.3.6.1.4.1.abc"}, {"sysServices": None}):
        fp = fingerprint([snmp_obs(**facts)])
        assert fp.device_class == "unknown" and fp.confidence["device_class"] < 0.2


def toy() -> ClassModel:
    weights = {"mib:printer": [2.0, -2.0], "w:switch": [-1.0, 1.0]}
    return ClassModel(["printer", "switch"], [0.0, 0.0], weights,
                      calibration=[(0.5, 0.4), (0.9, 0.95)], abstain_below=0.5, min_probability=0.25,
                      tied={"rule": 1.5})


def test_prediction_calibration_and_contributions():
    model = toy()
    pred = model.predict({"mib:printer": 1.0, "rule:printer": 1.0})
    assert pred.device_class == "printer" and pred.probability > 0.9
    assert pred.confidence == 0.95                              # above the last knot
    assert [name for name, _ in pred.contributions] == ["mib:printer", "rule:printer"]
    assert model.calibrated(0.7) == pytest.approx(0.675)         # between knots
    weak = model.predict({"w:switch": 0.1})
    assert weak.abstained                                        # calibrated 0.47 < 0.5
    assert model.predict({"unseen:x": 1.0, "oid:none": 1.0}).abstained   # nothing the model knows


def test_model_round_trips_through_json():
    model = toy()
    again = ClassModel.from_dict(json.loads(json.dumps(model.to_dict())))
    feats = {"mib:printer": 1.0, "w:switch": 1.0, "rule:switch": 0.9}
    assert again.probabilities(feats) == pytest.approx(model.probabilities(feats))
    assert again.tied == model.tied and again.calibration == model.calibration
    model.evidence_weights = {"iana-pen": 0.8165, "descr-maker": 0.9}
    again = ClassModel.from_dict(json.loads(json.dumps(model.to_dict())))
    assert again.evidence_weights == model.evidence_weights


def test_shipped_model_is_calibrated_and_small():
    model = class_model.shipped()
    assert model is not None
    ys = [y for _, y in model.calibration]
    assert ys == sorted(ys) and all(0 < y < 1 for y in ys)
    assert 0 < model.abstain_below < 0.5
    assert class_model.DATA.stat().st_size < 1_000_000
    assert set(model.tied) == set(training.TIED_KINDS)


def samples() -> list[training.Sample]:
    out = []
    for i in range(12):
        klass = ("printer", "switch", "power")[i % 3]
        feats = {f"w:{klass}": 1.0, f"w:noise{i}": 1.0, "svc:L2": 1.0}
        if klass == "power":
            feats["rtop:power"] = 1.0
        groups = {"vendor": f"v{i % 4}", "os": f"o{i % 5}"}
        out.append(training.Sample(f"d{i}", feats, frozenset({klass}), groups))
    return out


def test_fit_is_deterministic_learns_and_ignores_one_device_features():
    data = samples()
    first, second = training.fit(data, epochs=15), training.fit(data, epochs=15)
    assert first.to_dict() == second.to_dict()
    assert "w:noise3" not in first.weights          # seen on one device only: no weight
    assert "w:power" in first.weights
    for klass in ("printer", "switch", "power"):
        assert first.predict({f"w:{klass}": 1.0}).device_class == klass
    assert first.tied["rtop"] > 0


def test_stronger_regularisation_shrinks_weights_and_ties_choose_it():
    data = samples()
    loose, tight = training.fit(data, epochs=15, l2=0.01), training.fit(data, epochs=15, l2=0.3)
    assert tight.meta["l2"] == 0.3
    assert max(map(abs, tight.weights["w:printer"])) < max(map(abs, loose.weights["w:printer"]))
    assert training.best_l2({0.01: 0.70, 0.1: 0.72, 0.3: 0.71}) == 0.1
    assert training.best_l2({0.01: 0.72, 0.1: 0.72, 0.3: 0.71}) == 0.1     # tie: the stronger
    assert training.L2 in training.L2_GRID


def test_accepting_several_classes_and_folds_keep_groups_together():
    data = samples()
    data[0] = training.Sample("d0", {"w:switch": 1.0}, frozenset({"router", "switch"}), {"vendor": "v0"})
    model = training.fit(data, epochs=10)
    assert "router" in model.classes
    fold_of = training.folds(data, "vendor", 3)
    for group in {s.groups["vendor"] for s in data}:
        assert len({f for s, f in zip(data, fold_of, strict=True) if s.groups["vendor"] == group}) == 1
    held = training.out_of_fold(data, fold_of, lambda part: training.fit(part, epochs=5))
    assert len(held) == len(data)


def test_isotonic_is_monotone_and_shrunk():
    points = [(0.1, False), (0.2, True), (0.3, False), (0.6, True), (0.7, True), (0.9, True), (0.95, True)]
    table = training.isotonic(points)
    ys = [y for _, y in table]
    assert ys == sorted(ys)
    assert ys[-1] < 1.0                          # never certainty from a handful of answers


def test_isotonic_lower_bound_is_below_the_share_and_tighter_with_more_answers():
    few = [(0.6, True)] * 8 + [(0.6, False)] * 2
    many = few * 20
    for points in (few, many):
        (_, share), = training.isotonic(points)
        (_, bound), = training.isotonic(points, z=1.0)
        assert bound < share
    gap_few = training.isotonic(few)[0][1] - training.isotonic(few, z=1.0)[0][1]
    gap_many = training.isotonic(many)[0][1] - training.isotonic(many, z=1.0)[0][1]
    assert gap_many < gap_few
    mixed = [(0.2, False), (0.3, True), (0.5, True), (0.9, True), (0.9, True)]
    ys = [y for _, y in training.isotonic(mixed, z=1.0)]
    assert ys == sorted(ys)


def test_contested_answers_get_their_own_table_only_when_there_are_enough():
    plain = [(0.9, True)] * 30
    enough = {"vendor": plain, "vendor~contested": [(0.9, False)] * training.MIN_CONTESTED}
    tables = training.field_tables(enough)
    assert tables["vendor"][0][1] > 0.8 > tables["vendor~contested"][0][1]
    few = {"vendor": plain, "vendor~contested": [(0.9, False)] * (training.MIN_CONTESTED - 1)}
    tables = training.field_tables(few)
    assert set(tables) == {"vendor"}
    assert tables["vendor"][0][1] < training.field_tables({"vendor": plain})["vendor"][0][1]


def test_explain_lists_model_contributions():
    fp = fingerprint([snmp_obs(sysDescr="", sysObjectID="", mibs=["printer", "host-resources"],
                               hr_devices=[{"type": "1.3.6.1.2.1.25.3.1.5", "descr": "Laser"}])])
    assert fp.device_class == "printer"
    items = [e for e in fp.evidence if e.field == "device_class"]
    assert items[0].rule == snmp.MODEL_RULE and items[0].weight == fp.confidence["device_class"]
    named = {e.rule.split(":", 1)[1] for e in items[1:] if e.rule.startswith(snmp.MODEL_RULE + ":")}
    assert "std:printer" in named
    assert all(0 < e.weight <= items[0].weight for e in items)


def test_lldp_capabilities_are_class_evidence():
    fp = fingerprint([snmp_obs(sysDescr="", sysObjectID="",
                               lldp_caps={"supported": ["bridge", "telephone"], "enabled": ["telephone"]})])
    assert fp.device_class == "voip"
    assert any(e.source == snmp.LLDP_SOURCE and e.rule == "lldp-cap:telephone" for e in fp.evidence)
    both = snmp.lldp_evidence({"lldp_caps": {"enabled": ["bridge", "router"]}})
    assert [e.value for e in both] == ["switch"]
    assert snmp.lldp_evidence({"lldp_caps": {"enabled": "router"}}) == []


def test_kind_weights_are_each_kinds_share_of_right_makers():
    from types import SimpleNamespace

    from netdiscover.fingerprints import training

    scorer = SimpleNamespace(norm_vendor=lambda v: (v or "").casefold() or None,
                             norm_os=lambda v: v, os_aliases=lambda r: set())
    record = {"vendor": "Synology", "vendor_kind": "hardware", "itam_class": "storage"}
    devices = [training.Device(f"nas{i}", {"sysDescr": "Linux nas", "sysObjectID": "1.3.6.1.4.1.8072.3.2.10",
                                           "enterprise_numbers": [6574]}, frozenset({"storage"}),
                               "synology", "linux", record) for i in range(3)]
    weights = training.evidence_weights(devices, scorer)
    assert weights["served-pen"] == pytest.approx(4 / 5)        # 3 right of 3, shrunk: (3+1)/(3+2)
    assert weights["iana-pen"] == 0.5                           # never fired: no opinion


def test_recog_examples_are_training_devices_that_carry_only_their_sysdescr():
    extra = training.recog_samples()
    assert len(extra) > 200
    classes = {c for s in extra for c in s.accept}
    assert {"printer", "switch", "router"} <= classes
    for sample in extra:
        assert len(sample.accept) == 1
        # the label must not ride in as a feature: no Recog class, rule class or absence feature
        assert not any(n.startswith(("recog:", "rtop:", "range:")) or n.endswith(":none")
                       for n in sample.features)
        assert set(sample.groups) == {"vendor", "os"}
    assert len(training.recog_samples(per_fingerprint=2)) > len(extra)


def test_held_out_vendors_lose_their_recog_examples_too():
    extra = training.recog_samples()
    cisco = [s for s in extra if s.groups["vendor"] == "cisco"]
    assert cisco
    kept = training.held_out_extra(extra, "vendor", {"cisco"})
    assert len(kept) == len(extra) - len(cisco)
    assert all(s.groups["vendor"] != "cisco" for s in kept)


def test_extra_samples_are_fitted_but_not_augmented():
    data = samples()
    extra = [training.Sample(f"x{i}", {"w:camera": 1.0, "rtop:camera": 1.0}, frozenset({"camera"}),
                             {"vendor": "x", "os": "x"}) for i in range(6)]
    model = training.fit(data, epochs=15, extra=extra)
    assert "camera" in model.classes
    assert model.predict({"w:camera": 1.0}).device_class == "camera"
    assert model.meta["extra_devices"] == 6 and model.meta["corpus_devices"] == len(data)


def test_a_kind_with_enough_answers_gets_one_flat_share_and_the_rest_share_the_field_table():
    linux = [(0.6, True)] * 4 + [(0.6, False)] * 8          # a generic rule: right a third of the time
    rare = [(0.6, True)] * (training.MIN_KIND - 1)           # too few answers for a table of its own
    points = {"os_family": [(0.3, True)] * 10, f"os_family{training.KIND_MARK}snmp:netsnmp-linux": linux,
              f"os_family{training.KIND_MARK}snmp:rare-oid": rare,
              f"os_family~contested{training.KIND_MARK}snmp:netsnmp-linux": [(0.6, False)] * 3}
    tables = training.field_tables(points)
    own = tables["os_family@snmp:netsnmp-linux"]
    assert own[0][1] == own[-1][1] < 4 / 12                  # one share, a lower bound under 4/12
    assert "os_family@snmp:rare-oid" not in tables
    assert "os_family~contested" not in tables               # 3 contested: pooled into the field table
    without_rare = training.field_tables({k: v for k, v in points.items() if "rare" not in k})
    assert tables["os_family"][-1][1] > without_rare["os_family"][-1][1]   # the rare kind's answers pooled in


def test_a_description_naming_a_class_is_a_tied_feature_of_that_class():
    feats = snmp.device_features({"sysDescr": "Barracuda Load Balancer ADC",
                                  "sysObjectID": "1.3.6.1.4.1.20632.2"})
    assert feats.get("cword:load-balancer") == 1.0
    assert "cword" in training.TIED_KINDS
