"""The policy preset names live in two places: the shared list the gateway validates a
tenant's preset against, and the policies themselves in scoring. A name in one and not the
other would let the gateway accept a tenant that scoring quarantines (or hide a preset
scoring has). This contract keeps them the same, both ways."""

from __future__ import annotations

from ekinerja_shared.presets import POLICY_PRESETS, SEED_TENANTS
from scoring.domain.policy import DEFAULT_PRESET, PRESETS, preset
from scoring.settings import Settings


def test_gateway_and_scoring_know_the_same_preset_names() -> None:
    assert set(POLICY_PRESETS) - set(PRESETS) == set(), "named for the gateway, unknown to scoring"
    assert set(PRESETS) - set(POLICY_PRESETS) == set(), "in scoring, refused by the gateway"


def test_each_preset_is_named_by_its_own_key() -> None:
    for name in POLICY_PRESETS:
        assert preset(name).name == name


def test_seed_tenants_and_defaults_name_known_presets() -> None:
    assert {p for _name, _tz, p in SEED_TENANTS.values()} <= set(PRESETS)
    assert DEFAULT_PRESET in POLICY_PRESETS
    assert Settings.model_fields["default_policy_preset"].default in POLICY_PRESETS
