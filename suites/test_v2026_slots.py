"""Profile fiwano-2026-10, channel slots: changelog 2026-07 "GET /subscriptions" (the plans and their free channel
slots: SUB-LIST) and 2026-09-14 "setup-url answers" (every slot of the channel type taken: setup-url answers 409
``no_free_slot`` naming the channels holding them; the hosted flow reports ``slot_occupied`` when the user connected
another Meta account than the slot holders, ``access_denied`` when cancelled, ``setup_failed`` for anything else).

The slots of an account are set through the harness (``PUT /harness/accounts/{id}/slots``), so these tests run at
the controlled level.
"""

from __future__ import annotations

from urllib.parse import urljoin

import pytest

from suites import expect, readings
from suites.support_connect import (allow_redirect, browser, callback_uri, connect, oauth_channel,  # noqa: F401
                                    setup_url)

CONTROLLED = "needs the harness to set the channel slots of an account"


def _plan(owner, channel_type: str, req: str) -> dict:
    response = expect.status(owner.client.request("GET", "/subscriptions"), 200, req, "GET /subscriptions")
    expect.conforms(response, req)
    plans = expect.json_object(response, req, "GET /subscriptions").get("subscriptions")
    mine = [p for p in plans or [] if isinstance(p, dict) and p.get("channel_type") == channel_type]
    expect.check(len(mine) == 1, req, f"the {channel_type} plan in GET /subscriptions", "one entry", plans)
    return mine[0]


@pytest.mark.req("SUB-LIST")
@pytest.mark.level("controlled", reason=CONTROLLED)
@pytest.mark.parametrize("tier", ["pro", "starter"])
def test_subscriptions_list_slots_and_free_slots(account, channel, channel_type, harness, tier):
    owner = account(tier=tier)
    harness.set_slots(owner.account_id, {channel_type: 3})
    ch = channel(owner, channel_type)

    plan = _plan(owner, channel_type, "SUB-LIST")

    wanted = {"tier": tier, "status": "active", "channel_type": channel_type, "slots": 3, "free_slots": 2}
    expect.check({k: plan.get(k) for k in wanted} == wanted, "SUB-LIST",
                 f"the {channel_type} plan with one of its 3 slots held by an active channel", wanted, plan)
    expect.status(owner.client.delete_channel(ch.id), (200, 204), "CHANNEL-DELETE-SOFT", "DELETE /channels/{id}")
    freed = _plan(owner, channel_type, "SUB-LIST").get("free_slots")
    expect.check(freed == 3, "SUB-LIST", "free_slots once the channel is deleted (inactive channels hold no slot)",
                 3, freed)


@pytest.mark.req("CONNECT-SETUP-409-NO-FREE-SLOT")
@pytest.mark.level("controlled", reason=CONTROLLED)
def test_setup_url_without_free_slot_is_409(account, channel, channel_type, harness, rng):
    req = "CONNECT-SETUP-409-NO-FREE-SLOT"
    owner = account()
    harness.set_slots(owner.account_id, {channel_type: 1})
    uri = callback_uri(rng)
    allow_redirect(owner.client, uri)
    readings.setup_started(setup_url(owner.client, channel_type, uri), req,
                           f"setup-url while the {channel_type} slot is free")
    ch = channel(owner, channel_type)

    response = setup_url(owner.client, channel_type, uri)

    expect.status(response, 409, req, f"setup-url while the only {channel_type} slot is held by {ch.id}")
    expect.conforms(response, req)
    detail = expect.json_object(response, req, "the 409 answer").get("detail")
    expect.check(isinstance(detail, dict) and detail.get("code") == "no_free_slot"
                 and detail.get("occupied_by") == [ch.id], req, "the 409 detail",
                 {"code": "no_free_slot", "occupied_by": [ch.id]}, detail)


@pytest.mark.req("CONNECT-REDIRECT-OUTCOMES")
@pytest.mark.level("controlled", reason=CONTROLLED)
def test_other_meta_account_on_a_taken_slot_is_slot_occupied(account, channel_type, harness, world, browser,
                                                              cleanups, rng):
    req = "CONNECT-REDIRECT-OUTCOMES"
    owner = account()
    harness.set_slots(owner.account_id, {channel_type: 1})
    uri = callback_uri(rng)
    allow_redirect(owner.client, uri)
    late = expect.json_object(readings.setup_started(setup_url(owner.client, channel_type, uri), req,
                                                     "setup-url while the slot is free"), req, "setup-url body")
    holder = connect(owner, channel_type, world(channel_type), browser, cleanups, redirect_uri=uri)

    flow = browser.run(urljoin(owner.client.base_url + "/", late["setup_url"]), world(channel_type), uri)

    expect.check(flow.error == "slot_occupied" and flow.code is None, req,
                 f"the redirect after the user connected another Meta account while {holder.id} holds the only "
                 f"{channel_type} slot", "error=slot_occupied and no code", flow.describe())


@pytest.mark.req("CONNECT-REDIRECT-OUTCOMES")
@pytest.mark.level("controlled", reason=CONTROLLED)
@pytest.mark.parametrize("outcome", ["access_denied", "setup_failed"])
def test_cancel_and_failure_outcomes(account, channel_type, harness, world, browser, simulator, rng, outcome):
    req = "CONNECT-REDIRECT-OUTCOMES"
    owner = account()
    harness.set_slots(owner.account_id, {channel_type: 1})
    uri = callback_uri(rng)
    allow_redirect(owner.client, uri)
    seeded = world(channel_type)
    if outcome == "setup_failed":  # Meta refuses to exchange the dialog's code
        simulator.add_faults(seeded.world_id, [{"match": {"path_contains": "/oauth/access_token"}, "times": None,
                                                "action": {"kind": "http_error", "status": 400, "code": 100,
                                                           "error_type": "OAuthException",
                                                           "message": "Invalid verification code format."}}])
    started = expect.json_object(readings.setup_started(setup_url(owner.client, channel_type, uri), req,
                                                        "setup-url"), req, "setup-url body")

    flow = browser.run(urljoin(owner.client.base_url + "/", started["setup_url"]), seeded, uri,
                       decision="deny" if outcome == "access_denied" else "approve")

    expect.check(flow.error == outcome and flow.code is None, req, f"the redirect of a {channel_type} flow that "
                 f"{'the user cancelled' if outcome == 'access_denied' else 'Meta failed'}",
                 f"error={outcome} and no code", flow.describe())
