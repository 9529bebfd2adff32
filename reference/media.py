"""Inbound media (Pro): fetched from Meta, kept for 60 minutes, served by GET /api/v1/media/{media_id}."""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from collections.abc import Awaitable
from typing import Any

from reference.clock import Clock, iso
from reference.crypto import new_id
from reference.db import Database
from reference.meta_client import MetaClient
from reference.repos.channels import Channel
from reference.repos.messages import Message

log = logging.getLogger("reference.media")


@dataclass
class StoredMedia:
    id: str
    account_id: str
    channel_id: str
    kind: str
    mime_type: str | None
    file_size: int | None
    filename: str | None
    sha256: str | None
    content: bytes | None
    error: str | None
    created_at: float
    expires_at: float


class MediaRepository:
    def __init__(self, db: Database, clock: Clock) -> None:
        self.db = db
        self.clock = clock

    def save(self, *, account_id: str, channel_id: str, message_id: str, kind: str, mime_type: str | None,
             file_size: int | None, filename: str | None, sha256: str | None, content: bytes | None,
             error: str | None, ttl_seconds: float) -> StoredMedia:
        now = self.clock.now()
        media_id = new_id()
        self.db.execute(
            "INSERT INTO media (id, account_id, channel_id, message_id, kind, mime_type, file_size, filename, sha256,"
            " content, error, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (media_id, account_id, channel_id, message_id, kind, mime_type, file_size, filename, sha256, content,
             error, now, now + ttl_seconds))
        stored = self.get(media_id)
        assert stored is not None
        return stored

    def get(self, media_id: str) -> StoredMedia | None:
        row = self.db.one("SELECT * FROM media WHERE id = ?", (media_id,))
        if row is None:
            return None
        values = {k: row[k] for k in StoredMedia.__dataclass_fields__}
        values["content"] = bytes(row["content"]) if row["content"] is not None else None
        return StoredMedia(**values)

    def purge_expired(self, now: float) -> list:
        """Delete the bytes of expired files (the row stays so the download answers 410, not 404)."""
        self.db.execute("UPDATE media SET content = NULL WHERE expires_at <= ? AND content IS NOT NULL", (now,))
        return []

    def next_expiry(self) -> float | None:
        row = self.db.one("SELECT MIN(expires_at) FROM media WHERE content IS NOT NULL")
        return row[0] if row else None


WA_KINDS = {"image": "image", "audio": "audio", "video": "video", "document": "document", "sticker": "sticker"}
PAGE_KINDS = {"image": "image", "audio": "audio", "video": "video", "file": "document"}


def safe_filename(name: str | None) -> str | None:
    if not name:
        return None
    cleaned = re.sub(r"[^A-Za-z0-9._ -]", "_", name.replace("\\", "/").split("/")[-1]).strip(" .")
    return cleaned[:255] or None


