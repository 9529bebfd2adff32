"""The reference's behaviour of profile ``fiwano-2026-10`` (the additive changes of the public changelog).

The reference runs one profile (``--profile`` / ``FIWANO_REF_PROFILE``); the behaviours of a later profile
are switched on when that profile is in the lineage of the one it runs (``contract.load_profile(...)
["lineage"]``), so under ``default`` the reference stays the v1 of the docs, byte for byte. Each helper
here is one changelog rule, named by its requirement id (docs/profiles.md).
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from typing import Any

from reference.clock import iso
from reference.ratelimit import RateDecision, SlidingWindowRateLimiter
from reference.repos.health import HealthRepository
from reference.repos.slots import SlotRepository

PROFILE = "fiwano-2026-10"


def enabled(profile: Mapping[str, Any]) -> bool:
    """Whether the reference's profile includes fiwano-2026-10 (itself or a profile extending it)."""
    return PROFILE in (profile.get("lineage") or ())


def bearer_key(authorization: list[str]) -> str | None:
    """AUTH-BEARER-ACCEPTED: the key of one ``Authorization: Bearer <key>`` header (scheme case-insensitive,
    RFC 9110 §11.1); ``""`` for a Bearer header without a usable key, None when there is no Bearer header."""
    if len(authorization) != 1:
        return "" if authorization else None
    scheme, _, token = authorization[0].strip().partition(" ")
    if scheme.lower() != "bearer":
        return None
    return token.strip()


def presented_keys(x_api_key: list[str], authorization: list[str]) -> list[str]:
    """The key values a request presents: its X-API-Key headers, or else its Bearer key
    (AUTH-BEARER-X-API-KEY-WINS: X-API-Key is primary and wins when both are sent)."""
    if x_api_key:
        return x_api_key
    bearer = bearer_key(authorization)
    return [] if bearer is None else [bearer]


#: WEBHOOK-EVENTS-2026 / RELAY-FAILED-IGFB (2026-10-06): message.failed on every channel, message.echo
#: (2026-09) on every channel, conversation.referral (2026-09-23) on Instagram and Messenger.
EVENTS_BY_TYPE: dict[str, tuple[str, ...]] = {
    "whatsapp": ("message.received", "message.sent", "message.delivered", "message.read", "message.failed",
                 "message.echo"),
    "instagram": ("message.received", "message.delivered", "message.read", "message.failed", "message.echo",
                  "conversation.referral"),
    "facebook": ("message.received", "message.delivered", "message.read", "message.failed", "message.echo",
                 "conversation.referral"),
}


def apply(components: Any) -> None:
    """Switch the built components to the behaviours of fiwano-2026-10 (called by build_components)."""
    components.channel_service.events_by_type = EVENTS_BY_TYPE
    components.inbound.taps_as_text = True
    components.inbound.replies_carry_ids = True
    components.inbound.names_unsupported = True
    components.inbound.standby_received = True
    components.inbound.relays_echoes = True
    components.inbound.echo_statuses = True
    components.inbound.own_app_id = str(components.settings.meta_app_id or "")
    components.inbound.referral_view = referral_view
    components.inbound.referral_events = True
    components.inbound.shares = True
    components.inbound.story_replies = True
    components.sending.on_refusal = refuse_standby
    components.sending.pacing = SendPacing(components.clock, components.profile,
                                           unavailable=components.readings.follows("SEND-PACING-RETRY-AFTER",
                                                                                   "unavailable-503"))
    components.media.stickers_as_images = True
    health = HealthRepository(components.db, components.clock)
    components.channel_service.health_of = HealthView(health)
    components.sending.access_watch = AccessWatch(health)
    components.relay.events_by_type = EVENTS_BY_TYPE
    limit = components.profile["request_limit"]
    components.request_limiter = SlidingWindowRateLimiter(components.clock, limit["requests"], limit["window_seconds"])
    components.rate_limit_counts_sends_only = components.profile["rate_limit"].get("counts", "all") == "sends"


