"""The simulator split by world (``fiwano-conformance simulator --workers 2``, docs/scaling.md): two simulator
processes behind Caddy, one Graph base URL.

Every kind of request a target makes reaches the owner of its world (token in the header or the query, object
id in the path, OAuth code, token being exchanged or debugged, media download, CDN file, control path); what
belongs to no world reaches every instance through the control client (app settings, reset, the global clock);
and the parts that keep time or state stay exact: the virtual clock, scheduled webhooks, OAuth flows and the
journal. Worlds are created until both instances own some, so every check runs on each instance.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, Iterator

import httpx
import pytest

from fiwano_conformance import embedded, simulator_fleet
from simulator import ids
from simulator.client import SimulatorClient, World
from simulator.routing import caddyfile, owner_rules
from tests.simulator.conftest import Receiver

REDIRECT = "https://fiwano.example/oauth/callback"
SECRET = "scale-out-secret"

needs_caddy = pytest.mark.skipif(simulator_fleet.caddy_executable() is None,
                                 reason="Caddy is not installed: pip install -e '.[dev]' (the dev group has it)")


# ---- owner tags and the router's rules (no processes) ----------------------------------------------

def test_a_lone_simulator_mints_untagged_ids() -> None:
    ids.set_owner(0, 1)
    assert ids.owner() == ""
    assert len(ids.phone_number_id()) == 15 and ids.phone_number_id().startswith("10")
    assert ids.world_id().startswith("w_") and ids.world_id().count("_") == 1
    assert ids.access_token().startswith("EAAS")


@pytest.mark.parametrize("instance, instances, tag", [(0, 2, "0"), (1, 2, "1"), (9, 10, "9"), (7, 11, "07"),
                                                      (42, 100, "42")])
def test_every_routable_id_carries_its_owner_tag(instance: int, instances: int, tag: str) -> None:
    ids.set_owner(instance, instances)
    try:
        for make, width, prefix in ((ids.phone_number_id, 15, "10"), (ids.waba_id, 15, "20"), (ids.page_id, 15, "30"),
                                    (ids.ig_account_id, 17, "17841"), (ids.media_id, 16, "9"),
                                    (ids.template_id, 16, "8"), (ids.app_scoped_user_id, 16, "7")):
            value = make()
            assert value.isdigit() and len(value) == width and value.startswith(prefix), value
            assert value.endswith(tag), (value, tag)
        assert ids.access_token().startswith("EAAS" + tag)
        assert ids.world_id().startswith(f"w_{tag}_")
        assert ids.oauth_code().startswith("AQ" + tag)
        assert ids.cdn_key().startswith(tag)
    finally:
        ids.set_owner(0, 1)


def test_owner_tags_refuse_an_instance_outside_the_split() -> None:
    with pytest.raises(ValueError):
        ids.owner_tag(2, 2)
    with pytest.raises(ValueError):
        ids.tag_width(101)


def test_the_router_rules_put_the_world_first_and_the_path_object_last() -> None:
    names = [name for name, _ in owner_rules("1")]
    assert names == ["world", "code", "exchange", "input", "bearer", "query_token", "mid", "cdn", "object"]
    config = caddyfile(["http://127.0.0.1:1", "http://127.0.0.1:2"], "127.0.0.1", 9100)
    assert config.index("handle_path /_sim/instances/1/*") < config.index("handle @global_write")
    assert config.index("reverse_proxy @world_0") < config.index("reverse_proxy @object_1")
    with pytest.raises(ValueError):
        caddyfile(["http://127.0.0.1:1"], "127.0.0.1", 9100)


@needs_caddy
def test_the_generated_caddyfile_is_valid_for_caddy(tmp_path: Path) -> None:
    path = tmp_path / "Caddyfile"
    path.write_text(caddyfile([f"http://127.0.0.1:{p}" for p in (9101, 9102, 9103)], "0.0.0.0", 9100))
    caddy = simulator_fleet.caddy_executable()
    assert caddy is not None
    result = subprocess.run([caddy, "validate", "--config", str(path), "--adapter", "caddyfile"],
                            capture_output=True, text=True, timeout=60,
                            env={**os.environ, "XDG_DATA_HOME": str(tmp_path), "XDG_CONFIG_HOME": str(tmp_path)})
    assert result.returncode == 0, result.stdout + result.stderr


def _cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "fiwano_conformance", "simulator", *args], capture_output=True,
                          text=True, timeout=60, env={**os.environ, **(env or {})})


def test_workers_without_the_router_is_one_line_and_exit_2(tmp_path: Path) -> None:
    result = _cli("--workers", "2", "--port", "0", env={"FIWANO_CADDY": str(tmp_path / "no-caddy")})
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "--workers 2 needs the Caddy router" in lines[0] and "[scale]" in lines[0], lines
    assert "serving" not in result.stdout


def test_load_with_simulator_workers_without_the_router_is_one_line_and_exit_2(tmp_path: Path) -> None:
    result = subprocess.run([sys.executable, "-m", "fiwano_conformance", "load", "--simulator-workers", "2",
                             "--out", str(tmp_path / "out"), "--sink-ca-dir", str(tmp_path / "ca")],
                            capture_output=True, text=True, timeout=60,
                            env={**os.environ, "FIWANO_CADDY": str(tmp_path / "no-caddy")})
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "load: --simulator-workers 2 needs the Caddy router" in lines[0], lines
    assert "running:" not in result.stdout


@needs_caddy
def test_a_taken_router_port_is_one_line_and_exit_2() -> None:
    from fiwano_conformance.serving import bind_socket

    taken = bind_socket("127.0.0.1", 0)
    try:
        result = _cli("--workers", "2", "--port", str(taken.getsockname()[1]))
    finally:
        taken.close()
    assert result.returncode == 2 and "cannot listen on 127.0.0.1:" in result.stderr, result.stderr
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr


@pytest.mark.parametrize("args, says", [
    (["--workers", "0"], "--workers must be at least 1"),
    (["--workers", "2", "--instance", "0", "--instances", "2"], "cannot be combined"),
    (["--workers", "2", "--backend", "http://a:1", "--backend", "http://b:1"], "either --workers N"),
    (["--backend", "http://a:1"], "at least two instances"),
    (["--print-router-config"], "--backend URL at least twice"),
    (["--instance", "1", "--port", "0"], "give --instances N with N > 1"),
])
def test_contradictory_scale_out_options_are_one_line_and_exit_2(args: list[str], says: str) -> None:
    result = _cli(*args)
    assert result.returncode == 2 and says in result.stderr and len(result.stderr.strip().splitlines()) == 1, \
        result.stderr


def test_print_router_config_prints_the_caddyfile_for_remote_backends() -> None:
    result = _cli("--backend", "http://10.0.0.5:9101", "--backend", "http://10.0.0.6:9101", "--host", "0.0.0.0",
                  "--port", "9100", "--print-router-config")
    assert result.returncode == 0, result.stderr
    assert result.stdout == caddyfile(["http://10.0.0.5:9101", "http://10.0.0.6:9101"], "0.0.0.0", 9100)


# ---- a live fleet: two instances behind Caddy ------------------------------------------------------------

@pytest.fixture(scope="module")
def fleet(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    if simulator_fleet.caddy_executable() is None:
        pytest.skip("Caddy is not installed: pip install -e '.[dev]' (the dev group has it)")
    server = embedded.start_server("fleet", ["simulator", "--workers", "2", "--app-secret", SECRET],
                                   tmp_path_factory.mktemp("fleet"))
    try:
        yield server.url
    finally:
        server.stop()


@pytest.fixture(scope="module")
def sim(fleet: str) -> Iterator[SimulatorClient]:
    with SimulatorClient(fleet) as client:
        yield client


@pytest.fixture(scope="module")
def hook(sim: SimulatorClient) -> Iterator[Receiver]:
    receiver = Receiver()
    sim.configure_app(target_webhook_url=receiver.url)
    yield receiver
    receiver.stop()


def _owner(world: World) -> str:
    return world.world_id.split("_")[1]


@pytest.fixture
def worlds(sim: SimulatorClient) -> list[World]:
    """One world on each instance (worlds are dealt round robin)."""
    by_owner: dict[str, World] = {}
    for _ in range(6):
        world = sim.create_world(["whatsapp", "facebook", "instagram"])
        by_owner.setdefault(_owner(world), world)
        if len(by_owner) == 2:
            return [by_owner["0"], by_owner["1"]]
    raise AssertionError(f"six worlds, all on instance(s) {sorted(by_owner)}")


def _deliveries(sim: SimulatorClient, world: World, count: int, timeout: float = 10.0) -> list[dict[str, Any]]:
    """The world's delivery log once it has ``count`` entries (the simulator logs a delivery after its answer)."""
    deadline = time.monotonic() + timeout
    while len(found := sim.deliveries(world.world_id)) < count and time.monotonic() < deadline:
        time.sleep(0.02)
    return found


