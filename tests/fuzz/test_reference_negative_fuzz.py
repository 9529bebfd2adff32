"""Negative-data fuzz of the reference's REST API with schemathesis (issue 18): every documented operation
called with data the contract forbids (wrong types, missing fields, out-of-range values, odd strings), with
a seed other than the suites', must never answer a 5xx nor show a traceback.

Independent of suites/test_contract_fuzz.py (the suites' contract run, mode "all" and the suites' seed):
this is the kit's own robustness stage for its reference, on a real uvicorn server with the fake Meta.
CI-sized by default; ``FIWANO_FUZZ_EXAMPLES=100`` (examples per operation) makes a longer run and
``FIWANO_FUZZ_SEED`` picks another seed.
"""

from __future__ import annotations

import copy
import os
from typing import Any

import httpx
import hypothesis
import pytest
import schemathesis
from hypothesis import HealthCheck
from schemathesis.checks import not_a_server_error
from schemathesis.config import SchemathesisConfig

import contract
from reference.app import create_app
from tests.reference.conftest import make_settings
from tests.reference.fake_meta import FakeMeta, FakeMetaTransport
from tests.reference.servers import ServerThread

EXAMPLES = int(os.environ.get("FIWANO_FUZZ_EXAMPLES", "") or 4)
SEED = int(os.environ.get("FIWANO_FUZZ_SEED", "") or 18_2026)
KEY_BUDGET = 80  # requests per API key (the reference allows 100 per minute per key)


class Target:
    def __init__(self, url: str, account: dict[str, Any], channel_id: str) -> None:
        self.url = url
        self.account = account
        self.channel_id = channel_id
        self._key = account["api_key"]
        self._used = 0

    def key(self) -> str:
        if self._used >= KEY_BUDGET:
            answer = httpx.post(f"{self.url}/harness/accounts/{self.account['account_id']}/keys", timeout=10)
            self._key = answer.json()["api_key"]
            self._used = 0
        self._used += 1
        return self._key


@pytest.fixture(scope="module")
def target(tmp_path_factory):
    fake = FakeMeta()
    app = create_app(make_settings(tmp_path_factory.mktemp("fuzz")), meta_transport=FakeMetaTransport(fake),
                     webhook_transport=httpx.MockTransport(lambda request: httpx.Response(200)))
    with ServerThread(app) as server:
        account = httpx.post(f"{server.url}/harness/accounts",
                             json={"tier": "pro", "subscription_status": "active"}, timeout=10).json()
        asset = fake.add_whatsapp()
        channel = httpx.post(f"{server.url}/harness/accounts/{account['account_id']}/channels", timeout=10,
                             json={"channel_type": "whatsapp", "asset_id": asset["id"],
                                   "access_token": asset["token"], "waba_id": asset["waba_id"]}).json()
        yield Target(server.url, account, channel["id"])


@pytest.fixture(scope="module")
def negative_schema(target: Target) -> Any:
    config = SchemathesisConfig.from_dict({
        "parameters": {"path.channel_id": target.channel_id},
        "seed": SEED,
        "base-url": target.url,
        "request-timeout": 30.0,
        "generation": {"mode": "negative", "max-examples": EXAMPLES, "deterministic": True},
        "phases": {"examples": {"enabled": False}, "coverage": {"enabled": True}, "fuzzing": {"enabled": True},
                   "stateful": {"enabled": False}},
    })
    return schemathesis.openapi.from_dict(copy.deepcopy(contract.load_openapi()), config=config)


@pytest.fixture
def schemathesis_nodeid_compat(request: pytest.FixtureRequest) -> None:
    """schemathesis 4.32 reads ``request.node._nodeid``, which pytest 9 no longer has."""
    if not hasattr(request.node, "_nodeid"):
        request.node._nodeid = request.node.nodeid


schema = schemathesis.pytest.from_fixture("negative_schema")


@pytest.mark.timeout(900)
@schema.parametrize()
@hypothesis.settings(database=None, deadline=None, max_examples=EXAMPLES, suppress_health_check=list(HealthCheck))
def test_reference_never_5xx_on_negative_data(case: Any, schemathesis_nodeid_compat: None, target: Target) -> None:
    headers = dict(case.headers or {})
    headers["X-API-Key"] = target.key()
    response = case.call(base_url=target.url, headers=headers, timeout=30.0)
    case.validate_response(response, checks=[not_a_server_error])
    assert "Traceback" not in response.text
