"""Profile fiwano-2026-10, changelog 2026-07 "template sends tracked": a template send gets the same kind of
Fiwano message_id (a UUID) as a free-form send, and every status event of it (sent, delivered, read, failed)
carries that id.

v1's TPL-SEND-OK already asks for the UUID and a delivered status; this tests every status Meta reports.
"""

from __future__ import annotations

import pytest

from suites import expect
from suites import support_templates as tpl
from suites.data import secret, user_id
from suites.support_templates import LANGUAGE, body_component, unique_name

PLAIN = [body_component("Your order has shipped. Thank you!", example=None)]
STATUSES = ["sent", "delivered", "read", "failed"]


@pytest.mark.req("TPL-SEND-TRACKED")
@pytest.mark.level("simulated")
@pytest.mark.parametrize("status", STATUSES)
def test_template_send_statuses_carry_its_fiwano_id(account, channel, simulator, sink, fiwano_config, rng, status):
    wa = channel(account(tier="pro", subscription_status="active", source="paddle"), "whatsapp")
    name = unique_name(rng)
    tpl.new_template(wa.client, wa, simulator, name, components=PLAIN)
    endpoint = sink()
    expect.status(wa.client.patch_channel(wa.id, {"webhook_url": endpoint.url, "webhook_secret": secret(rng),
                                                  "webhook_events": [f"message.{status}"]}), 200,
                  "TPL-SEND-TRACKED", "PATCH webhook settings")

    response = tpl.send_template(wa.client, {"channel_id": wa.id, "template_name": name, "language": LANGUAGE,
                                             "recipient": user_id("whatsapp", rng)})

    expect.status(response, 200, "TPL-SEND-TRACKED", "send an approved template")
    answer = response.json() or {}
    expect.check(expect.UUID_FORMAT.match(str(answer.get("message_id"))), "TPL-SEND-TRACKED",
                 "message_id of a template send", "a Fiwano UUID", answer)
    wamid = [m.message_id for m in simulator.sent_messages(wa.world.world_id) if m.type == "template"]
    expect.check(len(wamid) == 1, "TPL-SEND-TRACKED", "template messages Meta accepted", "one", wamid)
    simulator.emit_status(wa.world.world_id, wamid[0], status)
    delivery = endpoint.wait_for(1, fiwano_config.delivery_timeout, what=f"TPL-SEND-TRACKED: message.{status}")[0]
    payload = delivery.json() or {}
    data = payload.get("data") or {}
    expect.check(payload.get("event") == f"message.{status}" and data.get("message_id") == answer.get("message_id"),
                 "TPL-SEND-TRACKED", f"message.{status} of the template message",
                 f"data.message_id {answer.get('message_id')!r}", payload)
