"""Sender profiles: Instagram and Messenger profiles fetched from Meta, the 5-minute cache (``cached``),
400 for WhatsApp / inactive channels / expired tokens, profile null when Meta has none, 502 on Meta errors.

Spec: fiwano-api.md "Sender Profile" (GET /api/v1/channels/{channel_id}/profile/{user_id}). The simulator
holds the users' profiles (a user exists for an asset once it wrote, or a test set it) and journals every
profile fetch, so the cache is visible on the south side. The cache window comes from the profile
(``profile_cache_seconds``).
"""

from __future__ import annotations

import pytest

from suites import expect, readings
from suites.data import user_id

FIELDS = {"instagram": ("username", "name", "profile_pic", "follower_count", "is_verified_user"),
          "facebook": ("first_name", "last_name", "profile_pic")}
REQ = {"instagram": "PROFILE-IG", "facebook": "PROFILE-FB"}


def meta_profile(channel_type: str, rng, n: int = 0) -> dict:
    tag = f"{rng.randrange(10**6):06d}"
    if channel_type == "instagram":
        return {"username": f"user_{tag}_{n}", "name": f"Ada {tag} {n}",
                "profile_pic": f"https://cdn.example/{tag}/{n}.jpg",
                "follower_count": 1500 + n, "is_verified_user": n % 2 == 1}
    return {"first_name": f"Ada{n}", "last_name": f"Lovelace {tag}",
            "profile_pic": f"https://cdn.example/{tag}/{n}.jpg"}


def seeded_user(simulator, ch, rng, n: int = 0) -> tuple[str, dict]:
    """A user who wrote to the asset, with a known profile at Meta."""
    sender = user_id(ch.channel_type, rng)
    simulator.emit_inbound_text(ch.world.world_id, ch.asset.asset_id, sender, "hi")
    fields = meta_profile(ch.channel_type, rng, n)
    simulator.set_profile(ch.world.world_id, sender, ch.asset.asset_id, **fields)
    return sender, fields


def fetch(ch, user: str):
    return ch.client.request("GET", f"/channels/{ch.id}/profile/{user}")


def fetches(simulator, ch, user: str) -> list:
    return [e for e in simulator.journal(ch.world.world_id, method="GET", path_contains=user)]


def answer(response, req, what: str) -> dict:
    expect.status(response, 200, req, what)
    return expect.json_object(expect.conforms(response, req), req, what)


def profile_of(body: dict, channel_type: str) -> dict | None:
    profile = body.get("profile")
    return {k: profile.get(k) for k in FIELDS[channel_type]} if isinstance(profile, dict) else profile


def channel_of(account, channel, channel_type):
    return channel(account(tier="pro", subscription_status="active", source="paddle"), channel_type)


@pytest.mark.req("PROFILE-CACHE")
@pytest.mark.level("simulated")
@pytest.mark.parametrize("channel_type", [
    pytest.param("instagram", marks=pytest.mark.req("PROFILE-IG"), id="instagram"),
    pytest.param("facebook", marks=pytest.mark.req("PROFILE-FB"), id="facebook"),
])
def test_profile_is_fetched_from_meta(account, channel, simulator, channel_type, rng):
    ch = channel_of(account, channel, channel_type)
    user, fields = seeded_user(simulator, ch, rng)
    req = REQ[channel_type]

    body = answer(fetch(ch, user), req, f"profile of a {channel_type} sender")

    envelope = {k: body.get(k) for k in ("channel_id", "channel_type", "user_id", "cached")}
    expected = {"channel_id": ch.id, "channel_type": channel_type, "user_id": user, "cached": False}
    expect.check(envelope == expected, (req, "PROFILE-CACHE"), "profile answer", expected, body)
    expect.check(profile_of(body, channel_type) == fields, req, "profile fields", fields, body.get("profile"))
    south = fetches(simulator, ch, user)
    expect.check(len(south) == 1, req, "profile fetches at Meta", "exactly one",
                 [f"{e.method} {e.path} {e.query}" for e in south])


