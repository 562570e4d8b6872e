"""Every rule of a scoring policy as data: what ``policy_from_dict``/``validate`` accept and
refuse (with ``InvalidPolicy``, never another exception), the defaults, the presets."""

from __future__ import annotations

import copy
from decimal import Decimal as D
from typing import Any

import pytest

from scoring.domain.pay_rules import DisciplineRules, PayRules, ProrationRules
from scoring.domain.policy import (
    DEFAULT_PRESET,
    PRESETS,
    ComponentSpec,
    InvalidPolicy,
    Part,
    Policy,
    policy_from_dict,
    preset,
    validate,
)

VALID: dict[str, Any] = {
    "name": "kab_contoh",
    "minutes_per_day": 300,
    "tpp_adjustments": {"CPNS": "80"},
    "components": [
        {"name": "kinerja", "weight": "70", "parts": [{"source": "performance", "weight": "100"}]},
        {"name": "disiplin", "weight": "30", "parts": [{"source": "attendance", "weight": "75"},
                                                      {"source": "apel", "weight": "25"}]},
    ],
}


def spec(**changes: Any) -> dict[str, Any]:
    out = copy.deepcopy(VALID)
    out.update(changes)
    return out


def weights(first: str, second: str) -> dict[str, Any]:
    s = spec()
    s["components"][0]["weight"], s["components"][1]["weight"] = first, second
    return s


def refused(data: Any) -> str:
    with pytest.raises(InvalidPolicy) as info:
        policy_from_dict(data)
    assert info.value.code == "invalid_policy"
    return info.value.message


def test_a_valid_policy_is_read_exactly() -> None:
    p = policy_from_dict(VALID)
    assert p.name == "kab_contoh" and p.minutes_per_day == 300
    assert p.components == (
        ComponentSpec("kinerja", D("70"), (Part("performance", D("100")),)),
        ComponentSpec("disiplin", D("30"), (Part("attendance", D("75")), Part("apel", D("25")))),
    )
    assert p.tpp_adjustments == {"CPNS": D("80")}
    assert p.sources() == {"performance", "attendance", "apel"}
    # sections not stated read as their defaults, and are written out in full
    assert p.to_dict() == {**VALID, "description": "", "discipline": DisciplineRules().to_dict(),
                           "pay": PayRules().to_dict(),
                           "proration": ProrationRules().to_dict()}
    assert policy_from_dict(p.to_dict()) == p


@pytest.mark.parametrize("value", ["-1", "-0.01", "NaN", "Infinity", "-Infinity", "sNaN"])
def test_negative_or_non_finite_weights_are_refused(value: str) -> None:
    s = weights(value, "30")
    assert "tidak negatif" in refused(s)
    s = spec()
    s["components"][1]["parts"][0]["weight"] = value
    assert "tidak negatif" in refused(s)
    assert "tidak negatif" in refused(spec(tpp_adjustments={"CPNS": value}))


@pytest.mark.parametrize("value", ["abc", "", "1,5", None, [1]])
def test_a_weight_that_is_no_number_is_refused(value: Any) -> None:
    assert "bukan angka" in refused(weights(value, "30"))  # type: ignore[arg-type]


def test_zero_weights_are_allowed() -> None:
    p = policy_from_dict(weights("0", "100"))
    assert [c.weight for c in p.components] == [D("0"), D("100")]
    s = spec()
    s["components"][1]["parts"][0]["weight"], s["components"][1]["parts"][1]["weight"] = "0", "100"
    assert policy_from_dict(s).components[1].parts[0].weight == 0
    assert policy_from_dict(spec(tpp_adjustments={"CPNS": "0"})).adjustment_pct("CPNS") == 0


@pytest.mark.parametrize(("first", "second"), [("70", "29.99"), ("70", "30.01"),
                                                ("101", "0"), ("100", "100"), ("50", "40")])
def test_component_weights_must_sum_to_exactly_100(first: str, second: str) -> None:
    assert "harus 100" in refused(weights(first, second))


@pytest.mark.parametrize(("first", "second"), [("100", "0"), ("99.99", "0.01"), ("0.5", "99.5")])
def test_component_weights_summing_to_100_are_accepted(first: str, second: str) -> None:
    assert sum(c.weight for c in policy_from_dict(weights(first, second)).components) == 100


@pytest.mark.parametrize(("a", "b"), [("75", "24.99"), ("75", "25.01"), ("100", "100"),
                                      ("101", "0")])
