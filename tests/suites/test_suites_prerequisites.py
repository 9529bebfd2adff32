"""Unit tests of level claims with pytester: probing, and claimed-but-missing prerequisites are red.

The inner test files import the suite fixtures (as suites/conftest.py does) and point at a dead target on a
closed loopback port, so nothing is started besides the in-process sink.
"""

from __future__ import annotations

import socket

import pytest

pytest_plugins = ["pytester"]

# heavy third-party plugins are not needed by these inner runs (halves their start-up time)
FAST = ("-p", "no:cacheprovider", "-p", "no:locust", "-p", "no:schemathesis")
HEADER = "__fiwano_suite__ = True\nimport pytest\nfrom suites.fixtures import *  # noqa\n"


@pytest.fixture
def dead_url() -> str:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}"  # nothing listens there any more


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch):
    for name in ("FIWANO_TARGET", "FIWANO_LEVEL", "FIWANO_CHANNELS", "FIWANO_CONFIG", "FIWANO_API_KEYS",
                 "FIWANO_API_KEY", "FIWANO_SIMULATOR", "FIWANO_HARNESS"):
        monkeypatch.delenv(name, raising=False)


def test_claimed_simulated_level_without_simulator_errors(pytester, dead_url):
    pytester.makepyfile(HEADER + """
@pytest.mark.req("SEND-TEXT-OK")
@pytest.mark.level("simulated")
def test_needs_the_simulator(simulator):
    pass
""")

    result = pytester.runpytest_subprocess(*FAST, "--fiwano-target", dead_url, "--fiwano-level", "simulated")

    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*missing-prerequisite: the run claims the simulated level but no simulator URL*"])


def test_claimed_controlled_level_with_dead_harness_fails(pytester, dead_url):
    pytester.makepyfile(HEADER + """
@pytest.mark.req("CHANNEL-LIST")
@pytest.mark.level("controlled")
def test_needs_an_account(account):
    account()
""")

    result = pytester.runpytest_subprocess(*FAST, "--fiwano-target", dead_url, "--fiwano-level", "controlled")

    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*missing-prerequisite:*harness*"])


def test_api_level_without_keys_or_harness_fails(pytester, dead_url):
    pytester.makepyfile(HEADER + """
@pytest.mark.req("AUTH-KEY-UNKNOWN")
@pytest.mark.level("api")
def test_needs_a_key(account):
    account()
""")

    result = pytester.runpytest_subprocess(*FAST, "--fiwano-target", dead_url, "--fiwano-level", "api")

    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*missing-prerequisite:*"])


def test_api_level_hands_out_the_configured_keys_in_order(pytester, dead_url):
    pytester.makepyfile(HEADER + """
@pytest.mark.req("AUTH-KEY-UNKNOWN")
@pytest.mark.level("api")
def test_keys(account):
    first, second = account(), account()
    assert (first.api_key, second.api_key) == ("mip_live_first1", "mip_live_second2")
    assert first.client.base_url == first.client.base_url.rstrip("/")
    with pytest.raises(pytest.fail.Exception, match="needs 3 account"):
        account()
""")

    result = pytester.runpytest_subprocess(*FAST, "--fiwano-target", dead_url, "--fiwano-level", "api",
                                "--fiwano-api-key", "mip_live_first1", "--fiwano-api-key", "mip_live_second2")

    result.assert_outcomes(passed=1)


def test_level_is_probed_when_not_given(pytester, dead_url):
    pytester.makepyfile(HEADER + """
@pytest.mark.req("AUTH-KEY-REQUIRED")
@pytest.mark.level("api")
def test_api(claimed_level):
    assert claimed_level == "api"

@pytest.mark.req("SEND-TEXT-OK")
@pytest.mark.level("simulated")
def test_simulated():
    raise AssertionError("must not run: a dead target offers neither harness nor simulator")
""")

    result = pytester.runpytest_subprocess(*FAST, "--fiwano-target", dead_url, "-rs")

    result.assert_outcomes(passed=1, skipped=1)
    result.stdout.fnmatch_lines(["*not-claimed: needs the simulated level, the run claims api (no simulator URL and no harness)*"])


def test_missing_req_under_xdist_is_an_error_not_a_crash(pytester):
    pytester.makepyfile(test_a="__fiwano_suite__ = True\ndef test_unmarked():\n    pass\n",
                        test_b="def test_plain():\n    pass\n")

    result = pytester.runpytest_subprocess(*FAST, "-n", "2")

    result.assert_outcomes(passed=1, errors=1)
    result.stdout.fnmatch_lines(["*test_unmarked*no @pytest.mark.req*"])


@pytest.mark.parametrize(("flag", "derandomized"), [((), True), (("--fiwano-explore",), False)])
def test_hypothesis_is_derandomized_unless_asked_to_explore(pytester, dead_url, flag, derandomized):
    pytester.makepyfile(HEADER + f"""
from hypothesis import given, settings, strategies as st

@pytest.mark.req("AUTH-KEY-REQUIRED")
@pytest.mark.level("api")
@settings(max_examples=3)
@given(st.integers())
def test_profile(value):
    assert settings.default.derandomize is {derandomized}
    assert settings.default.database is None
""")

    result = pytester.runpytest_subprocess(*FAST, "--fiwano-target", dead_url, "--fiwano-level", "api", *flag)

    result.assert_outcomes(passed=1)
