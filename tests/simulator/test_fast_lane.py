"""Issue 17: the Graph fast lane answers exactly as the general path, and hands it everything else.

The same scenario (worlds, links, templates, profiles, media, then sends, reads and downloads of every kind the lane
takes and of the kinds it must refuse: an armed fault, an unknown or missing token, a token of another asset, odd
bodies and content types, a query token, a path of another shape, a deleted world) runs through two fresh apps,
one with the lane and one without (``SimulatorSettings.fast_lane``), each with the same seeded ids, tokens and
random bytes. Every ASGI message each app sent is compared (status, headers in order, body bytes, the one-write
mark), then the journal entries, the worlds (sends, statuses, media, faults consumed) and the webhooks scheduled,
all but the clock readings. A spy on ``fastlane.answer`` checks which requests the lane took. In process over raw
ASGI: well under a second.
"""

from __future__ import annotations

import asyncio
import base64
import itertools
import json
import random
import re
from typing import Any

import pytest

from simulator import events, ids
from simulator.app import create_app
from simulator.graph import fastlane, media
from simulator.settings import SimulatorSettings

LINK = "https://cdn.example/photo.jpg"
BIG_LINK = "https://cdn.example/huge.jpg"
PSID = "7000000000000001"
IGSID = "7000000000000002"