def _instance_get(fleet: str, sim: SimulatorClient, index: int, path: str) -> Any:
    return httpx.get(fleet + sim.instance_prefixes()[index] + path, timeout=10).json()


def test_the_client_sees_two_instances_and_each_owns_its_worlds(fleet: str, sim: SimulatorClient,
                                                                worlds: list[World]) -> None:
    assert sim.instance_prefixes() == ["/_sim/instances/0", "/_sim/instances/1"]
    for index, world in enumerate(worlds):
        assert _instance_get(fleet, sim, index, "/_sim/health") == {"status": "ok", "instance": index,
                                                                     "instances": 2}
        mine = {w["world_id"] for w in _instance_get(fleet, sim, index, "/_sim/worlds")["worlds"]}
        assert world.world_id in mine and worlds[1 - index].world_id not in mine
        assert sim.get_world(world.world_id).world_id == world.world_id
        for asset in world.assets:
            assert asset.access_token.startswith("EAAS" + str(index)) and asset.asset_id.endswith(str(index))


def test_graph_calls_reach_the_owner_by_header_query_or_path(fleet: str, sim: SimulatorClient,
                                                             worlds: list[World]) -> None:
    for world in worlds:
        wa = world.asset("whatsapp")
        body = {"messaging_product": "whatsapp", "to": "4915100000001", "type": "text", "text": {"body": "hi"}}
        sent = httpx.post(f"{fleet}/v21.0/{wa.phone_number_id}/messages", json=body,
                          headers={"Authorization": f"Bearer {wa.access_token}"})
        assert sent.status_code == 200, sent.text
        by_query = httpx.get(f"{fleet}/v21.0/{wa.phone_number_id}", params={"access_token": wa.access_token})
        assert by_query.status_code == 200 and by_query.json()["id"] == wa.phone_number_id
        form = httpx.post(f"{fleet}/v21.0/{world.asset('facebook').page_id}/messages",
                          data={"access_token": world.asset("facebook").access_token,
                                "recipient": '{"id": "7000000000000001"}', "message": '{"text": "hi"}',
                                "messaging_type": "RESPONSE"})
        assert form.status_code in (200, 400) and "Invalid OAuth" not in form.text, form.text  # token in the form
        no_token = httpx.get(f"{fleet}/v21.0/{wa.phone_number_id}")
        assert no_token.status_code == 401 and no_token.json()["error"]["code"] == 104
        entries = sim.journal(world.world_id)
        assert [(e.method, e.path, e.status) for e in entries][:2] == [
            ("POST", f"/v21.0/{wa.phone_number_id}/messages", 200), ("GET", f"/v21.0/{wa.phone_number_id}", 200)]
        assert len(entries) == 4 and entries[-1].status == 401
        assert not {"via", "x-forwarded-for", "x-forwarded-host", "x-forwarded-proto"} & set(entries[0].headers)
        assert [m.message_id for m in sim.sent_messages(world.world_id)] == [
            sent.json()["messages"][0]["id"]]


