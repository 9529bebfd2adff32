"""Exact answers: relayed payloads field by field against what Meta sent, and lists complete against what
the test created (every item, beyond any page or first N, nothing else).

Spec: fiwano-api.md "Incoming Webhooks / Payload Format" (data.from, from_name, message_id, text per
channel), "GET /api/v1/channels" (every channel, active and inactive, with total), "GET /api/v1/redirects",
"GET /channels/{id}/templates" (status filter). The docs define no pagination, so a list answers
everything: the tests create more items than common page sizes (10, 20, 25, 50, 100) where the rate limit
allows it (the clock moves a window on between batches).
"""

from __future__ import annotations

import copy
import json

import pytest

from suites import expect, readings
from suites import support_templates as tpl
from suites.data import user_id
from suites.enumerations import CHANNEL_TYPES, TEMPLATE_STATUSES
from suites.support_connect import CUSTOMER_HOST
from suites.support_media import configure_relay
from suites.support_templates import template_request, unique_name


def _window(fiwano_profile) -> tuple[int, float]:
    rate = fiwano_profile["rate_limit"]
    return int(rate["requests"]), float(rate["window_seconds"])


# ------------------------------------------------------------------------------------------- relayed payloads


def _batch_of_two(payload: dict, channel_type: str, senders: list[tuple[str, str, str, str]]) -> dict:
    """Meta's webhook ``payload`` of one message, made into one webhook carrying a message per sender:
    (sender id, sender name, Meta message id, text) each. WhatsApp batches them in one change with one
    contact per sender; Instagram and Messenger as two messaging events of one entry."""
    batch = copy.deepcopy(payload)
    entry = batch["entry"][0]
    if channel_type == "whatsapp":
        value = entry["changes"][0]["value"]
        template, contact = value["messages"][0], value["contacts"][0]
        value["messages"], value["contacts"] = [], []
        for sender, name, mid, text in senders:
            message = copy.deepcopy(template)
            message.update({"from": sender, "id": mid, "type": "text", "text": {"body": text}})
            value["messages"].append(message)
            value["contacts"].append({**copy.deepcopy(contact), "wa_id": sender, "profile": {"name": name}})
        return batch
    template = entry["messaging"][0]
    entry["messaging"] = []
    for sender, _, mid, text in senders:
        event = copy.deepcopy(template)
        event["sender"] = {"id": sender}
        event["message"] = {"mid": mid, "text": text}
        entry["messaging"].append(event)
    return batch


@pytest.mark.req("RELAY-RECEIVED-PAYLOAD", "RELAY-FROM-NAME", "RELAY-RECEIVED-MESSAGE-ID", "RELAY-TEXT-VERBATIM",
                 "RELAY-ENVELOPE-VALUES")
