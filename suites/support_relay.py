"""Helpers of the relay suites (inbound payload types, delivery statuses, relay retries).

Black box only: HTTP to the target and its harness, ``simulator.client`` for the fake Meta, and the sink.
Numbers come from the profile (``relay_retry`` block), never from literals.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator

import pytest

from suites import expect
from suites.config import SuiteConfig
from suites.data import user_id
from suites.enumerations import status_events
from suites.sink import Sink, SinkRequest
from suites.support_sending import open_window

SENDER_NAME = "Grace Hopper"
STATUS_EVENTS = status_events()  # from the contract (suites/enumerations.py)


# ------------------------------------------------------------------------------------------- settings


def configure(ch, body: dict[str, Any]) -> dict[str, Any]:
    """PATCH the channel's webhook settings (a precondition: fails naming CHANNEL-PATCH-WEBHOOK)."""
    response = ch.client.patch_channel(ch.id, body)
    return expect.json_object(expect.status(response, 200, "CHANNEL-PATCH-WEBHOOK", "PATCH webhook settings"),
                              "CHANNEL-PATCH-WEBHOOK", "PATCH response")


def emit(simulator, ch, sender: str, type: str = "text", *, req: str = "RELAY-RECEIVED-PAYLOAD", **fields: Any):
    """The user sends a message of ``type``; the target must accept Meta's signed webhook with a 2xx."""
    if type == "text" and "text" not in fields:
        fields["text"] = "hello"
    result = simulator.emit_inbound(ch.world.world_id, ch.asset.asset_id, sender, type,
                                    sender_name=SENDER_NAME if ch.channel_type == "whatsapp" else None, **fields)
    expect.check(result.delivery.ok, req, f"the target's answer to Meta's signed {type} webhook", "HTTP 2xx",
                 result.delivery.model_dump())
    return result


@dataclass(frozen=True)
class RetryPolicy:
    """The ``relay_retry`` numbers of the profile."""

    backoff: tuple[float, ...]
    max_retries: int
    deadline: float
    timeout: float
    tolerance: float

    @classmethod
    def of(cls, profile: dict[str, Any]) -> "RetryPolicy":
        block = profile["relay_retry"]
        return cls(tuple(float(x) for x in block["backoff_seconds"]), int(block["max_retries"]),
                   float(block["deadline_seconds"]), float(block["response_timeout_seconds"]),
                   float(block["schedule_tolerance_seconds"]))

    def gap(self, retry_index: int) -> float:
        """The wait before retry number ``retry_index`` (0-based); the last value repeats."""
        return self.backoff[min(retry_index, len(self.backoff) - 1)]


@pytest.fixture
def retry_policy(fiwano_profile: dict[str, Any]) -> RetryPolicy:
    return RetryPolicy.of(fiwano_profile)


@pytest.fixture
def relay_channel_type(fiwano_config: SuiteConfig) -> str:
    """Retries do not depend on the channel: the first channel the run claims."""
    return fiwano_config.channels[0]


# ------------------------------------------------------------------------------------------- checks


def same_bytes(requests: list[SinkRequest], req: str, what: str) -> None:
    """All requests carry the byte-identical body and signature of the first one."""
    first = requests[0]
    for n, other in enumerate(requests[1:], start=2):
        expect.check(other.body == first.body, req, f"{what}: body of attempt {n}",
                     f"the {len(first.body)} bytes of attempt 1", other.body[:400])
        expect.check(other.header("X-Webhook-Signature") == first.header("X-Webhook-Signature"), req,
                     f"{what}: signature of attempt {n}", first.header("X-Webhook-Signature"),
                     other.header("X-Webhook-Signature"))


def payload_of(request: SinkRequest, req: str) -> dict[str, Any]:
    try:
        payload = request.json()
    except ValueError:
        expect.fail(req, "webhook body", "JSON", request.body[:300])
    expect.check(isinstance(payload, dict) and isinstance(payload.get("data"), dict), req, "webhook body",
                 "an object with a data object", payload)
    return payload


