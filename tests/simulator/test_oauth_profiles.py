"""OAuth code exchange, long-lived tokens, debug_token, /me/accounts and PSID/IGSID profiles."""

from __future__ import annotations

import pytest

from simulator.client import SimulatorError

from .conftest import bearer

REDIRECT = "https://fiwano.example/oauth/callback"


def _exchange(graph, app, code, redirect=REDIRECT, secret=None):
    return graph.get("/v21.0/oauth/access_token", params={
        "client_id": app["app_id"], "client_secret": secret or app["app_secret"], "redirect_uri": redirect,
        "code": code})


def test_code_exchange_flow(sim, graph, world):
    app = sim.get_app()
    dialog = (f"https://www.facebook.com/v21.0/dialog/oauth?client_id={app['app_id']}"
              f"&redirect_uri=https%3A%2F%2Ffiwano.example%2Foauth%2Fcallback&state=xyz&response_type=code")
    auth = sim.oauth_authorize(world.world_id, url=dialog)
    assert auth["redirect_url"].startswith(REDIRECT + "?code=") and auth["redirect_url"].endswith("&state=xyz")
    assert _exchange(graph, app, auth["code"], redirect=REDIRECT + "/").json()["error"]["error_subcode"] == 36008
    assert _exchange(graph, app, auth["code"], secret="wrong").status_code == 400
    r = _exchange(graph, app, auth["code"])
    assert r.status_code == 200
    body = r.json()
    assert body["token_type"] == "bearer" and body["expires_in"] > 50 * 86400
    token = body["access_token"]
    again = _exchange(graph, app, auth["code"])
    assert again.status_code == 400 and again.json()["error"]["error_subcode"] == 36009       # single use
    # the token sees the world: /me/accounts lists Pages with page tokens and the linked IG account
    accounts = graph.get("/v21.0/me/accounts", headers=bearer(token)).json()["data"]
    ids = {a["id"] for a in accounts}
    assert ids == {world.asset("facebook").page_id, world.asset("instagram").page_id}
    ig_page = next(a for a in accounts if a["id"] == world.asset("instagram").page_id)
    assert ig_page["instagram_business_account"]["id"] == world.asset("instagram").ig_account_id
    assert graph.get("/v21.0/me", headers=bearer(token)).json()["id"]
    assert sim.journal(world.world_id, path_contains="oauth/access_token")


def test_deny_and_expiry(sim, graph, world):
    app = sim.get_app()
    denied = sim.oauth_authorize(world.world_id, redirect_uri=REDIRECT, state="s", decision="deny")
    assert "error=access_denied" in denied["redirect_url"] and "error_reason=user_denied" in denied["redirect_url"]
    auth = sim.oauth_authorize(world.world_id, redirect_uri=REDIRECT)
    sim.advance_clock(601, world_id=world.world_id)
    assert _exchange(graph, app, auth["code"]).json()["error"]["error_subcode"] == 36007
    with pytest.raises(SimulatorError):
        sim.oauth_authorize(world.world_id, url="https://www.facebook.com/dialog/oauth?client_id=wrong")


