"""Channels: list, get, the fields of each type, the subscription block, webhook settings, soft delete.

Spec: fiwano-api.md "Channels" (GET list/one, PATCH, DELETE, Response fields, subscription object) and
"Incoming Webhooks / Event Types". Channels are wired to simulator assets through the harness, so these
tests need the controlled level until the kit drives the OAuth connect flow.
"""

from __future__ import annotations

import pytest

import contract
from suites import expect, readings
from suites.data import EVENTS_BY_CHANNEL, invalid_events, secret, user_id
from suites.enumerations import subscription_states

SUBSCRIPTION_FIELDS = {"status", "source", "tier", "expires_at", "auto_renew"}
OWN_FIELDS = {"whatsapp": {"phone_number_id", "phone_number", "waba_id"},
              "instagram": {"ig_account_id", "ig_username", "page_id"}, "facebook": {"page_id"}}
TYPE_FIELDS = set().union(*OWN_FIELDS.values())
COMMON_FIELDS = {"id", "channel_type", "name", "is_active", "webhook_url", "has_webhook_secret", "webhook_events",
                 "token_expires_at", "subscription"}


def _ids_of(listing: dict) -> list[str]:
    return [c.get("id") for c in listing.get("channels", [])]


@pytest.mark.req("CHANNEL-LIST", "CHANNEL-GET")
@pytest.mark.level("simulated")
def test_connected_channel_is_listed_and_readable(account, channel, channel_type):
    owner = account()
    ch = channel(owner, channel_type)

    listed = expect.conforms(expect.status(owner.client.list_channels(), 200, "CHANNEL-LIST", "list channels"),
                             "CHANNEL-LIST")
    got = expect.conforms(expect.status(owner.client.get_channel(ch.id), 200, "CHANNEL-GET", "get the channel"),
                          "CHANNEL-GET")
    listing = expect.json_object(listed, "CHANNEL-LIST", "list body")
    one = expect.json_object(got, "CHANNEL-GET", "channel body")

    expect.check(isinstance(listing.get("channels"), list) and isinstance(listing.get("total"), int), "CHANNEL-LIST",
                 "list body", '{"channels": [...], "total": N}', listing)
    expect.check(listing["total"] == len(listing["channels"]), "CHANNEL-LIST", "total", "the number of channels listed",
                 f"total={listing['total']} with {len(listing['channels'])} listed")
    own = owner.client.own_channels(listing)  # past the channels a shared key's account had before
    expect.check([c.get("id") for c in own] == [ch.id], "CHANNEL-LIST",
                 "channels of an account with one new channel", [ch.id], [c.get("id") for c in own])
    # the documented fields must agree; fields v1 does not name are ignored (additive change, changelog)
    documented = set(contract.load_openapi()["components"]["schemas"]["Channel"]["properties"])
    same = {k: one.get(k) for k in documented} == {k: own[0].get(k) for k in documented}
    expect.check(same, "CHANNEL-GET", "GET /channels/{id} representation",
                 "the same documented fields as in the list", {"get": one, "list": own[0]})


@pytest.mark.req("CHANNEL-LIST")
@pytest.mark.level("simulated")
def test_list_holds_active_and_inactive_channels(account, channel, channel_type):
    owner = account()
    kept, deleted = channel(owner, channel_type), channel(owner, channel_type)
    expect.status(owner.client.delete_channel(deleted.id), (200, 204), "CHANNEL-LIST", "DELETE one of two channels")

    listing = expect.json_object(expect.conforms(expect.status(owner.client.list_channels(), 200, "CHANNEL-LIST",
                                                               "list channels"), "CHANNEL-LIST"),
                                 "CHANNEL-LIST", "list body")

    seen = {c.get("id"): c.get("is_active") for c in owner.client.own_channels(listing) if isinstance(c, dict)}
    expected = {kept.id: True, deleted.id: False}
    expect.check(seen == expected, "CHANNEL-LIST", "channels listed after deleting one of two",
                 "both, the deleted one with is_active false", seen)
    earlier = len(owner.client.earlier_channels)  # a shared key's account had channels before the test
    expect.check(listing.get("total") == earlier + 2, "CHANNEL-LIST", "total",
                 f"{earlier + 2} (active and inactive channels)", listing.get("total"))