def test_another_worlds_object_is_unknown_across_instances(fleet: str, worlds: list[World]) -> None:
    mine, other = worlds[0].asset("whatsapp"), worlds[1].asset("whatsapp")
    answer = httpx.get(f"{fleet}/v21.0/{other.phone_number_id}", headers={"Authorization": f"Bearer {mine.access_token}"})
    assert answer.status_code == 400 and answer.json()["error"]["code"] == 100
    assert answer.json()["error"]["error_subcode"] == 33


def test_oauth_code_exchange_and_debug_token_reach_the_worlds_owner(fleet: str, sim: SimulatorClient,
                                                                    worlds: list[World]) -> None:
    app = sim.get_app()
    app_token = f"{app['app_id']}|{app['app_secret']}"
    for index, world in enumerate(worlds):
        code = sim.oauth_authorize(world.world_id, redirect_uri=REDIRECT)["code"]
        assert code.startswith("AQ" + str(index))
        exchanged = httpx.get(f"{fleet}/v21.0/oauth/access_token", params={
            "client_id": app["app_id"], "client_secret": app["app_secret"], "redirect_uri": REDIRECT, "code": code},
            headers={"Authorization": f"Bearer {app['app_id']}"})
        assert exchanged.status_code == 200, exchanged.text
        token = exchanged.json()["access_token"]
        assert token.startswith("EAAS" + str(index))
        again = httpx.get(f"{fleet}/v21.0/oauth/access_token", params={
            "client_id": app["app_id"], "client_secret": app["app_secret"], "redirect_uri": REDIRECT, "code": code})
        assert again.json()["error"]["error_subcode"] == 36009  # single use, on the owner that minted it
        long_lived = httpx.get(f"{fleet}/v21.0/oauth/access_token", params={
            "grant_type": "fb_exchange_token", "client_id": app["app_id"], "client_secret": app["app_secret"],
            "fb_exchange_token": token}).json()["access_token"]
        debug = httpx.get(f"{fleet}/v21.0/debug_token", params={"input_token": long_lived},
                          headers={"Authorization": f"Bearer {app_token}"}).json()["data"]
        assert debug["is_valid"] is True and debug["user_id"]
        accounts = httpx.get(f"{fleet}/v21.0/me/accounts", headers={"Authorization": f"Bearer {long_lived}"})
        assert accounts.status_code == 200
        assert {p["id"] for p in accounts.json()["data"]} >= {world.asset("facebook").page_id}
        assert sim.journal(world.world_id, path_contains="oauth/access_token"), "the exchange is in its journal"


