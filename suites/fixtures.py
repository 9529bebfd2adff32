"""Fixtures of the suites (imported by suites/conftest.py, so they exist only for suite tests).

Session: ``fiwano_config``, ``fiwano_profile``, ``fiwano_sink_server``, ``fiwano_target`` (starts the
embedded pair when no target is given), ``claimed_level``, ``simulator`` (the control client).
Per test, self-cleaning factories in LocalStack style: ``account``, ``world``, ``channel``, ``sink``;
and ``evidence``, ``cleanups``, ``harness``, ``rng``. ``channel_type`` is parametrized by the plugin.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from fiwano_conformance.shared.harness import harness_problem
from suites.clients import FiwanoClient, HarnessClient, HarnessError, tls_verify
from suites.config import SuiteConfig, account_state
from suites.evidence import Evidence, render_journal
from suites.plugin import EVIDENCE_KEY, LEVEL_ORDER, NOT_CLAIMED, fiwano_run, missing_prerequisite
from suites.redact import register_secret
from suites.sink import Action, Endpoint, Sink

__all__ = [
    "fiwano_config", "fiwano_profile", "claimed_level", "fiwano_sink_server", "fiwano_target",
    "_simulator_session", "simulator", "_harness_health", "evidence", "cleanups", "rng", "harness",
    "_settle_offered", "_key_rotation", "account", "world", "channel", "sink", "Account", "Channel", "SinkFactory", "Target",
]


# ------------------------------------------------------------------------------------------- session


@dataclass
class Target:
    """Where the implementation under test and its helpers are."""

    url: str
    simulator_url: str | None
    harness_url: str | None
    embedded: Any = None  # the EmbeddedPair when the kit started it


@pytest.fixture(scope="session")
def fiwano_config(pytestconfig: pytest.Config) -> SuiteConfig:
    return fiwano_run(pytestconfig).config


@pytest.fixture(scope="session")
def fiwano_profile(fiwano_config: SuiteConfig) -> dict[str, Any]:
    """The numbers of the active profile (contract/profiles/<name>.yaml); tests never use literals."""
    from contract import load_profile

    return load_profile(fiwano_config.profile)


@pytest.fixture(scope="session")
def claimed_level(pytestconfig: pytest.Config) -> str:
    return fiwano_run(pytestconfig).claimed_level()


@pytest.fixture(scope="session")
def fiwano_sink_server(fiwano_config: SuiteConfig, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sink]:
    """The HTTPS sink of this process (one per xdist worker); its CA is ``<ca_dir>/kit-ca.pem``."""
    ca_dir = fiwano_config.sink_ca_dir or tmp_path_factory.mktemp("fiwano-sink-ca")
    sink = Sink(Path(ca_dir), host=fiwano_config.sink_host, public_url=fiwano_config.sink_url,
                default_timeout=fiwano_config.delivery_timeout, default_quiet=fiwano_config.quiet_seconds)
    sink.start()
    yield sink
    sink.stop()


EMBEDDED_PROFILE_ENV = "FIWANO_EMBEDDED_PROFILE"


def embedded_profile(run_profile: str) -> str:
    """The profile the embedded reference implements: the run's own, unless ``FIWANO_EMBEDDED_PROFILE`` names
    another (the kit's self-test runs the reference of ``default`` under ``fiwano-2026-10`` to show that
    it fails exactly the requirements the newer profile adds; docs/profiles.md)."""
    import os

    return os.environ.get(EMBEDDED_PROFILE_ENV) or run_profile


@pytest.fixture(scope="session")
def fiwano_target(fiwano_config: SuiteConfig, fiwano_sink_server: Sink,
                  tmp_path_factory: pytest.TempPathFactory) -> Iterator[Target]:
    """The target; without ``--fiwano-target`` the embedded simulator + reference pair (per xdist worker)."""
    if not fiwano_config.embedded:
        yield Target(url=fiwano_config.target, simulator_url=fiwano_config.simulator,
                     harness_url=fiwano_config.harness_url)
        return
    from fiwano_conformance.embedded import start_pair

    workdir = tmp_path_factory.mktemp("fiwano-embedded")
    pair = start_pair(workdir=workdir, webhook_ca_file=fiwano_sink_server.ca_file,
                      allow_webhook_hosts=sorted({fiwano_sink_server.public_host, fiwano_sink_server.host}),
                      profile=embedded_profile(fiwano_config.profile))
    try:
        yield Target(url=pair.target_url, simulator_url=pair.simulator_url, harness_url=pair.harness_url,
                     embedded=pair)
    finally:
        pair.stop()


@pytest.fixture(scope="session")
def _simulator_session(fiwano_target: Target, claimed_level: str) -> Any:
    if not fiwano_target.simulator_url:
        missing_prerequisite(f"the run claims the {claimed_level} level but no simulator URL is configured "
                             "(--fiwano-simulator / FIWANO_SIMULATOR)")
    from simulator.client import SimulatorClient

    client = SimulatorClient(fiwano_target.simulator_url)
    try:
        client.health()
    except Exception as exc:  # noqa: BLE001 - any failure of the health check is one missing prerequisite
        missing_prerequisite(f"the simulator at {fiwano_target.simulator_url} does not answer its health check: {exc!r}")
    return client


@pytest.fixture
def simulator(_simulator_session: Any) -> Any:
    """The simulator's control client (simulator.client.SimulatorClient)."""
    return _simulator_session


