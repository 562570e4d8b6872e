from __future__ import annotations

from tests.unit.domain_values import mutable_dataclasses


def test_domain_values_are_immutable() -> None:
    assert mutable_dataclasses("scoring.domain.policy", "scoring.domain.score",
                               "scoring.domain.ranking", "scoring.domain.payslip",
                               "scoring.domain.pay_rules", "scoring.domain.board") == set()
