"""Inbound media download: GET /api/v1/media/{media_id} returns the file a user sent (bytes, sha256,
Content-Type, Content-Disposition), only to its account, for 60 minutes; a failed or oversize download is
410.

Spec: fiwano-api.md "Media Files", "message.received — media (Pro)" and "Important Notes / Media files"
(60 minutes, 10 MB). The payload fields of the webhook itself are area E's (RELAY-MEDIA-*); here they are
only read to find the file. Time moves on the virtual clocks (``clock``), never by sleeping.
"""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from suites import expect, readings
from suites.support_connect import parse_time
from suites.support_media import (INBOUND_MEDIA, configure_relay, download, media_object, receive_media,
                                  sha256_matches)


def relay_ready(account, channel, channel_type, sink, rng, owner=None):
    owner = owner or account()
    ch = channel(owner, channel_type)
    endpoint = sink()
    configure_relay(ch, endpoint, rng, req="MEDIA-DL-OK")
    return owner, ch, endpoint


def size_band(fiwano_profile) -> tuple[int, int]:
    """(largest size every reading of MEDIA-MAX-SIZE keeps, largest size any reading keeps): "10 MB" is
    10 000 000 or 10 485 760 bytes, so the tests probe outside that band unless the run pins a reading."""
    lower, upper = fiwano_profile["media_max_bytes"], fiwano_profile["media_max_bytes_upper"]
    pinned = readings.pinned("MEDIA-MAX-SIZE")
    if pinned == "decimal-10000000":
        return lower, lower
    if pinned == "binary-10485760":
        return upper, upper
    return lower, upper


@pytest.mark.req("MEDIA-DL-OK", "MEDIA-DL-BYTES", "TIER-PRO-INBOUND-MEDIA")
@pytest.mark.level("simulated")
def test_download_returns_the_file_the_user_sent(account, channel, channel_type, simulator, sink, fiwano_config, rng):
    owner, ch, endpoint = relay_ready(account, channel, channel_type, sink, rng)
    for index, (media_type, mime) in enumerate(INBOUND_MEDIA[channel_type]):
        content = rng.randbytes(rng.randrange(2000, 50000))
        _, data = receive_media(simulator, ch, endpoint, rng, fiwano_config.delivery_timeout, media_type=media_type,
                                mime_type=mime, content=content, already=index, req="TIER-PRO-INBOUND-MEDIA")
        expect.check(data.get("type") != "unsupported", "TIER-PRO-INBOUND-MEDIA", f"data.type of a {media_type} "
                     "on a Pro channel", "the media type with the file, not 'unsupported'", data)
        media = media_object(data, "TIER-PRO-INBOUND-MEDIA")

        response = download(owner.client, media["media_id"])

        expect.status(response, 200, "MEDIA-DL-OK", f"download the {media_type}")
        expect.check(response.content == content, "MEDIA-DL-BYTES", f"downloaded bytes of the {media_type}",
                     f"the {len(content)} bytes the user sent", f"{len(response.content)} bytes")
        expect.check(media.get("file_size") == len(content), "MEDIA-DL-BYTES", "data.media.file_size",
                     len(content), media.get("file_size"))
        content_type = (response.headers.get("content-type") or "").split(";")[0].strip().lower()
        expect.check(content_type == mime and (media.get("mime_type") or "").split(";")[0].strip().lower() == mime,
                     "MEDIA-DL-OK", "Content-Type of the download and data.media.mime_type",
                     repr(mime), f"Content-Type {response.headers.get('content-type')!r}, mime_type "
                     f"{media.get('mime_type')!r}")
        if channel_type == "whatsapp":
            expect.check(sha256_matches(media.get("sha256"), content), "MEDIA-DL-BYTES", "data.media.sha256",
                         "the SHA-256 of the downloaded bytes (Meta's value, base64 or hex)", media.get("sha256"))