def test_parts_must_sum_to_100(a: str, b: str) -> None:
    s = spec()
    s["components"][1]["parts"][0]["weight"], s["components"][1]["parts"][1]["weight"] = a, b
    assert "bagian komponen disiplin harus 100" in refused(s)


def test_component_names_are_unique() -> None:
    s = spec()
    s["components"][1]["name"] = "kinerja"
    assert "ganda" in refused(s)


def test_unknown_source_and_empty_policy_are_refused() -> None:
    s = spec()
    s["components"][1]["parts"][1]["source"] = "horoskop"
    assert "'horoskop'" in refused(s) and "tidak dikenal" in refused(s)
    assert "minimal satu komponen" in refused(spec(components=[]))


def test_a_component_without_parts_is_refused() -> None:
    lonely = Policy("x", (ComponentSpec("a", D("100"), ()),))
    with pytest.raises(InvalidPolicy, match="tidak memiliki sumber"):
        validate(lonely)
    # in the dict form an empty part list falls back to the component's own source
    s = spec()
    s["components"][0] = {"name": "kinerja", "weight": "70", "parts": [],
                          "source": "performance"}
    assert policy_from_dict(s).components[0].parts == (Part("performance", D("100")),)
    s["components"][0].pop("source")
    assert "tidak dikenal" in refused(s)


@pytest.mark.parametrize(("minutes", "ok"), [(0, False), (1, True), (300, True), (1440, True),
                                             (1441, False), (-300, False)])
def test_minutes_per_day_between_1_and_1440(minutes: int, ok: bool) -> None:
    if ok:
        assert policy_from_dict(spec(minutes_per_day=minutes)).minutes_per_day == minutes
    else:
        assert "antara 1 dan 1440" in refused(spec(minutes_per_day=minutes))


@pytest.mark.parametrize(("pct", "ok"), [("100", True), ("99.99", True), ("100.01", False),
                                         ("150", False)])
def test_adjustments_above_100_are_refused(pct: str, ok: bool) -> None:
    if ok:
        assert policy_from_dict(spec(tpp_adjustments={"PPPK": pct})).adjustment_pct(
            "PPPK") == D(pct)
    else:
        assert "PPPK tidak boleh lebih dari 100%" in refused(spec(tpp_adjustments={"PPPK": pct}))


@pytest.mark.parametrize("data", [
    {},  # no components
    {"components": [{"weight": "100", "parts": []}]},  # a component without name
    {"components": [{"name": "a", "parts": [{"source": "performance"}]}]},  # no weight
    {"components": [{"name": "a", "weight": "100", "parts": [{"weight": "100"}]}]},
    {"components": "performance"},
    {"components": [["a", "100"]]},
    {"components": 7},
    {**VALID, "minutes_per_day": "lima ratus"},
    {**VALID, "minutes_per_day": None},
    {**VALID, "tpp_adjustments": ["CPNS", "80"]},
    {**VALID, "tpp_adjustments": "CPNS=80"},
    [],
    None,
])
def test_malformed_policy_is_refused_as_invalid_policy(data: Any) -> None:
    assert refused(data)


def test_defaults_of_the_dict_form() -> None:
    p = policy_from_dict({"components": [{"name": "k", "weight": "100",
                                          "source": "performance"}]})
    assert p.name == "custom" and p.minutes_per_day == 300
    assert p.components == (ComponentSpec("k", D("100"), (Part("performance", D("100")),)),)
    assert policy_from_dict({**p.to_dict(), "name": ""}).name == "custom"
    # a part without a weight is the whole component
    one = {"name": "k", "weight": "100", "parts": [{"source": "attendance"}]}
    assert policy_from_dict({"components": [one]}).components[0].parts == (
        Part("attendance", D("100")),)


def test_unstated_tpp_adjustments_keep_cpns_at_80_percent() -> None:
    """A policy that does not mention adjustments pays CPNS 80 % like the presets; an
    explicit empty mapping pays everyone 100 %."""
    unstated = {k: v for k, v in VALID.items() if k != "tpp_adjustments"}
    p = policy_from_dict(unstated)
    assert p.adjustment_pct("CPNS") == D("80")
    assert p.adjustment_pct("PNS") == p.adjustment_pct("PPPK") == D("100")
    assert policy_from_dict(spec(tpp_adjustments=None)).adjustment_pct("CPNS") == D("80")
    explicit = policy_from_dict(spec(tpp_adjustments={}))
    assert explicit.tpp_adjustments == {} and explicit.adjustment_pct("CPNS") == D("100")
    assert policy_from_dict(p.to_dict()) == p
    assert Policy("x", p.components).tpp_adjustments == {"CPNS": D("80")}


