"""Template management: create → PENDING → review; list/filter/paging; edit limits; delete and name lock."""

from __future__ import annotations

import json

import pytest

from .conftest import bearer

DAY = 86400
BODY = {"type": "BODY", "text": "Hi {{1}}, order {{2}} is ready.", "example": {"body_text": [["Pablo", "ORD-1"]]}}


def _create(graph, wa, name="order_ready", language="en_US", **extra):
    body = {"name": name, "language": language, "category": "UTILITY", "components": [BODY], **extra}
    return graph.post(f"/v21.0/{wa.waba_id}/message_templates", headers=bearer(wa.access_token), json=body)


def _send_template(graph, wa, name="order_ready", params=("Pablo", "ORD-1"), to="4915100000400", named=None):
    parameters = [{"type": "text", "text": p} for p in params]
    if named is not None:
        parameters = [{"type": "text", "parameter_name": k, "text": v} for k, v in named.items()]
    return graph.post(f"/v21.0/{wa.phone_number_id}/messages", headers=bearer(wa.access_token),
                      json={"messaging_product": "whatsapp", "to": to, "type": "template",
                            "template": {"name": name, "language": {"code": "en_US"},
                                         "components": [{"type": "body", "parameters": parameters}]}})


def test_lifecycle_create_review_send(sim, graph, world, receiver):
    wa = world.asset("whatsapp")
    r = _create(graph, wa)
    assert r.status_code == 200 and r.json()["status"] == "PENDING" and r.json()["category"] == "UTILITY"
    template_id = r.json()["id"]
    assert _send_template(graph, wa).json()["error"]["code"] == 132001          # not approved yet
    review = sim.review_template(world.world_id, template_id, "APPROVED")
    assert review["delivery"]["status"] == 200
    (request,) = receiver.for_world(world)
    change = json.loads(request["raw"])["entry"][0]["changes"][0]
    assert change["field"] == "message_template_status_update"
    assert change["value"]["event"] == "APPROVED" and change["value"]["message_template_id"] == int(template_id)
    r = _send_template(graph, wa)                                                # outside any window: fine
    assert r.status_code == 200 and r.json()["messages"][0]["message_status"] == "accepted"
    r = _send_template(graph, wa, params=("only one",))
    assert r.status_code == 400 and r.json()["error"]["code"] == 132000
    r = graph.post(f"/v21.0/{wa.phone_number_id}/messages", headers=bearer(wa.access_token),
                   json={"messaging_product": "whatsapp", "to": "4915100000400", "type": "template",
                         "template": {"name": "order_ready", "language": "en_US"}})
    assert r.status_code == 400 and r.json()["error"]["code"] == 100


def test_named_parameters(sim, graph, world):
    wa = world.asset("whatsapp")
    body = {"type": "BODY", "text": "Hi {{customer_name}}, order {{order_number}}",
            "example": {"body_text_named_params": [{"param_name": "customer_name", "example": "P"},
                                                   {"param_name": "order_number", "example": "1"}]}}
    r = graph.post(f"/v21.0/{wa.waba_id}/message_templates", headers=bearer(wa.access_token),
                   json={"name": "named_one", "language": "en_US", "category": "UTILITY",
                         "parameter_format": "NAMED", "components": [body]})
    sim.review_template(world.world_id, r.json()["id"], "APPROVED", notify=False)
    ok = _send_template(graph, wa, "named_one", named={"customer_name": "Pablo", "order_number": "ORD-1"})
    assert ok.status_code == 200
    missing = _send_template(graph, wa, "named_one", params=("Pablo", "ORD-1"))
    assert missing.status_code == 400 and missing.json()["error"]["code"] == 100
    wrong = _send_template(graph, wa, "named_one", named={"customer_name": "P", "other": "x"})
    assert wrong.json()["error"]["code"] == 132000


@pytest.mark.parametrize("override,subcode", [
    ({"name": "Bad Name"}, None), ({"language": "english"}, None), ({"category": "SPAM"}, None),
    ({"name": "order_ready\n"}, None), ({"language": "en_US\n"}, None),
    ({"components": []}, None), ({"components": "x"}, None),
    ({"components": [{"type": "BODY", "text": "x" * 1025}]}, None),
])
def test_create_validation(graph, world, override, subcode):
    wa = world.asset("whatsapp")
    body = {"name": "t1", "language": "en_US", "category": "UTILITY", "components": [BODY], **override}
    r = graph.post(f"/v21.0/{wa.waba_id}/message_templates", headers=bearer(wa.access_token), json=body)
    assert r.status_code == 400 and r.json()["error"]["code"] == 100