@pytest.mark.req("MEDIA-DL-FILENAME", "MEDIA-DL-SAFE-HEADERS")
@pytest.mark.level("simulated")
def test_download_names_the_original_file(account, channel, simulator, sink, fiwano_config, rng):
    owner, ch, endpoint = relay_ready(account, channel, "whatsapp", sink, rng)
    stem = f"report-{rng.randrange(10**6)}-"
    filename = stem + "x" * (255 - len(stem) - len(".pdf")) + ".pdf"  # 255 characters: the longest common file name
    _, data = receive_media(simulator, ch, endpoint, rng, fiwano_config.delivery_timeout, media_type="document",
                            mime_type="application/pdf", content=rng.randbytes(4000), filename=filename,
                            req="MEDIA-DL-FILENAME")
    media = media_object(data, "MEDIA-DL-FILENAME")

    response = download(owner.client, media["media_id"])

    expect.status(response, 200, "MEDIA-DL-OK", "download the document")
    disposition = response.headers.get("content-disposition") or ""
    expect.check(re.search(r'filename\*?=(?:"|UTF-8\'\')?' + re.escape(filename), disposition, re.IGNORECASE),
                 "MEDIA-DL-FILENAME", "Content-Disposition of a document", f"filename={filename!r}", repr(disposition))
    expect.check((response.headers.get("x-content-type-options") or "").lower() == "nosniff",
                 "MEDIA-DL-SAFE-HEADERS", "X-Content-Type-Options", "'nosniff'",
                 repr(response.headers.get("x-content-type-options")))


@pytest.mark.req("MEDIA-DL-SAFE-HEADERS")
@pytest.mark.level("simulated")
@pytest.mark.parametrize("hostile", [
    'a"; filename="evil.html',
    "x\r\nX-Injected: 1\r\n.pdf",
    "../../etc/passwd",
    "..\\..\\windows\\win.ini",
    "évil ✓ <script>.pdf",
], ids=["quote-param", "crlf", "dotdot", "backslash", "non-ascii-html"])
def test_hostile_file_names_and_types_give_safe_headers(account, channel, simulator, sink, fiwano_config, rng,
                                                          hostile):
    owner, ch, endpoint = relay_ready(account, channel, "whatsapp", sink, rng)
    _, data = receive_media(simulator, ch, endpoint, rng, fiwano_config.delivery_timeout, media_type="document",
                            mime_type="text/html", content=b"<html><script>alert(1)</script></html>",
                            filename=hostile, req="MEDIA-DL-SAFE-HEADERS")
    media = media_object(data, "MEDIA-DL-SAFE-HEADERS")

    response = download(owner.client, media["media_id"])

    expect.status(response, 200, "MEDIA-DL-OK", "download the document")
    expect.check((response.headers.get("x-content-type-options") or "").lower() == "nosniff",
                 "MEDIA-DL-SAFE-HEADERS", "X-Content-Type-Options of a text/html file", "'nosniff'",
                 repr(response.headers.get("x-content-type-options")))
    expect.check("x-injected" not in {k.lower() for k in response.headers}, "MEDIA-DL-SAFE-HEADERS",
                 "response headers", "no header injected through the file name", dict(response.headers))
    disposition = response.headers.get("content-disposition") or ""
    names = re.findall(r"filename\*?=\s*(\"[^\"]*\"|[^;]*)", disposition, re.IGNORECASE)
    bad = [n for n in names if any(c in n.strip('"') for c in "/\\\r\n") or '"' in n.strip()[1:-1]]
    expect.check(disposition.isascii() and len([n for n in names]) <= 2 and not bad and
                 disposition.lower().count("filename=") <= 1, "MEDIA-DL-SAFE-HEADERS",
                 "Content-Disposition for a hostile file name",
                 "one filename parameter without quotes, path separators or line breaks", repr(disposition))


@pytest.mark.req("MEDIA-DL-404")
@pytest.mark.level("api")
def test_unknown_media_id_is_404(account, rng):
    owner = account()
    for media_id in ("".join(rng.choice("0123456789abcdef") for _ in range(16)), f"m{rng.randrange(10**15)}"):
        response = download(owner.client, media_id)
        expect.status(response, 404, "MEDIA-DL-404", f"download the unknown media id {media_id!r}")
        expect.error_detail(response, "MEDIA-DL-404", "404 body")


@pytest.mark.req("MEDIA-DL-404")
@pytest.mark.level("api")
@pytest.mark.parametrize("media_id", ["..%2f..%2fetc%2fpasswd", "%00", "a" * 10_000, "m" + "%ff" * 8],
                         ids=["dotdot", "nul", "10k", "bad-escape"])
