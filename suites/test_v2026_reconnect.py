"""Profile fiwano-2026-10, changelog 2026-06 "reconnect in place" and 2026-09-14 "health + reconnect": connecting
the Meta account of a channel again through the connect flow keeps that channel: an active one keeps its
channel_id, webhook_url, webhook_secret, webhook_events and license and stays active; an inactive (deleted) one is
reactivated with the same channel_id and webhook settings.

The secret is not shown again, so it is checked where it matters: the next webhook is signed with the original one.
"""

from __future__ import annotations

import pytest

from suites import expect
from suites.data import secret, user_id
from suites.support_connect import browser, oauth_channel  # noqa: F401  (fixtures)
from suites.support_relay import emit


def _connected(account, channel_type, oauth_channel, sink, rng):
    owner = account()
    endpoint = sink()
    settings = {"webhook_url": endpoint.url, "webhook_secret": secret(rng), "webhook_events": ["message.received"]}
    return owner, endpoint, settings, oauth_channel(owner, channel_type, **settings)


def _view(ch, req: str) -> dict:
    return expect.json_object(expect.status(ch.client.get_channel(ch.id), 200, req, "GET /channels/{id}"), req,
                              "the channel")


def _kept(req: str, ch, again, endpoint, settings, simulator, fiwano_config, rng, what: str) -> dict:
    expect.check(again.id == ch.id, req, f"channel_id of {what}", ch.id, again.id)
    view = _view(ch, req)
    expect.check(view.get("is_active") is True and view.get("webhook_url") == settings["webhook_url"]
                 and sorted(view.get("webhook_events") or []) == settings["webhook_events"], req, what,
                 f"is_active true, webhook_url {settings['webhook_url']!r}, webhook_events "
                 f"{settings['webhook_events']}", view)
    text = f"after the reconnect #{rng.randrange(10**6)}"
    emit(simulator, ch, user_id(ch.channel_type, rng), "text", req=req, text=text)
    delivery = [r for r in endpoint.wait_for(1, fiwano_config.delivery_timeout, what=f"{req}: message.received")
                if text.encode() in r.body][-1:]
    signed = delivery[0].header("X-Webhook-Signature") if delivery else None
    expect.check(delivery and signed == expect.webhook_signature(settings["webhook_secret"], delivery[0].body), req,
                 f"the signature of a webhook after {what}", "signed with the webhook_secret set before", signed)
    return view


@pytest.mark.req("CONNECT-RECONNECT-ACTIVE-IN-PLACE")
@pytest.mark.level("simulated")
def test_reconnecting_an_active_channel_keeps_it(account, channel_type, oauth_channel, sink, simulator,
                                                 fiwano_config, rng):
    req = "CONNECT-RECONNECT-ACTIVE-IN-PLACE"
    owner, endpoint, settings, ch = _connected(account, channel_type, oauth_channel, sink, rng)
    before = _view(ch, req)

    again = oauth_channel(owner, channel_type, ch.world)  # the same Meta account through the same connect flow

    view = _kept(req, ch, again, endpoint, settings, simulator, fiwano_config, rng,
                 f"a {channel_type} channel connected again while active")
    expect.check(view.get("subscription") == before.get("subscription"), req, "the license after the reconnect",
                 before.get("subscription"), view.get("subscription"))
    listed = [c for c in (owner.client.list_channels().json().get("channels") or [])
              if isinstance(c, dict) and c.get("channel_type") == channel_type and c.get("is_active")]
    expect.check([c.get("id") for c in listed] == [ch.id], req, f"active {channel_type} channels of the account",
                 [ch.id], [c.get("id") for c in listed])


@pytest.mark.req("CONNECT-RECONNECT-INACTIVE-IN-PLACE")
@pytest.mark.level("simulated")
def test_reconnecting_a_deleted_channel_reactivates_it(account, channel_type, oauth_channel, sink, simulator,
                                                       fiwano_config, rng):
    req = "CONNECT-RECONNECT-INACTIVE-IN-PLACE"
    owner, endpoint, settings, ch = _connected(account, channel_type, oauth_channel, sink, rng)
    expect.status(owner.client.delete_channel(ch.id), (200, 204), "CHANNEL-DELETE-SOFT", "DELETE /channels/{id}")
    expect.check(_view(ch, req).get("is_active") is False, "CHANNEL-DELETE-SOFT", "the channel after DELETE",
                 "is_active false", _view(ch, req))

    again = oauth_channel(owner, channel_type, ch.world)

    _kept(req, ch, again, endpoint, settings, simulator, fiwano_config, rng,
          f"a deleted {channel_type} channel connected again")
