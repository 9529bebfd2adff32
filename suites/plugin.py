"""The pytest plugin of the Fiwano conformance suites (entry point ``fiwano`` in pyproject.toml).

It is loaded in every pytest run of an environment where the kit is installed, so everything it does
beyond registering options and markers is scoped to *suite tests* (items whose module lives in the
``suites`` package, or sets ``__fiwano_suite__ = True``) and lazy (nothing is read, probed or started
until a suite test needs it).

Policies enforced here (each a house rule of the kit):

* every suite test names the requirements it checks: ``@pytest.mark.req("ID", ...)`` with ids from
  ``contract/requirements.yaml``; a missing or unknown id is a usage error at collection;
* ``@pytest.mark.level("api" | "simulated" | "controlled")`` says what the target must offer; without it
  the highest level of the test's requirements applies; a test above the level the run claims is
  skipped with a reason starting ``not-claimed:`` (so are channel parametrizations of channels the run
  does not claim);
* a test naming a requirement outside the run's profile (``profile: P`` in requirements.yaml where P is not
  in the profile's lineage, or ``retired_in`` one that is) is skipped ``not-claimed:`` with a reason naming
  the profiles, before any fixture runs (see :func:`profile_exclusion`, docs/profiles.md);
* a prerequisite of a *claimed* level that is missing (no simulator URL, a harness that does not answer)
  makes the test fail or error, never skip: gaps stay red (see :func:`missing_prerequisite`);
* a failed suite test carries the evidence of all three sides as report sections, redacted; every
  report of a suite test is passed through the redactor.
"""

from __future__ import annotations

from typing import Any

import pytest
import yaml

from fiwano_conformance.shared.results import LEVEL_PROPERTY, REQ_PROPERTY
from fiwano_conformance.shared.results import MISSING_PREREQUISITE_PREFIX as MISSING_PREREQUISITE
from fiwano_conformance.shared.results import NOT_CLAIMED_PREFIX as NOT_CLAIMED

LEVEL_ORDER = {"api": 0, "simulated": 1, "controlled": 2}
# exceptions that mean the kit's own machinery broke (reported with the property fiwano_kit_error=<type>)
KIT_ERRORS = {"SimulatorError", "HarnessError", "EmbeddedStartError"}

_RUN_KEY = pytest.StashKey["FiwanoRun"]()
REQS_KEY = pytest.StashKey[tuple]()
LEVEL_KEY = pytest.StashKey[str]()
EVIDENCE_KEY = pytest.StashKey[Any]()
PROBLEM_KEY = pytest.StashKey[str]()
OUT_OF_PROFILE_KEY = pytest.StashKey[str]()  # why a test's requirements are not judged under the run's profile
REAL_TIME_KEY = pytest.StashKey[float]()  # the real-time budget (s) of a controlled test run without a harness


