"""send-template: WhatsApp only, required fields, APPROVED templates only, positional / named / no variables
reaching Meta as template parameters, the message_id used by status webhooks, sends outside the 24-hour window.

Spec: fiwano-api.md "Sending Messages / POST /api/v1/messages/send-template" and "Important Notes /
WhatsApp 24-hour window". Templates are created through the target and reviewed by the simulator (Meta);
the journal shows what reached Meta's send endpoint.
"""

from __future__ import annotations

import json

import pytest

from suites import expect, readings
from suites import support_templates as tpl
from suites.data import secret, user_id
from suites.support_templates import LANGUAGE, body_component, unique_name

POSITIONAL = [
    {"type": "HEADER", "format": "TEXT", "text": "{{1}} is here", "example": {"header_text": ["Summer Sale"]}},
    {"type": "BODY", "text": "Hi {{1}}, your order {{2}} gets {{3}} off.",
     "example": {"body_text": [["Pablo", "ORD-123", "25%"]]}},
    {"type": "BUTTONS", "buttons": [{"type": "URL", "text": "Redeem", "url": "https://example.com/p/{{1}}",
                                     "example": ["https://example.com/p/promo25"]}]},
]
NAMED = [{"type": "BODY", "text": "Hi {{customer_name}}, order {{order_number}} is ready.",
          "example": {"body_text_named_params": [{"param_name": "customer_name", "example": "Pablo"},
                                                 {"param_name": "order_number", "example": "ORD-123"}]}}]
PLAIN = [body_component("Your order has shipped. Thank you!", example=None)]
# One button of each type that takes a value at send time, in an order where a URL-only sender shows.
BUTTON_KINDS = [
    body_component("Your code is ready.", example=None),
    {"type": "BUTTONS", "buttons": [
        {"type": "QUICK_REPLY", "text": "Stop promotions"},
        {"type": "URL", "text": "Redeem", "url": "https://example.com/p/{{1}}", "example": ["https://example.com/p/a1"]},
        {"type": "COPY_CODE", "example": "SUMMER25"}]},
]
# What Meta expects per button type (meta-facts.md "send-template"; Meta's Cloud API template components):
# sub_type and the one parameter's type and value key.
BUTTON_PARAMETERS = {0: ("quick_reply", "payload"), 1: ("url", "text"), 2: ("copy_code", "coupon_code")}


@pytest.fixture
def wa(account, channel):
    return channel(account(tier="pro", subscription_status="active", source="paddle"), "whatsapp")


def request_body(ch, name: str, recipient: str, variables=None, language: str = LANGUAGE) -> dict:
    body = {"channel_id": ch.id, "template_name": name, "language": language, "recipient": recipient}
    if variables is not None:
        body["variables"] = variables
    return body


def sent_ok(response, req, what: str) -> dict:
    expect.status(response, 200, req, what)
    body = expect.json_object(expect.conforms(response, req), req, what)
    expect.check(body.get("success") is True and expect.UUID_FORMAT.match(str(body.get("message_id"))), req, what,
                 '{"success": true, "message_id": "<UUID>"}', body)
    return body


def one_send(simulator, ch, since: int, req) -> dict:
    sends = tpl.template_sends(simulator, ch.world.world_id, since)
    expect.check(len(sends) == 1, req, "template sends Meta received", "exactly one", sends)
    return sends[0]


def component(sent: dict, kind: str) -> list[dict]:
    return [c for c in (sent.get("template") or {}).get("components") or [] if str(c.get("type", "")).lower() == kind]


def texts(parameters) -> list:
    return [p.get("text") for p in parameters or []]


@pytest.mark.req("TPL-SEND-WA-ONLY")
@pytest.mark.level("simulated")
def test_send_template_refuses_other_channels(account, channel, channel_type, simulator, rng):
    ch = channel(account(), channel_type)
    since = tpl.last_seq(simulator, ch.world.world_id)

    response = tpl.send_template(ch.client, request_body(ch, unique_name(rng), user_id(channel_type, rng)))

    expect.check(400 <= response.status_code < 500, "TPL-SEND-WA-ONLY", f"send-template on a {channel_type} channel",
                 "a 4xx refusal", expect.describe(response))
    expect.error_detail(response, "TPL-SEND-WA-ONLY", "error body", string=False)
    south = tpl.message_sends(simulator, ch.world.world_id, since)
    expect.check(not south, "TPL-SEND-WA-ONLY", "sends to Meta", "none", tpl.describe_calls(south))