class MediaService:
    #: RELAY-MEDIA-KIND: the kind of an Instagram/Facebook "file" attachment, None = "document" (reference/readings.py)
    file_kind: str | None = None
    #: profile fiwano-2026-10 (RELAY-STICKER-AS-IMAGE): stickers arrive as type "image" with media.sticker true
    stickers_as_images = False

    def __init__(self, *, repo: MediaRepository, meta: MetaClient, clock: Clock, public_url: str,
                 ttl_seconds: float, max_bytes: int) -> None:
        self.repo = repo
        self.meta = meta
        self.clock = clock
        self.public_url = public_url.rstrip("/")
        self.ttl = float(ttl_seconds)
        self.max_bytes = int(max_bytes)

    def download_url(self, media_id: str) -> str:
        return f"{self.public_url}/api/v1/media/{media_id}"

    async def _fetch_whatsapp(self, channel: Channel, media_id: str) -> tuple[bytes | None, str | None, str | None]:
        info = await self.meta.get_object(media_id, channel.access_token)
        if not info.ok or not isinstance(info.data, dict) or not info.data.get("url"):
            return None, None, f"Meta did not give the media URL: {info.error_message or 'no url'}"
        declared = info.data.get("file_size")
        if isinstance(declared, (int, str)) and str(declared).isdigit() and int(declared) > self.max_bytes:
            return None, None, f"Media file exceeds the {self.max_bytes} byte limit"
        return await self.meta.download(str(info.data["url"]), channel.access_token, self.max_bytes)

    async def handle(self, channel: Channel, message: Message, item: Any) -> dict[str, Any]:
        """Download one inbound media file and return the event data fields (type, caption, media)."""
        raw: dict[str, Any] = item.media or {}
        if channel.channel_type == "whatsapp":
            mtype = item.type
            kind = "voice" if (mtype == "audio" and raw.get("voice")) else WA_KINDS.get(mtype, mtype)
            content, content_type, error = (None, None, "Meta gave no media id")
            if raw.get("id"):
                content, content_type, error = await _as_outcome(self._fetch_whatsapp(channel, str(raw["id"])))
            mime = raw.get("mime_type") or content_type
            sha256 = raw.get("sha256")
            filename = raw.get("filename") if mtype == "document" else None
        else:
            mtype = item.type
            kind = PAGE_KINDS.get(mtype, mtype) if not (mtype == "file" and self.file_kind) else self.file_kind
            url = raw.get("url")
            content, content_type, error = (None, None, "Meta gave no attachment URL")
            if isinstance(url, str) and url:
                content, content_type, error = await _as_outcome(self.meta.download(url, None, self.max_bytes))
            mime = content_type
            sha256 = None
            filename = None
        if content is not None and mime is None:
            mime = "application/octet-stream"
        stored = self.repo.save(account_id=channel.account_id, channel_id=channel.id, message_id=message.id,
                                kind=kind, mime_type=mime, file_size=len(content) if content is not None else None,
                                filename=filename if isinstance(filename, str) else None,
                                sha256=sha256 if isinstance(sha256, str) else None, content=content, error=error,
                                ttl_seconds=self.ttl)
        media: dict[str, Any] = {
            "media_id": stored.id, "kind": kind, "mime_type": mime, "file_size": stored.file_size,
            "filename": stored.filename, "sha256": stored.sha256, "duration_ms": None,
            "download_url": self.download_url(stored.id) if content is not None else None,
            "expires_at": iso(stored.expires_at)}
        if content is None:
            media["error"] = error or "Download from Meta failed"
        data: dict[str, Any] = {"type": mtype}
        if self.stickers_as_images:
            self._sticker_as_image(channel.channel_type, raw, data, media)
        caption = raw.get("caption")
        if isinstance(caption, str) and caption:
            data["caption"] = caption
        data["media"] = media
        return data

    @staticmethod
    def _sticker_as_image(channel_type: str, raw: dict[str, Any], data: dict[str, Any], media: dict[str, Any]) -> None:
        """RELAY-STICKER-AS-IMAGE (2026-09-14): a WhatsApp sticker is an image with media.sticker true; a Messenger
        sticker (an image attachment with Meta's sticker_id) adds media.sticker_id; an Instagram one is an image."""
        if channel_type == "whatsapp" and data["type"] == "sticker":
            data["type"] = media["kind"] = "image"
            media["sticker"] = True
        elif channel_type == "facebook" and raw.get("sticker_id") is not None:
            media["sticker"] = True
            media["sticker_id"] = raw["sticker_id"]


async def _as_outcome(fetch: Awaitable[tuple[bytes | None, str | None, str | None]]) -> tuple[bytes | None, str | None, str | None]:
    """A download's (content, content type, error), also when it raised: any failure to get the file (an
    attachment URL the HTTP client refuses, a broken answer) is a failed download, which is still relayed
    with ``download_url`` null and the error (RELAY-MEDIA-DOWNLOAD-FAILED)."""
    try:
        return await fetch
    except Exception as exc:  # noqa: BLE001
        log.warning("media download failed: %r", exc)
        return None, None, f"Download from Meta failed ({type(exc).__name__})"
