from __future__ import annotations

import pytest

BODY = [{"type": "BODY", "text": "Hi {{1}}, your order {{2}} is confirmed.",
         "example": {"body_text": [["Pablo", "ORD-123"]]}}]


def _tpl(**extra):
    body = {"name": "order_confirmation", "category": "UTILITY", "language": "en_US", "components": BODY}
    body.update(extra)
    return body


def _wa(ctx, tier="pro", **asset):
    account = ctx.account(tier, "active", "paddle")
    return account, ctx.connect(account, "whatsapp", **asset)


def _approve(ctx, template):
    ctx.fake.templates[template["meta_template_id"]]["status"] = "APPROVED"


def test_template_lifecycle_and_send(ctx):
    account, channel = _wa(ctx)
    base = f"/channels/{channel['id']}/templates"
    created = ctx.api("POST", base, account, json=_tpl(components=BODY + [
        {"type": "HEADER", "format": "TEXT", "text": "Sale {{1}}"},
        {"type": "BUTTONS", "buttons": [{"type": "URL", "text": "Open", "url": "https://x.example.com/{{1}}"}]}]))
    assert created.status_code == 201, created.text
    template = created.json()
    assert template["status"] == "PENDING" and template["name"] == "order_confirmation"
    sent_to_meta = ctx.fake.templates[template["meta_template_id"]]
    assert sent_to_meta["components"][0]["example"] == {"body_text": [["Pablo", "ORD-123"]]}
    pending = ctx.api("POST", "/messages/send-template", account, json={
        "channel_id": channel["id"], "template_name": "order_confirmation", "language": "en_US",
        "recipient": "15551234"})
    assert pending.status_code == 400 and ctx.fake.sends() == []
    _approve(ctx, template)
    listed = ctx.api("GET", base, account).json()
    assert [t["status"] for t in listed["templates"]] == ["APPROVED"]
    assert ctx.api("GET", base + "?status=PENDING&sync=false", account).json()["total"] == 0
    assert ctx.api("GET", base + "?status=BOGUS", account).status_code == 422
    assert ctx.api("GET", base + "?status=all&sync=false", account).json()["total"] == 1  # the docs' default
    assert ctx.api("GET", f"{base}/{template['id']}", account).json()["components"][0]["type"] == "BODY"
    sent = ctx.api("POST", "/messages/send-template", account, json={
        "channel_id": channel["id"], "template_name": "order_confirmation", "language": "en_US",
        "recipient": "15551234", "variables": {"header": ["Summer Sale"], "body": ["Pablo", "ORD-123"],
                                               "buttons": [{"index": 0, "value": "promo25"}]}})
    assert sent.status_code == 200 and sent.json()["success"] is True
    (call,) = ctx.fake.sends()
    tpl = call["json"]["template"]
    assert call["json"]["type"] == "template" and tpl["name"] == "order_confirmation"
    assert tpl["language"] == {"code": "en_US"}
    assert tpl["components"] == [
        {"type": "header", "parameters": [{"type": "text", "text": "Summer Sale"}]},
        {"type": "body", "parameters": [{"type": "text", "text": "Pablo"}, {"type": "text", "text": "ORD-123"}]},
        {"type": "button", "sub_type": "url", "index": "0", "parameters": [{"type": "text", "text": "promo25"}]}]


def test_named_and_no_variables(ctx):
    account, channel = _wa(ctx)
    base = f"/channels/{channel['id']}/templates"
    template = ctx.api("POST", base, account, json=_tpl(name="welcome_message", parameter_format="named")).json()
    _approve(ctx, template)
    ok = ctx.api("POST", "/messages/send-template", account, json={
        "channel_id": channel["id"], "template_name": "welcome_message", "language": "en_US", "recipient": "1",
        "variables": {"body": {"customer_name": "Pablo"}}})
    assert ok.status_code == 200
    assert ctx.fake.sends()[0]["json"]["template"]["components"] == [
        {"type": "body", "parameters": [{"type": "text", "parameter_name": "customer_name", "text": "Pablo"}]}]
    ctx.api("POST", "/messages/send-template", account, json={
        "channel_id": channel["id"], "template_name": "welcome_message", "language": "en_US", "recipient": "1"})
    assert "components" not in ctx.fake.sends()[1]["json"]["template"]


