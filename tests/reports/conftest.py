"""Shared builders for the report tests: synthetic runs (no pytest session needed) and one real run."""

from __future__ import annotations

import pytest

from reports.model import RunResults, TestResult

CATALOGUE = {
    "SEND-TEXT-LIMIT": {"text": "Text up to the limit is accepted.", "section": "Sending Messages / Text length limits & errors",
                        "strength": "MUST", "level": "simulated", "channels": ["whatsapp", "instagram", "facebook"]},
    "ERR-FORMAT": {"text": "Errors have a detail.", "section": "Errors & Rate Limits / Error Format",
                   "strength": "MUST", "level": "api", "channels": ["whatsapp", "instagram", "facebook"]},
    "AUTH-HEADER-CASE": {"text": "Header case-insensitive.", "section": "Authentication", "strength": "SHOULD",
                         "level": "api", "channels": ["whatsapp", "instagram", "facebook"]},
    "RELAY-FROM-WA": {"text": "WhatsApp from.", "section": "Incoming Webhooks / message.received (WhatsApp)",
                      "strength": "MUST", "level": "simulated", "channels": ["whatsapp"]},
}

NORTH = ("> POST http://127.0.0.1:9/api/v1/messages/send  [x-api-key: mip_live_<redacted>, content-type: application/json]\n"
         ">   {\"channel_id\":\"c1\",\"recipient\":\"42\",\"text\":\"<script>alert(1)</script>\"}\n"
         "< 400 (3 ms) {\"detail\":{\"code\":\"text_too_long\"}}")
SOUTH = ("[simulator world w_1 journal]\n#3 POST /v21.0/123/messages -> 200\n"
         "    request: {\"recipient\": {\"id\": \"42\"}}\n    response: {\"message_id\": \"m_1\"}")
EAST = "[sink endpoint /hooks/x]\nno request arrived"


def make_test(nodeid: str, status: str, reqs=("SEND-TEXT-LIMIT",), channel=None, **extra) -> TestResult:
    return TestResult(nodeid=nodeid, status=status, requirements=list(reqs), level="api", channel=channel, **extra)


def sample_tests() -> list[TestResult]:
    base = "suites/test_text_limits.py::test_limit"
    return [
        make_test(f"{base}[whatsapp]", "pass", channel="whatsapp", duration=0.5),
        make_test(f"{base}[instagram]", "fail", channel="instagram", message="AssertionError: expected 200; saw 400",
                  longrepr="E   AssertionError: expected 200; saw 400", evidence={"north": NORTH, "south": SOUTH, "east": EAST}),
        make_test(f"{base}[facebook]", "not-claimed", channel="facebook",
                  message="not-claimed: channel facebook is not claimed"),
        make_test("suites/test_errors.py::test_detail", "pass", reqs=("ERR-FORMAT",)),
        make_test("suites/test_auth.py::test_case", "xfail", reqs=("AUTH-HEADER-CASE",), message="xfail: known"),
        make_test("suites/test_relay.py::test_from[whatsapp]", "pass", reqs=("RELAY-FROM-WA",), channel="whatsapp"),
    ]


@pytest.fixture
def sample_results() -> RunResults:
    return RunResults.build(sample_tests(), CATALOGUE, configuration={"target": None, "api_keys": ["<redacted>"]},
                            versions={"kit": "0.1.0", "contract": {"requirements_version": 1}, "profile": {"name": "default"}},
                            seeds={"fiwano_seed": 0, "hypothesis_seed": None}, started_at="2026-01-01T00:00:00+00:00",
                            duration=1.5, command=["pytest"], rootdir="/tmp")