@pytest.mark.req("TPL-SEND-REQUIRED-FIELDS")
@pytest.mark.level("simulated")
@pytest.mark.parametrize("missing", ["channel_id", "template_name", "language", "recipient"])
def test_send_template_requires_its_fields(wa, simulator, rng, missing):
    name = unique_name(rng)
    tpl.new_template(wa.client, wa, simulator, name, components=PLAIN)
    body = request_body(wa, name, user_id("whatsapp", rng))
    del body[missing]
    since = tpl.last_seq(simulator, wa.world.world_id)

    response = tpl.send_template(wa.client, body)

    readings.validation_refused(response, "TPL-SEND-REQUIRED-FIELDS", f"send-template without {missing}")
    expect.error_detail(response, "TPL-SEND-REQUIRED-FIELDS", "error body", string=False)
    south = tpl.message_sends(simulator, wa.world.world_id, since)
    expect.check(not south, "TPL-SEND-REQUIRED-FIELDS", "sends to Meta", "none", tpl.describe_calls(south))


@pytest.mark.req("TPL-SEND-APPROVED-ONLY")
@pytest.mark.level("simulated")
@pytest.mark.parametrize("status", ["PENDING", "REJECTED", "ABSENT"])
def test_only_approved_templates_are_sent(wa, simulator, fiwano_profile, record_property, rng, status):
    """PENDING and REJECTED templates, and a name the channel has no template of (ABSENT, found by the
    mutation audit: its error path had no test), are refused without a send to Meta."""
    name = unique_name(rng)
    if status != "ABSENT":
        tpl.new_template(wa.client, wa, simulator, name, status=status, components=PLAIN)
    since = tpl.last_seq(simulator, wa.world.world_id)

    response = tpl.send_template(wa.client, request_body(wa, name, user_id("whatsapp", rng)))

    south = tpl.message_sends(simulator, wa.world.world_id, since)
    expect.check(not south, "TPL-SEND-APPROVED-ONLY", f"sends to Meta of a {status} template", "none",
                 tpl.describe_calls(south))
    body = response.json() if response.headers.get("content-type", "").startswith("application/json") else None
    reading = ("client-error" if response.status_code == 400 and isinstance(body, dict) and body.get("detail") else
               "failed-result" if response.status_code == 200 and isinstance(body, dict)
               and body.get("success") is False and body.get("status") == "failed" and body.get("error") else None)
    expect.check(reading is not None, "TPL-SEND-APPROVED-ONLY", f"send-template of a {status} template",
                 '400 {"detail"} (client-error) or 200 {"success": false, "status": "failed", "error"} (failed-result)',
                 expect.describe(response))
    readings.accepts("TPL-SEND-APPROVED-ONLY", reading, what=f"send-template of a {status} template")


@pytest.mark.req("TPL-SEND-POSITIONAL", "TPL-SEND-OK")
@pytest.mark.level("simulated")
def test_positional_variables_reach_meta_in_order(wa, simulator, sink, fiwano_config, rng):
    name = unique_name(rng)
    tpl.new_template(wa.client, wa, simulator, name, components=POSITIONAL)
    endpoint = sink()
    expect.status(wa.client.patch_channel(wa.id, {"webhook_url": endpoint.url, "webhook_secret": secret(rng),
                                                  "webhook_events": ["message.delivered"]}), 200,
                  "TPL-SEND-OK", "PATCH webhook settings")
    recipient = user_id("whatsapp", rng)
    body, order = ["Pablo", "ORD-123", "25%"], ["promo25"]
    since = tpl.last_seq(simulator, wa.world.world_id)

    response = tpl.send_template(wa.client, request_body(wa, name, recipient, {
        "header": ["Summer Sale"], "body": body, "buttons": [{"index": 0, "value": order[0]}]}))

    answer = sent_ok(response, "TPL-SEND-OK", "send an approved template with positional variables")
    sent = one_send(simulator, wa, since, "TPL-SEND-POSITIONAL")
    template = sent.get("template") or {}
    expect.check((sent.get("to"), template.get("name"), (template.get("language") or {}).get("code"))
                 == (recipient, name, LANGUAGE), "TPL-SEND-POSITIONAL", "recipient, template name and language at Meta",
                 (recipient, name, LANGUAGE), sent)
    header, main = component(sent, "header"), component(sent, "body")
    seen = {"header": texts(header[0].get("parameters")) if header else None,
            "body": texts(main[0].get("parameters")) if main else None}
    expect.check(seen == {"header": ["Summer Sale"], "body": body}, "TPL-SEND-POSITIONAL",
                 "header and body parameters at Meta, in order", {"header": ["Summer Sale"], "body": body}, seen)
    buttons = component(sent, "button")
    values = [[p.get("text") or p.get("payload") or p.get("coupon_code") for p in b.get("parameters") or []]
              for b in buttons]
    expect.check(len(buttons) == 1 and str(buttons[0].get("index")) == "0" and values == [order],
                 "TPL-SEND-POSITIONAL", "button parameters at Meta", "one button, index 0, value 'promo25'", buttons)

    wamid = [m.message_id for m in simulator.sent_messages(wa.world.world_id) if m.type == "template"]
    expect.check(len(wamid) == 1, "TPL-SEND-OK", "template messages Meta accepted", "one", wamid)
    simulator.emit_status(wa.world.world_id, wamid[0], "delivered")
    delivery = endpoint.wait_for(1, fiwano_config.delivery_timeout, what="TPL-SEND-OK: message.delivered")[0]
    data = (delivery.json() or {}).get("data") or {}
    expect.check(data.get("message_id") == answer["message_id"] and data.get("status") == "delivered", "TPL-SEND-OK",
                 "message.delivered of the template message", f"data.message_id {answer['message_id']!r}",
                 delivery.json())


