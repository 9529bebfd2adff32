"""Contract checks: does an observed REST answer or webhook body match the machine-readable contract?

Use from any suite test:

    from suites.contract_checks import check_response, check_webhook

    check_response(resp)                                  # an httpx.Response; operation found from method + path
    check_response("sendText", 400, body)                 # by operationId, status and parsed (or raw) body
    check_response("POST /api/v1/messages/send", 200, body)
    check_webhook(raw_bytes)                              # any event, chosen by its "event" field
    check_webhook(body, event="message.received")         # and insist on the event

Every failure raises AssertionError naming the operation (or schema file), the status, the JSON path
of the offending value, the value itself and the schema rule it broke. Compiled validators are cached
per (operation, status) and per webhook schema, so calling these in loops is cheap.

Schemas: contract/openapi.yaml (REST) and contract/webhooks/*.schema.json (webhooks, JSON Schema 2020-12).
"""

from __future__ import annotations

import json
import re
from functools import lru_cache
from typing import Any, Iterable

from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

import contract

__all__ = [
    "ContractLookupError",
    "check_response",
    "check_webhook",
    "find_operation",
    "response_errors",
    "webhook_errors",
]

OPENAPI_URI = "urn:fiwano-conformance:openapi"
HTTP_METHODS = ("get", "put", "post", "delete", "patch", "head", "options", "trace")
_MAX_REPORTED = 5


_PROFILE = ["default"]  # the run's profile: its overlay of the contract applies (docs/profiles.md)


def use_profile(name: str) -> None:
    """Check answers and webhooks against the contract of this profile (the v1 contract with the overlays of
    its lineage); set once per process by the suites' plugin at collection."""
    if _PROFILE[0] == name:
        return
    contract.profile_lineage(name)  # raises for a profile that cannot be read: the caller keeps v1
    _PROFILE[0] = name
    for cached in (_operations, _path_matchers, _openapi_registry, _response_spec, _validator_for_pointer,
                   _webhook_registry, _webhook_validator):
        cached.cache_clear()


def _openapi() -> dict[str, Any]:
    return contract.load_openapi_of_profile(_PROFILE[0])


class ContractLookupError(LookupError):
    """The operation or schema asked for does not exist in the contract (a bug in the test, not the target)."""


# ---------------------------------------------------------------- operations


@lru_cache(maxsize=1)
def _operations() -> dict[str, tuple[str, str, dict[str, Any]]]:
    """operationId -> (METHOD, path template, operation object)."""
    found: dict[str, tuple[str, str, dict[str, Any]]] = {}
    for path, item in _openapi()["paths"].items():
        for method in HTTP_METHODS:
            if method in item:
                operation = item[method]
                found[operation["operationId"]] = (method.upper(), path, operation)
    return found


@lru_cache(maxsize=1)
def _path_matchers() -> list[tuple[re.Pattern[str], str, str, str]]:
    """(regex of the path template, METHOD, template, operationId), literal segments first."""
    matchers = []
    for operation_id, (method, template, _) in _operations().items():
        pattern = "^" + re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(template)) + "/?$"
        matchers.append((re.compile(pattern), method, template, operation_id))
    # a template with fewer parameters wins (/channels/setup-url before /channels/{channel_id})
    matchers.sort(key=lambda item: (item[2].count("{"), -len(item[2])))
    return matchers


def find_operation(method_or_id: str, path: str | None = None) -> str:
    """Return the operationId for an operationId, "METHOD /template", or (method, concrete path)."""
    operations = _operations()
    if path is None:
        if method_or_id in operations:
            return method_or_id
        if " " in method_or_id:
            method_or_id, path = method_or_id.split(" ", 1)
        else:
            raise ContractLookupError(f"no operation {method_or_id!r} in contract/openapi.yaml; known: {sorted(operations)}")
    method = method_or_id.upper()
    path = path.split("?", 1)[0]
    for operation_id, (op_method, template, _) in operations.items():
        if op_method == method and template == path:
            return operation_id
    for regex, op_method, _template, operation_id in _path_matchers():
        if op_method == method and regex.match(path):
            return operation_id
    raise ContractLookupError(f"no operation {method} {path} in contract/openapi.yaml")


