"""``fiwano-conformance doctor``: is this run's setup usable, before a single test runs?

A configuration mistake (a target that is down, a wrong port, a server that is not Fiwano, rejected API
keys, a simulator that is missing, an unknown profile, a broken YAML file) would otherwise end as hundreds
of red tests and the verdict NOT CONFORMANT. The doctor checks the setup in at most
:data:`BUDGET_SECONDS` and says, one line per check, what it saw; the first problem ends the checks with
one line saying what is wrong and what to do, and the exit code 2 (house rule 5).

It runs on its own (``fiwano-conformance doctor``), at the start of every ``fiwano-conformance run``
(``--skip-doctor`` to skip) and from the suites' pytest plugin at session start, once, on the xdist
controller (``--fiwano-skip-doctor``). Checks, in order (each needs the ones before it):

1. ``config``: the settings (options > environment > YAML file) are valid; YAML errors and unknown keys
   name the file and line;
2. ``profile``: the profile exists and matches contract/profile.schema.json;
3. ``target``: it answers an unauthenticated ``GET /api/v1/channels`` with 401 and a JSON body, as every
   Fiwano does (a closed port, a web server that is not Fiwano and a wrong base path all fail here);
4. ``level``: the level the run claims, and why (configured, or the highest the target offers);
5. ``keys``: each given API key authenticates; at a level without a usable harness, keys are required;
6. ``simulator``: where the level needs it, the simulator answers, knows the target's Meta webhook URL,
   and a signed webhook it sends there is accepted (the app secrets agree);
7. ``sink``: at the controlled level, a real round trip: the harness makes an account and connects a
   channel (the target reads the asset from the simulator: its Graph URL is right), the simulator sends
   an inbound message, and it must reach a sink of the kit over TLS (the target trusts the kit CA and
   may deliver to the sink's address).
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import httpx

from fiwano_conformance.shared import harness as shared_harness

BUDGET_SECONDS = 15.0
HTTP_TIMEOUT_SECONDS = 4.0
KEY_CHECKS_AT_ONCE = 8
EXIT_OK, EXIT_PROBLEM = 0, 2

# `run` / `doctor` option -> pytest plugin option dest
RUN_OPTIONS = {
    "target": "fiwano_target",
    "simulator": "fiwano_simulator",
    "harness": "fiwano_harness",
    "config": "fiwano_config",
    "level": "fiwano_level",
    "profile": "fiwano_profile",
    "sink_ca_dir": "fiwano_sink_ca_dir",
}


@dataclass(frozen=True)
class Finding:
    """One check's one line: what was seen and, for a problem, what to do."""

    check: str
    ok: bool
    text: str

    def line(self) -> str:
        return f"{'ok' if self.ok else 'PROBLEM':<8}{self.check:<10}{self.text}"


class Problem(Exception):
    """A check found the setup unusable; ``str()`` is the one line to show."""