@pytest.mark.req("TPL-SEND-POSITIONAL", "TPL-SEND-OK")
@pytest.mark.level("simulated")
def test_button_variables_reach_meta_as_their_button_type(wa, simulator, rng):
    """Each button variable reaches Meta as the component of its button's type (quick_reply/payload,
    url/text, copy_code/coupon_code), whatever its index: found by the mutation audit (a sender that sent
    every button value as a URL parameter passed, as the only button under test was a URL one).

    The body is sent as ASCII-only JSON (non-ASCII text as \\u escapes), as Python's json.dumps and the
    requests library write it: any valid JSON encoding of the body means the same request (RFC 8259)."""
    name = unique_name(rng)
    tpl.new_template(wa.client, wa, simulator, name, components=BUTTON_KINDS)
    values = {0: "stöp-promo-7 ✓ 😀", 1: "a1b2c3", 2: "SAVE25NOW"}  # sent as \u00f6, \u2713 and a surrogate pair
    since = tpl.last_seq(simulator, wa.world.world_id)
    body = request_body(wa, name, user_id("whatsapp", rng), {
        "buttons": [{"index": index, "value": value} for index, value in values.items()]})

    response = wa.client.request("POST", "/messages/send-template", content=json.dumps(body).encode("ascii"),
                                 headers={"Content-Type": "application/json"})

    sent_ok(response, "TPL-SEND-OK", "send a template with quick-reply, URL and copy-code button variables")
    buttons = component(one_send(simulator, wa, since, "TPL-SEND-POSITIONAL"), "button")
    seen = {str(b.get("index")): (str(b.get("sub_type", "")).lower(),
                                  [(p.get("type"), p.get(p.get("type"))) for p in b.get("parameters") or []])
            for b in buttons}
    wanted = {str(index): (sub, [(kind, values[index])]) for index, (sub, kind) in BUTTON_PARAMETERS.items()}
    expect.check(len(buttons) == 3 and seen == wanted, "TPL-SEND-POSITIONAL",
                 "button components at Meta: index -> (sub_type, [(parameter type, value)])", wanted, buttons)


@pytest.mark.req("TPL-LIFECYCLE", "TPL-SEND-APPROVED-ONLY", "TPL-SEND-OK")
@pytest.mark.level("simulated")
def test_a_template_meta_approved_since_creation_is_sent(wa, simulator, rng):
    """Meta approves a template the target created (and tells it, as Meta does, by its status webhook); a
    send right after, with no list call between, is sent: the status Meta decided is what counts, learnt
    from the webhook or by asking Meta. Found by the mutation audit (a target that refused any template it
    last saw PENDING passed, as every test listed the templates before sending)."""
    name = unique_name(rng)
    tpl.new_template(wa.client, wa, simulator, name, status="PENDING", components=PLAIN)
    tpl.review(simulator, wa, name, "APPROVED")
    since = tpl.last_seq(simulator, wa.world.world_id)

    response = tpl.send_template(wa.client, request_body(wa, name, user_id("whatsapp", rng)))

    sent_ok(response, ("TPL-LIFECYCLE", "TPL-SEND-OK"), "send-template of a template Meta approved after creation")
    template = one_send(simulator, wa, since, "TPL-SEND-APPROVED-ONLY").get("template") or {}
    expect.check(template.get("name") == name, "TPL-SEND-APPROVED-ONLY", "the template at Meta", name, template)


