"""Relay of events to the customer's webhook_url: persisted first, then delivered by the dispatcher.

``RelaySender`` does one HTTP attempt (HTTPS, verified TLS trusting ``webhook_ca_file`` too, 5 s budget, no
redirects, a kept-alive connection to the endpoint when one is open: reference/webhook_http.py). ``RelayService`` creates deliveries and runs attempts with the retry schedule from the profile.
"""

from __future__ import annotations

import asyncio
import logging
import ssl
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import httpx

from reference.clock import Clock
from reference.repos.channels import EVENTS_BY_TYPE
from reference.crypto import WebhookSigner
from reference.notifications import Notifier
from reference.events import envelope, serialize
from reference.speedups.http1 import FastHTTPError
from reference.repos.accounts import AccountRepository
from reference.repos.channels import Channel, ChannelRepository
from reference.repos.deliveries import Delivery, DeliveryRepository
from reference.urls import UnsafeURL, check_https_url, resolve_is_public
from reference.webhook_http import WebhookClient

log = logging.getLogger("reference.relay")

USER_AGENT = "Fiwano-Webhooks/1.0 (reference)"


@dataclass(frozen=True)
class SendOutcome:
    ok: bool
    status: int | None
    error: str | None


def build_ssl_context(extra_ca_file: str | None) -> ssl.SSLContext:
    context = ssl.create_default_context()
    try:
        import certifi

        context.load_verify_locations(cafile=certifi.where())
    except Exception:  # noqa: BLE001 - certifi is optional; system CAs are loaded already
        pass
    if extra_ca_file:
        context.load_verify_locations(cafile=extra_ca_file)
    return context


class RelaySender:
    """One delivery attempt: POST the exact bytes, signed; success = 2xx within the timeout."""

    def __init__(self, *, timeout_seconds: float, ca_file: str | None, allow_hosts: frozenset[str],
                 signer: WebhookSigner | None = None, transport: httpx.AsyncBaseTransport | None = None) -> None:
        self.timeout = float(timeout_seconds)
        self.allow_hosts = allow_hosts
        self.signer = signer or WebhookSigner()
        # Real sockets: kept-alive connections per endpoint, opened only to the address checked as public
        # (reference/webhook_http.py). An injected transport (the unit tests' recording sink) goes through httpx.
        self._pool: WebhookClient | None = None
        self._client: httpx.AsyncClient | None = None
        if transport is None:
            self._pool = WebhookClient(build_ssl_context(ca_file), allow_hosts)
        else:
            self._client = httpx.AsyncClient(transport=transport, follow_redirects=False,
                                             timeout=httpx.Timeout(self.timeout), trust_env=False)

    async def aclose(self) -> None:
        if self._pool is not None:
            await self._pool.aclose()
        if self._client is not None:
            await self._client.aclose()

    def headers(self, body: bytes, secret: str | None, event: str, delivery_id: str) -> dict[str, str]:
        headers = {"Content-Type": "application/json", "User-Agent": USER_AGENT,
                   "X-Webhook-Event": event, "X-Webhook-Id": delivery_id}
        if secret:
            headers[self.signer.header] = self.signer.sign(body, secret)
        return headers

    async def _target_allowed(self, url: str) -> str | None:
        try:
            check_https_url(url, allow_hosts=self.allow_hosts, field="webhook_url")
        except UnsafeURL as exc:
            return str(exc)
        parts = urlsplit(url)
        host = parts.hostname or ""
        if host in self.allow_hosts:
            return None
        if not await asyncio.to_thread(resolve_is_public, host, parts.port or 443):
            return "webhook_url host does not resolve to a public address"
        return None

    async def send(self, url: str, body: bytes, secret: str | None, event: str, delivery_id: str) -> SendOutcome:
        refused = await self._target_allowed(url)
        if refused:
            return SendOutcome(False, None, refused)
        headers = self.headers(body, secret, event, delivery_id)
        try:
            async with asyncio.timeout(self.timeout):  # the whole answer: connection, TLS, request, response
                if self._pool is not None:
                    status = await self._pool.post(url, body, headers)
                else:
                    assert self._client is not None
                    status = (await self._client.post(url, content=body, headers=headers)).status_code
        except (TimeoutError, httpx.TimeoutException):
            return SendOutcome(False, None, f"no answer within {self.timeout:g} s")
        except FastHTTPError as exc:
            if exc.is_timeout:
                return SendOutcome(False, None, f"no answer within {self.timeout:g} s")
            return SendOutcome(False, None, str(exc)[:300])
        except httpx.HTTPError as exc:
            return SendOutcome(False, None, f"{type(exc).__name__}: {exc}"[:300])
        except ssl.SSLError as exc:
            return SendOutcome(False, None, f"TLS error: {exc}"[:300])
        ok = 200 <= status < 300
        return SendOutcome(ok, status, None if ok else f"HTTP {status}")


