"""Send retries: transient Meta failures are queued and retried in the background on the clock, at most
1 + 7 calls within ~20 minutes, exactly one acceptance upstream, owner notices; permanent errors are never
retried and stop a retry queue at once.

Spec: fiwano-api.md "Sending Messages / Behavior on transient vs permanent Meta errors". Faults are
scripted in the simulator; time moves with the ``clock`` fixture (never by sleeping). Numbers (7 retries,
20 minutes, warning after 3 retries) come from the profile.

With ``--fiwano-real-time`` (no harness clock) the tests that need only the FIRST retry to succeed wait for
it in real time, on some of their cases: every kind of fault once (HTTP 5xx, an HTML 502, a reset, a dropped
connection) and each channel, and every throttling code answered 429 and 400 on WhatsApp (budget: support_sending.FIRST_SEND_RETRY_BUDGET;
the reference retries after 30 s). The other cases stay on the harness clock.
"""

from __future__ import annotations

import pytest

from suites import expect, readings
from suites.data import ascii_text, secret, user_id
from suites.support_sending import (FIRST_SEND_RETRY_BUDGET, NOTICE_FAILED, NOTICE_PERMANENT, NOTICE_WARNING,
                                    STATUS_BY_CHANNEL, accepted_for, calls_for, configure_webhook, drive_retries,
                                    notices_of, open_window, permanent, profile_step, record_reading, rule,
                                    send_body, transient)

def _setup(account, channel, channel_type, simulator, rng, req, clock=None):
    owner = account()
    ch = channel(owner, channel_type)
    recipient = user_id(channel_type, rng)
    open_window(simulator, ch, recipient, req)
    return owner, ch, recipient, f"retry-{ascii_text(12, rng)}"


def _queued(response, req, what):
    body = send_body(response, req, what)
    expect.check(body.get("status") == "queued" and expect.UUID_FORMAT.match(str(body.get("message_id"))), req, what,
                 '200 {"status": "queued", "message_id": "<UUID>"}', body)
    expect.check(body.get("success") is not False, req, what, "not success false (the message is queued)", body)
    return body["message_id"]


def _horizon(fiwano_profile) -> float:
    return float(fiwano_profile["send_retry"]["deadline_seconds"]) * 1.5


@pytest.mark.req("SEND-TRANSIENT-QUEUED")
@pytest.mark.level("controlled", real_time=FIRST_SEND_RETRY_BUDGET,
                   real_time_cases=("whatsapp-500", "whatsapp-reset", "whatsapp-dropped", "instagram-503",
                                    "facebook-502-html"))
@pytest.mark.parametrize("fault", [
    pytest.param({"kind": "http_error", "status": 500, "code": 1}, id="500"),
    pytest.param({"kind": "http_error", "status": 503, "code": 2}, id="503"),
    pytest.param({"kind": "http_error", "status": 502, "html": True}, id="502-html"),
    pytest.param({"kind": "reset"}, id="reset"),
    pytest.param({"kind": "timeout", "seconds": 0}, id="dropped"),
])
def test_transient_failure_is_queued_then_sent(account, channel, channel_type, simulator, clock, fiwano_profile,
                                               rng, fault):
    owner, ch, recipient, text = _setup(account, channel, channel_type, simulator, rng, "SEND-TRANSIENT-QUEUED")
    simulator.add_faults(ch.world.world_id, [rule(fault, times=1)])

    _queued(owner.client.send_text(ch.id, recipient, text), "SEND-TRANSIENT-QUEUED",
            f"send while Meta answers {fault}")

    expect.check(not accepted_for(simulator, ch, text), "SEND-TRANSIENT-QUEUED", "messages Meta accepted so far",
                 "none (the only call failed)", [m.message_id for m in accepted_for(simulator, ch, text)])
    drive_retries(clock, simulator, ch, text, _horizon(fiwano_profile), profile_step(fiwano_profile),
                  until=lambda t: accepted_for(simulator, ch, text))
    accepted = accepted_for(simulator, ch, text)
    expect.check(len(accepted) == 1, "SEND-TRANSIENT-QUEUED", "messages Meta accepted after the background retries",
                 "exactly one", f"{len(accepted)} after calls {[e.status for e in calls_for(simulator, ch, text)]}")


