"""Area A helpers: the OAuth connect flow driven as a browser would, redirect URIs, and the Meta side of it.

The connect flow of fiwano-api.md "Connecting Channels / Option B":

    POST /channels/setup-url  ->  setup_url  --(browser)-->  the target's setup page
      --> Meta's login dialog (the simulator decides it: POST /_sim/worlds/{id}/oauth/authorize)
      --> the target's callback  --> 302 to the customer's redirect_uri with ?code=... or ?error=access_denied
    POST /channels/exchange-code {code, webhook_*}  ->  the channel

:class:`Browser` follows that chain without ever fetching the customer's redirect_uri (it stops there and
reads its query). It only GETs URLs on the target's host; a Meta dialog URL goes to the simulator's control
API instead. :func:`connect` runs the whole flow and returns a :class:`suites.fixtures.Channel`, so a
``simulated``-level target without a harness gets channels this way (fixture ``oauth_channel``).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import parse_qsl, urljoin, urlsplit

import httpx
import pytest

from suites import expect, readings
from suites.evidence import Evidence
from suites.fixtures import Account, Channel
from suites.plugin import LEVEL_ORDER

__all__ = ["Browser", "FlowResult", "browser", "oauth_channel", "connect", "allow_redirect", "setup_url",
           "exchange", "start_flow", "callback_uri", "parse_time", "target_now", "subscription_calls",
           "subscribed_after", "token_calls", "activate", "CUSTOMER_HOST", "shared_world", "harness_connect"]

CUSTOMER_HOST = "app.fiwano-kit.example.com"
MAX_HOPS = 12
_DIALOG = re.compile(r"/dialog/oauth/?$")
_LINK = re.compile(r"""(?:href|content|action)\s*=\s*["'](?:\d+\s*;\s*url=)?([^"']*dialog/oauth[^"']*)["']""",
                   re.IGNORECASE)


def callback_uri(rng: Any = None, path: str = "/fiwano/callback") -> str:
    """A customer redirect URI on a host nobody serves (the browser never fetches it)."""
    suffix = f"-{rng.randrange(16 ** 6):06x}" if rng is not None else ""
    return f"https://{CUSTOMER_HOST}{path}{suffix}"


def parse_time(value: Any) -> datetime | None:
    """An ISO-8601 REST timestamp as an aware datetime (naive values are read as UTC, as the docs' examples)."""
    return readings.parse_timestamp(value)


# ------------------------------------------------------------------------------------------- REST steps


def allow_redirect(client: Any, uri_pattern: str, req: str | tuple[str, ...] = "REDIRECT-ADD") -> dict[str, Any]:
    response = expect.status(client.request("POST", "/redirects", json={"uri_pattern": uri_pattern}), (200, 201),
                             req, f"register the redirect URI {uri_pattern!r}")
    return expect.json_object(response, req, "POST /redirects body")


def setup_url(client: Any, channel_type: str, redirect_uri: str) -> httpx.Response:
    return client.request("POST", "/channels/setup-url", json={"channel_type": channel_type,
                                                               "redirect_uri": redirect_uri})


def exchange(client: Any, code: str | None, **fields: Any) -> httpx.Response:
    body: dict[str, Any] = {} if code is None else {"code": code}
    body.update(fields)
    return client.request("POST", "/channels/exchange-code", json=body)


# ------------------------------------------------------------------------------------------- browser


@dataclass
class FlowResult:
    """Where the browser ended: at the customer's redirect_uri (``landed``) or stopped by an answer."""

    landed: str | None = None
    params: dict[str, str] = field(default_factory=dict)
    stopped: httpx.Response | None = None
    hops: list[str] = field(default_factory=list)
    authorized: dict[str, Any] | None = None  # what the simulator's dialog decided

    @property
    def code(self) -> str | None:
        return self.params.get("code")

    @property
    def error(self) -> str | None:
        return self.params.get("error")

    def describe(self) -> str:
        if self.landed is not None:
            return f"redirected to {self.landed}"
        if self.stopped is not None:
            return f"stopped at {self.stopped.request.url} with {expect.describe(self.stopped)}"
        return f"stopped after {len(self.hops)} hops: {self.hops}"