def test_media_download_and_cdn_files_reach_the_owner(fleet: str, sim: SimulatorClient, worlds: list[World],
                                                     hook: Receiver) -> None:
    for world in worlds:
        wa = world.asset("whatsapp")
        media = sim.register_media(world.world_id, wa.asset_id, b"\x89PNG scale-out", "image/png")
        info = httpx.get(f"{fleet}/v21.0/{media['media_id']}", headers={"Authorization": f"Bearer {wa.access_token}"})
        assert info.status_code == 200, info.text
        url = info.json()["url"]
        assert url.startswith(fleet)
        assert httpx.get(url, headers={"Authorization": f"Bearer {wa.access_token}"}).content == b"\x89PNG scale-out"
        fb = world.asset("facebook")
        inbound = sim.emit_inbound(world.world_id, fb.asset_id, "7000000000000002", "image", content=b"GIF89a cdn")
        assert inbound.payload is not None
        attachment = inbound.payload["entry"][0]["messaging"][0]["message"]["attachments"][0]["payload"]["url"]
        assert httpx.get(attachment).content == b"GIF89a cdn"  # no token: routed by the CDN key alone


def test_global_changes_reach_every_instance_and_the_router_refuses_them_itself(fleet: str, sim: SimulatorClient,
                                                                                worlds: list[World]) -> None:
    refused = httpx.post(f"{fleet}/_sim/clock/advance", json={"seconds": 1})
    assert refused.status_code == 409 and "SimulatorClient" in refused.json()["detail"]
    assert httpx.put(f"{fleet}/_sim/app", json={"verify_token": "x"}).status_code == 409
    sim.configure_app(verify_token="fanned-out")
    assert [_instance_get(fleet, sim, i, "/_sim/app")["verify_token"] for i in (0, 1)] == ["fanned-out"] * 2