@pytest.mark.req("SEND-TRANSIENT-QUEUED")
@pytest.mark.level("simulated")
@pytest.mark.parametrize("channel_type", ["whatsapp"])
def test_meta_timeout_is_queued(account, channel, channel_type, simulator, rng):
    owner, ch, recipient, text = _setup(account, channel, channel_type, simulator, rng, "SEND-TRANSIENT-QUEUED")
    simulator.add_faults(ch.world.world_id, [rule({"kind": "timeout", "seconds": 12}, times=1)])

    _queued(owner.client.send_text(ch.id, recipient, text), "SEND-TRANSIENT-QUEUED",
            "send while Meta holds the request without answering, then drops it")


@pytest.mark.req("SEND-TRANSIENT-THROTTLE-CODES", "SEND-TRANSIENT-QUEUED")
@pytest.mark.level("controlled", real_time=FIRST_SEND_RETRY_BUDGET,
                   real_time_cases=("whatsapp-429", "whatsapp-400"))
@pytest.mark.parametrize("http_status", [429, 400])
def test_throttling_codes_are_transient(account, channel, channel_type, simulator, clock, fiwano_profile, rng,
                                        http_status):
    """Every throttling code of Meta (the profile's ``meta_error_codes.throttling``), one send each: queued,
    then accepted exactly once by a background retry. A target that knows only some of the codes answers the
    others as permanent failures."""
    owner, ch, recipient, text = _setup(account, channel, channel_type, simulator, rng, "SEND-TRANSIENT-THROTTLE-CODES")
    codes = [int(c) for c in fiwano_profile["meta_error_codes"]["throttling"]]
    texts = {code: f"{text}-{code}" for code in codes}
    refused = {}
    for code in codes:
        simulator.add_faults(ch.world.world_id, [transient(status=http_status, code=code, times=1,
                                                           message="(#%d) Rate limit hit" % code)])
        body = send_body(owner.client.send_text(ch.id, recipient, texts[code]), "SEND-TRANSIENT-THROTTLE-CODES",
                         f"send while Meta answers HTTP {http_status} code {code}")
        if body.get("status") != "queued" or body.get("success") is False:
            refused[code] = body
    expect.check(not refused, "SEND-TRANSIENT-THROTTLE-CODES", f"sends while Meta answers HTTP {http_status} with "
                 f"each throttling code {codes}", '{"status": "queued", ...} for each', refused)

    def all_accepted(_trace):
        return all(accepted_for(simulator, ch, t) for t in texts.values())

    drive_retries(clock, simulator, ch, text, _horizon(fiwano_profile), profile_step(fiwano_profile),
                  until=all_accepted)
    counts = {code: len(accepted_for(simulator, ch, t)) for code, t in texts.items()}
    expect.check(all(n == 1 for n in counts.values()), "SEND-TRANSIENT-THROTTLE-CODES",
                 "messages Meta accepted after the throttling answers, per code", "exactly one each (retried later)",
                 counts)


@pytest.mark.req("SEND-RETRY-SUCCESS-ONCE", "SEND-TRANSIENT-QUEUED", "SEND-MESSAGE-ID-STATUS")
@pytest.mark.level("controlled")
def test_queued_send_is_accepted_once_with_the_same_uuid(account, channel, channel_type, simulator, clock, sink,
                                                         fiwano_profile, fiwano_config, rng):
    owner, ch, recipient, text = _setup(account, channel, channel_type, simulator, rng, "SEND-RETRY-SUCCESS-ONCE",
                                        clock=clock)
    meta_status, event = STATUS_BY_CHANNEL[channel_type]
    endpoint = sink()
    configure_webhook(ch, endpoint.url, [event], secret(rng))
    simulator.add_faults(ch.world.world_id, [transient(status=503, code=2, times=2)])

    message_id = _queued(owner.client.send_text(ch.id, recipient, text), "SEND-RETRY-SUCCESS-ONCE",
                         "send while Meta answers 503 twice")
    drive_retries(clock, simulator, ch, text, _horizon(fiwano_profile), profile_step(fiwano_profile))

    calls = calls_for(simulator, ch, text)
    accepted = accepted_for(simulator, ch, text)
    expect.check(len(accepted) == 1, "SEND-RETRY-SUCCESS-ONCE", "messages Meta accepted for one queued send",
                 "exactly one", f"{len(accepted)} accepted out of {len(calls)} calls {[c.status for c in calls]}")
    expect.check(len(calls) == 3, "SEND-RETRY-SUCCESS-ONCE", "calls to Meta (503, 503, then success)",
                 "3 (no call after the acceptance)", [c.status for c in calls])
    simulator.emit_status(ch.world.world_id, accepted[0].message_id, meta_status)
    delivery = endpoint.wait_for(1, fiwano_config.delivery_timeout, what=f"SEND-RETRY-SUCCESS-ONCE: {event}")[0]
    data = (delivery.json() or {}).get("data") or {}
    expect.check(data.get("message_id") == message_id, ("SEND-RETRY-SUCCESS-ONCE", "SEND-MESSAGE-ID-STATUS"),
                 f"data.message_id of the {event} webhook", f"the UUID returned with queued ({message_id})",
                 data.get("message_id"))