# ------------------------------------------------------------------------------------------- options


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("fiwano", "Fiwano conformance suites (see docs/running-against-your-implementation.md)")
    add = group.addoption
    add("--fiwano-target", dest="fiwano_target", metavar="URL",
        help="base URL of the Fiwano implementation under test (env FIWANO_TARGET). "
             "Default: start the embedded simulator + reference pair.")
    add("--fiwano-simulator", dest="fiwano_simulator", metavar="URL",
        help="URL of the kit's simulator (fake Meta) the target uses as its Graph API (env FIWANO_SIMULATOR)")
    add("--fiwano-harness", dest="fiwano_harness", metavar="URL",
        help="URL of the target's harness API, default the target URL (env FIWANO_HARNESS)")
    add("--fiwano-config", dest="fiwano_config", metavar="FILE",
        help="YAML file with the settings below (env FIWANO_CONFIG); options and env override it")
    add("--fiwano-level", dest="fiwano_level", choices=["api", "simulated", "controlled", "auto"],
        help="level the target claims (env FIWANO_LEVEL); default: the highest it offers")
    add("--fiwano-channels", dest="fiwano_channels", metavar="LIST",
        help="comma-separated channels the target claims (env FIWANO_CHANNELS; default all three)")
    add("--fiwano-profile", dest="fiwano_profile", metavar="NAME|FILE",
        help="profile of documented numbers, contract/profiles/<NAME>.yaml or a file (env FIWANO_PROFILE)")
    add("--fiwano-api-key", dest="fiwano_api_keys", action="append", metavar="[STATE=]KEY",
        help="an API key of the target, repeatable, for a target without a harness; STATE= names the account "
             "state (pro, starter, enterprise, trial, no_subscription, pro_expired, ...; default pro) "
             "(env FIWANO_API_KEYS)")
    add("--fiwano-real-time", dest="fiwano_real_time", action="store_true", default=None,
        help="without a harness clock, run the time rules of seconds to a couple of minutes (rate-limit "
             "windows, first retries, short TTLs) by waiting in real time, bounded (env FIWANO_REAL_TIME)")
    add("--fiwano-sink-host", dest="fiwano_sink_host", metavar="HOST",
        help="address the webhook sink binds (env FIWANO_SINK_HOST; default 127.0.0.1)")
    add("--fiwano-sink-url", dest="fiwano_sink_url", metavar="URL",
        help="URL the target must use to reach the sink (env FIWANO_SINK_URL; default https://<host>:<port>)")
    add("--fiwano-sink-ca-dir", dest="fiwano_sink_ca_dir", metavar="DIR",
        help="directory where the kit CA is written as kit-ca.pem (env FIWANO_SINK_CA_DIR)")
    add("--fiwano-seed", dest="fiwano_seed", type=int, metavar="N",
        help="seed of the generated test data (env FIWANO_SEED; default 0)")
    add("--fiwano-explore", dest="fiwano_explore", action="store_true", default=None,
        help="let Hypothesis explore: new random examples each run (fix one with --hypothesis-seed) instead of "
             "the fixed, derandomized set CI uses (env FIWANO_EXPLORE)")
    add("--fiwano-delivery-timeout", dest="fiwano_delivery_timeout", type=float, metavar="SECONDS",
        help="bounded wait for an expected webhook delivery (env FIWANO_DELIVERY_TIMEOUT; default 10)")
    add("--fiwano-reading", dest="fiwano_readings", action="append", metavar="ID=VALUE",
        help="pin the reading of an ambiguous rule, repeatable (env FIWANO_READINGS=ID=VALUE,...); by default "
             "every reading the docs permit is accepted (docs/requirements.md)")
    add("--fiwano-quiet-seconds", dest="fiwano_quiet_seconds", type=float, metavar="SECONDS",
        help="how long a negative check watches that nothing arrives (env FIWANO_QUIET_SECONDS; default 1)")
    add("--fiwano-skip-doctor", dest="fiwano_skip_doctor", action="store_true", default=False,
        help="do not check the setup before the suites run (`fiwano-conformance doctor`; for experts)")


def pytest_configure(config: pytest.Config) -> None:
    _load_hypothesis_profile(config)
    config.addinivalue_line(
        "markers",
        "req(*ids): the requirement ids (contract/requirements.yaml) a Fiwano suite test checks; "
        "required on every suite test")
    config.addinivalue_line(
        "markers",
        "level(name, reason=None): what the target must offer for a Fiwano suite test: api | simulated | "
        "controlled; reason says why (shown in the not-claimed skip)")
    config.addinivalue_line(
        "markers",
        "counts_429: the test counts 429 answers, so its clients never wait a 429 out (api-level keys do)")


def _load_hypothesis_profile(config: pytest.Config) -> None:
    """Hypothesis in the suites: derandomized with no example database (the same examples every run, as CI
    needs), unless the run asks to explore (``--fiwano-explore``): then fresh random examples each run,
    reproducible with ``--hypothesis-seed``. Loaded before collection, so the tests' ``@settings`` inherit it."""
    from hypothesis import settings

    try:
        explore = bool(fiwano_run(config).config.explore)
    except Exception:  # noqa: BLE001 - a broken configuration is reported when the suites start
        explore = False
    settings.register_profile("fiwano", derandomize=True, database=None, deadline=None)
    settings.register_profile("fiwano-explore", derandomize=False, database=None, deadline=None)
    settings.load_profile("fiwano-explore" if explore else "fiwano")


# ------------------------------------------------------------------------------------------- the doctor

_DOCTOR_KEY = pytest.StashKey[list]()


