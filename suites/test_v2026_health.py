"""Profile fiwano-2026-10, changelog 2026-10-06 "channel health": every channel in GET /api/v1/channels (and
GET /api/v1/channels/{id}) carries ``health`` {status, reason, since}; a channel Meta serves normally is "ok".

When Meta refuses the channel's access (a token or permission error: 190 "the user has not authorized the
application", 200 "permissions error") the channel's health becomes "action_required" with Meta's error code as
reason and the detection time as since; nothing is torn down (the channel stays active with its id and webhook
settings, sends still go to Meta, inbound messages are still relayed); the mark clears once Meta accepts the
channel's access again (a send it accepts).
"""

from __future__ import annotations

import json

import pytest

from suites import expect, readings
from suites.data import secret, user_id
from suites.support_relay import configure, emit, payload_of

#: Meta's refusals of the channel's access (code: error), each answered to the target's sends
REFUSALS = {
    "revoked-190": {"kind": "http_error", "status": 400, "code": 190, "subcode": 458, "error_type": "OAuthException",
                    "message": "Error validating access token: The user has not authorized application 1234567890123456."},
    "permission-200": {"kind": "http_error", "status": 403, "code": 200, "error_type": "OAuthException",
                       "message": "(#200) Permissions error"},
}
SENDS = {"method": "POST", "path_contains": "/messages"}


@pytest.mark.req("CHANNEL-HEALTH-FIELD")
@pytest.mark.level("simulated")
def test_every_channel_carries_health_ok(account, channel, channel_type):
    owner = account()
    ch = channel(owner, channel_type)

    listed = owner.client.list_channels()
    single = owner.client.get_channel(ch.id)

    expect.status(listed, 200, "CHANNEL-HEALTH-FIELD", "GET /channels")
    expect.status(single, 200, "CHANNEL-HEALTH-FIELD", "GET /channels/{id}")
    mine = [c for c in (listed.json().get("channels") or []) if isinstance(c, dict) and c.get("id") == ch.id]
    for what, view in (("GET /channels", mine[0] if mine else {}), ("GET /channels/{id}", single.json())):
        health = view.get("health")
        expect.check(isinstance(health, dict) and health.get("status") == "ok", "CHANNEL-HEALTH-FIELD",
                     f"health of a {channel_type} channel Meta serves normally ({what})", '{"status": "ok", ...}',
                     health)
    expect.conforms(single, "CHANNEL-HEALTH-FIELD")


def _refused(account, channel, channel_type, simulator, rng, refusal: str, req: str):
    """A channel whose Meta answers every send with ``refusal``, after one send through it."""
    owner = account()
    ch = channel(owner, channel_type)
    user = user_id(channel_type, rng)
    emit(simulator, ch, user, "text", req=req, text="hello")
    simulator.add_faults(ch.world.world_id, [{"match": SENDS, "times": None, "action": REFUSALS[refusal]}])
    sent = ch.client.send_text(ch.id, user, f"after Meta stopped accepting the access #{rng.randrange(10**6)}")
    expect.check(sent.status_code < 500 or sent.status_code == 502, req, f"a send Meta refuses ({refusal})",
                 "a handled answer", expect.describe(sent))
    return ch, user


def _view(ch, req: str) -> dict:
    return expect.json_object(expect.status(ch.client.get_channel(ch.id), 200, req, "GET /channels/{id}"), req,
                              "the channel")


