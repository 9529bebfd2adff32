"""Profile fiwano-2026-10, changelog 2026-09-14 "shares, taps, replies" (shares and story replies): an Instagram or
Messenger shared post, reel or story mention arrives as ``type: "share"`` with ``share_type``, ``share.url`` and
``caption``; an Instagram reply to the business's story carries ``reply_to.story``.

What Meta sends (simulator/inbound.py): Instagram ``ig_post`` / ``ig_reel`` / ``story_mention`` attachments,
Messenger ``share`` / ``reel`` (the caption as the payload's ``title``); a story reply as ``message.reply_to.story``
{url, id}. The values of ``share_type`` the changelog does not list: any non-empty name is accepted, one per kind.
"""

from __future__ import annotations

from typing import Any

import pytest

from suites import expect
from suites.data import secret, user_id
from suites.support_relay import configure, emit, payload_of

CAPTION = "Our new collection 🌿"
SHARES = [("instagram", "post"), ("instagram", "reel"), ("instagram", "story_mention"), ("facebook", "post"),
          ("facebook", "reel")]


def _received(account, channel, channel_type, sink, simulator, fiwano_config, rng, req, **fields):
    ch = channel(account(), channel_type)
    endpoint = sink()
    configure(ch, {"webhook_url": endpoint.url, "webhook_secret": secret(rng), "webhook_events": ["message.received"]})
    result = emit(simulator, ch, user_id(channel_type, rng), req=req, **fields)
    delivery = endpoint.wait_for(1, fiwano_config.delivery_timeout, what=f"{req}: message.received")[0]
    return result, payload_of(delivery, req).get("data") or {}


def _meta_message(payload: dict[str, Any] | None) -> dict[str, Any]:
    return ((payload or {}).get("entry") or [{}])[0]["messaging"][0]["message"]


@pytest.mark.req("RELAY-SHARE")
@pytest.mark.level("simulated")
@pytest.mark.parametrize("channel_type,kind", SHARES)
def test_shared_content_arrives_as_share(account, channel, channel_type, kind, sink, simulator, fiwano_config, rng):
    share: dict[str, Any] = {"kind": kind}
    if kind != "story_mention":
        share["caption"] = CAPTION
    result, data = _received(account, channel, channel_type, sink, simulator, fiwano_config, rng, "RELAY-SHARE",
                             type="share", share=share)

    url = _meta_message(result.payload)["attachments"][0]["payload"]["url"]
    what = f"a {channel_type} shared {kind}"
    shown = data.get("share")
    expect.check(data.get("type") == "share" and isinstance(data.get("share_type"), str) and data["share_type"]
                 and isinstance(shown, dict) and shown.get("url") == url, "RELAY-SHARE", what,
                 f'type "share", a share_type and share.url {url!r}', data)
    expected_caption = share.get("caption")
    expect.check(data.get("caption") == expected_caption, "RELAY-SHARE", f"{what}: caption",
                 expected_caption if expected_caption is not None else "null or absent", data.get("caption"))
    expect.check(data.get("message_id") == result.message_id, "RELAY-SHARE", f"{what}: message_id",
                 result.message_id, data.get("message_id"))


@pytest.mark.req("RELAY-SHARE")
@pytest.mark.level("simulated")
@pytest.mark.parametrize("channel_type", ["instagram", "facebook"])
def test_post_and_reel_have_different_share_types(account, channel, channel_type, sink, simulator, fiwano_config, rng):
    seen = {}
    for kind in ("post", "reel"):
        _, data = _received(account, channel, channel_type, sink, simulator, fiwano_config, rng, "RELAY-SHARE",
                            type="share", share={"kind": kind, "caption": CAPTION})
        seen[kind] = data.get("share_type")
    expect.check(seen["post"] != seen["reel"], "RELAY-SHARE", f"share_type of a {channel_type} post and a reel",
                 "two different names", seen)


@pytest.mark.req("RELAY-STORY-REPLY")
@pytest.mark.level("simulated")
@pytest.mark.parametrize("channel_type", ["instagram"])
def test_story_reply_carries_the_story(account, channel, channel_type, sink, simulator, fiwano_config, rng):
    text = f"love this story #{rng.randrange(10**6)}"
    result, data = _received(account, channel, channel_type, sink, simulator, fiwano_config, rng, "RELAY-STORY-REPLY",
                             type="text", text=text, story_reply=True)

    story = _meta_message(result.payload)["reply_to"]["story"]
    reply_to = data.get("reply_to")
    shown = reply_to.get("story") if isinstance(reply_to, dict) else None
    names_it = shown == story or (isinstance(shown, dict) and (shown.get("url") == story["url"]
                                                                or shown.get("id") == story["id"])) \
        or shown in (story["url"], story["id"])
    expect.check(names_it, "RELAY-STORY-REPLY", "reply_to.story of an Instagram reply to the business's story",
                 f"the story Meta named ({story!r}: the object, its url or its id)", reply_to)
    expect.check(data.get("type") == "text" and data.get("text") == text, "RELAY-STORY-REPLY",
                 "the story reply itself", f'type "text" with text {text!r}', data)