def referral_view(channel_type: str, raw: Mapping[str, Any]) -> dict[str, Any]:
    """RELAY-REFERRAL-FIRST-MESSAGE / RELAY-REFERRAL-EVENT (2026-09-23): Meta's referral object as Fiwano relays it:
    source (ad, link or product), text (the ad's headline; its body when it has none), image_url, ref and raw.

    WhatsApp sends ``source_type`` "ad" or "post" (a Click-to-WhatsApp ad either way) with headline, body and
    image_url; Messenger/Instagram send ``source`` "ADS" with ``ads_context_data`` (ad_title, photo_url), a link
    source ("SHORTLINK", "IGME-SOURCE-LINK", ...) with ``ref``, or a ``product``."""
    if channel_type == "whatsapp":
        return {"source": "ad", "text": _text(raw.get("headline")) or _text(raw.get("body")),
                "image_url": _text(raw.get("image_url")) or _text(raw.get("thumbnail_url")), "ref": None,
                "raw": dict(raw)}
    found = raw.get("ads_context_data")
    context: Mapping[str, Any] = found if isinstance(found, Mapping) else {}
    source = "ad" if raw.get("source") == "ADS" else "product" if raw.get("product") is not None else "link"
    return {"source": source, "text": _text(context.get("ad_title")), "image_url": _text(context.get("photo_url")),
            "ref": _text(raw.get("ref")), "raw": dict(raw)}


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def setup_without_subscription(comps: Any, account: Any) -> str | None:
    """CONNECT-SETUP-402-NO-SUBSCRIPTION (2026-09-14): setup-url answers 402 when the account has no active
    subscription (expired, canceled or none); None: go on. Under v1 setup-url never asks."""
    if not enabled(comps.profile):
        return None
    account = comps.accounts.effective(account)
    if account.is_active:
        return None
    return (f"Subscription is {account.sub_status}: connecting a channel needs an active subscription. "
            "Go to Billing to subscribe or renew.")


#: the channel slots of a plan when the account's were never set (the harness sets fewer: PUT .../slots)
DEFAULT_SLOTS = 100
CHANNEL_TYPES = ("whatsapp", "instagram", "facebook")


def slots_of(comps: Any, account_id: str, channel_type: str) -> int:
    found = SlotRepository(comps.db).get(account_id, channel_type)
    return DEFAULT_SLOTS if found is None else found


def occupied_by(comps: Any, account_id: str, channel_type: str) -> list[str]:
    """The active channels of the type bound to the account's plan: each holds one slot."""
    return [c.id for c in comps.channels.list_for_account(account_id)
            if c.channel_type == channel_type and c.is_active]


def subscriptions_view(comps: Any, account: Any) -> dict[str, Any]:
    """SUB-LIST (2026-07): the account's plan per channel type with its slots and free slots (free_slots = slots
    minus the active channels bound to it); none without a subscription."""
    if account.sub_status == "none":
        return {"subscriptions": []}
    plans = []
    for channel_type in CHANNEL_TYPES:
        slots = slots_of(comps, account.id, channel_type)
        taken = len(occupied_by(comps, account.id, channel_type))
        plans.append({"tier": account.tier, "status": account.sub_status, "channel_type": channel_type,
                      "slots": slots, "free_slots": max(0, slots - taken)})
    return {"subscriptions": plans}


def no_free_slot(comps: Any, account_id: str, channel_type: str) -> dict[str, Any] | None:
    """CONNECT-SETUP-409-NO-FREE-SLOT (2026-09-14): the 409 detail when every slot of the type is taken; None when
    a slot is free (or under v1, which has no slots)."""
    if not enabled(comps.profile):
        return None
    holders = occupied_by(comps, account_id, channel_type)
    if len(holders) < slots_of(comps, account_id, channel_type):
        return None
    return {"code": "no_free_slot", "occupied_by": holders,
            "message": f"Every {channel_type} slot of your subscription is taken: delete a channel or add a slot "
                       "in Billing, or reconnect one of the channels holding them"}


def slot_occupied(comps: Any, account_id: str, channel_type: str, asset_id: str) -> bool:
    """CONNECT-REDIRECT-OUTCOMES (2026-09-14): the flow completed with a Meta account that holds no slot of the
    account while every slot is taken (the slot holders may reconnect in place; anyone else is slot_occupied)."""
    if not enabled(comps.profile):
        return False
    holders = occupied_by(comps, account_id, channel_type)
    if len(holders) < slots_of(comps, account_id, channel_type):
        return False
    return not any(c.account_id == account_id for c in comps.channels.find_by_asset(channel_type, asset_id))


