"""send-media: a valid request reaches Meta as a link; every invalid one is answered 422 (or 400) and nothing
reaches Meta (the simulator's journal shows no send call).

Spec: fiwano-api.md "POST /api/v1/messages/send-media" (HTTPS URL max 2048, no credentials, no private
IPs, caption 1024, filename 255, signed URLs supported, error_code on failure) and "Channel Capabilities".
Vectors: reliability-security.md §2.3 and §7 "media_url validation". Limits come from the profile. Nobody
ever fetches a media_url in the kit (the fake Meta only pretends), so private vectors are safe to send.
"""

from __future__ import annotations

import pytest

from suites import expect, readings
from suites.data import ascii_text, user_id
from suites.support_media import (OUTBOUND_MEDIA, describe_calls, make_fetchable, media_body, public_url, send_media,
                                  sent_media, url_of_length)
from suites.support_sending import meta_sends, open_window

# --- media_url vectors (reliability-security.md §2.3); the path keeps them recognisable in reports
NOT_HTTPS = [
    "http://203.0.113.10/a.jpg", "ftp://203.0.113.10/a.jpg", "file:///etc/passwd", "gopher://127.0.0.1:6379/_x",
    "dict://203.0.113.10:11211/", "data:image/png;base64,iVBORw0KGgo=", "javascript:alert(1)",
    "//media.example.com/a.jpg", "media.example.com/a.jpg", "/a.jpg", "https://", "https:///a.jpg",
    "https://:443/a.jpg", "ws://media.example.com/a.jpg",
    # plain http to public hosts: refused for the scheme alone (203.0.113.10 above is not public either)
    "http://media.example.com/a.jpg", "HTTP://media.example.com/a.jpg", "http://1.1.1.1/a.jpg",
]
CREDENTIALS = [
    "https://user:pass@203.0.113.10/a.jpg", "https://user@203.0.113.10/a.jpg", "https://:pass@203.0.113.10/a.jpg",
    "https://user:@203.0.113.10/a.jpg", "https://%75ser:x@203.0.113.10/a.jpg",
    "https://user:pass@media.example.com/a.jpg", "https://203.0.113.10@127.0.0.1/a.jpg",
    "https://127.0.0.1@203.0.113.10/a.jpg",
]
PRIVATE_LITERALS = [  # canonical notations: loopback, private, link-local, unspecified (MUST)
    "127.0.0.1", "127.0.0.2", "127.255.255.254", "10.0.0.1", "10.255.255.255", "172.16.0.1", "172.31.255.255",
    "192.168.1.1", "169.254.169.254", "169.254.170.2", "0.0.0.0",
    "[::1]", "[0:0:0:0:0:0:0:1]", "[::]", "[fc00::1]", "[fd12:3456::1]", "[fe80::1]", "[fd00:ec2::254]",
]
PRIVATE_ENCODED = [  # the same addresses in other notations, names and parser-confusion forms (SHOULD)
    "2130706433", "0x7f000001", "0x7f.0x0.0x0.0x1", "0x7f.1", "0177.0.0.1", "0177.00.00.01", "127.1", "127.0.1",
    "0", "167772161", "0xa000001", "012.0.0.1", "3232235777", "0xc0a80101", "0300.0250.01.01", "2852039166",
    "0xa9fea9fe", "0xa9.0xfe.0xa9.0xfe", "0251.0376.0251.0376", "169.254.43518", "169.254.169.254.",
    "%31%32%37.0.0.1", "127%2e0%2e0%2e1", "[::ffff:127.0.0.1]", "[::ffff:7f00:1]", "[::ffff:a9fe:a9fe]",
    "[0:0:0:0:0:ffff:169.254.169.254]", "[::127.0.0.1]", "[fe80::1%25eth0]", "[64:ff9b::7f00:1]",
    "[2002:7f00:1::]", "100.64.0.1", "localhost", "LOCALHOST", "localhost.", "foo.localhost",
    "metadata.google.internal", "１２７.０.０.１", "127。0。0。1",
]
PARSER_CONFUSION = [
    "https://127.0.0.1\\@203.0.113.10/a.jpg", "https://203.0.113.10\\@127.0.0.1/a.jpg",
    "https://127.0.0.1#@203.0.113.10/a.jpg", "https:/\\127.0.0.1/a.jpg", "https:127.0.0.1/a.jpg",
    "https:\\\\127.0.0.1/a.jpg", "https:///127.0.0.1/a.jpg", " https://127.0.0.1/a.jpg",
    "https://127.0.0.1%00.203.0.113.10/a.jpg", "https://127.0.0.1 &@203.0.113.10# @203.0.113.10/",
]
PUBLIC_NEAR_PRIVATE = ["172.15.255.255", "172.32.0.1", "100.63.255.255", "100.128.0.1", "192.169.0.1", "11.0.0.1",
                       "1.1.1.1", "[2606:4700:4700::1111]", "[2001:4860:4860::8888]"]