@dataclass
class Doctor:
    """The checks of one setup, sharing a deadline and what earlier checks learnt."""

    options: Mapping[str, Any]
    env: Mapping[str, str] | None = None
    budget: float = BUDGET_SECONDS
    findings: list[Finding] = field(default_factory=list)
    config: Any = None
    level: str | None = None
    harness_ok: bool = False

    def __post_init__(self) -> None:
        self._deadline = time.monotonic() + self.budget

    # -- plumbing
    def _timeout(self) -> float:
        left = self._deadline - time.monotonic()
        if left <= 0.2:
            raise Problem(f"the checks did not finish within {self.budget:g} s: the target or the simulator "
                          "answers too slowly")
        return min(HTTP_TIMEOUT_SECONDS, left)

    def _ok(self, check: str, text: str) -> None:
        self.findings.append(Finding(check, True, text))

    def diagnose(self) -> list[Finding]:
        """Run the checks in order; stop at the first problem (the last finding, ``ok=False``)."""
        for check, method in (("config", self.check_config), ("profile", self.check_profile),
                              ("target", self.check_target), ("level", self.check_level),
                              ("keys", self.check_keys), ("simulator", self.check_simulator),
                              ("sink", self.check_sink)):
            try:
                method()
            except Problem as exc:
                self.findings.append(Finding(check, False, _redact(str(exc))))
                break
        return self.findings

    # -- 1. config
    def check_config(self) -> None:
        from suites.config import ConfigError, SuiteConfig

        try:
            self.config = SuiteConfig.load(self.options, self.env)
        except ConfigError as exc:
            raise Problem(str(exc)) from None
        cfg = self.config
        where = f"file {cfg.config_file}" if cfg.config_file else "options and environment"
        self._ok("config", f"valid ({where}); channels {', '.join(cfg.channels)}; kit CA {cfg.sink_ca_dir}")

    # -- 2. profile
    def check_profile(self) -> None:
        import jsonschema
        import yaml

        from contract import ProfileError, load_profile, load_profile_schema

        name = self.config.profile
        try:
            profile = load_profile(name)
        except ProfileError as exc:  # (validated at load: the same line as below)
            raise Problem(str(exc)) from None
        except FileNotFoundError as exc:
            raise Problem(f"{exc}: give --profile NAME of contract/profiles/ or the path of a profile YAML file") \
                from None
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            where = f"{name}:{mark.line + 1}" if mark is not None else name
            raise Problem(f"profile {where} is not valid YAML ({getattr(exc, 'problem', exc)})") from None
        errors = sorted(jsonschema.Draft202012Validator(load_profile_schema()).iter_errors(profile),
                        key=lambda e: list(e.absolute_path))
        if errors:
            first = errors[0]
            path = ".".join(map(str, first.absolute_path)) or "(top)"
            raise Problem(f"profile {name}: {path}: {first.message} (contract/profiles/profile.schema.json; "
                          f"{len(errors)} problem(s) in all)")
        self._ok("profile", f"{name}")

    # -- 3. target
    def check_target(self) -> None:
        cfg = self.config
        if cfg.embedded:
            self._ok("target", "none given: the embedded simulator + reference pair will be started")
            return
        url = f"{cfg.target}/api/v1/channels"
        response = self._get(url, "target", "--target", cfg.target)
        if response.status_code == 401 and _json_object(response) is not None:
            self._ok("target", f"{_plain(cfg.target)} speaks Fiwano (GET /api/v1/channels without a key: 401 JSON)")
            return
        hint = " (give the base URL, without /api/v1)" if urlsplit(cfg.target).path.rstrip("/").endswith("/api/v1") \
            else ""
        raise Problem(f"{_plain(cfg.target)} does not speak Fiwano: GET /api/v1/channels without an API key answered "
                      f"{response.status_code} {response.headers.get('content-type', 'no content type')} "
                      f"{_snippet(response)}, a Fiwano answers 401 with a JSON body: is --target the API's base "
                      f"URL and port{hint}?")

    def _get(self, url: str, what: str, option: str, base: str, client: httpx.Client | None = None,
             **kwargs: Any) -> httpx.Response:
        try:
            if client is not None:
                return client.get(url, timeout=self._timeout(), **kwargs)
            return httpx.get(url, timeout=self._timeout(), follow_redirects=False, **kwargs)
        except httpx.ConnectError as exc:
            parts = urlsplit(url)
            port = parts.port or (443 if parts.scheme == "https" else 80)
            reason = _reason(exc)
            if "certificate" in reason.lower() or "ssl" in reason.lower():
                raise Problem(f"the {what} at {_plain(url)} fails the TLS handshake ({reason}): trust its "
                              "certificate (SSL_CERT_FILE) or use its http:// URL") from None
            raise Problem(f"nothing answers at {parts.hostname}:{port} ({reason}): is the {what} running, and is "
                          f"{option} {_plain(base)} right?") from None
        except httpx.TimeoutException:
            raise Problem(f"the {what} at {_plain(url)} did not answer within {HTTP_TIMEOUT_SECONDS:g} s: is "
                          f"{option} right, and is the {what} up?") from None
        except httpx.HTTPError as exc:
            raise Problem(f"the {what} at {_plain(url)} cannot be reached: {_reason(exc)} ({option})") from None

    # -- 4. level
    def check_level(self) -> None:
        cfg = self.config
        if cfg.embedded:
            self.level, self.harness_ok = cfg.level or "controlled", True
            self._ok("level", f"{self.level} ({'configured' if cfg.level else 'the embedded reference in test mode'})")
            return
        harness_problem = self._harness_problem()
        self.harness_ok = harness_problem is None
        if cfg.level is not None:
            self.level = cfg.level
            if cfg.level == "controlled" and harness_problem:
                raise Problem(f"the controlled level needs the harness API: {harness_problem}; start the target "
                              "in test mode, give --harness URL, or claim a lower --level")
            why = f"configured ({cfg.sources.get('level', 'option')})"
        elif self.harness_ok:
            self.level, why = "controlled", f"{_plain(cfg.harness_url)}/harness/health answers test_mode true"
        elif cfg.simulator:
            self.level, why = "simulated", f"a simulator is given and the target offers no harness ({harness_problem})"
        else:
            self.level, why = "api", f"no simulator given and no harness ({harness_problem})"
        self._ok("level", f"{self.level}: {why}")

    def _harness_problem(self) -> str | None:
        return shared_harness.harness_problem(self.config.harness_url, timeout=self._timeout())

    # -- 5. keys
    def check_keys(self) -> None:
        cfg = self.config
        keys = cfg.api_key_values()
        if cfg.embedded:
            self._ok("keys", "minted by the embedded reference's harness")
            return
        if not keys:
            if self.level != "controlled" and not self.harness_ok:
                raise Problem(f"the {self.level} level without a harness needs API keys of dedicated test accounts: "
                              "give --fiwano-api-key KEY (repeat; two accounts per xdist worker) or FIWANO_API_KEYS")
            self._ok("keys", "none given: the harness mints an account and key per test")
            return
        # One pooled client and a few keys at a time: a shared target is often given dozens of keys (a share per
        # xdist worker and per account state), and one fresh connection per key, one after another, overran
        # the budget with 40 keys on a busy box.
        with httpx.Client(timeout=self._timeout(), follow_redirects=False) as client, \
                ThreadPoolExecutor(max_workers=KEY_CHECKS_AT_ONCE) as pool:
            def probe(key: str) -> httpx.Response:
                return self._get(f"{cfg.target}/api/v1/channels", "target", "--target", cfg.target,
                                 headers={"X-API-Key": key}, client=client)
            answers = list(pool.map(probe, keys))
        for index, (key, response) in enumerate(zip(keys, answers, strict=True), start=1):
            shown = _shown_key(key)
            if response.status_code in (401, 403):
                raise Problem(f"API key #{index} ({shown}) is rejected by the target: {response.status_code} "
                              f"{_snippet(response)}; give keys of this target's test accounts (--fiwano-api-key)")
            if response.status_code not in (200, 429):
                raise Problem(f"API key #{index} ({shown}): GET /api/v1/channels answered {response.status_code} "
                              f"{_snippet(response)}, expected 200")
        self._ok("keys", f"{len(keys)} key(s) authenticate (GET /api/v1/channels: 200; the API does not name the "
                         "account of a key)")

    # -- 6. simulator
    def check_simulator(self) -> None:
        cfg = self.config
        if cfg.embedded:
            self._ok("simulator", "the embedded one, wired to the embedded reference")
            return
        if self.level == "api":
            self._ok("simulator", "not needed at the api level" + (f" ({_plain(cfg.simulator)} given)"
                                                                    if cfg.simulator else ""))
            return
        if not cfg.simulator:
            raise Problem(f"the {self.level} level needs the kit's simulator (fake Meta): start `fiwano-conformance "
                          "simulator --port 9100 ...`, point the target's Meta Graph URL at it, and give "
                          "--simulator URL (or claim --level api)")
        self._get(f"{cfg.simulator}/_sim/health", "simulator", "--simulator", cfg.simulator)
        from simulator.client import SimulatorClient, SimulatorError

        with SimulatorClient(cfg.simulator, timeout=self._timeout()) as sim:
            try:
                app = sim.get_app()
            except (SimulatorError, httpx.HTTPError, ValueError) as exc:
                raise Problem(f"{_plain(cfg.simulator)} is not the kit's simulator: GET /_sim/app failed ({exc})") \
                    from None
            webhook_url = app.get("target_webhook_url")
            if not webhook_url:
                raise Problem(f"the simulator at {_plain(cfg.simulator)} does not know where the target's Meta webhook "
                              f"is: start it with --target-webhook-url {_plain(cfg.target)}/meta/webhook (or PUT "
                              "/_sim/app)")
            channel = cfg.channels[0]
            world = sim.create_world([channel], label="fiwano doctor")
            try:
                delivery = sim.emit_raw_webhook(world.world_id, {"object": _META_OBJECT[channel], "entry": []})
            finally:
                _quietly(lambda: sim.delete_world(world.world_id))
        if delivery.status is None:
            raise Problem(f"the simulator cannot deliver Meta webhooks to {webhook_url} ({delivery.error}): fix its "
                          "--target-webhook-url (the target's /meta/webhook as the simulator reaches it)")
        if delivery.status in (401, 403):
            raise Problem(f"the target rejected the simulator's signed webhook at {webhook_url} ({delivery.status}): "
                          "its Meta app secret must equal the simulator's --app-secret")
        if not 200 <= delivery.status < 300:
            raise Problem(f"the target answered the simulator's signed webhook at {webhook_url} with {delivery.status} "
                          f"{(delivery.body or '')[:200]}: is --target-webhook-url the target's Meta webhook?")
        self._ok("simulator", f"{_plain(cfg.simulator)} answers; its signed webhooks reach the target at {webhook_url} "
                              f"({delivery.status})")

    # -- 7. sink
    def check_sink(self) -> None:
        cfg = self.config
        from fiwano_conformance.shared.kit_ca import ca_file

        trust = ca_file(cfg.sink_ca_dir)
        if cfg.embedded:
            self._ok("sink", f"the embedded reference trusts the kit CA {trust}")
            return
        if self.level != "controlled" or not self.harness_ok:
            self._ok("sink", f"not probed without the harness: the target must trust the kit CA {trust} for its "
                             "webhook calls")
            return
        if cfg.sink_url:
            self._ok("sink", f"not probed (a fixed --fiwano-sink-url {cfg.sink_url}); the target must trust {trust}")
            return
        self._round_trip()

    def _round_trip(self) -> None:
        """Account and channel by the harness, a message by the simulator, a delivery at a kit sink."""
        from simulator.client import SimulatorClient, SimulatorError
        from suites.clients import HarnessClient, HarnessError
        from suites.data import user_id
        from suites.sink import Sink

        cfg = self.config
        channel = cfg.channels[0]
        sink = Sink(cfg.sink_ca_dir, host=cfg.sink_host).start()
        harness = HarnessClient(cfg.harness_url, timeout=self._timeout())
        sim = SimulatorClient(cfg.simulator, timeout=self._timeout())
        undo: list[Callable[[], Any]] = []
        try:
            endpoint = sink.endpoint()
            try:
                account = harness.create_account()
                world = sim.create_world([channel], label="fiwano doctor")
                undo.append(lambda: sim.delete_world(world.world_id))
                asset = world.asset(channel)
                try:
                    data = harness.connect_channel(account["account_id"], channel, asset.asset_id, asset.access_token,
                                                   waba_id=getattr(asset, "waba_id", None),
                                                   page_id=getattr(asset, "page_id", None))
                except HarnessError as exc:
                    raise Problem(f"the target could not connect a {channel} channel to a simulator asset ({exc}): "
                                  f"is its Meta Graph API URL the simulator ({_plain(cfg.simulator)})?") from None
                channel_id = data.get("id") or data.get("channel_id")
                headers = {"X-API-Key": account["api_key"]}
                undo.append(lambda: httpx.delete(f"{cfg.target}/api/v1/channels/{channel_id}", headers=headers,
                                                 timeout=HTTP_TIMEOUT_SECONDS))
                patched = httpx.patch(f"{cfg.target}/api/v1/channels/{channel_id}", headers=headers,
                                      json={"webhook_url": endpoint.url, "webhook_events": ["message.received"]},
                                      timeout=self._timeout())
                if patched.status_code != 200:
                    raise Problem(f"the target refused the kit sink's URL {endpoint.url} as webhook_url "
                                  f"({patched.status_code} {_snippet(patched)}): let it deliver to "
                                  f"{sink.public_host} in tests (the reference: --allow-webhook-host "
                                  f"{sink.public_host}), or bind the sink elsewhere (--fiwano-sink-host/-url)")
                inbound = sim.emit_inbound_text(world.world_id, asset.asset_id, user_id(channel, random.Random(0)),
                                                "fiwano doctor")
                if not inbound.delivery.ok:
                    raise Problem(f"the target answered the simulator's inbound webhook with {inbound.delivery.status} "
                                  f"{inbound.delivery.error or (inbound.delivery.body or '')[:200]}")
            except (HarnessError, SimulatorError, httpx.HTTPError) as exc:
                raise Problem(f"the round trip harness -> target -> simulator failed: {_reason(exc)}") from None
            if not self._delivered(endpoint, harness, channel_id):
                seen = self._delivery_error(harness, channel_id)
                raise Problem(f"the target did not deliver a message.received webhook to the kit sink "
                              f"{sink.public_url}{f' ({seen})' if seen else ''}: it must trust the kit CA "
                              f"{sink.ca_file.resolve()} for its webhook calls (the reference: --webhook-ca-file) and "
                              f"may deliver to {sink.public_host} (the reference: --allow-webhook-host "
                              f"{sink.public_host})") from None
            self._ok("sink", f"a message from the simulator reached the kit sink over TLS (the target trusts "
                             f"{sink.ca_file.resolve()})")
        finally:
            for action in reversed(undo):
                _quietly(action)
            harness.close()
            sim.close()
            sink.stop()


    def _delivered(self, endpoint: Any, harness: Any, channel_id: str) -> bool:
        """Wait for the delivery at the sink; give up early once the target's relay queue shows a failed
        attempt (the optional ``GET /harness/channels/{id}/deliveries``), at the latest after
        :data:`SINK_WAIT_SECONDS`."""
        until = min(time.monotonic() + SINK_WAIT_SECONDS, self._deadline - 0.5)
        while time.monotonic() < until:
            try:
                endpoint.wait_for(1, timeout=min(0.3, max(0.05, until - time.monotonic())))
                return True
            except AssertionError:
                if self._delivery_error(harness, channel_id):
                    return bool(endpoint.requests)
        return bool(endpoint.requests)

    @staticmethod
    def _delivery_error(harness: Any, channel_id: str) -> str | None:
        """The error of a failed delivery attempt the target reports for the channel, if it does."""
        from fiwano_conformance.shared.harness import HarnessError

        try:
            items = harness.channel_deliveries(channel_id)
        except (HarnessError, httpx.HTTPError, ValueError, AttributeError):
            return None
        for item in items or []:
            if isinstance(item, dict) and (item.get("attempts") or 0) >= 1:
                error = item.get("last_error") or item.get("error")
                if error:
                    return f"the target's last attempt: {str(error)[:200]}"
        return None


