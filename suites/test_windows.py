"""The 24-hour customer service windows: a text after the customer's last message is older than 24 hours is
refused by Meta and answered as a permanent failure, never retried.

Spec: fiwano-api.md "Important Notes / WhatsApp 24-hour window" and "Instagram & Facebook 24-hour window".
The simulator enforces Meta's window on its world clock; the ``clock`` fixture moves the target's and the
world's clocks together. WhatsApp reports 131047 asynchronously (a failed status) by default, or
synchronously (a 400) in the world option ``whatsapp_window_error: sync``; both are tried.
"""

from __future__ import annotations

import pytest

from suites import expect
from suites.data import ascii_text, secret, user_id
from suites.support_sending import (accepted_for, calls_for, configure_webhook, open_window, send_body)


@pytest.mark.req("SEND-WINDOW-WA")
@pytest.mark.level("controlled")
@pytest.mark.parametrize("channel_type", ["whatsapp"])
@pytest.mark.parametrize("meta_mode", ["async", "sync"])
def test_whatsapp_text_outside_the_window_fails_permanently(account, channel, channel_type, world, simulator, clock,
                                                            sink, fiwano_profile, fiwano_config, rng, meta_mode):
    owner = account()
    seeded = world(channel_type)
    simulator.set_options(seeded.world_id, whatsapp_window_error=meta_mode)
    ch = channel(owner, channel_type, world=seeded)
    endpoint = sink()
    configure_webhook(ch, endpoint.url, ["message.failed"], secret(rng))
    recipient = user_id(channel_type, rng)
    inside, outside = f"inside {ascii_text(8, rng)}", f"outside {ascii_text(8, rng)}"
    open_window(simulator, ch, recipient, "SEND-WINDOW-WA")
    first = send_body(owner.client.send_text(ch.id, recipient, inside), "SEND-WINDOW-WA", "send inside the window")
    expect.check(first.get("success") is True and first.get("status") != "queued", "SEND-WINDOW-WA",
                 "send within 24 hours of the customer's message", "accepted", first)
    clock.advance(float(fiwano_profile["customer_service_window_seconds"]) + 1, worlds=(ch.world,))

    body = send_body(owner.client.send_text(ch.id, recipient, outside), "SEND-WINDOW-WA",
                     "send 24 hours after the customer's last message")

    expect.check(body.get("status") != "queued", "SEND-WINDOW-WA", "send answer outside the window",
                 "not queued (131047 is permanent)", body)
    if meta_mode == "sync":
        expect.check(body.get("success") is False and body.get("status") == "failed", "SEND-WINDOW-WA",
                     "send answer when Meta refuses with 131047 at once",
                     '{"success": false, "status": "failed", ...}', body)
    else:
        payload = endpoint.wait_for(1, fiwano_config.delivery_timeout, what="SEND-WINDOW-WA: message.failed")[0].json()
        data = payload.get("data") or {}
        codes = [e.get("code") for e in data.get("errors") or [] if isinstance(e, dict)]
        window_codes = set(fiwano_profile["meta_error_codes"]["outside_window"])
        expect.check(payload.get("event") == "message.failed" and data.get("message_id") == body.get("message_id")
                     and window_codes & set(codes), "SEND-WINDOW-WA", "webhook after Meta's asynchronous 131047",
                     f"message.failed for {body.get('message_id')} with an errors code in {sorted(window_codes)}",
                     payload)
    clock.advance(float(fiwano_profile["send_retry"]["deadline_seconds"]) * 1.5, worlds=(ch.world,))
    calls = calls_for(simulator, ch, outside)
    expect.check(len(calls) == 1, "SEND-WINDOW-WA", "calls to Meta for the text outside the window",
                 "exactly 1 (not retried)", [c.status for c in calls])


@pytest.mark.req("SEND-WINDOW-IGFB")
@pytest.mark.level("controlled")
def test_instagram_and_messenger_reply_outside_the_window_fails(account, channel, channel_type, simulator, clock,
                                                                fiwano_profile, rng):
    owner = account()
    ch = channel(owner, channel_type)
    recipient = user_id(channel_type, rng)
    inside, outside = f"inside {ascii_text(8, rng)}", f"outside {ascii_text(8, rng)}"
    open_window(simulator, ch, recipient, "SEND-WINDOW-IGFB")
    first = send_body(owner.client.send_text(ch.id, recipient, inside), "SEND-WINDOW-IGFB", "send inside the window")
    expect.check(first.get("success") is True and len(accepted_for(simulator, ch, inside)) == 1, "SEND-WINDOW-IGFB",
                 "send within 24 hours of the user's message", "accepted by Meta", first)
    clock.advance(float(fiwano_profile["customer_service_window_seconds"]) + 1, worlds=(ch.world,))

    body = send_body(owner.client.send_text(ch.id, recipient, outside), "SEND-WINDOW-IGFB",
                     "reply 24 hours after the user's last message")
    clock.advance(float(fiwano_profile["send_retry"]["deadline_seconds"]) * 1.5, worlds=(ch.world,))

    expect.check(body.get("success") is False and body.get("status") == "failed"
                 and isinstance(body.get("error"), str) and body["error"], "SEND-WINDOW-IGFB",
                 "answer when Meta refuses the reply (outside the window)",
                 '{"success": false, "status": "failed", "error": "..."}', body)
    calls = calls_for(simulator, ch, outside)
    expect.check(len(calls) == 1 and not accepted_for(simulator, ch, outside), "SEND-WINDOW-IGFB",
                 "calls to Meta for the reply outside the window", "exactly 1, refused (not retried)",
                 [c.status for c in calls])