# ------------------------------------------------------------------------------------------- sends


def send(ch, recipient: str, text: str) -> str:
    """Send a text through the target; return the message_id (UUID) of the answer."""
    response = ch.client.send_text(ch.id, recipient, text)
    body = expect.json_object(expect.status(response, 200, "SEND-TEXT-OK", "POST /messages/send"), "SEND-TEXT-OK",
                              "send answer")
    expect.check(body.get("success") is True and isinstance(body.get("message_id"), str), "SEND-TEXT-OK",
                 "send answer", '{"success": true, "message_id": "<uuid>"}', body)
    return body["message_id"]


def meta_id_of(simulator, ch, recipient: str, text: str) -> str:
    """Meta's id of the message the target sent with ``text`` to ``recipient`` (simulator: what Meta accepted)."""
    for message in simulator.sent_messages(ch.world.world_id):
        payload = message.payload or {}
        if isinstance(payload.get("text"), dict):
            body = payload["text"].get("body")  # WhatsApp
        else:
            body = (payload.get("message") or {}).get("text") if isinstance(payload.get("message"), dict) else None
        if message.recipient.lstrip("+") == recipient and body == text:
            return message.message_id
    expect.fail("SEND-TEXT-OK", "the send upstream", f"Meta accepted a message {text!r} to {recipient}",
                [m.model_dump() for m in simulator.sent_messages(ch.world.world_id)])
    raise AssertionError  # unreachable


def sent_message(simulator, ch, rng, text: str) -> tuple[str, str, str]:
    """A message the target sent to a user who wrote first: (recipient, our UUID, Meta's id)."""
    recipient = user_id(ch.channel_type, rng)
    open_window(simulator, ch, recipient, "SEND-TEXT-OK")
    uuid = send(ch, recipient, text)
    return recipient, uuid, meta_id_of(simulator, ch, recipient, text)


# ------------------------------------------------------------------------------------------- untrusted TLS


@pytest.fixture(scope="session")
def untrusted_sink_server(fiwano_config: SuiteConfig, fiwano_sink_server: Sink,
                          tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sink]:
    """A second HTTPS sink whose certificate comes from a fresh CA the target was never told to trust.

    It listens on the same host as the kit's sink (so the target's address rules treat it alike), on its
    own port; its CA lives in a directory of its own.
    """
    ca_dir = Path(tmp_path_factory.mktemp("fiwano-untrusted-ca"))
    server = Sink(ca_dir, host=fiwano_config.sink_host, default_timeout=fiwano_config.delivery_timeout,
                  default_quiet=fiwano_config.quiet_seconds)
    public_host = fiwano_sink_server.public_host
    host = f"[{public_host}]" if ":" in public_host else public_host
    if public_host != server.host:
        server._public_url = f"https://{host}"  # so that its certificate names the public host too
    server.start()
    if public_host != server.host:
        server._public_url = f"https://{host}:{server.port}"
    yield server
    server.stop()


def settled(endpoint, count: int, fiwano_config: SuiteConfig, what: str) -> list[SinkRequest]:
    """Wait until ``count`` requests arrived, then check that no further one follows at once.

    The check also lets the target finish the attempt it just made (take in the answer, schedule the
    retry) before a test moves the clock: with ``POST /harness/settle`` the target says so; a pure black box
    gives no such signal, and the check watches for ``quiet_seconds``.
    """
    seen = endpoint.wait_for(count, fiwano_config.delivery_timeout, what=what)
    endpoint.assert_none_within(fiwano_config.quiet_seconds, already=len(seen),
                                what=f"{what}: an immediate further attempt (before the next backoff)")
    return endpoint.requests


