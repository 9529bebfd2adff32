"""Property tests: whatever JSON (or bytes) arrives, every endpoint answers 2xx/4xx, never 5xx."""

from __future__ import annotations

import json

from hypothesis import HealthCheck, given, settings, strategies as st

from .conftest import bearer

json_values = st.recursive(
    st.none() | st.booleans() | st.integers(min_value=-2**70, max_value=2**70) | st.floats(allow_nan=False)
    | st.text(max_size=30),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4),
    max_leaves=12,
)
keys = st.sampled_from(["asset_id", "from", "from_name", "type", "text", "label", "assets", "channel", "name",
                        "seconds", "now", "rules", "match", "action", "kind", "times", "status", "message_id",
                        "url", "fetchable", "media", "content_base64", "errors", "app_secret", "options",
                        "target_webhook_url", "to", "messaging_product", "recipient", "message", "id", "body"])
bodies = st.one_of(json_values, st.dictionaries(keys, json_values, max_size=6))

CONTROL = [("POST", "/_sim/worlds"), ("PUT", "/_sim/app"), ("POST", "/_sim/worlds/{w}/inbound"),
           ("POST", "/_sim/worlds/{w}/statuses"), ("POST", "/_sim/worlds/{w}/faults"),
           ("POST", "/_sim/worlds/{w}/cdn"), ("POST", "/_sim/worlds/{w}/media"), ("POST", "/_sim/clock/advance"),
           ("PUT", "/_sim/worlds/{w}/clock"), ("POST", "/_sim/worlds/{w}/webhooks"),
           ("PATCH", "/_sim/worlds/{w}/options"), ("PUT", "/_sim/worlds/{w}/profiles/123"),
           ("POST", "/_sim/worlds/{w}/templates/1/review"), ("GET", "/_sim/worlds/{w}/journal")]
GRAPH = ["/v21.0/{wa}/messages", "/v21.0/{fb}/messages", "/v21.0/{ig}/messages", "/v21.0/{waba}/message_templates",
         "/v21.0/{waba}/subscribed_apps", "/v21.0/{wa}", "/v21.0/oauth/access_token", "/v21.0/debug_token"]

SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))


@SETTINGS
@given(endpoint=st.sampled_from(CONTROL), body=bodies)
def test_control_never_5xx(graph, world, endpoint, body):
    method, path = endpoint
    if path in ("/_sim/app",):
        return  # changing the session's app settings would disturb other tests; covered in test_control
    if path == "/_sim/clock/advance" and isinstance(body, dict):
        return  # moving the global clock is harmless but pointless here
    path = path.format(w=world.world_id)
    r = graph.request(method, path, content=json.dumps(body), headers={"content-type": "application/json"})
    assert r.status_code < 500, (method, path, body, r.status_code, r.text)
    if r.status_code >= 400:
        assert "detail" in r.json()


@SETTINGS
@given(path=st.sampled_from(GRAPH), body=bodies, method=st.sampled_from(["GET", "POST", "DELETE"]))
def test_graph_never_5xx(graph, world, path, body, method):
    wa, fb, ig = world.asset("whatsapp"), world.asset("facebook"), world.asset("instagram")
    url = path.format(wa=wa.asset_id, fb=fb.asset_id, ig=ig.asset_id, waba=wa.waba_id)
    token = {"wa": wa, "fb": fb, "ig": ig}.get(path.split("{")[1][:2] if "{" in path else "wa", wa).access_token
    r = graph.request(method, url, content=json.dumps(body),
                      headers={**bearer(token), "content-type": "application/json"})
    assert r.status_code < 500, (method, url, body, r.status_code, r.text)
    if r.status_code >= 400:
        assert "error" in r.json()


@SETTINGS
@given(raw=st.binary(max_size=200), ctype=st.sampled_from(["application/json", "application/x-www-form-urlencoded",
                                                           "text/plain", "multipart/form-data"]))
def test_graph_raw_bytes_never_5xx(graph, world, raw, ctype):
    wa = world.asset("whatsapp")
    r = graph.post(f"/v21.0/{wa.asset_id}/messages", content=raw,
                   headers={**bearer(wa.access_token), "content-type": ctype})
    assert r.status_code < 500, (raw, r.text)


