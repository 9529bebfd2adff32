"""Meta webhooks in: parse WhatsApp / Messenger / Instagram payloads into normalised events, save every
inbound message, update delivery statuses and emit customer events through the relay."""

from __future__ import annotations

import logging
import math
from collections.abc import Awaitable, Callable
from dataclasses import asdict, dataclass, field
from typing import Any

from reference.clock import Clock
from reference.relay import RelayService
from reference.repos.accounts import AccountRepository
from reference.repos.channels import Channel, ChannelRepository
from reference.repos.media_jobs import MediaJob, MediaJobRepository
from reference.repos.messages import STATUS_RANK, Message, MessageRepository

log = logging.getLogger("reference.inbound")

WA_MEDIA_TYPES = ("image", "audio", "video", "document", "sticker")
PAGE_MEDIA_TYPES = {"image": "image", "audio": "audio", "video": "video", "file": "document"}


@dataclass
class InboundMessage:
    channel_type: str
    asset_id: str
    meta_id: str
    sender: str
    sender_name: str | None
    timestamp: float | None
    type: str                       # text | image | audio | video | document | sticker | other raw type
    text: str | None = None
    media: dict[str, Any] = field(default_factory=dict)   # WhatsApp: {id, mime_type, sha256, filename, caption, voice}; page: {url}
    dedupe_id: str | None = None    # when Meta's id is not unique per event (reactions)
    tap: str | None = None          # the label of an option the user tapped (button, list row, postback)
    reply_to: str | None = None     # Meta's id of the message this one replies to
    named_type: str | None = None   # WhatsApp "unsupported": the real content Meta names (edit, poll_creation...)
    referral: dict[str, Any] | None = None  # Meta's referral object (the conversation started from an ad or link)
    share: dict[str, Any] | None = None     # Instagram/Messenger shared post, reel or story mention {kind, url, caption}
    story: dict[str, Any] | None = None     # Instagram: the business's story this message replies to (Meta's object)


@dataclass
class ReferralEvent:
    """Instagram/Messenger: a returning user clicked an ad or link into the conversation without writing
    (``messaging[].referral`` without a message; profile fiwano-2026-10, RELAY-REFERRAL-EVENT)."""
    channel_type: str
    asset_id: str
    sender: str
    timestamp: float | None
    raw: dict[str, Any]


@dataclass
class EchoMessage:
    """A message the business sent, echoed by Meta (profile fiwano-2026-10, RELAY-ECHO): WhatsApp
    ``smb_message_echoes`` (Business app), Messenger/Instagram ``message.is_echo`` (any app, the target's own
    sends included)."""
    channel_type: str
    asset_id: str
    meta_id: str
    peer: str                       # the user the business wrote to
    timestamp: float | None
    type: str
    text: str | None = None
    app_id: str | None = None       # Messenger: the app that sent it
    reply_to: str | None = None     # Meta's id of the message this one replies to


@dataclass
class StatusUpdate:
    channel_type: str
    asset_id: str
    status: str                     # sent | delivered | read | failed
    peer: str | None
    timestamp: float | None
    meta_ids: list[str] = field(default_factory=list)
    watermark: float | None = None  # seconds
    errors: list[dict[str, Any]] = field(default_factory=list)


# A Meta event time outside this range (non-finite, negative, past year 9999) is not a time: the event keeps
# its place and takes the clock's time instead (issue 18 row 1: "nan", "1e400" or 1e20 used to end in a 500).
LATEST_TIMESTAMP = 253402300799.0  # 9999-12-31T23:59:59Z, the last second an ISO 8601 timestamp can name


def _seconds(value: Any, *, millis: bool) -> float | None:
    if isinstance(value, bool):
        return None
    try:
        number = float(value)
    except (TypeError, ValueError, OverflowError):
        return None
    seconds = number / 1000.0 if millis else number
    if not math.isfinite(seconds) or not 0 <= seconds <= LATEST_TIMESTAMP:
        return None
    return seconds


def _dicts(value: Any) -> list[dict[str, Any]]:
    return [item for item in value if isinstance(item, dict)] if isinstance(value, list) else []


