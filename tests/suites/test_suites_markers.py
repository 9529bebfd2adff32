"""Unit tests of the plugin's policies with pytester: req/level markers, not-claimed skips, scoping,
option precedence through pytest, evidence sections and redaction of reports.

Test files written here are marked as suite modules with ``__fiwano_suite__ = True`` (real suite modules are
recognised by living in the ``suites`` package).
"""

from __future__ import annotations

import pytest

pytest_plugins = ["pytester"]

SUITE = "__fiwano_suite__ = True\nimport pytest\n"


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch):
    for name in ("FIWANO_TARGET", "FIWANO_LEVEL", "FIWANO_CHANNELS", "FIWANO_CONFIG", "FIWANO_API_KEYS",
                 "FIWANO_API_KEY", "FIWANO_SIMULATOR", "FIWANO_HARNESS", "FIWANO_PROFILE"):
        monkeypatch.delenv(name, raising=False)


def skip_reasons(reprec) -> list[str]:
    return [report.longrepr[2] for report in reprec.getreports("pytest_runtest_logreport") if report.skipped]


def test_suite_test_without_req_fails_collection(pytester):
    pytester.makepyfile(SUITE + "def test_unmarked():\n    pass\n")

    result = pytester.runpytest("-p", "no:cacheprovider")

    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*every suite test must name known requirements*",
                                 "*test_unmarked: no @pytest.mark.req*"])


def test_suite_test_with_unknown_req_fails_collection(pytester):
    pytester.makepyfile(SUITE + "@pytest.mark.req('AUTH-KEY-REQUIRED', 'NO-SUCH-RULE')\n"
                                "@pytest.mark.level('api')\ndef test_typo():\n    pass\n")

    result = pytester.runpytest("-p", "no:cacheprovider")

    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*test_typo: unknown requirement id(s) 'NO-SUCH-RULE'*"])


def test_invalid_level_marker_fails_collection(pytester):
    pytester.makepyfile(SUITE + "@pytest.mark.req('AUTH-KEY-REQUIRED')\n@pytest.mark.level('gold')\n"
                                "def test_bad_level():\n    pass\n")

    result = pytester.runpytest("-p", "no:cacheprovider")

    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*test_bad_level: @pytest.mark.level*must name one of api, simulated, controlled*"])


def test_tests_outside_the_suites_are_left_alone(pytester):
    pytester.makepyfile("def test_plain():\n    pass\n")

    result = pytester.runpytest("-p", "no:cacheprovider", "--strict-markers")

    result.assert_outcomes(passed=1)


def test_test_above_the_claimed_level_is_skipped_as_not_claimed(pytester):
    pytester.makepyfile(SUITE + """
@pytest.mark.req("AUTH-KEY-REQUIRED")
@pytest.mark.level("api")
def test_api():
    pass

@pytest.mark.req("CHANNEL-LIST")
@pytest.mark.level("controlled")
def test_controlled():
    raise AssertionError("must not run")

@pytest.mark.req("AUTH-KEY-PREFIX")
def test_level_from_requirement():
    raise AssertionError("AUTH-KEY-PREFIX is a controlled requirement: must not run")
""")

    reprec = pytester.inline_run("-p", "no:cacheprovider", "--fiwano-level", "api")

    reprec.assertoutcome(passed=1, skipped=2)
    reasons = skip_reasons(reprec)
    assert all(reason.startswith("Skipped: not-claimed:") or reason.startswith("not-claimed:") for reason in reasons)
    assert any("needs the controlled level, the run claims api" in reason for reason in reasons)


def test_claimed_level_runs_the_test(pytester):
    pytester.makepyfile(SUITE + """
@pytest.mark.req("CHANNEL-LIST")
@pytest.mark.level("simulated")
def test_simulated():
    pass
""")

    reprec = pytester.inline_run("-p", "no:cacheprovider", "--fiwano-level", "controlled")

    reprec.assertoutcome(passed=1)


def test_channel_type_is_parametrized_and_unclaimed_channels_are_not_claimed(pytester):
    pytester.makepyfile(SUITE + """
@pytest.mark.req("SEND-TEXT-LIMIT")
@pytest.mark.level("api")
def test_per_channel(channel_type):
    assert channel_type == "whatsapp"
""")

    reprec = pytester.inline_run("-p", "no:cacheprovider", "--fiwano-level", "api", "--fiwano-channels", "whatsapp")

    reprec.assertoutcome(passed=1, skipped=2)
    assert sorted(r.split("channel ")[1].split(" ")[0] for r in skip_reasons(reprec)) == ["facebook", "instagram"]
    assert all("not-claimed:" in r for r in skip_reasons(reprec))


