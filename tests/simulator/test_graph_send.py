"""Graph send endpoints: Meta's success bodies, text limits, the token check and the error envelope."""

from __future__ import annotations

import json
import re

import pytest

from simulator.client import SimulatorClient, World

from .conftest import bearer


def _open_windows(sim: SimulatorClient, world: World, users: dict[str, str]) -> None:
    for channel, user in users.items():
        sim.emit_inbound_text(world.world_id, world.asset(channel).asset_id, user, "hi")


def _assert_envelope(body: dict, code: int, subcode: int | None = None) -> None:
    error = body["error"]
    assert error["code"] == code
    assert isinstance(error["message"], str) and error["message"]
    assert error["type"] in ("OAuthException", "GraphMethodException")
    assert isinstance(error["fbtrace_id"], str) and error["fbtrace_id"]
    if subcode is not None:
        assert error["error_subcode"] == subcode


def test_whatsapp_text_success_body(graph, world):
    wa = world.asset("whatsapp")
    r = graph.post(f"/v21.0/{wa.phone_number_id}/messages", headers=bearer(wa.access_token),
                   json={"messaging_product": "whatsapp", "recipient_type": "individual", "to": "+4915112345678",
                         "type": "text", "text": {"body": "Your order is ready.", "preview_url": False}})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["messaging_product"] == "whatsapp"
    assert body["contacts"] == [{"input": "+4915112345678", "wa_id": "4915112345678"}]
    assert re.fullmatch(r"wamid\.[A-Za-z0-9+/=]+", body["messages"][0]["id"])
    assert r.headers["facebook-api-version"] == "v21.0"
    assert r.headers["x-fb-trace-id"]


@pytest.mark.parametrize("version", ["v19.0", "v23.0", "v26.0"])
def test_any_version_prefix_is_accepted(graph, world, version):
    wa = world.asset("whatsapp")
    r = graph.get(f"/{version}/{wa.phone_number_id}", headers=bearer(wa.access_token))
    assert r.status_code == 200
    assert r.headers["facebook-api-version"] == version


def test_messenger_and_instagram_success_bodies(sim, graph, world):
    _open_windows(sim, world, {"facebook": "7000000000000001", "instagram": "6000000000000001"})
    fb, ig = world.asset("facebook"), world.asset("instagram")
    r = graph.post(f"/v21.0/{fb.page_id}/messages", headers=bearer(fb.access_token),
                   json={"recipient": {"id": "7000000000000001"}, "messaging_type": "RESPONSE",
                         "message": {"text": "hello"}})
    assert r.status_code == 200, r.text
    assert r.json()["recipient_id"] == "7000000000000001"
    assert r.json()["message_id"].startswith("m_")
    r = graph.post(f"/v21.0/{ig.ig_account_id}/messages", params={"access_token": ig.access_token},
                   json={"recipient": {"id": "6000000000000001"}, "message": {"text": "hello"}})
    assert r.status_code == 200, r.text
    assert set(r.json()) == {"recipient_id", "message_id"}
    assert r.json()["recipient_id"] == "6000000000000001"


def test_messenger_accepts_form_fields_holding_json(sim, graph, world):
    _open_windows(sim, world, {"facebook": "7000000000000002"})
    fb = world.asset("facebook")
    r = graph.post(f"/v21.0/{fb.page_id}/messages",
                   data={"recipient": '{"id":"7000000000000002"}', "message": '{"text":"hi"}',
                         "messaging_type": "RESPONSE", "access_token": fb.access_token})
    assert r.status_code == 200, r.text
    entry = sim.journal(world.world_id, method="POST")[-1]
    assert entry.json["message"] == {"text": "hi"}
    assert "access_token" not in entry.json


def test_instagram_via_linked_page_and_me(sim, graph, world):
    _open_windows(sim, world, {"instagram": "6000000000000003"})
    ig = world.asset("instagram")
    for path in (f"/v21.0/{ig.page_id}/messages", "/v21.0/me/messages"):
        r = graph.post(path, headers=bearer(ig.access_token),
                       json={"recipient": {"id": "6000000000000003"}, "message": {"text": "hey"}})
        assert r.status_code == 200, r.text


@pytest.mark.parametrize("channel,limit", [("whatsapp", 4096), ("facebook", 2000), ("instagram", 1000)])
def test_text_limits(sim, graph, world, channel, limit):
    user = {"whatsapp": "4915100000001", "facebook": "7000000000000009", "instagram": "6000000000000009"}[channel]
    _open_windows(sim, world, {channel: user})
    asset = world.asset(channel)

    def send(text: str):
        if channel == "whatsapp":
            body = {"messaging_product": "whatsapp", "to": user, "type": "text", "text": {"body": text}}
        else:
            body = {"recipient": {"id": user}, "message": {"text": text}}
        return graph.post(f"/v21.0/{asset.asset_id}/messages", headers=bearer(asset.access_token), json=body)

    assert send("é" * limit).status_code == 200
    r = send("x" * (limit + 1))
    assert r.status_code == 400
    _assert_envelope(r.json(), 100)


