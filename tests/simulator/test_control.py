"""Control API: worlds, isolation, journal filters, app settings, reset, and 4xx on bad input."""

from __future__ import annotations

import pytest

from simulator.app import create_app
from simulator.client import SimulatorClient, SimulatorError
from simulator.settings import SimulatorSettings

from .conftest import bearer


def test_health_and_app(sim, receiver):
    assert sim.health() == {"status": "ok"}
    app = sim.get_app()
    assert app["target_webhook_url"] == receiver.url
    assert app["app_id"] == "1234567890123456" and app["graph_version"] == "v21.0"


def test_configure_app_roundtrip(sim, receiver):
    before = sim.get_app()
    try:
        after = sim.configure_app(verify_token="other", target_webhook_url="http://127.0.0.1:1/x")
        assert after["verify_token"] == "other" and after["target_webhook_url"] == "http://127.0.0.1:1/x"
        assert after["app_secret"] == before["app_secret"]
    finally:
        sim.configure_app(verify_token=before["verify_token"], target_webhook_url=before["target_webhook_url"])


def test_world_shape(sim):
    w = sim.create_world(["whatsapp", "facebook", "instagram"], label="shape", names=["Acme", None, "Acme IG"])
    try:
        assert w.label == "shape"
        wa, fb, ig = w.asset("whatsapp"), w.asset("facebook"), w.asset("instagram")
        assert wa.asset_id == wa.phone_number_id and wa.verified_name == "Acme"
        assert wa.waba_id and wa.display_phone_number.isdigit()
        assert fb.asset_id == fb.page_id and fb.name
        assert ig.asset_id == ig.ig_account_id and ig.username == "acme_ig" and ig.page_id
        for asset in w.assets:
            assert asset.asset_id.isdigit()
        assert sim.get_world(w.world_id) == w
        with pytest.raises(LookupError):
            sim.create_world(["whatsapp"]).asset("facebook")
    finally:
        sim.delete_world(w.world_id)


def test_ids_unique_across_worlds_and_tokens_unique(sim):
    worlds = [sim.create_world(["whatsapp", "facebook", "instagram", "whatsapp"]) for _ in range(5)]
    try:
        ids = [i for w in worlds for a in w.assets
               for i in {a.asset_id, a.phone_number_id, a.waba_id, a.page_id, a.ig_account_id} if i]
        tokens = [t for w in worlds for t in [w.user_access_token, *(a.access_token for a in w.assets)]]
        assert len(ids) == len(set(ids))
        assert len(tokens) == len(set(tokens))
    finally:
        for w in worlds:
            sim.delete_world(w.world_id)


def test_delete_world_forgets_tokens_and_ids(sim, graph):
    w = sim.create_world(["whatsapp"])
    wa = w.asset("whatsapp")
    assert graph.get(f"/v21.0/{wa.phone_number_id}", headers=bearer(wa.access_token)).status_code == 200
    sim.delete_world(w.world_id)
    r = graph.get(f"/v21.0/{wa.phone_number_id}", headers=bearer(wa.access_token))
    assert r.status_code == 400 and r.json()["error"]["code"] == 190  # unknown object → graph surface
    with pytest.raises(SimulatorError) as info:
        sim.get_world(w.world_id)
    assert info.value.status == 404
    with pytest.raises(SimulatorError):
        sim.delete_world(w.world_id)