@pytest.mark.req("CHANNEL-FIELDS-PER-TYPE", "CHANNEL-COMMON-FIELDS", "CHANNEL-NAME")
@pytest.mark.level("simulated")
def test_channel_carries_the_identifiers_of_its_type(account, channel, channel_type):
    owner = account()
    ch = channel(owner, channel_type)

    body = expect.json_object(owner.client.get_channel(ch.id), "CHANNEL-FIELDS-PER-TYPE", "channel body")

    asset = ch.asset
    expected = {"id": ch.id, "channel_type": channel_type, "is_active": True}
    if channel_type == "whatsapp":
        expected.update(phone_number_id=asset.phone_number_id, waba_id=asset.waba_id)
    elif channel_type == "instagram":
        expected.update(ig_account_id=asset.ig_account_id, ig_username=asset.username, page_id=asset.page_id)
    else:
        expected.update(page_id=asset.page_id)
    seen = {key: body.get(key, "<absent>") for key in expected}
    expect.check(seen == expected, "CHANNEL-FIELDS-PER-TYPE", f"{channel_type} channel fields", expected, seen)
    foreign = {key: body[key] for key in sorted(TYPE_FIELDS - OWN_FIELDS[channel_type]) if key in body}
    expect.check(all(value is None for value in foreign.values()), "CHANNEL-FIELDS-PER-TYPE",
                 f"identifiers of other channel types on a {channel_type} channel", "left out or null", foreign)
    readings.accepts("CHANNEL-FIELDS-PER-TYPE", "null" if foreign else "omitted",
                     what=f"identifiers of other channel types on a {channel_type} channel", seen=foreign)
    missing = sorted(COMMON_FIELDS - set(body))
    expect.check(not missing, "CHANNEL-COMMON-FIELDS", "channel fields", f"all of {sorted(COMMON_FIELDS)}",
                 f"missing {missing}")
    meta_name = {"whatsapp": asset.verified_name, "instagram": asset.username, "facebook": asset.name}[channel_type]
    expect.check(body.get("name") == meta_name, "CHANNEL-NAME", f"name of a {channel_type} channel",
                 f"{meta_name!r} as Meta reports it", repr(body.get("name", "<absent>")))
    if channel_type == "whatsapp":
        expect.check(isinstance(body.get("phone_number"), str) and body["phone_number"], "CHANNEL-FIELDS-PER-TYPE",
                     "phone_number", "the human-readable phone number", body.get("phone_number", "<absent>"))


@pytest.mark.req("CHANNEL-SUBSCRIPTION-PRESENT")
@pytest.mark.level("simulated")
@pytest.mark.parametrize(("tier", "status"), sorted({(t, s) for t, s, _ in subscription_states()}),
                         ids=lambda v: str(v))
def test_subscription_block_is_always_present(account, channel, tier, status):
    owner = account(tier=tier, subscription_status=status)
    ch = channel(owner, "whatsapp")

    body = expect.json_object(owner.client.get_channel(ch.id), "CHANNEL-SUBSCRIPTION-PRESENT", "channel body")

    sub = body.get("subscription")
    expect.check(isinstance(sub, dict) and SUBSCRIPTION_FIELDS <= set(sub), "CHANNEL-SUBSCRIPTION-PRESENT",
                 "subscription", f"an object with {sorted(SUBSCRIPTION_FIELDS)}", sub)
    if status == "none":
        expected = {"status": "none", "source": None, "tier": None, "expires_at": None, "auto_renew": False}
    else:
        expected = {"status": status, "tier": tier}
    seen = {key: sub.get(key) for key in expected}
    expect.check(seen == expected, "CHANNEL-SUBSCRIPTION-PRESENT", f"subscription of a {tier}/{status} account",
                 expected, seen)


