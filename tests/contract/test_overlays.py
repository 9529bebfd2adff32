"""The contract overlays of later profiles (contract/overlays/<profile>/): the merged OpenAPI document is valid
OpenAPI 3.1, the overlay webhook schemas are valid and resolve, v1 stays untouched (docs/profiles.md)."""

from __future__ import annotations

import pytest
from jsonschema import Draft202012Validator
from openapi_spec_validator import validate

import contract

LATER = [name for name in contract.profile_names() if len(contract.profile_lineage(name)) > 1]


def test_default_has_no_overlay():
    assert contract.load_openapi_of_profile("default") is contract.load_openapi()
    assert contract.load_webhook_schemas_of_profile("default") == contract.load_webhook_schemas()


@pytest.mark.parametrize("name", LATER)
def test_merged_openapi_is_valid(name):
    import copy

    document = contract.load_openapi_of_profile(name)
    validate(copy.deepcopy(document))
    ids = contract.load_requirements()
    for path, item in document["paths"].items():
        for method, operation in item.items():
            if isinstance(operation, dict):
                unknown = [rid for rid in operation.get("x-fiwano-requirements", []) if rid not in ids]
                assert not unknown, (method, path, unknown)


def test_fiwano_2026_10_overlay_adds_what_the_changelog_adds():
    v1, new = contract.load_openapi(), contract.load_openapi_of_profile("fiwano-2026-10")
    assert "/api/v1/openapi.json" not in v1["paths"] and "/api/v1/openapi.json" in new["paths"]
    channel = new["components"]["schemas"]["Channel"]
    assert channel["properties"]["health"] == {"$ref": "#/components/schemas/Health"}
    assert channel["x-fiwano-required-by-profile"] == ["health"]  # judged by CHANNEL-HEALTH-FIELD's own test
    assert channel["required"] == v1["components"]["schemas"]["Channel"]["required"]  # not by every v1 check
    assert "health" not in v1["components"]["schemas"]["Channel"]["properties"]  # v1 stays as the docs say
    assert {"ApiKeyAuth": []} in new["security"] and {"BearerAuth": []} in new["security"]
    assert "409" in new["paths"]["/api/v1/channels/setup-url"]["post"]["responses"]
    # the v1 operations survive the merge unchanged where the overlay does not touch them
    assert new["paths"]["/api/v1/messages/send"] == v1["paths"]["/api/v1/messages/send"]


@pytest.mark.parametrize("name", LATER)
def test_overlay_webhook_schemas_are_valid_and_resolve(name):
    registry = contract.webhook_schema_registry_of_profile(name)
    schemas = contract.load_webhook_schemas_of_profile(name)
    for schema in schemas.values():
        Draft202012Validator.check_schema(schema)
    event = Draft202012Validator(schemas["event"], registry=registry)
    envelope = {"event": "message.failed", "channel_id": "c1", "channel_type": "instagram",
                "timestamp": "2026-10-06T10:00:00Z",
                "data": {"message_id": "6f1c2a9e-0b1d-4c3e-8f00-123456789abc", "status": "failed", "recipient": "1789",
                         "error": "Retries exhausted"}}
    assert not list(event.iter_errors(envelope))  # IG failure without Meta's errors: valid under the profile
    v1 = Draft202012Validator(contract.load_webhook_schemas()["event"], registry=contract.webhook_schema_registry())
    assert list(v1.iter_errors(envelope))  # and not under v1 (WhatsApp only, errors required)
    echo = {**envelope, "event": "message.echo", "data": {"message_id": "wamid.X", "type": "text", "text": "hi"}}
    assert not list(event.iter_errors(echo))
    assert list(event.iter_errors({**echo, "data": {"type": "text"}}))
