"""Lifetimes at their exact boundary, at every step of a flow that checks them: valid one second before the
profile's number and refused one second after it.

Numbers: ``setup_url_ttl_seconds`` (checked when the setup URL is opened AND when Meta's dialog returns to
the target's callback), ``exchange_code_ttl_seconds`` (at exchange-code), ``media_ttl_seconds`` (at the
download), ``profile_cache_seconds`` (cached / fetched again), ``customer_service_window_seconds`` (a send
one second inside the window of the customer's LAST message reaches Meta). Spec: fiwano-api.md
"POST /channels/setup-url", "POST /channels/exchange-code", "Media Files", "Sender profile",
"Important Notes / 24-hour windows".

Real time passes while a step runs, so the instant something starts (a setup URL is created, a code or a
file is issued, a profile fetched) is bracketed by two reads of the target's clock: "valid" is probed at
the earliest possible start + T - 1 s and "expired" at the latest possible start + T + 1 s, so neither
reading of the exact instant T (inclusive or exclusive) is judged. Time moves with the ``clock`` fixture.

With ``--fiwano-real-time`` (no harness clock) the five-minute rules wait in real time on one case each (the
exchange code on WhatsApp, the profile cache on Instagram: about 5 minutes each); the setup URL (10
minutes, twice), media (60 minutes) and the 24-hour window stay on the harness clock.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from urllib.parse import urljoin

import pytest

from suites import expect, readings
from suites.boundaries import probe_margin
from suites.data import ascii_text, user_id
from suites.support_connect import (_DIALOG, MAX_HOPS, _LINK, allow_redirect, browser, callback_uri,  # noqa: F401
                                    exchange, parse_time, setup_url, start_flow)
from suites.support_media import INBOUND_MEDIA, configure_relay, download, media_object, receive_media
from suites.support_sending import accepted_for, open_window, send_body


def _advance_to(clock, when: datetime) -> None:
    delta = (when - clock.now()).total_seconds()
    if delta > 0:
        clock.advance(delta)


def _seconds(value: float) -> timedelta:
    return timedelta(seconds=value)


def _channels(client) -> list[dict]:
    return client.list_channels().json().get("channels", [])


def _no_channel_from(owner, flow, req: str, what: str) -> None:
    """A flow past its lifetime gives no channel: it stops (4xx page or ?error=) or its code is refused."""
    if flow.code is not None:
        late = exchange(owner.client, flow.code)
        expect.check(400 <= late.status_code < 500, req, f"exchange of the code of {what}", "a 4xx refusal",
                     expect.describe(late))
    else:
        expect.check(flow.error or (flow.stopped is not None and 400 <= flow.stopped.status_code < 500), req, what,
                     "a 4xx page or a redirect to the redirect_uri with ?error=", flow.describe())
    expect.check(not [c for c in _channels(owner.client) if c.get("is_active")], req, f"active channels after {what}",
                 "none", _channels(owner.client))


def _connected(owner, flow, req, what: str) -> None:
    expect.check(flow.code, req, what, "the redirect_uri with ?code=...", flow.describe())
    created = exchange(owner.client, flow.code)
    readings.exchanged(created, req, f"exchange of the code of {what}")
    owner.client.delete_channel(created.json().get("channel_id", "none"))


def _new_setup_url(owner, clock, channel_type: str, uri: str, req: str) -> tuple[datetime, str, datetime]:
    before = clock.now()
    response = readings.setup_started(setup_url(owner.client, channel_type, uri), req, "setup-url")
    after = clock.now()
    return before, urljoin(owner.client.base_url + "/", response.json()["setup_url"]), after


def _walk_to_dialog(agent, start_url: str) -> str:
    """Follow the setup URL on the target until Meta's dialog URL (not opened: the user 'sits' in it)."""
    url = start_url
    for _ in range(MAX_HOPS):
        if _DIALOG.search(url.split("?", 1)[0]):
            return url
        response = agent._get(url)
        if response.is_redirect and response.headers.get("location"):
            url = urljoin(url, response.headers["location"])
            continue
        link = _LINK.search(response.text) if response.status_code == 200 else None
        if link:
            url = urljoin(url, link.group(1).replace("&amp;", "&"))
            continue
        expect.fail("CONNECT-SETUP-URL-EXPIRED", "opening a fresh setup URL", "a way to Meta's dialog",
                    expect.describe(response))
    expect.fail("CONNECT-SETUP-URL-EXPIRED", "opening a fresh setup URL", f"Meta's dialog within {MAX_HOPS} hops",
                url)