@pytest.mark.req("CHANNEL-HEALTH-ACTION-REQUIRED")
@pytest.mark.level("simulated")
@pytest.mark.parametrize("refusal", list(REFUSALS))
def test_refused_access_marks_action_required(account, channel, channel_type, simulator, rng, refusal):
    req = "CHANNEL-HEALTH-ACTION-REQUIRED"
    ch, _ = _refused(account, channel, channel_type, simulator, rng, refusal, req)

    health = _view(ch, req).get("health")

    code = str(REFUSALS[refusal]["code"])
    expect.check(isinstance(health, dict) and health.get("status") == "action_required", req,
                 f"health of a {channel_type} channel after Meta refused its access ({refusal})",
                 '{"status": "action_required", ...}', health)
    expect.check(code in json.dumps(health.get("reason")), req, "health.reason", f"Meta's error naming code {code}",
                 health.get("reason"))
    expect.check(readings.parse_timestamp(health.get("since")) is not None, req, "health.since",
                 "the detection time (an ISO-8601 timestamp)", health.get("since"))


@pytest.mark.req("CHANNEL-HEALTH-NOT-TORN-DOWN")
@pytest.mark.level("simulated")
def test_marked_channel_is_not_torn_down(account, channel, channel_type, sink, simulator, fiwano_config, rng):
    req = "CHANNEL-HEALTH-NOT-TORN-DOWN"
    owner = account()
    ch = channel(owner, channel_type)
    endpoint = sink()
    settings = {"webhook_url": endpoint.url, "webhook_secret": secret(rng), "webhook_events": ["message.received"]}
    configure(ch, settings)
    user = user_id(channel_type, rng)
    emit(simulator, ch, user, "text", req=req, text="hello")
    endpoint.wait_for(1, fiwano_config.delivery_timeout, what=f"{req}: the first message.received")
    simulator.add_faults(ch.world.world_id, [{"match": SENDS, "times": None, "action": REFUSALS["revoked-190"]}])
    ch.client.send_text(ch.id, user, "refused by Meta")
    calls = len(simulator.journal(ch.world.world_id, method="POST", path_contains="/messages"))

    after = ch.client.send_text(ch.id, user, "and again")
    emit(simulator, ch, user, "text", req=req, text="the user writes again")

    view = _view(ch, req)
    expect.check(view.get("id") == ch.id and view.get("is_active") is True
                 and view.get("webhook_url") == settings["webhook_url"]
                 and sorted(view.get("webhook_events") or []) == ["message.received"], req,
                 f"a {channel_type} channel whose access Meta refuses", "the same id, is_active true, the same "
                 "webhook_url and webhook_events", view)
    now = len(simulator.journal(ch.world.world_id, method="POST", path_contains="/messages"))
    expect.check(now == calls + 1, req, "sends at Meta after the mark (traffic is not blocked by Fiwano)",
                 f"{calls + 1} (the second send reached Meta)", f"{now}; answer {expect.describe(after)}")
    texts = [(payload_of(r, req).get("data") or {}).get("text")
             for r in endpoint.wait_for(2, fiwano_config.delivery_timeout, what=f"{req}: message.received after the mark")]
    expect.check("the user writes again" in texts, req, "inbound messages after the mark", "still relayed", texts)


@pytest.mark.req("CHANNEL-HEALTH-CLEARS")
@pytest.mark.level("simulated")
def test_mark_clears_when_meta_accepts_again(account, channel, channel_type, simulator, rng):
    req = "CHANNEL-HEALTH-CLEARS"
    ch, user = _refused(account, channel, channel_type, simulator, rng, "revoked-190", req)
    marked = _view(ch, req).get("health")
    expect.check(isinstance(marked, dict) and marked.get("status") == "action_required",
                 "CHANNEL-HEALTH-ACTION-REQUIRED", "health after Meta refused the access", "action_required", marked)
    simulator.clear_faults(ch.world.world_id)

    sent = ch.client.send_text(ch.id, user, "accepted again")

    body = expect.json_object(expect.status(sent, 200, req, "a send Meta accepts again"), req, "send answer")
    expect.check(body.get("success") is True, req, "a send after the access returned", "success true", body)
    health = _view(ch, req).get("health")
    expect.check(isinstance(health, dict) and health.get("status") == "ok", req,
                 f"health of a {channel_type} channel once Meta accepts its access again", '{"status": "ok", ...}',
                 health)