SINK_WAIT_SECONDS = 8.0
_META_OBJECT = {"whatsapp": "whatsapp_business_account", "instagram": "instagram", "facebook": "page"}


# ------------------------------------------------------------------------------------------- helpers


def _quietly(action: Callable[[], Any]) -> None:
    try:
        action()
    except Exception:  # noqa: BLE001 - cleanup of the doctor's own probe data: best effort
        pass


def _json_object(response: httpx.Response) -> dict | None:
    try:
        data = response.json()
    except ValueError:
        return None
    return data if isinstance(data, dict) else None


def _snippet(response: httpx.Response, limit: int = 80) -> str:
    text = " ".join(response.text.split())
    return repr(text[:limit] + ("…" if len(text) > limit else "")) if text else "(empty body)"


def _reason(exc: BaseException) -> str:
    text = str(exc) or type(exc).__name__
    return text.splitlines()[0][:200]


def _plain(url: str | None) -> str:
    from fiwano_conformance.shared.redact import strip_userinfo

    return strip_userinfo(url) if url else "(none)"


def _shown_key(key: str) -> str:
    return "mip_live_<redacted>" if key.startswith("mip_live_") else f"<redacted, {len(key)} characters>"


def _redact(text: str) -> str:
    from suites.redact import redact

    return redact(text)