def parse_whatsapp(payload: dict[str, Any], *, echoes: bool = False) -> list[InboundMessage | StatusUpdate | EchoMessage]:
    """With ``echoes`` (profile fiwano-2026-10) the ``smb_message_echoes`` changes are read too."""
    events: list[InboundMessage | StatusUpdate | EchoMessage] = []
    for entry in _dicts(payload.get("entry")):
        for change in _dicts(entry.get("changes")):
            value = change.get("value")
            field_ = change.get("field")
            if not isinstance(value, dict) or not (field_ == "messages" or (echoes and field_ == "smb_message_echoes")):
                continue
            metadata = value.get("metadata") if isinstance(value.get("metadata"), dict) else {}
            phone_number_id = str(metadata.get("phone_number_id") or "")
            if not phone_number_id:
                continue
            if field_ == "smb_message_echoes":
                events.extend(_whatsapp_echoes(value, phone_number_id))
                continue
            names = {}
            for contact in _dicts(value.get("contacts")):
                profile = contact.get("profile") if isinstance(contact.get("profile"), dict) else {}
                if contact.get("wa_id") is not None and isinstance(profile.get("name"), str):
                    names[str(contact["wa_id"])] = profile["name"]
            for msg in _dicts(value.get("messages")):
                if msg.get("id") is None or msg.get("from") is None:
                    continue
                sender = str(msg["from"])
                mtype = str(msg.get("type") or "unknown")
                item = InboundMessage("whatsapp", phone_number_id, str(msg["id"]), sender,
                                      names.get(sender) or (next(iter(names.values())) if len(names) == 1 else None),
                                      _seconds(msg.get("timestamp"), millis=False), mtype)
                if mtype == "text":
                    body = msg.get("text", {}).get("body") if isinstance(msg.get("text"), dict) else None
                    item.text = body if isinstance(body, str) else ""
                elif mtype in WA_MEDIA_TYPES and isinstance(msg.get(mtype), dict):
                    item.media = dict(msg[mtype])
                item.tap = _whatsapp_tap(msg)
                unsupported = msg.get("unsupported") if isinstance(msg.get("unsupported"), dict) else {}
                item.named_type = str(unsupported["type"]) if isinstance(unsupported.get("type"), str) else None
                context = msg.get("context") if isinstance(msg.get("context"), dict) else {}
                item.reply_to = str(context["id"]) if context.get("id") is not None else None
                item.referral = msg["referral"] if isinstance(msg.get("referral"), dict) else None
                events.append(item)
            for status in _dicts(value.get("statuses")):
                name = status.get("status")
                if name not in ("sent", "delivered", "read", "failed") or status.get("id") is None:
                    continue
                events.append(StatusUpdate("whatsapp", phone_number_id, str(name),
                                           str(status["recipient_id"]) if status.get("recipient_id") else None,
                                           _seconds(status.get("timestamp"), millis=False), [str(status["id"])],
                                           errors=_dicts(status.get("errors"))))
    return events


def _whatsapp_echoes(value: dict[str, Any], phone_number_id: str) -> list[EchoMessage]:
    """``smb_message_echoes``: messages the business sent from the WhatsApp Business app (RELAY-ECHO)."""
    found = []
    for echo in _dicts(value.get("message_echoes")):
        if echo.get("id") is None or echo.get("to") is None:
            continue
        mtype = str(echo.get("type") or "unknown")
        item = EchoMessage("whatsapp", phone_number_id, str(echo["id"]), str(echo["to"]).lstrip("+"),
                           _seconds(echo.get("timestamp"), millis=False), mtype)
        if mtype == "text":
            body = echo.get("text", {}).get("body") if isinstance(echo.get("text"), dict) else None
            item.text = body if isinstance(body, str) else ""
        context = echo.get("context") if isinstance(echo.get("context"), dict) else {}
        item.reply_to = str(context["id"]) if context.get("id") is not None else None
        found.append(item)
    return found


