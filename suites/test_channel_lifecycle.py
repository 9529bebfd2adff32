"""Channel lifecycle around the connect flow: one Fiwano account per Meta account, reconnecting, replying to
data.from, private webhook URLs, and what DELETE does to Meta's webhook subscription.

Spec: fiwano-api.md "Channel Capabilities" (note on uniqueness, recipient format), "Important Notes / Channel
uniqueness", "DELETE /api/v1/channels/{channel_id}" (unsubscribe WABA/Page only when safe; reconnect via a
new OAuth flow), "PATCH /api/v1/channels/{channel_id}". South side: the simulator's journal of
subscribed_apps calls; east side: the sink.
"""

from __future__ import annotations

import pytest

from suites import expect
from suites.data import secret, user_id
from suites.support_connect import (activate, browser, exchange, harness_connect, oauth_channel,  # noqa: F401
                                    shared_world, start_flow, subscribed_after, subscription_calls)
from suites.support_sending import last_seq

ALREADY = "already connected to another account"


def _resource(channel_type: str, asset) -> str:
    """The Meta object whose subscribed_apps carries the channel's webhooks: the WABA or the Page."""
    return asset.waba_id if channel_type == "whatsapp" else asset.page_id


def _active(client) -> list[dict]:
    return [c for c in client.list_channels().json().get("channels", []) if c.get("is_active")]


def _deletes(simulator, world, object_id: str, since: int) -> list:
    return [e for e in subscription_calls(simulator, world, object_id, since_seq=since) if e.method == "DELETE"]


@pytest.mark.req("CAP-META-ACCOUNT-UNIQUE", "CAP-ALREADY-CONNECTED-400")
@pytest.mark.level("simulated")
def test_meta_account_held_by_another_account_is_refused(account, channel_type, world, oauth_channel, browser,
                                                          simulator, request):
    holder, newcomer = account(), account()
    seeded = world(channel_type)
    held = oauth_channel(holder, channel_type, seeded)
    before = holder.client.get_channel(held.id).json()
    resource = _resource(channel_type, seeded.asset(channel_type))
    since = last_seq(simulator, seeded)

    flow = start_flow(newcomer, channel_type, seeded, browser)

    if flow.code is not None:
        request.node.user_properties.append(("fiwano_reading", "CAP-ALREADY-CONNECTED-400=exchange-400"))
        refused = exchange(newcomer.client, flow.code)
        expect.status(refused, 400, "CAP-ALREADY-CONNECTED-400", "exchange-code for a Meta account held elsewhere")
        detail = expect.error_detail(refused, "CAP-ALREADY-CONNECTED-400", "refusal body", string=False)
        expect.check(ALREADY in str(detail).lower(), "CAP-ALREADY-CONNECTED-400", "detail",
                     '"Already connected to another account"', detail)
    else:
        request.node.user_properties.append(("fiwano_reading", "CAP-ALREADY-CONNECTED-400=callback"))
        shown = " ".join(flow.params.values()) if flow.landed else (flow.stopped.text if flow.stopped else "")
        stopped_400 = flow.stopped is not None and flow.stopped.status_code == 400
        expect.check((flow.error or stopped_400) and ALREADY in shown.lower(), "CAP-ALREADY-CONNECTED-400",
                     "the flow for a Meta account held elsewhere", '400 or an ?error= redirect saying "Already '
                     'connected to another account"', flow.describe())
    expect.check(_active(newcomer.client) == [], "CAP-META-ACCOUNT-UNIQUE", "the newcomer's active channels", "none",
                 _active(newcomer.client))
    after = holder.client.get_channel(held.id).json()
    expect.check(after == before, "CAP-ALREADY-CONNECTED-400", "the holder's channel", "untouched",
                 {"before": before, "after": after})
    expect.check(not _deletes(simulator, seeded, resource, since), "CAP-ALREADY-CONNECTED-400",
                 "Meta subscription of the held account", "not unsubscribed", "a DELETE subscribed_apps")

    expect.status(holder.client.delete_channel(held.id), (200, 204), "CAP-META-ACCOUNT-UNIQUE", "holder deletes")
    moved = oauth_channel(newcomer, channel_type, seeded)

    expect.check([c.get("id") for c in _active(newcomer.client)] == [moved.id], "CAP-META-ACCOUNT-UNIQUE",
                 "the newcomer's channels after the holder let go", [moved.id], _active(newcomer.client))
    expect.check(_active(holder.client) == [], "CAP-META-ACCOUNT-UNIQUE", "the former holder's active channels",
                 "none", _active(holder.client))