def _resolve(node: dict[str, Any]) -> dict[str, Any]:
    document = _openapi()
    seen = 0
    while "$ref" in node:
        ref = node["$ref"]
        if not ref.startswith("#/"):
            raise ContractLookupError(f"external $ref {ref!r} is not supported")
        node = document
        for part in ref[2:].split("/"):
            node = node[part.replace("~1", "/").replace("~0", "~")]
        seen += 1
        if seen > 20:
            raise ContractLookupError(f"$ref loop at {ref!r}")
    return node


@lru_cache(maxsize=1)
def _openapi_registry() -> Registry:
    resource = Resource(contents=_openapi(), specification=DRAFT202012)
    return Registry().with_resource(OPENAPI_URI, resource)


def _pointer(*parts: str) -> str:
    return "/".join(part.replace("~", "~0").replace("/", "~1") for part in parts)


@lru_cache(maxsize=None)
def _response_spec(operation_id: str, status: int) -> tuple[dict[str, Any], str | None]:
    """(resolved response object, JSON pointer of its application/json schema or None)."""
    method, template, operation = _operations()[operation_id]
    responses = operation.get("responses", {})
    key = str(status)
    if key not in responses:
        wildcard = f"{key[0]}XX"
        if wildcard in responses:
            key = wildcard
        elif "default" in responses:
            key = "default"
        else:
            raise AssertionError(
                f"contract: {method} {template} ({operation_id}) answered {status}, a status the contract does not "
                f"declare for this operation; declared: {sorted(responses)}"
            )
    raw = responses[key]
    if "$ref" in raw:
        ref = raw["$ref"]
        response = _resolve(raw)
        base = ref[2:].split("/")
    else:
        response = raw
        base = ["paths", template, method.lower(), "responses", key]
    content = response.get("content") or {}
    if "application/json" not in content or "schema" not in content["application/json"]:
        return response, None
    return response, "/" + _pointer(*base, "content", "application/json", "schema")


@lru_cache(maxsize=None)
def _validator_for_pointer(pointer: str) -> Draft202012Validator:
    return Draft202012Validator({"$ref": f"{OPENAPI_URI}#{pointer}"}, registry=_openapi_registry())


def _json_path(error: ValidationError) -> str:
    path = "$"
    for part in error.absolute_path:
        path += f"[{part}]" if isinstance(part, int) else f".{part}"
    return path


def _short(value: Any, limit: int = 160) -> str:
    text = json.dumps(value, ensure_ascii=False, default=str)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _describe(errors: Iterable[ValidationError]) -> list[str]:
    lines = []
    flat: list[ValidationError] = []
    for error in errors:
        # anyOf/oneOf/if-then errors: report the most specific sub-error as well
        flat.append(error)
    flat.sort(key=lambda e: (-len(e.absolute_path), str(e.message)))
    for error in flat[:_MAX_REPORTED]:
        best = error
        if error.context:
            best = max(error.context, key=lambda e: len(e.absolute_path))
        schema_path = "/".join(str(p) for p in best.absolute_schema_path)
        lines.append(
            f"at {_json_path(best)}: {best.message} (value {_short(best.instance)}; schema path {schema_path})"
        )
    if len(flat) > _MAX_REPORTED:
        lines.append(f"... and {len(flat) - _MAX_REPORTED} more")
    return lines


def _parse(body: Any) -> Any:
    if isinstance(body, (bytes, bytearray)):
        body = bytes(body).decode("utf-8")
    if isinstance(body, str):
        return json.loads(body)
    return body


def response_errors(operation: str, status: int, body: Any) -> list[str]:
    """The list of contract violations of one answer (empty when it conforms)."""
    operation_id = find_operation(operation)
    _response, pointer = _response_spec(operation_id, int(status))
    if pointer is None:
        return []
    try:
        instance = _parse(body)
    except (ValueError, UnicodeDecodeError) as exc:
        return [f"the body is not JSON: {exc}; body {_short(body if isinstance(body, str) else repr(body))}"]
    return _describe(_validator_for_pointer(pointer).iter_errors(instance))