def test_journal_records_and_filters(sim, graph, world):
    wa, fb = world.asset("whatsapp"), world.asset("facebook")
    graph.get(f"/v21.0/{wa.phone_number_id}", headers=bearer(wa.access_token))
    graph.post(f"/v21.0/{wa.waba_id}/subscribed_apps", headers=bearer(wa.access_token))
    graph.get(f"/v21.0/{fb.page_id}", params={"access_token": fb.access_token, "fields": "name"})
    entries = sim.journal(world.world_id)
    assert [e.method for e in entries] == ["GET", "POST", "GET"]
    assert entries[0].seq < entries[1].seq < entries[2].seq
    assert entries[0].status == 200 and entries[0].response["id"] == wa.phone_number_id
    assert entries[2].query == {"access_token": fb.access_token, "fields": "name"}
    assert entries[1].headers["authorization"] == f"Bearer {wa.access_token}"
    assert all(e.world_id == world.world_id for e in entries)
    assert entries[0].virtual_time > 0 and entries[0].real_time > 0
    assert [e.method for e in sim.journal(world.world_id, method="post")] == ["POST"]
    assert len(sim.journal(world.world_id, path_contains="subscribed_apps")) == 1
    assert [e.seq for e in sim.journal(world.world_id, since_seq=entries[0].seq)] == [e.seq for e in entries[1:]]


def test_journal_attributes_by_path_when_token_unknown(sim, graph, world):
    wa = world.asset("whatsapp")
    graph.get(f"/v21.0/{wa.phone_number_id}", headers=bearer("EAAwrong"))
    (entry,) = sim.journal(world.world_id)
    assert entry.status == 401 and entry.response["error"]["code"] == 190


def test_worlds_do_not_see_each_others_journal(sim, graph):
    a, b = sim.create_world(["whatsapp"]), sim.create_world(["whatsapp"])
    try:
        for w in (a, b):
            graph.get(f"/v21.0/{w.asset('whatsapp').phone_number_id}", headers=bearer(w.asset("whatsapp").access_token))
        assert len(sim.journal(a.world_id)) == 1 and len(sim.journal(b.world_id)) == 1
        assert sim.journal(a.world_id)[0].path.endswith(a.asset("whatsapp").phone_number_id)
    finally:
        sim.delete_world(a.world_id)
        sim.delete_world(b.world_id)


def test_reset_forgets_everything():
    app = create_app(SimulatorSettings())
    store = app.state.store
    w = store.create_world(None, [{"channel": "whatsapp"}])
    store.journal.append(world_id=w.world_id, method="GET", path="/x", query={}, headers={}, body="", json=None,
                         status=200, response=None, virtual_time=0, real_time=0)
    store.clock.advance(100)
    store.reset()
    assert store.worlds == {} and store.journal.entries() == [] and store.clock.offset == 0
    assert store.resolve_token(w.user_access_token) is None


def test_reset_endpoint(live):
    # a private server so that resetting does not disturb the session's worlds
    from .conftest import LiveServer

    server = LiveServer(create_app(SimulatorSettings())).start()
    try:
        with SimulatorClient(server.url) as client:
            w = client.create_world(["facebook"])
            client.reset()
            with pytest.raises(SimulatorError):
                client.get_world(w.world_id)
    finally:
        server.stop()


@pytest.mark.parametrize("method,path,body", [
    ("POST", "/_sim/worlds", {"assets": [{"channel": "telegram"}]}),
    ("POST", "/_sim/worlds", {"assets": "whatsapp"}),
    ("POST", "/_sim/worlds", {"assets": [{"channel": "whatsapp", "extra": 1}]}),
    ("POST", "/_sim/worlds", [1, 2]),
    ("PUT", "/_sim/app", {"app_secret": 5}),
    ("PUT", "/_sim/app", {"unknown": "x"}),
    ("GET", "/_sim/worlds/nope", None),
    ("DELETE", "/_sim/worlds/nope", None),
    ("GET", "/_sim/worlds/nope/journal", None),
    ("POST", "/_sim/worlds/nope/inbound", {"asset_id": "1", "from": "1", "text": "x"}),
    ("GET", "/_sim/nothing-here", None),
    ("PATCH", "/_sim/health", None),
    ("POST", "/_sim/clock/advance", {"seconds": -1}),
    ("PUT", "/_sim/clock", {"now": "yesterday"}),
    ("PUT", "/_sim/clock", {"now": 0}),
])
def test_control_bad_input_is_4xx_with_detail(graph, method, path, body):
    r = graph.request(method, path, json=body)
    assert 400 <= r.status_code < 500, (r.status_code, r.text)
    assert "detail" in r.json()