@pytest.fixture(scope="session")
def _harness_health(fiwano_target: Target) -> str | None:
    """None when the harness answers; otherwise why not (checked once per session)."""
    if not fiwano_target.harness_url:
        return "no harness URL"
    return harness_problem(fiwano_target.harness_url, timeout=30.0, verify=tls_verify())


# ------------------------------------------------------------------------------------------- per test


@pytest.fixture
def evidence(request: pytest.FixtureRequest) -> Evidence:
    """The evidence of this test; attached to its report on failure by the plugin."""
    ev = Evidence(nodeid=request.node.nodeid)
    request.node.stash[EVIDENCE_KEY] = ev
    return ev


@pytest.fixture
def cleanups(evidence: Evidence) -> Iterator[list[Callable[[], Any]]]:
    """Callables run after the test, last registered first; a failing cleanup is noted, not raised."""
    todo: list[Callable[[], Any]] = []
    yield todo
    for action in reversed(todo):
        try:
            action()
        except Exception as exc:  # noqa: BLE001 - one failed cleanup must not skip the others; noted in the evidence
            evidence.note(f"cleanup {getattr(action, '__name__', action)!r} failed: {exc!r}")


@pytest.fixture
def rng(fiwano_config: SuiteConfig, request: pytest.FixtureRequest) -> random.Random:
    """A random generator seeded from ``--fiwano-seed`` and the test id: reproducible data per test."""
    return random.Random(f"{fiwano_config.seed}:{request.node.nodeid}")


@pytest.fixture
def harness(fiwano_target: Target, _harness_health: str | None, claimed_level: str, evidence: Evidence,
            cleanups: list) -> HarnessClient:
    """The target's harness API client; a claimed controlled level with a broken harness fails the test."""
    if _harness_health is not None:
        missing_prerequisite(f"the run claims the {claimed_level} level but the harness API is not usable: "
                             f"{_harness_health}")
    client = HarnessClient(fiwano_target.harness_url, evidence)
    cleanups.append(client.close)
    return client


@dataclass
class Account:
    """A Fiwano account of the target and a REST client holding its API key."""

    account_id: str | None
    api_key: str
    client: FiwanoClient
    tier: str | None = None
    subscription_status: str | None = None
    key_id: str | None = None
    _harness: HarnessClient | None = field(default=None, repr=False)

    def new_key(self) -> tuple[str, str]:
        """Mint another key of this account through the harness: (api_key, key_id)."""
        if self._harness is None or self.account_id is None:
            missing_prerequisite("minting an extra API key needs the harness API (controlled level)")
        data = self._harness.create_key(self.account_id)
        return data["api_key"], data["key_id"]

    def revoke_key(self, key_id: str) -> None:
        if self._harness is None:
            missing_prerequisite("revoking an API key needs the harness API (controlled level)")
        self._harness.revoke_key(key_id)


