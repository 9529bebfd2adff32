"""contract/openapi.yaml and contract/harness.yaml: valid OpenAPI 3.1, complete, examples valid."""

from __future__ import annotations

import pytest
from jsonschema import Draft202012Validator
from openapi_spec_validator import validate
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

import contract

URI = "urn:test:openapi"

# The 19 documented operations and the statuses the docs name for each (plus 401/429, which apply to all).
DOCUMENTED = {
    ("GET", "/api/v1/channels"): {200},
    ("GET", "/api/v1/channels/{channel_id}"): {200, 404},
    ("PATCH", "/api/v1/channels/{channel_id}"): {200, 400, 404, 422},
    ("DELETE", "/api/v1/channels/{channel_id}"): {200, 404},
    ("POST", "/api/v1/channels/setup-url"): {200, 400, 422},
    ("POST", "/api/v1/channels/exchange-code"): {200, 400, 422},
    ("GET", "/api/v1/channels/{channel_id}/profile/{user_id}"): {200, 400, 404, 502},
    ("GET", "/api/v1/redirects"): {200},
    ("POST", "/api/v1/redirects"): {200, 201, 400, 422},
    ("DELETE", "/api/v1/redirects/{redirect_id}"): {200, 404},
    ("POST", "/api/v1/messages/send"): {200, 400, 402, 404, 422},
    ("POST", "/api/v1/messages/send-template"): {200, 400, 402, 404, 422},
    ("POST", "/api/v1/messages/send-media"): {200, 402, 404, 422},
    ("GET", "/api/v1/media/{media_id}"): {200, 404, 410},
    ("GET", "/api/v1/channels/{channel_id}/templates"): {200, 400, 402, 404, 502},
    ("GET", "/api/v1/channels/{channel_id}/templates/{template_id}"): {200, 402, 404, 502},
    ("POST", "/api/v1/channels/{channel_id}/templates"): {200, 201, 400, 402, 404, 422, 502},
    ("PUT", "/api/v1/channels/{channel_id}/templates/{template_id}"): {200, 400, 402, 404, 422, 502},
    ("DELETE", "/api/v1/channels/{channel_id}/templates/{template_id}"): {200, 402, 404, 502},
}
METHODS = ("get", "put", "post", "delete", "patch")


@pytest.fixture(scope="module")
def spec():
    return contract.load_openapi()


def operations(spec):
    for path, item in spec["paths"].items():
        for method in METHODS:
            if method in item:
                yield method.upper(), path, item[method]


def test_openapi_is_valid_31(spec):
    assert spec["openapi"].startswith("3.1")
    validate(spec)


def test_harness_is_valid_31():
    harness = contract.load_harness()
    assert harness["openapi"].startswith("3.1")
    validate(harness)