# Structurally plausible bodies with hostile leaves reach deep into the handlers.
leaf = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False, allow_infinity=False),
                 st.text(max_size=20), st.lists(st.text(max_size=5), max_size=3),
                 st.dictionaries(st.sampled_from(["id", "code", "text", "type", "link"]), st.text(max_size=5),
                                 max_size=2))
inner_keys = st.sampled_from(["body", "link", "id", "caption", "filename", "name", "language", "code",
                              "components", "parameters", "type", "text", "message_id", "emoji", "latitude",
                              "longitude", "action", "parameter_name", "payload", "url", "is_reusable",
                              "attachment", "preview_url", "sub_type", "index", "buttons", "example", "format"])
inner = st.dictionaries(inner_keys, st.one_of(leaf, st.lists(st.dictionaries(inner_keys, leaf, max_size=4),
                                                             max_size=3)), max_size=5)
kinds = st.sampled_from(["text", "image", "audio", "video", "document", "sticker", "template", "location",
                         "contacts", "reaction", "interactive", "bogus"])


@SETTINGS
@given(kind=kinds, obj=st.one_of(inner, leaf), to=st.one_of(st.text(max_size=16), st.integers()),
       extra=st.dictionaries(st.sampled_from(["context", "recipient_type", "biz_opaque_callback_data", "status"]),
                             leaf, max_size=2))
def test_whatsapp_send_shapes_never_5xx(graph, world, kind, obj, to, extra):
    wa = world.asset("whatsapp")
    body = {"messaging_product": "whatsapp", "to": to, "type": kind, kind: obj, **extra}
    r = graph.post(f"/v21.0/{wa.asset_id}/messages", json=body, headers=bearer(wa.access_token))
    assert r.status_code < 500, (body, r.text)


@SETTINGS
@given(message=st.one_of(inner, leaf), recipient=st.one_of(inner, leaf),
       extra=st.dictionaries(st.sampled_from(["messaging_type", "tag", "sender_action"]), leaf, max_size=2),
       channel=st.sampled_from(["facebook", "instagram"]))
def test_messaging_send_shapes_never_5xx(graph, world, message, recipient, extra, channel):
    asset = world.asset(channel)
    body = {"recipient": recipient, "message": message, **extra}
    r = graph.post(f"/v21.0/{asset.asset_id}/messages", json=body, headers=bearer(asset.access_token))
    assert r.status_code < 500, (body, r.text)


@SETTINGS
@given(body=st.dictionaries(st.sampled_from(["name", "language", "category", "components", "parameter_format",
                                             "message_send_ttl_seconds"]),
                            st.one_of(leaf, st.lists(inner, max_size=3)), max_size=6),
       method=st.sampled_from(["POST", "GET", "DELETE"]))
def test_template_shapes_never_5xx(graph, world, body, method):
    wa = world.asset("whatsapp")
    kwargs = {"json": body} if method == "POST" else {"params": {k: str(v) for k, v in body.items()}}
    r = graph.request(method, f"/v21.0/{wa.waba_id}/message_templates", headers=bearer(wa.access_token), **kwargs)
    assert r.status_code < 500, (body, r.text)


@SETTINGS
@given(body=st.fixed_dictionaries({"type": st.sampled_from(["text", "image", "voice", "document", "sticker",
                                                            "location", "contacts", "reaction", "interactive",
                                                            "unsupported"]),
                                   "from": st.sampled_from(["4915100000999", "7999"])},
                                  optional={"text": leaf, "caption": leaf, "media": inner, "location": inner,
                                            "contacts": st.lists(inner, max_size=2), "reaction": inner,
                                            "interactive": inner, "context": inner, "media_error": leaf}),
       channel=st.sampled_from(["whatsapp", "facebook", "instagram"]))
def test_inbound_shapes_never_5xx(graph, world, body, channel):
    body = {**body, "asset_id": world.asset(channel).asset_id}
    r = graph.post(f"/_sim/worlds/{world.world_id}/inbound", json=body)
    assert r.status_code < 500, (body, r.text)
