"""The kit's one harness client (fiwano_conformance/shared/harness.py) covers contract/harness.yaml exactly:
one method per operation, calling the method and path the contract declares."""

from __future__ import annotations

import json

import httpx
import pytest

from contract import load_harness
from fiwano_conformance.shared.harness import OPERATIONS, HarnessClient, HarnessError, harness_problem

ARGUMENTS = {  # method -> (args, kwargs) for a call against the recording transport below
    "health": ((), {}), "create_account": ((), {}), "change_subscription": (("A1",), {"tier": "starter"}),
    "create_key": (("A1",), {}), "revoke_key": (("K1",), {}),
    "connect_channel": (("A1", "whatsapp", "123", "tok"), {}), "clock": ((), {}),
    "advance_clock": ((5,), {}), "settle": ((), {}), "channel_deliveries": (("C1",), {}),
    "message_state": (("M1",), {}), "notifications": (("A1",), {}), "set_slots": (("A1", {"whatsapp": 1}), {}),
}


def _declared() -> dict[str, tuple[str, str]]:
    """operationId -> (METHOD, path template) of contract/harness.yaml."""
    return {op["operationId"]: (method.upper(), path) for path, ops in load_harness()["paths"].items()
            for method, op in ops.items() if isinstance(op, dict) and "operationId" in op}


def _matches(template: str, path: str) -> bool:
    parts, real = template.strip("/").split("/"), path.strip("/").split("/")
    return len(parts) == len(real) and all(p.startswith("{") or p == r for p, r in zip(parts, real, strict=True))


def test_every_operation_of_the_contract_has_a_method():
    assert set(OPERATIONS) == set(_declared()), "OPERATIONS and contract/harness.yaml disagree"
    assert all(callable(getattr(HarnessClient, method, None)) for method in OPERATIONS.values())
    assert set(ARGUMENTS) == set(OPERATIONS.values())


@pytest.mark.parametrize("operation", ["createAccount", "changeSubscription", "connectChannel"])
def test_each_field_of_a_request_body_is_a_parameter(operation):
    import inspect

    harness = load_harness()
    method, template = _declared()[operation]
    schema = harness["paths"][template][method.lower()]["requestBody"]["content"]["application/json"]["schema"]
    if "$ref" in schema:
        schema = harness["components"]["schemas"][schema["$ref"].rsplit("/", 1)[-1]]
    parameters = inspect.signature(getattr(HarnessClient, OPERATIONS[operation])).parameters
    assert set(schema.get("properties", {})) <= set(parameters), operation


@pytest.mark.parametrize("operation", sorted(OPERATIONS))
def test_each_method_calls_the_declared_method_and_path(operation):
    seen: list[httpx.Request] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        status = 204 if request.method == "DELETE" else 200
        body = {"now": "2026-01-01T00:00:00Z", "api_key": "mip_live_x", "deliveries": [], "notifications": []}
        return httpx.Response(status, content=b"" if status == 204 else json.dumps(body).encode())

    client = HarnessClient("http://target.test", http=httpx.Client(transport=httpx.MockTransport(answer)))
    args, kwargs = ARGUMENTS[OPERATIONS[operation]]
    getattr(client, OPERATIONS[operation])(*args, **kwargs)
    method, template = _declared()[operation]
    assert [(r.method, _matches(template, r.url.path)) for r in seen] == [(method, True)], (operation, seen)


def test_a_mandatory_call_fails_loudly_and_an_optional_one_answers_none_when_not_offered():
    def answer(request: httpx.Request) -> httpx.Response:
        return httpx.Response(404, json={"detail": "Not Found"})

    client = HarnessClient("http://target.test", http=httpx.Client(transport=httpx.MockTransport(answer)))
    with pytest.raises(HarnessError, match="harness create account: expected HTTP 200/201, got 404"):
        client.create_account()
    assert client.notifications("A1") is None and client.channel_deliveries("C1") is None
    assert client.settle() is False


@pytest.mark.parametrize(("health", "expected"), [
    ({"status": "ok", "test_mode": True}, None),
    ({"status": "ok", "test_mode": False}, "does not report test_mode true"),
    (HarnessError("harness health: expected HTTP 200, got 404 {}"), "answers no harness health"),
    (httpx.ConnectError("[Errno 111] Connection refused"), "does not answer ([Errno 111] Connection refused)"),
])
def test_one_answer_to_is_there_a_usable_harness(monkeypatch, health, expected):
    """The level probe, the suites' harness fixture and the doctor share this answer; the URL it names keeps
    no credentials."""
    def answer(self):
        if isinstance(health, Exception):
            raise health
        return health

    monkeypatch.setattr(HarnessClient, "health", answer)
    problem = harness_problem("https://user:secret@target.example/")
    if expected is None:
        assert problem is None
    else:
        assert expected in problem and "secret" not in problem
        assert problem.startswith("https://<redacted>@target.example/harness/health ")
    assert harness_problem(None) == "no harness URL"
