"""Profile fiwano-2026-10, changelog 2026-09 "message.echo": with message.echo enabled on a channel, a copy of
every message the business sent outside Fiwano (WhatsApp Business app, Page or Instagram inbox, another
integration), never of the messages sent through Fiwano's API; delivered / read statuses of those echoes may
follow as status events of the echo's id.

What Meta sends (simulator/echoes.py): WhatsApp ``smb_message_echoes``; Messenger and Instagram a
``messaging[]`` event from the business with ``message.is_echo``, which Meta sends for the target's own sends
too (asked for as status ``echo`` of the send).
"""

from __future__ import annotations

import pytest

from suites import expect
from suites.data import secret, user_id
from suites.support_relay import collect, configure, emit, payload_of, sent_message

#: the status Meta reports for a message on each channel (Instagram has no delivery webhooks)
ECHO_STATUSES = {"whatsapp": ("delivered", "read"), "facebook": ("delivered",), "instagram": ("read",)}


def _subscribed(account, channel, channel_type, sink, rng, events):
    ch = channel(account(), channel_type)
    endpoint = sink()
    configure(ch, {"webhook_url": endpoint.url, "webhook_secret": secret(rng), "webhook_events": events})
    return ch, endpoint


def _echo(simulator, ch, to: str, text: str, req: str):
    result = simulator.emit_echo(ch.world.world_id, ch.asset.asset_id, to, text)
    expect.check(result.delivery.ok, req, "the target's answer to Meta's signed echo webhook", "HTTP 2xx",
                 result.delivery.model_dump())
    return result


def _echoes(requests, req):
    payloads = [payload_of(request, req) for request in requests]
    return [p for p in payloads if p.get("event") == "message.echo"]


@pytest.mark.req("RELAY-ECHO")
@pytest.mark.level("simulated")
def test_message_sent_outside_fiwano_is_echoed(account, channel, channel_type, sink, simulator, fiwano_config, rng):
    ch, endpoint = _subscribed(account, channel, channel_type, sink, rng, ["message.echo"])
    text = f"answered from the inbox #{rng.randrange(10**6)}"

    _echo(simulator, ch, user_id(channel_type, rng), text, "RELAY-ECHO")

    delivery = endpoint.wait_for(1, fiwano_config.delivery_timeout,
                                 what="RELAY-ECHO: message.echo of a message sent outside Fiwano")[0]
    payload = payload_of(delivery, "RELAY-ECHO")
    data = payload.get("data") or {}
    expect.check(payload.get("event") == "message.echo" and data.get("type") == "text" and data.get("text") == text
                 and isinstance(data.get("message_id"), str) and data["message_id"],
                 "RELAY-ECHO", f"the webhook of a {channel_type} message the business sent outside Fiwano",
                 f'message.echo with data.message_id, type "text" and text {text!r}', payload)
    expect.webhook_conforms(delivery.body, "RELAY-ECHO", event="message.echo")


@pytest.mark.req("RELAY-ECHO")
@pytest.mark.level("simulated")
def test_no_echo_unless_enabled(account, channel, channel_type, sink, simulator, fiwano_config, rng):
    ch, endpoint = _subscribed(account, channel, channel_type, sink, rng, ["message.received"])
    user = user_id(channel_type, rng)
    _echo(simulator, ch, user, f"not to be echoed #{rng.randrange(10**6)}", "RELAY-ECHO")
    marker = f"the user answers #{rng.randrange(10**6)}"

    emit(simulator, ch, user, "text", req="RELAY-ECHO", text=marker)

    seen = collect(endpoint, 1, fiwano_config, "RELAY-ECHO: the message.received sent after the echo")
    events = [payload_of(request, "RELAY-ECHO").get("event") for request in seen]
    expect.check(events == ["message.received"], "RELAY-ECHO",
                 f"webhooks of a {channel_type} channel without message.echo after an echo and a message",
                 ["message.received"], events)


@pytest.mark.req("RELAY-ECHO-NOT-OWN-SENDS")
@pytest.mark.level("simulated")
def test_sends_through_the_api_are_not_echoed(account, channel, channel_type, sink, simulator, fiwano_config, rng):
    ch, endpoint = _subscribed(account, channel, channel_type, sink, rng, ["message.echo"])
    own = f"sent through the API #{rng.randrange(10**6)}"
    recipient, _, meta_id = sent_message(simulator, ch, rng, own)
    if channel_type != "whatsapp":  # Meta echoes every Page / Instagram send, the target's own ones too
        result = simulator.emit_status(ch.world.world_id, meta_id, "echo")
        expect.check(result.delivery.ok, "RELAY-ECHO-NOT-OWN-SENDS", "the target's answer to Meta's echo of its send",
                     "HTTP 2xx", result.delivery.model_dump())
    outside = f"and one from the inbox #{rng.randrange(10**6)}"
    _echo(simulator, ch, recipient, outside, "RELAY-ECHO")

    echoes = _echoes(collect(endpoint, 1, fiwano_config, "RELAY-ECHO: message.echo of the message sent outside"),
                     "RELAY-ECHO-NOT-OWN-SENDS")
    texts = [(e.get("data") or {}).get("text") for e in echoes]
    expect.check(outside in texts, "RELAY-ECHO", f"message.echo of a {channel_type} message sent outside Fiwano",
                 f"an echo with text {outside!r}", echoes)
    expect.check(own not in texts, "RELAY-ECHO-NOT-OWN-SENDS",
                 f"message.echo webhooks after a {channel_type} send through the API and one from outside",
                 f"only the echo of {outside!r}, none of {own!r}", echoes)


@pytest.mark.req("RELAY-ECHO-STATUSES")
@pytest.mark.level("simulated")
def test_statuses_of_an_echo_name_its_id(account, channel, channel_type, sink, simulator, fiwano_config, rng):
    ch, endpoint = _subscribed(account, channel, channel_type, sink, rng,
                               ["message.echo", "message.delivered", "message.read"])
    text = f"answered from the Business app #{rng.randrange(10**6)}"
    echoed = _echo(simulator, ch, user_id(channel_type, rng), text, "RELAY-ECHO")
    first = endpoint.wait_for(1, fiwano_config.delivery_timeout, what="RELAY-ECHO: the echo")[0]
    echo_id = (payload_of(first, "RELAY-ECHO").get("data") or {}).get("message_id")
    statuses = ECHO_STATUSES[channel_type]

    for status in statuses:
        result = simulator.emit_status(ch.world.world_id, echoed.message_id, status)
        expect.check(result.delivery.ok, "RELAY-ECHO-STATUSES", f"the target's answer to Meta's {status} webhook",
                     "HTTP 2xx", result.delivery.model_dump())

    seen = collect(endpoint, 1 + len(statuses), fiwano_config,
                   f"RELAY-ECHO-STATUSES: {', '.join(statuses)} of the echoed message")
    reported = {}
    for request in seen[1:]:
        payload = payload_of(request, "RELAY-ECHO-STATUSES")
        reported.setdefault(payload.get("event"), (payload.get("data") or {}).get("message_id"))
    for status in statuses:
        expect.check(reported.get(f"message.{status}") == echo_id, "RELAY-ECHO-STATUSES",
                     f"message.{status} of a {channel_type} echo", f"data.message_id {echo_id!r} (the echo's)",
                     reported)
