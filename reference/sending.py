"""Outbound messages: one synchronous attempt, then the durable retry queue for transient failures."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any, TypeVar, cast

from reference.clock import Clock
from reference.meta_client import MetaClient, MetaResult, authorisation_revoked
from reference.notifications import Notifier
from reference.relay import RelayService
from reference.repos.channels import Channel, ChannelRepository
from reference.repos.messages import Message, MessageRepository

T = TypeVar("T")

log = logging.getLogger("reference.sending")

INTERRUPTED_ERROR = "Interrupted: the service restarted while Meta was being called; the outcome is unknown"


def text_body(channel: Channel, recipient: str, text: str) -> dict[str, Any]:
    if channel.channel_type == "whatsapp":
        return {"messaging_product": "whatsapp", "recipient_type": "individual", "to": recipient, "type": "text",
                "text": {"preview_url": False, "body": text}}
    return {"recipient": {"id": recipient}, "messaging_type": "RESPONSE", "message": {"text": text}}


def media_body(channel: Channel, recipient: str, media_type: str, url: str, caption: str | None,
               filename: str | None) -> dict[str, Any]:
    if channel.channel_type == "whatsapp":
        obj: dict[str, Any] = {"link": url}
        if caption and media_type in ("image", "video", "document"):
            obj["caption"] = caption
        if filename and media_type == "document":
            obj["filename"] = filename
        return {"messaging_product": "whatsapp", "recipient_type": "individual", "to": recipient, "type": media_type,
                media_type: obj}
    attachment_type = "file" if media_type == "document" else media_type
    return {"recipient": {"id": recipient}, "messaging_type": "RESPONSE",
            "message": {"attachment": {"type": attachment_type, "payload": {"url": url, "is_reusable": False}}}}


def sender_id(channel: Channel) -> str:
    if channel.channel_type == "whatsapp":
        return channel.phone_number_id or channel.asset_id
    if channel.channel_type == "instagram":
        return channel.ig_account_id or channel.asset_id
    return channel.page_id or channel.asset_id


def meta_message_id(channel: Channel, data: Any) -> str | None:
    if not isinstance(data, dict):
        return None
    if channel.channel_type == "whatsapp":
        messages = data.get("messages")
        if isinstance(messages, list) and messages and isinstance(messages[0], dict):
            value = messages[0].get("id")
            return str(value) if value else None
        return None
    value = data.get("message_id") or data.get("mid")
    return str(value) if value else None


class SendService:
    #: SEND-RETRY-EXHAUSTED-OUTCOME: a message.failed webhook when retries run out (False: only the e-mail)
    failed_webhook_on_exhaustion = True

    def __init__(self, *, meta: MetaClient, messages: MessageRepository, channels: ChannelRepository,
                 relay: RelayService, clock: Clock, max_retries: int, deadline_seconds: float,
                 backoff_seconds: list[float], warn_after_retries: int, wake: Callable[[], None] = lambda: None,
                 notifier: Notifier | None = None) -> None:
        self.meta = meta
        self.messages = messages
        self.channels = channels
        self.relay = relay
        self.clock = clock
        self.max_retries = int(max_retries)
        self.deadline_seconds = float(deadline_seconds)
        self.backoff = [float(x) for x in backoff_seconds]  # the profile's send_retry.backoff_seconds
        self.wake = wake
        self.notifier = notifier
        self.warn_after = int(warn_after_retries)
        #: profile fiwano-2026-10 (SEND-STANDBY-REFUSED): called with a send Meta rejected for good on its first
        #: attempt; may raise an API error that replaces the generic ``success: false`` answer
        self.on_refusal: Callable[[Channel, str, MetaResult], None] | None = None
        #: profile fiwano-2026-10 (CHANNEL-HEALTH-*): sees every Meta answer to a send instead of the v1 rule that a
        #: revoked authorisation deactivates the channel (the channel's health is marked, nothing is torn down)
        self.access_watch: Callable[[Channel, MetaResult], None] | None = None
        #: profile fiwano-2026-10 (SEND-PACING-RETRY-AFTER): a send Meta throttles is refused (429/503 with
        #: Retry-After) instead of queued, and the channel is paced until then (reference/v2026.py SendPacing)
        self.pacing: Any = None

    def _notify(self, message: Message, kind: str, text: str) -> None:
        if self.notifier is not None:
            self.notifier.notify(message.account_id, kind, text, message_id=message.id, channel_id=message.channel_id)

    def next_delay(self, retries_done: int, result: MetaResult) -> float:
        delay = self.backoff[min(retries_done, len(self.backoff) - 1)]
        if result.retry_after:
            delay = max(delay, result.retry_after)
        return delay

    async def _attempt(self, channel: Channel, message: Message, attempt_no: int) -> MetaResult:
        assert message.meta_request is not None
        result = await self.meta.send_message(sender_id(channel), channel.access_token, message.meta_request)
        self._record(channel, message, attempt_no, result)
        return result

    def _record(self, channel: Channel, message: Message, attempt_no: int, result: MetaResult) -> None:
        self.messages.record_attempt(message.id, attempt_no, result.outcome, result.http_status, result.error_code,
                                     result.error_message)
        if self.access_watch is not None:
            self.access_watch(channel, result)
        elif authorisation_revoked(result):
            log.warning("Meta says the authorisation of channel %s is gone; channel deactivated", channel.id)
            self.channels.deactivate(channel.id)

    async def send(self, *, account_id: str, channel: Channel, recipient: str, kind: str, text: str | None,
                   meta_request: dict[str, Any]) -> dict[str, Any]:
        """First attempt, in the request. Returns the API answer."""
        if self.pacing is not None:
            self.pacing.check(channel)  # at capacity: refused before anything is stored or sent
        # The message row is committed before Meta is called; the attempt and its outcome are one transaction.
        # Both go through the database's group commit when it has one (concurrent sends share a COMMIT).
        message = await self._atomically(lambda: self.messages.create_outbound(
            account_id=account_id, channel_id=channel.id, kind=kind, recipient=recipient, text=text,
            meta_request=meta_request, deadline_at=self.clock.now() + self.deadline_seconds))
        assert message.meta_request is not None
        result = await self.meta.send_message(sender_id(channel), channel.access_token, message.meta_request)
        throttled = self.pacing is not None and self.pacing.throttles(result)

        def outcome() -> None:
            self._record(channel, message, 1, result)
            if result.ok:
                self.messages.mark_accepted(message.id, meta_message_id(channel, result.data), 1)
            elif throttled:  # the caller is told to retry: never sent in the background
                self.messages.mark_failed(message.id, 1, result.error_message, result.error_code)
            elif result.transient:
                self.messages.mark_queued(message.id, 1, self.clock.now() + self.next_delay(0, result),
                                          result.error_message, result.error_code)
            else:
                self.messages.mark_failed(message.id, 1, result.error_message, result.error_code)
                self._notify(message, "send_permanent_failure",
                             f"Meta rejected message {message.id}: {result.error_message}")

        await self._atomically(outcome)
        if throttled:
            self.pacing.refuse(channel, result)
        if not result.ok and not result.transient and self.on_refusal is not None:
            self.on_refusal(channel, recipient, result)
        if result.ok:
            return {"success": True, "message_id": message.id}
        if result.transient:
            self.wake()
            return {"success": True, "message_id": message.id, "status": "queued"}
        answer: dict[str, Any] = {"success": False, "message_id": message.id, "status": "failed",
                                  "error": result.error_message or "Meta rejected the message"}
        if result.error_code is not None:
            answer["error_code"] = result.error_code
        return answer

    async def _atomically(self, work: Callable[[], T]) -> T:
        db = getattr(self.messages, "db", None)
        group = getattr(db, "group", None)
        if group is not None:
            return cast(T, await group(work))
        if db is not None and hasattr(db, "transaction"):
            with db.transaction():
                return work()
        return work()

    async def retry(self, message: Message) -> None:
        """One background retry of a claimed queued message."""
        channel = self.channels.get(message.channel_id)
        attempt_no = message.attempts + 1
        if channel is None or not channel.is_active:
            self.messages.mark_failed(message.id, message.attempts, "channel is no longer active", None)
            return
        result = await self._attempt(channel, message, attempt_no)
        if result.ok:
            self.messages.mark_accepted(message.id, meta_message_id(channel, result.data), attempt_no)
            return
        if not result.transient:
            self.messages.mark_failed(message.id, attempt_no, result.error_message, result.error_code)
            self._notify(message, "send_permanent_failure",
                         f"Retries of message {message.id} stopped: Meta rejected it ({result.error_message})")
            self._emit_failed(channel, message, result.error_message, result.error_code)
            return
        retries_done = attempt_no - 1
        next_at = self.clock.now() + self.next_delay(retries_done, result)
        deadline = message.deadline_at or (message.created_at + self.deadline_seconds)
        if retries_done >= self.max_retries or next_at > deadline:
            error = f"Gave up after {attempt_no} attempts: {result.error_message}"
            self.messages.mark_failed(message.id, attempt_no, error, result.error_code)
            self._notify(message, "send_failed", f"Message {message.id} could not be sent: {error}")
            if self.failed_webhook_on_exhaustion:  # SEND-RETRY-EXHAUSTED-OUTCOME: failed-webhook (notice-only: e-mail)
                self._emit_failed(channel, message, error, result.error_code)
            return
        if retries_done == self.warn_after:
            self._notify(message, "send_retry_warning",
                         f"Message {message.id} still not accepted by Meta after {retries_done} retries")
        self.messages.mark_queued(message.id, attempt_no, next_at, result.error_message, result.error_code)

    def resolve_interrupted(self) -> int:
        """On start: every send whose first attempt was in flight when the process died gets its final state.

        Whether Meta accepted that attempt cannot be known (the Graph API has no idempotency key and no lookup by
        request), and the caller never got an answer for it (the API answers only after the outcome is stored),
        so a caller that retries on a dropped connection sends it again itself. Retrying here as well could
        deliver the message twice or three times; the message is failed instead, with its ``message.failed``
        event and a notification, so that it is never left pending for ever (issue 18 row 3).
        """
        interrupted = self.messages.interrupted_first_attempts()
        for message in interrupted:
            channel = self.channels.get(message.channel_id)
            error = INTERRUPTED_ERROR
            with self.messages.db.transaction():
                self.messages.mark_failed(message.id, max(message.attempts, 1), error, None)
                if channel is not None:
                    self._emit_failed(channel, message, error, None)
                self._notify(message, "send_failed", f"Message {message.id} could not be sent: {error}")
        if interrupted:
            log.warning("%d sends interrupted by a restart were failed (outcome at Meta unknown)", len(interrupted))
        return len(interrupted)

    def release_stuck(self) -> None:
        """On start: retries interrupted by a crash go back to the queue; first attempts get their final state."""
        self.messages.release_stuck_sending()
        self.resolve_interrupted()

    def on_crash(self, message: Message) -> None:
        self.messages.mark_queued(message.id, message.attempts, self.clock.now() + self.backoff[0],
                                  "internal error during retry", None)

    def _emit_failed(self, channel: Channel, message: Message, error: str | None, code: int | None) -> None:
        data: dict[str, Any] = {"message_id": message.id, "recipient": message.peer, "status": "failed",
                                "error": error or "Message could not be sent"}
        if code is not None:
            data["errors"] = [{"code": code, "title": error or "Message could not be sent"}]
        self.relay.emit(channel, "message.failed", data, message_id=message.id)
