"""Channel use cases: representation, webhook settings, soft delete, connecting a Meta asset."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from reference.clock import Clock, iso
from reference.crypto import new_webhook_secret
from reference.meta_client import MetaClient
from reference.oauth import MetaOAuth, OAuthError
from reference.repos.accounts import Account, AccountRepository
from reference.repos.channels import EVENTS_BY_TYPE, Channel, ChannelRepository
from reference.urls import UnsafeURL, check_https_url

log = logging.getLogger("reference.channels")

CHANNEL_TYPES = ("whatsapp", "instagram", "facebook")
WEBHOOK_URL_MAX = 2048
SECRET_MIN, SECRET_MAX = 16, 64


class ChannelError(Exception):
    def __init__(self, status_code: int, detail: Any) -> None:
        super().__init__(str(detail))
        self.status_code = status_code
        self.detail = detail


def subscription_view(account: Account | None) -> dict[str, Any]:
    if account is None or account.sub_status == "none":
        return {"status": "none", "source": None, "tier": None, "expires_at": None, "auto_renew": False}
    return {"status": account.sub_status, "source": account.sub_source, "tier": account.tier,
            "expires_at": iso(account.sub_expires_at), "auto_renew": bool(account.sub_auto_renew)}


def channel_view(channel: Channel, account: Account | None) -> dict[str, Any]:
    view: dict[str, Any] = {"id": channel.id, "channel_type": channel.channel_type, "name": channel.name,
                            "is_active": channel.is_active}
    if channel.channel_type == "whatsapp":
        view.update({"phone_number_id": channel.phone_number_id, "phone_number": channel.phone_number,
                     "waba_id": channel.waba_id})
    elif channel.channel_type == "instagram":
        view.update({"ig_account_id": channel.ig_account_id, "ig_username": channel.ig_username,
                     "page_id": channel.page_id})
    else:
        view.update({"page_id": channel.page_id})
    view.update({"webhook_url": channel.webhook_url, "has_webhook_secret": bool(channel.webhook_secret),
                 "webhook_events": list(channel.webhook_events), "connected_at": iso(channel.connected_at),
                 "token_expires_at": iso(channel.token_expires_at), "subscription": subscription_view(account)})
    return view


def validate_events(channel_type: str, events: list[str],
                    events_by_type: dict[str, tuple[str, ...]] = EVENTS_BY_TYPE) -> list[str]:
    allowed = events_by_type[channel_type]
    invalid = [e for e in events if e not in allowed]
    if invalid:
        raise ChannelError(422, f"Invalid webhook_events for a {channel_type} channel: {', '.join(invalid)}. "
                                f"Allowed: {', '.join(allowed)}.")
    unique: list[str] = []
    for event in events:
        if event not in unique:
            unique.append(event)
    return unique


def sort_events(channel_type: str, events: list[str],
                events_by_type: dict[str, tuple[str, ...]] = EVENTS_BY_TYPE) -> tuple[list[str], list[str]]:
    """(the valid events without repeats, the names not valid for the channel type), in the given order.

    The liberal reading of WEBHOOK-EVENTS-PER-CHANNEL: a client's "all channels" list (the docs' own quickstart
    sends message.failed for any channel) is accepted and the names the type lacks are ignored.
    """
    kept: list[str] = []
    ignored: list[str] = []
    for event in events:
        try:
            valid = validate_events(channel_type, [event], events_by_type)
        except ChannelError:
            if event not in ignored:
                ignored.append(event)
            continue
        kept.extend(e for e in valid if e not in kept)
    return kept, ignored


def validate_secret(secret: str) -> str:
    if not (SECRET_MIN <= len(secret) <= SECRET_MAX) or not secret.isascii() or not secret.isprintable() \
            or any(c.isspace() for c in secret):
        raise ChannelError(422, f"webhook_secret must be {SECRET_MIN} to {SECRET_MAX} printable ASCII characters "
                                "without spaces")
    return secret


class ChannelService:
    def __init__(self, *, channels: ChannelRepository, accounts: AccountRepository, meta: MetaClient, clock: Clock,
                 allow_webhook_hosts: frozenset[str], token_lifetime_seconds: float,
                 secret_hex_chars: int) -> None:
        self.channels = channels
        self.accounts = accounts
        self.meta = meta
        self.clock = clock
        self.allow_hosts = allow_webhook_hosts
        self.token_lifetime = float(token_lifetime_seconds)
        self.secret_hex_chars = secret_hex_chars
        #: WEBHOOK-EVENTS-PER-CHANNEL: ignore events the channel type lacks (False: refuse the request, 422)
        self.ignore_invalid_events = True
        #: the event types per channel type (v1's; profile fiwano-2026-10 sets reference.v2026.EVENTS_BY_TYPE)
        self.events_by_type = EVENTS_BY_TYPE
        #: the channel's health object (None: v1 has none; profile fiwano-2026-10 sets reference.v2026.health_of)
        self.health_of: Callable[[Channel], dict[str, Any]] | None = None

    def view(self, channel: Channel) -> dict[str, Any]:
        account = self.accounts.get(channel.account_id)
        view = channel_view(channel, self.accounts.effective(account) if account else None)
        if self.health_of is not None:  # profile fiwano-2026-10: CHANNEL-HEALTH-FIELD
            view["health"] = self.health_of(channel)
        return view

    def check_webhook_url(self, url: str) -> str:
        try:
            return check_https_url(url, max_length=WEBHOOK_URL_MAX, allow_hosts=self.allow_hosts,
                                   field="webhook_url")
        except UnsafeURL as exc:
            raise ChannelError(422, str(exc)) from None

    def events_to_store(self, channel_type: str, events: list[str]) -> tuple[list[str], list[str]]:
        """(events to store, events ignored); raises ChannelError (422) when invalid events are refused."""
        if not self.ignore_invalid_events:
            return validate_events(channel_type, events, self.events_by_type), []
        return sort_events(channel_type, events, self.events_by_type)

    def configure_webhook(self, channel: Channel, fields: dict[str, Any]) -> tuple[Channel, str | None]:
        """Apply webhook_url / webhook_secret / webhook_events (only the keys present in ``fields``).

        Returns the updated channel and the secret to show once (set or generated in this call), if any.
        Events the channel type lacks are ignored (or refused, see events_to_store).
        """
        url = channel.webhook_url
        secret = channel.webhook_secret
        events = list(channel.webhook_events)
        shown: str | None = None
        if "webhook_url" in fields:
            url = None if fields["webhook_url"] in (None, "") else self.check_webhook_url(fields["webhook_url"])
        if "webhook_events" in fields and fields["webhook_events"] is not None:
            events, _ignored = self.events_to_store(channel.channel_type, list(fields["webhook_events"]))
        if fields.get("webhook_secret") is not None:
            secret = validate_secret(fields["webhook_secret"])
            shown = secret
        if url and not secret:
            secret = new_webhook_secret(self.secret_hex_chars)
            shown = secret
        self.channels.update_webhook(channel.id, url=url, secret=secret, events=events)
        updated = self.channels.get(channel.id)
        assert updated is not None
        return updated, shown

    async def refresh_token(self, channel: Channel, oauth: MetaOAuth) -> None:
        """Renew the channel's Meta token; a refusal (or expiry while failing) makes the channel inactive."""
        try:
            token, expires_in = await oauth.extend(channel.access_token)
        except OAuthError as exc:
            expired = channel.token_expires_at is not None and channel.token_expires_at <= self.clock.now()
            if exc.transient and not expired:
                log.warning("token refresh of channel %s failed (will retry): %s", channel.id, exc)
                return
            log.warning("token refresh of channel %s failed; channel deactivated: %s", channel.id, exc)
            self.channels.deactivate(channel.id)
            return
        self.channels.set_token(channel.id, token, self.clock.now() + (expires_in or self.token_lifetime))

    async def deactivate(self, channel: Channel) -> Channel:
        if channel.is_active:
            self.channels.deactivate(channel.id)
            resource = channel.subscription_resource
            if resource is not None and not self.channels.others_using_resource(channel):
                result = await self.meta.unsubscribe_app(resource[1], channel.access_token)
                if not result.ok:
                    log.warning("unsubscribing %s %s failed: %s", resource[0], resource[1], result.error_message)
        updated = self.channels.get(channel.id)
        assert updated is not None
        return updated

    async def connect(self, *, account_id: str, channel_type: str, asset_id: str, access_token: str,
                      waba_id: str | None = None, page_id: str | None = None,
                      token_expires_in: float | None = None) -> Channel:
        """Wire a Meta asset to an account: read its names with the token, subscribe the WABA/Page."""
        if channel_type not in CHANNEL_TYPES:
            raise ChannelError(422, f"channel_type must be one of {', '.join(CHANNEL_TYPES)}")
        taken = [c for c in self.channels.find_by_asset(channel_type, asset_id) if c.account_id != account_id]
        if taken:
            raise ChannelError(400, "Already connected to another account")
        if channel_type == "whatsapp" and not waba_id:
            raise ChannelError(422, "waba_id is required for a whatsapp channel")
        fields = {"whatsapp": "id,display_phone_number,verified_name", "facebook": "id,name",
                  "instagram": "id,username,name"}[channel_type]
        info = await self.meta.get_object(asset_id, access_token, fields)
        if not info.ok or not isinstance(info.data, dict):
            status = 502 if info.transient else 400
            raise ChannelError(status, f"Meta refused to read {channel_type} asset {asset_id}: "
                                       f"{info.error_message or 'unexpected answer'}")
        data = info.data
        identifiers: dict[str, str | None]
        if channel_type == "whatsapp":
            phone = str(data.get("display_phone_number") or "")
            if phone and not phone.startswith("+"):
                phone = "+" + phone
            name = data.get("verified_name") or phone or asset_id
            identifiers = {"phone_number_id": asset_id, "phone_number": phone or None, "waba_id": waba_id}
            subscribe_id = waba_id
        elif channel_type == "facebook":
            name = data.get("name") or asset_id
            identifiers = {"page_id": asset_id}
            subscribe_id = asset_id
        else:
            username = data.get("username")
            name = username or data.get("name") or asset_id
            identifiers = {"ig_account_id": asset_id, "ig_username": username, "page_id": page_id}
            subscribe_id = page_id or asset_id
        assert subscribe_id is not None
        subscribed = await self.meta.subscribe_app(subscribe_id, access_token)
        if not subscribed.ok:
            status = 502 if subscribed.transient else 400
            raise ChannelError(status, f"Meta refused the webhook subscription of {subscribe_id}: "
                                       f"{subscribed.error_message or 'unexpected answer'}")
        expires = self.clock.now() + (token_expires_in or self.token_lifetime)
        mine = [c for c in self.channels.find_by_asset(channel_type, asset_id, active_only=False)
                if c.account_id == account_id]
        if mine:
            return self.channels.reactivate(mine[-1].id, name=str(name), access_token=access_token,
                                            token_expires_at=expires, **identifiers)
        return self.channels.create(account_id=account_id, channel_type=channel_type, asset_id=asset_id,
                                    name=str(name), access_token=access_token, token_expires_at=expires,
                                    **identifiers)
