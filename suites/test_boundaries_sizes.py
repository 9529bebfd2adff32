"""Size limits at L and L+1 on every case they cover: the caption limit (profile ``caption_max_chars``) on
each WhatsApp media type that carries a caption, not only on images.

Spec: fiwano-api.md "POST /messages/send-media" ("caption: max 1024 chars (WhatsApp image/video/document)";
"422 Validation failed"). The media types come from the contract's SendMediaRequest enum
(suites/enumerations.py); audio is the one WhatsApp type without a caption. ASCII text, so every unit of
"character" agrees.
"""

from __future__ import annotations

import pytest

from suites import expect, readings
from suites.data import ascii_text, user_id
from suites.enumerations import SEND_MEDIA_TYPES
from suites.support_media import make_fetchable, media_body, public_url, send_media, sent_media
from suites.support_sending import meta_sends, open_window

CAPTIONED_WA = tuple(t for t in SEND_MEDIA_TYPES if t != "audio")  # the docs: WhatsApp image/video/document


@pytest.mark.req("MEDIA-SEND-CAPTION-MAX", "MEDIA-SEND-CAPTION-WA", "MEDIA-SEND-VALIDATED-BEFORE-META")
@pytest.mark.level("controlled")
@pytest.mark.parametrize("channel_type", ["whatsapp"])
@pytest.mark.parametrize("media_type", CAPTIONED_WA)
def test_caption_limit_holds_for_every_captioned_whatsapp_media_type(account, channel, channel_type, simulator,
                                                                      fiwano_profile, rng, media_type):
    limit = int(fiwano_profile["caption_max_chars"])
    owner = account()
    ch = channel(owner, channel_type)
    recipient = user_id(channel_type, rng)
    open_window(simulator, ch, recipient, "MEDIA-SEND-OK")
    url = public_url(rng, media_type)
    make_fetchable(simulator, ch, url, media_type)
    caption = ascii_text(limit, rng)

    over = send_media(owner.client, media_body(ch, recipient, media_type, url, caption=ascii_text(limit + 1, rng)))
    early = meta_sends(simulator, ch)
    at = send_media(owner.client, media_body(ch, recipient, media_type, url, caption=caption))

    readings.validation_refused(over, "MEDIA-SEND-CAPTION-MAX",
                                f"send-media {media_type} with a {limit + 1}-character caption")
    expect.check(not early, "MEDIA-SEND-VALIDATED-BEFORE-META", f"calls to Meta after the refused {media_type}",
                 "none", [e.path for e in early])
    expect.status(at, 200, "MEDIA-SEND-CAPTION-MAX", f"send-media {media_type} with a {limit}-character caption")
    expect.check(at.json().get("success") is True, "MEDIA-SEND-CAPTION-MAX", f"{media_type} with {limit} characters",
                 "success true", at.json())
    seen = [sent_media(e) for e in meta_sends(simulator, ch)]
    expect.check([(s["type"], s["caption"]) for s in seen] == [(media_type, caption)], "MEDIA-SEND-CAPTION-WA",
                 f"what Meta received for the {media_type}", f"one {media_type} with the {limit} characters as caption",
                 [(s["type"], len(s["caption"] or "")) for s in seen])
