"""The tier gating matrix as ONE declarative table: channel x tier x subscription state x endpoint.

``STATES`` are the license states a channel can be in, each with how the test reaches it: ``minted`` (the
harness creates the account in that state) or ``changed`` (the account is created Pro/active/paddle, the
channel connected and set up, then the harness changes the subscription). ``ENDPOINTS`` are the gated
operations, each with the channels it exists on, what it needs (``active`` subscription or active ``pro``),
the requirement ids it checks and a probe. ``cases()`` crosses them; test_tier_gating.py runs one test per
case: an allowed case must not be 402 (and must work), a blocked one must be 402 (or, for relay, silent)
with nothing sent to Meta.

Spec: fiwano-api.md "License Tiers", "subscription object", "Errors & Rate Limits" (402), "send-media" /
"send-template" / "WhatsApp Templates" (Pro required), "Important Notes" (Billing, Pro license).
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Any, Callable

import httpx
import pytest

from suites import expect
from suites.data import user_id
from suites.support_media import (INBOUND_MEDIA, change_subscription, configure_relay, describe_calls, download,
                                  make_fetchable, media_body, media_object, public_url, receive_media, send_media)
from suites.support_sending import last_seq, meta_sends, open_window


@dataclass(frozen=True)
class State:
    name: str
    tier: str | None          # starter | pro (ignored for none)
    status: str               # active | expired | canceled | none
    source: str | None        # trial | paddle | enterprise | None (the target's default)
    arrival: str = "minted"   # minted | changed
    reqs: tuple[str, ...] = ()

    @property
    def active(self) -> bool:
        return self.status == "active"

    @property
    def pro(self) -> bool:
        return self.active and self.tier == "pro"


STATES = [
    State("pro-trial", "pro", "active", "trial"),
    State("pro-paddle", "pro", "active", "paddle"),
    State("pro-enterprise", "pro", "active", "enterprise"),
    State("starter-paddle", "starter", "active", "paddle", reqs=("TIER-STARTER-TEXT",)),
    State("pro-expired", "pro", "expired", "paddle"),
    State("pro-canceled", "pro", "canceled", "paddle"),
    State("starter-expired", "starter", "expired", "paddle"),
    State("trial-ended", "pro", "expired", "trial", reqs=("TIER-TRIAL-END-BLOCKS",)),
    State("none", None, "none", None, reqs=("SUB-NONE-SHAPE",)),
    State("pro-to-starter", "starter", "active", "paddle", arrival="changed", reqs=("TIER-STARTER-TEXT",)),
    State("pro-to-expired", "pro", "expired", "paddle", arrival="changed"),
    State("pro-to-none", None, "none", None, arrival="changed", reqs=("SUB-NONE-SHAPE",)),
]


@dataclass
class Ctx:
    """What a probe gets: the account, its channel, the fixtures it may use."""

    owner: Any
    ch: Any
    simulator: Any
    sink: Any
    rng: random.Random
    timeout: float
    quiet: float
    recipient: str
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Endpoint:
    name: str
    channels: tuple[str, ...]
    needs: str                          # "active" | "pro"
    reqs: tuple[str, ...]
    probe: Callable[[Ctx, bool, tuple[str, ...]], None]   # (ctx, allowed, reqs)
    setup: Callable[[Ctx], None] | None = None          # runs while the account is still Pro/active
    always_changed: bool = False         # the setup needs Pro first, so the state is always reached by change
    window: bool = False                 # the probe (or setup) sends a free-form message: open the 24 h window

    def allowed(self, state: State) -> bool:
        return state.pro if self.needs == "pro" else state.active


ALL = ("whatsapp", "instagram", "facebook")
TEMPLATE_COMPONENTS = [{"type": "BODY", "text": "Hello {{1}}, your code is ready.",
                        "example": {"body_text": [["Ada"]]}}]


# ------------------------------------------------------------------------------------------- probes


def _gate(response: httpx.Response, allowed: bool, reqs: tuple[str, ...], what: str,
          ok: tuple[int, ...] | None = None) -> None:
    if allowed:
        expected = f"HTTP {'/'.join(map(str, ok))}" if ok else "not 402 (the license allows it)"
        expect.check(response.status_code in ok if ok else response.status_code != 402, reqs, what, expected,
                     expect.describe(response))
    else:
        expect.status(response, 402, reqs, what)
        expect.error_detail(response, reqs, f"{what}: 402 body")


def _no_meta_send(ctx: Ctx, since: int, reqs: tuple[str, ...], what: str) -> None:
    sends = meta_sends(ctx.simulator, ctx.ch, since_seq=since)
    expect.check(not sends, reqs, f"calls to Meta's send endpoint after a refused {what}", "none",
                 describe_calls(sends))


def probe_send_text(ctx: Ctx, allowed: bool, reqs: tuple[str, ...]) -> None:
    since = last_seq(ctx.simulator, ctx.ch.world)
    response = ctx.owner.client.send_text(ctx.ch.id, ctx.recipient, f"tier probe {ctx.rng.randrange(10**6)}")
    _gate(response, allowed, reqs, "send text", ok=(200,))
    if allowed:
        body = response.json()
        expect.check(body.get("success") is True and len(meta_sends(ctx.simulator, ctx.ch, since)) == 1, reqs,
                     "send text on a licensed channel", "success true and one send reaching Meta", body)
    else:
        _no_meta_send(ctx, since, reqs, "send")


def probe_send_media(ctx: Ctx, allowed: bool, reqs: tuple[str, ...]) -> None:
    url = public_url(ctx.rng)
    make_fetchable(ctx.simulator, ctx.ch, url)
    since = last_seq(ctx.simulator, ctx.ch.world)
    response = send_media(ctx.owner.client, media_body(ctx.ch, ctx.recipient, "image", url))
    _gate(response, allowed, reqs, "send-media", ok=(200,))
    if allowed:
        expect.check(response.json().get("success") is True and len(meta_sends(ctx.simulator, ctx.ch, since)) == 1,
                     reqs, "send-media on a Pro channel", "success true and one send reaching Meta", response.json())
    else:
        _no_meta_send(ctx, since, reqs, "send-media")


def probe_send_template(ctx: Ctx, allowed: bool, reqs: tuple[str, ...]) -> None:
    since = last_seq(ctx.simulator, ctx.ch.world)
    response = ctx.owner.client.request("POST", "/messages/send-template", json={
        "channel_id": ctx.ch.id, "template_name": ctx.extra["template_name"], "language": "en_US",
        "recipient": ctx.recipient, "variables": {"body": ["Ada"]}})
    _gate(response, allowed, reqs, "send-template")
    if not allowed:
        _no_meta_send(ctx, since, reqs, "send-template")


def setup_template(ctx: Ctx) -> None:
    name = f"tier_probe_{ctx.rng.randrange(10**9)}"
    response = ctx.owner.client.request("POST", f"/channels/{ctx.ch.id}/templates", json={
        "name": name, "category": "UTILITY", "language": "en_US", "components": TEMPLATE_COMPONENTS})
    expect.status(response, (200, 201), "TIER-TEMPLATES-PRO", "create a template on a Pro channel")
    ctx.extra.update(template_name=name, template_id=response.json().get("id"))


def probe_templates(method: str, path: str, body: Any = None, ok: tuple[int, ...] | None = None):
    def probe(ctx: Ctx, allowed: bool, reqs: tuple[str, ...]) -> None:
        full = path.format(ch=ctx.ch.id, tpl=ctx.extra.get("template_id"), n=ctx.rng.randrange(10**9))
        payload = body(ctx) if callable(body) else body
        since = last_seq(ctx.simulator, ctx.ch.world)
        response = ctx.owner.client.request(method, full, **({"json": payload} if payload is not None else {}))
        _gate(response, allowed, reqs, f"{method} {path.split('?')[0].format(ch='{id}', tpl='{tpl}', n='')}", ok=ok)
        if not allowed and method != "GET":
            writes = [e for e in ctx.simulator.journal(ctx.ch.world.world_id, since_seq=since)
                      if e.method in ("POST", "DELETE") and "template" in e.path]
            expect.check(not writes, reqs, f"template writes at Meta after a refused {method}", "none",
                         describe_calls(writes))
    return probe


def _new_template(ctx: Ctx) -> dict:
    return {"name": f"tier_new_{ctx.rng.randrange(10**9)}", "category": "UTILITY", "language": "en_US",
            "components": TEMPLATE_COMPONENTS}


def setup_relay(ctx: Ctx) -> None:
    ctx.extra["endpoint"] = ctx.sink()
    configure_relay(ctx.ch, ctx.extra["endpoint"], ctx.rng,
                    events=["message.received", "message.delivered", "message.read"], req="TIER-LICENSE-REQUIRED")


def probe_relay_text(ctx: Ctx, allowed: bool, reqs: tuple[str, ...]) -> None:
    endpoint = ctx.extra["endpoint"]
    result = ctx.simulator.emit_inbound_text(ctx.ch.world.world_id, ctx.ch.asset.asset_id,
                                             user_id(ctx.ch.channel_type, ctx.rng), "tier probe")
    expect.check(result.delivery.ok, reqs, "the target's answer to Meta's webhook (inbound is always saved)",
                 "HTTP 2xx", result.delivery.model_dump())
    if allowed:
        endpoint.wait_for(1, ctx.timeout, what=f"{reqs[0]}: message.received on a licensed channel")
    else:
        endpoint.assert_none_within(ctx.quiet, what=f"{', '.join(reqs)}: relay while the license is inactive")


def setup_status(ctx: Ctx) -> None:
    setup_relay(ctx)
    response = ctx.owner.client.send_text(ctx.ch.id, ctx.recipient, "status probe")
    expect.status(response, 200, "TIER-STARTER-TEXT", "send a text while the license is active")
    ctx.extra["meta_id"] = [m.message_id for m in ctx.simulator.sent_messages(ctx.ch.world.world_id)][-1]


def probe_relay_status(ctx: Ctx, allowed: bool, reqs: tuple[str, ...]) -> None:
    endpoint = ctx.extra["endpoint"]
    status = "read" if ctx.ch.channel_type == "instagram" else "delivered"
    result = ctx.simulator.emit_status(ctx.ch.world.world_id, ctx.extra["meta_id"], status)
    expect.check(result.delivery.ok, reqs, "the target's answer to Meta's status webhook", "HTTP 2xx",
                 result.delivery.model_dump())
    if allowed:
        got = endpoint.wait_for(1, ctx.timeout, what=f"{reqs[0]}: a delivery status on a licensed channel")
        events = [r.json().get("event") for r in got]
        expect.check(any(e in ("message.delivered", "message.read") for e in events), reqs,
                     "status webhook", "message.delivered or message.read", events)
    else:
        endpoint.assert_none_within(ctx.quiet, what=f"{', '.join(reqs)}: status relay while the license is inactive")


def setup_media(ctx: Ctx) -> None:
    setup_relay(ctx)
    media_type, mime = INBOUND_MEDIA[ctx.ch.channel_type][0]
    _, data = receive_media(ctx.simulator, ctx.ch, ctx.extra["endpoint"], ctx.rng, ctx.timeout,
                            media_type=media_type, mime_type=mime, content=ctx.rng.randbytes(2000),
                            req="TIER-MEDIA-DOWNLOAD-PRO")
    ctx.extra["media_id"] = media_object(data, "TIER-MEDIA-DOWNLOAD-PRO")["media_id"]


def probe_media_download(ctx: Ctx, allowed: bool, reqs: tuple[str, ...]) -> None:
    _gate(download(ctx.owner.client, ctx.extra["media_id"]), allowed, reqs, "GET /media/{media_id}", ok=(200,))


ENDPOINTS = [
    Endpoint("send-text", ALL, "active", ("SUB-INACTIVE-402", "TIER-LICENSE-REQUIRED"), probe_send_text,
             window=True),
    Endpoint("send-media", ALL, "pro", ("TIER-SEND-MEDIA-PRO", "SUB-INACTIVE-402"), probe_send_media, window=True),
    Endpoint("send-template", ("whatsapp",), "pro", ("TIER-SEND-TEMPLATE-PRO", "SUB-INACTIVE-402"),
             probe_send_template, setup=setup_template, always_changed=True),
    Endpoint("templates-list", ("whatsapp",), "pro", ("TIER-TEMPLATES-PRO",),
             probe_templates("GET", "/channels/{ch}/templates?sync=false", ok=(200,))),
    Endpoint("template-get", ("whatsapp",), "pro", ("TIER-TEMPLATES-PRO",),
             probe_templates("GET", "/channels/{ch}/templates/{tpl}", ok=(200,)), setup=setup_template,
             always_changed=True),
    Endpoint("template-create", ("whatsapp",), "pro", ("TIER-TEMPLATES-PRO",),
             probe_templates("POST", "/channels/{ch}/templates", _new_template, ok=(200, 201))),
    Endpoint("template-update", ("whatsapp",), "pro", ("TIER-TEMPLATES-PRO",),
             probe_templates("PUT", "/channels/{ch}/templates/{tpl}", {"components": TEMPLATE_COMPONENTS}),
             setup=setup_template, always_changed=True),
    Endpoint("template-delete", ("whatsapp",), "pro", ("TIER-TEMPLATES-PRO",),
             probe_templates("DELETE", "/channels/{ch}/templates/{tpl}", ok=(200, 204)), setup=setup_template,
             always_changed=True),
    Endpoint("relay-text", ALL, "active", ("SUB-INACTIVE-NO-RELAY", "TIER-LICENSE-REQUIRED"), probe_relay_text,
             setup=setup_relay),
    Endpoint("relay-status", ALL, "active", ("SUB-INACTIVE-NO-RELAY", "TIER-LICENSE-REQUIRED"), probe_relay_status,
             setup=setup_status, always_changed=True, window=True),
    Endpoint("media-download", ALL, "pro", ("TIER-MEDIA-DOWNLOAD-PRO",), probe_media_download, setup=setup_media,
             always_changed=True),
]


def changed(state: State, endpoint: Endpoint) -> bool:
    """Whether the case reaches its state by changing a Pro account's subscription (through the harness)."""
    return state.arrival == "changed" or endpoint.always_changed or endpoint.setup is not None