# ------------------------------------------------------------------------------------------- connect flow


@pytest.mark.req("CONNECT-CODE-TTL")
@pytest.mark.level("controlled", real_time=330, real_time_cases=("whatsapp",))  # one lifetime (300 s) and a bit
def test_code_is_exchanged_one_second_before_its_lifetime_and_refused_one_after(account, channel_type, world,
                                                                                browser, clock, fiwano_profile):
    ttl = float(fiwano_profile["exchange_code_ttl_seconds"])
    m = probe_margin(clock, steps=8)  # a browser flow: several requests
    owner = account()
    on_time, late = world(channel_type), world(channel_type)

    # both codes first, so the two probes share one lifetime of waiting (in real time: 5 minutes, not 10)
    issued = clock.now()
    first = start_flow(owner, channel_type, on_time, browser)
    second = start_flow(owner, channel_type, late, browser)
    issued_by = clock.now()
    _advance_to(clock, issued + _seconds(ttl - m))
    _connected(owner, first, "CONNECT-CODE-TTL", f"a code exchanged {ttl - m:.0f} s after it was issued")

    _advance_to(clock, issued_by + _seconds(ttl + m))
    _no_channel_from(owner, second, "CONNECT-CODE-TTL", f"a code exchanged {ttl + m:.0f} s after it was issued")


@pytest.mark.req("CONNECT-SETUP-URL-EXPIRED", "CONNECT-SETUP-URL-TTL")
@pytest.mark.level("controlled")
def test_setup_url_opens_one_second_before_its_lifetime_and_not_one_after(account, channel_type, world, browser,
                                                                          clock, fiwano_profile):
    ttl = float(fiwano_profile["setup_url_ttl_seconds"])
    m = probe_margin(clock, steps=8)  # a browser flow: several requests
    owner = account()
    on_time, late = world(channel_type), world(channel_type)
    uri = callback_uri()
    allow_redirect(owner.client, uri)

    created, link, _ = _new_setup_url(owner, clock, channel_type, uri, "CONNECT-SETUP-URL-EXPIRED")
    _advance_to(clock, created + _seconds(ttl - m))
    _connected(owner, browser.run(link, on_time, uri), "CONNECT-SETUP-URL-EXPIRED",
               f"a setup URL opened {ttl - m:.0f} s after its creation")

    _, link, created_by = _new_setup_url(owner, clock, channel_type, uri, "CONNECT-SETUP-URL-EXPIRED")
    _advance_to(clock, created_by + _seconds(ttl + m))
    _no_channel_from(owner, browser.run(link, late, uri), "CONNECT-SETUP-URL-EXPIRED",
                     f"a setup URL opened {ttl + m:.0f} s after its creation")