def _worker_share(keys: list[str], config: pytest.Config) -> list[str]:
    """The keys this xdist worker may use: worker i of n takes every n-th key from the i-th, so parallel
    workers never share a key (a key's redirect URIs and rate budget are per-key state). All keys when
    there is no xdist, or too few keys to give every worker one."""
    workerinput = getattr(config, "workerinput", None)  # set only in an xdist worker of THIS run
    count = int(workerinput.get("workercount", 1)) if workerinput else 1
    worker = str(workerinput.get("workerid", "gw0")) if workerinput else "gw0"
    index = int(worker[2:]) if worker.startswith("gw") and worker[2:].isdigit() else 0
    share = keys[index::count] if count > 1 else keys
    return share or keys


@pytest.fixture(scope="session")
def _key_rotation() -> dict[str, int]:
    """Per account state, where the next test starts in this worker's key list (spreads the rate budget)."""
    return {}


def _clear_redirects(client: FiwanoClient) -> None:
    """Remove a shared key's registered redirect URIs: patterns left by earlier tests or runs (the contract
    fuzzer registers the docs' examples) would widen what a test's own patterns allow."""
    import httpx

    try:
        listing = client.request("GET", "/redirects")
        body = listing.json() if listing.status_code == 200 else {}
        items = (body.get("redirects") if isinstance(body, dict) else body) or []
        for item in items:
            if isinstance(item, dict) and isinstance(item.get("id"), str):
                client.request("DELETE", f"/redirects/{item['id']}")
    except (httpx.HTTPError, ValueError, AttributeError) as exc:  # the test itself will meet the problem
        if client.evidence is not None:
            client.evidence.note(f"could not clear the key's redirect URIs before the test: {exc!r}")


def _channel_ids(client: FiwanoClient) -> frozenset[str]:
    """The ids of the channels a shared key's account has now (tests that list channels look past them)."""
    import httpx

    try:
        listing = client.request("GET", "/channels")
        body = listing.json() if listing.status_code == 200 else {}
        items = (body.get("channels") if isinstance(body, dict) else body) or []
        return frozenset(c["id"] for c in items if isinstance(c, dict) and isinstance(c.get("id"), str))
    except (httpx.HTTPError, ValueError, AttributeError) as exc:
        if client.evidence is not None:
            client.evidence.note(f"could not list the key's earlier channels before the test: {exc!r}")
        return frozenset()


def _patient_under_request_limit(client: FiwanoClient, request: pytest.FixtureRequest, fiwano_config: SuiteConfig,
                                 harness: Any) -> None:
    """Under a profile with a per-second request limit (fiwano-2026-10: 20 requests/s per key on every operation
    except sending), a test written for v1 that makes many requests in a row is a customer over that limit: its
    client waits out each 429 as told (Retry-After) and asks again, unless the test counts 429s. It waits on the
    virtual clock (the target's and the simulator's, one second moves nothing else a test relies on), on the
    embedded pair or a single worker; with workers sharing one target a clock move would reach the others, so it
    waits in real time there."""
    from suites.clock import VirtualClock

    profile = request.getfixturevalue("fiwano_profile")
    if "request_limit" not in profile or request.node.get_closest_marker("counts_429") is not None:
        return
    client.patient = True
    workers = int((getattr(request.config, "workerinput", None) or {}).get("workercount", 1))
    if not fiwano_config.embedded and workers > 1:
        return
    try:
        clock = VirtualClock(harness, request.getfixturevalue("simulator"))
    except (pytest.fail.Exception, pytest.skip.Exception):  # no simulator: the two sides would drift apart
        return
    client.wait_out = clock.advance