def test_long_lived_exchange_debug_token_and_expiry(sim, graph, world):
    app = sim.get_app()
    token = _exchange(graph, app, sim.oauth_authorize(world.world_id, redirect_uri=REDIRECT)["code"]).json()["access_token"]
    r = graph.get("/v21.0/oauth/access_token", params={"grant_type": "fb_exchange_token", "client_id": app["app_id"],
                                                      "client_secret": app["app_secret"], "fb_exchange_token": token})
    long_lived = r.json()["access_token"]
    assert r.json()["expires_in"] == 60 * 86400 and long_lived != token
    app_token = graph.get("/v21.0/oauth/access_token", params={
        "grant_type": "client_credentials", "client_id": app["app_id"], "client_secret": app["app_secret"]}).json()
    assert app_token["access_token"].startswith(app["app_id"] + "|")
    debug = graph.get("/v21.0/debug_token", params={"input_token": long_lived,
                                                    "access_token": app_token["access_token"]}).json()["data"]
    assert debug["is_valid"] is True and debug["type"] == "USER" and debug["app_id"] == app["app_id"]
    targets = {g["scope"]: g["target_ids"] for g in debug["granular_scopes"]}
    assert targets["whatsapp_business_management"] == [world.asset("whatsapp").waba_id]
    sim.advance_clock(60 * 86400 + 1, world_id=world.world_id)
    expired = graph.get("/v21.0/me", headers=bearer(long_lived))
    assert expired.status_code == 400 and expired.json()["error"]["code"] == 190
    assert expired.json()["error"]["error_subcode"] == 463
    debug = graph.get("/v21.0/debug_token", params={"input_token": long_lived,
                                                    "access_token": f"{app['app_id']}|{app['app_secret']}"})
    assert debug.json()["data"]["is_valid"] is False
    unknown = graph.get("/v21.0/debug_token", params={"input_token": "nope", "access_token": app_token["access_token"]})
    assert unknown.json()["data"]["is_valid"] is False


def test_profiles(sim, graph, world):
    fb, ig = world.asset("facebook"), world.asset("instagram")
    r = graph.get("/v21.0/7500000000000001", headers=bearer(fb.access_token))
    assert r.status_code == 400                                              # no consent: never messaged
    sim.emit_inbound_text(world.world_id, fb.asset_id, "7500000000000001", "hi", sender_name="John Doe")
    profile = graph.get("/v21.0/7500000000000001", headers=bearer(fb.access_token),
                        params={"fields": "first_name,last_name,profile_pic"}).json()
    assert profile["first_name"] == "John" and profile["last_name"] == "Doe" and profile["id"] == "7500000000000001"
    assert graph.get(profile["profile_pic"]).headers["content-type"] == "image/jpeg"
    # PSIDs are page-scoped: another asset's token cannot read it
    assert graph.get("/v21.0/7500000000000001", headers=bearer(ig.access_token)).status_code == 400
    sim.set_profile(world.world_id, "7500000000000002", ig.asset_id, name="Ana", username="ana.ig",
                    follower_count=1500, is_verified_user=True)
    ig_profile = graph.get("/v21.0/7500000000000002", headers=bearer(ig.access_token), params={
        "fields": "name,username,profile_pic,follower_count,is_verified_user,is_user_follow_business"}).json()
    assert ig_profile["username"] == "ana.ig" and ig_profile["follower_count"] == 1500
    assert ig_profile["is_verified_user"] is True and ig_profile["is_user_follow_business"] is False


def test_embedded_signup(sim, graph, world):
    app = sim.get_app()
    auth = sim.oauth_authorize(world.world_id, embedded_signup=True)
    assert auth["redirect_url"] is None
    (event,) = auth["session_events"]
    wa = world.asset("whatsapp")
    assert event["type"] == "WA_EMBEDDED_SIGNUP" and event["event"] == "FINISH"
    assert event["data"]["phone_number_id"] == wa.phone_number_id and event["data"]["waba_id"] == wa.waba_id
    r = graph.get("/v21.0/oauth/access_token", params={"client_id": app["app_id"], "client_secret": app["app_secret"],
                                                      "code": auth["code"]})           # no redirect_uri in ES
    token = r.json()["access_token"]
    assert graph.post(f"/v21.0/{wa.waba_id}/subscribed_apps", headers=bearer(token)).json() == {"success": True}
    assert graph.post(f"/v21.0/{wa.phone_number_id}/register", headers=bearer(token),
                      json={"messaging_product": "whatsapp", "pin": "123456"}).json() == {"success": True}
    numbers = graph.get(f"/v21.0/{wa.waba_id}/phone_numbers", headers=bearer(token)).json()["data"]
    assert numbers[0]["id"] == wa.phone_number_id
    cancel = sim.oauth_authorize(world.world_id, embedded_signup=True, decision="deny")
    assert cancel["code"] is None and cancel["session_events"][0]["event"] == "CANCEL"
