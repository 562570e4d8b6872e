"""Property: for any month of facts, any valid policy and any employee, ``compute_score``
gives what the independent oracle (``oracle.py``: the regulation's formula in exact
fractions) computes: every component, the final %, the TPP, the sources and the effective
minutes."""

from __future__ import annotations

from decimal import Decimal as D
from fractions import Fraction

from hypothesis import given, settings
from hypothesis import strategies as st

from scoring.domain.policy import SOURCES, policy_from_dict
from scoring.domain.score import EmployeeTerms, MonthFacts, compute_score

from . import oracle

PERIODS = ["2024-02", "2025-02", "2026-01", "2026-11", "2026-12", "2027-06"]


def hundredths(draw: st.DrawFn, total: int, parts: int) -> list[D]:
    """``parts`` non-negative amounts with two decimals that add up to ``total``."""
    cuts = sorted(draw(st.lists(st.integers(0, total * 100), min_size=parts - 1,
                                max_size=parts - 1)))
    bounds = [0, *cuts, total * 100]
    return [D(hi - lo) / 100 for lo, hi in zip(bounds, bounds[1:], strict=False)]


@st.composite
def policy_specs(draw: st.DrawFn) -> dict:
    n = draw(st.integers(1, 4))
    components = []
    for i, weight in enumerate(hundredths(draw, 100, n)):
        k = draw(st.integers(1, 3))
        sources = draw(st.lists(st.sampled_from(sorted(SOURCES)), min_size=k, max_size=k,
                                unique=True))
        components.append({
            "name": f"c{i}", "weight": str(weight),
            "parts": [{"source": s, "weight": str(w)}
                      for s, w in zip(sources, hundredths(draw, 100, k), strict=True)],
        })
    spec: dict = {"name": "drawn", "components": components,
                  "minutes_per_day": draw(st.sampled_from([1, 240, 300, 330, 450, 1440]))}
    adjustments = draw(st.none() | st.dictionaries(
        st.sampled_from(["PNS", "CPNS", "PPPK"]),
        st.sampled_from(["0", "50", "80", "87.5", "99.99", "100"]), max_size=3))
    if adjustments is not None:
        spec["tpp_adjustments"] = adjustments
    return spec


@st.composite
def months(draw: st.DrawFn) -> tuple[MonthFacts, oracle.Month]:
    period = draw(st.sampled_from(PERIODS))
    minutes = draw(st.integers(0, 12_000))
    days = draw(st.none() | st.sampled_from([D(0), D("0.5"), D(1), D(19), D("20.5"), D(22),
                                             D(23)]))
    deductions = draw(st.lists(st.decimals(0, 25, places=3), max_size=25))
    apel = draw(st.lists(st.booleans(), max_size=23))
    compliance = draw(st.none() | st.decimals(0, 120, places=2))
    unit = draw(st.none() | st.decimals(0, 100, places=2))
    facts = MonthFacts(period, approved_minutes=minutes, effective_days=days,
                       deduction_sum=sum(deductions, D(0)), apel_recorded=len(apel),
                       apel_attended=sum(apel), compliance_pct=compliance,
                       unit_performance_pct=unit)
    raw = oracle.Month(period, minutes, None if days is None else Fraction(days),
                       [Fraction(d) for d in deductions], apel,
                       None if compliance is None else Fraction(compliance),
                       None if unit is None else Fraction(unit))
    return facts, raw


@settings(max_examples=300, deadline=None)
@given(spec=policy_specs(), month=months(),
       base=st.sampled_from([D(0), D(1), D("1001"), D("3333333"), D("4500000.50"),
                             D("12500000")]),
       kind=st.sampled_from(["PNS", "CPNS", "PPPK"]))
def test_compute_score_agrees_with_the_oracle(spec: dict, month: tuple, base: D,
                                              kind: str) -> None:
    facts, raw = month
    score = compute_score(policy_from_dict(spec), facts, EmployeeTerms(base, kind))
    expected = oracle.expected_score(spec, raw, base, kind)
    assert tuple((c.name, Fraction(c.value_pct)) for c in score.components) == (
        expected.components)
    assert [c.weight for c in score.components] == [D(c["weight"]) for c in spec["components"]]
    assert Fraction(score.final_pct) == expected.final_pct
    assert Fraction(score.tpp_amount) == expected.tpp_amount
    assert score.tpp_base == base
    values = oracle.sources(raw, spec["minutes_per_day"])
    assert {k: Fraction(v) for k, v in score.sources.items()} == {
        k: oracle.half_up(v, 2) for k, v in values.items()}
    days = (raw.effective_days if raw.effective_days is not None
            else oracle.mon_fri_days(raw.period))
    assert Fraction(score.effective_minutes) == days * spec["minutes_per_day"]
