"""The reference Fiwano application: ``create_app(settings) -> FastAPI`` (the CLI calls exactly this).

All parts are built here and kept on ``app.state.components``; every part is a small class that can be
wrapped or replaced from outside (the optional keyword arguments exist for tests and mutants).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Coroutine
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import httpx
from fastapi import FastAPI

import contract
from reference import v2026
from reference.api import common as api_common
from reference.api import connect as api_connect
from reference.api import templates as api_templates
from reference.api import harness as api_harness
from reference.api import meta_webhook as api_meta
from reference.api import v1 as api_v1
from reference.channel_service import ChannelService, subscription_view
from reference.clock import Clock, OffsetClock, RealClock
from reference.crypto import MetaSignatureVerifier, WebhookSigner
from reference.db import Database
from reference.dispatcher import Dispatcher, WorkQueue
from reference.bodylimit import BodyLimitedApp
from reference.inbound import InboundService
from reference.limits import TextLimitChecker
from reference.media import MediaRepository, MediaService
from reference.meta_client import MetaClient
from reference.notifications import Notifier
from reference.ratelimit import SlidingWindowRateLimiter
from reference.relay import RelaySender, RelayService
from reference.repos.accounts import AccountRepository, ApiKeyRepository
from reference.repos.channels import ChannelRepository
from reference.repos.connect import RedirectRepository, SetupRepository
from reference.repos.media_jobs import MediaJobRepository
from reference.oauth import MetaOAuth
from reference.profiles import ProfileService
from reference.templates import TemplateService
from reference.repos.deliveries import DeliveryRepository
from reference.repos.messages import MessageRepository
from reference.sending import SendService
from reference.readings import EXTRA_FIELD, OTHER_SECRET_HEX_CHARS, Readings, ReadingsMiddleware
from reference.settings import ReferenceSettings

log = logging.getLogger("reference")


class BackgroundTasks:
    """Fire-and-forget coroutines that are tracked, logged on failure and cancelled on shutdown."""

    def __init__(self) -> None:
        self._tasks: set[asyncio.Task] = set()

    def spawn(self, coro: Coroutine[Any, Any, Any]) -> asyncio.Task:
        task = asyncio.get_running_loop().create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._done)
        return task

    def _done(self, task: asyncio.Task) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("background task failed", exc_info=task.exception())

    async def drain(self) -> None:
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    async def cancel_all(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*list(self._tasks), return_exceptions=True)


@dataclass
class Components:
    settings: ReferenceSettings
    profile: dict[str, Any]
    clock: Clock
    db: Database
    accounts: AccountRepository
    api_keys: ApiKeyRepository
    channels: ChannelRepository
    messages: MessageRepository
    deliveries: DeliveryRepository
    meta: MetaClient
    meta_verifier: MetaSignatureVerifier
    text_limits: TextLimitChecker
    rate_limiter: SlidingWindowRateLimiter
    relay_sender: RelaySender
    relay: RelayService
    sending: SendService
    inbound: InboundService
    channel_service: ChannelService
    dispatcher: Dispatcher
    media_repo: MediaRepository
    media: MediaService
    redirects: RedirectRepository
    setup: SetupRepository
    oauth: MetaOAuth
    notifier: Notifier
    profiles: ProfileService
    templates: TemplateService
    background: BackgroundTasks = field(default_factory=BackgroundTasks)
    readings: Readings = field(default_factory=Readings)
    #: profile fiwano-2026-10 (RATE-REQUEST-LIMIT): the per-key limit of every operation except sending, and
    #: whether ``rate_limiter`` then counts sends only (the profile's ``rate_limit.counts``); None under v1
    request_limiter: SlidingWindowRateLimiter | None = None
    rate_limit_counts_sends_only: bool = False

    @staticmethod
    def subscription_view(account) -> dict[str, Any]:
        return subscription_view(account)

    async def settle(self) -> None:
        """Finish all background work and everything due now (tests)."""
        await self.background.drain()
        await self.dispatcher.run_due_now()
        await self.background.drain()


async def _noop(item: Any) -> None:
    return None


def persistent_offset_clock(db: Database) -> OffsetClock:
    """Test mode: the harness clock with its offset kept in the database, so that virtual time does not jump
    back when the process restarts (due times and deadlines stored before a crash stay where they were)."""
    db.execute("CREATE TABLE IF NOT EXISTS harness_clock (id INTEGER PRIMARY KEY CHECK (id = 1),"
               " offset_seconds REAL NOT NULL)")
    row = db.one("SELECT offset_seconds FROM harness_clock WHERE id = 1")
    clock = OffsetClock(row[0] if row else 0.0)

    def save() -> None:
        db.execute("INSERT INTO harness_clock (id, offset_seconds) VALUES (1, ?) ON CONFLICT(id) DO UPDATE"
                   " SET offset_seconds = MAX(offset_seconds, excluded.offset_seconds)", (clock.offset,))

    clock.add_listener(save)
    return clock


def build_components(settings: ReferenceSettings, *, clock: Clock | None = None,
                     meta_transport: httpx.AsyncBaseTransport | None = None,
                     webhook_transport: httpx.AsyncBaseTransport | None = None) -> Components:
    profile = contract.load_profile(settings.profile)
    db = Database(settings.db_path)
    clock = clock or (persistent_offset_clock(db) if settings.test_mode else RealClock())
    accounts = AccountRepository(db, clock, period_days=profile.integer("subscription_period_days"))
    api_keys = ApiKeyRepository(db, clock)
    channels = ChannelRepository(db, clock)
    messages = MessageRepository(db, clock)
    deliveries = DeliveryRepository(db, clock)
    meta = MetaClient(settings.meta_graph_url, settings.meta_graph_version, transport=meta_transport,
                      timeout=settings.meta_timeout_seconds, speedups=settings.speedups)
    allow_hosts = frozenset(h.lower() for h in settings.allow_webhook_hosts)
    relay_profile = profile["relay_retry"]
    dispatcher = Dispatcher(clock)
    notifier = Notifier(db, clock)
    warn_after = profile.integer("send_retry_warning_after_retries")
    sender = RelaySender(timeout_seconds=relay_profile["response_timeout_seconds"], ca_file=settings.webhook_ca_file,
                         allow_hosts=allow_hosts, signer=WebhookSigner(), transport=webhook_transport)
    relay = RelayService(deliveries=deliveries, channels=channels, accounts=accounts, sender=sender, clock=clock,
                         backoff_seconds=relay_profile["backoff_seconds"], max_retries=relay_profile["max_retries"],
                         deadline_seconds=relay_profile["deadline_seconds"], wake=dispatcher.wake,
                         notifier=notifier, warn_after_retries=warn_after)
    send_profile = profile["send_retry"]
    sending = SendService(meta=meta, messages=messages, channels=channels, relay=relay, clock=clock,
                          max_retries=send_profile["max_retries"], deadline_seconds=send_profile["deadline_seconds"],
                          backoff_seconds=profile.numbers("send_retry.backoff_seconds"), wake=dispatcher.wake,
                          notifier=notifier, warn_after_retries=warn_after)
    media_repo = MediaRepository(db, clock)
    media_service = MediaService(repo=media_repo, meta=meta, clock=clock, public_url=settings.public_url,
                                 ttl_seconds=profile["media_ttl_seconds"], max_bytes=profile["media_max_bytes"])
    media_jobs = MediaJobRepository(db, clock)
    inbound = InboundService(channels=channels, messages=messages, accounts=accounts, relay=relay, clock=clock,
                             media_handler=media_service.handle, media_jobs=media_jobs, wake=dispatcher.wake)
    channel_service = ChannelService(channels=channels, accounts=accounts, meta=meta, clock=clock,
                                     allow_webhook_hosts=allow_hosts,
                                     token_lifetime_seconds=profile["token_lifetime_seconds"],
                                     secret_hex_chars=profile.integer("webhook_secret_autogen_hex_chars"))
    dispatcher.add_queue(WorkQueue(
        name="relay", claim_due=deliveries.claim_due, run=relay.attempt, next_due_at=deliveries.next_due_at,
        on_crash=lambda d: deliveries.mark_retry(d.id, d.attempts, clock.now() + relay.next_delay(0), None,
                                                 "internal error"),
        release_stuck=deliveries.release_stuck_sending))
    dispatcher.add_queue(WorkQueue(
        name="send", claim_due=messages.claim_due, run=sending.retry, next_due_at=messages.next_due_at,
        on_crash=sending.on_crash, release_stuck=sending.release_stuck))
    dispatcher.add_queue(WorkQueue(
        name="inbound-media", claim_due=media_jobs.claim_due, run=inbound.run_media_job,
        next_due_at=media_jobs.next_due_at,
        on_crash=lambda job: media_jobs.retry_at(job.message_id, clock.now() + relay.next_delay(0)),
        release_stuck=media_jobs.release_stuck))
    dispatcher.add_queue(WorkQueue(
        name="media-expiry", claim_due=media_repo.purge_expired, run=_noop, next_due_at=media_repo.next_expiry,
        on_crash=lambda item: None, release_stuck=lambda: None))
    oauth = MetaOAuth(meta, app_id=settings.meta_app_id, app_secret=settings.meta_app_secret,
                      public_url=settings.public_url)
    refresh_before = profile.number("token_refresh_before_seconds")

    async def refresh(channel) -> None:
        await channel_service.refresh_token(channel, oauth)

    dispatcher.add_queue(WorkQueue(
        name="token-refresh", claim_due=lambda now: channels.claim_refresh_due(now, refresh_before, 3600.0),
        run=refresh, next_due_at=lambda: channels.next_refresh_at(refresh_before),
        on_crash=lambda item: None, release_stuck=lambda: None))
    rate = profile["rate_limit"]
    readings = Readings(settings.readings, extra_fields=settings.extra_fields)
    _follow_readings(readings, profile, relay=relay, sending=sending, media=media_service,
                     channel_service=channel_service)
    components = Components(
        readings=readings,
        settings=settings, profile=profile, clock=clock, db=db, accounts=accounts, api_keys=api_keys,
        channels=channels, messages=messages, deliveries=deliveries, meta=meta,
        meta_verifier=MetaSignatureVerifier(settings.meta_app_secret),
        text_limits=TextLimitChecker(profile["text_max_chars"]),
        rate_limiter=SlidingWindowRateLimiter(clock, rate["requests"], rate["window_seconds"]),
        relay_sender=sender, relay=relay, sending=sending, inbound=inbound, channel_service=channel_service,
        dispatcher=dispatcher, media_repo=media_repo, media=media_service,
        redirects=RedirectRepository(db, clock), setup=SetupRepository(db, clock), oauth=oauth, notifier=notifier,
        profiles=ProfileService(db=db, meta=meta, clock=clock, cache_seconds=profile["profile_cache_seconds"]),
        templates=TemplateService(db=db, meta=meta, clock=clock, profile=profile))
    if v2026.enabled(profile):  # the behaviours of profile fiwano-2026-10 (none under default)
        v2026.apply(components)
    return components


def _follow_readings(readings: Readings, profile: dict[str, Any], *, relay: RelayService, sending: SendService,
                     media: MediaService, channel_service: ChannelService) -> None:
    """Switch the components to the documented alternative readings the settings chose (reference/readings.py)."""
    if readings.follows("MEDIA-MAX-SIZE", "binary-10485760"):
        media.max_bytes = int(profile["media_max_bytes_upper"])
    if readings.follows("RELAY-MEDIA-KIND", "file-kind"):
        media.file_kind = "file"
    if readings.follows("SEND-RETRY-EXHAUSTED-OUTCOME", "notice-only"):
        sending.failed_webhook_on_exhaustion = False
    if readings.follows("WEBHOOK-EVENTS-PER-CHANNEL", "rejected"):
        channel_service.ignore_invalid_events = False
    if readings.follows("WEBHOOK-SECRET-FORMAT", "other-length"):
        channel_service.secret_hex_chars = OTHER_SECRET_HEX_CHARS
    if readings.extra_fields:
        relay.extra_envelope_fields = {EXTRA_FIELD: "v1+additive"}


def create_app(settings: ReferenceSettings, *, clock: Clock | None = None,
               meta_transport: httpx.AsyncBaseTransport | None = None,
               webhook_transport: httpx.AsyncBaseTransport | None = None,
               components: Components | None = None) -> FastAPI:
    comps = components or build_components(settings, clock=clock, meta_transport=meta_transport,
                                           webhook_transport=webhook_transport)

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        await comps.dispatcher.start()
        try:
            yield
        finally:
            await comps.dispatcher.stop()
            await comps.background.cancel_all()
            await comps.meta.aclose()
            await comps.relay_sender.aclose()

    app_class = BodyLimitedApp
    if settings.speedups:
        from reference.speedups.dispatch import FastDispatchApp

        app_class = FastDispatchApp
    app = app_class(title="Fiwano reference", version="1.0.0", lifespan=lifespan,
                    docs_url="/docs" if settings.test_mode else None, redoc_url=None,
                    openapi_url="/openapi.json" if settings.test_mode else None)
    app.state.components = comps
    if comps.readings.rewrites_rest:
        app.add_middleware(ReadingsMiddleware, readings=comps.readings)
    api_common.install_error_handlers(app)
    if v2026.enabled(comps.profile):  # the routes profile fiwano-2026-10 adds (none under default)
        from reference.api import v2026 as api_v2026

        app.include_router(api_v2026.router)
    app.include_router(api_connect.api)
    app.include_router(api_v1.router)
    app.include_router(api_templates.router)
    app.include_router(api_connect.browser)
    app.include_router(api_meta.router)
    if settings.test_mode:
        app.include_router(api_harness.router)

    @app.get("/health", include_in_schema=False)
    async def health() -> dict[str, str]:
        return {"status": "ok"}

    return app