# ------------------------------------------------------------------------------------------- entry points


def diagnose(options: Mapping[str, Any], env: Mapping[str, str] | None = None,
             budget: float = BUDGET_SECONDS) -> list[Finding]:
    """All findings of one setup (``options`` maps plugin option dests, e.g. ``fiwano_target``, to values)."""
    return Doctor(options, env, budget).diagnose()


def problem_of(findings: list[Finding]) -> Finding | None:
    return next((f for f in findings if not f.ok), None)


def plugin_options(argv: list[str]) -> dict[str, Any]:
    """The ``--fiwano-*`` options among ``argv`` (what ``run`` hands to pytest), parsed as the plugin would."""
    parser = argparse.ArgumentParser(add_help=False, allow_abbrev=False)

    class _Group:  # pytest's parser and option groups: addoption takes argparse's arguments
        def getgroup(self, *args: Any, **kwargs: Any) -> "_Group":
            return self

        def addoption(self, *names: str, **kwargs: Any) -> None:
            parser.add_argument(*names, **kwargs)

    from suites.plugin import pytest_addoption

    pytest_addoption(_Group())  # type: ignore[arg-type]
    known, _ = parser.parse_known_args(argv)
    return {dest: value for dest, value in vars(known).items() if value is not None}


def options_from_args(args: argparse.Namespace, extra: list[str]) -> dict[str, Any]:
    """Plugin option dests from ``run``/``doctor`` options plus any ``--fiwano-*`` options among ``extra``."""
    options = {dest: getattr(args, name) for name, dest in RUN_OPTIONS.items() if getattr(args, name, None)}
    options.update(plugin_options(extra))
    return options


