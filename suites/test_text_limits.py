"""Outbound text limits: up to the channel's limit is sent through Meta, one more is 400 text_too_long
and never reaches Meta.

Spec: fiwano-api.md "Sending Messages / Text length limits & errors". The limits come from the active
profile (``text_max_chars``). ASCII letters only, so that code points, UTF-16 units and bytes agree and the
boundary is fair whatever unit the target counts (reliability-security.md §3.3).
"""

from __future__ import annotations

import pytest

from suites import expect
from suites.data import ascii_text, user_id
from suites.support_sending import meta_sends, open_window, text_of

DETAIL_FIELDS = {"code", "message", "actual_length", "max_length", "channel_type", "hint"}


@pytest.mark.req("SEND-TEXT-LIMIT", "SEND-TEXT-OK", "SEND-TEXT-VERBATIM", "SEND-TEXT-NO-SPLIT")
@pytest.mark.level("simulated")
def test_text_at_the_limit_reaches_meta(account, channel, channel_type, simulator, fiwano_profile, rng):
    limit = fiwano_profile["text_max_chars"][channel_type]
    owner = account()
    ch = channel(owner, channel_type)
    recipient = user_id(channel_type, rng)
    open_window(simulator, ch, recipient, "SEND-TEXT-OK")
    text = ascii_text(limit, rng)

    response = owner.client.send_text(ch.id, recipient, text)

    expect.status(response, 200, "SEND-TEXT-LIMIT", f"send {limit} characters")
    body = expect.json_object(expect.conforms(response, "SEND-TEXT-OK"), "SEND-TEXT-OK", "send response")
    expect.check(body.get("success") is True and expect.UUID_FORMAT.match(str(body.get("message_id"))),
                 "SEND-TEXT-OK", "send response", '{"success": true, "message_id": "<UUID>"}', body)
    texts = [text_of(e) for e in meta_sends(simulator, ch)]
    expect.check(texts == [text], "SEND-TEXT-LIMIT", f"texts Meta received for one {limit}-character send",
                 f"exactly one send carrying the {limit} characters unchanged",
                 [f"{len(t)} chars" if isinstance(t, str) else t for t in texts])


@pytest.mark.req("SEND-TEXT-LIMIT", "SEND-TEXT-TOO-LONG-BODY", "SEND-TEXT-TOO-LONG-VALUES",
                 "SEND-TEXT-CHECKED-BEFORE-META", "SEND-TEXT-NO-SPLIT", "SEND-TEXT-REJECTOR")
@pytest.mark.level("simulated")
def test_text_over_the_limit_is_rejected_before_meta(account, channel, channel_type, simulator, fiwano_profile, rng):
    limit = fiwano_profile["text_max_chars"][channel_type]
    owner = account()
    ch = channel(owner, channel_type)
    recipient = user_id(channel_type, rng)
    open_window(simulator, ch, recipient, "SEND-TEXT-OK")

    response = owner.client.send_text(ch.id, recipient, ascii_text(limit + 1, rng))

    expect.status(response, 400, "SEND-TEXT-LIMIT", f"send {limit + 1} characters")
    expect.conforms(response, "SEND-TEXT-TOO-LONG-BODY")
    detail = expect.error_detail(response, "SEND-TEXT-TOO-LONG-BODY", "400 body", string=False)
    expect.check(isinstance(detail, dict) and DETAIL_FIELDS <= set(detail), "SEND-TEXT-TOO-LONG-BODY", "detail",
                 f"an object with {sorted(DETAIL_FIELDS)}", detail)
    expected = {"code": "text_too_long", "actual_length": limit + 1, "max_length": limit, "channel_type": channel_type}
    seen = {key: detail.get(key) for key in expected}
    expect.check(seen == expected, "SEND-TEXT-TOO-LONG-VALUES", "detail values", expected, seen)
    expect.check(all(isinstance(detail.get(k), str) and detail[k] for k in ("message", "hint")),
                 "SEND-TEXT-TOO-LONG-BODY", "detail.message and detail.hint", "non-empty strings",
                 {k: detail.get(k) for k in ("message", "hint")})
    sends = meta_sends(simulator, ch)
    expect.check(not sends, ("SEND-TEXT-CHECKED-BEFORE-META", "SEND-TEXT-NO-SPLIT"), "calls to Meta's send endpoint",
                 "none (not the text, not parts of it)", [f"{e.method} {e.path}" for e in sends])


@pytest.mark.req("SEND-TEXT-VERBATIM", "SEND-TEXT-OK")
@pytest.mark.level("simulated")
def test_text_reaches_meta_unchanged(account, channel, channel_type, simulator, rng):
    owner = account()
    ch = channel(owner, channel_type)
    recipient = user_id(channel_type, rng)
    open_window(simulator, ch, recipient, "SEND-TEXT-OK")
    text = f"  Olá ✓ e\u0301 Привет 你好 👋🏽 مرحبا\n\ttab #{rng.randrange(10**6)}  "  # spaces, NFD, emoji, RTL

    response = owner.client.send_text(ch.id, recipient, text)

    expect.status(response, 200, "SEND-TEXT-OK", "send a non-ASCII text")
    texts = [text_of(e) for e in meta_sends(simulator, ch)]
    expect.check(texts == [text], "SEND-TEXT-VERBATIM", "the text Meta received", repr(text), [repr(t) for t in texts])


@pytest.mark.req("SEND-TEXT-EMPTY")
@pytest.mark.level("simulated")
@pytest.mark.parametrize("text", ["", "   ", "\n\t"], ids=["empty", "spaces", "whitespace"])
def test_empty_text_is_refused(account, channel, channel_type, simulator, text, rng):
    owner = account()
    ch = channel(owner, channel_type)
    recipient = user_id(channel_type, rng)
    open_window(simulator, ch, recipient, "SEND-TEXT-OK")

    response = owner.client.send_text(ch.id, recipient, text)

    expect.check(400 <= response.status_code < 500, "SEND-TEXT-EMPTY", f"send {text!r}", "a 4xx refusal",
                 expect.describe(response))
    sends = meta_sends(simulator, ch)
    expect.check(not sends, "SEND-TEXT-EMPTY", "calls to Meta's send endpoint", "none", [e.path for e in sends])