def test_harness_covers_architecture_and_extensions():
    paths = contract.load_harness()["paths"]
    expected = {
        ("get", "/harness/health"), ("post", "/harness/accounts"), ("post", "/harness/accounts/{account_id}/keys"),
        ("delete", "/harness/keys/{key_id}"), ("post", "/harness/accounts/{account_id}/channels"),
        ("post", "/harness/accounts/{account_id}/subscription"), ("get", "/harness/clock"),
        ("post", "/harness/clock/advance"),
    }
    present = {(m, p) for p, item in paths.items() for m in item if m in METHODS}
    assert expected <= present, expected - present
    body = paths["/harness/clock/advance"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    assert body["required"] == ["seconds"]
    account = contract.load_harness()["components"]["schemas"]["NewAccount"]["properties"]
    assert set(account) >= {"tier", "subscription_status", "source"}


def test_exactly_the_19_documented_operations(spec):
    found = {(m, p) for m, p, _ in operations(spec)}
    assert found == set(DOCUMENTED)
    ids = [op["operationId"] for _, _, op in operations(spec)]
    assert len(ids) == len(set(ids)) == 19


@pytest.mark.parametrize(("method", "path"), sorted(DOCUMENTED), ids=lambda v: str(v))
def test_every_documented_status_is_declared(spec, method, path):
    responses = spec["paths"][path][method.lower()]["responses"]
    declared = {int(code) for code in responses}
    needed = DOCUMENTED[(method, path)] | {401, 429}
    assert needed <= declared, f"{method} {path} lacks {sorted(needed - declared)}"
    for response in responses.values():
        if "$ref" in response:
            continue
        assert response.get("description")


def test_security_scheme(spec):
    scheme = spec["components"]["securitySchemes"]["ApiKeyAuth"]
    assert scheme == {**scheme, "type": "apiKey", "in": "header", "name": "X-API-Key"}
    assert spec["security"] == [{"ApiKeyAuth": []}]


def test_error_shapes(spec):
    schemas = spec["components"]["schemas"]
    assert schemas["Error"]["required"] == ["detail"]
    detail = schemas["TextTooLongDetail"]
    assert set(detail["required"]) == {"code", "message", "actual_length", "max_length", "channel_type", "hint"}
    send_400 = spec["paths"]["/api/v1/messages/send"]["post"]["responses"]["400"]
    rule = send_400["content"]["application/json"]["schema"]["allOf"][1]
    assert rule["then"] == {"$ref": "#/components/schemas/TextTooLongError"}


def test_documented_constraints(spec):
    s = spec["components"]["schemas"]
    media = s["SendMediaRequest"]["properties"]
    assert media["media_url"]["maxLength"] == 2048
    assert media["caption"]["maxLength"] == 1024
    assert media["filename"]["maxLength"] == 255
    assert media["media_type"]["enum"] == ["image", "audio", "video", "document"]
    tpl = s["TemplateCreateRequest"]["properties"]
    assert tpl["name"]["maxLength"] == 512 and tpl["name"]["pattern"] == "^[a-z0-9_]+$"
    assert tpl["category"]["enum"] == ["MARKETING", "UTILITY", "AUTHENTICATION"]
    assert tpl["parameter_format"]["enum"] == ["positional", "named"]
    profile = contract.load_profile()
    send = spec["paths"]["/api/v1/messages/send"]["post"]
    assert send["x-fiwano-text-max-chars"] == profile["text_max_chars"]
    assert media["media_url"]["maxLength"] == profile["media_url_max_chars"]
    assert media["caption"]["maxLength"] == profile["caption_max_chars"]
    assert media["filename"]["maxLength"] == profile["filename_max_chars"]
    assert tpl["name"]["maxLength"] == profile["template_name_max_chars"]


def test_requirement_references_exist(spec):
    known = contract.load_requirements()
    unknown = [(op["operationId"], rid) for _, _, op in operations(spec)
               for rid in op.get("x-fiwano-requirements", []) if rid not in known]
    assert not unknown


def _examples(spec):
    """(label, schema pointer, example value) for every example attached to a request or response."""
    registry_doc = spec
    for method, path, op in operations(spec):
        base = ["paths", path, method.lower()]
        body = op.get("requestBody", {}).get("content", {}).get("application/json")
        if body:
            for name, example in body.get("examples", {}).items():
                yield f"{op['operationId']} request {name}", base + ["requestBody", "content", "application/json", "schema"], _value(registry_doc, example)
        for code, response in op["responses"].items():
            where = base + ["responses", code]
            if "$ref" in response:
                where = response["$ref"][2:].split("/")
                response = _follow(spec, response["$ref"])
            content = response.get("content", {}).get("application/json")
            if not content:
                continue
            for name, example in content.get("examples", {}).items():
                yield f"{op['operationId']} {code} {name}", where + ["content", "application/json", "schema"], _value(spec, example)


def _follow(spec, ref):
    node = spec
    for part in ref[2:].split("/"):
        node = node[part]
    return node


def _value(spec, example):
    if "$ref" in example:
        example = _follow(spec, example["$ref"])
    return example["value"]


def _validator(spec, pointer_parts):
    pointer = "/".join(p.replace("~", "~0").replace("/", "~1") for p in pointer_parts)
    registry = Registry().with_resource(URI, Resource(contents=spec, specification=DRAFT202012))
    return Draft202012Validator({"$ref": f"{URI}#/{pointer}"}, registry=registry)


def test_every_attached_example_validates(spec, capsys):
    examples = list(_examples(spec))
    problems = []
    for label, pointer, value in examples:
        errors = list(_validator(spec, pointer).iter_errors(value))
        if errors:
            problems.append(f"{label}: {errors[0].message}")
    assert not problems, "\n".join(problems)
    assert len(examples) >= 20
    with capsys.disabled():
        print(f"\n[contract] {len(examples)} OpenAPI examples validated")