#: Meta's answer to a send into a conversation another app controls (handover protocol): code 10, this subcode
STANDBY_SUBCODE = 2018300


def refuse_standby(channel: Any, recipient: str, result: Any) -> None:
    """SEND-STANDBY-REFUSED (2026-09 handover routing): a send Meta refused because another app controls the
    conversation is answered 409 with a detail that names the handover and what to do, instead of Meta's error
    as a generic ``success: false``."""
    if result.error_code != 10 or result.error_subcode != STANDBY_SUBCODE:
        return
    from reference.api.common import ApiError  # the API layer imports this module

    raise ApiError(409, f"The conversation with {recipient} on this {channel.channel_type} channel is controlled by "
                        "another app through Meta's handover protocol (this app is on standby): pass thread control "
                        "to this app, or take it if this app is the primary receiver, then send again. Meta said: "
                        f"{result.error_message}")


class HealthView:
    """CHANNEL-HEALTH-FIELD (2026-10-06): every channel carries health {status, reason, since}: "ok", or
    "action_required" with Meta's error and the time it was first detected (CHANNEL-HEALTH-ACTION-REQUIRED)."""

    def __init__(self, health: HealthRepository) -> None:
        self.health = health

    def __call__(self, channel: Any) -> dict[str, Any]:
        marked = self.health.get(channel.id)
        if marked is None:
            return {"status": "ok", "reason": None, "since": None}
        reason, since = marked
        return {"status": "action_required", "reason": reason, "since": iso(since)}


#: Meta's answers that mean it refuses the channel's access (changelog 2026-10-06: revoked access or permission,
#: number removed or not on the Business Platform, account blocked): 190 (token invalid or revoked), 200-299
#: (permission missing) everywhere; on WhatsApp also 10 (permission denied), 131005 (access denied), 131031
#: (account locked) and 133010 (number not registered). Code 10 on Messenger/Instagram is the window or the
#: handover, not access.
ACCESS_CODES = frozenset({190, *range(200, 300)})
WHATSAPP_ACCESS_CODES = frozenset({10, 131005, 131031, 133010})


def access_refused(channel_type: str, result: Any) -> bool:
    code = result.error_code
    return (not result.ok and not result.transient and code is not None
            and (code in ACCESS_CODES or (channel_type == "whatsapp" and code in WHATSAPP_ACCESS_CODES)))


class AccessWatch:
    """CHANNEL-HEALTH-ACTION-REQUIRED / -NOT-TORN-DOWN / -CLEARS (2026-09-14, 2026-10-06): a send Meta refuses for
    the channel's access marks the channel action_required (it stays active, later sends still go to Meta); a send
    Meta accepts clears the mark."""

    def __init__(self, health: HealthRepository) -> None:
        self.health = health

    def __call__(self, channel: Any, result: Any) -> None:
        if result.ok:
            self.health.clear(channel.id)
        elif access_refused(channel.channel_type, result):
            self.health.mark(channel.id, {"code": result.error_code, "subcode": result.error_subcode,
                                          "message": result.error_message})


#: SEND-WA-RECIPIENT-VALIDATED (2026-07): a WhatsApp number is 7 to 15 digits (E.164 allows at most 15) after an
#: optional "+"; spaces, dashes, dots and parentheses between them are tolerated (Meta ignores them too).
WA_RECIPIENT = re.compile(r"\+?[0-9]{7,15}")
WA_SEPARATORS = re.compile(r"[\s().-]")


def recipient_problem(profile: Mapping[str, Any], channel_type: str, recipient: str) -> str | None:
    """Why a recipient is refused before any Meta call (None: it goes to Meta). Under v1 nothing is checked."""
    if not enabled(profile) or channel_type != "whatsapp":
        return None
    if WA_RECIPIENT.fullmatch(WA_SEPARATORS.sub("", recipient)):
        return None
    return (f"Invalid WhatsApp recipient {recipient[:40]!r}: expected a phone number of 7 to 15 digits in "
            "international format (e.g. 15551234567), optionally with a leading +")


#: the sending operations (2026-09-29: "every operation except sending" has the request limit)
SEND_PATHS = frozenset({"/api/v1/messages/send", "/api/v1/messages/send-template", "/api/v1/messages/send-media"})