@pytest.mark.req("TPL-SEND-NAMED", "TPL-SEND-OK")
@pytest.mark.level("simulated")
def test_named_variables_reach_meta_with_their_names(wa, simulator, rng):
    name = unique_name(rng)
    tpl.new_template(wa.client, wa, simulator, name, components=NAMED, parameter_format="named")
    variables = {"customer_name": "Pablo", "order_number": "ORD-123"}
    since = tpl.last_seq(simulator, wa.world.world_id)

    response = tpl.send_template(wa.client, request_body(wa, name, user_id("whatsapp", rng), {"body": variables}))

    sent_ok(response, ("TPL-SEND-NAMED", "TPL-SEND-OK"), "send an approved named template")
    main = component(one_send(simulator, wa, since, "TPL-SEND-NAMED"), "body")
    seen = {p.get("parameter_name"): p.get("text") for p in (main[0].get("parameters") if main else [])}
    expect.check(seen == variables, "TPL-SEND-NAMED", "named body parameters at Meta (parameter_name -> text)",
                 variables, main)


@pytest.mark.req("TPL-SEND-NO-VARIABLES", "TPL-SEND-REQUIRED-FIELDS", "TPL-SEND-OK")
@pytest.mark.level("simulated")
def test_template_without_variables(wa, simulator, rng):
    name = unique_name(rng)
    tpl.new_template(wa.client, wa, simulator, name, components=PLAIN)
    since = tpl.last_seq(simulator, wa.world.world_id)

    response = tpl.send_template(wa.client, request_body(wa, name, user_id("whatsapp", rng)))

    sent_ok(response, ("TPL-SEND-NO-VARIABLES", "TPL-SEND-REQUIRED-FIELDS"), "send-template without variables")
    template = one_send(simulator, wa, since, "TPL-SEND-NO-VARIABLES").get("template") or {}
    parameters = [p for c in template.get("components") or [] for p in c.get("parameters") or []]
    expect.check((template.get("name"), (template.get("language") or {}).get("code"), parameters)
                 == (name, LANGUAGE, []), "TPL-SEND-NO-VARIABLES", "the template at Meta",
                 "its name and language, no parameters", template)


@pytest.mark.req("TPL-SEND-OUTSIDE-WINDOW", "TPL-SEND-OK")
@pytest.mark.level("controlled")
def test_template_reaches_a_customer_outside_the_window(wa, simulator, sink, clock, fiwano_profile, fiwano_config,
                                                         rng):
    name = unique_name(rng)
    tpl.new_template(wa.client, wa, simulator, name, components=PLAIN)
    endpoint = sink()
    expect.status(wa.client.patch_channel(wa.id, {"webhook_url": endpoint.url, "webhook_secret": secret(rng),
                                                  "webhook_events": ["message.failed"]}), 200,
                  "TPL-SEND-OUTSIDE-WINDOW", "PATCH webhook settings")
    recipient = user_id("whatsapp", rng)
    simulator.emit_inbound_text(wa.world.world_id, wa.asset.asset_id, recipient, "hello")
    clock.advance(fiwano_profile["whatsapp_customer_window_seconds"] + 60, worlds=(wa.world,))
    since = tpl.last_seq(simulator, wa.world.world_id)

    response = tpl.send_template(wa.client, request_body(wa, name, recipient))

    sent_ok(response, ("TPL-SEND-OUTSIDE-WINDOW", "TPL-SEND-OK"),
            "send-template 24 h after the customer's last message")
    one_send(simulator, wa, since, "TPL-SEND-OUTSIDE-WINDOW")
    accepted = [m for m in simulator.sent_messages(wa.world.world_id) if m.type == "template"]
    expect.check(len(accepted) == 1 and "failed" not in accepted[0].statuses, "TPL-SEND-OUTSIDE-WINDOW",
                 "the template message at Meta", "accepted, not failed", [m.model_dump() for m in accepted])
    endpoint.assert_none_within(fiwano_config.quiet_seconds, what="TPL-SEND-OUTSIDE-WINDOW: no message.failed")