class _Secrets:
    """``secrets`` as the simulator uses it, from a seeded generator."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng

    def token_urlsafe(self, n: int) -> str:
        return base64.urlsafe_b64encode(self.rng.randbytes(n)).rstrip(b"=").decode()

    def token_hex(self, n: int) -> str:
        return self.rng.randbytes(n).hex()

    def randbelow(self, n: int) -> int:
        return self.rng.randrange(n)


class _Os:
    def __init__(self, rng: random.Random) -> None:
        self.urandom = rng.randbytes


def _seed(monkeypatch: pytest.MonkeyPatch, seed: int) -> None:
    rng = random.Random(seed)
    monkeypatch.setattr(ids, "_counter", itertools.count(10**9))
    monkeypatch.setattr(ids, "secrets", _Secrets(rng))
    monkeypatch.setattr(media, "secrets", _Secrets(rng))
    monkeypatch.setattr(ids, "os", _Os(rng))
    for name, value in (("_pool", b""), ("_pool_at", 0), ("_traces", b""), ("_traces_at", 0)):
        monkeypatch.setattr(ids, name, value)


async def _asgi(app: Any, method: str, path: str, *, query: str = "", headers: list[tuple[bytes, bytes]] | None = None,
                body: bytes = b"") -> list[dict[str, Any]]:
    scope = {"type": "http", "asgi": {"version": "3.0", "spec_version": "2.3"}, "http_version": "1.1",
             "method": method, "scheme": "http", "path": path, "raw_path": path.encode(),
             "query_string": query.encode(), "root_path": "", "headers": [(b"host", b"sim.test"), *(headers or [])],
             "client": ("127.0.0.1", 5000), "server": ("127.0.0.1", 80)}
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": body, "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    await app(scope, receive, send)
    return sent


def _json_of(sent: list[dict[str, Any]]) -> Any:
    return json.loads(b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body"))


def _auth(token: str, scheme: str = "Bearer") -> list[tuple[bytes, bytes]]:
    return [(b"authorization", f"{scheme} {token}".encode())]


_JSON = [(b"content-type", b"application/json")]


async def _scenario(app: Any, taken: list[bool], ordinary: list[bool]) -> list[tuple[str, list[dict[str, Any]], str]]:
    """Set up two worlds and send every request of the comparison; (label, ASGI messages sent, taken by the lane)
    per request (``taken``: the lane's verdicts, appended by a spy)."""
    out: list[tuple[str, list[dict[str, Any]], str]] = []

    async def control(method: str, path: str, body: Any = None) -> Any:
        sent = await _asgi(app, method, path, headers=_JSON, body=json.dumps(body).encode() if body is not None
                           else b"")
        assert sent[0]["status"] < 300, (path, sent)
        return _json_of(sent) if sent[0]["status"] != 204 else None

    w1 = await control("POST", "/_sim/worlds", {"assets": [{"channel": "whatsapp"}, {"channel": "facebook"},
                                                          {"channel": "instagram"}, {"channel": "whatsapp"}],
                                               "options": {"enforce_window": False}})
    w2 = await control("POST", "/_sim/worlds", {"assets": [{"channel": "whatsapp"}]})
    wid, wa, fb, ig, wa2 = w1["world_id"], *w1["assets"]
    pid, tok = wa["phone_number_id"], wa["access_token"]
    await control("POST", f"/_sim/worlds/{wid}/cdn", {"url": LINK, "content_type": "image/jpeg", "size": 20_000})
    await control("POST", f"/_sim/worlds/{wid}/cdn", {"url": "https://cdn.example/a.mp4", "content_type": "video/mp4"})
    await control("POST", f"/_sim/worlds/{wid}/cdn", {"url": BIG_LINK, "content_type": "image/jpeg", "size": 10**8})
    await control("POST", f"/_sim/worlds/{wid}/templates", {"asset_id": wa["asset_id"], "name": "hello",
                                                            "components": [{"type": "BODY", "text": "Hi {{1}}"}]})
    await control("POST", f"/_sim/worlds/{wid}/templates", {"asset_id": wa["asset_id"], "name": "plain",
                                                            "components": [{"type": "BODY", "text": "Hello"}]})
    await control("POST", f"/_sim/worlds/{wid}/templates", {"asset_id": wa["asset_id"], "name": "paused",
                                                            "status": "PAUSED"})
    await control("PUT", f"/_sim/worlds/{wid}/profiles/{PSID}", {"asset_id": fb["asset_id"], "name": "Ann Lee",
                                                                 "first_name": "Ann", "last_name": "Lee"})
    await control("PUT", f"/_sim/worlds/{wid}/profiles/{IGSID}", {"asset_id": ig["asset_id"], "username": "ann"})
    item = await control("POST", f"/_sim/worlds/{wid}/media", {"asset_id": wa["asset_id"], "mime_type": "image/png",
                                                               "content_base64": base64.b64encode(b"\x89PNG" * 9).decode()})
    mid = item["media_id"]

    async def graph(label: str, method: str, path: str, body: Any = None, *, token: str | None = tok,
                    scheme: str = "Bearer", query: str = "", headers: list[tuple[bytes, bytes]] | None = None,
                    raw: bytes | None = None) -> list[dict[str, Any]]:
        head = (_auth(token, scheme) if token else []) + (headers if headers is not None else
                                                           (_JSON if method == "POST" else []))
        data = raw if raw is not None else (json.dumps(body).encode() if body is not None else b"")
        before, before_ordinary = len(taken), len(ordinary)
        sent = await _asgi(app, method, path, query=query, headers=head, body=data)
        lane = "general"
        if len(taken) > before and taken[-1]:
            lane = "ordinary" if len(ordinary) > before_ordinary and ordinary[-1] else "handler"
        out.append((label, sent, lane))
        return sent

    send = f"/v21.0/{pid}/messages"

    def text(body: str = "hi", **extra: Any) -> dict[str, Any]:
        return {"messaging_product": "whatsapp", "to": "15551234567", "type": "text", "text": {"body": body}, **extra}

    await graph("text", "POST", send, text())
    await graph("text-all-fields", "POST", send, text(recipient_type="individual", biz_opaque_callback_data="b1",
                                                      context={"message_id": "wamid.x"}, extra_key=[1, None]))
    await graph("text-oauth-scheme", "POST", send, text(), scheme="OAuth")
    await graph("text-formatted-to", "POST", send, {**text(), "to": "+1 (555) 123-4567"})
    await graph("text-charset", "POST", send, text("é ✓"),
                headers=[(b"content-type", b"application/json; charset=utf-8")])
    await graph("image-link", "POST", send, {"messaging_product": "whatsapp", "to": "15551234567", "type": "image",
                                             "image": {"link": LINK, "caption": "c"}})
    await graph("image-unfetchable", "POST", send, {"messaging_product": "whatsapp", "to": "15551234567",
                                                    "type": "image", "image": {"link": "https://nowhere.example/x"}})
    await graph("image-too-big", "POST", send, {"messaging_product": "whatsapp", "to": "15551234567", "type": "image",
                                                "image": {"link": BIG_LINK}})
    await graph("document-id", "POST", send, {"messaging_product": "whatsapp", "to": "15551234567",
                                              "type": "document", "document": {"id": mid, "filename": "a.png"}})
    await graph("template", "POST", send, {"messaging_product": "whatsapp", "to": "15551234567", "type": "template",
                                           "template": {"name": "hello", "language": {"code": "en_US"}, "components": [
                                               {"type": "body", "parameters": [{"type": "text", "text": "Ann"}]}]}})
    await graph("template-plain", "POST", send, {"messaging_product": "whatsapp", "to": "15551234567",
                                                 "type": "template", "recipient_type": "individual",
                                                 "template": {"name": "plain", "language": {"code": "en_US"}}})
    await graph("text-preview-group", "POST", send, {**text(), "recipient_type": "group",
                                                     "text": {"body": "x" * 4096, "preview_url": True}})
    await graph("video-link", "POST", send, {"messaging_product": "whatsapp", "to": "15551234567", "type": "video",
                                             "video": {"link": "https://cdn.example/a.mp4?x=1"}})
    await graph("audio-caption", "POST", send, {"messaging_product": "whatsapp", "to": "15551234567", "type": "audio",
                                                "audio": {"link": LINK, "caption": "no"}})
    await graph("image-bad-link", "POST", send, {"messaging_product": "whatsapp", "to": "15551234567",
                                                 "type": "image", "image": {"link": "ftp://x"}})
    await graph("type-list", "POST", send, {**text(), "type": ["text"]})
    await graph("preview-null", "POST", send, {**text(), "text": {"body": "x", "preview_url": None}})
    await graph("location", "POST", send, {"messaging_product": "whatsapp", "to": "15551234567", "type": "location",
                                           "location": {"latitude": 1.5, "longitude": 2}})
    await graph("reaction", "POST", send, {"messaging_product": "whatsapp", "to": "15551234567", "type": "reaction",
                                           "reaction": {"message_id": "wamid.x", "emoji": "👍"}})
    await graph("mark-read", "POST", send, {"messaging_product": "whatsapp", "status": "read",
                                            "message_id": "wamid.x"})
    # refused by the lane: the general path answers (an error, or a success the lane does not recognise)
    await graph("template-unknown", "POST", send, {"messaging_product": "whatsapp", "to": "15551234567",
                                                   "type": "template", "template": {"name": "nope",
                                                                                    "language": {"code": "en_US"}}})
    await graph("template-paused", "POST", send, {"messaging_product": "whatsapp", "to": "15551234567",
                                                  "type": "template", "template": {"name": "paused",
                                                                                   "language": {"code": "en_US"}}})
    await graph("text-too-long", "POST", send, text("x" * 4097))
    await graph("no-recipient", "POST", send, {"messaging_product": "whatsapp", "type": "text", "text": {"body": "x"}})
    await graph("bad-json", "POST", send, raw=b'{"messaging_product":')
    await graph("array-body", "POST", send, raw=b"[1]")
    await graph("nan-body", "POST", send, raw=b'{"messaging_product":"whatsapp","n":NaN}')
    await graph("int-beyond-64-bits", "POST", send, text(n=2**70))
    await graph("form-body", "POST", send, raw=b"messaging_product=whatsapp&to=15551234567&type=text&text=%7B%22body"
                                                 b"%22%3A%22hi%22%7D",
                headers=[(b"content-type", b"application/x-www-form-urlencoded")])
    await graph("text-plain-type", "POST", send, text(), headers=[(b"content-type", b"text/plain")])
    await graph("body-token", "POST", send, text(access_token=tok))
    await graph("query-token", "POST", send, text(), query=f"access_token={tok}")
    await graph("unknown-token", "POST", send, text(), token="EAASnope")
    await graph("no-token", "POST", send, text(), token=None)
    await graph("user-token", "POST", send, text(), token=w1["user_access_token"])
    await graph("other-asset-token", "POST", send, text(), token=wa2["access_token"])
    await graph("messenger-send", "POST", f"/v21.0/{fb['page_id']}/messages",
                {"recipient": {"id": PSID}, "message": {"text": "hi"}}, token=fb["access_token"])
    await graph("trailing-slash", "POST", send + "/", text())
    await graph("no-version", "POST", f"/{pid}/messages", text())
    await graph("window-closed", "POST", f"/v21.0/{w2['assets'][0]['phone_number_id']}/messages", text(),
                token=w2["assets"][0]["access_token"])
    # reads
    await graph("profile", "GET", f"/v21.0/{PSID}", token=fb["access_token"], query="fields=first_name,last_name")
    await graph("profile-default", "GET", f"/v21.0/{PSID}", token=fb["access_token"])
    await graph("profile-instagram", "GET", f"/v21.0/{IGSID}", token=ig["access_token"])
    await graph("profile-unknown-field", "GET", f"/v21.0/{PSID}", token=fb["access_token"], query="fields=nope")
    await graph("profile-other-asset", "GET", f"/v21.0/{PSID}", token=ig["access_token"])
    await graph("profile-unknown", "GET", "/v21.0/7999999999999999", token=fb["access_token"])
    await graph("phone-number-read", "GET", f"/v21.0/{pid}")
    await graph("media-info", "GET", f"/v21.0/{mid}")
    info = _json_of(out[-1][1])
    url_query = info["url"].split("?", 1)[1]
    download = "/whatsapp_business/attachments/"
    await graph("download", "GET", download, query=url_query)
    await graph("download-wrong-hash", "GET", download, query=url_query.replace("hash=", "hash=x"))
    await graph("download-no-token", "GET", download, query=url_query, token=None)
    # faults: an armed rule sends every request of the world to the general path, which consumes it
    await control("POST", f"/_sim/worlds/{wid}/faults", {"rules": [
        {"match": {"path_contains": "/messages"}, "action": {"kind": "http_error", "code": 131000}, "times": 1},
        {"match": {"method": "PATCH"}, "action": {"kind": "reset"}, "times": None}]})
    await graph("fault-fires", "POST", send, text())
    await graph("fault-armed-not-matching", "POST", send, text())
    await graph("fault-armed-download", "GET", download, query=url_query)
    out.append(("faults-consumed", await _asgi(app, "GET", f"/_sim/worlds/{wid}/faults"), "control"))
    await control("DELETE", f"/_sim/worlds/{wid}/faults")
    await graph("text-after-faults", "POST", send, text())
    # the clock and world changes: an expired URL, a deleted world's token, a new world
    await control("POST", f"/_sim/worlds/{wid}/clock/advance", {"seconds": 400})
    await graph("download-expired", "GET", download, query=url_query)
    await control("DELETE", f"/_sim/worlds/{w2['world_id']}")
    await graph("deleted-world", "POST", f"/v21.0/{w2['assets'][0]['phone_number_id']}/messages", text(),
                token=w2["assets"][0]["access_token"])
    await control("POST", "/_sim/worlds", {"assets": [{"channel": "whatsapp"}]})
    await graph("text-after-new-world", "POST", send, text())
    await control("PATCH", f"/_sim/worlds/{wid}/options", {"text_length_unit": "utf16"})
    await graph("text-utf16", "POST", send, text("😀" * 2048))
    await graph("text-utf16-too-long", "POST", send, text("😀" * 2049))
    return out


TAKEN = {"template-plain", "text-preview-group", "video-link", "text", "text-all-fields", "text-oauth-scheme", "text-formatted-to", "text-charset", "image-link",
         "image-unfetchable", "image-too-big", "document-id", "template", "location", "reaction", "mark-read",
         "window-closed", "profile", "profile-default", "profile-instagram", "download", "text-after-faults",
         "text-after-new-world", "text-utf16"}
# ... and of those, answered by the lane's own prebuilt answer (the others by whatsapp.send or users.profile in it)
ORDINARY = {"text", "text-oauth-scheme", "text-charset", "image-link", "template-plain", "text-preview-group",
            "video-link", "text-after-faults", "text-after-new-world"}

_TIMES = re.compile(r'"timestamp": ?"?\d+(\.\d+)?"?')


def _untimed(sent: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The messages with a media URL's expiry (``ext=``, whole seconds of the clock) left out."""
    return [{**m, "body": re.sub(rb"ext=\d+", b"ext=T", m["body"])} if "body" in m else m for m in sent]


def _state(app: Any, scheduled: list[Any]) -> dict[str, Any]:
    store = app.state.store
    entries = [{k: v for k, v in e.to_dict().items() if k not in ("virtual_time", "real_time")}
               for e in store.journal.entries()]
    worlds = {}
    for world_id, world in store.worlds.items():
        worlds[world_id] = {
            "messages": [record[:6] + record[7:] for record in world.messages.values()],
            "media": {k: (m.url_key, m.delivery, m.content) for k, m in world.media.items()},
            "faults": world.faults.list(),
            "profiles": world.profiles, "options": world.options, "templates": sorted(world.templates),
            "deliveries": world.deliveries, "inbound": sorted(world.last_inbound),
            "clock": round(world.clock.offset)}
    return {"journal": re.sub(r"ext=\d+", "ext=T", json.dumps(entries, default=repr)), "worlds": worlds,
            "scheduled": [_TIMES.sub('"timestamp":"T"', json.dumps(s, sort_keys=True)) for s in scheduled]}


def _run(monkeypatch: pytest.MonkeyPatch, fast: bool) -> tuple[list[Any], dict[str, Any], dict[str, set[str]]]:
    _seed(monkeypatch, 17)
    scheduled: list[Any] = []
    monkeypatch.setattr(events, "emit_later", lambda store, world, payload, delay: scheduled.append(
        (world.world_id, payload, delay)))
    taken: list[bool] = []
    real_answer = fastlane.answer

    def spy(*args: Any) -> Any:
        response = real_answer(*args)
        taken.append(response is not None)
        return response

    monkeypatch.setattr(fastlane, "answer", spy)
    real_ordinary = fastlane._ordinary_send
    ordinary: list[bool] = []

    def ordinary_spy(*args: Any) -> Any:
        body = real_ordinary(*args)
        ordinary.append(body is not None)
        return body

    monkeypatch.setattr(fastlane, "_ordinary_send", ordinary_spy)
    app = create_app(SimulatorSettings(app_secret="s", verify_token="v", fast_lane=fast))
    out = asyncio.run(_scenario(app, taken, ordinary))
    lanes: dict[str, set[str]] = {"ordinary": set(), "handler": set()}
    for label, _, lane in out:
        lanes.setdefault(lane, set()).add(label)
    return [(label, sent) for label, sent, _ in out], _state(app, scheduled), lanes


def test_the_fast_lane_answers_and_records_exactly_as_the_general_path(monkeypatch):
    fast_out, fast_state, lanes = _run(monkeypatch, fast=True)
    general_out, general_state, general_lanes = _run(monkeypatch, fast=False)
    assert general_lanes["ordinary"] | general_lanes["handler"] == set()
    assert lanes["ordinary"] | lanes["handler"] == TAKEN
    assert lanes["ordinary"] == ORDINARY
    assert [label for label, _ in fast_out] == [label for label, _ in general_out]
    for (label, fast_sent), (_, general_sent) in zip(fast_out, general_out, strict=True):
        assert _untimed(fast_sent) == _untimed(general_sent), label
    assert fast_state["journal"] == general_state["journal"]
    assert fast_state["worlds"] == general_state["worlds"]
    assert fast_state["scheduled"] == general_state["scheduled"]
    assert len(fast_state["scheduled"]) == 3  # 131053 twice (unfetchable, too big), 131047 once (window closed)
    statuses = {label: sent[0]["status"] for label, sent in fast_out}
    assert statuses["fault-fires"] == 500 and statuses["download-expired"] == 404
    assert statuses["template-unknown"] == 400
    assert _json_of(dict(fast_out)["deleted-world"])["error"]["code"] == 190  # the cached route was forgotten


def test_the_switch_reads_the_environment(monkeypatch):
    monkeypatch.setenv("FIWANO_SIM_FAST_LANE", "false")
    assert create_app(SimulatorSettings()).fast_lane is False
    monkeypatch.delenv("FIWANO_SIM_FAST_LANE")
    assert create_app(SimulatorSettings()).fast_lane is True