def _page_echo(channel_type: str, entry: dict[str, Any], event: dict[str, Any], message: dict[str, Any],
               timestamp: float | None) -> EchoMessage | None:
    """A Messenger/Instagram ``is_echo`` message: sent by the Page / account (sender) to the user (recipient)."""
    sender = event.get("sender", {}).get("id") if isinstance(event.get("sender"), dict) else None
    recipient = event.get("recipient", {}).get("id") if isinstance(event.get("recipient"), dict) else None
    asset = str(sender or entry.get("id") or "")
    if not asset or recipient is None or message.get("mid") is None:
        return None
    attachments = _dicts(message.get("attachments"))
    item = EchoMessage(channel_type, asset, str(message["mid"]), str(recipient), timestamp,
                       "text" if not attachments else str(attachments[0].get("type") or "unknown"),
                       app_id=str(message["app_id"]) if message.get("app_id") is not None else None)
    if isinstance(message.get("text"), str):
        item.text = message["text"]
    replied = message.get("reply_to") if isinstance(message.get("reply_to"), dict) else {}
    item.reply_to = str(replied["mid"]) if replied.get("mid") is not None else None
    return item


#: Meta's attachment types of a shared post, reel or story mention -> the share_type relayed (RELAY-SHARE)
SHARE_TYPES = {"share": "post", "ig_post": "post", "fallback": "post", "ig_reel": "reel", "reel": "reel",
               "story_mention": "story_mention"}


def _share(attachment: dict[str, Any]) -> dict[str, Any] | None:
    """{kind, url, caption} of a shared post / reel / story mention attachment; None for anything else."""
    kind = SHARE_TYPES.get(str(attachment.get("type") or ""))
    if kind is None:
        return None
    payload = attachment.get("payload") if isinstance(attachment.get("payload"), dict) else {}
    url = payload.get("url", attachment.get("url"))        # "fallback" carries url and title beside a null payload
    caption = payload.get("title", attachment.get("title"))
    return {"kind": kind, "url": url if isinstance(url, str) else None,
            "caption": caption if isinstance(caption, str) else None}


def _whatsapp_tap(msg: dict[str, Any]) -> str | None:
    """The label of a tapped option in a WhatsApp message: a quick-reply template button (type "button") or an
    interactive button or list row (type "interactive"); None for anything else (RELAY-TAP-AS-TEXT)."""
    if msg.get("type") == "button" and isinstance(msg.get("button"), dict):
        text = msg["button"].get("text")
        return text if isinstance(text, str) else None
    interactive = msg.get("interactive") if isinstance(msg.get("interactive"), dict) else {}
    for kind in ("button_reply", "list_reply"):
        reply = interactive.get(kind)
        if isinstance(reply, dict) and isinstance(reply.get("title"), str):
            return str(reply["title"])
    return None