@pytest.mark.req("SEND-RETRY-MAX", "SEND-RETRY-DEADLINE")
@pytest.mark.level("controlled")
def test_retries_stop_after_seven_and_the_deadline(account, channel, channel_type, simulator, clock, fiwano_profile,
                                                   rng):
    owner, ch, recipient, text = _setup(account, channel, channel_type, simulator, rng, "SEND-RETRY-MAX")
    max_retries = fiwano_profile["send_retry"]["max_retries"]
    deadline = float(fiwano_profile["send_retry"]["deadline_seconds"])
    step = profile_step(fiwano_profile)
    simulator.add_faults(ch.world.world_id, [transient(status=503, code=2)])

    _queued(owner.client.send_text(ch.id, recipient, text), "SEND-RETRY-MAX", "send while Meta always answers 503")
    trace = drive_retries(clock, simulator, ch, text, deadline * 2, step)
    after = len(trace.calls)
    clock.advance(deadline, worlds=(ch.world,))
    late = calls_for(simulator, ch, text)

    expect.check(2 <= len(trace.calls) <= 1 + max_retries, "SEND-RETRY-MAX",
                 "calls to Meta for a send that always fails transiently",
                 f"between 2 and {1 + max_retries} (1 + at most {max_retries} retries)",
                 f"{len(trace.calls)} at offsets {trace.offsets()} s")
    too_late = [o for o in trace.offsets() if o > deadline + step]
    expect.check(not too_late, "SEND-RETRY-DEADLINE", "attempts after the original request",
                 f"none later than ~{deadline:.0f} s (+{step:.0f} s clock step)", f"offsets {trace.offsets()} s")
    expect.check(len(late) == after, "SEND-RETRY-DEADLINE", "calls to Meta after the retry horizon",
                 "none", f"{len(late) - after} more")


@pytest.mark.req("SEND-RETRY-WARNING-NOTICE")
@pytest.mark.level("controlled")
def test_owner_is_warned_after_three_failed_retries(account, channel, channel_type, simulator, clock, harness,
                                                    fiwano_profile, rng):
    owner, ch, recipient, text = _setup(account, channel, channel_type, simulator, rng, "SEND-RETRY-WARNING-NOTICE")
    warn_after = int(fiwano_profile["send_retry_warning_after_retries"])
    simulator.add_faults(ch.world.world_id, [transient(status=503, code=2)])

    message_id = _queued(owner.client.send_text(ch.id, recipient, text), "SEND-RETRY-WARNING-NOTICE",
                         "send while Meta always answers 503")
    seen_before: list = []

    def check_before(trace):
        if len(trace.calls) < 1 + warn_after:
            seen_before.extend(notices_of(harness, owner, (NOTICE_WARNING,), message_id))
        return len(trace.calls) >= 1 + warn_after

    drive_retries(clock, simulator, ch, text, _horizon(fiwano_profile), profile_step(fiwano_profile),
                  until=check_before)
    retries = len(calls_for(simulator, ch, text)) - 1
    warnings = notices_of(harness, owner, (NOTICE_WARNING,), message_id)

    expect.check(retries == warn_after, "SEND-RETRY-WARNING-NOTICE", "failed retries reached", warn_after, retries)
    expect.check(not seen_before, "SEND-RETRY-WARNING-NOTICE", f"warning before {warn_after} failed retries", "none",
                 seen_before)
    expect.check(len(warnings) == 1, "SEND-RETRY-WARNING-NOTICE",
                 f"early-warning notices right after the {warn_after}rd failed retry", f"one {NOTICE_WARNING!r}",
                 notices_of(harness, owner, (NOTICE_WARNING, NOTICE_FAILED, NOTICE_PERMANENT)))