def _runs_the_suites(config: pytest.Config) -> bool:
    """Whether this session's arguments name the suites package (a path into it, or ``--pyargs suites``):
    only then is the setup checked; the plugin is loaded in every pytest run of the environment."""
    from pathlib import Path

    package = __name__.rpartition(".")[0]
    package_dir = Path(__file__).resolve().parent
    for arg in config.args:
        base = str(arg).split("::")[0]
        if config.option.pyargs and (base == package or base.startswith(package + ".")):
            return True
        path = Path(config.invocation_params.dir, base).resolve()
        if path == package_dir or package_dir in path.parents:
            return True
    return False


_NOT_RUNNING = ("help", "version", "collectonly", "showfixtures", "show_fixtures_per_test", "markers")


@pytest.hookimpl(tryfirst=True)
def pytest_cmdline_main(config: pytest.Config) -> int | None:
    """Check the setup once, before the session (and before xdist starts its workers): a configuration
    mistake ends pytest with one line and exit code 2 instead of hundreds of red tests."""
    if hasattr(config, "workerinput") or config.getoption("fiwano_skip_doctor", False) \
            or any(getattr(config.option, name, False) for name in _NOT_RUNNING) or not _runs_the_suites(config):
        return None
    import sys

    from fiwano_conformance.doctor import diagnose, problem_of
    from suites.config import CONFIG_FILE_OPTION, FIELDS

    options = {dest: config.getoption(dest, None) for dest in [d for d, _ in FIELDS.values()] + [CONFIG_FILE_OPTION]}
    findings = diagnose(options)
    problem = problem_of(findings)
    if problem is not None:
        sys.stderr.write(f"fiwano configuration error: {problem.check}: {problem.text} (checked before any test "
                         "runs; --fiwano-skip-doctor skips the check)\n")
        return 2
    config.stash[_DOCTOR_KEY] = findings
    return None


def pytest_report_header(config: pytest.Config) -> list[str] | None:
    findings = config.stash.get(_DOCTOR_KEY, None)
    if not findings:
        return None
    return [f"fiwano doctor: {finding.line()}" for finding in findings]


# ------------------------------------------------------------------------------------------- scope


def is_suite_item(item: pytest.Item) -> bool:
    module = getattr(item, "module", None)
    return is_suite_module(module)


def is_suite_module(module: Any) -> bool:
    if module is None:
        return False
    name = getattr(module, "__name__", "") or ""
    return name.startswith("suites.") or bool(getattr(module, "__fiwano_suite__", False))


# ------------------------------------------------------------------------------------------- run state


class FiwanoRun:
    """Lazily resolved state of a suite run: the config and the level the target claims."""

    def __init__(self, pytest_config: pytest.Config) -> None:
        self._pytest_config = pytest_config
        self._config: Any = None
        self._level: str | None = None
        self._level_reason = ""

    @property
    def config(self) -> Any:
        if self._config is None:
            from suites.config import FIELDS, CONFIG_FILE_OPTION, ConfigError, SuiteConfig

            options = {dest: self._pytest_config.getoption(dest, None)
                       for dest in [d for d, _ in FIELDS.values()] + [CONFIG_FILE_OPTION]}
            try:
                self._config = SuiteConfig.load(options)
            except ConfigError as exc:
                raise pytest.UsageError(str(exc)) from None
        return self._config

    def claimed_level(self) -> str:
        """The level the run claims: the configured one, or the highest the target offers (probed once)."""
        if self._level is None:
            cfg = self.config
            if cfg.level is not None:
                self._level, self._level_reason = cfg.level, "configured"
            elif cfg.embedded:
                self._level, self._level_reason = "controlled", "embedded reference in test mode"
            else:
                self._level, self._level_reason = self._probe(cfg)
        return self._level

    @staticmethod
    def _probe(cfg: Any) -> tuple[str, str]:
        from fiwano_conformance.shared.harness import harness_problem

        harness = cfg.harness_url
        if harness_problem(harness, timeout=5) is None:
            return "controlled", f"{harness}/harness/health answers test_mode true"
        if cfg.simulator:
            return "simulated", "a simulator URL is configured and the target offers no harness"
        return "api", "no simulator URL and no harness"

    @property
    def level_reason(self) -> str:
        return self._level_reason


