"""Minting keys through the harness, against a fake target (httpx MockTransport) and a fake simulator:
the requests the kit makes, the keyring it builds, and the setup requests it charges to each key."""

import json
from types import SimpleNamespace

import httpx
import pytest

from loadtests.keyring import ChannelSpec, Keyring, KeySpec
from loadtests.loadprofile import LoadProfile
from loadtests.provision import (MAX_ASSETS_PER_WORLD, ProvisionError, mint_keyring, prepare_templates,
                                 recipient_for, repoint_webhooks)


class FakeSim:
    def __init__(self):
        self.worlds, self.emitted, self.reviewed, self.templates_by_world = [], [], [], {}

    def create_world(self, channels, label=None, **options):
        assert len(channels) <= MAX_ASSETS_PER_WORLD and options == {"cdn_default_fetchable": True}
        n = len(self.worlds)
        assets = [SimpleNamespace(channel=c, asset_id=f"{n}{i:04d}", access_token=f"tok{n}-{i}",
                                  waba_id="w1" if c == "whatsapp" else None,
                                  page_id="p1" if c != "whatsapp" else None) for i, c in enumerate(channels)]
        world = SimpleNamespace(world_id=f"world{n}", assets=assets)
        self.worlds.append(world)
        return world

    def emit_inbound_text(self, world_id, asset_id, sender, text):
        self.emitted.append((world_id, asset_id, sender, text))
        return SimpleNamespace(message_id=f"wamid.{len(self.emitted)}",
                               delivery=SimpleNamespace(status=200, error=None))

    def templates(self, world_id):
        return self.templates_by_world.get(world_id, [])

    def review_template(self, world_id, template_id, status):
        self.reviewed.append((world_id, template_id, status))


class FakeTarget:
    def __init__(self, fail_templates=False):
        self.calls, self.accounts, self.fail_templates = [], 0, fail_templates

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.calls.append((request.method, request.url.path, request.headers.get("x-api-key"),
                           json.loads(request.content) if request.content else None))
        path = request.url.path
        if path == "/harness/accounts":
            self.accounts += 1
            return httpx.Response(201, json={"account_id": f"acc{self.accounts}",
                                             "api_key": f"mip_live_{self.accounts:024d}"})
        if path.endswith("/channels") and path.startswith("/harness/"):
            return httpx.Response(201, json={"id": "ch-" + json.loads(request.content)["asset_id"]})
        if request.method == "PATCH":
            return httpx.Response(200, json={})
        if path.endswith("/templates"):
            return httpx.Response(404 if self.fail_templates else 201, json={"detail": "nope"})
        return httpx.Response(404)


def profile(**changes):
    data = {"name": "p", "shape": "burst", "duration_seconds": 5, "rate_factor": 2,
            "keys": {"count": 20, "keys_per_world": 50}}
    data.update(changes)
    return LoadProfile.model_validate(data)


def test_minting_builds_the_keyring_and_charges_setup_requests():
    sim, target = FakeSim(), FakeTarget()
    with httpx.Client(transport=httpx.MockTransport(target)) as http:
        ring, opened = mint_keyring(profile(), "run1", "http://t", "http://h", "http://sim", "https://sink:1",
                                    http=http, sim=sim)
    assert len(ring.keys) == 20 and len(sim.worlds) == 2      # 16 keys x 3 channels per world at most
    assert ring.world_ids == ["world0", "world1"]
    key = ring.keys[0]
    assert [c.channel_type for c in key.channels] == ["whatsapp", "instagram", "facebook"]
    assert key.channels[0].recipient == recipient_for("whatsapp", 0) and key.channels[0].webhook_secret
    assert len(key.prior_requests) == 3                         # one webhook PATCH per channel
    patches = [c for c in target.calls if c[0] == "PATCH"]
    assert len(patches) == 60 and all(c[2].startswith("mip_live_") for c in patches)
    assert patches[0][3]["webhook_url"].startswith("https://sink:1/hooks/ch-")
    assert "message.failed" in patches[0][3]["webhook_events"] or "message.read" in patches[0][3]["webhook_events"]
    connect = [c for c in target.calls if c[1].endswith("/channels") and c[0] == "POST"]
    assert {"waba_id", "page_id"} & set(connect[0][3])
    assert len(opened) == 60 and len(sim.emitted) == 60 and opened[0]["delivery_status"] == 200
    assert len({k.api_key for k in ring.keys}) == 20


def test_templates_are_created_through_the_api_and_approved_in_the_simulator():
    sim, target = FakeSim(), FakeTarget()
    ring = Keyring(run_id="r", world_ids=["w"], keys=[KeySpec(index=0, api_key="mip_live_x" * 3, channels=[
        ChannelSpec(channel_id="c", channel_type="whatsapp", recipient="1"),
        ChannelSpec(channel_id="d", channel_type="facebook", recipient="2")])])
    sim.templates_by_world["w"] = [{"id": "t1", "name": "fiwano_load", "status": "PENDING"},
                                   {"id": "t2", "name": "other", "status": "PENDING"}]
    with httpx.Client(transport=httpx.MockTransport(target)) as http:
        assert prepare_templates(http, sim, ring, profile(mix={"send_template": 1}), "http://t") == 1
    assert sim.reviewed == [("w", "t1", "APPROVED")]
    created = [c for c in target.calls if c[1].endswith("/templates")]
    assert len(created) == 1 and created[0][3]["components"][0]["text"].count("{{1}}") == 1
    assert len(ring.keys[0].prior_requests) == 1


def test_a_target_without_templates_is_a_setup_error_with_a_hint():
    ring = Keyring(run_id="r", keys=[KeySpec(index=0, api_key="k" * 20, channels=[
        ChannelSpec(channel_id="c", channel_type="whatsapp", recipient="1")])])
    with httpx.Client(transport=httpx.MockTransport(FakeTarget(fail_templates=True))) as http, \
            pytest.raises(ProvisionError, match="send_template"):
        prepare_templates(http, FakeSim(), ring, profile(), "http://t")


def test_repointing_touches_only_keyrings_the_kit_wrote():
    target = FakeTarget()
    channel = ChannelSpec(channel_id="c", channel_type="whatsapp", recipient="1", webhook_secret="s")
    foreign = Keyring(run_id="r", keys=[KeySpec(index=0, api_key="k" * 20, channels=[channel])])
    ours = Keyring(run_id="r", sink_url="https://old:1", keys=[KeySpec(index=0, api_key="k" * 20,
                                                                        channels=[channel])])
    with httpx.Client(transport=httpx.MockTransport(target)) as http:
        assert repoint_webhooks(foreign, "http://t", "https://new:2", http) == 0
        assert repoint_webhooks(ours, "http://t", "https://new:2", http) == 1
    assert target.calls[0][3] == {"webhook_url": "https://new:2/hooks/c", "webhook_secret": "s"}
    assert ours.sink_url == "https://new:2" and len(ours.keys[0].prior_requests) == 1