def check_response(
    response_or_operation: Any,
    status: int | None = None,
    body: Any = None,
    *,
    content_type: str | None = None,
    operation: str | None = None,
) -> None:
    """Assert that an answer matches contract/openapi.yaml for its operation and status.

    Call with an httpx/requests-like response (operation found from its request's method and path,
    or given as operation=...), or with (operation, status, body) where operation is an operationId,
    "METHOD /template" or "METHOD /concrete/path" and body is parsed JSON, str or bytes.
    """
    if status is None:
        response = response_or_operation
        request = response.request
        operation_id = find_operation(operation) if operation else find_operation(request.method, _path_of(request))
        status = response.status_code
        content_type = response.headers.get("content-type")
        body = response.content
    else:
        operation_id = find_operation(response_or_operation)
    method, template, _ = _operations()[operation_id]
    label = f"{method} {template} ({operation_id}) -> {status}"
    declared, pointer = _response_spec(operation_id, int(status))
    if pointer is not None and content_type is not None and "json" not in content_type.lower():
        raise AssertionError(f"contract: {label}: Content-Type {content_type!r}, expected application/json")
    problems = response_errors(operation_id, int(status), body)
    if problems:
        raise AssertionError(f"contract: {label} does not match contract/openapi.yaml:\n  " + "\n  ".join(problems))


def _path_of(request: Any) -> str:
    url = request.url
    path = getattr(url, "path", None)
    if path is None:  # requests.PreparedRequest: url is a str
        from urllib.parse import urlsplit

        path = urlsplit(str(url)).path
    return path


# ---------------------------------------------------------------- webhooks


@lru_cache(maxsize=1)
def _webhook_registry() -> Registry:
    return contract.webhook_schema_registry_of_profile(_PROFILE[0])


@lru_cache(maxsize=None)
def _webhook_validator(name: str) -> Draft202012Validator:
    schemas = contract.load_webhook_schemas_of_profile(_PROFILE[0])
    if name not in schemas:
        raise ContractLookupError(f"no webhook schema {name!r}; known: {sorted(schemas)}")
    return Draft202012Validator(schemas[name], registry=_webhook_registry())


def webhook_errors(body: Any, event: str | None = None) -> list[str]:
    """The list of contract violations of one webhook body (empty when it conforms)."""
    try:
        instance = _parse(body)
    except (ValueError, UnicodeDecodeError) as exc:
        return [f"the body is not JSON: {exc}"]
    problems = []
    if event is not None:
        if event not in contract.WEBHOOK_EVENTS and event not in contract.load_webhook_schemas_of_profile(_PROFILE[0]):
            # v1's events, or one the profile's overlay adds (fiwano-2026-10: message.echo, conversation.referral)
            raise ContractLookupError(f"unknown event {event!r}; known: {contract.WEBHOOK_EVENTS} and the "
                                      f"overlay's of profile {_PROFILE[0]}")
        actual = instance.get("event") if isinstance(instance, dict) else None
        if actual != event:
            problems.append(f"at $.event: expected {event!r}, got {_short(actual)}")
    problems.extend(_describe(_webhook_validator(_schema_name(instance, event)).iter_errors(instance)))
    return problems


def _schema_name(instance: Any, event: str | None) -> str:
    """The most specific schema: the asked event, else the body's own event, else the generic one."""
    if event is not None:
        return event
    actual = instance.get("event") if isinstance(instance, dict) else None
    return actual if actual in contract.WEBHOOK_EVENTS else "event"


def check_webhook(body: Any, *, event: str | None = None) -> None:
    """Assert that a webhook body (bytes, str or parsed) matches contract/webhooks/.

    Without event, the schema is chosen by the body's own "event" field (event.schema.json);
    with event, the body must be that event and match <event>.schema.json.
    """
    problems = webhook_errors(body, event)
    if problems:
        try:
            schema_file = f"{_schema_name(_parse(body), event)}.schema.json"
        except (ValueError, UnicodeDecodeError):
            schema_file = "event.schema.json"
        raise AssertionError(
            f"contract: webhook does not match contract/webhooks/{schema_file}:\n  " + "\n  ".join(problems)
        )
