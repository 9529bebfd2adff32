"""Schemathesis run of contract/openapi.yaml against the target (property-based contract conformance).

Every documented operation is called with the schema's examples, deterministic boundary values
(coverage phase) and generated data (fuzzing phase), valid and invalid (mode "all"), and each answer
must be no 5xx, have a status the contract declares for the operation, a JSON Content-Type where the
contract says JSON, and a body matching the declared schema.

Determinism: explicit phases (examples, coverage, fuzzing; no stateful), a fixed seed (--fiwano-seed),
derandomized Hypothesis and no example database, so two runs against the same target send the same
requests.

Rate limit: the target limits requests per API key (profile ``rate_limit``). With a harness the key is
rotated (a fresh key of the same account) before a key's budget is used up, so the fuzzer sees real
answers rather than 429s; without a harness the single key is paced to stay under the limit (slow:
about 900 requests, so ~10 minutes at 100/min; give the run a key of its own, or run this module
separately, so that it does not eat the budget of the other tests' key).

Run, from any directory: ``pytest --pyargs suites.test_contract_fuzz`` (embedded pair) or with
``--fiwano-target URL``; ``fiwano-conformance run suites/test_contract_fuzz.py`` does the same with the kit's
isolated settings and a report.
"""

from __future__ import annotations

import copy
import time
from typing import Any

import hypothesis
import pytest
import schemathesis
from hypothesis import HealthCheck
from schemathesis.checks import not_a_server_error
from schemathesis.config import SchemathesisConfig
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

import contract

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
MAX_EXAMPLES = 8  # per operation in the fuzzing phase; examples and coverage add their own cases
REQUEST_TIMEOUT = 30.0


class KeyPool:
    """API keys for the fuzzer, kept under the per-key rate limit (rotation with a harness, pacing without)."""

    def __init__(self, account: Any, profile: dict[str, Any]) -> None:
        self._account = account
        limit = profile["rate_limit"]
        self._budget = max(1, int(limit["requests"]) - 10)
        self._window = float(limit["window_seconds"])
        self._key = account.api_key
        self._used = 0
        self._window_start = time.monotonic()
        self._can_mint = getattr(account, "_harness", None) is not None and account.account_id is not None

    def next(self) -> str:
        if self._used >= self._budget:
            if self._can_mint:
                self._key, _key_id = self._account.new_key()
            else:
                wait = self._window - (time.monotonic() - self._window_start)
                if wait > 0:
                    time.sleep(wait + 1)
            self._used = 0
            self._window_start = time.monotonic()
        self._used += 1
        return self._key


@pytest.fixture
def fuzz_account(account: Any) -> Any:
    return account()


@pytest.fixture
def fuzz_parameters(request: pytest.FixtureRequest, claimed_level: str, fuzz_account: Any) -> dict[str, str]:
    """Real path parameters where the run can make them (a WhatsApp channel at the controlled level).

    Without them every channel-scoped call is a 404, which still checks the 404 contract but nothing else.
    """
    if claimed_level != "controlled":
        return {}
    channel = request.getfixturevalue("channel")(fuzz_account, "whatsapp")
    return {"path.channel_id": channel.id}


@pytest.fixture
def fiwano_contract_schema(fiwano_target: Any, fiwano_config: Any, fuzz_parameters: dict[str, str]) -> Any:
    """contract/openapi.yaml as a schemathesis schema aimed at the target, with deterministic settings."""
    config = SchemathesisConfig.from_dict({
        "parameters": fuzz_parameters,
        "seed": int(fiwano_config.seed or 0),
        "base-url": fiwano_target.url,
        "request-timeout": REQUEST_TIMEOUT,
        "generation": {"mode": "all", "max-examples": MAX_EXAMPLES, "deterministic": True},
        "phases": {
            "examples": {"enabled": True},
            "coverage": {"enabled": True},
            "fuzzing": {"enabled": True},
            "stateful": {"enabled": False},
        },
    })
    # a private copy: the loader's document is shared (cached) and must not be mutated
    return schemathesis.openapi.from_dict(copy.deepcopy(contract.load_openapi()), config=config)


@pytest.fixture
def fuzz_keys(fuzz_account: Any, fiwano_profile: dict[str, Any]) -> KeyPool:
    return KeyPool(fuzz_account, fiwano_profile)


@pytest.fixture
def schemathesis_nodeid_compat(request: pytest.FixtureRequest) -> None:
    """schemathesis 4.32's lazy-schema runner reads ``request.node._nodeid``, which pytest 9 no longer has.

    Resolved (by the runner, through getfixturevalue) before it reads the attribute; harmless otherwise.
    """
    node = request.node
    if not hasattr(node, "_nodeid"):
        node._nodeid = node.nodeid


schema = schemathesis.pytest.from_fixture("fiwano_contract_schema")


@pytest.mark.req("CONTRACT-RESPONSE-SCHEMA", "ERR-NO-5XX", "ERR-FORMAT", "AUTH-401-BODY")
@pytest.mark.level("api")
@pytest.mark.timeout(1800)  # paced under a real 100/min key without a harness, ~900 requests take ~10 min
@schema.parametrize()
@hypothesis.settings(
    database=None,
    deadline=None,
    max_examples=MAX_EXAMPLES,
    suppress_health_check=list(HealthCheck),
    print_blob=True,
)
def test_target_conforms_to_the_openapi_contract(
    case: Any, schemathesis_nodeid_compat: None, fuzz_keys: KeyPool, fiwano_target: Any
) -> None:
    headers = dict(case.headers or {})
    headers["X-API-Key"] = fuzz_keys.next()
    case.call_and_validate(base_url=fiwano_target.url, headers=headers, checks=CHECKS, timeout=REQUEST_TIMEOUT)