@pytest.fixture
def account(request: pytest.FixtureRequest, fiwano_config: SuiteConfig, fiwano_target: Target,
            _harness_health: str | None, claimed_level: str, _key_rotation: dict[str, int], evidence: Evidence,
            cleanups: list) -> Callable[..., Account]:
    """Factory: ``account(tier="pro", subscription_status="active", source=None) -> Account``.

    With the harness (controlled level) each call creates a fresh account. Without one, the configured
    API keys (of dedicated test accounts, given per account state: ``api_keys: {pro: [...], starter:
    [...]}``, see :func:`suites.config.account_state`) are handed out: a state the run has no key for is
    not claimed (the test is skipped ``not-claimed:``); each xdist worker uses its own share of a state's
    keys, successive tests start at successive keys, and a test's calls get distinct keys; running out of
    keys is a missing prerequisite. Such a key is shared by many tests, so before handing it out its
    redirect URIs are removed, and its client waits out a 429 (unless the test is marked ``counts_429``).
    """
    use_harness = LEVEL_ORDER[claimed_level] >= LEVEL_ORDER["controlled"] or not fiwano_config.api_keys
    handed_out: dict[str, int] = {}
    starts: dict[str, int] = {}

    def make(tier: str = "pro", subscription_status: str = "active", source: str | None = None) -> Account:
        if use_harness:
            if _harness_health is not None:
                missing_prerequisite(
                    f"an account is needed and there is neither a usable harness ({_harness_health}) nor "
                    "enough --fiwano-api-key keys")
            harness = request.getfixturevalue("harness")
            data = harness.create_account(tier=tier, subscription_status=subscription_status, source=source)
            client = FiwanoClient(fiwano_target.url, data["api_key"], evidence)
            cleanups.append(client.close)
            _patient_under_request_limit(client, request, fiwano_config, harness)
            return Account(data["account_id"], data["api_key"], client, tier, subscription_status,
                           data.get("key_id"), harness)
        state = account_state(tier, subscription_status, source)
        given = fiwano_config.api_key_values(state)
        if not given:
            pytest.skip(f"{NOT_CLAIMED} needs an API key of an account in state {state!r} (tier {tier}, "
                        f"subscription {subscription_status}, source {source or 'any'}); the run has keys for: "
                        f"{', '.join(fiwano_config.key_states) or 'none'} (api_keys: {{{state}: [...]}} or "
                        f"--fiwano-api-key {state}=KEY)")
        keys = _worker_share(given, request.config)
        count = handed_out.get(state, 0)
        if count >= len(keys):
            missing_prerequisite(f"this test needs {count + 1} account(s) in state {state!r} and this worker has "
                                 f"{len(keys)} key(s) of that state; give more keys (of different accounts; "
                                 "with -n N, N times as many) or a harness")
        if state not in starts:
            starts[state] = _key_rotation.get(state, 0)
            _key_rotation[state] = starts[state] + 1
        key = keys[(starts[state] + count) % len(keys)]
        handed_out[state] = count + 1
        client = FiwanoClient(fiwano_target.url, key, evidence)
        client.patient = request.node.get_closest_marker("counts_429") is None
        cleanups.append(client.close)
        _clear_redirects(client)
        client.earlier_channels = _channel_ids(client)
        return Account(None, key, client, tier, subscription_status)

    return make


@pytest.fixture
def world(request: pytest.FixtureRequest, simulator: Any, evidence: Evidence,
          cleanups: list) -> Callable[..., Any]:
    """Factory: ``world("whatsapp", "facebook", ...) -> World`` seeded in the simulator, deleted after the test.

    The world's journal is the south evidence of the test.
    """

    def make(*channels: str, label: str | None = None) -> Any:
        created = simulator.create_world(list(channels), label=label or request.node.nodeid[-120:])
        register_secret(getattr(created, "user_access_token", None))
        for asset in created.assets:
            register_secret(getattr(asset, "access_token", None))
        world_id = created.world_id
        evidence.add_south(f"simulator world {world_id} journal",
                           lambda: render_journal(simulator.journal(world_id)))
        cleanups.append(lambda: simulator.delete_world(world_id))
        return created

    return make


