"""Fuzz of the simulator's Graph surface (issue 18): any method, path, query and body (hostile JSON, raw bytes,
deep nesting, lone surrogates, NaN tokens) is answered without a 5xx and without a traceback.

Independent of tests/simulator/test_robustness.py (which fuzzes JSON shapes of known endpoints): this one
draws the request line itself. CI-sized by default; ``FIWANO_FUZZ_EXAMPLES=2000`` makes a longer run.
"""

from __future__ import annotations

import os

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from simulator.app import create_app
from simulator.settings import SimulatorSettings

EXAMPLES = int(os.environ.get("FIWANO_FUZZ_EXAMPLES", "") or 150)
FUZZ = settings(max_examples=EXAMPLES, deadline=None, database=None, derandomize=True,
                suppress_health_check=list(HealthCheck))

HOSTILE_BODIES = [b"", b"null", b"[]", b"{", b"\xff\xfe", b'{"a": NaN}', b'{"a": Infinity}', b'{"t": "\\ud800"}',
                  b"[" * 1000 + b"]" * 1000, b'{"a":' * 2000 + b"1" + b"}" * 2000, b"[" * 50_000,
                  b'{"messaging_product": "whatsapp", "to": 1e400, "type": "text", "text": {"body": "x"}}']


@pytest.fixture(scope="module")
def sim():
    with TestClient(create_app(SimulatorSettings(app_secret="s", verify_token="v")),
                    raise_server_exceptions=False) as client:
        world = client.post("/_sim/worlds", json={"assets": [{"channel": "whatsapp"}, {"channel": "facebook"},
                                                               {"channel": "instagram"}]}).json()
        client.world = world  # type: ignore[attr-defined]
        yield client


def _paths(world: dict) -> list[str]:
    ids = [a["asset_id"] for a in world["assets"]] + [world["assets"][0]["waba_id"]]
    tails = ["", "/messages", "/media", "/message_templates", "/subscribed_apps", "/phone_numbers", "/conversations",
             "/x/y/z"]
    paths = [f"/v21.0/{i}{t}" for i in ids for t in tails]
    return paths + ["/v21.0/me", "/v21.0/oauth/access_token", "/v21.0/debug_token", "/v99.0/me", "/me",
                    "/cdn/x", "/cdn/", "/v21.0/", "/%00", "/v21.0/..%2f..%2f"]


@FUZZ
@given(data=st.data())
def test_graph_surface_never_5xx_or_traceback(sim, data):
    world = sim.world
    path = data.draw(st.sampled_from(_paths(world)), label="path")
    method = data.draw(st.sampled_from(["GET", "POST", "DELETE", "PUT", "PATCH", "HEAD", "OPTIONS"]), label="method")
    body = data.draw(st.one_of(st.sampled_from(HOSTILE_BODIES), st.binary(max_size=300)), label="body")
    ctype = data.draw(st.sampled_from(["application/json", "application/x-www-form-urlencoded", "text/plain",
                                       "multipart/form-data; boundary=x", ""]), label="content-type")
    token = data.draw(st.sampled_from([None, world["assets"][0]["access_token"], world["user_access_token"],
                                       "garbage"]), label="token")
    query = data.draw(st.dictionaries(st.sampled_from(["fields", "limit", "after", "access_token", "name", "x"]),
                                      st.text(max_size=20), max_size=3), label="query")
    headers = {"content-type": ctype} if ctype else {}
    if token:
        headers["authorization"] = f"Bearer {token}"
    response = sim.request(method, path, content=body if method not in ("GET", "HEAD") else None, params=query,
                           headers=headers)
    assert response.status_code < 500, (method, path, body[:80], response.status_code, response.text[:300])
    assert "Traceback" not in response.text
