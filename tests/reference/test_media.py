from __future__ import annotations

import base64
import hashlib

import pytest

from tests.reference.fake_meta import page_event, wa_message

PNG = b"\x89PNG\r\n\x1a\n" + b"x" * 5000


def _pro_wa(ctx, tier="pro"):
    account = ctx.account(tier)
    channel = ctx.connect(account, "whatsapp")
    ctx.hook(account, channel, ["message.received"])
    return account, channel


def test_whatsapp_image_downloaded_and_served(ctx):
    account, channel = _pro_wa(ctx)
    ctx.fake.media["777"] = (PNG, "image/png")
    sha = base64.b64encode(hashlib.sha256(PNG).digest()).decode()
    ctx.meta_webhook(wa_message("1001", {"from": "15551234", "id": "wamid.IMG", "timestamp": "1736937000",
                                         "type": "image", "image": {"id": "777", "mime_type": "image/png",
                                                                    "sha256": sha, "caption": "Check this"}}))
    (body,) = ctx.sink.bodies()
    data = body["data"]
    assert data["type"] == "image" and data["caption"] == "Check this" and data["from_name"] == "John Doe"
    media = data["media"]
    assert media["kind"] == "image" and media["mime_type"] == "image/png" and media["file_size"] == len(PNG)
    assert media["sha256"] == sha and media["filename"] is None and media["duration_ms"] is None
    assert media["download_url"] == f"http://ref.test/api/v1/media/{media['media_id']}"
    got = ctx.api("GET", f"/media/{media['media_id']}", account)
    assert got.status_code == 200 and got.content == PNG
    assert got.headers["content-type"] == "image/png" and got.headers["x-content-type-options"] == "nosniff"
    other = ctx.account()
    assert ctx.api("GET", f"/media/{media['media_id']}", other).status_code == 404
    assert ctx.api("GET", "/media/nope", account).status_code == 404
    ctx.advance(3601)
    gone = ctx.api("GET", f"/media/{media['media_id']}", account)
    assert gone.status_code == 410 and "detail" in gone.json()


def test_voice_document_and_failed_download(ctx):
    account, channel = _pro_wa(ctx)
    ctx.fake.media["1"] = (b"OggS" + b"v" * 100, "audio/ogg")
    ctx.fake.media["2"] = (b"%PDF" + b"d" * 100, "application/pdf")
    ctx.meta_webhook(wa_message("1001", {"from": "1", "id": "w1", "timestamp": "1", "type": "audio",
                                         "audio": {"id": "1", "mime_type": "audio/ogg; codecs=opus", "voice": True}}))
    ctx.meta_webhook(wa_message("1001", {"from": "1", "id": "w2", "timestamp": "1", "type": "document",
                                         "document": {"id": "2", "mime_type": "application/pdf",
                                                      "filename": "../../etc/re\"ceipt.pdf"}}))
    ctx.meta_webhook(wa_message("1001", {"from": "1", "id": "w3", "timestamp": "1", "type": "video",
                                         "video": {"id": "404", "mime_type": "video/mp4"}}))
    voice, doc, failed = [b["data"] for b in ctx.sink.bodies()]
    assert voice["type"] == "audio" and voice["media"]["kind"] == "voice"
    assert doc["media"]["filename"] == "../../etc/re\"ceipt.pdf"
    served = ctx.api("GET", f"/media/{doc['media']['media_id']}", account)
    assert served.headers["content-disposition"] == 'attachment; filename="re_ceipt.pdf"'
    assert failed["media"]["download_url"] is None and failed["media"]["error"]
    assert ctx.api("GET", f"/media/{failed['media']['media_id']}", account).status_code == 410


def test_too_large_file_is_refused(ctx):
    account, channel = _pro_wa(ctx)
    ctx.fake.media["9"] = (b"x" * 10_000_001, "video/mp4")
    ctx.meta_webhook(wa_message("1001", {"from": "1", "id": "w9", "timestamp": "1", "type": "video",
                                         "video": {"id": "9", "mime_type": "video/mp4"}}))
    (body,) = ctx.sink.bodies()
    assert body["data"]["media"]["download_url"] is None and "10000000" in body["data"]["media"]["error"]


@pytest.mark.parametrize("kind,channel_type,asset", [("page", "facebook", "3001"), ("instagram", "instagram", "4001")])
def test_page_attachments(ctx, kind, channel_type, asset):
    account = ctx.account()
    channel = ctx.connect(account, channel_type)
    ctx.hook(account, channel, ["message.received"])
    ctx.fake.media["cdn1"] = (b"%PDF-1", "application/pdf")
    ctx.meta_webhook(page_event(kind, asset, "55", {"message": {"mid": "m.att", "attachments": [
        {"type": "file", "payload": {"url": "http://fake-meta/_cdn/files/cdn1"}}]}}))
    (body,) = ctx.sink.bodies()
    data = body["data"]
    assert data["type"] == "file" and data["media"]["kind"] == "document" and data["from_name"] is None
    assert data["media"]["sha256"] is None
    assert ctx.api("GET", f"/media/{data['media']['media_id']}", account).content == b"%PDF-1"