def test_the_global_clock_moves_every_instance_by_the_same_amount(fleet: str, sim: SimulatorClient,
                                                                  worlds: list[World]) -> None:
    before = [sim.clock(w.world_id).offset_seconds for w in worlds]
    sim.advance_clock(3600)
    assert [sim.clock(w.world_id).offset_seconds for w in worlds] == [b + 3600 for b in before]
    offsets = [_instance_get(fleet, sim, i, "/_sim/clock")["offset_seconds"] for i in (0, 1)]
    assert offsets[0] == offsets[1]
    target = sim.clock().now + 7 * 86400
    sim.set_clock(target)
    offsets = [_instance_get(fleet, sim, i, "/_sim/clock")["offset_seconds"] for i in (0, 1)]
    assert offsets[0] == offsets[1]  # exactly: the others moved by the amount the first one moved
    assert abs(sim.clock(worlds[1].world_id).now - target) < 5
    sim.advance_clock(60, world_id=worlds[0].world_id)  # a world's own clock stays with its owner
    assert sim.clock(worlds[0].world_id).offset_seconds == offsets[0] + 60
    assert sim.clock(worlds[1].world_id).offset_seconds == offsets[1]


def test_webhooks_now_and_scheduled_come_from_each_owner(fleet: str, sim: SimulatorClient, worlds: list[World],
                                                        hook: Receiver) -> None:
    for world in worlds:
        wa = world.asset("whatsapp")
        result = sim.emit_inbound_text(world.world_id, wa.asset_id, "4915100000002", f"hello {world.world_id}")
        assert result.delivery.status == 200
        # outside the 24-hour window: accepted, then a failed status webhook (131047) a moment later
        sent = httpx.post(f"{fleet}/v21.0/{wa.phone_number_id}/messages",
                          headers={"Authorization": f"Bearer {wa.access_token}"},
                          json={"messaging_product": "whatsapp", "to": "4915100000999", "type": "text",
                                "text": {"body": "late"}})
        wamid = sent.json()["messages"][0]["id"]
        arrived = hook.wait_for(world, 2, timeout=10)
        assert len(arrived) == 2 and wamid.encode() in arrived[1]["raw"] and b"131047" in arrived[1]["raw"]
        bodies = [str(d["payload"]) for d in _deliveries(sim, world, 2)]
        assert len(bodies) == 2 and f"hello {world.world_id}" in bodies[0] and wamid in bodies[1], \
            "the scheduled status is in its owner's delivery log"


def test_retries_follow_the_worlds_schedule_on_its_owner(sim: SimulatorClient, hook: Receiver) -> None:
    worlds = [sim.create_world(["whatsapp"], webhook_retry_delays=[0.2]) for _ in range(2)]
    assert {_owner(w) for w in worlds} == {"0", "1"}
    hook.status = 500
    try:
        for world in worlds:
            sim.emit_inbound_text(world.world_id, world.asset("whatsapp").asset_id, "4915100000003", "retry me")
        for world in worlds:
            assert len(hook.wait_for(world, 2, timeout=10)) == 2
    finally:
        hook.status = 200
    for world in worlds:
        deliveries = _deliveries(sim, world, 2)
        assert [(d["attempt"], d["status"]) for d in deliveries] == [(1, 500), (2, 500)]
        assert deliveries[0]["payload"] == deliveries[1]["payload"]


def test_the_journal_is_per_world_and_since_seq_pages_it(fleet: str, sim: SimulatorClient,
                                                         worlds: list[World]) -> None:
    for world in worlds:
        wa = world.asset("whatsapp")
        for _ in range(3):
            httpx.get(f"{fleet}/v21.0/{wa.phone_number_id}", headers={"Authorization": f"Bearer {wa.access_token}"})
        entries = sim.journal(world.world_id, method="GET")
        assert len(entries) >= 3 and all(e.world_id == world.world_id for e in entries)
        seqs = [e.seq for e in entries]
        assert seqs == sorted(seqs)
        assert [e.seq for e in sim.journal(world.world_id, method="GET", since_seq=seqs[-2])] == [seqs[-1]]


def test_reset_forgets_the_worlds_of_every_instance(fleet: str, sim: SimulatorClient, hook: Receiver) -> None:
    made = [sim.create_world(["whatsapp"]) for _ in range(2)]
    sim.advance_clock(10)
    sim.reset()
    assert [_instance_get(fleet, sim, i, "/_sim/worlds")["worlds"] for i in (0, 1)] == [[], []]
    assert [_instance_get(fleet, sim, i, "/_sim/clock")["offset_seconds"] for i in (0, 1)] == [0.0, 0.0]
    for world in made:
        assert httpx.get(f"{fleet}/_sim/worlds/{world.world_id}").status_code == 404
    assert sim.get_app()["target_webhook_url"] == hook.url  # the app settings survive a reset