@pytest.mark.parametrize("channel,status", [("whatsapp", 401), ("facebook", 400), ("instagram", 400)])
def test_unknown_token_is_190(graph, world, channel, status):
    asset = world.asset(channel)
    r = graph.post(f"/v21.0/{asset.asset_id}/messages", headers=bearer("EAAnotarealtoken"),
                   json={"messaging_product": "whatsapp", "to": "123456789", "text": {"body": "x"}})
    assert r.status_code == status
    _assert_envelope(r.json(), 190)


def test_missing_token(graph, world):
    wa = world.asset("whatsapp")
    r = graph.get(f"/v21.0/{wa.phone_number_id}")
    assert r.status_code == 401
    _assert_envelope(r.json(), 104)


def test_token_of_another_world_sees_nothing(sim, graph, world):
    other = sim.create_world(["whatsapp"])
    try:
        wa = world.asset("whatsapp")
        r = graph.get(f"/v21.0/{wa.phone_number_id}", headers=bearer(other.asset("whatsapp").access_token))
        assert r.status_code == 400
        _assert_envelope(r.json(), 100, subcode=33)
        # the request is journaled in the token's world, never in the asset's
        assert any(e.path.endswith(wa.phone_number_id) for e in sim.journal(other.world_id))
        assert not sim.journal(world.world_id)
    finally:
        sim.delete_world(other.world_id)


def test_asset_token_is_scoped_to_its_asset(graph, world):
    wa, fb = world.asset("whatsapp"), world.asset("facebook")
    r = graph.get(f"/v21.0/{fb.page_id}", headers=bearer(wa.access_token))
    assert r.status_code == 400
    _assert_envelope(r.json(), 100, subcode=33)
    # the world's user token may read every asset
    assert graph.get(f"/v21.0/{fb.page_id}", headers=bearer(world.user_access_token)).status_code == 200


def test_asset_reads(graph, world):
    wa, fb, ig = world.asset("whatsapp"), world.asset("facebook"), world.asset("instagram")
    body = graph.get(f"/v21.0/{wa.phone_number_id}", headers=bearer(wa.access_token)).json()
    assert body["id"] == wa.phone_number_id and body["verified_name"] == wa.verified_name
    assert body["display_phone_number"].startswith("+")
    assert graph.get(f"/v21.0/{fb.page_id}", headers=bearer(fb.access_token)).json() == \
        {"id": fb.page_id, "name": fb.name}
    assert graph.get(f"/v21.0/{ig.ig_account_id}", headers=bearer(ig.access_token)).json() == \
        {"id": ig.ig_account_id, "username": ig.username, "name": ig.name}
    linked = graph.get(f"/v21.0/{ig.page_id}", params={"fields": "instagram_business_account"},
                       headers=bearer(ig.access_token)).json()
    assert linked == {"instagram_business_account": {"id": ig.ig_account_id}, "id": ig.page_id}
    r = graph.get(f"/v21.0/{fb.page_id}", params={"fields": "nope"}, headers=bearer(fb.access_token))
    assert r.status_code == 400
    _assert_envelope(r.json(), 100)


def test_subscribed_apps(graph, world):
    wa, fb = world.asset("whatsapp"), world.asset("facebook")
    for object_id, token in ((wa.waba_id, wa.access_token), (fb.page_id, fb.access_token)):
        assert graph.get(f"/v21.0/{object_id}/subscribed_apps", headers=bearer(token)).json() == {"data": []}
        assert graph.post(f"/v21.0/{object_id}/subscribed_apps", headers=bearer(token)).json() == {"success": True}
        assert len(graph.get(f"/v21.0/{object_id}/subscribed_apps", headers=bearer(token)).json()["data"]) == 1
        assert graph.delete(f"/v21.0/{object_id}/subscribed_apps", headers=bearer(token)).json() == {"success": True}
        assert graph.get(f"/v21.0/{object_id}/subscribed_apps", headers=bearer(token)).json() == {"data": []}


@pytest.mark.parametrize("body,code", [
    ({"to": "4915112345678", "type": "text", "text": {"body": "x"}}, 100),                       # no product
    ({"messaging_product": "whatsapp", "type": "text", "text": {"body": "x"}}, 100),             # no to
    ({"messaging_product": "whatsapp", "to": 4915112345678, "text": {"body": "x"}}, 100),        # int to
    ({"messaging_product": "whatsapp", "to": "not-a-number", "text": {"body": "x"}}, 100),
    ({"messaging_product": "whatsapp", "to": "4915112345678", "text": "x"}, 100),                # text not obj
    ({"messaging_product": "whatsapp", "to": "4915112345678", "text": {"body": 5}}, 100),
    ({"messaging_product": "whatsapp", "to": "4915112345678", "type": "bogus"}, 100),
    ({"messaging_product": "whatsapp", "to": "4915112345678", "type": 3}, 100),
    ({"messaging_product": "whatsapp", "to": "4915112345678", "type": "image", "image": {}}, 131008),
])
def test_whatsapp_bad_parameters(graph, world, body, code):
    wa = world.asset("whatsapp")
    r = graph.post(f"/v21.0/{wa.phone_number_id}/messages", headers=bearer(wa.access_token), json=body)
    assert r.status_code == 400, r.text
    _assert_envelope(r.json(), code)
    if code == 100:
        assert r.json()["error"]["error_data"]["messaging_product"] == "whatsapp"