@pytest.mark.level("controlled")
@pytest.mark.parametrize("channel_type", [  # data.from has a channel-specific rule each
    pytest.param("whatsapp", marks=pytest.mark.req("RELAY-FROM-WA"), id="whatsapp"),
    pytest.param("instagram", marks=pytest.mark.req("RELAY-FROM-IG"), id="instagram"),
    pytest.param("facebook", marks=pytest.mark.req("RELAY-FROM-FB"), id="facebook"),
])
def test_each_message_of_a_meta_batch_is_relayed_with_its_own_sender(account, channel, channel_type, simulator, sink,
                                                                     fiwano_config, rng):
    """Two users write in one Meta webhook: each relay carries its own message id, text, sender id and (on
    WhatsApp) the sender name of ITS contact entry, not the first one's; each conforms to the schema."""
    ch = channel(account(), channel_type)
    endpoint = sink()
    configure_relay(ch, endpoint, rng, req="RELAY-RECEIVED-PAYLOAD")
    first = simulator.emit_inbound(ch.world.world_id, ch.asset.asset_id, user_id(channel_type, rng), "text",
                                   text="first contact", sender_name="Opening Sender")
    endpoint.wait_for(1, fiwano_config.delivery_timeout, what="RELAY-RECEIVED-PAYLOAD: the first message")
    expect.check(isinstance(first.payload, dict) and first.payload.get("entry"), "RELAY-RECEIVED-PAYLOAD",
                 "the simulator's Meta webhook of the first message", "a Meta payload with entry", first.payload)
    tag = rng.randrange(10**9)
    prefix = "wamid.kit" if channel_type == "whatsapp" else "m_kit"
    senders = [(user_id(channel_type, rng), f"Ada Byron {tag}", f"{prefix}{tag}a", f"first of two ✓ {tag}"),
               (user_id(channel_type, rng), f"Grace Brewster {tag}", f"{prefix}{tag}b", f"second of two 👋 {tag}")]

    delivery = simulator.emit_raw_webhook(ch.world.world_id, _batch_of_two(first.payload, channel_type, senders))

    expect.check(delivery.ok, "RELAY-RECEIVED-PAYLOAD", "the target's answer to Meta's batch of two messages",
                 "HTTP 2xx", delivery.model_dump())
    relayed = endpoint.wait_for(3, fiwano_config.delivery_timeout, what="RELAY-RECEIVED-PAYLOAD: the two messages")
    payloads = [json.loads(r.body) for r in relayed[1:]]
    by_id = {(p.get("data") or {}).get("message_id"): p for p in payloads}
    expect.check(sorted(by_id) == sorted(s[2] for s in senders) and len(payloads) == 2, "RELAY-RECEIVED-MESSAGE-ID",
                 "data.message_id of the relays of the batch", sorted(s[2] for s in senders), sorted(map(str, by_id)))
    from_req = {"whatsapp": "RELAY-FROM-WA", "instagram": "RELAY-FROM-IG", "facebook": "RELAY-FROM-FB"}[channel_type]
    for (sender, name, mid, text), request in zip(senders, relayed[1:], strict=False):
        payload = by_id[mid]
        envelope = {k: payload.get(k) for k in ("event", "channel_id", "channel_type")}
        expect.check(envelope == {"event": "message.received", "channel_id": ch.id, "channel_type": channel_type},
                     "RELAY-ENVELOPE-VALUES", f"envelope of {mid}", "message.received of this channel", envelope)
        data = payload["data"]
        expected = {"message_id": mid, "from": sender, "type": "text", "text": text,
                    "from_name": name if channel_type == "whatsapp" else None}
        seen = {k: data.get(k, "<absent>") for k in expected}
        if channel_type != "whatsapp" and seen["from_name"] == "<absent>":
            seen["from_name"] = None  # "always null": an omitted field reads the same (readings of unset fields)
        wrong = {k: seen[k] for k in expected if seen[k] != expected[k]}
        req = ("RELAY-FROM-NAME" if "from_name" in wrong else from_req if "from" in wrong
               else "RELAY-TEXT-VERBATIM" if "text" in wrong else "RELAY-RECEIVED-PAYLOAD")
        expect.check(not wrong, req, f"data of the relay of {mid} (sender {sender})", expected, seen)
        expect.webhook_conforms(request.body, "RELAY-RECEIVED-PAYLOAD", event="message.received")


# ------------------------------------------------------------------------------------------- complete lists


