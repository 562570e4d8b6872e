from __future__ import annotations

from tests.unit.domain_values import mutable_dataclasses


def test_domain_values_are_immutable() -> None:
    assert mutable_dataclasses("gateway.domain.roster", "gateway.domain.tenant",
                               "gateway.domain.employment") == set()
