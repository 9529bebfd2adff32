"""Media: WhatsApp send by link against the fake CDN, retrieval and download, inbound media of every type."""

from __future__ import annotations

import base64
import hashlib
import json

import pytest

from .conftest import bearer

PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4


def _send_media(graph, wa, kind, obj, to="4915100000200"):
    return graph.post(f"/v21.0/{wa.phone_number_id}/messages", headers=bearer(wa.access_token),
                      json={"messaging_product": "whatsapp", "to": to, "type": kind, kind: obj})


def _statuses(receiver, world, count):
    out = []
    for request in receiver.wait_for(world, count):
        value = json.loads(request["raw"])["entry"][0]["changes"][0]["value"]
        out.extend(value.get("statuses", []))
    return out


@pytest.mark.parametrize("kind,obj,ctype", [
    ("image", {"caption": "Your order photo"}, "image/jpeg"),
    ("audio", {}, "audio/ogg"),
    ("video", {"caption": "Demo"}, "video/mp4"),
    ("document", {"caption": "Invoice", "filename": "invoice-42.pdf"}, "application/pdf"),
])
def test_media_send_by_fetchable_link(sim, graph, world, kind, obj, ctype):
    wa = world.asset("whatsapp")
    sim.emit_inbound_text(world.world_id, wa.asset_id, "4915100000200", "hi")
    url = f"https://cdn.example.com/{kind}"
    sim.register_link(world.world_id, url, content_type=ctype, size=1000)
    r = _send_media(graph, wa, kind, {"link": url, **obj})
    assert r.status_code == 200 and r.json()["messages"][0]["id"].startswith("wamid.")
    (sent,) = sim.sent_messages(world.world_id)
    assert sent.type == kind and sent.payload[kind]["link"] == url and sent.statuses == []


@pytest.mark.parametrize("register", [None, {"fetchable": False, "error_code": 403},
                                      {"content_type": "text/html"}, {"content_type": "image/png", "size": 6 * 2**20}])
def test_media_link_failures_are_async_131053(sim, graph, world, receiver, register):
    wa = world.asset("whatsapp")
    sim.emit_inbound_text(world.world_id, wa.asset_id, "4915100000201", "hi")
    url = "https://cdn.example.com/broken.png"
    if register is not None:
        sim.register_link(world.world_id, url, **register)
    r = _send_media(graph, wa, "image", {"link": url}, to="4915100000201")
    assert r.status_code == 200
    (status,) = _statuses(receiver, world, 2)
    assert status["status"] == "failed" and status["errors"][0]["code"] == 131053
    assert status["id"] == r.json()["messages"][0]["id"]


def test_media_link_failure_sync_mode(sim, graph):
    w = sim.create_world(["whatsapp"], enforce_window=False, whatsapp_media_error="sync")
    try:
        r = _send_media(graph, w.asset("whatsapp"), "image", {"link": "https://nowhere.example/x.jpg"})
        assert r.status_code == 400 and r.json()["error"]["code"] == 131053
    finally:
        sim.delete_world(w.world_id)


@pytest.mark.parametrize("obj", [{"link": "ftp://x/y"}, {"link": "https://x/y", "id": "1"}, {"id": "123"},
                                 {"link": 5}, {"link": "https://x/y", "filename": "a.pdf"}])
def test_media_bad_parameters(graph, world, obj):
    r = _send_media(graph, world.asset("whatsapp"), "image", obj)
    assert r.status_code == 400 and r.json()["error"]["code"] in (100, 131008)


def test_audio_caption_rejected(graph, world):
    r = _send_media(graph, world.asset("whatsapp"), "audio", {"link": "https://x/a.ogg", "caption": "no"})
    assert r.status_code == 400