def parse_page(payload: dict[str, Any], channel_type: str, *, standby: bool = False, echoes: bool = False,
               referrals: bool = False) -> list[InboundMessage | StatusUpdate | EchoMessage | ReferralEvent]:
    """Messenger (object "page") and Instagram (object "instagram") share the ``messaging[]`` shape. With
    ``standby`` (profile fiwano-2026-10, RELAY-STANDBY-RECEIVED) the events of conversations another app controls
    (Meta's handover protocol: ``standby[]``, same shape) are read too; with ``echoes`` (RELAY-ECHO) the
    business's own messages (``is_echo``) become echoes instead of being skipped; with ``referrals``
    (RELAY-REFERRAL-EVENT) a referral without a message is read as a ReferralEvent."""
    events: list[InboundMessage | StatusUpdate | EchoMessage | ReferralEvent] = []
    for entry in _dicts(payload.get("entry")):
        for event in [*_dicts(entry.get("messaging")), *(_dicts(entry.get("standby")) if standby else [])]:
            sender = event.get("sender", {}).get("id") if isinstance(event.get("sender"), dict) else None
            recipient = event.get("recipient", {}).get("id") if isinstance(event.get("recipient"), dict) else None
            asset = str(recipient or entry.get("id") or "")
            timestamp = _seconds(event.get("timestamp"), millis=True)
            if not asset or sender is None:
                continue
            message = event.get("message")
            if isinstance(message, dict):
                if message.get("is_echo") and echoes:
                    echo = _page_echo(channel_type, entry, event, message, timestamp)
                    if echo is not None:
                        events.append(echo)
                    continue
                if message.get("is_echo") or message.get("mid") is None:
                    continue
                item = InboundMessage(channel_type, asset, str(message["mid"]), str(sender), None, timestamp, "text")
                replied = message.get("reply_to") if isinstance(message.get("reply_to"), dict) else {}
                item.reply_to = str(replied["mid"]) if replied.get("mid") is not None else None
                item.story = replied["story"] if isinstance(replied.get("story"), dict) else None
                item.referral = message["referral"] if isinstance(message.get("referral"), dict) else None
                attachments = _dicts(message.get("attachments"))
                if isinstance(message.get("text"), str) and not attachments:
                    item.text = message["text"]
                elif attachments:
                    first = attachments[0]
                    raw = str(first.get("type") or "unknown")
                    item.type = raw
                    payload_ = first.get("payload") if isinstance(first.get("payload"), dict) else {}
                    item.media = {"url": payload_.get("url")}
                    if payload_.get("sticker_id") is not None:  # Messenger: a sticker (kept for fiwano-2026-10)
                        item.media["sticker_id"] = payload_["sticker_id"]
                    if isinstance(message.get("text"), str):
                        item.media["caption"] = message["text"]
                    item.share = _share(first)
                elif message.get("is_unsupported"):
                    item.type = "unsupported"
                else:
                    item.text = ""
                events.append(item)
                continue
            if referrals and isinstance(event.get("referral"), dict):
                events.append(ReferralEvent(channel_type, asset, str(sender), timestamp, event["referral"]))
                continue
            for other in ("reaction", "postback"):
                value = event.get(other)
                if isinstance(value, dict):
                    mid = str(value.get("mid") or "")
                    title = value.get("title") if other == "postback" else None
                    events.append(InboundMessage(channel_type, asset, mid, str(sender), None, timestamp, other,
                                                 dedupe_id=f"{other}:{mid}:{sender}:{value.get('action', '')}:"
                                                           f"{event.get('timestamp')}",
                                                 tap=title if isinstance(title, str) else None))
            delivery = event.get("delivery")
            if isinstance(delivery, dict):
                mids = [str(m) for m in delivery.get("mids") or [] if m is not None] if isinstance(
                    delivery.get("mids"), list) else []
                events.append(StatusUpdate(channel_type, asset, "delivered", str(sender), timestamp, mids,
                                           _seconds(delivery.get("watermark"), millis=True)))
            read = event.get("read")
            if isinstance(read, dict):
                mids = [str(read["mid"])] if read.get("mid") is not None else []
                events.append(StatusUpdate(channel_type, asset, "read", str(sender), timestamp, mids,
                                           _seconds(read.get("watermark"), millis=True)))
    return events


def parse_meta_webhook(payload: Any, *, standby: bool = False, echoes: bool = False,
                       referrals: bool = False) -> list[InboundMessage | StatusUpdate | EchoMessage | ReferralEvent]:
    if not isinstance(payload, dict):
        return []
    kind = payload.get("object")
    if kind == "whatsapp_business_account":
        return parse_whatsapp(payload, echoes=echoes)
    if kind == "page":
        return parse_page(payload, "facebook", standby=standby, echoes=echoes, referrals=referrals)
    if kind == "instagram":
        return parse_page(payload, "instagram", standby=standby, echoes=echoes, referrals=referrals)
    return []


# What one bad event of a batch can raise; anything else (a full disk, a closed database) still fails the
# request so that Meta delivers the batch again later.
UNUSABLE_EVENT = (UnicodeError, ValueError, OverflowError, TypeError)


# A media handler turns a Pro media message into event data (downloads the file); injected by the app.
MediaHandler = Callable[[Channel, Message, InboundMessage], Awaitable[dict[str, Any]]]