@pytest.mark.req("CHANNEL-PATCH-WEBHOOK", "CHANNEL-PATCH-PARTIAL", "CHANNEL-HAS-SECRET")
@pytest.mark.level("simulated")
def test_patch_updates_webhook_settings(account, channel, channel_type, sink, rng):
    owner = account()
    ch = channel(owner, channel_type)
    endpoint = sink()
    events = list(EVENTS_BY_CHANNEL[channel_type])
    fresh = owner.client.get_channel(ch.id).json()

    first = expect.conforms(expect.status(owner.client.patch_channel(ch.id, {
        "webhook_url": endpoint.url, "webhook_secret": secret(rng), "webhook_events": ["message.received"]}),
        200, "CHANNEL-PATCH-WEBHOOK", "PATCH webhook_url + webhook_secret + webhook_events"),
        "CHANNEL-PATCH-WEBHOOK").json()
    second = expect.conforms(expect.status(owner.client.patch_channel(ch.id, {"webhook_events": events}), 200,
                                           "CHANNEL-PATCH-WEBHOOK", "PATCH webhook_events only"),
                             "CHANNEL-PATCH-WEBHOOK").json()
    stored = owner.client.get_channel(ch.id).json()

    expect.check(first.get("webhook_events") == ["message.received"], "CHANNEL-PATCH-WEBHOOK",
                 "webhook_events in the first PATCH response", ["message.received"], first.get("webhook_events"))
    expect.check(sorted(second.get("webhook_events") or []) == sorted(events), "CHANNEL-PATCH-WEBHOOK",
                 f"webhook_events after enabling every {channel_type} event", sorted(events),
                 second.get("webhook_events"))
    expect.check(fresh.get("has_webhook_secret") is False, "CHANNEL-HAS-SECRET",
                 "has_webhook_secret of a channel that never had a secret", False, fresh.get("has_webhook_secret"))
    seen = {k: stored.get(k) for k in ("webhook_url", "has_webhook_secret")}
    expect.check(seen == {"webhook_url": endpoint.url, "has_webhook_secret": True}, "CHANNEL-PATCH-PARTIAL",
                 "webhook_url and secret after a PATCH of webhook_events only (GET)",
                 {"webhook_url": endpoint.url, "has_webhook_secret": True}, seen)
    expect.check(sorted(stored.get("webhook_events") or []) == sorted(events), "CHANNEL-PATCH-WEBHOOK",
                 "stored webhook_events (GET)", sorted(events), stored.get("webhook_events"))


@pytest.mark.req("WEBHOOK-EVENTS-PER-CHANNEL", "WEBHOOK-EVENTS-UNKNOWN-NAME")
@pytest.mark.level("simulated")
def test_events_invalid_for_the_type_are_never_stored(account, channel, channel_type, sink):
    owner = account()
    ch = channel(owner, channel_type)
    endpoint = sink()
    expect.status(owner.client.patch_channel(ch.id, {"webhook_url": endpoint.url, "webhook_events": []}), 200,
                  "WEBHOOK-EVENTS-PER-CHANNEL", "PATCH webhook_url")

    before: list = []
    for bad in invalid_events(channel_type):
        response = owner.client.patch_channel(ch.id, {"webhook_events": ["message.received", bad]})
        stored = owner.client.get_channel(ch.id).json().get("webhook_events") or []

        expect.check(response.status_code in (200, 400, 422), "WEBHOOK-EVENTS-PER-CHANNEL",
                     f"PATCH with {bad!r} on a {channel_type} channel", "400/422 (rejected) or 200 (ignored)",
                     expect.describe(response))
        expect.check(bad not in stored, "WEBHOOK-EVENTS-PER-CHANNEL", f"stored events after PATCH with {bad!r}",
                     f"{bad!r} not stored", stored)
        if response.status_code == 200:
            readings.accepts("WEBHOOK-EVENTS-PER-CHANNEL", "ignored", what=f"PATCH with {bad!r}", seen=200)
            shown = response.json().get("webhook_events") or []
            expect.check(bad not in shown, "WEBHOOK-EVENTS-PER-CHANNEL", f"PATCH response events with {bad!r}",
                         f"{bad!r} ignored", shown)
            expect.check(stored == ["message.received"], "WEBHOOK-EVENTS-PER-CHANNEL",
                         f"stored events after PATCH with {bad!r} (ignored)", "the valid event kept", stored)
        else:
            readings.accepts("WEBHOOK-EVENTS-PER-CHANNEL", "rejected", what=f"PATCH with {bad!r}",
                             seen=response.status_code)
            expect.check(stored == before, "WEBHOOK-EVENTS-PER-CHANNEL",
                         f"stored events after PATCH with {bad!r} (rejected)", f"unchanged: {before}", stored)
        before = stored