def limit_request(comps: Any, path: str, key_id: str) -> tuple[RateDecision, str]:
    """RATE-REQUEST-LIMIT / RATE-REQUEST-LIMIT-SENDS-EXEMPT (2026-09-29): a send counts against the profile's
    ``rate_limit`` (per minute) and never against ``request_limit``; every other operation counts against
    ``request_limit``, and against ``rate_limit`` too unless the profile's ``rate_limit.counts`` is ``sends``.
    Returns the decision and what the limit counts (for the 429's detail)."""
    limiter = comps.request_limiter
    if path in SEND_PATHS:
        return comps.rate_limiter.hit(key_id), "sends per minute"
    decision = limiter.hit(key_id)
    if decision.allowed and not comps.rate_limit_counts_sends_only:
        return comps.rate_limiter.hit(key_id), "requests per minute"
    return decision, f"requests per {limiter.window:g} s (sends are not counted)"


class SendPacing:
    """SEND-PACING-RETRY-AFTER (2026-08 outbound pacing): a send Meta throttles (one of the profile's
    ``meta_error_codes.throttling``) is answered 429 (503 under the reading ``unavailable-503``) with Retry-After
    instead of being queued (the v1 rule SEND-TRANSIENT-THROTTLE-CODES, retired in fiwano-2026-10), and the channel
    is at capacity until then: its sends are refused the same way without a Meta call. The wait is Meta's
    Retry-After when it gives one, else the first wait of the profile's send_retry.backoff_seconds."""

    def __init__(self, clock: Any, profile: Mapping[str, Any], *, unavailable: bool = False) -> None:
        self.clock = clock
        self.codes = frozenset(int(code) for code in profile["meta_error_codes"]["throttling"])
        self.wait = float(profile["send_retry"]["backoff_seconds"][0])
        self.status = 503 if unavailable else 429
        self._until: dict[str, float] = {}

    def throttles(self, result: Any) -> bool:
        return not result.ok and result.error_code in self.codes

    def check(self, channel: Any) -> None:
        until = self._until.get(channel.id)
        if until is not None and until > self.clock.now():
            self._raise(until - self.clock.now(), "the channel is at capacity")
        self._until.pop(channel.id, None)

    def refuse(self, channel: Any, result: Any) -> None:
        wait = max(self.wait, float(result.retry_after or 0))
        self._until[channel.id] = self.clock.now() + wait
        self._raise(wait, f"Meta is throttling the channel ({result.error_message or result.error_code})")

    def _raise(self, seconds: float, why: str) -> None:
        from reference.api.common import ApiError

        wait = max(1, math.ceil(seconds))
        raise ApiError(self.status, f"Sending paused: {why}. Nothing was sent; retry after {wait} s.",
                       headers={"Retry-After": str(wait)})


def sticker_request(channel_type: str, recipient: str, media_url: str | None, sticker_id: Any) -> dict[str, Any]:
    """SEND-STICKER (2026-09-14): the Meta request of a sticker sent through send-media. WhatsApp: a WebP file
    by link, Meta's ``type: "sticker"`` message; Messenger: a sticker of Meta's catalog, ``message: {sticker_id}``
    (Meta's Sticker API, Messenger changelog 1 June 2026). Instagram offers no sticker send. ValueError: the
    request does not fit the channel (422)."""
    if channel_type == "whatsapp":
        if media_url is None or sticker_id is not None:
            raise ValueError("A WhatsApp sticker is a WebP file: send its media_url (and no sticker_id)")
        return {"messaging_product": "whatsapp", "recipient_type": "individual", "to": recipient, "type": "sticker",
                "sticker": {"link": media_url}}
    if channel_type == "facebook":
        number = sticker_id if isinstance(sticker_id, int) and not isinstance(sticker_id, bool) else \
            int(sticker_id) if isinstance(sticker_id, str) and sticker_id.isascii() and sticker_id.isdigit() \
            and len(sticker_id) <= 20 else None
        if number is None or number <= 0 or media_url is not None:
            raise ValueError("A Messenger sticker is one of Meta's catalog: send its sticker_id (digits) and no "
                             "media_url")
        return {"recipient": {"id": recipient}, "messaging_type": "RESPONSE", "message": {"sticker_id": number}}
    raise ValueError(f"media_type sticker is not offered on {channel_type} (WhatsApp and Messenger only)")