PRESIGNED = [
    "https://my-bucket.s3.amazonaws.com/photo.jpg?X-Amz-Algorithm=AWS4-HMAC-SHA256"
    "&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20250115%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Date=20250115T103000Z"
    "&X-Amz-Expires=600&X-Amz-SignedHeaders=host&X-Amz-Signature=" + "ab" * 32,
    "https://storage.googleapis.com/my-bucket/photo.jpg?X-Goog-Algorithm=GOOG4-RSA-SHA256"
    "&X-Goog-Credential=sa%40proj.iam.gserviceaccount.com%2F20250115%2Fauto%2Fstorage%2Fgoog4_request"
    "&X-Goog-Date=20250115T103000Z&X-Goog-Expires=600&X-Goog-SignedHeaders=host&X-Goog-Signature=" + "cd" * 64,
    "https://account.blob.core.windows.net/media/photo.jpg?sv=2022-11-02&se=2025-01-15T11%3A00%3A00Z&sr=b&sp=r"
    "&sig=AbCdEf%2BgHiJkLmNoPqRsTuVwXyZ%3D",
    "https://acct.r2.cloudflarestorage.com/bucket/photo.jpg?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Expires=600"
    "&X-Amz-Signature=" + "ef" * 32,
    "https://files.example.com/photo.jpg?expires=1736938800&signature=" + "0123456789abcdef" * 4,
]


def refused(owner, ch, recipient: str, bodies: list[dict], req) -> None:
    """Every body is answered as a validation error: 422 (fiwano-api.md send-media: "422 Validation failed")
    or 400 (the general status table), both readings of ERR-VALIDATION-STATUS."""
    wrong = []
    for body in bodies:
        response = send_media(owner.client, body)
        if response.status_code not in (400, 422) or not _has_detail(response):
            wrong.append(f"{body.get('media_url', body.get('media_type'))!r}: {expect.describe(response)[:200]}")
        else:
            readings.validation_refused(response, req, "send-media with an invalid value")
    expect.check(not wrong, req, f"send-media with {len(bodies)} invalid value(s)",
                 'HTTP 422 (or 400) with {"detail": ...} for each',
                 "\n  " + "\n  ".join(wrong))


def _has_detail(response) -> bool:
    try:
        body = response.json()
    except ValueError:
        return False
    return isinstance(body, dict) and bool(body.get("detail"))


def nothing_reached_meta(simulator, ch, req=("MEDIA-SEND-VALIDATED-BEFORE-META",)) -> None:
    sends = meta_sends(simulator, ch)
    expect.check(not sends, req, "calls to Meta's send endpoint after refused send-media requests", "none",
                 describe_calls(sends))


def sending_setup(account, channel, channel_type, simulator, rng):
    owner = account()
    ch = channel(owner, channel_type)
    recipient = user_id(channel_type, rng)
    open_window(simulator, ch, recipient, "MEDIA-SEND-OK")
    return owner, ch, recipient