def retried(clock, endpoint, count: int, gap: float, retry_policy: RetryPolicy, fiwano_config: SuiteConfig, ch,
            what: str, late: float = 0.0) -> list[SinkRequest]:
    """Attempt number ``count``, a retry due ``gap`` s after the failed attempt before it.

    On the virtual clock: jump by gap + tolerance, then wait for the delivery. In real time
    (``--fiwano-real-time``): wait until it arrives, at most gap + tolerance (+ ``late``: how long after it
    began the target can first tell the attempt failed, e.g. a response timeout) after the previous attempt
    reached the sink, then as long as any delivery may take.
    """
    import time

    if not clock.real_time:
        clock.advance(gap + retry_policy.tolerance, worlds=(ch.world,))
        return endpoint.wait_for(count, fiwano_config.delivery_timeout, what=what)
    due = endpoint.requests[count - 2].received_monotonic + gap + retry_policy.tolerance + late
    left = due - time.monotonic()
    if left > 0 and len(endpoint.requests) < count:
        clock.advance(left, worlds=(ch.world,), until=lambda: len(endpoint.requests) >= count)
    return endpoint.wait_for(count, fiwano_config.delivery_timeout, what=what)


def retry_on_schedule(clock, endpoint, retry_index: int, retry_policy: RetryPolicy, fiwano_config: SuiteConfig, ch,
                      label: str) -> list[SinkRequest]:
    """Retry ``retry_index + 1`` of a failing delivery comes not before backoff - tolerance after the attempt
    before it, and by backoff + tolerance, and nothing else comes meanwhile (RELAY-RETRY-SCHEDULE).

    On the virtual clock the instants are exact: jump to backoff - tolerance and watch (nothing), then
    2 x tolerance more (the retry). In real time the schedule is read off the sink: the seconds between the
    two attempts' arrivals must lie within backoff +- tolerance.
    """
    gap, tol = retry_policy.gap(retry_index), retry_policy.tolerance
    attempts = retry_index + 1  # the first attempt and the retries so far
    if not clock.real_time:
        clock.advance(gap - tol, worlds=(ch.world,))
        endpoint.assert_none_within(fiwano_config.quiet_seconds, already=attempts,
                                    what=f"RELAY-RETRY-SCHEDULE: {label} earlier than {gap:g} s - {tol:g} s")
        clock.advance(2 * tol, worlds=(ch.world,))
        return settled(endpoint, attempts + 1, fiwano_config,
                       f"RELAY-RETRY-SCHEDULE: {label} by {gap:g} s + {tol:g} s after attempt {attempts}")
    retried(clock, endpoint, attempts + 1, gap, retry_policy, fiwano_config, ch,
            f"RELAY-RETRY-SCHEDULE: {label} by {gap:g} s + {tol:g} s after attempt {attempts} (real time)")
    seen = settled(endpoint, attempts + 1, fiwano_config, f"RELAY-RETRY-SCHEDULE: {label}")
    interval = seen[attempts].received_monotonic - seen[attempts - 1].received_monotonic
    expect.check(gap - tol <= interval <= gap + tol, "RELAY-RETRY-SCHEDULE",
                 f"seconds between attempt {attempts} and {label} at the sink (real time)",
                 f"{gap:g} s +- {tol:g} s", f"{interval:.1f} s")
    return seen


def collect(endpoint, at_least: int, fiwano_config: SuiteConfig, what: str, limit: int = 50) -> list[SinkRequest]:
    """Wait for ``at_least`` requests, then take whatever else follows: everything the target sends once it
    settled all due work, or (no settle call) until the endpoint stays quiet for ``quiet_seconds``
    (bounded: at most ``limit`` requests)."""
    from suites.sink import SinkTimeout

    seen = endpoint.wait_for(at_least, fiwano_config.delivery_timeout, what=what)
    if endpoint.try_settle():
        return endpoint.requests[:limit]
    while len(seen) < limit:
        try:
            seen = endpoint.wait_for(len(seen) + 1, fiwano_config.quiet_seconds)
        except SinkTimeout:
            break
    return endpoint.requests
