"""Profile fiwano-2026-10, changelog 2026-10-06 "channel health": every channel in GET /api/v1/channels (and
GET /api/v1/channels/{id}) carries ``health`` {status, reason, since}; a channel Meta serves normally is "ok".

Only the field and its normal state are tested yet; the action_required mark (Meta refusing access) and its
clearing are pending (contract/pending.yaml, docs/profiles.md).
"""

from __future__ import annotations

import pytest

from suites import expect


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