@dataclass
class Channel:
    """A channel of an account, wired to a simulator asset."""

    id: str
    channel_type: str
    account: Account
    world: Any
    asset: Any
    data: dict[str, Any]

    @property
    def client(self) -> FiwanoClient:
        return self.account.client


@pytest.fixture
def channel(request: pytest.FixtureRequest, evidence: Evidence, cleanups: list) -> Callable[..., Channel]:
    """Factory: ``channel(account, channel_type, world=None) -> Channel``, deleted (soft) after the test.

    Without ``world`` a one-asset world is seeded. An account made by the harness (controlled level) is
    wired to the asset through the harness (``POST /harness/accounts/{id}/channels``: one call, which keeps
    the embedded run fast); an account given by API key (simulated level, no harness) gets its channel the
    way a customer does, through the OAuth connect flow (setup-url, Meta's dialog driven like a browser,
    the redirect, exchange-code), as :func:`suites.support_connect.connect`.
    """

    def make(account: Account, channel_type: str, world: Any = None) -> Channel:
        seeded = world if world is not None else request.getfixturevalue("world")(channel_type)
        asset = seeded.asset(channel_type)
        if account._harness is None or account.account_id is None:
            from suites.support_connect import Browser, callback_uri, connect

            agent = Browser(request.getfixturevalue("simulator"), evidence)
            cleanups.append(agent.close)
            return connect(account, channel_type, seeded, agent, cleanups,
                           redirect_uri=callback_uri(random.Random()))
        data = account._harness.connect_channel(
            account.account_id, channel_type, asset.asset_id, asset.access_token,
            waba_id=getattr(asset, "waba_id", None), page_id=getattr(asset, "page_id", None))
        channel_id = data.get("id") or data.get("channel_id")
        if not channel_id:
            raise HarnessError(f"harness connect channel: no id in {data!r}")
        client = account.client

        def delete() -> None:
            client.delete_channel(channel_id)

        cleanups.append(delete)
        return Channel(channel_id, channel_type, account, seeded, asset, data)

    return make


class SinkFactory:
    """``sink(*script) -> Endpoint``: a fresh ``/hooks/<uuid>`` endpoint of the HTTPS sink for this test.

    ``settle`` (when the target offers ``POST /harness/settle``) lets an endpoint's "nothing arrives" check
    ask the target to finish its due work first instead of watching for ``quiet_seconds``.
    """

    def __init__(self, server: Sink, evidence: Evidence, cleanups: list,
                 settle: Callable[[], bool] | None = None) -> None:
        self.server = server
        self._evidence = evidence
        self._cleanups = cleanups
        self._settle = settle

    def __call__(self, *script: Action) -> Endpoint:
        endpoint = self.server.endpoint(*script)
        endpoint.settle = self._settle
        self._evidence.add_east(f"sink endpoint {endpoint.path}", endpoint.evidence)
        self._cleanups.append(endpoint.close)
        return endpoint

    @property
    def ca_file(self) -> Path:
        return self.server.ca_file


@pytest.fixture(scope="session")
def _settle_offered() -> dict[str, bool]:
    """Whether the target answers ``POST /harness/settle`` (learnt on first use, once per session)."""
    return {}


@pytest.fixture
def sink(fiwano_sink_server: Sink, fiwano_target: Target, _harness_health: str | None,
         _settle_offered: dict[str, bool], evidence: Evidence, cleanups: list) -> SinkFactory:
    settle = None
    if _harness_health is None and _settle_offered.get("offered", True):
        client = HarnessClient(fiwano_target.harness_url, evidence)
        cleanups.append(client.close)

        def settle() -> bool:
            if not _settle_offered.get("offered", True):
                return False
            _settle_offered["offered"] = client.settle()
            return _settle_offered["offered"]

    return SinkFactory(fiwano_sink_server, evidence, cleanups, settle)