def test_retrieve_and_download_inbound_media(sim, graph, world, receiver):
    wa = world.asset("whatsapp")
    result = sim.emit_inbound(world.world_id, wa.asset_id, "4915100000202", "image", content=PNG,
                              media={"mime_type": "image/png"}, caption="look")
    (request,) = receiver.for_world(world)
    message = json.loads(request["raw"])["entry"][0]["changes"][0]["value"]["messages"][0]
    assert message["type"] == "image"
    image = message["image"]
    assert image["id"] == result.media_id and image["mime_type"] == "image/png" and image["caption"] == "look"
    assert image["sha256"] == base64.b64encode(hashlib.sha256(PNG).digest()).decode()

    info = graph.get(f"/v21.0/{image['id']}", headers=bearer(wa.access_token)).json()
    assert info["messaging_product"] == "whatsapp" and info["id"] == image["id"]
    assert info["mime_type"] == "image/png" and info["sha256"] == image["sha256"] and info["file_size"] == len(PNG)
    assert "/whatsapp_business/attachments/?mid=" in info["url"]

    assert graph.get(info["url"]).status_code == 401                              # the token is required
    download = graph.get(info["url"], headers=bearer(wa.access_token))
    assert download.status_code == 200 and download.content == PNG
    assert download.headers["content-type"] == "image/png"
    assert any(e.path == "/whatsapp_business/attachments/" for e in sim.journal(world.world_id))

    sim.advance_clock(301, world_id=world.world_id)                               # URL valid for 5 minutes
    assert graph.get(info["url"], headers=bearer(wa.access_token)).status_code == 404
    fresh = graph.get(f"/v21.0/{image['id']}", headers=bearer(wa.access_token)).json()["url"]
    assert graph.get(fresh, headers=bearer(wa.access_token)).content == PNG
    other = graph.get(f"/v21.0/{image['id']}", params={"phone_number_id": "1"}, headers=bearer(wa.access_token))
    assert other.status_code == 400


def test_media_of_another_world_is_invisible(sim, graph, world):
    wa = world.asset("whatsapp")
    result = sim.emit_inbound(world.world_id, wa.asset_id, "4915100000203", "document", content=b"%PDF-1.4",
                              media={"mime_type": "application/pdf", "filename": "a.pdf"})
    other = sim.create_world(["whatsapp"])
    try:
        r = graph.get(f"/v21.0/{result.media_id}", headers=bearer(other.asset("whatsapp").access_token))
        assert r.status_code == 400 and r.json()["error"]["error_subcode"] == 33
    finally:
        sim.delete_world(other.world_id)


@pytest.mark.parametrize("kind,extra,wa_type,check", [
    ("audio", {}, "audio", lambda o: o["voice"] is False),
    ("voice", {}, "audio", lambda o: o["voice"] is True and o["mime_type"].startswith("audio/ogg")),
    ("video", {"caption": "c"}, "video", lambda o: o["caption"] == "c"),
    ("document", {"media": {"filename": "r.pdf", "size": 10}}, "document", lambda o: o["filename"] == "r.pdf"),
    ("sticker", {}, "sticker", lambda o: o["mime_type"] == "image/webp" and o["animated"] is False),
    ("location", {"location": {"latitude": 52.5, "longitude": 13.4, "name": "Berlin"}}, "location",
     lambda o: o["latitude"] == 52.5),
    ("contacts", {"contacts": [{"name": {"formatted_name": "Lucía"}, "phones": [{"phone": "+1 555"}]}]}, "contacts",
     lambda o: o[0]["name"]["formatted_name"] == "Lucía"),
    ("reaction", {"reaction": {"message_id": "wamid.X", "emoji": "👍"}}, "reaction", lambda o: o["emoji"] == "👍"),
    ("interactive", {"interactive": {"type": "button_reply", "button_reply": {"id": "y", "title": "Yes"}}},
     "interactive", lambda o: o["button_reply"]["id"] == "y"),
])
def test_whatsapp_inbound_types(sim, world, receiver, kind, extra, wa_type, check):
    wa = world.asset("whatsapp")
    sim.emit_inbound(world.world_id, wa.asset_id, "4915100000204", kind, sender_name="Ana", **extra)
    (request,) = receiver.for_world(world)
    message = json.loads(request["raw"])["entry"][0]["changes"][0]["value"]["messages"][0]
    assert message["type"] == wa_type
    assert check(message[wa_type])


@pytest.mark.parametrize("channel", ["facebook", "instagram"])
def test_messaging_inbound_attachment_is_fetchable_without_token(sim, graph, world, receiver, channel):
    asset = world.asset(channel)
    sim.emit_inbound(world.world_id, asset.asset_id, "7300000000000001", "image", content=PNG,
                     media={"mime_type": "image/png"})
    (request,) = receiver.for_world(world)
    message = json.loads(request["raw"])["entry"][0]["messaging"][0]["message"]
    (attachment,) = message["attachments"]
    assert attachment["type"] == "image"
    r = graph.get(attachment["payload"]["url"])
    assert r.status_code == 200 and r.content == PNG


@pytest.mark.parametrize("channel", ["facebook", "instagram"])
def test_messaging_inbound_unavailable_types_are_400(sim, world, channel):
    from simulator.client import SimulatorError

    with pytest.raises(SimulatorError) as info:
        sim.emit_inbound(world.world_id, world.asset(channel).asset_id, "7300000000000002", "location",
                         location={"latitude": 1, "longitude": 2})
    assert info.value.status == 400