@pytest.mark.parametrize("raw,ctype", [
    (b"{not json", "application/json"), (b"[1,2]", "application/json"), (b"\xff\xfe", "application/json"),
    (b"\"just a string\"", "application/json"), (b"a=%zz&&=", "application/x-www-form-urlencoded"),
])
def test_malformed_bodies_are_4xx_with_envelope(graph, world, raw, ctype):
    for channel in ("whatsapp", "facebook", "instagram"):
        asset = world.asset(channel)
        r = graph.post(f"/v21.0/{asset.asset_id}/messages", content=raw,
                       headers={**bearer(asset.access_token), "content-type": ctype})
        assert 400 <= r.status_code < 500, (channel, r.status_code, r.text)
        assert r.json()["error"]["code"] == 100


@pytest.mark.parametrize("body", [
    {"recipient": "7000000000000001", "message": {"text": "x"}},
    {"recipient": {"id": ["x"]}, "message": {"text": "x"}},
    {"recipient": {"id": "7000000000000001"}, "message": {"text": 12}},
    {"recipient": {"id": "7000000000000001"}, "message": {"text": "x", "attachment": {"type": "image"}}},
    {"recipient": {"id": "7000000000000001"}, "message": {}},
    {"recipient": {"id": "7000000000000001"}},
    {"recipient": {"id": "7000000000000001"}, "messaging_type": "SPAM", "message": {"text": "x"}},
])
def test_messenger_bad_parameters(graph, world, body):
    fb = world.asset("facebook")
    r = graph.post(f"/v21.0/{fb.page_id}/messages", headers=bearer(fb.access_token), json=body)
    assert r.status_code == 400, r.text
    _assert_envelope(r.json(), 100)


@pytest.mark.parametrize("path", ["/v21.0/999999999999999/messages", "/v21.0/999999999999999",
                                  "/v21.0/{pid}/nonsense", "/v21.0/{pid}/a/b/c", "/v21.0/", "/favicon.ico"])
def test_unknown_ids_and_paths_are_4xx(graph, world, path):
    wa = world.asset("whatsapp")
    r = graph.post(path.format(pid=wa.phone_number_id), headers=bearer(wa.access_token), json={})
    assert 400 <= r.status_code < 500, r.text
    assert "error" in r.json()


def test_mark_as_read(graph, world):
    wa = world.asset("whatsapp")
    r = graph.post(f"/v21.0/{wa.phone_number_id}/messages", headers=bearer(wa.access_token),
                   json={"messaging_product": "whatsapp", "status": "read", "message_id": "wamid.X"})
    assert r.json() == {"success": True}


def test_usage_and_auth_headers(graph, world):
    wa = world.asset("whatsapp")
    r = graph.get(f"/v21.0/{wa.phone_number_id}", headers=bearer(wa.access_token))
    assert json.loads(r.headers["x-app-usage"])["call_count"] >= 0
    usage = json.loads(r.headers["x-business-use-case-usage"])
    assert usage[wa.waba_id][0]["type"] == "whatsapp_business_management"
    r = graph.get(f"/v21.0/{wa.phone_number_id}", headers=bearer("EAAbad"))
    assert r.status_code == 401 and r.headers["www-authenticate"].startswith("OAuth")


@pytest.mark.parametrize("method", ["PUT", "PATCH", "OPTIONS"])
def test_other_methods_are_4xx(graph, world, method):
    wa = world.asset("whatsapp")
    r = graph.request(method, f"/v21.0/{wa.phone_number_id}/messages", headers=bearer(wa.access_token))
    assert 400 <= r.status_code < 500 and r.json()["error"]["code"] == 100


@pytest.mark.parametrize("unit,text,ok", [("chars", "😀" * 1000, True), ("utf16", "😀" * 500, True),
                                          ("utf16", "😀" * 501, False), ("bytes", "é" * 500, True),
                                          ("bytes", "é" * 501, False)])
def test_text_length_unit_option(sim, graph, unit, text, ok):
    w = sim.create_world(["instagram"], enforce_window=False, text_length_unit=unit)
    try:
        ig = w.asset("instagram")
        r = graph.post(f"/v21.0/{ig.asset_id}/messages", headers=bearer(ig.access_token),
                       json={"recipient": {"id": "6000000000000077"}, "message": {"text": text}})
        assert (r.status_code == 200) is ok, r.text
    finally:
        sim.delete_world(w.world_id)