@pytest.mark.req("CONNECT-RECONNECT")
@pytest.mark.level("simulated")
def test_deleted_channel_can_be_connected_again(account, channel_type, world, oauth_channel, simulator, rng):
    owner = account()
    seeded = world(channel_type)
    first = oauth_channel(owner, channel_type, seeded)
    expect.status(owner.client.delete_channel(first.id), (200, 204), "CONNECT-RECONNECT", "DELETE the channel")

    again = oauth_channel(owner, channel_type, seeded)

    active = _active(owner.client)
    expect.check([c.get("id") for c in active] == [again.id], "CONNECT-RECONNECT", "active channels after the "
                 "new OAuth flow", f"exactly the reconnected channel {again.id}", active)
    expect.check(subscribed_after(simulator, seeded, _resource(channel_type, seeded.asset(channel_type))) is True,
                 "CONNECT-RECONNECT", "Meta webhook subscription after reconnecting", "subscribed again",
                 [f"{e.method} {e.path}" for e in simulator.journal(seeded.world_id, path_contains="subscribed_apps")])
    sent = owner.client.send_text(again.id, user_id(channel_type, rng), "after reconnect")
    expect.check(sent.status_code == 200, "CONNECT-RECONNECT", "send through the reconnected channel",
                 "HTTP 200 (the channel works again)", expect.describe(sent))


@pytest.mark.req("CAP-REPLY-TO-FROM")
@pytest.mark.level("simulated")
def test_reply_to_data_from_reaches_the_sender(account, channel_type, oauth_channel, sink, simulator,
                                                fiwano_config, rng):
    endpoint = sink()
    ch = oauth_channel(account(), channel_type, webhook_url=endpoint.url, webhook_secret=secret(rng),
                       webhook_events=["message.received"])
    sender = user_id(channel_type, rng)
    simulator.emit_inbound_text(ch.world.world_id, ch.asset.asset_id, sender, "please answer me",
                                sender_name="Ada Lovelace")
    delivery = endpoint.wait_for(1, fiwano_config.delivery_timeout, what="CAP-REPLY-TO-FROM: message.received")[0]
    reply_to = (delivery.json().get("data") or {}).get("from")

    sent = ch.client.send_text(ch.id, reply_to, "here is the answer")

    expect.status(sent, 200, "CAP-REPLY-TO-FROM", f"send to data.from {reply_to!r}")
    expect.check(sent.json().get("success") is True, "CAP-REPLY-TO-FROM", "send result", "success true", sent.json())
    accepted = [m for m in simulator.sent_messages(ch.world.world_id) if m.asset_id == ch.asset.asset_id]
    expect.check([m.recipient.lstrip("+") for m in accepted] == [sender], "CAP-REPLY-TO-FROM",
                 "messages Meta accepted from the channel", f"one to the sender {sender}",
                 [m.recipient for m in accepted])


PRIVATE_URLS = ["https://10.0.0.1/hook", "https://172.16.0.1/hook", "https://192.168.1.1/hook",
                "https://169.254.169.254/latest/meta-data/", "https://127.0.0.2/hook", "https://0.0.0.0/hook",
                "https://[::1]/hook", "https://[fe80::1]/hook", "https://[fd00::1]/hook",
                "https://[::ffff:10.0.0.1]/hook", "https://100.64.0.1/hook", "https://localhost./hook",
                "https://metadata.google.internal/hook"]


