"""Profile fiwano-2026-10, changelog 2026-10-01 "OpenAPI by URL": ``/api/v1/openapi.json`` and
``/api/v1/openapi.yaml`` serve the API's OpenAPI document, importable cross-origin (CORS).

Whether the documents need a key is not said: both readings of CONTRACT-OPENAPI-JSON-URL are accepted
(``public``: served without a key; ``key-required``: served with one), and a profile may pin one.
"""

from __future__ import annotations

import json

import pytest
import yaml

from suites import expect, readings

ORIGIN = "https://editor.example.org"
DOCUMENTS = {"openapi.json": "CONTRACT-OPENAPI-JSON-URL", "openapi.yaml": "CONTRACT-OPENAPI-YAML-URL"}


def _fetch(account, name: str, **kwargs):
    """The document without a key; with the account's key when the target wants one (reading key-required)."""
    owner = account()
    anonymous = owner.client.request("GET", f"/{name}", api_key=None, **kwargs)
    if anonymous.status_code == 401:
        readings.accepts("CONTRACT-OPENAPI-JSON-URL", "key-required", what=f"GET /api/v1/{name} without a key",
                         seen=401)
        return owner.client.request("GET", f"/{name}", **kwargs)
    readings.accepts("CONTRACT-OPENAPI-JSON-URL", "public", what=f"GET /api/v1/{name} without a key",
                     seen=anonymous.status_code)
    return anonymous


def _parse(name: str, response) -> dict:
    try:
        return json.loads(response.content) if name.endswith(".json") else yaml.safe_load(response.text)
    except (ValueError, yaml.YAMLError) as exc:
        expect.check(False, DOCUMENTS[name], f"the body of GET /api/v1/{name}", "a parseable document", repr(exc))
        raise


@pytest.mark.req("CONTRACT-OPENAPI-JSON-URL", "CONTRACT-OPENAPI-YAML-URL")
@pytest.mark.level("api")
@pytest.mark.parametrize("name", list(DOCUMENTS))
def test_openapi_document_served(account, name):
    response = _fetch(account, name)

    expect.status(response, 200, DOCUMENTS[name], f"GET /api/v1/{name}")
    document = _parse(name, response)
    expect.check(isinstance(document, dict) and str(document.get("openapi", "")).startswith("3."), DOCUMENTS[name],
                 f"GET /api/v1/{name}: the openapi field", "3.x", (document or {}).get("openapi")
                 if isinstance(document, dict) else type(document).__name__)
    paths = document.get("paths") or {}
    for path in ("/api/v1/messages/send", "/api/v1/channels"):
        expect.check(path in paths, DOCUMENTS[name], f"GET /api/v1/{name}: paths", f"{path} described",
                     sorted(paths)[:20])


@pytest.mark.req("CONTRACT-OPENAPI-JSON-URL", "CONTRACT-OPENAPI-YAML-URL")
@pytest.mark.level("api")
def test_both_documents_describe_the_same_paths(account):
    json_response, yaml_response = _fetch(account, "openapi.json"), _fetch(account, "openapi.yaml")
    expect.status(json_response, 200, "CONTRACT-OPENAPI-JSON-URL", "GET /api/v1/openapi.json")
    expect.status(yaml_response, 200, "CONTRACT-OPENAPI-YAML-URL", "GET /api/v1/openapi.yaml")
    as_json, as_yaml = _parse("openapi.json", json_response), _parse("openapi.yaml", yaml_response)

    expect.check(sorted(as_json.get("paths") or {}) == sorted(as_yaml.get("paths") or {}),
                 "CONTRACT-OPENAPI-YAML-URL", "the paths of openapi.yaml", sorted(as_json.get("paths") or {}),
                 sorted(as_yaml.get("paths") or {}))


@pytest.mark.req("CONTRACT-OPENAPI-CORS")
@pytest.mark.level("api")
@pytest.mark.parametrize("name", list(DOCUMENTS))
def test_openapi_document_importable_cross_origin(account, name):
    response = _fetch(account, name, headers={"Origin": ORIGIN})
    owner = account()
    preflight = owner.client.request("OPTIONS", f"/{name}", api_key=None, headers={
        "Origin": ORIGIN, "Access-Control-Request-Method": "GET"})

    expect.status(response, 200, "CONTRACT-OPENAPI-CORS", f"GET /api/v1/{name} with Origin {ORIGIN}")
    allowed = response.headers.get("access-control-allow-origin")
    expect.check(allowed in ("*", ORIGIN), "CONTRACT-OPENAPI-CORS",
                 f"Access-Control-Allow-Origin of GET /api/v1/{name}", f"* or {ORIGIN}", allowed)
    expect.check(200 <= preflight.status_code < 300, "CONTRACT-OPENAPI-CORS", f"CORS preflight OPTIONS /api/v1/{name}",
                 "2xx", preflight.status_code)
    methods = preflight.headers.get("access-control-allow-methods", "")
    expect.check(preflight.headers.get("access-control-allow-origin") in ("*", ORIGIN)
                 and ("GET" in methods.upper() or methods.strip() == "*"), "CONTRACT-OPENAPI-CORS",
                 f"CORS preflight OPTIONS /api/v1/{name}: allow-origin and allow-methods",
                 f"origin * or {ORIGIN}, methods with GET", dict(preflight.headers))