def test_malformed_media_ids_are_refused_cleanly(account, media_id):
    response = download(account().client, media_id)

    expect.check(response.status_code in (404, 422), "MEDIA-DL-404", f"download the malformed id {media_id[:40]!r}",
                 "404 (unknown) or 422, never 2xx or 5xx", expect.describe(response))


@pytest.mark.req("MEDIA-DL-ISOLATION", "MEDIA-DL-404")
@pytest.mark.level("simulated")
def test_another_accounts_media_is_404(account, channel, channel_type, simulator, sink, fiwano_config, rng):
    owner, ch, endpoint = relay_ready(account, channel, channel_type, sink, rng)
    media_type, mime = INBOUND_MEDIA[channel_type][0]
    _, data = receive_media(simulator, ch, endpoint, rng, fiwano_config.delivery_timeout, media_type=media_type,
                            mime_type=mime, content=rng.randbytes(3000), req="MEDIA-DL-ISOLATION")
    media_id = media_object(data, "MEDIA-DL-ISOLATION")["media_id"]
    intruder = account()

    theirs = download(intruder.client, media_id)
    unknown = download(intruder.client, media_id[:-1] + ("0" if media_id[-1] != "0" else "1"))

    expect.status(theirs, 404, "MEDIA-DL-ISOLATION", "another account downloads the media")
    expect.check(theirs.content == unknown.content, "MEDIA-DL-ISOLATION", "404 body for another account's media",
                 f"the same as for an unknown id ({unknown.text[:200]})", theirs.text[:200])
    expect.status(download(owner.client, media_id), 200, "MEDIA-DL-OK", "the owner downloads the media")


@pytest.mark.req("MEDIA-DL-TTL", "MEDIA-DL-EXPIRED-410")
@pytest.mark.level("controlled")
def test_media_expires_after_sixty_minutes(account, channel, channel_type, simulator, sink, fiwano_config,
                                           fiwano_profile, clock, rng):
    ttl = fiwano_profile["media_ttl_seconds"]
    owner, ch, endpoint = relay_ready(account, channel, channel_type, sink, rng)
    media_type, mime = INBOUND_MEDIA[channel_type][0]
    before = clock.now()
    _, data = receive_media(simulator, ch, endpoint, rng, fiwano_config.delivery_timeout, media_type=media_type,
                            mime_type=mime, content=rng.randbytes(3000), req="MEDIA-DL-TTL")
    after = clock.now()
    media = media_object(data, "MEDIA-DL-TTL")
    expires = parse_time(media.get("expires_at"))
    window = (before + timedelta(seconds=ttl - 2), after + timedelta(seconds=ttl + 2))
    expect.check(expires is not None and window[0] <= expires <= window[1], "MEDIA-DL-TTL", "data.media.expires_at",
                 f"{ttl} s after receipt: between {window[0].isoformat()} and {window[1].isoformat()}",
                 repr(media.get("expires_at")))

    clock.advance(ttl - 60)
    expect.status(download(owner.client, media["media_id"]), 200, "MEDIA-DL-EXPIRED-410",
                  "download one minute before expires_at")
    clock.advance(61 + (after - before).total_seconds())
    response = download(owner.client, media["media_id"])
    expect.status(response, 410, "MEDIA-DL-EXPIRED-410", "download after expires_at")


@pytest.mark.req("MEDIA-DL-FAILED-410")
@pytest.mark.level("simulated")
def test_failed_download_from_meta_is_410(account, channel, channel_type, simulator, sink, fiwano_config, rng):
    owner, ch, endpoint = relay_ready(account, channel, channel_type, sink, rng)
    media_type, mime = INBOUND_MEDIA[channel_type][0]
    file_path = "/whatsapp_business/attachments" if channel_type == "whatsapp" else "/cdn/"
    simulator.add_faults(ch.world.world_id, [{"match": {"path_contains": file_path},
                                              "action": {"kind": "http_error", "status": 404, "code": 100},
                                              "times": None}])
    _, data = receive_media(simulator, ch, endpoint, rng, fiwano_config.delivery_timeout, media_type=media_type,
                            mime_type=mime, content=rng.randbytes(3000), req="MEDIA-DL-FAILED-410")
    media = media_object(data, "MEDIA-DL-FAILED-410")

    response = download(owner.client, media["media_id"])

    expect.status(response, 410, "MEDIA-DL-FAILED-410", "download of a file Meta did not deliver")