@pytest.mark.req("WEBHOOK-SECRET-AUTOGEN", "CHANNEL-HAS-SECRET")
@pytest.mark.level("simulated")
def test_secret_is_generated_with_the_first_webhook_url(account, channel, channel_type, sink):
    owner = account()
    ch = channel(owner, channel_type)
    endpoint = sink()

    response = expect.status(owner.client.patch_channel(ch.id, {"webhook_url": endpoint.url}), 200,
                             "WEBHOOK-SECRET-AUTOGEN", "PATCH webhook_url without a secret")
    stored = owner.client.get_channel(ch.id).json()

    expect.check(stored.get("has_webhook_secret") is True, "WEBHOOK-SECRET-AUTOGEN",
                 "has_webhook_secret after the first webhook_url", True, stored.get("has_webhook_secret"))
    shown = response.json().get("webhook_secret")
    expect.check(shown is None or (isinstance(shown, str) and len(shown) > 0), "WEBHOOK-SECRET-AUTOGEN",
                 "webhook_secret in the PATCH response", "absent or a non-empty string", repr(shown))


@pytest.mark.req("CHANNEL-DELETE-SOFT", "CHANNEL-IS-ACTIVE", "CHANNEL-INACTIVE-SEND-REFUSED", "API-DELETE-STATUS")
@pytest.mark.level("simulated")
def test_delete_deactivates_but_keeps_the_channel(account, channel, channel_type, simulator, rng):
    owner = account()
    ch = channel(owner, channel_type)
    expect.check(owner.client.get_channel(ch.id).json().get("is_active") is True, "CHANNEL-IS-ACTIVE",
                 "is_active of a freshly connected channel", True, owner.client.get_channel(ch.id).json())

    deleted = owner.client.delete_channel(ch.id)
    after = owner.client.get_channel(ch.id)
    listing = owner.client.list_channels().json()
    send = owner.client.send_text(ch.id, user_id(channel_type, rng), "after delete")

    readings.deleted(deleted, "API-DELETE-STATUS", "DELETE the channel")
    expect.status(after, 200, "CHANNEL-DELETE-SOFT", "GET the deleted channel (soft delete keeps it)")
    expect.conforms(deleted, "CHANNEL-DELETE-SOFT")
    expect.conforms(after, "CHANNEL-DELETE-SOFT")
    expect.check(after.json().get("is_active") is False, ("CHANNEL-DELETE-SOFT", "CHANNEL-IS-ACTIVE"),
                 "is_active after DELETE", False,
                 after.json().get("is_active"))
    listed = [c for c in listing.get("channels", []) if c.get("id") == ch.id]
    expect.check(len(listed) == 1 and listed[0].get("is_active") is False, "CHANNEL-DELETE-SOFT",
                 "the deleted channel in the list", "listed once with is_active false", listed)
    expect.check(400 <= send.status_code < 500, "CHANNEL-INACTIVE-SEND-REFUSED", "send through the deleted channel",
                 "a 4xx refusal", expect.describe(send))
    sends = simulator.journal(ch.world.world_id, method="POST", path_contains="/messages")
    expect.check(not sends, "CHANNEL-INACTIVE-SEND-REFUSED", "calls to Meta's send endpoint after DELETE", "none",
                 [e.path for e in sends])