@pytest.mark.parametrize("extra", [
    {"name": "Order"}, {"name": "order-x"}, {"name": "order x"}, {"name": "a.b"}, {"name": ""},
    {"name": "a" * 513}, {"name": "order\n"}, {"name": "\u212a"}, {"name": "ord\u0131"}, {"name": "\uff41"},
    {"name": "x\u0663"}, {"name": 5}, {"category": "OTHER"}, {"parameter_format": "mixed"}, {"components": []},
    {"components": [{"type": "FOOTER", "text": "x"}]}, {"components": BODY + [{"type": "HEADER", "format": "IMAGE"}]},
    {"components": BODY + [{"type": "CAROUSEL"}]}, {"language": ""},
])
def test_template_validation(ctx, extra):
    account, channel = _wa(ctx)
    response = ctx.api("POST", f"/channels/{channel['id']}/templates", account, json=_tpl(**extra))
    assert response.status_code == 422, extra
    assert ctx.fake.templates == {}


def test_name_512_ok(ctx):
    account, channel = _wa(ctx)
    assert ctx.api("POST", f"/channels/{channel['id']}/templates", account,
                   json=_tpl(name="a" * 512)).status_code == 201


def test_update_rules_and_delete_lock(ctx):
    account, channel = _wa(ctx)
    base = f"/channels/{channel['id']}/templates"
    template = ctx.api("POST", base, account, json=_tpl()).json()
    _approve(ctx, template)
    ctx.api("GET", base, account)
    path = f"{base}/{template['id']}"
    assert ctx.api("PUT", path, account, json={"components": BODY, "category": "MARKETING"}).status_code == 400
    assert ctx.api("PUT", path, account, json={}).status_code == 422
    new_body = [{"type": "BODY", "text": "Updated {{1}}", "example": {"body_text": [["x"]]}}]
    updated = ctx.api("PUT", path, account, json={"components": new_body})
    assert updated.status_code == 200 and updated.json()["status"] == "PENDING"
    assert updated.json()["components"] == new_body
    _approve(ctx, template)
    ctx.api("GET", base, account)
    assert ctx.api("PUT", path, account, json={"components": BODY}).status_code == 400  # within 24 h
    ctx.advance(86401)
    assert ctx.api("PUT", path, account, json={"components": BODY}).status_code == 200
    _approve(ctx, template)
    ctx.api("GET", base, account)
    deleted = ctx.api("DELETE", path, account)
    assert deleted.status_code == 200
    assert ctx.api("GET", path, account).status_code == 404
    assert ctx.api("POST", base, account, json=_tpl()).status_code == 400  # name locked 30 days
    ctx.advance(30 * 86400 + 1)
    assert ctx.api("POST", base, account, json=_tpl()).status_code == 201


def test_delete_one_or_all_languages(ctx):
    account, channel = _wa(ctx)
    base = f"/channels/{channel['id']}/templates"
    en = ctx.api("POST", base, account, json=_tpl()).json()
    ctx.api("POST", base, account, json=_tpl(language="es"))
    fr = ctx.api("POST", base, account, json=_tpl(language="fr")).json()
    ctx.api("DELETE", f"{base}/{en['id']}", account)
    assert sorted(t["language"] for t in ctx.api("GET", base, account).json()["templates"]) == ["es", "fr"]
    ctx.api("DELETE", f"{base}/{fr['id']}?all_languages=true", account)
    assert ctx.api("GET", base, account).json()["total"] == 0


def test_template_gating(ctx):
    starter, channel = _wa(ctx, "starter")
    assert ctx.api("GET", f"/channels/{channel['id']}/templates", starter).status_code == 402
    assert ctx.api("POST", "/messages/send-template", starter, json={
        "channel_id": channel["id"], "template_name": "x", "language": "en_US", "recipient": "1"}).status_code == 402
    pro = ctx.account()
    fb = ctx.connect(pro, "facebook")
    assert ctx.api("GET", f"/channels/{fb['id']}/templates", pro).status_code == 400
    assert ctx.api("POST", "/messages/send-template", pro, json={
        "channel_id": fb["id"], "template_name": "x", "language": "en_US", "recipient": "1"}).status_code == 400
    other = ctx.account()
    assert ctx.api("GET", f"/channels/{channel['id']}/templates", other).status_code == 404
    _, wa = _wa(ctx, phone_number_id="1009", waba_id="2009", token="t9")
    ctx.fake.faults["templates"].append((500, {"error": {"message": "boom", "code": 2}}))
    owner = ctx.comps.channels.get(wa["id"]).account_id
    key = ctx.client.post(f"/harness/accounts/{owner}/keys").json()["api_key"]
    failed = ctx.api("GET", f"/channels/{wa['id']}/templates", key)
    assert failed.status_code == 502 and "detail" in failed.json()