def test_to_dict_is_plain_sorted_json() -> None:
    p = policy_from_dict(spec(tpp_adjustments={"PPPK": "90", "CPNS": "80.5"}))
    d = p.to_dict()
    assert list(d["tpp_adjustments"].items()) == [("CPNS", "80.5"), ("PPPK", "90")]
    assert d["components"][1] == {"name": "disiplin", "weight": "30", "parts": [
        {"source": "attendance", "weight": "75"}, {"source": "apel", "weight": "25"}]}


def test_presets_are_the_regulations() -> None:
    def shape(name: str) -> list[tuple[str, D, list[tuple[str, D]]]]:
        return [(c.name, c.weight, [(p.source, p.weight) for p in c.parts])
                for c in PRESETS[name].components]

    assert shape("cilegon") == [("individual_performance", D("52.5"), [("performance", 100)]),
                                ("attendance", D("30"), [("attendance", 100)]),
                                ("collective_work", D("17.5"), [("apel", 100)])]
    assert shape("performance60_discipline40") == [
        ("performance", 60, [("performance", 100)]), ("discipline", 40, [("attendance", 100)])]
    assert shape("performance60_attendance30_compliance10") == [
        ("performance", 60, [("performance", 100)]),
        ("attendance", 30, [("attendance", 60), ("apel", 40)]),
        ("compliance", 10, [("compliance", 100)])]
    for p in PRESETS.values():
        assert p.minutes_per_day == 300 and p.tpp_adjustments == {"CPNS": D("80")}
        assert preset(p.name) is p
    assert DEFAULT_PRESET == "performance60_discipline40" and DEFAULT_PRESET in PRESETS


def test_unknown_preset() -> None:
    with pytest.raises(InvalidPolicy) as info:
        preset("kab_lain")
    assert info.value.code == "unknown_preset"
    assert "'kab_lain'" in info.value.message and "cilegon" in info.value.message


def test_with_changes_patches_top_level_fields_and_names_new_components_custom() -> None:
    """PATCH semantics: the fields given replace the current ones, the others are kept; a
    new component list without a new name makes the policy ``custom``; the result is
    validated like any stored policy."""
    current = policy_from_dict(VALID)
    minutes = current.with_changes({"minutes_per_day": 450})
    assert minutes.name == "kab_contoh" and minutes.minutes_per_day == 450
    assert minutes.components == current.components
    assert minutes.tpp_adjustments == current.tpp_adjustments
    new_components = [{"name": "kinerja", "weight": "100", "source": "performance"}]
    renamed = current.with_changes({"components": new_components})
    assert renamed.name == "custom" and renamed.minutes_per_day == 300
    assert renamed.components == (ComponentSpec("kinerja", D("100"),
                                                (Part("performance", D("100")),)),)
    named = current.with_changes({"components": new_components, "name": "kab_baru"})
    assert named.name == "kab_baru" and named.components == renamed.components
    assert current.with_changes({"name": "kab_lain"}).name == "kab_lain"
    assert current.with_changes({"name": ""}).name == "kab_contoh"
    with pytest.raises(InvalidPolicy, match="antara 1 dan 1440"):
        current.with_changes({"minutes_per_day": 0})


def test_with_changes_keeps_the_description_only_under_the_same_name() -> None:
    """A policy's description says what that policy measures: a change that keeps the name
    keeps it; a renamed policy (whatever its new name sorts as) or new components without
    a name (``custom``) start with none; a description given in the change wins."""
    current = policy_from_dict({**VALID, "description": "Kinerja 70 / disiplin 30."})
    assert current.with_changes({"minutes_per_day": 450}).description == (
        "Kinerja 70 / disiplin 30.")
    assert current.with_changes({"name": "kab_contoh"}).description == (
        "Kinerja 70 / disiplin 30.")
    # "aceh" (and "custom") sort before "kab_contoh", "kota_x" after it: all drop it
    for name in ("aceh", "kota_x"):
        assert current.with_changes({"name": name}).description == ""
    new_components = [{"name": "kinerja", "weight": "100", "source": "performance"}]
    assert current.with_changes({"components": new_components}).description == ""
    assert current.with_changes({"name": "aceh", "description": "Baru."}).description == (
        "Baru.")
    assert current.with_changes({"description": ""}).description == ""