class Browser:
    """A user agent for the setup flow: follows the target's redirects/links, lets the simulator decide
    Meta's dialog, and stops at the customer's redirect_uri."""

    def __init__(self, simulator: Any, evidence: Evidence | None = None) -> None:
        self.simulator = simulator
        self.evidence = evidence
        from suites.clients import tls_verify

        self._http = httpx.Client(timeout=30.0, follow_redirects=False, verify=tls_verify())

    def close(self) -> None:
        self._http.close()

    def _get(self, url: str) -> httpx.Response:
        request = self._http.build_request("GET", url, headers={"Accept": "text/html,application/json"})
        response = self._http.send(request)
        if self.evidence is not None:
            self.evidence.record_httpx("north", response=response)
        return response

    def run(self, start_url: str, world: Any, redirect_uri: str, decision: str = "approve") -> FlowResult:
        target = urlsplit(start_url)
        allowed_hosts = {target.netloc}
        want = urlsplit(redirect_uri)
        result = FlowResult()
        url = start_url
        for _ in range(MAX_HOPS):
            result.hops.append(url)
            parts = urlsplit(url)
            if (parts.scheme, parts.netloc, parts.path) == (want.scheme, want.netloc, want.path):
                result.landed = url
                result.params = dict(parse_qsl(parts.query, keep_blank_values=True))
                return result
            if _DIALOG.search(parts.path):
                decided = self.simulator.oauth_authorize(world.world_id, url=url, decision=decision)
                result.authorized = decided
                url = decided["redirect_url"]
                allowed_hosts.add(urlsplit(url).netloc)
                continue
            if parts.netloc not in allowed_hosts:
                raise AssertionError(f"the setup flow led the browser to {url!r}, neither the target "
                                     f"({sorted(allowed_hosts)}), Meta's dialog nor the redirect_uri {redirect_uri!r}")
            response = self._get(url)
            if response.is_redirect and response.headers.get("location"):
                url = urljoin(url, response.headers["location"])
                continue
            link = _LINK.search(response.text) if response.status_code == 200 else None
            if link:
                url = urljoin(url, link.group(1).replace("&amp;", "&"))
                continue
            result.stopped = response
            return result
        return result


@pytest.fixture
def browser(simulator: Any, evidence: Evidence, cleanups: list) -> Browser:
    agent = Browser(simulator, evidence)
    cleanups.append(agent.close)
    return agent


def start_flow(account: Account, channel_type: str, world: Any, browser: Browser, redirect_uri: str | None = None,
               decision: str = "approve", register: bool = True) -> FlowResult:
    """Register the redirect URI (if asked), get a setup URL and walk it in the browser."""
    uri = redirect_uri or callback_uri()
    if register:
        allow_redirect(account.client, uri, "CONNECT-SETUP-URL")
    response = readings.setup_started(setup_url(account.client, channel_type, uri), "CONNECT-SETUP-URL",
                                      "setup-url with a whitelisted redirect_uri")
    body = expect.json_object(response, "CONNECT-SETUP-URL", "setup-url body")
    link = body.get("setup_url")
    expect.check(isinstance(link, str) and link, "CONNECT-SETUP-URL", "setup_url", "a URL", body)
    return browser.run(urljoin(account.client.base_url + "/", link), world, uri, decision)


def connect(account: Account, channel_type: str, world: Any, browser: Browser, cleanups: list | None = None,
            redirect_uri: str | None = None, **webhook: Any) -> Channel:
    """The whole OAuth connect flow for the first asset of ``channel_type`` in ``world``."""
    flow = start_flow(account, channel_type, world, browser, redirect_uri=redirect_uri)
    expect.check(flow.code, "CONNECT-CALLBACK-CODE", "redirect after the user approved in Meta's dialog",
                 "the redirect_uri with ?code=...", flow.describe())
    response = readings.exchanged(exchange(account.client, flow.code, **webhook), "CONNECT-EXCHANGE-OK",
                             "exchange-code with a fresh code")
    body = expect.json_object(response, "CONNECT-EXCHANGE-OK", "exchange-code body")
    channel_id = body.get("channel_id")
    expect.check(isinstance(channel_id, str) and channel_id, "CONNECT-EXCHANGE-OK", "channel_id", "a string", body)
    if cleanups is not None:
        client = account.client
        cleanups.append(lambda: client.delete_channel(channel_id))
    return Channel(channel_id, channel_type, account, world, world.asset(channel_type), body)