def accepted(response, req, what: str) -> dict:
    expect.status(response, 200, req, what)
    body = expect.json_object(expect.conforms(response, req), req, "send-media response")
    expect.check(body.get("success") is True and expect.UUID_FORMAT.match(str(body.get("message_id"))), req,
                 f"{what}: response", '{"success": true, "message_id": "<UUID>"}', body)
    return body


# ------------------------------------------------------------------------------------------- accepted


@pytest.mark.req("MEDIA-SEND-OK", "MEDIA-SEND-BY-LINK", "MEDIA-SEND-REQUIRED-FIELDS")
@pytest.mark.level("simulated")
def test_media_send_reaches_meta_as_a_link(account, channel, channel_type, simulator, rng):
    owner, ch, recipient = sending_setup(account, channel, channel_type, simulator, rng)
    urls = {}
    for media_type in OUTBOUND_MEDIA[channel_type]:
        urls[media_type] = public_url(rng, media_type)
        make_fetchable(simulator, ch, urls[media_type], media_type)

        accepted(send_media(owner.client, media_body(ch, recipient, media_type, urls[media_type])),
                 "MEDIA-SEND-OK", f"send-media {media_type} without caption or filename")

    seen = [sent_media(e) for e in meta_sends(simulator, ch)]
    expected_types = [("file" if t == "document" and channel_type != "whatsapp" else t) for t in urls]
    expect.check([s["link"] for s in seen] == list(urls.values()), "MEDIA-SEND-BY-LINK",
                 "the media Meta was asked to send", f"one send per request carrying media_url as the link: "
                 f"{list(urls.values())}", seen)
    expect.check([s["type"] for s in seen] == expected_types, "MEDIA-SEND-OK", "media types Meta received",
                 expected_types, [s["type"] for s in seen])
    uploads = [e for e in simulator.journal(ch.world.world_id, method="POST") if e.path.rstrip("/").endswith("/media")]
    expect.check(not uploads, "MEDIA-SEND-BY-LINK", "media uploads to Meta", "none (Fiwano passes the link)",
                 describe_calls(uploads))


@pytest.mark.req("MEDIA-SEND-CAPTION-WA", "MEDIA-SEND-FILENAME-WA", "MEDIA-SEND-OK")
@pytest.mark.level("simulated")
def test_whatsapp_caption_and_filename_reach_meta(account, channel, simulator, rng):
    owner, ch, recipient = sending_setup(account, channel, "whatsapp", simulator, rng)
    cases = [("image", f"photo {rng.randrange(10**6)}", None), ("video", f"clip {rng.randrange(10**6)}", None),
             ("document", f"invoice {rng.randrange(10**6)}", f"invoice-{rng.randrange(10**6)}.pdf")]
    for media_type, caption, filename in cases:
        url = public_url(rng, media_type)
        make_fetchable(simulator, ch, url, media_type)
        extra = {"caption": caption, **({"filename": filename} if filename else {})}
        accepted(send_media(owner.client, media_body(ch, recipient, media_type, url, **extra)), "MEDIA-SEND-OK",
                 f"send-media {media_type} with caption")

    seen = [sent_media(e) for e in meta_sends(simulator, ch)]
    expect.check([s["caption"] for s in seen] == [c for _, c, _ in cases], "MEDIA-SEND-CAPTION-WA",
                 "captions Meta received (image, video, document)", [c for _, c, _ in cases], seen)
    expect.check(seen[-1:] and seen[-1]["filename"] == cases[-1][2], "MEDIA-SEND-FILENAME-WA",
                 "document.filename Meta received", repr(cases[-1][2]), seen[-1:])


@pytest.mark.req("MEDIA-SEND-FB-FILE", "MEDIA-SEND-OK")
@pytest.mark.level("simulated")
def test_messenger_document_is_sent_as_a_file_attachment(account, channel, simulator, rng):
    owner, ch, recipient = sending_setup(account, channel, "facebook", simulator, rng)
    url = public_url(rng, "document")
    make_fetchable(simulator, ch, url, "document")

    accepted(send_media(owner.client, media_body(ch, recipient, "document", url)), "MEDIA-SEND-OK",
             "send-media document on Messenger")

    seen = [sent_media(e) for e in meta_sends(simulator, ch)]
    expect.check(seen == [{"type": "file", "link": url, "caption": None, "filename": None}], "MEDIA-SEND-FB-FILE",
                 "the Messenger attachment", f"one attachment of type 'file' with url {url}", seen)