def fiwano_run(config: pytest.Config) -> FiwanoRun:
    run = config.stash.get(_RUN_KEY, None)
    if run is None:
        run = FiwanoRun(config)
        config.stash[_RUN_KEY] = run
    return run


def missing_prerequisite(what: str) -> None:
    """Fail the current test: the run claims a level whose prerequisite is missing (never a skip)."""
    pytest.fail(f"{MISSING_PREREQUISITE} {what}", pytrace=False)


# ------------------------------------------------------------------------------------------- collection


def _requirement_levels() -> dict[str, str]:
    from contract import load_requirements

    return {rid: entry.get("level", "api") for rid, entry in load_requirements().items()}


def _marker_reqs(node: Any) -> list[str]:
    ids: list[str] = []
    for marker in node.iter_markers("req"):
        ids.extend(marker.args)
    return ids


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Parametrize ``channel_type`` over the channels the test's requirements cover (claim checked later)."""
    if "channel_type" not in metafunc.fixturenames or not is_suite_module(metafunc.module):
        return
    for marker in metafunc.definition.iter_markers("parametrize"):
        names = marker.args[0] if marker.args else ""
        if "channel_type" in (names.split(",") if isinstance(names, str) else names):
            return
    from contract import CHANNEL_TYPES, load_requirements

    requirements = load_requirements()
    covered = set(CHANNEL_TYPES)
    for rid in _marker_reqs(metafunc.definition):
        if rid in requirements and requirements[rid].get("channels"):
            covered &= set(requirements[rid]["channels"])
    channels = [c for c in CHANNEL_TYPES if c in covered]
    metafunc.parametrize("channel_type", channels, ids=channels)


# what reading a profile may raise (missing file, bad YAML, a cycle of extends, a malformed value)
UNREADABLE_PROFILE = (OSError, ValueError, KeyError, TypeError, yaml.YAMLError)


def run_lineage(config: pytest.Config) -> tuple[str, tuple[str, ...]]:
    """The run's profile and its lineage (root first); an unreadable profile is the doctor's to report."""
    from contract import profile_lineage

    try:
        name = str(fiwano_run(config).config.profile)
    except pytest.UsageError:  # a broken configuration is reported when the suites start
        return "default", ("default",)
    try:
        return name, profile_lineage(name)
    except UNREADABLE_PROFILE:
        return name, (name,)


def profile_exclusion(ids: list[str], profile: str, lineage: tuple[str, ...],
                      catalogue: dict[str, dict[str, Any]]) -> str | None:
    """Why a test naming ``ids`` is not judged under ``profile`` (None: every id belongs to it)."""
    from contract import requirement_in_profile

    outside = [rid for rid in ids if rid in catalogue and not requirement_in_profile(catalogue[rid], lineage)]
    if not outside:
        return None
    parts = []
    for rid in outside:
        entry = catalogue[rid]
        if entry.get("retired_in") and entry["retired_in"] in lineage:
            parts.append(f"{rid} is retired in profile {entry['retired_in']}")
        else:
            parts.append(f"{rid} belongs to profile {entry.get('profile')}")
    return (f"{NOT_CLAIMED} profile: {'; '.join(parts)}; the run judges profile {profile} "
            f"(lineage {' > '.join(lineage)})")


REAL_TIME_WORK_SECONDS = 300.0  # the ordinary per-test timeout (run-pytest.ini): a test's own work besides waiting


def _allow_real_time_in_timeout(item: pytest.Item, config: pytest.Config) -> None:
    """A run that opted in to real time gives a test that may wait S seconds a timeout of S + the ordinary
    300 s (pytest-timeout's marker), so a five-minute lifetime is not cut off by the per-test timeout."""
    budget = declared_real_time(item)
    if budget and config.pluginmanager.hasplugin("timeout") and getattr(fiwano_run(config).config, "real_time", False):
        item.add_marker(pytest.mark.timeout(budget + REAL_TIME_WORK_SECONDS))