def report(findings: list[Finding], out: Any = None, quiet: bool = False) -> int:
    """Print the findings (a problem on stderr as one line) and return the exit code."""
    out = out or sys.stdout
    problem = problem_of(findings)
    if not quiet:
        for finding in findings:
            if finding.ok:
                print(f"fiwano doctor: {finding.line()}", file=out)
    if problem is not None:
        print(f"fiwano-conformance: configuration error: {problem.check}: {problem.text}", file=sys.stderr)
        return EXIT_PROBLEM
    return EXIT_OK


def preflight(args: argparse.Namespace, extra: list[str]) -> int:
    """What ``run`` calls before it starts pytest: 0 to go on, 2 (after one clear line) to stop."""
    return report(diagnose(options_from_args(args, extra)), quiet=getattr(args, "quiet", False))


# ------------------------------------------------------------------------------------------- the command

ACCEPTS_EXTRA_ARGS = True  # --fiwano-* options, as `run` forwards them to pytest


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--target", help="base URL of the Fiwano implementation (default: the embedded pair)")
    parser.add_argument("--simulator", help="base URL of the running simulator")
    parser.add_argument("--harness", help="base URL of the target's harness API (default: the target URL)")
    parser.add_argument("--config", help="YAML file with the run's configuration")
    parser.add_argument("--level", choices=["api", "simulated", "controlled"], help="what the target claims")
    parser.add_argument("--profile", help="profile name or YAML path (default: default)")
    parser.add_argument("--sink-ca-dir", help="kit CA directory (default: the one every run reuses)")
    parser.epilog = "Any --fiwano-* option of the suites (e.g. --fiwano-api-key KEY) is accepted too."


def run(args: argparse.Namespace) -> int:
    extra = list(getattr(args, "extra", []))
    unknown = [a for a in extra if a.startswith("-") and not a.startswith("--fiwano-")]
    if unknown:
        print(f"fiwano-conformance doctor: unrecognized arguments: {' '.join(unknown)}", file=sys.stderr)
        return EXIT_PROBLEM
    started = time.monotonic()
    findings = diagnose(options_from_args(args, extra))
    code = report(findings)
    if code == EXIT_OK:
        print(f"fiwano doctor: all checks passed in {time.monotonic() - started:.1f} s")
    return code