@pytest.mark.req("MEDIA-SEND-IG-DOCUMENT")
@pytest.mark.level("simulated")
def test_instagram_document_does_not_silently_succeed(account, channel, simulator, fiwano_profile, rng):
    owner, ch, recipient = sending_setup(account, channel, "instagram", simulator, rng)
    url = public_url(rng, "document")
    make_fetchable(simulator, ch, url, "document")

    response = send_media(owner.client, media_body(ch, recipient, "document", url))

    sends = meta_sends(simulator, ch)
    body = response.json() if response.headers.get("content-type", "").startswith("application/json") else {}
    reading = ("refused-4xx" if response.status_code in (400, 422) and not sends else
               "meta-failed" if response.status_code == 200 and isinstance(body, dict) and body.get("success") is False
               else None)
    expect.check(reading is not None, "MEDIA-SEND-IG-DOCUMENT", "send-media document on Instagram",
                 "400/422 before Meta (refused-4xx) or 200 success false (meta-failed)",
                 f"{expect.describe(response)}; Meta calls {describe_calls(sends)}")
    readings.accepts("MEDIA-SEND-IG-DOCUMENT", reading, what="send-media document on Instagram")


@pytest.mark.req("MEDIA-SEND-URL-SIGNED-OK", "MEDIA-SEND-BY-LINK")
@pytest.mark.level("simulated")
def test_presigned_urls_are_accepted_and_passed_unchanged(account, channel, channel_type, simulator, rng):
    owner, ch, recipient = sending_setup(account, channel, channel_type, simulator, rng)
    for url in PRESIGNED:
        make_fetchable(simulator, ch, url)
        accepted(send_media(owner.client, media_body(ch, recipient, "image", url)), "MEDIA-SEND-URL-SIGNED-OK",
                 f"send-media with the presigned URL {url[:60]}...")

    links = [sent_media(e)["link"] for e in meta_sends(simulator, ch)]
    expect.check(links == PRESIGNED, "MEDIA-SEND-URL-SIGNED-OK", "links Meta received", "each presigned URL "
                 "byte for byte (signature in the query kept)", links)


@pytest.mark.req("MEDIA-SEND-URL-PUBLIC-IP-OK")
@pytest.mark.level("simulated")
def test_public_ip_literals_next_to_private_ranges_are_accepted(account, channel, channel_type, simulator, rng):
    owner, ch, recipient = sending_setup(account, channel, channel_type, simulator, rng)
    urls = [f"https://{ip}/media/{rng.randrange(10**9)}.jpg" for ip in PUBLIC_NEAR_PRIVATE]
    wrong = []
    for url in urls:
        make_fetchable(simulator, ch, url)
        response = send_media(owner.client, media_body(ch, recipient, "image", url))
        if response.status_code != 200:
            wrong.append(f"{url}: {expect.describe(response)[:200]}")

    expect.check(not wrong, "MEDIA-SEND-URL-PUBLIC-IP-OK", "send-media with public IPs next to private ranges",
                 "HTTP 200 (not refused as private)", "\n  " + "\n  ".join(wrong))
    links = [sent_media(e)["link"] for e in meta_sends(simulator, ch)]
    expect.check(links == urls, "MEDIA-SEND-URL-PUBLIC-IP-OK", "links Meta received", urls, links)


# ------------------------------------------------------------------------------------------- limits


