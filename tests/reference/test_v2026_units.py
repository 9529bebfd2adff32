"""Units of the reference's profile fiwano-2026-10 behaviours (reference/v2026.py, reference/inbound.py parsing)."""

from __future__ import annotations

from types import SimpleNamespace

from reference import inbound, v2026


def _result(code, subcode=None, ok=False, transient=False):
    return SimpleNamespace(ok=ok, transient=transient, error_code=code, error_subcode=subcode, error_message="m")


def test_referral_view_of_each_channel():
    wa = {"source_type": "ad", "headline": "H", "body": "B", "image_url": "https://x/i.jpg", "ctwa_clid": "c"}
    assert v2026.referral_view("whatsapp", wa) == {"source": "ad", "text": "H", "image_url": "https://x/i.jpg",
                                                  "ref": None, "raw": wa}
    ad = {"source": "ADS", "ref": "r", "ads_context_data": {"ad_title": "T", "photo_url": "https://x/p.jpg"}}
    assert v2026.referral_view("facebook", ad)["source"] == "ad"
    assert v2026.referral_view("instagram", {"source": "IGME-SOURCE-LINK", "ref": "r"})["source"] == "link"
    assert v2026.referral_view("facebook", {"product": {"id": "1"}, "source": "SHOPS"})["source"] == "product"


def test_access_refused_codes():
    assert v2026.access_refused("facebook", _result(190, 458))
    assert v2026.access_refused("instagram", _result(200))
    assert not v2026.access_refused("facebook", _result(10, 2018278))  # the 24-hour window, not access
    assert v2026.access_refused("whatsapp", _result(131031))
    assert not v2026.access_refused("whatsapp", _result(131047))  # re-engagement window
    assert not v2026.access_refused("whatsapp", _result(190, transient=True))


def test_page_echo_and_share_parsing():
    payload = {"object": "page", "entry": [{"id": "P", "messaging": [
        {"sender": {"id": "P"}, "recipient": {"id": "U"}, "timestamp": 1700000000000,
         "message": {"mid": "m1", "is_echo": True, "app_id": 42, "text": "hi"}},
        {"sender": {"id": "U"}, "recipient": {"id": "P"}, "timestamp": 1700000000000,
         "message": {"mid": "m2", "attachments": [{"type": "reel", "payload": {"url": "https://x/r", "title": "c"}}]}},
        {"sender": {"id": "U"}, "recipient": {"id": "P"}, "timestamp": 1700000000000,
         "referral": {"ref": "r", "source": "SHORTLINK", "type": "OPEN_THREAD"}}]}]}
    assert [type(e).__name__ for e in inbound.parse_meta_webhook(payload)] == ["InboundMessage"]  # v1: echo skipped
    events = inbound.parse_meta_webhook(payload, echoes=True, referrals=True)
    echo, shared, referral = events
    assert (echo.asset_id, echo.peer, echo.app_id, echo.text) == ("P", "U", "42", "hi")
    assert shared.share == {"kind": "reel", "url": "https://x/r", "caption": "c"}
    assert referral.raw["ref"] == "r" and referral.sender == "U"


def test_whatsapp_echoes_only_when_asked():
    payload = {"object": "whatsapp_business_account", "entry": [{"id": "W", "changes": [{
        "field": "smb_message_echoes", "value": {"metadata": {"phone_number_id": "PN"}, "message_echoes": [
            {"from": "155500", "to": "4915", "id": "wamid.1", "timestamp": "1700000000", "type": "text",
             "text": {"body": "from the app"}}]}}]}]}
    assert inbound.parse_meta_webhook(payload) == []
    (echo,) = inbound.parse_meta_webhook(payload, echoes=True)
    assert (echo.asset_id, echo.peer, echo.meta_id, echo.text) == ("PN", "4915", "wamid.1", "from the app")