class InboundService:
    def __init__(self, *, channels: ChannelRepository, messages: MessageRepository, accounts: AccountRepository,
                 relay: RelayService, clock: Clock, media_handler: MediaHandler | None = None,
                 status_tolerance_seconds: float = 2.0, media_jobs: MediaJobRepository | None = None,
                 wake: Callable[[], None] = lambda: None) -> None:
        self.channels = channels
        self.messages = messages
        self.accounts = accounts
        self.relay = relay
        self.clock = clock
        self.media_handler = media_handler
        self.tolerance = status_tolerance_seconds
        self.media_jobs = media_jobs  # durable downloads; without it the caller runs complete_media itself
        #: profile fiwano-2026-10 (RELAY-TAP-AS-TEXT): a tapped option arrives as type "text" with its label
        self.taps_as_text = False
        #: profile fiwano-2026-10 (RELAY-REPLY-TO): a reply carries reply_to.message_id, the id the customer holds
        self.replies_carry_ids = False
        #: profile fiwano-2026-10 (RELAY-UNSUPPORTED-NAMES-TYPE): unsupported_type names the real content
        self.names_unsupported = False
        #: profile fiwano-2026-10 (RELAY-STANDBY-RECEIVED): messages of conversations another app controls are relayed
        self.standby_received = False
        #: profile fiwano-2026-10 (RELAY-ECHO): messages the business sent outside the API become message.echo
        self.relays_echoes = False
        #: profile fiwano-2026-10 (RELAY-ECHO-STATUSES): statuses of echoed messages are relayed with the echo's id
        self.echo_statuses = False
        #: profile fiwano-2026-10 (RELAY-REFERRAL-FIRST-MESSAGE): data.referral of a message started from an ad or link
        self.referral_view: Callable[[str, dict[str, Any]], dict[str, Any]] | None = None
        #: profile fiwano-2026-10 (RELAY-REFERRAL-EVENT): a click without a message becomes conversation.referral
        self.referral_events = False
        #: profile fiwano-2026-10 (RELAY-SHARE): a shared post, reel or story mention arrives as type "share"
        self.shares = False
        #: profile fiwano-2026-10 (RELAY-STORY-REPLY): an Instagram story reply carries reply_to.story
        self.story_replies = False
        #: the Meta app the reference sends with: Messenger echoes naming it are its own sends (RELAY-ECHO-NOT-OWN-SENDS)
        self.own_app_id = ""
        self.wake = wake

    def channel_for(self, channel_type: str, asset_id: str) -> Channel | None:
        found = self.channels.find_by_asset(channel_type, asset_id)
        return found[0] if found else None

    def id_the_customer_holds(self, channel: Channel, meta_id: str) -> str:
        """The id the customer knows a replied message by: the Fiwano message_id of a send made through the
        API, else Meta's id (the message_id it received in message.received)."""
        sent = self.messages.find_outbound_by_meta_id(channel.id, meta_id)
        if sent is None and self.relays_echoes:
            sent = self.messages.find_echo_by_meta_id(channel.id, meta_id)
        return sent.id if sent is not None else meta_id

    def base_data(self, item: InboundMessage) -> dict[str, Any]:
        return {"message_id": item.meta_id, "from": item.sender,
                "from_name": item.sender_name if item.channel_type == "whatsapp" else None}

    def is_media(self, item: InboundMessage) -> bool:
        if item.channel_type == "whatsapp":
            return item.type in WA_MEDIA_TYPES
        return item.type in PAGE_MEDIA_TYPES

    def media_type(self, item: InboundMessage) -> str:
        return item.type  # WhatsApp image/audio/video/document/sticker; Instagram/Facebook image/audio/video/file

    def handle(self, payload: Any) -> list[tuple[Channel, Message, InboundMessage]]:
        """Synchronous part (inside the webhook request): save, update, persist deliveries.

        Returns Pro media messages whose download the caller must run in the background (only without a
        durable media job queue: with one, the download is a persisted job run by the dispatcher).
        """
        pending_media: list[tuple[Channel, Message, InboundMessage]] = []
        for event in parse_meta_webhook(payload, standby=self.standby_received, echoes=self.relays_echoes,
                                        referrals=self.referral_events):
            try:
                media = self._on_event(event)
            except UNUSABLE_EVENT as exc:
                # one entry Meta could never deliver differently (a lone surrogate SQLite cannot store, a value
                # out of every range) is skipped; the rest of the batch is stored and relayed, and Meta gets its
                # 200 instead of a 500 it would retry for ever (issue 18 rows 1 and 2)
                log.warning("unusable %s event from Meta skipped: %s: %s", event.channel_type,
                            type(exc).__name__, exc)
                continue
            if media is not None:
                pending_media.append(media)
        return pending_media

    def _on_event(self, event: InboundMessage | StatusUpdate | EchoMessage):
        channel = self.channel_for(event.channel_type, event.asset_id)
        if channel is None:
            log.info("webhook for unknown or inactive %s asset %s ignored", event.channel_type, event.asset_id)
            return None
        if isinstance(event, InboundMessage):
            return self._on_message(channel, event)
        if isinstance(event, EchoMessage):
            with self.messages.db.transaction():
                self._on_echo(channel, event)
            return None
        if isinstance(event, ReferralEvent):
            self._on_referral(channel, event)
            return None
        self._on_status(channel, event)
        return None

    def _on_message(self, channel: Channel, item: InboundMessage):
        # the saved message and what it leads to (a delivery, or a media job) are committed together: a crash
        # in between would leave a message that a resent webhook skips as a duplicate, never relayed
        with self.messages.db.transaction():
            return self._save_message(channel, item)

    def _save_message(self, channel: Channel, item: InboundMessage):
        data = self.base_data(item)
        if self.replies_carry_ids and item.reply_to:
            data["reply_to"] = {"message_id": self.id_the_customer_holds(channel, item.reply_to)}
        if self.story_replies and item.story is not None:
            data["reply_to"] = {**data.get("reply_to", {}), "story": item.story}
        if self.referral_view is not None and item.referral is not None:
            data["referral"] = self.referral_view(item.channel_type, item.referral)
        if self.shares and item.share is not None:
            item.type, item.text = "share", None
        account = self.accounts.get(channel.account_id)
        pro = account is not None and self.accounts.effective(account).tier == "pro"
        if self.taps_as_text and item.tap is not None:
            item.type, item.text = "text", item.tap
        if item.type == "text":
            data.update({"type": "text", "text": item.text or ""})
            kind = "text"
        elif item.type == "share" and item.share is not None:
            data.update({"type": "share", "share_type": item.share["kind"], "share": {"url": item.share["url"]},
                         "caption": item.share["caption"]})
            kind = "share"
        elif self.is_media(item):
            kind = "media"
            if not pro:
                data.update({"type": "unsupported", "unsupported_type": self.media_type(item),
                             "upgrade_required": "pro"})
        else:
            kind = "unsupported"
            named = item.named_type if self.names_unsupported and item.named_type else None
            data.update({"type": "unsupported", "unsupported_type": named or item.type})
        message = self.messages.save_inbound(account_id=channel.account_id, channel_id=channel.id, kind=kind,
                                             sender=item.sender, sender_name=data["from_name"], text=item.text,
                                             meta_message_id=item.dedupe_id or item.meta_id, data=data)
        if message is None:
            log.info("duplicate inbound %s ignored", item.meta_id)
            return None
        if kind == "media" and pro and self.media_handler is not None:
            if self.media_jobs is not None:
                self.media_jobs.create(message.id, channel.id, asdict(item))
                self.wake()
                return None
            return channel, message, item
        if kind == "media" and pro:
            data.update({"type": self.media_type(item)})
        self.relay.emit(channel, "message.received", data, timestamp=item.timestamp or self.clock.now(),
                        message_id=message.id)
        return None

    async def run_media_job(self, job: MediaJob) -> None:
        """One claimed media job: download, then relay and drop the job in one transaction."""
        assert self.media_jobs is not None
        channel = self.channels.get(job.channel_id)
        message = self.messages.get(job.message_id)
        if channel is None or message is None:
            self.media_jobs.delete(job.message_id)
            return
        await self.complete_media(channel, message, InboundMessage(**job.item),
                                  done=lambda: self.media_jobs.delete(job.message_id))

    async def complete_media(self, channel: Channel, message: Message, item: InboundMessage,
                             done: Callable[[], None] | None = None) -> None:
        assert self.media_handler is not None
        data = dict(message.data or self.base_data(item))
        try:
            data.update(await self.media_handler(channel, message, item))
        except Exception:  # the message is still relayed, with the error
            log.exception("media handling failed for %s", message.id)
            data.update({"type": self.media_type(item), "media": None})
        with self.messages.db.transaction():
            self.messages.update_inbound_data(message.id, data)
            self.relay.emit(channel, "message.received", data, timestamp=item.timestamp or self.clock.now(),
                            message_id=message.id)
            if done is not None:
                done()

    # referrals (profile fiwano-2026-10) ----------------------------------------------------------------
    def _on_referral(self, channel: Channel, event: ReferralEvent) -> None:
        """RELAY-REFERRAL-EVENT: a returning user's click into the conversation, as conversation.referral."""
        view = self.referral_view(event.channel_type, event.raw) if self.referral_view is not None else {"raw": event.raw}
        self.relay.emit(channel, "conversation.referral", {"from": event.sender, "referral": view},
                        timestamp=event.timestamp or self.clock.now())

    # echoes (profile fiwano-2026-10) -------------------------------------------------------------------
    def is_own_send(self, channel: Channel, echo: EchoMessage) -> bool:
        """RELAY-ECHO-NOT-OWN-SENDS: Meta echoes the reference's own sends too (Messenger/Instagram); they are
        known by Meta's id of a send made through the API, or by the app Messenger names (ours)."""
        if echo.app_id is not None and self.own_app_id and echo.app_id == self.own_app_id:
            return True
        return self.messages.find_outbound_by_meta_id(channel.id, echo.meta_id) is not None

    def _on_echo(self, channel: Channel, echo: EchoMessage) -> None:
        """RELAY-ECHO: a message the business sent outside the API is saved (its statuses and replies to it then
        name the same id) and relayed as message.echo, shaped like message.received."""
        if self.is_own_send(channel, echo):
            return
        data: dict[str, Any] = {"type": echo.type, "to": echo.peer}
        if echo.text is not None:
            data["text"] = echo.text
        if self.replies_carry_ids and echo.reply_to:
            data["reply_to"] = {"message_id": self.id_the_customer_holds(channel, echo.reply_to)}
        message = self.messages.save_echo(account_id=channel.account_id, channel_id=channel.id, peer=echo.peer,
                                          text=echo.text, meta_message_id=echo.meta_id, data=data)
        if message is None:
            log.info("duplicate echo %s ignored", echo.meta_id)
            return
        data = {"message_id": message.id, **data}
        self.messages.update_inbound_data(message.id, data)
        self.relay.emit(channel, "message.echo", data, timestamp=echo.timestamp or self.clock.now(),
                        message_id=message.id)

    # statuses -------------------------------------------------------------------------------------------
    def _on_status(self, channel: Channel, update: StatusUpdate) -> None:
        targets: list[Message] = []
        for meta_id in update.meta_ids:
            message = self.messages.find_outbound_by_meta_id(channel.id, meta_id)
            if message is None and self.echo_statuses:
                message = self.messages.find_echo_by_meta_id(channel.id, meta_id)
            if message is not None:
                targets.append(message)
        if update.status == "read" and targets and update.peer and channel.channel_type != "whatsapp":
            # a read receipt on Messenger/Instagram covers everything sent to that user before it
            latest = max(m.created_at for m in targets)
            for earlier in self.messages.outbound_to_peer(channel.id, update.peer, until=latest):
                if earlier.id not in {t.id for t in targets}:
                    targets.append(earlier)
        if not update.meta_ids and update.watermark is not None and update.peer:
            targets = self.messages.outbound_to_peer(channel.id, update.peer, until=update.watermark + self.tolerance)
        for message in sorted(targets, key=lambda m: m.created_at):
            with self.messages.db.transaction():  # the new status and its event together (see _on_message)
                self.apply_status(channel, message, update.status, update.timestamp, update.errors)

    def apply_status(self, channel: Channel, message: Message, status: str, timestamp: float | None,
                     errors: list[dict[str, Any]] | None = None) -> None:
        if (status == "read" and channel.channel_type == "instagram"
                and STATUS_RANK.get(message.status, -1) < STATUS_RANK["delivered"]):
            # Meta sends no delivery webhooks for Instagram: a read implies delivered first
            self.apply_status(channel, message, "delivered", timestamp)
        error = None
        code = None
        if status == "failed":
            first = errors[0] if errors else {}
            error = str(first.get("title") or first.get("message") or "Message undeliverable")
            code = first.get("code") if isinstance(first.get("code"), int) else None
        if not self.messages.advance_status(message.id, status, error, code):
            return
        data: dict[str, Any] = {"message_id": message.id, "status": status, "recipient": message.peer}
        if status == "failed":
            data["error"] = error
            data["errors"] = [{"code": e.get("code"), "title": e.get("title") or e.get("message")}
                              for e in (errors or [])]
        self.relay.emit(channel, f"message.{status}", data, timestamp=timestamp or self.clock.now(),
                        message_id=message.id)
