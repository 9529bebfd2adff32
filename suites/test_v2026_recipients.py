"""Profile fiwano-2026-10, changelog 2026-07 "WhatsApp recipient validation": an obviously invalid WhatsApp
recipient is refused before any Meta call, with a specific reason.

"Obviously invalid" is the kit's reading of the changelog: not 7 to 15 digits (E.164 allows at most 15)
after an optional "+". The boundary numbers (7 and 15 digits) must reach Meta; what Meta answers for them
is not judged here.
"""

from __future__ import annotations

import pytest

from suites import expect
from suites.support_sending import meta_sends, open_window

INVALID = {"letters": "not-a-number", "too-short": "123456", "too-long": "1234567890123456", "plus-only": "+",
           "digits-and-letters": "1555123456x"}
VALID_BOUNDARIES = {"seven-digits": "1234567", "fifteen-digits": "123456789012345", "with-plus": "+15551234567"}


def _send(operation: str, owner, ch, recipient: str):
    if operation == "send":
        return owner.client.send_text(ch.id, recipient, "recipient check")
    return owner.client.request("POST", "/messages/send-media", json={
        "channel_id": ch.id, "recipient": recipient, "media_type": "image",
        "media_url": "https://cdn.example.com/recipient-check.png"})


@pytest.mark.req("SEND-WA-RECIPIENT-VALIDATED")
@pytest.mark.level("simulated")
@pytest.mark.parametrize("operation", ["send", "send-media"])
@pytest.mark.parametrize("kind", list(INVALID))
def test_invalid_whatsapp_recipient_refused_before_meta(account, channel, channel_type, simulator, operation, kind):
    owner = account()
    ch = channel(owner, channel_type)
    before = len(meta_sends(simulator, ch))

    response = _send(operation, owner, ch, INVALID[kind])

    expect.check(response.status_code in (400, 422), "SEND-WA-RECIPIENT-VALIDATED",
                 f"POST /messages/{operation} to the {kind} recipient {INVALID[kind]!r}", "400 or 422",
                 f"{response.status_code} {response.text[:300]}")
    detail = (response.json() or {}).get("detail") if response.headers.get("content-type", "").startswith(
        "application/json") else None
    expect.check("recipient" in str(detail).lower(), "SEND-WA-RECIPIENT-VALIDATED",
                 "the refusal's detail", "a reason naming the recipient", detail)
    expect.check(len(meta_sends(simulator, ch)) == before, "SEND-WA-RECIPIENT-VALIDATED",
                 "send calls to Meta after the refusal", "none", len(meta_sends(simulator, ch)) - before)


@pytest.mark.req("SEND-WA-RECIPIENT-VALIDATED")
@pytest.mark.level("simulated")
@pytest.mark.parametrize("kind", list(VALID_BOUNDARIES))
def test_boundary_whatsapp_recipient_reaches_meta(account, channel, channel_type, simulator, kind):
    owner = account()
    ch = channel(owner, channel_type)
    recipient = VALID_BOUNDARIES[kind]
    open_window(simulator, ch, recipient.lstrip("+"), "SEND-WA-RECIPIENT-VALIDATED")
    before = len(meta_sends(simulator, ch))

    response = _send("send", owner, ch, recipient)

    expect.check(response.status_code == 200 and len(meta_sends(simulator, ch)) > before,
                 "SEND-WA-RECIPIENT-VALIDATED", f"POST /messages/send to the {kind} recipient {recipient!r}",
                 "200 after a call to Meta (the number is not obviously invalid)",
                 f"{response.status_code} {response.text[:200]}; {len(meta_sends(simulator, ch)) - before} Meta call(s)")