@pytest.fixture
def oauth_channel(world: Callable[..., Any], browser: Browser, cleanups: list) -> Callable[..., Channel]:
    """Factory: ``oauth_channel(account, channel_type, world=None, **webhook) -> Channel`` connected through the
    OAuth flow (simulated level); the channel is deleted (soft) after the test."""

    def make(account: Account, channel_type: str, seeded: Any = None, **webhook: Any) -> Channel:
        return connect(account, channel_type, seeded if seeded is not None else world(channel_type), browser,
                       cleanups, **webhook)

    return make


# ------------------------------------------------------------------------------------------- time


def target_now(request: pytest.FixtureRequest, response: httpx.Response | None = None) -> datetime:
    """The target's idea of now: its harness clock when the run is controlled, else the response's Date
    header (else this machine's clock)."""
    from suites.plugin import fiwano_run as run_of

    if LEVEL_ORDER[run_of(request.config).claimed_level()] >= LEVEL_ORDER["controlled"]:
        from suites.clock import VirtualClock

        return VirtualClock(request.getfixturevalue("harness"), None).now()
    if response is not None and response.headers.get("date"):
        try:
            return parsedate_to_datetime(response.headers["date"])
        except (TypeError, ValueError):
            pass
    return datetime.now(timezone.utc)


# ------------------------------------------------------------------------------------------- Meta side


def subscription_calls(simulator: Any, world: Any, object_id: str, since_seq: int | None = None) -> list[Any]:
    """The target's successful subscribed_apps calls on a WABA/Page (south), oldest first."""
    entries = simulator.journal(world.world_id, path_contains=f"{object_id}/subscribed_apps", since_seq=since_seq)
    return [e for e in entries if e.method in ("POST", "DELETE") and e.status is not None and 200 <= e.status < 300]


def subscribed_after(simulator: Any, world: Any, object_id: str) -> bool | None:
    """Whether the app is subscribed to ``object_id`` after the target's calls (None: never touched)."""
    calls = subscription_calls(simulator, world, object_id)
    return None if not calls else calls[-1].method == "POST"


def token_calls(simulator: Any, world: Any, since_seq: int | None = None) -> list[Any]:
    """The target's token calls seen by Meta (oauth/access_token exchanges and debug_token checks)."""
    entries = simulator.journal(world.world_id, since_seq=since_seq)
    return [e for e in entries if "oauth/access_token" in e.path or "debug_token" in e.path]


def activate(harness: Any, account: Account, now: datetime, days: int = 30) -> None:
    """Make the account's subscription active again until ``now`` + ``days`` (after moving the clock)."""
    until = (now + timedelta(days=days)).isoformat()
    harness.change_subscription(account.account_id, tier="pro", subscription_status="active", source="enterprise",
                                expires_at=until)


@pytest.fixture
def shared_world(simulator: Any, evidence: Evidence, cleanups: list,
                 request: pytest.FixtureRequest) -> Callable[..., Any]:
    """Factory: ``shared_world(["whatsapp", "whatsapp"], {1: 0})`` -> a World whose asset 1 is on the WABA (or,
    for Instagram on a Facebook asset, the Page) of asset 0; deleted after the test."""
    from suites.evidence import render_journal
    from suites.redact import register_secret

    def make(channels: list[str], share_with: dict[int, int]) -> Any:
        created = simulator.create_world(channels, label=request.node.nodeid[-120:], share_with=share_with)
        register_secret(created.user_access_token)
        for asset in created.assets:
            register_secret(asset.access_token)
        world_id = created.world_id
        evidence.add_south(f"simulator world {world_id} journal", lambda: render_journal(simulator.journal(world_id)))
        cleanups.append(lambda: simulator.delete_world(world_id))
        return created

    return make


def harness_connect(account: Account, asset: Any, world: Any, cleanups: list) -> Channel:
    """Wire one given asset (not only the first of its type) to the account through the harness."""
    if account._harness is None or account.account_id is None:
        from suites.plugin import missing_prerequisite

        missing_prerequisite("connecting a chosen asset needs the harness API (controlled level)")
    data = account._harness.connect_channel(account.account_id, asset.channel, asset.asset_id, asset.access_token,
                                            waba_id=asset.waba_id, page_id=asset.page_id)
    channel_id = data.get("id") or data.get("channel_id")
    client = account.client
    cleanups.append(lambda: client.delete_channel(channel_id))
    return Channel(channel_id, asset.channel, account, world, asset, data)