@pytest.mark.req("REDIRECT-LIST", "REDIRECT-DELETE")
@pytest.mark.level("controlled")
def test_every_redirect_of_the_key_is_listed(account, clock, fiwano_profile, rng):
    """More patterns than a page of 100 (added in batches under the rate limit): the list holds each one with
    the id its creation returned, nothing else; after three deletions exactly the others."""
    limit, window = _window(fiwano_profile)
    owner = account()
    wanted = 101 + rng.randrange(10)
    created: dict[str, str] = {}
    batch = max(1, limit - 10)
    while len(created) < wanted:
        for _ in range(min(batch, wanted - len(created))):
            pattern = f"https://{CUSTOMER_HOST}/list-{len(created):03d}-{rng.randrange(10**6)}"
            response = expect.status(owner.client.request("POST", "/redirects", json={"uri_pattern": pattern}),
                                     (200, 201), "REDIRECT-LIST", f"add redirect #{len(created) + 1}")
            created[response.json()["id"]] = pattern
        clock.advance(window + 1)

    listed = _redirects(owner.client)
    gone = list(created)[:: max(1, wanted // 3)][:3]
    for redirect_id in gone:
        expect.check(200 <= owner.client.request("DELETE", f"/redirects/{redirect_id}").status_code < 300,
                     "REDIRECT-DELETE", f"DELETE /redirects/{redirect_id}", "HTTP 2xx", "refused")
    after = _redirects(owner.client)

    _same_items(listed, created, "REDIRECT-LIST", f"GET /redirects after adding {wanted} patterns")
    _same_items(after, {k: v for k, v in created.items() if k not in gone}, "REDIRECT-DELETE",
                f"GET /redirects after deleting {len(gone)} of {wanted}")


def _redirects(client) -> list[tuple[str, str]]:
    response = expect.status(client.request("GET", "/redirects"), 200, "REDIRECT-LIST", "GET /redirects")
    items = readings.list_items(response, "redirects", "REDIRECT-LIST", "GET /redirects")
    return [(str(i.get("id")), i.get("uri_pattern")) for i in items if isinstance(i, dict)]


def _same_items(listed: list[tuple[str, str]], expected: dict[str, str], req: str, what: str) -> None:
    extra = [item for item in listed if expected.get(item[0]) != item[1]]
    missing = sorted(set(expected.items()) - set(listed))
    duplicated = len(listed) - len(set(listed))
    expect.check(not extra and not missing and not duplicated, req, what,
                 f"exactly the {len(expected)} items created (id and pattern)",
                 f"{len(listed)} listed; missing {len(missing)} {missing[:3]}; unexpected {extra[:3]}; "
                 f"{duplicated} duplicated")


@pytest.mark.req("CHANNEL-LIST")
@pytest.mark.level("controlled")
def test_every_channel_of_the_account_is_listed(account, channel, world):
    """Seven channels of each type, one of each deleted: the list holds all of them, each with its type and
    is_active, and total counts them."""
    owner = account()
    per_type = 7
    made = {}
    for channel_type in CHANNEL_TYPES:
        seeded = world(*([channel_type] * per_type))
        assets = [a for a in seeded.assets if a.channel == channel_type]
        for asset in assets[:per_type]:
            ch = _connect(owner, channel_type, seeded, asset, channel)
            made[ch.id] = [channel_type, True]
    for channel_type in CHANNEL_TYPES:
        victim = next(cid for cid, (kind, _) in made.items() if kind == channel_type)
        expect.check(200 <= owner.client.delete_channel(victim).status_code < 300, "CHANNEL-LIST",
                     f"DELETE a {channel_type} channel", "HTTP 2xx", "refused")
        made[victim][1] = False

    body = expect.json_object(expect.status(owner.client.list_channels(), 200, "CHANNEL-LIST", "GET /channels"),
                              "CHANNEL-LIST", "GET /channels")
    items = body.get("channels") if isinstance(body.get("channels"), list) else []
    seen = {str(c.get("id")): [c.get("channel_type"), c.get("is_active")] for c in items if isinstance(c, dict)}

    expect.check(len(items) == len(seen) == len(made) and seen == made, "CHANNEL-LIST",
                 f"GET /channels of an account with {len(made)} channels ({len(CHANNEL_TYPES)} deleted)",
                 f"each once with its channel_type and is_active: {len(made)} items",
                 {"listed": len(items), "missing": sorted(set(made) - set(seen))[:5],
                  "unexpected": sorted(set(seen) - set(made))[:5],
                  "wrong": {k: seen[k] for k in set(seen) & set(made) if seen[k] != made[k]}})
    expect.check(body.get("total") == len(made), "CHANNEL-LIST", "total", len(made), body.get("total"))


def _connect(owner, channel_type: str, seeded, asset, channel):
    """The ``channel`` fixture connects a world's FIRST asset of a type; for the others, the harness call
    with the asset's own ids (the same the fixture uses)."""
    from suites.fixtures import Channel

    if asset is seeded.asset(channel_type):
        return channel(owner, channel_type, world=seeded)
    data = owner._harness.connect_channel(owner.account_id, channel_type, asset.asset_id, asset.access_token,
                                          waba_id=getattr(asset, "waba_id", None),
                                          page_id=getattr(asset, "page_id", None))
    channel_id = data.get("id") or data.get("channel_id")
    return Channel(channel_id, channel_type, owner, seeded, asset, data)


@pytest.mark.req("TPL-LIST-STATUS-FILTER")
@pytest.mark.level("controlled")
@pytest.mark.parametrize("channel_type", ["whatsapp"])
def test_every_template_is_listed_under_its_status(account, channel, channel_type, simulator, rng):
    """Seven templates in each status of the contract's enum: the unfiltered list holds all of them, each
    status filter exactly its own, with the status Meta gave."""
    wa = channel(account(tier="pro", subscription_status="active", source="paddle"), channel_type)
    per_status = 7
    names = {status: [unique_name(rng, status.lower()) for _ in range(per_status)] for status in TEMPLATE_STATUSES}
    for status, group in names.items():
        for name in group:
            tpl.created(tpl.create(wa.client, wa.id, template_request(name)), "TPL-LIST-STATUS-FILTER",
                        f"create {name}")
            if status != "PENDING":
                tpl.review(simulator, wa, name, status)

    everything = sorted((t.get("name"), tpl.status_of(t)) for t in tpl.listed(wa.client, wa.id,
                                                                               "TPL-LIST-STATUS-FILTER"))
    wanted = sorted((name, status) for status, group in names.items() for name in group)
    expect.check(everything == wanted, "TPL-LIST-STATUS-FILTER", f"the list of {len(wanted)} templates without a "
                 "filter", f"each once with its status ({len(wanted)})",
                 {"listed": len(everything), "missing": sorted(set(wanted) - set(everything))[:5],
                  "unexpected": sorted(set(everything) - set(wanted))[:5]})
    for status, group in names.items():
        shown = sorted((t.get("name"), tpl.status_of(t)) for t in tpl.listed(wa.client, wa.id,
                                                                             "TPL-LIST-STATUS-FILTER",
                                                                             status=status))
        expect.check(shown == sorted((n, status) for n in group), "TPL-LIST-STATUS-FILTER",
                     f"list with status={status}", f"exactly its {per_status} templates", shown)


@pytest.mark.req("RELAY-MEDIA-PAYLOAD", "RELAY-FROM-NAME", "RELAY-ENVELOPE-VALUES")
@pytest.mark.level("controlled")
@pytest.mark.parametrize("channel_type", [
    pytest.param("whatsapp", marks=pytest.mark.req("RELAY-FROM-WA", "RELAY-MEDIA-TYPES-WA"), id="whatsapp"),
    pytest.param("instagram", marks=pytest.mark.req("RELAY-FROM-IG", "RELAY-MEDIA-TYPES-IGFB"), id="instagram"),
    pytest.param("facebook", marks=pytest.mark.req("RELAY-FROM-FB", "RELAY-MEDIA-TYPES-IGFB"), id="facebook"),
])
def test_every_media_type_is_relayed_with_its_sender(account, channel, channel_type, simulator, sink, fiwano_config,
                                                     rng):
    """Each media type the contract lists for the channel, each from another user with another name: the
    relay carries that message's id, its sender and (WhatsApp) the sender's name, the type the docs name,
    and conforms to the schema. The media object itself is checked field by field in test_inbound_types."""
    from suites.support_media import INBOUND_MEDIA

    ch = channel(account(), channel_type)
    endpoint = sink()
    configure_relay(ch, endpoint, rng, req="RELAY-MEDIA-PAYLOAD")
    sent = []
    for index, (kind, mime) in enumerate(INBOUND_MEDIA[channel_type]):
        sender, name = user_id(channel_type, rng), f"Sender {kind} {rng.randrange(10**6)}"
        result = simulator.emit_inbound(ch.world.world_id, ch.asset.asset_id, sender, kind,
                                        content=rng.randbytes(1500 + index), media={"mime_type": mime},
                                        sender_name=name if channel_type == "whatsapp" else None)
        expect.check(result.delivery.ok, "RELAY-MEDIA-PAYLOAD", f"the target's answer to Meta's {kind} webhook",
                     "HTTP 2xx", result.delivery.model_dump())
        expected_type = "file" if kind == "document" and channel_type != "whatsapp" else kind
        sent.append((result.message_id, sender, name if channel_type == "whatsapp" else None, expected_type))

    relayed = endpoint.wait_for(len(sent), fiwano_config.delivery_timeout,
                                what=f"RELAY-MEDIA-PAYLOAD: {len(sent)} media messages")
    by_id = {(json.loads(r.body).get("data") or {}).get("message_id"): r for r in relayed}
    expect.check(sorted(by_id) == sorted(s[0] for s in sent) and len(relayed) == len(sent), "RELAY-MEDIA-PAYLOAD",
                 "message ids of the media relays", sorted(s[0] for s in sent), sorted(map(str, by_id)))
    from_req = {"whatsapp": "RELAY-FROM-WA", "instagram": "RELAY-FROM-IG", "facebook": "RELAY-FROM-FB"}[channel_type]
    for mid, sender, name, expected_type in sent:
        payload = json.loads(by_id[mid].body)
        data = payload.get("data") or {}
        if expected_type == "sticker":  # type "sticker" (v1 docs) or "image" with media.sticker (2026-09-14)
            as_image = data.get("type") == "image" and (data.get("media") or {}).get("sticker") is True
            readings.accepts("RELAY-MEDIA-TYPES-WA", "sticker-as-image" if as_image else "sticker-type",
                             what="a WhatsApp sticker relayed", seen=data.get("type"))
            expected_type = "image" if as_image else "sticker"
        seen = {"event": payload.get("event"), "channel_id": payload.get("channel_id"),
                "channel_type": payload.get("channel_type"), "from": data.get("from"),
                "from_name": data.get("from_name"), "type": data.get("type")}
        expected = {"event": "message.received", "channel_id": ch.id, "channel_type": channel_type, "from": sender,
                    "from_name": name, "type": expected_type}
        wrong = [k for k in expected if seen[k] != expected[k]]
        req = ("RELAY-FROM-NAME" if "from_name" in wrong else from_req if "from" in wrong
               else "RELAY-ENVELOPE-VALUES" if set(wrong) & {"event", "channel_id", "channel_type"}
               else "RELAY-MEDIA-PAYLOAD")
        expect.check(not wrong, req, f"relay of the {expected_type} {mid}", expected, seen)
        expect.webhook_conforms(by_id[mid].body, "RELAY-MEDIA-PAYLOAD", event="message.received")