@pytest.mark.req("CHANNEL-404-UNKNOWN", "ISOLATION-CHANNEL-404")
@pytest.mark.level("simulated")
@pytest.mark.parametrize("channel_type", ["instagram", "facebook"])
def test_profile_on_unknown_or_foreign_channel_is_404(account, channel, channel_type, simulator, rng):
    theirs = channel_of(account, channel, channel_type)
    user, _ = seeded_user(simulator, theirs, rng)
    mine = account()
    unknown = "".join(rng.choice("0123456789abcdef") for _ in range(16))

    for label, channel_id in (("unknown", unknown), ("another account's", theirs.id)):
        response = mine.client.request("GET", f"/channels/{channel_id}/profile/{user}")
        expect.status(response, 404, ("CHANNEL-404-UNKNOWN", "ISOLATION-CHANNEL-404"), f"profile on an {label} channel")
        expect.error_detail(response, "CHANNEL-404-UNKNOWN", "404 body", string=False)
    expect.check(not fetches(simulator, theirs, user), "ISOLATION-CHANNEL-404", "profile fetches at Meta", "none",
                 [e.path for e in fetches(simulator, theirs, user)])


@pytest.mark.req("PROFILE-WA-400")
@pytest.mark.level("simulated")
def test_whatsapp_profile_is_400(account, channel, simulator, rng):
    ch = channel_of(account, channel, "whatsapp")
    sender = user_id("whatsapp", rng)
    simulator.emit_inbound_text(ch.world.world_id, ch.asset.asset_id, sender, "hi", sender_name="Ada")

    response = fetch(ch, sender)

    expect.status(response, 400, "PROFILE-WA-400", "profile on a WhatsApp channel")
    expect.error_detail(response, "PROFILE-WA-400", "400 body", string=False)
    expect.check(not fetches(simulator, ch, sender), "PROFILE-WA-400", "profile fetches at Meta", "none",
                 [e.path for e in fetches(simulator, ch, sender)])


@pytest.mark.req("PROFILE-INACTIVE-400")
@pytest.mark.level("simulated")
@pytest.mark.parametrize("user_kind", ["known", "not-a-meta-id", "too-long"])
def test_inactive_channel_profile_is_400(account, channel, channel_type, simulator, rng, user_kind):
    """The channel rule comes first, whatever the user id: an id Meta cannot know (null profile on an
    active channel) must not turn the inactive channel's 400 into a 200."""
    ch = channel_of(account, channel, channel_type)
    user = {"known": lambda: seeded_user(simulator, ch, rng)[0], "not-a-meta-id": lambda: "not-a-meta-id",
            "too-long": lambda: "9" * 80}[user_kind]()
    expect.check(200 <= ch.client.delete_channel(ch.id).status_code < 300, "PROFILE-INACTIVE-400",
                 "DELETE (deactivate) the channel", "HTTP 2xx", "refused")

    response = fetch(ch, user)

    expect.status(response, 400, "PROFILE-INACTIVE-400", f"profile of a {user_kind} user id on an inactive channel")
    expect.error_detail(response, "PROFILE-INACTIVE-400", "400 body", string=False)
    expect.check(not fetches(simulator, ch, user), "PROFILE-INACTIVE-400", "profile fetches at Meta", "none",
                 [e.path for e in fetches(simulator, ch, user)])


@pytest.mark.req("PROFILE-EXPIRED-TOKEN-400")
@pytest.mark.level("controlled")
def test_profile_with_an_expired_token_is_400(account, channel, channel_type, simulator, clock, fiwano_profile, rng):
    ch = channel_of(account, channel, channel_type)
    user, _ = seeded_user(simulator, ch, rng)
    # Meta refuses every token renewal (transient outage), so the token runs out instead of being refreshed.
    simulator.add_faults(ch.world.world_id, [{"match": {"path_contains": "oauth/access_token"},
                                              "action": {"kind": "http_error", "status": 500, "code": 1},
                                              "times": None}])
    clock.advance(fiwano_profile["token_lifetime_seconds"] + 3600, worlds=(ch.world,))

    response = fetch(ch, user)

    expect.status(response, 400, "PROFILE-EXPIRED-TOKEN-400", "profile after the channel's Meta token expired")
    expect.error_detail(response, "PROFILE-EXPIRED-TOKEN-400", "400 body", string=False)
    expect.check(not fetches(simulator, ch, user), "PROFILE-EXPIRED-TOKEN-400",
                 "profile fetches with the expired token",
                 "none", [e.path for e in fetches(simulator, ch, user)])