def pytest_collection_modifyitems(session: pytest.Session, config: pytest.Config, items: list[pytest.Item]) -> None:
    suite_items = [item for item in items if is_suite_item(item)]
    if not suite_items:
        return
    from contract import load_requirements

    catalogue = load_requirements()
    profile, lineage = run_lineage(config)
    from suites import contract_checks

    try:  # answers and webhooks are checked against the profile's contract (v1 plus its overlays)
        contract_checks.use_profile(profile)
    except UNREADABLE_PROFILE:  # an unreadable profile is the doctor's to report; the v1 contract still applies
        contract_checks.use_profile("default")
    levels_of = _requirement_levels()
    problems: list[str] = []
    for item in suite_items:
        ids = _marker_reqs(item)
        if not ids:
            problems.append(f"{item.nodeid}: no @pytest.mark.req(...) naming the requirement(s) it checks")
            continue
        unknown = [rid for rid in ids if rid not in levels_of]
        if unknown:
            problems.append(f"{item.nodeid}: unknown requirement id(s) {', '.join(map(repr, unknown))} "
                            "(not in contract/requirements.yaml)")
            continue
        level_markers = list(item.iter_markers("level"))
        if level_markers:
            args = level_markers[0].args
            level = args[0] if len(args) == 1 else None
            if level not in LEVEL_ORDER:
                problems.append(f"{item.nodeid}: @pytest.mark.level{args!r} must name one of "
                                f"{', '.join(LEVEL_ORDER)}")
                continue
        else:
            level = max((levels_of[rid] for rid in ids), key=lambda lv: LEVEL_ORDER.get(lv, 0))
        item.stash[REQS_KEY] = tuple(dict.fromkeys(ids))
        item.stash[LEVEL_KEY] = level
        excluded = profile_exclusion(ids, profile, lineage, catalogue)
        if excluded is not None:
            item.stash[OUT_OF_PROFILE_KEY] = excluded
        _allow_real_time_in_timeout(item, config)
        item.user_properties.append((REQ_PROPERTY, " ".join(item.stash[REQS_KEY])))
        item.user_properties.append((LEVEL_PROPERTY, level))
    if problems and hasattr(config, "workerinput"):
        # an xdist worker cannot abort the session cleanly: the offending tests error at setup instead
        for item in suite_items:
            mine = [p for p in problems if p.startswith(item.nodeid + ":")]
            if mine:
                item.stash[PROBLEM_KEY] = "fiwano: " + "; ".join(mine)
        return
    if problems:
        raise pytest.UsageError(
            "fiwano: every suite test must name known requirements with @pytest.mark.req(\"ID\", ...):\n  "
            + "\n  ".join(problems))


def pytest_report_collectionfinish(config: pytest.Config, start_path: Any, items: list[pytest.Item]) -> Any:
    if not any(is_suite_item(item) for item in items):
        return None
    run = fiwano_run(config)
    cfg = run.config
    target = cfg.redacted()["target"] or "embedded simulator + reference"
    level = run.claimed_level()  # the level resolved (and why), not "auto"
    return (f"fiwano: target={target} level={level} ({run.level_reason}) channels={','.join(cfg.channels)} "
            f"profile={cfg.profile} seed={cfg.seed}")


# ------------------------------------------------------------------------------------------- running


def declared_real_time(item: pytest.Item) -> float | None:
    """The real-time budget a test declares for this case: ``@pytest.mark.level("controlled", real_time=S)``,
    limited by ``real_time_cases=(ID, ...)`` to the parametrizations with those ids (a rule with many cases
    runs some of them in real time, the rest stay on the harness clock, so a run stays within its minutes)."""
    marker = item.get_closest_marker("level")
    budget = marker.kwargs.get("real_time") if marker is not None else None
    if not budget:
        return None
    cases = marker.kwargs.get("real_time_cases")
    callspec = getattr(item, "callspec", None)
    if cases is not None and (callspec is None or callspec.id not in cases):
        return None
    return float(budget)


def real_time_budget(item: pytest.Item, needed: str, claimed: str, config: Any) -> float | None:
    """The seconds a controlled test may wait in real time when the run claims simulated and opted in
    (``--fiwano-real-time``) and the test allows it (``@pytest.mark.level("controlled", real_time=S)``)."""
    if needed != "controlled" or claimed != "simulated" or not getattr(config, "real_time", False):
        return None
    return declared_real_time(item)


