"""Cross-account isolation: another account's channel is answered exactly like one that does not exist.

Spec: fiwano-api.md "Errors & Rate Limits / HTTP Status Codes": 404 "Resource doesn't exist or belongs to
another account". Checked on every channel operation (GET, PATCH, DELETE, send, send-media), on the list, and on the
owner's view afterwards (nothing changed, nothing reached Meta).
"""

from __future__ import annotations

import pytest

from suites import expect
from suites.data import secret, user_id

REQ = "ISOLATION-CHANNEL-404"


def _intrude(client, operation: str, channel_id: str, webhook_url: str, recipient: str, rng):
    if operation == "get":
        return client.get_channel(channel_id)
    if operation == "patch":
        return client.patch_channel(channel_id, {"webhook_url": webhook_url, "webhook_secret": secret(rng),
                                                 "webhook_events": ["message.received"]})
    if operation == "delete":
        return client.delete_channel(channel_id)
    if operation == "send-media":
        return client.request("POST", "/messages/send-media", json={
            "channel_id": channel_id, "recipient": recipient, "media_type": "image",
            "media_url": "https://media.example.com/not-yours.jpg"})
    return client.send_text(channel_id, recipient, "not yours")


@pytest.mark.req(REQ, "ISOLATION-NO-SIDE-EFFECT")
@pytest.mark.level("simulated")
@pytest.mark.parametrize("operation", ["get", "patch", "delete", "send", "send-media"])
def test_other_accounts_channel_is_404(account, channel, channel_type, operation, sink, simulator, rng):
    owner, intruder = account(), account()
    ch = channel(owner, channel_type)
    before = owner.client.get_channel(ch.id).json()
    endpoint = sink()
    recipient = user_id(channel_type, rng)
    missing_id = "0" * max(len(ch.id), 16)

    foreign = _intrude(intruder.client, operation, ch.id, endpoint.url, recipient, rng)
    nonexistent = _intrude(intruder.client, operation, missing_id, endpoint.url, recipient, rng)

    expect.status(foreign, 404, REQ, f"{operation} on another account's channel")
    expect.conforms(foreign, REQ)
    expect.status(nonexistent, 404, REQ, f"{operation} on a channel id that does not exist (control)")
    expect.error_detail(foreign, REQ, "404 body")
    after = owner.client.get_channel(ch.id).json()
    expect.check(after == before, "ISOLATION-NO-SIDE-EFFECT", f"the owner's channel after the intruder's {operation}",
                 "unchanged", {"before": before, "after": after})
    sends = simulator.journal(ch.world.world_id, method="POST", path_contains="/messages")
    expect.check(not sends, "ISOLATION-NO-SIDE-EFFECT", "calls to Meta's send endpoint", "none",
                 [e.path for e in sends])
    expect.check(endpoint.requests == [], "ISOLATION-NO-SIDE-EFFECT", "requests at the intruder's webhook URL",
                 "none", len(endpoint.requests))


@pytest.mark.req("ISOLATION-404-INDISTINGUISHABLE")
@pytest.mark.level("simulated")
@pytest.mark.parametrize("operation", ["get", "patch", "delete", "send", "send-media"])
def test_foreign_and_missing_channels_look_the_same(account, channel, channel_type, operation, sink, rng):
    owner, intruder = account(), account()
    ch = channel(owner, channel_type)
    endpoint, recipient = sink(), user_id(channel_type, rng)
    missing_id = "0" * max(len(ch.id), 16)

    foreign = _intrude(intruder.client, operation, ch.id, endpoint.url, recipient, rng)
    nonexistent = _intrude(intruder.client, operation, missing_id, endpoint.url, recipient, rng)

    seen = {"foreign": (foreign.status_code, _shape(foreign)), "nonexistent": (nonexistent.status_code, _shape(nonexistent))}
    expect.check(seen["foreign"] == seen["nonexistent"], "ISOLATION-404-INDISTINGUISHABLE",
                 f"{operation} on another account's channel vs. on a non-existent id", "the same status and body shape",
                 {"foreign": foreign.text, "nonexistent": nonexistent.text})


def _shape(response):
    """Status-independent shape of a body: its keys and value types, with the id itself masked."""
    try:
        body = response.json()
    except ValueError:
        return ("not json",)
    if isinstance(body, dict):
        return tuple(sorted((k, type(v).__name__) for k, v in body.items()))
    return (type(body).__name__,)


@pytest.mark.req(REQ)
@pytest.mark.level("simulated")
def test_other_accounts_channel_is_never_listed(account, channel, channel_type):
    owner, other = account(), account()
    mine = channel(owner, channel_type)
    theirs = channel(other, channel_type)

    owner_ids = [c.get("id") for c in owner.client.own_channels(owner.client.list_channels().json())]
    other_ids = [c.get("id") for c in other.client.own_channels(other.client.list_channels().json())]

    expect.check(owner_ids == [mine.id], REQ, "the owner's channel list", [mine.id], owner_ids)
    expect.check(other_ids == [theirs.id], REQ, "the other account's channel list", [theirs.id], other_ids)