@pytest.mark.parametrize("url", ["http://[::1/broken", "https://exa mple.com/a b\x00"])
def test_attachment_url_the_client_refuses_is_a_failed_download(ctx, url):
    """httpx raises InvalidURL (not an HTTPError) on such URLs: still a failed download with its error."""
    account = ctx.account()
    channel = ctx.connect(account, "facebook")
    ctx.hook(account, channel, ["message.received"])
    ctx.meta_webhook(page_event("page", "3001", "55", {"message": {"mid": "m.bad", "attachments": [
        {"type": "image", "payload": {"url": url}}]}}))
    (body,) = ctx.sink.bodies()
    media = body["data"]["media"]
    assert media is not None and media["download_url"] is None and media["error"]


def test_starter_file_unsupported_type_is_file(ctx):
    account = ctx.account("starter")
    channel = ctx.connect(account, "facebook")
    ctx.hook(account, channel, ["message.received"])
    ctx.meta_webhook(page_event("page", "3001", "55", {"message": {"mid": "m.f", "attachments": [
        {"type": "file", "payload": {"url": "http://fake-meta/_cdn/files/x"}}]}}))
    assert ctx.sink.bodies()[0]["data"]["unsupported_type"] == "file"


def _media(channel, **extra):
    body = {"channel_id": channel["id"], "recipient": "15551234", "media_type": "image",
            "media_url": "https://my-bucket.s3.amazonaws.com/photo.jpg?X-Amz-Signature=abc&X-Amz-Expires=600"}
    body.update(extra)
    return body


def test_send_media_whatsapp(ctx):
    account = ctx.account()
    channel = ctx.connect(account, "whatsapp")
    response = ctx.api("POST", "/messages/send-media", account,
                       json=_media(channel, media_type="document", caption="c" * 1024, filename="f" * 255))
    assert response.status_code == 200 and response.json()["success"] is True
    (call,) = ctx.fake.sends()
    assert call["json"]["type"] == "document"
    assert call["json"]["document"] == {"link": _media(channel)["media_url"], "caption": "c" * 1024,
                                        "filename": "f" * 255}


def test_send_media_facebook_document_is_file_and_instagram_refuses(ctx):
    account = ctx.account()
    fb = ctx.connect(account, "facebook")
    ig = ctx.connect(account, "instagram")
    assert ctx.api("POST", "/messages/send-media", account, json=_media(fb, media_type="document")).status_code == 200
    assert ctx.fake.sends()[0]["json"]["message"]["attachment"]["type"] == "file"
    assert ctx.api("POST", "/messages/send-media", account, json=_media(ig, media_type="document")).status_code == 422
    assert len(ctx.fake.sends()) == 1


@pytest.mark.parametrize("extra", [
    {"media_type": "sticker"}, {"media_url": "http://example.com/a.jpg"}, {"media_url": "https://10.0.0.1/a.jpg"},
    {"media_url": "https://user:pass@example.com/a.jpg"}, {"media_url": "https://example.com/" + "a" * 2029},
    {"caption": "c" * 1025}, {"filename": "f" * 256}, {"media_url": "https://[::ffff:127.0.0.1]/a"},
    {"media_url": "/relative.jpg"},
])
def test_send_media_validation_422_no_meta_call(ctx, extra):
    account = ctx.account()
    channel = ctx.connect(account, "whatsapp")
    response = ctx.api("POST", "/messages/send-media", account, json=_media(channel, **extra))
    assert response.status_code == 422 and "detail" in response.json()
    assert ctx.fake.sends() == []


def test_send_media_starter_402_and_meta_error_code(ctx):
    starter = ctx.account("starter")
    channel = ctx.connect(starter, "whatsapp")
    assert ctx.api("POST", "/messages/send-media", starter, json=_media(channel)).status_code == 402
    pro = ctx.account()
    channel = ctx.connect(pro, "facebook")
    ctx.fake.fail_next("3001", (400, {"error": {"message": "(#131053) Media upload error", "code": 131053}}))
    body = ctx.api("POST", "/messages/send-media", pro, json=_media(channel)).json()
    assert body["success"] is False and body["status"] == "failed" and body["error_code"] == 131053


def test_media_download_needs_pro(ctx):
    account, channel = _pro_wa(ctx)
    ctx.fake.media["5"] = (b"img", "image/jpeg")
    ctx.meta_webhook(wa_message("1001", {"from": "1", "id": "w5", "timestamp": "1", "type": "image",
                                         "image": {"id": "5", "mime_type": "image/jpeg"}}))
    media_id = ctx.sink.bodies()[0]["data"]["media"]["media_id"]
    ctx.client.post(f"/harness/accounts/{account['account_id']}/subscription",
                    json={"tier": "starter", "subscription_status": "active", "source": "paddle"})
    assert ctx.api("GET", f"/media/{media_id}", account).status_code == 402
