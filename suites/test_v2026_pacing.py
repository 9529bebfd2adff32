"""Profile fiwano-2026-10, changelog 2026-08 "outbound pacing": sends are paced per channel; at capacity (Meta
throttles the channel) the API answers 429 or 503 with Retry-After instead of a rejected Meta call.

This replaces the v1 rule that Meta's throttling codes are transient and the send queued
(SEND-TRANSIENT-THROTTLE-CODES, retired in fiwano-2026-10; docs/profiles.md says why). 429 and 503 are both
accepted (the readings of SEND-PACING-RETRY-AFTER; a profile may pin one). A send answered so was not taken: it
is never sent later. Time moves with the ``clock`` fixture. Under the default profile these tests are not judged.
"""

from __future__ import annotations

import pytest

from suites import expect, readings
from suites.data import ascii_text, user_id
from suites.support_sending import accepted_for, open_window, transient

# Every test here looks at 429 answers: their clients must see each one, never wait it out.
pytestmark = pytest.mark.counts_429

READING_OF = {429: "too-many-429", 503: "unavailable-503"}


CHANNELS = ("whatsapp", "instagram", "facebook")


def _http_status(channel_type: str, index: int) -> int:
    """Meta sends throttling with HTTP 429 or 400: alternate per code, the other way round on every other
    channel, so that each channel sees both and every (code, status) pair is seen on some channel."""
    return (429, 400)[(index + CHANNELS.index(channel_type)) % 2]


@pytest.mark.req("SEND-PACING-RETRY-AFTER")
@pytest.mark.level("controlled")
def test_a_send_meta_throttles_is_refused_with_retry_after_and_never_sent_later(
        account, channel, channel_type, simulator, clock, fiwano_profile, rng):
    """For every throttling code of Meta (the profile's ``meta_error_codes.throttling``), answered with HTTP 429
    or 400: the send is answered 429 or 503 with a ``{"detail"}`` body and a valid Retry-After; once that has
    elapsed (Meta takes sends again) a send of the channel is accepted; and after the whole retry horizon Meta
    has accepted none of the refused sends (nothing was queued behind the caller's back)."""
    owner = account()
    ch = channel(owner, channel_type)
    recipient = user_id(channel_type, rng)
    open_window(simulator, ch, recipient, "SEND-PACING-RETRY-AFTER")
    base = f"paced-{ascii_text(10, rng)}"
    codes = [int(c) for c in fiwano_profile["meta_error_codes"]["throttling"]]

    wrong, late = {}, {}
    for index, code in enumerate(codes):
        http_status = _http_status(channel_type, index)
        simulator.add_faults(ch.world.world_id, [transient(status=http_status, code=code, times=1,
                                                           message="(#%d) Rate limit hit" % code)])
        response = owner.client.send_text(ch.id, recipient, f"{base}-{code}")
        what = f"a send while Meta answers HTTP {http_status} code {code} on {channel_type}"
        if response.status_code not in READING_OF:
            wrong[code] = expect.describe(response)
            continue
        readings.accepts("SEND-PACING-RETRY-AFTER", READING_OF[response.status_code], what=what,
                         seen=response.status_code)
        detail = expect.error_detail(response, "SEND-PACING-RETRY-AFTER", what, string=False)
        expect.check(detail not in (None, "", [], {}), "SEND-PACING-RETRY-AFTER", f"detail of {what}",
                     "a non-empty detail", detail)
        found = readings.retry_after(response)
        expect.check(found is not None, "SEND-PACING-RETRY-AFTER", f"Retry-After of {what}",
                     "delay-seconds (digits) or an HTTP-date", repr(response.headers.get("Retry-After")))
        delay, tolerance = found
        if delay + tolerance > 0:
            clock.advance(delay + tolerance)
        after = owner.client.send_text(ch.id, recipient, f"{base}-{code}-after")
        if after.status_code != 200 or after.json().get("success") is not True or after.json().get("status") == "queued":
            late[code] = (response.headers.get("Retry-After"), expect.describe(after))

    expect.check(not wrong, "SEND-PACING-RETRY-AFTER", f"sends while Meta answers HTTP 429 or 400 with each "
                 f"throttling code {codes} on {channel_type}", "429 or 503 with Retry-After each (not 200)", wrong)
    expect.check(not late, "SEND-PACING-RETRY-AFTER", "a send once Retry-After elapsed and Meta takes sends again",
                 "200 success true (sent, not queued)", late)

    clock.advance(float(fiwano_profile["send_retry"]["deadline_seconds"]) * 1.5, worlds=(ch.world,))
    sent_later = {code: len(accepted_for(simulator, ch, f"{base}-{code}")) for code in codes}
    expect.check(not any(sent_later.values()), "SEND-PACING-RETRY-AFTER", "messages Meta accepted of the refused sends "
                 "after the retry horizon", "none (a send answered 429/503 was not taken)", sent_later)
