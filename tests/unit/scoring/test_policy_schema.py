"""The policy format published as JSON Schema in the OpenAPI document: every example it
shows is a policy change the domain takes, unknown fields are refused, and the presets'
list says that Cilegon's measure of collective work is a policy choice."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from scoring.app import create_app
from scoring.domain.policy import PRESETS, preset
from scoring.entrypoints.policy_schema import EXAMPLES, PolicySpecModel
from scoring.settings import Settings


def test_the_openapi_document_publishes_the_policy_schema_with_examples() -> None:
    app = create_app(Settings(database_url="sqlite+aiosqlite:///:memory:",
                              auth_jwks='{"keys": []}', http_expose_docs=True))
    doc = app.openapi()
    schema = doc["components"]["schemas"]["PolicySpecModel"]
    assert schema["examples"] == EXAMPLES and schema["additionalProperties"] is False
    assert {"components", "discipline", "pay"} <= set(schema["properties"])
    put = doc["paths"]["/api/scoring/{tenant_id}/policies/{effective_period}"]["put"]
    assert "PolicyIn" in str(put["requestBody"])
    assert "PolicySpecModel" in str(doc["components"]["schemas"]["PolicyIn"])


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda e: e.get("name", "changes"))
def test_every_example_is_a_valid_change(example: dict[str, object]) -> None:
    changes = PolicySpecModel.model_validate(example).changes()
    policy = preset("performance60_discipline40").with_changes(changes)
    assert policy.to_dict()["name"] == example.get("name", "performance60_discipline40")
    # a policy written out reads back as the schema describes it
    PolicySpecModel.model_validate(policy.to_dict())


def test_unknown_fields_are_refused() -> None:
    with pytest.raises(ValidationError):
        PolicySpecModel.model_validate({"minutes_per_dya": 270})
    with pytest.raises(ValidationError):
        PolicySpecModel.model_validate({"discipline": {"scope": "whole_tpp", "cap": "40"}})


def test_the_cilegon_preset_says_its_collective_measure_is_a_choice() -> None:
    text = PRESETS["cilegon"].to_dict()["description"]
    assert "pilihan kebijakan" in text and "apel" in text and "unit_performance" in text
    # a changed policy keeps the description only while it keeps the name
    assert preset("cilegon").with_changes({"minutes_per_day": 270}).description == text
    assert preset("cilegon").with_changes({"name": "lain"}).description == ""