@pytest.mark.req("CHANNEL-SECRET-NOT-READABLE")
@pytest.mark.level("simulated")
def test_secret_is_never_readable(account, channel, channel_type, sink, rng):
    owner = account()
    ch = channel(owner, channel_type)
    key = secret(rng)
    expect.status(owner.client.patch_channel(ch.id, {"webhook_url": sink().url, "webhook_secret": key}), 200,
                  "CHANNEL-SECRET-NOT-READABLE", "PATCH webhook_url + webhook_secret")

    for response in (owner.client.get_channel(ch.id), owner.client.list_channels()):
        expect.check(key not in response.text and "webhook_secret\"" not in response.text.replace("has_webhook_secret", ""),
                     "CHANNEL-SECRET-NOT-READABLE", f"{response.request.method} {response.request.url.path}",
                     "has_webhook_secret only, no webhook_secret value", "the secret or a webhook_secret field")


@pytest.mark.req("CHANNEL-WEBHOOK-URL-HTTPS")
@pytest.mark.level("simulated")
@pytest.mark.parametrize("scheme", ["http", "ftp"])
def test_non_https_webhook_url_is_refused(account, channel, sink, scheme):
    owner = account()
    ch = channel(owner, "whatsapp")
    url = scheme + sink().url[len("https"):]

    response = owner.client.patch_channel(ch.id, {"webhook_url": url, "webhook_events": ["message.received"]})

    expect.check(400 <= response.status_code < 500, "CHANNEL-WEBHOOK-URL-HTTPS", f"PATCH webhook_url {scheme}://…",
                 "a 4xx refusal", expect.describe(response))
    stored = owner.client.get_channel(ch.id).json()
    expect.check(stored.get("webhook_url") != url, "CHANNEL-WEBHOOK-URL-HTTPS", "stored webhook_url",
                 "not the refused URL", stored.get("webhook_url"))


@pytest.mark.req("CHANNEL-PATCH-READONLY")
@pytest.mark.level("simulated")
def test_patch_cannot_change_read_only_fields(account, channel, channel_type):
    owner = account()
    ch = channel(owner, channel_type)
    before = owner.client.get_channel(ch.id).json()
    forged = {"is_active": False, "channel_type": "facebook" if channel_type != "facebook" else "whatsapp",
              "subscription": {"status": "active", "tier": "pro", "source": "enterprise"},
              "phone_number_id": "1", "page_id": "1", "ig_account_id": "1", "id": "forged"}

    response = owner.client.patch_channel(ch.id, forged)

    expect.check(response.status_code in (200, 400, 422), "CHANNEL-PATCH-READONLY", "PATCH of read-only fields",
                 "200 (ignored) or 400/422 (refused)", expect.describe(response))
    after = owner.client.get_channel(ch.id).json()
    changed = {k: (before.get(k), after.get(k)) for k in forged if before.get(k) != after.get(k)}
    expect.check(not changed, "CHANNEL-PATCH-READONLY", "read-only fields after the PATCH", "unchanged", changed)


@pytest.mark.req("CHANNEL-404-UNKNOWN", "ERR-FORMAT")
@pytest.mark.level("api")
@pytest.mark.parametrize("operation", ["get", "patch", "delete", "send"])
def test_unknown_channel_is_404(account, operation, rng):
    owner = account()
    missing = "".join(rng.choice("0123456789abcdef") for _ in range(16))
    response = {
        "get": lambda: owner.client.get_channel(missing),
        "patch": lambda: owner.client.patch_channel(missing, {"webhook_events": []}),
        "delete": lambda: owner.client.delete_channel(missing),
        "send": lambda: owner.client.send_text(missing, "15550001111", "hello"),
    }[operation]()

    expect.status(response, 404, "CHANNEL-404-UNKNOWN", f"{operation} on a channel id that does not exist")
    expect.error_detail(response, "ERR-FORMAT", "404 body")
    expect.conforms(response, "CHANNEL-404-UNKNOWN")
