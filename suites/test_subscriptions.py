"""The subscription object of a channel: its values in every state, the 7-day Pro trial of a new account,
auto_renew, cancellation at period end and the lapse when expires_at passes (on the virtual clock).

Spec: fiwano-api.md "Channels / subscription object", "License Tiers" (7-day trial) and "Important Notes /
Billing". Sending and relay while inactive are checked for every state by test_tier_gating.py; here they
are checked across the moment a subscription lapses.
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from suites import expect
from suites.clients import FiwanoClient
from suites.data import user_id
from suites.enumerations import state_id, subscription_states
from suites.fixtures import Account
from suites.support_connect import parse_time, target_now
from suites.support_media import change_subscription, configure_relay, describe_calls, subscription_of
from suites.support_sending import last_seq, meta_sends, open_window

FIELDS = {"status", "source", "tier", "expires_at", "auto_renew"}
NONE_SHAPE = {"status": "none", "source": None, "tier": None, "expires_at": None, "auto_renew": False}
# (tier, status, source) as the harness mints them: every combination of the contract's enums
MINTED = subscription_states()


def new_account(harness, fiwano_target, evidence, cleanups) -> Account:
    """A brand-new account as signup makes it: the harness with no body (contract/harness.yaml)."""
    data = harness.create_signup_account()
    client = FiwanoClient(fiwano_target.url, data["api_key"], evidence)
    cleanups.append(client.close)
    return Account(data["account_id"], data["api_key"], client, None, None, data.get("key_id"), harness)


def sends_blocked(owner, ch, simulator, recipient, reqs) -> None:
    since = last_seq(simulator, ch.world)
    response = owner.client.send_text(ch.id, recipient, "after the period")
    expect.status(response, 402, reqs, "send text after the subscription lapsed")
    sends = meta_sends(simulator, ch, since)
    expect.check(not sends, reqs, "calls to Meta after the lapse", "none", describe_calls(sends))


def sends_work(owner, ch, recipient, reqs, what: str) -> None:
    response = owner.client.send_text(ch.id, recipient, what)
    expect.status(response, 200, reqs, f"send text {what}")
    expect.check(response.json().get("success") is True, reqs, f"send text {what}", "success true", response.json())


@pytest.mark.req("SUB-STATUS-VALUES", "SUB-SOURCE-VALUES", "SUB-TIER-VALUES", "SUB-EXPIRES-AT")
@pytest.mark.level("simulated")
@pytest.mark.parametrize("tier,status,source", MINTED, ids=[state_id(m) for m in MINTED])
def test_subscription_object_values(account, channel, request, tier, status, source):
    owner = account(tier=tier, subscription_status=status, source=source)
    ch = channel(owner, "whatsapp")
    listed = [c for c in owner.client.list_channels().json().get("channels", []) if c.get("id") == ch.id]

    sub = subscription_of(ch, "SUB-STATUS-VALUES")

    expect.check(set(sub) >= FIELDS, "SUB-STATUS-VALUES", "subscription fields", sorted(FIELDS), sub)
    expect.check(listed and listed[0].get("subscription") == sub, "SUB-STATUS-VALUES",
                 "subscription in GET /channels", "the same object as in GET /channels/{id}", listed)
    expect.check(sub["status"] == status, "SUB-STATUS-VALUES", "subscription.status", repr(status), sub)
    if status == "none":
        expect.check(sub["source"] is None and sub["tier"] is None and sub["expires_at"] is None,
                     ("SUB-SOURCE-VALUES", "SUB-TIER-VALUES", "SUB-EXPIRES-AT"), "source/tier/expires_at of none",
                     "null", sub)
        return
    expect.check(sub["source"] == source, "SUB-SOURCE-VALUES", "subscription.source", repr(source), sub)
    expect.check(sub["tier"] == tier, "SUB-TIER-VALUES", "subscription.tier", repr(tier), sub)
    expires = parse_time(sub["expires_at"])
    expect.check(expires is not None and expires.utcoffset() == timedelta(0), "SUB-EXPIRES-AT",
                 "subscription.expires_at", "an ISO-8601 UTC timestamp", repr(sub["expires_at"]))
    now = target_now(request)  # the harness clock at the controlled level, else the target's Date
    if status == "active":
        expect.check(expires > now, "SUB-EXPIRES-AT", "expires_at of an active subscription",
                     f"after now ({now.isoformat()})", sub["expires_at"])
    elif status == "expired":
        expect.check(expires <= now, "SUB-EXPIRES-AT", "expires_at of an expired subscription",
                     f"not after now ({now.isoformat()})", sub["expires_at"])


@pytest.mark.req("SUB-NONE-SHAPE", "SUB-INACTIVE-402", "SUB-INACTIVE-NO-RELAY")
@pytest.mark.level("simulated")
def test_channel_without_subscription_shows_none_and_is_blocked(account, channel, channel_type, simulator, sink,
                                                                 fiwano_config, rng):
    owner = account(tier="pro", subscription_status="none")
    ch = channel(owner, channel_type)
    endpoint = sink()
    configure_relay(ch, endpoint, rng, req="SUB-NONE-SHAPE")
    recipient = user_id(channel_type, rng)

    sub = subscription_of(ch, "SUB-NONE-SHAPE")

    expect.check(sub == NONE_SHAPE, "SUB-NONE-SHAPE", "subscription of a channel bound to none", NONE_SHAPE, sub)
    open_window(simulator, ch, recipient, req="SUB-NONE-SHAPE")
    endpoint.assert_none_within(fiwano_config.quiet_seconds, what="SUB-NONE-SHAPE: relay without a subscription")
    sends_blocked(owner, ch, simulator, recipient, ("SUB-NONE-SHAPE", "SUB-INACTIVE-402"))


@pytest.mark.req("TIER-TRIAL", "SUB-AUTO-RENEW", "SUB-EXPIRES-AT")
@pytest.mark.level("controlled")
def test_new_account_starts_with_a_seven_day_pro_trial(harness, fiwano_target, evidence, cleanups, channel,
                                                      channel_type, clock, fiwano_profile):
    days = fiwano_profile["trial_days"]
    before = clock.now()
    owner = new_account(harness, fiwano_target, evidence, cleanups)
    ch = channel(owner, channel_type)

    sub = subscription_of(ch, "TIER-TRIAL")

    seen = {k: sub.get(k) for k in ("status", "source", "tier", "auto_renew")}
    expected = {"status": "active", "source": "trial", "tier": "pro", "auto_renew": False}
    expect.check(seen == expected, "TIER-TRIAL", "subscription of a new account", expected, sub)
    expires = parse_time(sub.get("expires_at"))
    low, high = before + timedelta(days=days, minutes=-5), clock.now() + timedelta(days=days, minutes=5)
    expect.check(expires is not None and low <= expires <= high, "TIER-TRIAL", "expires_at of the trial",
                 f"about {days} days after signup: {low.isoformat()} .. {high.isoformat()}", sub.get("expires_at"))


@pytest.mark.req("SUB-AUTO-RENEW")
@pytest.mark.level("simulated")
@pytest.mark.parametrize("tier,status,source", [m for m in MINTED if m[1] != "none"],
                         ids=[state_id(m) for m in MINTED if m[1] != "none"])
def test_auto_renew_only_for_an_active_paddle_subscription(account, channel, tier, status, source):
    renews = status == "active" and source == "paddle"  # "true only for an active Paddle subscription"
    owner = account(tier=tier, subscription_status=status, source=source)
    ch = channel(owner, "facebook")

    sub = subscription_of(ch, "SUB-AUTO-RENEW")

    expect.check(sub.get("auto_renew") is renews, "SUB-AUTO-RENEW", f"auto_renew of a {status} {source} {tier} "
                 "subscription", renews, sub)


@pytest.mark.req("SUB-CANCEL-AT-PERIOD-END", "SUB-LAPSE", "SUB-AUTO-RENEW", "SUB-INACTIVE-NO-RELAY")
@pytest.mark.level("controlled")
def test_canceled_paddle_subscription_works_until_expires_at_then_lapses(account, channel, channel_type, harness,
                                                                        simulator, sink, clock, fiwano_config, rng):
    owner = account(tier="pro", subscription_status="active", source="paddle")
    ch = channel(owner, channel_type)
    endpoint = sink()
    configure_relay(ch, endpoint, rng, req="SUB-CANCEL-AT-PERIOD-END")
    recipient = user_id(channel_type, rng)
    period_end = subscription_of(ch, "SUB-CANCEL-AT-PERIOD-END")["expires_at"]

    change_subscription(harness, owner, subscription_status="active", source="paddle", auto_renew=False)

    sub = subscription_of(ch, "SUB-CANCEL-AT-PERIOD-END")
    expected = {"status": "active", "auto_renew": False, "expires_at": period_end}
    seen = {k: sub.get(k) for k in expected}
    expect.check(seen == expected, "SUB-CANCEL-AT-PERIOD-END", "subscription right after the customer canceled",
                 expected, sub)
    remaining = (parse_time(period_end) - clock.now()).total_seconds()
    clock.advance(remaining - 60)
    open_window(simulator, ch, recipient, req="SUB-CANCEL-AT-PERIOD-END")
    endpoint.wait_for(1, fiwano_config.delivery_timeout, what="SUB-CANCEL-AT-PERIOD-END: relay before expires_at")
    sends_work(owner, ch, recipient, "SUB-CANCEL-AT-PERIOD-END", "one minute before expires_at")
    expect.check(subscription_of(ch, "SUB-CANCEL-AT-PERIOD-END").get("status") == "active",
                 "SUB-CANCEL-AT-PERIOD-END", "status one minute before expires_at", "'active'", "not active")

    clock.advance(120)

    sub = subscription_of(ch, "SUB-LAPSE")
    expect.check(sub.get("status") == "expired" and sub.get("auto_renew") is False, "SUB-LAPSE",
                 "subscription after expires_at passed without renewal", "status 'expired', auto_renew false", sub)
    sends_blocked(owner, ch, simulator, recipient, ("SUB-LAPSE", "SUB-INACTIVE-402"))
    open_window(simulator, ch, recipient, req="SUB-LAPSE")
    endpoint.assert_none_within(fiwano_config.quiet_seconds, what="SUB-LAPSE: relay after the lapse", already=1)


@pytest.mark.req("TIER-TRIAL-END-BLOCKS", "SUB-LAPSE", "SUB-INACTIVE-NO-RELAY")
@pytest.mark.level("controlled")
def test_trial_end_blocks_sending_and_relay(harness, fiwano_target, evidence, cleanups, channel, channel_type,
                                           simulator, sink, clock, fiwano_config, fiwano_profile, rng):
    owner = new_account(harness, fiwano_target, evidence, cleanups)
    ch = channel(owner, channel_type)
    endpoint = sink()
    configure_relay(ch, endpoint, rng, req="TIER-TRIAL-END-BLOCKS")
    recipient = user_id(channel_type, rng)
    open_window(simulator, ch, recipient, req="TIER-TRIAL-END-BLOCKS")
    endpoint.wait_for(1, fiwano_config.delivery_timeout, what="TIER-TRIAL-END-BLOCKS: relay during the trial")
    sends_work(owner, ch, recipient, "TIER-TRIAL-END-BLOCKS", "during the trial")
    expires = parse_time(subscription_of(ch, "TIER-TRIAL-END-BLOCKS").get("expires_at"))

    clock.advance((expires - clock.now()).total_seconds() + 60)

    sub = subscription_of(ch, "TIER-TRIAL-END-BLOCKS")
    expect.check(sub.get("status") == "expired", ("TIER-TRIAL-END-BLOCKS", "SUB-LAPSE"),
                 "subscription after the trial ended", "status 'expired'", sub)
    sends_blocked(owner, ch, simulator, recipient, ("TIER-TRIAL-END-BLOCKS", "SUB-INACTIVE-402"))
    open_window(simulator, ch, recipient, req="TIER-TRIAL-END-BLOCKS")
    endpoint.assert_none_within(fiwano_config.quiet_seconds, what="TIER-TRIAL-END-BLOCKS: relay after the trial",
                                already=1)
