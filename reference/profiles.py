"""Sender profiles (Instagram, Messenger) from Meta, cached for profile_cache_seconds."""

from __future__ import annotations

import json
from typing import Any, cast

from reference.clock import Clock
from reference.db import Database
from reference.meta_client import MetaClient
from reference.repos.channels import Channel

FIELDS = {
    "instagram": ("username", "name", "profile_pic", "follower_count", "is_verified_user"),
    "facebook": ("first_name", "last_name", "profile_pic"),
}
UNAVAILABLE_CODES = {100, 230, 551, 2018218, 2018001}


class ProfileError(Exception):
    def __init__(self, status_code: int, detail: str) -> None:
        super().__init__(detail)
        self.status_code = status_code
        self.detail = detail


class ProfileService:
    def __init__(self, *, db: Database, meta: MetaClient, clock: Clock, cache_seconds: float) -> None:
        self.db = db
        self.meta = meta
        self.clock = clock
        self.cache_seconds = float(cache_seconds)

    def _cached(self, channel_id: str, user_id: str) -> dict[str, Any] | None:
        row = self.db.one("SELECT profile, fetched_at FROM profile_cache WHERE channel_id = ? AND user_id = ?",
                          (channel_id, user_id))
        if row is None or self.clock.now() - row["fetched_at"] >= self.cache_seconds:
            return None
        return cast(dict[str, Any], json.loads(row["profile"]))

    def check_usable(self, channel: Channel) -> None:
        """The channel rules of a profile lookup (PROFILE-WA-400, PROFILE-INACTIVE-400, PROFILE-EXPIRED-TOKEN-400),
        which hold whatever the user id looks like."""
        if channel.channel_type == "whatsapp":
            raise ProfileError(400, "Profiles are not available for WhatsApp channels (use data.from_name)")
        if not channel.is_active:
            raise ProfileError(400, "Channel is inactive")
        if channel.token_expires_at is not None and channel.token_expires_at <= self.clock.now():
            raise ProfileError(400, "The channel's Meta token has expired; reconnect the channel")

    async def get(self, channel: Channel, user_id: str) -> dict[str, Any]:
        self.check_usable(channel)
        answer = {"channel_id": channel.id, "channel_type": channel.channel_type, "user_id": user_id}
        cached = self._cached(channel.id, user_id)
        if cached is not None:
            return {**answer, "profile": cached, "cached": True}
        fields = FIELDS[channel.channel_type]
        result = await self.meta.get_object(user_id, channel.access_token, ",".join(fields))
        if result.ok and isinstance(result.data, dict):
            profile = {name: result.data.get(name) for name in fields}
            self.db.execute("INSERT OR REPLACE INTO profile_cache (channel_id, user_id, profile, fetched_at)"
                            " VALUES (?, ?, ?, ?)", (channel.id, user_id, json.dumps(profile), self.clock.now()))
            return {**answer, "profile": profile, "cached": False}
        if not result.transient and result.error_code in UNAVAILABLE_CODES:
            return {**answer, "profile": None, "cached": False}
        if not result.transient and result.error_code == 190:
            raise ProfileError(400, "The channel's Meta token is invalid or expired; reconnect the channel")
        raise ProfileError(502, f"Meta API error while fetching the profile: {result.error_message}")