@pytest.mark.req("PROFILE-EXPIRED-TOKEN-400")
@pytest.mark.level("controlled")
def test_profile_one_second_either_side_of_the_token_expiry(account, channel, channel_type, simulator, clock, rng):
    """The expiry instant T is the channel's token_expires_at: at T - 1 s the token still works (200 with
    Meta's profile), at T + 1 s the lookup is a 400 without a call to Meta. Found by the mutation audit (a
    target that took the token as expired only AT the exact instant passed: the other test looks an hour
    later, when the failed refresh has made the channel inactive anyway). T itself is left to the target."""
    ch = channel_of(account, channel, channel_type)
    early, fields = seeded_user(simulator, ch, rng, 0)
    late, _ = seeded_user(simulator, ch, rng, 1)
    simulator.add_faults(ch.world.world_id, [{"match": {"path_contains": "oauth/access_token"},
                                              "action": {"kind": "http_error", "status": 500, "code": 1},
                                              "times": None}])
    expiry = readings.parse_timestamp(ch.client.get_channel(ch.id).json().get("token_expires_at"))
    expect.check(expiry is not None, "PROFILE-EXPIRED-TOKEN-400", "token_expires_at of the channel", "a timestamp",
                 expiry)

    clock.advance((expiry - clock.now()).total_seconds() - 1, worlds=(ch.world,))
    before = fetch(ch, early)
    clock.advance(2, worlds=(ch.world,))
    after = fetch(ch, late)

    body = answer(before, "PROFILE-EXPIRED-TOKEN-400", "profile 1 s before the token expires")
    expect.check(profile_of(body, channel_type) == fields, "PROFILE-EXPIRED-TOKEN-400",
                 "profile 1 s before the token expires", fields, body)
    expect.status(after, 400, "PROFILE-EXPIRED-TOKEN-400", "profile 1 s after the token expired")
    expect.error_detail(after, "PROFILE-EXPIRED-TOKEN-400", "400 body", string=False)
    expect.check(not fetches(simulator, ch, late), "PROFILE-EXPIRED-TOKEN-400",
                 "profile fetches with the expired token", "none", [e.path for e in fetches(simulator, ch, late)])


@pytest.mark.req("PROFILE-EXPIRED-TOKEN-400")
@pytest.mark.level("simulated")
def test_profile_when_meta_says_the_token_expired_is_400(account, channel, channel_type, simulator, rng):
    ch = channel_of(account, channel, channel_type)
    user, _ = seeded_user(simulator, ch, rng)
    simulator.add_faults(ch.world.world_id, [{"match": {"path_contains": user}, "times": None, "action": {
        "kind": "http_error", "status": 400, "code": 190, "subcode": 463, "error_type": "OAuthException",
        "message": "Error validating access token: Session has expired."}}])

    response = fetch(ch, user)

    expect.status(response, 400, "PROFILE-EXPIRED-TOKEN-400", "profile while Meta answers 190/463 (token expired)")
    expect.error_detail(response, "PROFILE-EXPIRED-TOKEN-400", "400 body", string=False)


@pytest.mark.req("PROFILE-UNAVAILABLE-NULL")
@pytest.mark.level("simulated")
def test_unavailable_profile_is_null(account, channel, channel_type, simulator, rng):
    ch = channel_of(account, channel, channel_type)
    stranger = user_id(channel_type, rng)  # never wrote: Meta has no profile for this asset (100/33)

    for user in (stranger, "not-a-user"):
        body = answer(fetch(ch, user), "PROFILE-UNAVAILABLE-NULL", f"profile of {user!r} (unknown to Meta)")
        seen = {k: body.get(k, "<absent>") for k in ("channel_id", "channel_type", "user_id", "profile", "cached")}
        expected = {"channel_id": ch.id, "channel_type": channel_type, "user_id": user, "profile": None,
                    "cached": False}
        expect.check(seen == expected, "PROFILE-UNAVAILABLE-NULL", "answer for an unavailable profile", expected, seen)