def test_messenger_attachment_send(sim, graph, world):
    fb = world.asset("facebook")
    sim.emit_inbound_text(world.world_id, fb.asset_id, "7300000000000003", "hi")
    body = {"recipient": {"id": "7300000000000003"}, "messaging_type": "RESPONSE",
            "message": {"attachment": {"type": "image", "payload": {"url": "https://cdn.example.com/p.jpg",
                                                                    "is_reusable": True}}}}
    r = graph.post(f"/v21.0/{fb.page_id}/messages", headers=bearer(fb.access_token), json=body)
    assert r.status_code == 400 and r.json()["error"]["error_subcode"] == 2018008   # not fetchable
    sim.register_link(world.world_id, "https://cdn.example.com/p.jpg", content_type="image/jpeg")
    r = graph.post(f"/v21.0/{fb.page_id}/messages", headers=bearer(fb.access_token), json=body)
    assert r.status_code == 200 and set(r.json()) == {"recipient_id", "message_id", "attachment_id"}


def test_register_media_control(sim, graph, world):
    wa = world.asset("whatsapp")
    registered = sim.register_media(world.world_id, wa.asset_id, b"hello", "text/plain", filename="h.txt")
    assert registered["file_size"] == 5
    info = graph.get(f"/v21.0/{registered['media_id']}", headers=bearer(wa.access_token)).json()
    assert graph.get(info["url"], headers=bearer(wa.access_token)).content == b"hello"
    sim.emit_inbound_text(world.world_id, wa.asset_id, "4915100000205", "hi")
    r = _send_media(graph, wa, "document", {"id": registered["media_id"], "filename": "h.txt"}, to="4915100000205")
    assert r.status_code == 200
    assert graph.delete(f"/v21.0/{registered['media_id']}", headers=bearer(wa.access_token)).json() == {"success": True}
    assert graph.get(f"/v21.0/{registered['media_id']}", headers=bearer(wa.access_token)).status_code == 400


def test_whatsapp_inbound_unsupported_and_media_error(sim, world, receiver):
    wa = world.asset("whatsapp")
    sim.emit_inbound(world.world_id, wa.asset_id, "4915100000206", "unsupported")
    sim.emit_inbound(world.world_id, wa.asset_id, "4915100000206", "video", media_error=True)
    first, second = (json.loads(r["raw"])["entry"][0]["changes"][0]["value"]["messages"][0]
                     for r in receiver.for_world(world))
    assert first["type"] == "unsupported" and first["errors"][0]["code"] == 131051
    assert second["type"] == "video" and second["errors"][0]["code"] == 131052 and "video" not in second


@pytest.mark.parametrize("delivery", ["chunked", "truncated", "endless", "redirect"])
def test_hostile_media_deliveries(sim, graph, world, delivery):
    import httpx

    fb = world.asset("facebook")
    result = sim.emit_inbound(world.world_id, fb.asset_id, "7300000000000009", "document", content=b"%PDF" * 100,
                              media={"mime_type": "application/pdf", "filename": "evil\"\r\nX-Injected: 1.pdf",
                                     "delivery": delivery, "redirect_url": "http://127.0.0.1:9/canary"})
    url = result.payload["entry"][0]["messaging"][0]["message"]["attachments"][0]["payload"]["url"]
    if delivery == "chunked":
        r = graph.get(url)
        assert r.content == b"%PDF" * 100 and "content-length" not in r.headers
    elif delivery == "truncated":
        with pytest.raises(httpx.RemoteProtocolError):
            graph.get(url)
    elif delivery == "endless":
        received = 0
        with graph.stream("GET", url) as r:
            for chunk in r.iter_bytes():
                received += len(chunk)
                if received > 1_000_000:
                    break
        assert received > 1_000_000
    else:
        r = graph.get(url)
        assert r.status_code == 302 and r.headers["location"] == "http://127.0.0.1:9/canary"


def test_whatsapp_download_uses_the_delivery_mode(sim, graph, world):
    wa = world.asset("whatsapp")
    result = sim.emit_inbound(world.world_id, wa.asset_id, "4915100000207", "image", content=b"x" * 10,
                              media={"mime_type": "image/jpeg", "delivery": "chunked"})
    info = graph.get(f"/v21.0/{result.media_id}", headers=bearer(wa.access_token)).json()
    r = graph.get(info["url"], headers=bearer(wa.access_token))
    assert r.content == b"x" * 10 and r.headers.get("transfer-encoding") == "chunked"