def level_reason(item: pytest.Item, level: str) -> str:
    """Why a test needs its level: ``@pytest.mark.level("controlled", reason=...)``, else what its fixtures
    say (the ``clock`` fixture moves the harness clock), else nothing."""
    marker = item.get_closest_marker("level")
    if marker is not None and marker.kwargs.get("reason"):
        return str(marker.kwargs["reason"])
    if level == "controlled" and "clock" in getattr(item, "fixturenames", ()):
        budget = declared_real_time(item)
        return "needs the harness clock" + (f" (or --fiwano-real-time: waits up to {budget:g} s)" if budget else "")
    return ""


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    if not is_suite_item(item):
        return
    if PROBLEM_KEY in item.stash:
        pytest.fail(item.stash[PROBLEM_KEY], pytrace=False)
    if LEVEL_KEY not in item.stash:
        return
    if OUT_OF_PROFILE_KEY in item.stash:  # before the level: a test outside the profile costs nothing
        pytest.skip(item.stash[OUT_OF_PROFILE_KEY])
    run = fiwano_run(item.config)
    needed = item.stash[LEVEL_KEY]
    if LEVEL_ORDER[needed] > 0:
        claimed = run.claimed_level()
        budget = real_time_budget(item, needed, claimed, run.config)
        if budget is not None:
            item.stash[REAL_TIME_KEY] = budget
        elif LEVEL_ORDER[needed] > LEVEL_ORDER[claimed]:
            why = level_reason(item, needed)
            pytest.skip(f"{NOT_CLAIMED} {why + ': ' if why else ''}needs the {needed} level, the run claims "
                        f"{claimed} ({run.level_reason})")
    callspec = getattr(item, "callspec", None)
    channel = callspec.params.get("channel_type") if callspec is not None else None
    if channel is not None and channel not in run.config.channels:
        pytest.skip(f"{NOT_CLAIMED} channel {channel} is not claimed (claimed: {', '.join(run.config.channels)})")


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo) -> Any:
    report = yield
    if not is_suite_item(item):
        return report
    from suites.redact import redact

    if report.failed and call.excinfo is not None and type(call.excinfo.value).__name__ in KIT_ERRORS:
        # the harness broke (simulator, harness API, embedded launcher), not the target: status "error"
        report.user_properties.append(("fiwano_kit_error", type(call.excinfo.value).__name__))
        report.sections.append(("fiwano: kit error", f"{type(call.excinfo.value).__name__}: the kit's own helper "
                                "failed; this says nothing about the target"))
    if report.failed:
        evidence = item.stash.get(EVIDENCE_KEY, None)
        if evidence is not None:
            try:
                sections = evidence.sections()
            except Exception as exc:  # noqa: BLE001 - evidence must never hide the real failure
                sections = [("fiwano evidence", f"could not collect evidence: {exc!r}")]
            for title, text in sections:
                report.sections.append((title, text))
    if report.longrepr is not None and not report.skipped:
        text = str(report.longrepr)
        if redact(text) != text:
            try:
                _redact_in_place(report.longrepr)
            except Exception:  # noqa: BLE001 - redaction in place is best effort; the plain-text fallback below follows
                pass
            if redact(str(report.longrepr)) != str(report.longrepr):
                report.longrepr = redact(str(report.longrepr))  # last resort: plain text
    report.sections = [(title, redact(text)) for title, text in report.sections]
    return report


def _redact_in_place(obj: Any, depth: int = 0) -> Any:
    """Redact every string inside a pytest failure representation (keeps its structure and summary line)."""
    from suites.redact import redact

    if depth > 12 or obj is None:
        return obj
    if isinstance(obj, str):
        return redact(obj)
    if isinstance(obj, list):
        for index, value in enumerate(obj):
            obj[index] = _redact_in_place(value, depth + 1)
        return obj
    if isinstance(obj, tuple):
        return tuple(_redact_in_place(value, depth + 1) for value in obj)
    if isinstance(obj, dict):
        for key in list(obj):
            obj[key] = _redact_in_place(obj[key], depth + 1)
        return obj
    if hasattr(obj, "__dict__") and type(obj).__module__.startswith("_pytest"):
        for name, value in list(vars(obj).items()):
            object.__setattr__(obj, name, _redact_in_place(value, depth + 1))
    return obj