def test_profiles_and_cache(ctx):
    account = ctx.account()
    ig = ctx.connect(account, "instagram")
    fb = ctx.connect(account, "facebook")
    wa = ctx.connect(account, "whatsapp")
    ctx.fake.profiles["654"] = {"username": "johndoe", "name": "John Doe", "profile_pic": "https://x/p.jpg",
                                "follower_count": 1500, "is_verified_user": False, "id": "654"}
    ctx.fake.profiles["789"] = {"first_name": "John", "last_name": "Doe", "profile_pic": "https://x/q.jpg"}
    first = ctx.api("GET", f"/channels/{ig['id']}/profile/654", account).json()
    assert first == {"channel_id": ig["id"], "channel_type": "instagram", "user_id": "654", "cached": False,
                     "profile": {"username": "johndoe", "name": "John Doe", "profile_pic": "https://x/p.jpg",
                                 "follower_count": 1500, "is_verified_user": False}}
    calls = len(ctx.fake.journal)
    second = ctx.api("GET", f"/channels/{ig['id']}/profile/654", account).json()
    assert second["cached"] is True and len(ctx.fake.journal) == calls
    ctx.advance(301)
    assert ctx.api("GET", f"/channels/{ig['id']}/profile/654", account).json()["cached"] is False
    fbp = ctx.api("GET", f"/channels/{fb['id']}/profile/789", account).json()
    assert fbp["profile"] == {"first_name": "John", "last_name": "Doe", "profile_pic": "https://x/q.jpg"}
    missing = ctx.api("GET", f"/channels/{ig['id']}/profile/999", account)
    assert missing.status_code == 200 and missing.json()["profile"] is None
    assert ctx.api("GET", f"/channels/{wa['id']}/profile/1", account).status_code == 400
    ctx.api("DELETE", f"/channels/{fb['id']}", account)
    assert ctx.api("GET", f"/channels/{fb['id']}/profile/789", account).status_code == 400
    assert ctx.api("GET", f"/channels/{ig['id']}/profile/..%2f", account).status_code in (200, 404)


@pytest.mark.parametrize("operation", ["list", "create", "update", "delete"])
def test_row6_meta_permanent_client_error_on_templates_is_400_with_meta_reason(ctx, operation):
    """Issue 18 row 6: Meta's permanent client errors (HTTP 400, code 100 / subcode 2388039 for a second edit of
    an approved template) were all answered 502 'retry may help'; they are 400 with Meta's reason."""
    account, channel = _wa(ctx)
    base = f"/channels/{channel['id']}/templates"
    made = ctx.api("POST", base, account, json={"name": "row6", "language": "en_US", "category": "UTILITY",
                                                  "components": [{"type": "BODY", "text": "Hi"}]})
    assert made.status_code == 201, made.text
    refusal = {"error": {"message": "Invalid parameter", "type": "OAuthException", "code": 100,
                         "error_subcode": 2388039, "error_user_msg": "Approved templates can be edited once a day"}}
    if operation == "update":
        ctx.fake.templates.clear()  # the fake answers code 100 "Unsupported post request" for an unknown id
    else:
        ctx.fake.faults["templates"].append((400, refusal))
    response = {"list": lambda: ctx.api("GET", base, account),
                "create": lambda: ctx.api("POST", base, account, json={
                    "name": "row6b", "language": "en_US", "category": "UTILITY",
                    "components": [{"type": "BODY", "text": "Hi"}]}),
                "update": lambda: ctx.api("PUT", f"{base}/{made.json()['id']}", account,
                                          json={"components": [{"type": "BODY", "text": "Hello"}]}),
                "delete": lambda: ctx.api("DELETE", f"{base}/{made.json()['id']}", account)}[operation]()
    assert response.status_code == 400, response.text
    detail = response.json()["detail"]
    assert detail.startswith("Meta rejected ") and "(code 100" in detail
    if operation != "update":
        assert "Invalid parameter (code 100/2388039)" in detail
    # an upstream failure (5xx) stays 502
    ctx.fake.faults["templates"].append((500, {"error": {"message": "boom", "code": 2}}))
    assert ctx.api("GET", base, account).status_code == 502
