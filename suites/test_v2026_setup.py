"""Profile fiwano-2026-10, changelog 2026-09-14 "setup-url answers": setup-url answers 402 only when the account
has no active subscription (expired, canceled, none); an account with one (trial, paid, canceled at the end of
the period) gets its setup URL.
"""

from __future__ import annotations

import pytest

from suites import expect, readings
from suites.support_connect import allow_redirect, callback_uri, setup_url

REQ = "CONNECT-SETUP-402-NO-SUBSCRIPTION"
WITHOUT = [("pro", "expired"), ("starter", "canceled"), ("pro", "none")]
WITH = [("pro", "active", "paddle"), ("starter", "active", "paddle"), ("pro", "active", "trial")]


@pytest.mark.req(REQ)
@pytest.mark.level("controlled", reason="needs the harness to mint accounts in each subscription state")
@pytest.mark.parametrize("tier,state", WITHOUT)
def test_setup_url_without_active_subscription_is_402(account, channel_type, rng, tier, state):
    owner = account(tier=tier, subscription_status=state)
    uri = callback_uri(rng)
    allow_redirect(owner.client, uri)

    response = setup_url(owner.client, channel_type, uri)

    expect.status(response, 402, REQ, f"setup-url of a {channel_type} channel, subscription {state}")
    body = expect.json_object(response, REQ, "the 402 answer")
    expect.check(body.get("detail") and "setup_url" not in body, REQ, "the 402 answer",
                 'a {"detail": ...} and no setup_url', body)


@pytest.mark.req(REQ)
@pytest.mark.level("controlled", reason="needs the harness to mint accounts in each subscription state")
@pytest.mark.parametrize("tier,state,source", WITH)
def test_setup_url_with_active_subscription_is_not_402(account, channel_type, rng, tier, state, source):
    owner = account(tier=tier, subscription_status=state, source=source)
    uri = callback_uri(rng)
    allow_redirect(owner.client, uri)

    response = setup_url(owner.client, channel_type, uri)

    readings.setup_started(response, REQ, f"setup-url of a {channel_type} channel, {tier} {state} ({source})")
