"""Issue 18 rows 10 and 11: absurd clocks, deeply nested bodies and unencodable app settings are a 400 (Meta's
code 100 on the Graph surface), nothing is stored, and the simulator keeps working. Each test has its own
in-process simulator: before the fixes these inputs broke the process state until a reset."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from simulator.app import create_app
from simulator.settings import SimulatorSettings

JSON = {"content-type": "application/json"}


@pytest.fixture
def sim():
    with TestClient(create_app(SimulatorSettings(app_secret="s", verify_token="v")),
                    raise_server_exceptions=False) as client:
        world = client.post("/_sim/worlds", json={"assets": [{"channel": "whatsapp"}]}).json()
        client.world = world  # type: ignore[attr-defined]
        yield client


@pytest.mark.parametrize("now", [1.79e308, 4.9e16, 1e12, "9999-12-31T23:59:59Z"])
@pytest.mark.parametrize("scope", ["global", "world"])
def test_row10_absurd_clock_is_400_and_nothing_stored(sim, scope, now):
    base = "/_sim/clock" if scope == "global" else f"/_sim/worlds/{sim.world['world_id']}/clock"
    before = sim.get(base).json()["offset_seconds"]
    response = sim.put(base, json={"now": now})
    assert response.status_code == 400, response.text
    assert "detail" in response.json()
    after = sim.get(base)
    assert after.status_code == 200 and after.json()["offset_seconds"] == before
    assert sim.post(f"{base}/advance", json={"seconds": 60}).status_code == 200  # the clock still works


@pytest.mark.parametrize("scope", ["global", "world"])
def test_row10_repeated_advances_stop_at_the_limit(sim, scope):
    base = "/_sim/clock" if scope == "global" else f"/_sim/worlds/{sim.world['world_id']}/clock"
    step = 10 * 365 * 86400  # the largest single advance
    statuses = [sim.post(f"{base}/advance", json={"seconds": step}).status_code for _ in range(400)]
    assert set(statuses) == {200, 400} and statuses.index(400) == statuses.count(200)  # 200s, then only 400s
    assert sim.get(base).status_code == 200 and sim.get(base).json()["iso"].startswith(("4", "5"))
    world_clock = sim.get(f"/_sim/worlds/{sim.world['world_id']}/clock")
    assert world_clock.status_code == 200


@pytest.mark.parametrize("body", ["[" * 1000 + "]" * 1000, '{"a":' * 1000 + "1" + "}" * 1000, "[" * 100000])
def test_row11_deeply_nested_graph_body_is_meta_code_100(sim, body):
    asset = sim.world["assets"][0]
    response = sim.post(f"/v21.0/{asset['asset_id']}/messages", content=body,
                        headers={**JSON, "authorization": f"Bearer {asset['access_token']}"})
    assert response.status_code == 400, response.text
    error = response.json()["error"]
    assert error["code"] == 100 and "Traceback" not in response.text


def test_row11_deeply_nested_query_parameter_is_a_plain_string(sim):
    asset = sim.world["assets"][0]
    response = sim.get(f"/v21.0/{asset['asset_id']}", params={"fields": "[" * 5000},
                       headers={"authorization": f"Bearer {asset['access_token']}"})
    assert response.status_code < 500, response.text


@pytest.mark.parametrize("field", ["target_webhook_url", "app_secret", "verify_token"])
def test_row11_unencodable_app_setting_is_refused_and_not_stored(sim, field):
    before = sim.get("/_sim/app").json()
    response = sim.put("/_sim/app", content='{"%s": "http://x/\\udc00"}' % field, headers=JSON)
    assert response.status_code == 422, response.text
    assert sim.get("/_sim/app").json() == before
    asset = sim.world["assets"][0]
    emitted = sim.post(f"/_sim/worlds/{sim.world['world_id']}/inbound",
                       json={"asset_id": asset["asset_id"], "from": "4915100000001", "text": "still works"})
    assert emitted.status_code == 200, emitted.text