class RelayService:
    #: fields added to every envelope beside the five documented ones (an additive version; reference/readings.py)
    extra_envelope_fields: dict[str, Any] = {}

    def __init__(self, *, deliveries: DeliveryRepository, channels: ChannelRepository, accounts: AccountRepository,
                 sender: RelaySender, clock: Clock, backoff_seconds: list[float], max_retries: int,
                 deadline_seconds: float, wake: Callable[[], None] = lambda: None,
                 warn_after_retries: int, notifier: Notifier | None = None) -> None:
        self.deliveries = deliveries
        self.channels = channels
        self.accounts = accounts
        self.sender = sender
        #: the event types per channel type (v1's; profile fiwano-2026-10 sets reference.v2026.EVENTS_BY_TYPE)
        self.events_by_type = EVENTS_BY_TYPE
        self.clock = clock
        self.backoff = [float(x) for x in backoff_seconds]
        self.max_retries = int(max_retries)
        self.deadline_seconds = float(deadline_seconds)
        self.wake = wake
        self.notifier = notifier
        self.warn_after = int(warn_after_retries)

    def _notify(self, delivery: Delivery, kind: str, text: str) -> None:
        if self.notifier is not None:
            self.notifier.notify(delivery.account_id, kind, text, message_id=delivery.message_id,
                                 channel_id=delivery.channel_id)

    def emit(self, channel: Channel, event: str, data: dict[str, Any], *, timestamp: float | None = None,
             message_id: str | None = None) -> Delivery | None:
        """Persist one event for the channel's endpoint if it is configured and subscribed to the event.

        While the account's subscription is not active the delivery is held and released on reactivation.
        """
        if not channel.webhook_url or not channel.wants(event, self.events_by_type):
            return None
        account = self.accounts.get(channel.account_id)
        held = account is None or not self.accounts.effective(account).is_active
        payload = envelope(event, channel.id, channel.channel_type,
                           timestamp if timestamp is not None else self.clock.now(), data)
        if self.extra_envelope_fields:
            payload = {**payload, **self.extra_envelope_fields}
        delivery = self.deliveries.create(account_id=channel.account_id, channel_id=channel.id, message_id=message_id,
                                          event=event, body=serialize(payload), held=held,
                                          deadline_seconds=self.deadline_seconds)
        if not held:
            self.wake()
        return delivery

    def release_held(self, account_id: str) -> int:
        count = self.deliveries.release_held(account_id, self.deadline_seconds)
        if count:
            self.wake()
        return count

    def next_delay(self, retries_done: int) -> float:
        index = min(retries_done, len(self.backoff) - 1)
        return self.backoff[index]

    async def attempt(self, delivery: Delivery) -> None:
        """Run one attempt of a claimed delivery and schedule the next one or finish it."""
        attempt_no = delivery.attempts + 1
        started = self.clock.now()
        channel = self.channels.get(delivery.channel_id)
        if channel is None or not channel.webhook_url:
            self.deliveries.record_attempt(delivery.id, attempt_no, started, started, None, None,
                                           "channel has no webhook_url")
            self.deliveries.mark_failed(delivery.id, delivery.attempts, None, "channel has no webhook_url")
            return
        account = self.accounts.get(delivery.account_id)
        if account is None or not self.accounts.effective(account).is_active:
            self.deliveries.hold(delivery.id)  # relay is blocked by billing; released on reactivation
            return
        deadline = delivery.deadline_at if delivery.deadline_at is not None else delivery.created_at + self.deadline_seconds
        if delivery.attempts > 0 and started > deadline:
            # a retry that became due but could only run after the deadline (a busy or paused scheduler, a
            # restart) is not made: no attempt later than the deadline after the first one
            error = delivery.last_error or "retry deadline passed"
            log.warning("delivery %s abandoned: deadline passed before retry %d", delivery.id, attempt_no)
            self.deliveries.mark_failed(delivery.id, delivery.attempts, delivery.last_status, error)
            self._notify(delivery, "relay_failed", f"Webhook delivery {delivery.id} ({delivery.event}) abandoned "
                                                   f"after {delivery.attempts} attempts: {error}")
            return
        outcome = await self.sender.send(channel.webhook_url, delivery.body, channel.webhook_secret,
                                         delivery.event, delivery.id)
        finished = self.clock.now()
        # the attempt and what follows from it in one transaction (one COMMIT instead of two or three), written
        # without yielding to the event loop between the answer and the record, as before
        with self.deliveries.db.transaction():
            self._record_outcome(delivery, channel, attempt_no, started, finished, deadline, outcome)

    def _record_outcome(self, delivery: Delivery, channel: Channel, attempt_no: int, started: float,
                        finished: float, deadline: float, outcome: SendOutcome) -> None:
        self.deliveries.record_attempt(delivery.id, attempt_no, started, finished, channel.webhook_url,
                                       outcome.status, outcome.error)
        if outcome.ok:
            self.deliveries.mark_delivered(delivery.id, attempt_no, outcome.status or 200)
            return
        retries_done = attempt_no - 1
        next_at = finished + self.next_delay(retries_done)
        if retries_done >= self.max_retries or next_at > deadline:
            log.warning("delivery %s abandoned after %d attempts: %s", delivery.id, attempt_no, outcome.error)
            self.deliveries.mark_failed(delivery.id, attempt_no, outcome.status, outcome.error)
            self._notify(delivery, "relay_failed", f"Webhook delivery {delivery.id} ({delivery.event}) abandoned "
                                                   f"after {attempt_no} attempts: {outcome.error}")
            return
        if retries_done == self.warn_after:
            self._notify(delivery, "relay_retry_warning", f"Webhook delivery {delivery.id} failed {attempt_no} times: "
                                                          f"{outcome.error}")
        self.deliveries.mark_retry(delivery.id, attempt_no, next_at, outcome.status, outcome.error)