@pytest.mark.req("MEDIA-SEND-URL-MAX", "MEDIA-SEND-VALIDATED-BEFORE-META")
@pytest.mark.level("simulated")
def test_media_url_length_boundary(account, channel, channel_type, simulator, fiwano_profile, rng):
    limit = fiwano_profile["media_url_max_chars"]
    owner, ch, recipient = sending_setup(account, channel, channel_type, simulator, rng)
    at_limit, over = url_of_length(limit, rng), url_of_length(limit + 1, rng)
    make_fetchable(simulator, ch, at_limit)

    refused(owner, ch, recipient, [media_body(ch, recipient, "image", over)], "MEDIA-SEND-URL-MAX")
    nothing_reached_meta(simulator, ch)
    accepted(send_media(owner.client, media_body(ch, recipient, "image", at_limit)), "MEDIA-SEND-URL-MAX",
             f"send-media with a {limit}-character media_url")

    links = [sent_media(e)["link"] for e in meta_sends(simulator, ch)]
    expect.check(links == [at_limit], "MEDIA-SEND-URL-MAX", "links Meta received",
                 f"only the {limit}-character URL", [f"{len(x or '')} chars" for x in links])


@pytest.mark.req("MEDIA-SEND-CAPTION-MAX", "MEDIA-SEND-VALIDATED-BEFORE-META")
@pytest.mark.level("simulated")
def test_caption_length_boundary(account, channel, channel_type, simulator, fiwano_profile, rng):
    limit = fiwano_profile["caption_max_chars"]
    owner, ch, recipient = sending_setup(account, channel, channel_type, simulator, rng)
    url = public_url(rng)
    make_fetchable(simulator, ch, url)
    caption = ascii_text(limit, rng)

    refused(owner, ch, recipient, [media_body(ch, recipient, "image", url, caption=ascii_text(limit + 1, rng))],
            "MEDIA-SEND-CAPTION-MAX")
    nothing_reached_meta(simulator, ch)
    accepted(send_media(owner.client, media_body(ch, recipient, "image", url, caption=caption)),
             "MEDIA-SEND-CAPTION-MAX", f"send-media with a {limit}-character caption")

    seen = [sent_media(e) for e in meta_sends(simulator, ch)]
    expect.check(len(seen) == 1, "MEDIA-SEND-CAPTION-MAX", "sends Meta received", "exactly one", seen)
    if channel_type == "whatsapp":
        expect.check(seen[0]["caption"] == caption, "MEDIA-SEND-CAPTION-WA", "image.caption Meta received",
                     f"the {limit} characters unchanged", f"{len(seen[0]['caption'] or '')} chars")


@pytest.mark.req("MEDIA-SEND-FILENAME-MAX", "MEDIA-SEND-VALIDATED-BEFORE-META")
@pytest.mark.level("simulated")
def test_filename_length_boundary(account, channel, channel_type, simulator, fiwano_profile, rng):
    limit = fiwano_profile["filename_max_chars"]
    owner, ch, recipient = sending_setup(account, channel, channel_type, simulator, rng)
    media_type = "document" if "document" in OUTBOUND_MEDIA[channel_type] else "image"
    url = public_url(rng, media_type)
    make_fetchable(simulator, ch, url, media_type)
    filename = ascii_text(limit - 4, rng) + ".pdf"

    refused(owner, ch, recipient,
            [media_body(ch, recipient, media_type, url, filename=ascii_text(limit - 3, rng) + ".pdf")],
            "MEDIA-SEND-FILENAME-MAX")
    nothing_reached_meta(simulator, ch)
    accepted(send_media(owner.client, media_body(ch, recipient, media_type, url, filename=filename)),
             "MEDIA-SEND-FILENAME-MAX", f"send-media with a {limit}-character filename")

    seen = [sent_media(e) for e in meta_sends(simulator, ch)]
    expect.check(len(seen) == 1, "MEDIA-SEND-FILENAME-MAX", "sends Meta received", "exactly one", seen)
    if channel_type == "whatsapp":
        expect.check(seen[0]["filename"] == filename, "MEDIA-SEND-FILENAME-WA", "document.filename Meta received",
                     repr(filename), repr(seen[0]["filename"]))


# ------------------------------------------------------------------------------------------- refused