@pytest.mark.req("CHANNEL-WEBHOOK-URL-PRIVATE")
@pytest.mark.level("simulated")
def test_private_webhook_url_is_refused(account, channel_type, oauth_channel, world, browser, sink):
    owner = account()
    ch = oauth_channel(owner, channel_type)
    good = sink().url
    expect.status(owner.client.patch_channel(ch.id, {"webhook_url": good}), 200, "CHANNEL-WEBHOOK-URL-PRIVATE",
                  "PATCH the sink's URL")

    for url in PRIVATE_URLS:
        response = owner.client.patch_channel(ch.id, {"webhook_url": url})
        expect.check(400 <= response.status_code < 500, "CHANNEL-WEBHOOK-URL-PRIVATE", f"PATCH webhook_url {url}",
                     "a 4xx refusal", expect.describe(response))
    stored = owner.client.get_channel(ch.id).json().get("webhook_url")
    expect.check(stored == good, "CHANNEL-WEBHOOK-URL-PRIVATE", "stored webhook_url after the refusals", good, stored)

    other = world(channel_type)
    flow = start_flow(owner, channel_type, other, browser)
    response = exchange(owner.client, flow.code, webhook_url=PRIVATE_URLS[3])
    expect.check(400 <= response.status_code < 500, "CHANNEL-WEBHOOK-URL-PRIVATE",
                 f"exchange-code with webhook_url {PRIVATE_URLS[3]}", "a 4xx refusal", expect.describe(response))


@pytest.mark.level("simulated")
@pytest.mark.parametrize("channel_type", [
    pytest.param("whatsapp", marks=pytest.mark.req("CHANNEL-DELETE-UNSUBSCRIBE-WABA"), id="whatsapp"),
    pytest.param("instagram", marks=pytest.mark.req("CHANNEL-DELETE-UNSUBSCRIBE-PAGE"), id="instagram"),
    pytest.param("facebook", marks=pytest.mark.req("CHANNEL-DELETE-UNSUBSCRIBE-PAGE"), id="facebook"),
])
def test_deleting_the_only_channel_unsubscribes(account, channel_type, oauth_channel, simulator):
    owner = account()
    ch = oauth_channel(owner, channel_type)
    resource = _resource(channel_type, ch.asset)
    req = "CHANNEL-DELETE-UNSUBSCRIBE-WABA" if channel_type == "whatsapp" else "CHANNEL-DELETE-UNSUBSCRIBE-PAGE"
    expect.check(subscribed_after(simulator, ch.world, resource) is True, req, "subscription after connecting",
                 f"the app subscribed to {resource}", "no successful POST subscribed_apps")
    since = last_seq(simulator, ch.world)

    expect.status(owner.client.delete_channel(ch.id), (200, 204), req, "DELETE the channel")

    expect.check(_deletes(simulator, ch.world, resource, since), req, f"Meta calls after deleting the only channel "
                 f"of {resource}", f"DELETE /{resource}/subscribed_apps", "none")
    expect.check(subscribed_after(simulator, ch.world, resource) is False, req, "subscription afterwards",
                 "unsubscribed", "still subscribed")


@pytest.mark.req("CHANNEL-DELETE-KEEP-SHARED-WABA", "CHANNEL-DELETE-UNSUBSCRIBE-WABA")
@pytest.mark.level("controlled", reason="needs the harness to connect chosen assets of one Meta account")
@pytest.mark.parametrize("same_account", [True, False], ids=["same-account", "two-accounts"])
def test_shared_waba_stays_subscribed_until_its_last_channel(account, shared_world, simulator, cleanups,
                                                              same_account):
    seeded = shared_world(["whatsapp", "whatsapp"], {1: 0})
    first_owner = account()
    second_owner = first_owner if same_account else account()
    first = harness_connect(first_owner, seeded.assets[0], seeded, cleanups)
    second = harness_connect(second_owner, seeded.assets[1], seeded, cleanups)
    waba = seeded.assets[0].waba_id
    since = last_seq(simulator, seeded)

    expect.status(first_owner.client.delete_channel(first.id), (200, 204), "CHANNEL-DELETE-KEEP-SHARED-WABA",
                  "DELETE the first channel")

    expect.check(not _deletes(simulator, seeded, waba, since), "CHANNEL-DELETE-KEEP-SHARED-WABA",
                 f"Meta calls after deleting one of two active channels on WABA {waba}", "no unsubscribe",
                 [f"{e.method} {e.path}" for e in _deletes(simulator, seeded, waba, since)])
    expect.check(subscribed_after(simulator, seeded, waba) is True, "CHANNEL-DELETE-KEEP-SHARED-WABA",
                 "WABA subscription", "kept", "unsubscribed")
    expect.status(second_owner.client.delete_channel(second.id), (200, 204), "CHANNEL-DELETE-UNSUBSCRIBE-WABA",
                  "DELETE the last channel")
    expect.check(subscribed_after(simulator, seeded, waba) is False, "CHANNEL-DELETE-UNSUBSCRIBE-WABA",
                 "WABA subscription after its last channel was deleted", "unsubscribed", "still subscribed")


