"""Meta token lifecycle: ~60-day tokens, refresh 7 days before expiry, and channels that lose their token.

Spec: fiwano-api.md "Important Notes / Token lifecycle" and "Inactive channels", and token_expires_at in
"GET /api/v1/channels". Channels are connected through the OAuth flow (suites.support_connect), so the
token is one Meta minted for the target; Meta's side is the simulator (journal of oauth/access_token calls,
tokens that expire on the world's clock, scripted refusals).
"""

from __future__ import annotations

import time
from datetime import timedelta

import pytest

from suites import expect
from suites.data import user_id
from suites.support_connect import activate, browser, oauth_channel, parse_time, token_calls  # noqa: F401
from suites.support_sending import last_seq

REVOKED = {"kind": "http_error", "status": 400, "code": 190, "subcode": 458, "error_type": "OAuthException",
           "message": "Error validating access token: The user has not authorized application 1234567890123456."}


def _channel(client, channel_id: str) -> dict:
    return client.get_channel(channel_id).json()


def _wait_inactive(client, channel_id: str, timeout: float) -> dict:
    deadline = time.monotonic() + timeout
    body = _channel(client, channel_id)
    while body.get("is_active") is not False and time.monotonic() < deadline:
        time.sleep(0.1)
        body = _channel(client, channel_id)
    return body


@pytest.mark.req("TOKEN-LIFETIME")
@pytest.mark.level("simulated")
def test_fresh_token_lives_about_sixty_days(account, channel_type, oauth_channel, fiwano_profile):
    ch = oauth_channel(account(), channel_type)

    body = _channel(ch.client, ch.id)

    connected, expires = parse_time(body.get("connected_at")), parse_time(body.get("token_expires_at"))
    lifetime = timedelta(seconds=fiwano_profile["token_lifetime_seconds"])
    slack = timedelta(days=1)
    expect.check(connected is not None and expires is not None and abs(expires - connected - lifetime) <= slack,
                 "TOKEN-LIFETIME", "token_expires_at - connected_at", f"about {lifetime} (±{slack})",
                 {k: body.get(k) for k in ("connected_at", "token_expires_at")})


@pytest.mark.req("TOKEN-AUTO-REFRESH")
@pytest.mark.level("controlled")
def test_token_is_refreshed_before_it_expires(account, channel_type, oauth_channel, simulator, clock, harness,
                                              fiwano_profile, rng):
    owner = account()
    ch = oauth_channel(owner, channel_type)
    first_expiry = parse_time(_channel(ch.client, ch.id).get("token_expires_at"))
    before = fiwano_profile["token_refresh_before_seconds"]

    until_window = (first_expiry - clock.now()).total_seconds() - before
    clock.advance(until_window + 600, worlds=(ch.world,))

    body = _channel(ch.client, ch.id)
    renewed = parse_time(body.get("token_expires_at"))
    expect.check(renewed is not None and renewed > first_expiry + timedelta(days=1), "TOKEN-AUTO-REFRESH",
                 "token_expires_at after the refresh", f"later than {first_expiry.isoformat()}",
                 body.get("token_expires_at"))
    expect.check(body.get("is_active") is True, "TOKEN-AUTO-REFRESH", "is_active after the refresh", True, body)

    clock.advance(before, worlds=(ch.world,))  # now past the first token's expiry
    activate(harness, owner, clock.now())
    sender = user_id(channel_type, rng)
    simulator.emit_inbound_text(ch.world.world_id, ch.asset.asset_id, sender, "open the window")
    sent = ch.client.send_text(ch.id, sender, "sent with the refreshed token")

    expect.check(sent.status_code == 200 and sent.json().get("success") is True, "TOKEN-AUTO-REFRESH",
                 "a send after the first token's expiry", "success with the refreshed token", expect.describe(sent))
    accepted = [m for m in simulator.sent_messages(ch.world.world_id) if m.asset_id == ch.asset.asset_id]
    expect.check(len(accepted) == 1, "TOKEN-AUTO-REFRESH", "messages Meta accepted", "the one send",
                 [m.recipient for m in accepted])


@pytest.mark.req("TOKEN-REFRESH-FAIL-INACTIVE", "CONNECT-RECONNECT")
@pytest.mark.level("controlled")
def test_refused_refresh_makes_the_channel_inactive(account, channel_type, oauth_channel, simulator, clock,
                                                    fiwano_profile):
    # a paid subscription that renews: still active after the ~60 days the clock moves, so that connecting again
    # is not refused for a lapsed trial (402 under fiwano-2026-10, CONNECT-SETUP-402-NO-SUBSCRIPTION)
    owner = account(source="paddle")
    ch = oauth_channel(owner, channel_type)
    expiry = parse_time(_channel(ch.client, ch.id).get("token_expires_at"))
    simulator.add_faults(ch.world.world_id, [  # the user removed the app: every token call is refused
        {"match": {"path_contains": path}, "times": None, "action": REVOKED}
        for path in ("oauth/access_token", "debug_token")])
    since = last_seq(simulator, ch.world)

    until_window = (expiry - clock.now()).total_seconds() - fiwano_profile["token_refresh_before_seconds"]
    clock.advance(until_window + 600, worlds=(ch.world,))

    refused = [e for e in token_calls(simulator, ch.world, since) if e.fault]
    expect.check(refused, "TOKEN-REFRESH-FAIL-INACTIVE", "refresh attempts at Meta",
                 "at least one token call (refused by Meta)", "none")
    body = _channel(ch.client, ch.id)
    expect.check(body.get("is_active") is False, "TOKEN-REFRESH-FAIL-INACTIVE",
                 "is_active after Meta refused the token refresh (190/458)", False, body)

    simulator.clear_faults(ch.world.world_id)
    again = oauth_channel(owner, channel_type, ch.world)
    expect.check(_channel(ch.client, again.id).get("is_active") is True, "CONNECT-RECONNECT",
                 "the channel after a new OAuth flow", "active", _channel(ch.client, again.id))


@pytest.mark.req("CHANNEL-REVOKED-INACTIVE")
@pytest.mark.level("simulated")
def test_revoked_permissions_make_the_channel_inactive(account, channel_type, oauth_channel, simulator,
                                                       fiwano_config, rng):
    ch = oauth_channel(account(), channel_type)
    sender = user_id(channel_type, rng)
    simulator.emit_inbound_text(ch.world.world_id, ch.asset.asset_id, sender, "hello")
    simulator.add_faults(ch.world.world_id, [{"match": {"method": "POST", "path_contains": "/messages"},
                                              "times": None, "action": REVOKED}])

    sent = ch.client.send_text(ch.id, sender, "after the user removed the app")

    expect.check(sent.status_code < 500 or sent.status_code == 502, "CHANNEL-REVOKED-INACTIVE",
                 "send while Meta answers 190/458", "a handled answer", expect.describe(sent))
    body = _wait_inactive(ch.client, ch.id, fiwano_config.delivery_timeout)
    expect.check(body.get("is_active") is False, "CHANNEL-REVOKED-INACTIVE",
                 "is_active after Meta said the user revoked the app's authorisation", False, body)