@pytest.mark.req("MEDIA-SEND-REQUIRED-FIELDS", "MEDIA-SEND-VALIDATED-BEFORE-META")
@pytest.mark.level("simulated")
def test_required_fields_are_required(account, channel, channel_type, simulator, rng):
    owner, ch, recipient = sending_setup(account, channel, channel_type, simulator, rng)
    full = media_body(ch, recipient, "image", public_url(rng))
    bodies = [{k: v for k, v in full.items() if k != missing} for missing in full]
    bodies += [{**full, missing: None} for missing in full]

    refused(owner, ch, recipient, bodies, "MEDIA-SEND-REQUIRED-FIELDS")
    nothing_reached_meta(simulator, ch)


def _sends_stickers(fiwano_profile, channel_type: str) -> bool:
    """Whether the run's profile offers media_type "sticker" on the channel (SEND-STICKER, fiwano-2026-10:
    WhatsApp and Messenger; suites/test_v2026_stickers.py judges it there)."""
    from contract import load_requirements, requirement_in_profile

    entry = load_requirements()["SEND-STICKER"]
    return requirement_in_profile(entry, tuple(fiwano_profile["lineage"])) and channel_type in entry["channels"]


@pytest.mark.req("MEDIA-SEND-TYPE-VALUES", "MEDIA-SEND-VALIDATED-BEFORE-META")
@pytest.mark.level("simulated")
def test_unknown_media_type_is_refused(account, channel, channel_type, simulator, fiwano_profile, rng):
    owner, ch, recipient = sending_setup(account, channel, channel_type, simulator, rng)
    url = public_url(rng)
    unknown = ("sticker", "file", "voice", "text", "IMAGE", "", " image", "location")
    if channel_type == "facebook":  # Messenger's "file" is a reading (test_messenger_file_is_refused_or_sent_as_a_file)
        unknown = tuple(t for t in unknown if t != "file")
    if _sends_stickers(fiwano_profile, channel_type):  # a media type of its own there (still unknown elsewhere)
        unknown = tuple(t for t in unknown if t != "sticker")
    bodies = [media_body(ch, recipient, t, url) for t in unknown]
    bodies.append({**media_body(ch, recipient, "image", url), "media_type": ["image"]})

    refused(owner, ch, recipient, bodies, "MEDIA-SEND-TYPE-VALUES")
    nothing_reached_meta(simulator, ch)


@pytest.mark.req("MEDIA-SEND-TYPE-VALUES", "MEDIA-SEND-FB-FILE")
@pytest.mark.level("simulated")
def test_messenger_file_is_refused_or_sent_as_a_file(account, channel, simulator, rng):
    """The send-media table lists image, audio, video, document; the capability table calls Messenger's
    outbound document "file". Both readings pass: refused like any unknown type (nothing reaches Meta), or
    sent as Meta's file attachment of exactly that URL."""
    owner, ch, recipient = sending_setup(account, channel, "facebook", simulator, rng)
    url = public_url(rng, "document")
    make_fetchable(simulator, ch, url, "document")

    response = send_media(owner.client, media_body(ch, recipient, "file", url))

    if readings.messenger_file(response, "MEDIA-SEND-TYPE-VALUES", "send-media file on Messenger") == "document-only":
        nothing_reached_meta(simulator, ch)
        return
    accepted(response, "MEDIA-SEND-TYPE-VALUES", "send-media file on Messenger")
    seen = [sent_media(e) for e in meta_sends(simulator, ch)]
    expect.check(seen == [{"type": "file", "link": url, "caption": None, "filename": None}], "MEDIA-SEND-FB-FILE",
                 "the Messenger attachment of a file", f"one attachment of type 'file' with url {url}", seen)


@pytest.mark.req("MEDIA-SEND-URL-HTTPS", "MEDIA-SEND-VALIDATED-BEFORE-META")
@pytest.mark.level("simulated")
def test_media_url_must_be_absolute_https(account, channel, channel_type, simulator, rng):
    owner, ch, recipient = sending_setup(account, channel, channel_type, simulator, rng)

    refused(owner, ch, recipient, [media_body(ch, recipient, "image", url) for url in NOT_HTTPS],
            "MEDIA-SEND-URL-HTTPS")
    nothing_reached_meta(simulator, ch)