def test_channel_type_follows_the_channels_of_the_requirements(pytester):
    pytester.makepyfile(SUITE + """
@pytest.mark.req("RELAY-FROM-WA")
@pytest.mark.level("api")
def test_whatsapp_rule(channel_type):
    pass

@pytest.mark.req("RELAY-FROM-NAME")
@pytest.mark.level("api")
@pytest.mark.parametrize("channel_type", [
    pytest.param("whatsapp", marks=pytest.mark.req("RELAY-FROM-WA")),
    pytest.param("facebook", marks=pytest.mark.req("RELAY-FROM-FB")),
])
def test_explicit(channel_type, request):
    ids = [i for m in request.node.iter_markers("req") for i in m.args]
    assert {"whatsapp": "RELAY-FROM-WA", "facebook": "RELAY-FROM-FB"}[channel_type] in ids
""")

    reprec = pytester.inline_run("-p", "no:cacheprovider", "--fiwano-level", "api", "--fiwano-channels", "whatsapp")

    names = sorted(r.nodeid.split("::")[1] for r in reprec.getreports("pytest_runtest_logreport") if r.when == "setup")
    assert names == ["test_explicit[facebook]", "test_explicit[whatsapp]", "test_whatsapp_rule[whatsapp]"]
    reprec.assertoutcome(passed=2, skipped=1)  # facebook is not claimed


def test_req_and_level_are_recorded_as_user_properties(pytester):
    pytester.makepyfile(SUITE + """
@pytest.mark.req("AUTH-KEY-REQUIRED", "AUTH-401-BODY")
@pytest.mark.level("api")
def test_props():
    pass
""")

    reprec = pytester.inline_run("-p", "no:cacheprovider", "--fiwano-level", "api")

    [report] = [r for r in reprec.getreports("pytest_runtest_logreport") if r.when == "call"]
    assert ("fiwano_req", "AUTH-KEY-REQUIRED AUTH-401-BODY") in report.user_properties
    assert ("fiwano_level", "api") in report.user_properties


def test_option_beats_env_through_pytest(pytester, monkeypatch):
    monkeypatch.setenv("FIWANO_TARGET", "https://env.example")
    monkeypatch.setenv("FIWANO_CHANNELS", "facebook")
    pytester.makepyfile("""
from suites.plugin import fiwano_run

def test_config(request):
    cfg = fiwano_run(request.config).config
    assert cfg.target == "https://option.example"
    assert cfg.channels == ("facebook",)
""")

    reprec = pytester.inline_run("-p", "no:cacheprovider", "--fiwano-target", "https://option.example/")

    reprec.assertoutcome(passed=1)


def test_bad_configuration_is_a_usage_error(pytester):
    pytester.makepyfile(SUITE + "@pytest.mark.req('CHANNEL-LIST')\ndef test_x():\n    pass\n")

    result = pytester.runpytest("-p", "no:cacheprovider", "--fiwano-channels", "telegram")

    result.stderr.fnmatch_lines(["*invalid fiwano configuration*telegram*"])
    assert result.ret != pytest.ExitCode.OK


def test_failed_suite_test_carries_evidence_and_is_redacted(pytester):
    pytester.makepyfile(SUITE + """
import httpx
from suites.evidence import Evidence
from suites.plugin import EVIDENCE_KEY

@pytest.mark.req("AUTH-KEY-REQUIRED")
@pytest.mark.level("api")
def test_fails(request):
    evidence = Evidence(request.node.nodeid)
    request.node.stash[EVIDENCE_KEY] = evidence
    req = httpx.Request("GET", "https://t.example/api/v1/channels", headers={"X-API-Key": "mip_live_SECRET123456"})
    evidence.record_httpx("north", response=httpx.Response(401, json={"detail": "nope"}, request=req))
    evidence.add_east("sink endpoint /hooks/x", lambda: "one delivery")
    raise AssertionError("the key mip_live_SECRET123456 was refused")
""")

    result = pytester.runpytest("-p", "no:cacheprovider", "--fiwano-level", "api", "-vv")

    result.assert_outcomes(failed=1)
    text = result.stdout.str()
    assert "mip_live_SECRET123456" not in text
    assert "SECRET123456" not in text
    result.stdout.fnmatch_lines(["*fiwano evidence: north*", "*GET https://t.example/api/v1/channels*",
                                 "*401*nope*", "*fiwano evidence: east*", "*one delivery*"])
    # the structure survives redaction: the summary line still carries the assertion message
    result.stdout.fnmatch_lines(["FAILED *test_fails - AssertionError: the key mip_live_<redacted> was refused"])


def test_kit_errors_are_flagged_as_errors_not_target_failures(pytester):
    pytester.makepyfile(SUITE + """
class SimulatorError(RuntimeError):
    pass

@pytest.mark.req("SEND-TEXT-OK")
@pytest.mark.level("api")
def test_simulator_broke():
    raise SimulatorError("POST /_sim/worlds -> 500")

@pytest.mark.req("SEND-TEXT-OK")
@pytest.mark.level("api")
def test_target_broke():
    raise AssertionError("[SEND-TEXT-OK] expected 200")
""")

    reprec = pytester.inline_run("-p", "no:cacheprovider", "--fiwano-level", "api")

    flagged = {r.nodeid.split("::")[1]: ("fiwano_kit_error", "SimulatorError") in r.user_properties
               for r in reprec.getreports("pytest_runtest_logreport") if r.when == "call"}
    assert flagged == {"test_simulator_broke": True, "test_target_broke": False}
