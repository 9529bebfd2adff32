"""Helpers of the sending area (area D): windows, sends seen by the fake Meta, faults, notices, retries.

Black box only: the target is reached over HTTP (REST + harness), Meta through ``simulator.client``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs

from suites import expect
from suites.plugin import missing_prerequisite

# The status each channel's Meta sends for an accepted message, and the Fiwano event it becomes.
STATUS_BY_CHANNEL = {"whatsapp": ("delivered", "message.delivered"),
                     "instagram": ("read", "message.read"),
                     "facebook": ("delivered", "message.delivered")}
NOTICE_WARNING, NOTICE_FAILED, NOTICE_PERMANENT = "send_retry_warning", "send_failed", "send_permanent_failure"


def transient(status: int = 503, code: int = 2, times: int | None = None, **extra: Any) -> dict[str, Any]:
    """A fault rule: Meta fails the send with an HTTP status and an error code (for ever by default)."""
    return {"match": {"path_contains": "/messages", "method": "POST"},
            "action": {"kind": "http_error", "status": status, "code": code, **extra}, "times": times}


def permanent(code: int = 100, times: int | None = None, status: int = 400) -> dict[str, Any]:
    """Meta's permanent refusal, with ``is_transient: false`` in the error as Graph sends it: a target must read
    the flag's value, not its presence."""
    return transient(status=status, code=code, times=times, message="(#100) Invalid parameter", is_transient=False)


def rule(action: dict[str, Any], times: int | None = None) -> dict[str, Any]:
    return {"match": {"path_contains": "/messages", "method": "POST"}, "action": action, "times": times}


def open_window(simulator: Any, ch: Any, recipient: str, req: str) -> None:
    """The recipient writes first: the 24-hour customer service window is open (Meta policy). The suites' one
    way to open it; ``req`` names the rule of the calling test (a refused webhook fails that test)."""
    result = simulator.emit_inbound_text(ch.world.world_id, ch.asset.asset_id, recipient, "hi")
    expect.check(result.delivery.ok, req, "the target's answer to the signed Meta webhook of the recipient's message",
                 "HTTP 2xx", result.delivery.model_dump())


def meta_sends(simulator: Any, ch: Any, since_seq: int | None = None) -> list[Any]:
    """Journal entries of the send calls (``POST .../messages``: text, media and template sends alike; not the
    template management calls on ``message_templates``) the target made to Meta in this channel's world,
    after journal entry ``since_seq`` when given."""
    return simulator.journal(ch.world.world_id, method="POST", path_contains="/messages", since_seq=since_seq)


def last_seq(simulator: Any, world: Any) -> int:
    """The sequence number of the world's latest journal entry (0 when empty): pass it as ``since_seq`` to see
    only the calls that come after."""
    entries = simulator.journal(world.world_id)
    return max((e.seq for e in entries), default=0)


def body_of(entry: Any) -> dict[str, Any]:
    body = entry.json
    if body is None and entry.body:
        form = {k: v[0] for k, v in parse_qs(entry.body).items()}
        body = {k: json.loads(v) if v[:1] in "{[" else v for k, v in form.items()}
    return body if isinstance(body, dict) else {}


def text_of(entry: Any) -> str | None:
    body = body_of(entry)
    if isinstance(body.get("text"), dict):
        return body["text"].get("body")
    if isinstance(body.get("message"), dict):
        return body["message"].get("text")
    return None


def recipient_of(entry: Any) -> str | None:
    body = body_of(entry)
    if "to" in body:
        return body["to"]
    recipient = body.get("recipient")
    if isinstance(recipient, str):
        try:
            recipient = json.loads(recipient)
        except ValueError:
            return recipient
    return recipient.get("id") if isinstance(recipient, dict) else None


def calls_for(simulator: Any, ch: Any, text: str) -> list[Any]:
    """Send calls to Meta carrying ``text`` (every attempt, failed or not)."""
    return [e for e in meta_sends(simulator, ch) if text_of(e) == text]


def accepted_for(simulator: Any, ch: Any, text: str) -> list[Any]:
    """Messages Meta accepted (``/_sim/worlds/{id}/messages``) whose text is ``text``."""
    found = []
    for message in simulator.sent_messages(ch.world.world_id):
        payload = message.payload or {}
        body = (payload.get("text") or {}).get("body") if isinstance(payload.get("text"), dict) else None
        if body is None and isinstance(payload.get("message"), dict):
            body = payload["message"].get("text")
        if body == text:
            found.append(message)
    return found