@pytest.mark.req("CONNECT-SETUP-URL-EXPIRED", "CONNECT-CODE-TTL")
@pytest.mark.level("controlled")
def test_setup_url_lifetime_holds_when_meta_returns_to_the_callback(account, channel_type, world, browser, simulator,
                                                                    clock, fiwano_profile):
    """The URL is opened at once; the user then stays in Meta's dialog. Coming back to the target's callback
    one second before the URL's lifetime ends still connects (a target that checks the callback against a
    shorter lifetime fails), also when its code is exchanged after the URL's lifetime (the code has its own
    5 minutes from the callback); coming back one second after it does not (the setup session is over)."""
    ttl = float(fiwano_profile["setup_url_ttl_seconds"])
    m = probe_margin(clock, steps=8)  # a browser flow: several requests
    owner = account()
    on_time, late = world(channel_type), world(channel_type)
    uri = callback_uri()
    allow_redirect(owner.client, uri)

    created, link, created_by = _new_setup_url(owner, clock, channel_type, uri, "CONNECT-SETUP-URL-EXPIRED")
    dialog = _walk_to_dialog(browser, link)
    _advance_to(clock, created + _seconds(ttl - m))
    decided = simulator.oauth_authorize(on_time.world_id, url=dialog)
    flow = browser.run(decided["redirect_url"], on_time, uri)
    _advance_to(clock, created_by + _seconds(ttl + m))  # the code lives its own 5 minutes from the callback
    _connected(owner, flow, ("CONNECT-SETUP-URL-EXPIRED", "CONNECT-CODE-TTL"),
               f"Meta's dialog returning to the callback {ttl - m:.0f} s after the setup URL was created, the code "
               f"exchanged {ttl + m:.0f} s after it")

    _, link, created_by = _new_setup_url(owner, clock, channel_type, uri, "CONNECT-SETUP-URL-EXPIRED")
    dialog = _walk_to_dialog(browser, link)
    _advance_to(clock, created_by + _seconds(ttl + m))
    decided = simulator.oauth_authorize(late.world_id, url=dialog)
    _no_channel_from(owner, browser.run(decided["redirect_url"], late, uri), "CONNECT-SETUP-URL-EXPIRED",
                     f"Meta's dialog returning to the callback {ttl + m:.0f} s after the setup URL was created")


# ------------------------------------------------------------------------------------------- media files


@pytest.mark.req("MEDIA-DL-TTL", "MEDIA-DL-EXPIRED-410")
@pytest.mark.level("controlled")
def test_media_downloads_one_second_before_its_lifetime_and_is_gone_one_after(account, channel, channel_type,
                                                                             simulator, sink, fiwano_config,
                                                                             fiwano_profile, clock, rng):
    ttl = float(fiwano_profile["media_ttl_seconds"])
    m = probe_margin(clock)
    owner = account()
    ch = channel(owner, channel_type)
    endpoint = sink()
    configure_relay(ch, endpoint, rng, req="MEDIA-DL-TTL")
    media_type, mime = INBOUND_MEDIA[channel_type][0]

    received = clock.now()
    _, data = receive_media(simulator, ch, endpoint, rng, fiwano_config.delivery_timeout, media_type=media_type,
                            mime_type=mime, content=rng.randbytes(2000), req="MEDIA-DL-TTL")
    received_by = clock.now()
    media = media_object(data, "MEDIA-DL-TTL")
    expires = parse_time(media.get("expires_at"))
    low, high = received + _seconds(ttl - 1), received_by + _seconds(ttl + 1)
    expect.check(expires is not None and low <= expires <= high, "MEDIA-DL-TTL", "data.media.expires_at",
                 f"{ttl:.0f} s after receipt: {low.isoformat()} .. {high.isoformat()}", repr(media.get("expires_at")))

    _advance_to(clock, received + _seconds(ttl - m))
    expect.status(download(owner.client, media["media_id"]), 200, "MEDIA-DL-EXPIRED-410",
                  f"download {ttl - m:.0f} s after receipt")
    _advance_to(clock, received_by + _seconds(ttl + m))
    expect.status(download(owner.client, media["media_id"]), 410, "MEDIA-DL-EXPIRED-410",
                  f"download {ttl + m:.0f} s after receipt")


# ------------------------------------------------------------------------------------------- profile cache


def _profile(ch, user: str, req: str, what: str) -> dict:
    response = ch.client.request("GET", f"/channels/{ch.id}/profile/{user}")
    return expect.json_object(expect.status(response, 200, req, what), req, what)


def _meta_profile(channel_type: str, rng, n: int) -> dict:
    if channel_type == "instagram":
        return {"username": f"kit_user_{n}_{rng.randrange(10**6)}", "name": f"Kit User {n}"}
    return {"first_name": f"Kit{n}", "last_name": f"User{rng.randrange(10**6)}"}