@pytest.mark.req("PROFILE-META-502", "ERR-FORMAT")
@pytest.mark.level("simulated")
@pytest.mark.parametrize("fault", [
    {"kind": "http_error", "status": 500, "code": 1, "message": "An unknown error occurred"},
    {"kind": "http_error", "status": 503, "code": 2, "message": "Service temporarily unavailable"},
    {"kind": "http_error", "status": 400, "code": 4, "message": "(#4) Application request limit reached"},
    {"kind": "reset"},
], ids=["500", "503", "throttled", "reset"])
def test_meta_error_is_502(account, channel, channel_type, simulator, rng, fault):
    ch = channel_of(account, channel, channel_type)
    user, _ = seeded_user(simulator, ch, rng)
    simulator.add_faults(ch.world.world_id, [{"match": {"path_contains": user}, "action": fault, "times": None}])

    response = fetch(ch, user)

    expect.status(response, 502, "PROFILE-META-502",
                  f"profile while Meta fails ({fault['kind']} {fault.get('code', '')})")
    expect.error_detail(response, ("PROFILE-META-502", "ERR-FORMAT"), "502 body", string=False)
    expect.conforms(response, "PROFILE-META-502")


@pytest.mark.req("PROFILE-CACHE")
@pytest.mark.level("simulated")
def test_repeated_profile_is_served_from_cache(account, channel, channel_type, simulator, rng):
    ch = channel_of(account, channel, channel_type)
    user, first = seeded_user(simulator, ch, rng, 0)

    one = answer(fetch(ch, user), "PROFILE-CACHE", "first profile request")
    simulator.set_profile(ch.world.world_id, user, ch.asset.asset_id, **meta_profile(channel_type, rng, 1))
    two = answer(fetch(ch, user), "PROFILE-CACHE", "repeated profile request")

    expect.check((one.get("cached"), two.get("cached")) == (False, True), "PROFILE-CACHE", "cached (first, repeated)",
                 (False, True), (one.get("cached"), two.get("cached")))
    expect.check(profile_of(two, channel_type) == first, "PROFILE-CACHE", "profile of the cached answer",
                 "the profile fetched first (Meta's later change not seen)", two.get("profile"))
    expect.check(len(fetches(simulator, ch, user)) == 1, "PROFILE-CACHE", "profile fetches at Meta", "one",
                 [e.path for e in fetches(simulator, ch, user)])


@pytest.mark.req("PROFILE-CACHE", "PROFILE-CACHE-EXPIRY")
@pytest.mark.level("controlled")
def test_profile_cache_expires_after_five_minutes(account, channel, channel_type, simulator, clock, fiwano_profile,
                                                  rng):
    ttl = fiwano_profile["profile_cache_seconds"]
    ch = channel_of(account, channel, channel_type)
    user, first = seeded_user(simulator, ch, rng, 0)
    answer(fetch(ch, user), "PROFILE-CACHE", "first profile request")
    second = meta_profile(channel_type, rng, 1)
    simulator.set_profile(ch.world.world_id, user, ch.asset.asset_id, **second)

    clock.advance(ttl - 10, worlds=(ch.world,))
    within = answer(fetch(ch, user), "PROFILE-CACHE", f"profile request {ttl - 10} s after the first")
    expect.check(within.get("cached") is True and profile_of(within, channel_type) == first, "PROFILE-CACHE",
                 f"answer {ttl - 10} s after the fetch", "cached true with the first profile", within)

    clock.advance(20, worlds=(ch.world,))
    after = answer(fetch(ch, user), "PROFILE-CACHE-EXPIRY", f"profile request {ttl + 10} s after the first")
    expect.check(after.get("cached") is False and profile_of(after, channel_type) == second, "PROFILE-CACHE-EXPIRY",
                 f"answer {ttl + 10} s after the fetch", "cached false with Meta's current profile", after)
    expect.check(len(fetches(simulator, ch, user)) == 2, "PROFILE-CACHE-EXPIRY", "profile fetches at Meta",
                 "two (the first, and one after expiry)", [e.path for e in fetches(simulator, ch, user)])