@pytest.mark.req("MEDIA-MAX-SIZE")
@pytest.mark.level("simulated")
def test_file_over_the_size_limit_is_not_stored(account, channel, channel_type, simulator, sink, fiwano_config,
                                                 fiwano_profile, rng):
    _, limit = size_band(fiwano_profile)
    owner, ch, endpoint = relay_ready(account, channel, channel_type, sink, rng)
    media_type, mime = INBOUND_MEDIA[channel_type][0]
    _, data = receive_media(simulator, ch, endpoint, rng, fiwano_config.delivery_timeout, media_type=media_type,
                            mime_type=mime, size=limit + 1, req="MEDIA-MAX-SIZE")
    media = media_object(data, "MEDIA-MAX-SIZE")

    expect.check(media.get("download_url") is None and isinstance(media.get("error"), str) and media["error"],
                 "MEDIA-MAX-SIZE", f"data.media of a {limit + 1}-byte file",
                 "download_url null and a non-empty error", media)
    expect.status(download(owner.client, media["media_id"]), 410, "MEDIA-MAX-SIZE",
                  f"download of a {limit + 1}-byte file")


@pytest.mark.req("MEDIA-MAX-SIZE", "MEDIA-DL-BYTES")
@pytest.mark.level("simulated")
def test_file_at_the_size_limit_is_kept(account, channel, simulator, sink, fiwano_config, fiwano_profile, rng):
    limit, _ = size_band(fiwano_profile)
    owner, ch, endpoint = relay_ready(account, channel, "facebook", sink, rng)
    _, data = receive_media(simulator, ch, endpoint, rng, fiwano_config.delivery_timeout, media_type="image",
                            mime_type="image/jpeg", size=limit, req="MEDIA-MAX-SIZE")
    media = media_object(data, "MEDIA-MAX-SIZE")

    response = download(owner.client, media["media_id"])

    expect.status(response, 200, "MEDIA-MAX-SIZE", f"download of a file of exactly {limit} bytes")
    expect.check(len(response.content) == limit == media.get("file_size"), "MEDIA-DL-BYTES",
                 "downloaded length and data.media.file_size", limit,
                 {"downloaded": len(response.content), "file_size": media.get("file_size")})


@pytest.mark.req("MEDIA-MAX-SIZE", "MEDIA-DL-BYTES")
@pytest.mark.level("controlled")
def test_file_inside_the_ambiguous_band_shows_the_reading(account, channel, simulator, sink, fiwano_config,
                                                          fiwano_profile, rng):
    """One byte over 10 000 000: kept under the binary reading, refused under the decimal one. Either is
    accepted (and reported); whichever the target shows, it must show it consistently."""
    lower = fiwano_profile["media_max_bytes"]
    owner, ch, endpoint = relay_ready(account, channel, "whatsapp", sink, rng)
    _, data = receive_media(simulator, ch, endpoint, rng, fiwano_config.delivery_timeout, media_type="document",
                            mime_type="application/pdf", size=lower + 1, req="MEDIA-MAX-SIZE")
    media = media_object(data, "MEDIA-MAX-SIZE")
    response = download(owner.client, media["media_id"])

    if media.get("download_url") is None:
        readings.accepts("MEDIA-MAX-SIZE", "decimal-10000000", what=f"a {lower + 1}-byte file",
                         seen="download_url null")
        expect.check(isinstance(media.get("error"), str) and media["error"], "MEDIA-MAX-SIZE",
                     f"data.media of a refused {lower + 1}-byte file", "a non-empty error", media)
        expect.status(response, 410, "MEDIA-MAX-SIZE", f"download of a refused {lower + 1}-byte file")
        return
    readings.accepts("MEDIA-MAX-SIZE", "binary-10485760", what=f"a {lower + 1}-byte file", seen="kept")
    expect.status(response, 200, "MEDIA-MAX-SIZE", f"download of a kept {lower + 1}-byte file")
    expect.check(len(response.content) == lower + 1 == media.get("file_size"), "MEDIA-DL-BYTES",
                 "downloaded length and data.media.file_size", lower + 1,
                 {"downloaded": len(response.content), "file_size": media.get("file_size")})
