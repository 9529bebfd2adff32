"""WhatsApp media: ``GET /{media-id}`` (a short-lived download URL), the download itself, ``DELETE``.

The download URL mimics Meta's lookaside URL (``/whatsapp_business/attachments/?mid=…&ext=…&hash=…``)
on the simulator's own host; it needs the same bearer token and stops working after
``media_url_ttl_seconds`` of virtual time (Meta: 5 minutes), answering 404 like Meta does.
"""

from __future__ import annotations

import asyncio
import secrets
from typing import AsyncIterator

from starlette.responses import RedirectResponse, Response, StreamingResponse

from simulator.errors import GraphError, invalid
from simulator.graph.context import GraphCall, GraphResult
from simulator.world import MediaItem

DOWNLOAD_PATH = "/whatsapp_business/attachments/"


def info(call: GraphCall, media_id: str) -> GraphResult:
    world = call.world
    item = world.media[media_id]
    phone = call.params.get("phone_number_id")
    if phone is not None and phone != item.asset_id:
        raise invalid(f"Media {media_id} does not belong to phone number {phone}")
    key = secrets.token_urlsafe(12)
    expires = call.now() + call.store.settings.media_url_ttl_seconds
    with call.store.lock:
        item.url_key, item.url_expires_at = key, expires
    url = f"{call.request.base_url}{DOWNLOAD_PATH}?mid={media_id}&ext={int(expires)}&hash={key}"
    return GraphResult({"messaging_product": "whatsapp", "url": url, "mime_type": item.mime_type,
                        "sha256": item.sha256, "file_size": len(item.content), "id": media_id})


def download(call: GraphCall, media_id: str) -> GraphResult:
    req = call.request
    if req.token is None or call.token_world is None:
        raise GraphError(190, "Invalid OAuth access token - Cannot parse access token", status=401)
    world = call.token_world
    item = world.media.get(media_id)
    if item is None or item.url_key is None or req.query.get("hash") != item.url_key:
        raise GraphError(100, "(#100) Media not found", status=404)
    if call.now() >= item.url_expires_at:
        raise GraphError(100, "(#100) Media URL expired, retrieve a new URL", status=404)
    return _deliver(item)


def delete(call: GraphCall, media_id: str) -> GraphResult:
    with call.store.lock:
        call.world.media.pop(media_id, None)
    return GraphResult({"success": True})


# A 1x1 white JPEG, served for profile pictures.
PROFILE_JPEG = bytes.fromhex(
    "ffd8ffe000104a46494600010100000100010000ffdb004300080606070605080707070909080a0c140d0c0b0b0c1912130f14"
    "1d1a1f1e1d1a1c1c20242e2720222c231c1c2837292c30313434341f27393d38323c2e333432ffc0000b080001000101011100"
    "ffc4001f0000010501010101010100000000000000000102030405060708090a0bffc400b5100002010303020403050504040000"
    "017d01020300041105122131410613516107227114328191a1082342b1c11552d1f02433627282090a161718191a25262728292a"
    "3435363738393a434445464748494a535455565758595a636465666768696a737475767778797a838485868788898a9293949596"
    "9798999aa2a3a4a5a6a7a8a9aab2b3b4b5b6b7b8b9bac2c3c4c5c6c7c8c9cad2d3d4d5d6d7d8d9dae1e2e3e4e5e6e7e8e9eaf1f2"
    "f3f4f5f6f7f8f9faffda0008010100003f00fbd3ffd9")


def cdn_download(call: GraphCall, key: str) -> GraphResult:
    """Messenger/Instagram attachment URLs: temporary CDN links fetchable without a token."""
    if key.startswith("profile/"):
        return GraphResult(None, content=PROFILE_JPEG, media_type="image/jpeg")
    world = call.world
    media_id = world.cdn_files.get(key) if world is not None else None
    item = world.media.get(media_id) if media_id else None
    if item is None:
        raise GraphError(100, "(#100) URL signature mismatch or file not found", status=404)
    return _deliver(item)


def _deliver(item: MediaItem) -> GraphResult:
    """The bytes, the way a (possibly hostile) CDN serves them — see MediaItem.delivery."""
    mode = item.delivery
    if mode == "normal":
        return GraphResult(None, content=item.content, media_type=item.mime_type)
    if mode == "redirect":
        return GraphResult(mode, status=302, media_type=item.mime_type,
                           response=RedirectResponse(item.redirect_url or "http://127.0.0.1:1/", status_code=302))
    if mode == "truncated":  # Content-Length promises more than is sent, then the connection closes
        return GraphResult(mode, media_type=item.mime_type, response=_Truncated(item.content, item.mime_type))
    content = item.content or b"\0"

    async def chunks() -> AsyncIterator[bytes]:
        for start in range(0, len(content), 65536):
            yield content[start:start + 65536]
        if mode == "endless":  # until the client gives up (capped at 4 GiB)
            block = (content * (65536 // len(content) + 1))[:65536]
            for _ in range(4 * 2**30 // len(block)):
                yield block
                await asyncio.sleep(0)

    return GraphResult(mode, media_type=item.mime_type,
                       response=StreamingResponse(chunks(), media_type=item.mime_type))


class _Truncated(Response):
    def __init__(self, content: bytes, mime_type: str) -> None:
        super().__init__(status_code=200, media_type=mime_type)
        self.content = content

    async def __call__(self, scope, receive, send) -> None:  # type: ignore[override]
        headers = [(k, v) for k, v in self.raw_headers if k != b"content-length"]
        headers.append((b"content-length", str(len(self.content) * 2 + 1024).encode()))
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": self.content, "more_body": True})