def level_of(state: State, endpoint: Endpoint) -> Any:
    """A state an account is minted in runs at the simulated level, on a key of that state given in the
    config (a state without keys is not claimed); a state reached by a change needs the harness."""
    if changed(state, endpoint):
        return pytest.mark.level("controlled", reason="needs the harness to change an account's subscription")
    return pytest.mark.level("simulated")


def cases(*names: str) -> list[Any]:
    """One pytest.param per (state, endpoint, channel) of the named endpoints, marked with the requirement
    ids that case checks besides those its test function names."""
    unknown = set(names) - {e.name for e in ENDPOINTS}
    assert not unknown, f"no such endpoint in ENDPOINTS: {sorted(unknown)}"
    params = []
    for endpoint in [e for e in ENDPOINTS if e.name in names]:
        for state in STATES:
            for channel_type in endpoint.channels:
                allowed = endpoint.allowed(state)
                reqs = endpoint.reqs + state.reqs
                if allowed and state.tier == "starter":
                    reqs += ("TIER-STARTER-TEXT",) if endpoint.needs == "active" else ()
                params.append(pytest.param(
                    state, endpoint, channel_type, marks=[pytest.mark.req(*dict.fromkeys(reqs)), level_of(state, endpoint)],
                    id=f"{endpoint.name}-{state.name}-{channel_type}"))
    return params


def arrange(state: State, endpoint: Endpoint, channel_type: str, *, account: Any, channel: Any, harness: Any,
            simulator: Any, sink: Any, rng: random.Random, timeout: float, quiet: float) -> Ctx:
    """Bring a fresh account + channel into ``state`` the way the state (or the endpoint's setup) says.

    ``harness`` may be a callable that returns the harness client: it is only needed for a change."""
    by_change = changed(state, endpoint)
    if by_change:
        owner = account(tier="pro", subscription_status="active", source="paddle")
    else:
        owner = account(tier=state.tier or "pro", subscription_status=state.status, source=state.source)
    ch = channel(owner, channel_type)
    recipient = user_id(channel_type, rng)
    if endpoint.window:
        open_window(simulator, ch, recipient, req=endpoint.reqs[0])
    ctx = Ctx(owner, ch, simulator, sink, rng, timeout, quiet, recipient)
    if endpoint.setup is not None:
        endpoint.setup(ctx)
    if by_change:
        change_subscription(harness() if callable(harness) else harness, owner, tier=state.tier, subscription_status=state.status, source=state.source)
    return ctx