def configure_webhook(ch: Any, url: str, events: list[str], secret: str) -> None:
    response = ch.client.patch_channel(ch.id, {"webhook_url": url, "webhook_secret": secret, "webhook_events": events})
    expect.status(response, 200, "CHANNEL-PATCH-WEBHOOK", "PATCH webhook settings")


def send_body(response: Any, req: str | tuple[str, ...], what: str) -> dict[str, Any]:
    expect.status(response, 200, req, what)
    return expect.json_object(response, req, what)


def notices(harness: Any, account: Any) -> list[dict[str, Any]]:
    """The owner notices (e-mails/alerts) of an account, through the harness (contract/harness.yaml)."""
    found = harness.notifications(account.account_id)
    if found is None:
        missing_prerequisite("the owner-notice rules need GET /harness/accounts/{id}/notifications "
                             "(contract/harness.yaml, optional call) and the target does not offer it")
    return found


def notices_of(harness: Any, account: Any, kinds: tuple[str, ...], message_id: str | None = None) -> list[dict]:
    return [n for n in notices(harness, account)
            if n.get("kind") in kinds and (message_id is None or n.get("message_id") in (None, message_id))]


@dataclass
class RetryTrace:
    """What happened while the clock was moved step by step after a queued send."""

    start_virtual: float
    steps: list[tuple[float, int]] = field(default_factory=list)  # (seconds since the send, calls so far)
    calls: list[Any] = field(default_factory=list)

    def offsets(self) -> list[float]:
        return [round(c.virtual_time - self.start_virtual, 1) for c in self.calls]


def drive_retries(clock: Any, simulator: Any, ch: Any, text: str, horizon: float, step: float,
                  until: Any = None) -> RetryTrace:
    """Advance the target's and the world's clocks by ``step`` until ``horizon`` seconds have passed (or
    ``until(trace)`` is true), recording the send calls carrying ``text`` after each step.

    In real time (``--fiwano-real-time``) a step ends early once a new call reached Meta, so a test waits
    for the retry it needs, not for whole steps (its clock's budget bounds the wait)."""
    import time

    calls = calls_for(simulator, ch, text)
    trace = RetryTrace(start_virtual=calls[0].virtual_time if calls else simulator.clock(ch.world.world_id).now,
                       calls=calls)
    elapsed, started = 0.0, time.monotonic()
    # the journal is read after every step only when something waits on it (``until``, real time); otherwise
    # once at the end: each call carries the virtual instant it reached Meta, so nothing is lost
    watch = until is not None or clock.real_time
    while elapsed < horizon:
        if clock.real_time:
            seen = len(trace.calls)
            clock.advance(step, worlds=(ch.world,), until=lambda seen=seen: len(calls_for(simulator, ch, text)) > seen)
            elapsed = time.monotonic() - started
        else:
            clock.advance(step, worlds=(ch.world,))
            elapsed += step
        if watch:
            trace.calls = calls_for(simulator, ch, text)
            trace.steps.append((elapsed, len(trace.calls)))
            if until is not None and until(trace):
                break
    if not watch:
        trace.calls = calls_for(simulator, ch, text)
        trace.steps.append((elapsed, len(trace.calls)))
    return trace


def wait_for_events(endpoint: Any, events: set[str], timeout: float, what: str) -> list[Any]:
    """Wait (bounded) until every event name in ``events`` reached the endpoint; return all requests."""
    count = 1
    while True:
        arrived = endpoint.wait_for(count, timeout, what=what)
        names = {(r.json() or {}).get("event") for r in arrived}
        if events <= names:
            return arrived
        count = len(arrived) + 1


def record_reading(record_property: Any, requirement: str, reading: str) -> None:
    """Report which reading of an ambiguous rule the target follows, failing only a pinned other one
    (suites/readings.py; ``record_property`` is kept for the callers' signature)."""
    from suites.readings import accepts

    accepts(requirement, reading)


# Real-time budget (--fiwano-real-time) of a test that waits for the FIRST send retry only. The docs give 7
# retries over ~20 minutes, not when the first comes: 1200 s / 7 (evenly spread) and a bit. The reference
# retries after 30 s; a target that waits longer than this needs the harness clock.
FIRST_SEND_RETRY_BUDGET = 200


def profile_step(fiwano_profile: dict[str, Any]) -> float:
    """Clock step for retry schedules: the shortest documented gap (relay's first backoff, 30 s)."""
    backoff = (fiwano_profile.get("send_retry", {}).get("backoff_seconds")
               or fiwano_profile["relay_retry"]["backoff_seconds"])
    return float(min(backoff))

