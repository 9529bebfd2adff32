"""Inbound shapes of profile fiwano-2026-10 (simulator/inbound.py): referrals, referral clicks, shares, story replies."""

from __future__ import annotations

import json

import pytest

from simulator.client import SimulatorError


def _last_payload(receiver, world, count):
    return json.loads(receiver.wait_for(world, count)[-1]["raw"])


def test_whatsapp_ad_referral_on_the_message(sim, world, receiver):
    asset = world.asset("whatsapp")
    sim.emit_inbound(world.world_id, asset.asset_id, "4915100000500", "text", text="hi",
                     referral={"source": "ad", "headline": "H", "body": "B", "image_url": "https://x.invalid/i.jpg"})
    message = _last_payload(receiver, world, 1)["entry"][0]["changes"][0]["value"]["messages"][0]
    referral = message["referral"]
    assert referral["source_type"] == "ad" and referral["headline"] == "H" and referral["body"] == "B"
    assert referral["image_url"] == "https://x.invalid/i.jpg" and referral["source_url"].startswith("https://fb.me/")
    with pytest.raises(SimulatorError):
        sim.emit_inbound(world.world_id, asset.asset_id, "4915100000500", "text", text="hi",
                         referral={"source": "link", "ref": "r"})


@pytest.mark.parametrize("channel", ["facebook", "instagram"])
def test_page_referral_click_without_message_opens_the_window(sim, world, receiver, channel):
    asset = world.asset(channel)
    result = sim.emit_inbound(world.world_id, asset.asset_id, "7400000000000501", "referral",
                              referral={"source": "link", "ref": "spring"})
    event = _last_payload(receiver, world, 1)["entry"][0]["messaging"][0]
    assert "message" not in event and result.message_id == ""
    assert event["referral"]["ref"] == "spring" and event["referral"]["type"] == "OPEN_THREAD"
    assert event["referral"]["source"] == ("SHORTLINK" if channel == "facebook" else "IGME-SOURCE-LINK")


@pytest.mark.parametrize("channel,kind,meta_type", [("instagram", "post", "ig_post"), ("instagram", "reel", "ig_reel"),
                                                    ("instagram", "story_mention", "story_mention"),
                                                    ("facebook", "post", "share"), ("facebook", "reel", "reel")])
def test_shares(sim, world, receiver, channel, kind, meta_type):
    asset = world.asset(channel)
    sim.emit_inbound(world.world_id, asset.asset_id, "7400000000000502", "share", share={"kind": kind, "caption": "c"})
    (attachment,) = _last_payload(receiver, world, 1)["entry"][0]["messaging"][0]["message"]["attachments"]
    assert attachment["type"] == meta_type and attachment["payload"]["url"].startswith("http")
    assert attachment["payload"].get("title") == (None if kind == "story_mention" else "c")


def test_instagram_story_reply(sim, world, receiver):
    asset = world.asset("instagram")
    sim.emit_inbound(world.world_id, asset.asset_id, "7400000000000503", "text", text="nice", story_reply=True)
    message = _last_payload(receiver, world, 1)["entry"][0]["messaging"][0]["message"]
    assert message["text"] == "nice" and set(message["reply_to"]["story"]) == {"url", "id"}
    with pytest.raises(SimulatorError):
        sim.emit_inbound(world.world_id, world.asset("facebook").asset_id, "7400000000000503", "text", text="x",
                         story_reply=True)


@pytest.mark.parametrize("channel", ["facebook", "instagram"])
def test_send_into_a_standby_conversation_is_refused_until_the_user_writes_normally(sim, graph, world, channel):
    from .conftest import bearer

    asset = world.asset(channel)
    user = "7400000000000504"
    sim.emit_inbound(world.world_id, asset.asset_id, user, "text", text="to the other app", standby=True)
    body = {"recipient": {"id": user}, "message": {"text": "x"}}
    refused = graph.post(f"/v21.0/{asset.asset_id}/messages", headers=bearer(asset.access_token), json=body)
    error = refused.json()["error"]
    assert refused.status_code == 400 and error["code"] == 10 and error["error_subcode"] == 2018300
    sim.emit_inbound(world.world_id, asset.asset_id, user, "text", text="back to you")
    sent = graph.post(f"/v21.0/{asset.asset_id}/messages", headers=bearer(asset.access_token), json=body)
    assert sent.status_code == 200