def test_duplicate_and_list_filters_and_paging(sim, graph, world):
    wa = world.asset("whatsapp")
    ids = [_create(graph, wa, name=f"tpl_{i}").json()["id"] for i in range(5)]
    dup = _create(graph, wa, name="tpl_0")
    assert dup.status_code == 400 and dup.json()["error"]["error_subcode"] == 2388024
    assert _create(graph, wa, name="tpl_0", language="de").status_code == 200   # another language is fine
    sim.review_template(world.world_id, ids[1], "APPROVED", notify=False)
    sim.review_template(world.world_id, ids[2], "REJECTED", notify=False)
    url = f"/v21.0/{wa.waba_id}/message_templates"
    listed = graph.get(url, headers=bearer(wa.access_token), params={"status": "approved"}).json()
    assert [t["id"] for t in listed["data"]] == [ids[1]]
    assert listed["data"][0]["status"] == "APPROVED" and listed["data"][0]["components"][0]["type"] == "BODY"
    page1 = graph.get(url, headers=bearer(wa.access_token), params={"limit": 4}).json()
    assert len(page1["data"]) == 4 and "next" in page1["paging"]
    page2 = graph.get(url, headers=bearer(wa.access_token),
                      params={"limit": 4, "after": page1["paging"]["cursors"]["after"]}).json()
    assert len(page2["data"]) == 2 and "next" not in page2["paging"]
    one = graph.get(f"/v21.0/{ids[2]}", headers=bearer(wa.access_token), params={"fields": "status,rejected_reason"})
    assert one.json() == {"status": "REJECTED", "rejected_reason": "INVALID_FORMAT", "id": ids[2]}


def test_edit_rules(sim, graph, world):
    wa = world.asset("whatsapp")
    tid = _create(graph, wa).json()["id"]
    new = [{"type": "BODY", "text": "Hello {{1}} and {{2}}"}]
    edit = lambda body: graph.post(f"/v21.0/{tid}", headers=bearer(wa.access_token), json=body)  # noqa: E731
    r = edit({"components": new})
    assert r.status_code == 400 and r.json()["error"]["error_subcode"] == 2388039      # PENDING: not editable
    sim.review_template(world.world_id, tid, "APPROVED", notify=False)
    assert edit({"category": "MARKETING"}).status_code == 400                           # approved: no category change
    assert edit({"name": "x"}).status_code == 400
    assert edit({"components": new}).json() == {"success": True}
    assert graph.get(f"/v21.0/{tid}", headers=bearer(wa.access_token)).json()["status"] == "PENDING"
    sim.review_template(world.world_id, tid, "APPROVED", notify=False)
    r = edit({"components": new})                                                       # second edit within 24 h
    assert r.status_code == 400 and r.json()["error"]["code"] == 100
    for _ in range(9):
        sim.advance_clock(DAY + 1, world_id=world.world_id)
        assert edit({"components": new}).status_code == 200
        sim.review_template(world.world_id, tid, "APPROVED", notify=False)
    sim.advance_clock(DAY + 1, world_id=world.world_id)
    assert edit({"components": new}).status_code == 400                                 # 10 per 30 days used up
    sim.review_template(world.world_id, tid, "REJECTED", notify=False)
    assert edit({"components": new}).status_code == 200                                 # rejected: unlimited


def test_delete_and_30_day_name_lock(sim, graph, world):
    wa = world.asset("whatsapp")
    url = f"/v21.0/{wa.waba_id}/message_templates"
    tid = _create(graph, wa, name="promo").json()["id"]
    sim.review_template(world.world_id, tid, "APPROVED", notify=False)
    r = graph.delete(url, headers=bearer(wa.access_token), params={"name": "nope"})
    assert r.status_code == 400
    assert graph.delete(url, headers=bearer(wa.access_token), params={"name": "promo"}).json() == {"success": True}
    assert graph.get(f"/v21.0/{tid}", headers=bearer(wa.access_token)).status_code == 400
    assert _create(graph, wa, name="promo").status_code == 400                          # name locked
    sim.advance_clock(30 * DAY, world_id=world.world_id)
    assert _create(graph, wa, name="promo").status_code == 200
    # a never-approved template's name is free at once; hsm_ids deletes several
    a, b = (_create(graph, wa, name=n).json()["id"] for n in ("draft_a", "draft_b"))
    r = graph.delete(url, headers=bearer(wa.access_token), params={"hsm_ids": json.dumps([a, b])})
    assert r.json() == {"success": True}
    assert _create(graph, wa, name="draft_a").status_code == 200