@pytest.mark.parametrize("raw", [b"{", b"\xff", b"null", b"[]", b'{"assets": null}'])
def test_control_malformed_json(graph, raw):
    r = graph.post("/_sim/worlds", content=raw, headers={"content-type": "application/json"})
    assert 400 <= r.status_code < 500 and "detail" in r.json()


def test_inbound_bad_input(sim, graph, world):
    base = f"/_sim/worlds/{world.world_id}/inbound"
    wa = world.asset("whatsapp")
    cases = [
        {"asset_id": "000", "from": "4915100000000", "text": "x"},                      # unknown asset → 404
        {"asset_id": wa.asset_id, "from": "not digits", "text": "x"},                   # bad wa_id → 400
        {"asset_id": wa.asset_id, "from": "4915100000000"},                             # text missing → 400
        {"asset_id": wa.asset_id, "from": "4915100000000", "type": "gif", "text": "x"},  # 422
        {"asset_id": wa.asset_id, "from": "", "text": "x"},
        {"asset_id": wa.asset_id, "from": 5, "text": "x"},
    ]
    for body in cases:
        r = graph.post(base, json=body)
        assert 400 <= r.status_code < 500, (body, r.status_code, r.text)
        assert "detail" in r.json()


def test_shared_waba_and_page(sim, graph):
    w = sim.create_world(["whatsapp", "whatsapp", "facebook", "instagram"], share_with={1: 0, 3: 2})
    try:
        wa1, wa2 = w.assets[0], w.assets[1]
        fb, ig = w.asset("facebook"), w.asset("instagram")
        assert wa1.waba_id == wa2.waba_id and wa1.phone_number_id != wa2.phone_number_id
        assert ig.page_id == fb.page_id
        # subscription state belongs to the WABA / Page, whichever asset's token changes it
        graph.post(f"/v21.0/{wa1.waba_id}/subscribed_apps", headers=bearer(wa1.access_token))
        assert len(graph.get(f"/v21.0/{wa2.waba_id}/subscribed_apps", headers=bearer(wa2.access_token)).json()["data"]) == 1
        graph.delete(f"/v21.0/{ig.page_id}/subscribed_apps", headers=bearer(ig.access_token))
        assert graph.get(f"/v21.0/{fb.page_id}/subscribed_apps", headers=bearer(fb.access_token)).json() == {"data": []}
        page = graph.get(f"/v21.0/{fb.page_id}", params={"fields": "name,instagram_business_account"},
                         headers=bearer(fb.access_token)).json()
        assert page == {"name": fb.name, "instagram_business_account": {"id": ig.ig_account_id}, "id": fb.page_id}
        accounts = graph.get("/v21.0/me/accounts", headers=bearer(w.user_access_token)).json()["data"]
        assert len(accounts) == 1 and accounts[0]["instagram_business_account"]["id"] == ig.ig_account_id
        # the IG token sends as Instagram through the shared Page
        sim.set_options(w.world_id, enforce_window=False)
        r = graph.post(f"/v21.0/{fb.page_id}/messages", headers=bearer(ig.access_token),
                       json={"recipient": {"id": "6100000000000001"}, "message": {"text": "x" * 1001}})
        assert r.status_code == 400 and "1000" in r.json()["error"]["message"]
    finally:
        sim.delete_world(w.world_id)


@pytest.mark.parametrize("assets", [
    [{"channel": "whatsapp", "share_with": 0}],
    [{"channel": "facebook"}, {"channel": "whatsapp", "share_with": 0}],
    [{"channel": "whatsapp"}, {"channel": "facebook", "share_with": 0}],
])
def test_bad_sharing_is_400(graph, assets):
    r = graph.post("/_sim/worlds", json={"assets": assets})
    assert r.status_code == 400 and "share_with" in r.json()["detail"]