@pytest.mark.req("SEND-RETRY-EXHAUSTED-NOTICE", "SEND-RETRY-EXHAUSTED-OUTCOME")
@pytest.mark.level("controlled")
def test_exhausted_retries_notify_the_owner_and_fail(account, channel, channel_type, simulator, clock, harness, sink,
                                                     fiwano_profile, fiwano_config, rng, record_property):
    owner, ch, recipient, text = _setup(account, channel, channel_type, simulator, rng, "SEND-RETRY-EXHAUSTED-NOTICE")
    endpoint = sink()
    events = ["message.failed"] if channel_type == "whatsapp" else ["message.delivered", "message.read"]
    configure_webhook(ch, endpoint.url, events, secret(rng))
    simulator.add_faults(ch.world.world_id, [transient(status=503, code=2)])

    message_id = _queued(owner.client.send_text(ch.id, recipient, text), "SEND-RETRY-EXHAUSTED-NOTICE",
                         "send while Meta always answers 503")
    drive_retries(clock, simulator, ch, text, _horizon(fiwano_profile), profile_step(fiwano_profile))

    failed = notices_of(harness, owner, (NOTICE_FAILED,), message_id)
    expect.check(len(failed) == 1, "SEND-RETRY-EXHAUSTED-NOTICE", "failure notices after the retries are exhausted",
                 f"one {NOTICE_FAILED!r}",
                 notices_of(harness, owner, (NOTICE_WARNING, NOTICE_FAILED, NOTICE_PERMANENT)))
    if channel_type != "whatsapp":  # no message.failed event exists there: the notice is the outcome
        return
    # a webhook may still be on its way: wait the full delivery time unless the run pinned "no webhook"
    expected = readings.pinned("SEND-RETRY-EXHAUSTED-OUTCOME")
    wait = fiwano_config.quiet_seconds if expected == "notice-only" else fiwano_config.delivery_timeout
    try:
        arrived = endpoint.wait_for(1, wait, what="SEND-RETRY-EXHAUSTED-OUTCOME: message.failed")
    except AssertionError:
        arrived = []
    if not arrived:
        record_reading(record_property, "SEND-RETRY-EXHAUSTED-OUTCOME", "notice-only")
        return
    payload = arrived[0].json() or {}
    data = payload.get("data") or {}
    expect.check(payload.get("event") == "message.failed" and data.get("message_id") == message_id
                 and data.get("status") == "failed", "SEND-RETRY-EXHAUSTED-OUTCOME", "webhook after exhaustion",
                 f"message.failed for {message_id} with status failed", payload)
    expect.webhook_conforms(arrived[0].body, "SEND-RETRY-EXHAUSTED-OUTCOME", event="message.failed")
    record_reading(record_property, "SEND-RETRY-EXHAUSTED-OUTCOME", "failed-webhook")


@pytest.mark.req("SEND-RETRY-ABORT-ON-PERMANENT")
@pytest.mark.level("controlled")
def test_permanent_error_during_retries_aborts(account, channel, channel_type, simulator, clock, harness,
                                              fiwano_profile, rng):
    owner, ch, recipient, text = _setup(account, channel, channel_type, simulator, rng, "SEND-RETRY-ABORT-ON-PERMANENT")
    simulator.add_faults(ch.world.world_id, [transient(status=503, code=2, times=2), permanent(code=100)])

    message_id = _queued(owner.client.send_text(ch.id, recipient, text), "SEND-RETRY-ABORT-ON-PERMANENT",
                         "send while Meta answers 503")
    notified_at_abort: list = []

    def on_step(trace):
        if len(trace.calls) >= 3 and not notified_at_abort:
            notified_at_abort.append(notices_of(harness, owner, (NOTICE_PERMANENT, NOTICE_FAILED), message_id))
        return False

    trace = drive_retries(clock, simulator, ch, text, _horizon(fiwano_profile), profile_step(fiwano_profile),
                          until=on_step)

    expect.check(len(trace.calls) == 3, "SEND-RETRY-ABORT-ON-PERMANENT", "calls to Meta (503, 503, code 100)",
                 "exactly 3: no retry after the permanent error",
                 f"{len(trace.calls)}: {[c.status for c in trace.calls]}")
    expect.check(not accepted_for(simulator, ch, text), "SEND-RETRY-ABORT-ON-PERMANENT", "messages Meta accepted",
                 "none", len(accepted_for(simulator, ch, text)))
    expect.check(bool(notified_at_abort and notified_at_abort[0]), "SEND-RETRY-ABORT-ON-PERMANENT",
                 "owner notices right after the permanent error (same clock step)",
                 f"a {NOTICE_PERMANENT!r} (or {NOTICE_FAILED!r}) notice for {message_id}",
                 notices_of(harness, owner, (NOTICE_WARNING, NOTICE_FAILED, NOTICE_PERMANENT)))