@pytest.mark.req("MEDIA-SEND-URL-NO-CREDENTIALS", "MEDIA-SEND-VALIDATED-BEFORE-META")
@pytest.mark.level("simulated")
def test_media_url_with_credentials_is_refused(account, channel, channel_type, simulator, rng):
    owner, ch, recipient = sending_setup(account, channel, channel_type, simulator, rng)

    refused(owner, ch, recipient, [media_body(ch, recipient, "image", url) for url in CREDENTIALS],
            "MEDIA-SEND-URL-NO-CREDENTIALS")
    nothing_reached_meta(simulator, ch)


@pytest.mark.req("MEDIA-SEND-URL-NO-PRIVATE-IP", "MEDIA-SEND-VALIDATED-BEFORE-META")
@pytest.mark.level("simulated")
def test_private_ip_literals_are_refused(account, channel, channel_type, simulator, rng):
    owner, ch, recipient = sending_setup(account, channel, channel_type, simulator, rng)
    urls = [f"https://{host}/a.jpg" for host in PRIVATE_LITERALS]
    urls += [f"https://{host}:8443/a.jpg" for host in ("127.0.0.1", "10.0.0.1", "[::1]")]

    refused(owner, ch, recipient, [media_body(ch, recipient, "image", url) for url in urls],
            "MEDIA-SEND-URL-NO-PRIVATE-IP")
    nothing_reached_meta(simulator, ch)


@pytest.mark.req("MEDIA-SEND-URL-PRIVATE-ENCODED", "MEDIA-SEND-VALIDATED-BEFORE-META")
@pytest.mark.level("simulated")
def test_private_addresses_in_other_notations_are_refused(account, channel, channel_type, simulator, rng):
    owner, ch, recipient = sending_setup(account, channel, channel_type, simulator, rng)
    urls = [f"https://{host}/a.jpg" for host in PRIVATE_ENCODED] + PARSER_CONFUSION

    refused(owner, ch, recipient, [media_body(ch, recipient, "image", url) for url in urls],
            "MEDIA-SEND-URL-PRIVATE-ENCODED")
    nothing_reached_meta(simulator, ch)


# ------------------------------------------------------------------------------------------- Meta failures


@pytest.mark.req("MEDIA-SEND-ERROR-CODE")
@pytest.mark.level("simulated")
def test_meta_failure_is_answered_with_its_error_code(account, channel, channel_type, simulator, fiwano_profile,
                                                      rng):
    owner, ch, recipient = sending_setup(account, channel, channel_type, simulator, rng)
    codes = fiwano_profile["meta_error_codes"]
    wrong = []
    for code in (codes["media_download_failed"], codes["media_upload_error"], codes["recipient_invalid"],
                 codes["permanent_invalid_parameter"], *codes["outside_window"], *codes["token"]):  # every code
        simulator.add_faults(ch.world.world_id, [{"match": {"path_contains": "/messages", "method": "POST"},
                                                  "action": {"kind": "http_error", "code": code,
                                                             "message": f"scripted failure {code}"},
                                                  "times": 1}], replace=True)
        url = public_url(rng)
        make_fetchable(simulator, ch, url)
        response = send_media(owner.client, media_body(ch, recipient, "image", url))
        body = response.json() if response.status_code == 200 else None
        seen = {k: (body or {}).get(k) for k in ("success", "status", "error_code")}
        if seen != {"success": False, "status": "failed", "error_code": code} or \
                not (isinstance((body or {}).get("error"), str) and body["error"]):
            wrong.append(f"Meta code {code}: {expect.describe(response)[:300]}")

    expect.check(not wrong, "MEDIA-SEND-ERROR-CODE", "send-media answers to permanent Meta failures",
                 '200 {"success": false, "status": "failed", "error": "...", "error_code": <Meta code>}',
                 "\n  " + "\n  ".join(wrong))