@pytest.mark.req("PROFILE-CACHE", "PROFILE-CACHE-EXPIRY")
@pytest.mark.level("controlled", real_time=330, real_time_cases=("instagram",))  # one lifetime (300 s) and a bit
@pytest.mark.parametrize("channel_type", ["instagram", "facebook"])
def test_profile_is_cached_one_second_before_its_lifetime_and_fetched_one_after(account, channel, channel_type,
                                                                                simulator, clock, fiwano_profile,
                                                                                rng):
    ttl = float(fiwano_profile["profile_cache_seconds"])
    m = probe_margin(clock)
    ch = channel(account(), channel_type)
    user = user_id(channel_type, rng)
    simulator.emit_inbound_text(ch.world.world_id, ch.asset.asset_id, user, "hi")  # a user who wrote
    simulator.set_profile(ch.world.world_id, user, ch.asset.asset_id, **_meta_profile(channel_type, rng, 0))

    fetched = clock.now()
    first = _profile(ch, user, "PROFILE-CACHE", "first profile request")
    fetched_by = clock.now()
    simulator.set_profile(ch.world.world_id, user, ch.asset.asset_id, **_meta_profile(channel_type, rng, 1))
    _advance_to(clock, fetched + _seconds(ttl - m))
    within = _profile(ch, user, "PROFILE-CACHE", f"profile request {ttl - m:.0f} s after the fetch")
    _advance_to(clock, fetched_by + _seconds(ttl + m))
    after = _profile(ch, user, "PROFILE-CACHE-EXPIRY", f"profile request {ttl + m:.0f} s after the fetch")

    expect.check(first.get("cached") is False, "PROFILE-CACHE", "cached of the first request", False, first)
    expect.check(within.get("cached") is True and within.get("profile") == first.get("profile"), "PROFILE-CACHE",
                 f"answer {ttl - m:.0f} s after the fetch", "cached true with the profile fetched first", within)
    expect.check(after.get("cached") is False and after.get("profile") != first.get("profile"),
                 "PROFILE-CACHE-EXPIRY", f"answer {ttl + m:.0f} s after the fetch",
                 "cached false with Meta's current profile", after)


# ------------------------------------------------------------------------------------------- 24-hour window


@pytest.mark.req("SEND-TEXT-OK")
@pytest.mark.level("controlled")
@pytest.mark.parametrize("channel_type", [  # the window rule has one requirement per channel family
    pytest.param("whatsapp", marks=pytest.mark.req("SEND-WINDOW-WA"), id="whatsapp"),
    pytest.param("instagram", marks=pytest.mark.req("SEND-WINDOW-IGFB"), id="instagram"),
    pytest.param("facebook", marks=pytest.mark.req("SEND-WINDOW-IGFB"), id="facebook"),
])
def test_a_send_one_second_inside_the_window_of_the_last_message_reaches_meta(account, channel, channel_type,
                                                                              simulator, clock, fiwano_profile, rng):
    """The window runs from the customer's LAST message: one second after the first message's window closed
    (the customer wrote again since) and one second before the last one's closes, a text reaches Meta. A
    target that checks the window itself must measure it as Meta does."""
    window = float(fiwano_profile["customer_service_window_seconds"])
    m = probe_margin(clock)
    owner = account()
    ch = channel(owner, channel_type)
    recipient = user_id(channel_type, rng)
    req = "SEND-WINDOW-WA" if channel_type == "whatsapp" else "SEND-WINDOW-IGFB"

    open_window(simulator, ch, recipient, req)
    first_by = clock.now()
    clock.advance(window / 2, worlds=(ch.world,))
    last = clock.now()
    open_window(simulator, ch, recipient, req)

    for when, label in ((first_by + _seconds(window + m), f"{m:.0f} s after the first message's window"),
                        (last + _seconds(window - m), f"{m:.0f} s before the last message's window closes")):
        _advance_to(clock, when)
        text = f"{label} {ascii_text(8, rng)}"
        body = send_body(owner.client.send_text(ch.id, recipient, text), req, f"send {label}")
        expect.check(body.get("success") is True and len(accepted_for(simulator, ch, text)) == 1, req,
                     f"a text {label}", "success true and accepted by Meta once", body)