@pytest.mark.req("CHANNEL-DELETE-KEEP-SHARED-PAGE", "CHANNEL-DELETE-UNSUBSCRIBE-PAGE")
@pytest.mark.level("controlled", reason="needs the harness to connect chosen assets of one Meta account")
@pytest.mark.parametrize("delete_first", ["facebook", "instagram"])
def test_shared_page_stays_subscribed_until_its_last_channel(account, shared_world, simulator, cleanups,
                                                              delete_first):
    seeded = shared_world(["facebook", "instagram"], {1: 0})
    owner = account()
    channels = {a.channel: harness_connect(owner, a, seeded, cleanups) for a in seeded.assets}
    page = seeded.asset("facebook").page_id
    since = last_seq(simulator, seeded)
    last = "instagram" if delete_first == "facebook" else "facebook"

    expect.status(owner.client.delete_channel(channels[delete_first].id), (200, 204),
                  "CHANNEL-DELETE-KEEP-SHARED-PAGE", f"DELETE the {delete_first} channel")

    expect.check(not _deletes(simulator, seeded, page, since), "CHANNEL-DELETE-KEEP-SHARED-PAGE",
                 f"Meta calls after deleting the {delete_first} channel while the {last} one uses Page {page}",
                 "no unsubscribe", [f"{e.method} {e.path}" for e in _deletes(simulator, seeded, page, since)])
    expect.status(owner.client.delete_channel(channels[last].id), (200, 204), "CHANNEL-DELETE-UNSUBSCRIBE-PAGE",
                  f"DELETE the {last} channel")
    expect.check(subscribed_after(simulator, seeded, page) is False, "CHANNEL-DELETE-UNSUBSCRIBE-PAGE",
                 "Page subscription after its last channel was deleted", "unsubscribed", "still subscribed")


@pytest.mark.req("BILLING-INBOUND-KEPT")
@pytest.mark.level("controlled")
def test_inbound_during_a_billing_block_is_delivered_once_active(account, channel_type, oauth_channel, sink,
                                                                 simulator, harness, clock, fiwano_config, rng):
    owner = account(tier="pro", subscription_status="active", source="enterprise")
    endpoint = sink()
    key = secret(rng)
    ch = oauth_channel(owner, channel_type, webhook_url=endpoint.url, webhook_secret=key,
                       webhook_events=["message.received"])
    harness.change_subscription(owner.account_id, tier="pro", subscription_status="expired", source="enterprise")
    texts = [f"kept while blocked #{i} {rng.randrange(10**6)}" for i in range(2)]
    for text in texts:
        simulator.emit_inbound_text(ch.world.world_id, ch.asset.asset_id, user_id(channel_type, rng), text)
    endpoint.assert_none_within(fiwano_config.quiet_seconds, what="BILLING-INBOUND-KEPT: relay blocked by billing")

    activate(harness, owner, clock.now())

    arrived = endpoint.wait_for(2, fiwano_config.delivery_timeout, what="BILLING-INBOUND-KEPT: held messages")
    seen = sorted((r.json().get("data") or {}).get("text") for r in arrived)
    expect.check(seen == sorted(texts), "BILLING-INBOUND-KEPT", "messages delivered after reactivation",
                 sorted(texts), seen)
    for delivery in arrived:
        expect.check(delivery.header("X-Webhook-Signature") == expect.webhook_signature(key, delivery.body),
                     "BILLING-INBOUND-KEPT", "signature of a held delivery", "valid", delivery.header(
                         "X-Webhook-Signature"))
