"""Helpers of the WhatsApp template suites (test_templates.py, test_template_send.py).

Templates live at Meta (the simulator's WABA); the target mirrors them. These helpers build requests,
read the target's answers (whose list shape the docs leave open) and look at Meta's side through the
simulator's control client and journal only.
"""

from __future__ import annotations

import random
from typing import Any

import httpx

from suites import expect

LANGUAGE = "en_US"


# ------------------------------------------------------------------------------------------- requests


def body_component(text: str = "Hi {{1}}, your order {{2}} is confirmed.",
                   example: Any = (("Pablo", "ORD-123"),)) -> dict[str, Any]:
    component: dict[str, Any] = {"type": "BODY", "text": text}
    if example is not None:
        key = "body_text_named_params" if isinstance(example, list) and example and isinstance(example[0], dict) \
            else "body_text"
        component["example"] = {key: [list(row) for row in example] if key == "body_text" else example}
    return component


def template_request(name: str, *, category: str = "UTILITY", language: Any = LANGUAGE,
                     components: list[dict[str, Any]] | None = None,
                     parameter_format: str | None = "positional") -> dict[str, Any]:
    body: dict[str, Any] = {"name": name, "category": category, "language": language,
                            "components": components if components is not None else [body_component()]}
    if parameter_format is not None:
        body["parameter_format"] = parameter_format
    return body


def unique_name(rng: random.Random, prefix: str = "kit") -> str:
    return f"{prefix}_{rng.randrange(16 ** 8):08x}"


def create(client, channel_id: str, body: dict[str, Any]) -> httpx.Response:
    return client.request("POST", f"/channels/{channel_id}/templates", json=body)


def listing(client, channel_id: str, **params: Any) -> httpx.Response:
    return client.request("GET", f"/channels/{channel_id}/templates", params=params or None)


def get(client, channel_id: str, template_id: str) -> httpx.Response:
    return client.request("GET", f"/channels/{channel_id}/templates/{template_id}")


def update(client, channel_id: str, template_id: str, body: dict[str, Any]) -> httpx.Response:
    return client.request("PUT", f"/channels/{channel_id}/templates/{template_id}", json=body)


def delete(client, channel_id: str, template_id: str, all_languages: str | None = None) -> httpx.Response:
    params = {"all_languages": all_languages} if all_languages is not None else None
    return client.request("DELETE", f"/channels/{channel_id}/templates/{template_id}", params=params)


def send_template(client, body: dict[str, Any]) -> httpx.Response:
    return client.request("POST", "/messages/send-template", json=body)


# ------------------------------------------------------------------------------------------- answers


def templates_in(response: httpx.Response, req: str | tuple[str, ...], what: str = "template list") -> list[dict]:
    """The templates of a list answer: a JSON array, or an object holding one (``templates``/``data``)."""
    expect.status(response, 200, req, what)
    body = response.json()
    if isinstance(body, dict):
        lists = [body[k] for k in ("templates", "data", "items") if isinstance(body.get(k), list)]
        lists = lists or [v for v in body.values() if isinstance(v, list)]
        expect.check(len(lists) == 1, req, what, "an array of templates or an object holding one", body)
        body = lists[0]
    expect.check(isinstance(body, list) and all(isinstance(t, dict) for t in body), req, what,
                 "a list of template objects", body)
    return body


def listed(client, channel_id: str, req: str | tuple[str, ...], **params: Any) -> list[dict]:
    return templates_in(listing(client, channel_id, **params), req,
                        f"list templates{' ' + str(params) if params else ''}")


def keyed(templates: list[dict]) -> dict[tuple[str, str], dict]:
    """(name, language) -> template."""
    return {(t.get("name"), t.get("language")): t for t in templates}


def created(response: httpx.Response, req: str | tuple[str, ...], what: str = "create template") -> dict[str, Any]:
    """A successful creation: 200/201 with the template (and its id)."""
    expect.status(response, (200, 201), req, what)
    body = expect.json_object(response, req, what)
    expect.check(isinstance(body.get("id"), (str, int)) and str(body["id"]), req, what,
                 "the created template with its id", body)
    return body


def refused(response: httpx.Response, req: str | tuple[str, ...], what: str) -> None:
    """A client error (400, or 422 for validation: ERR-VALIDATION-STATUS) with the documented error format."""
    expect.check(response.status_code in (400, 422), req, what, "a refusal with HTTP 400 or 422",
                 expect.describe(response))
    expect.error_detail(response, req, f"{what}: error body", string=False)


def status_of(template: dict[str, Any] | None) -> str | None:
    return str(template.get("status")).upper() if template and template.get("status") is not None else None


def same_type(component: dict[str, Any]) -> str:
    return str(component.get("type", "")).upper()


# ------------------------------------------------------------------------------------------- Meta side


def meta_templates(simulator, world_id: str, deleted: bool = False) -> list[dict[str, Any]]:
    return [t for t in simulator.templates(world_id) if deleted or t.get("status") != "DELETED"]


def meta_template(simulator, world_id: str, name: str, language: str = LANGUAGE) -> dict[str, Any] | None:
    found = [t for t in meta_templates(simulator, world_id) if t["name"] == name and t["language"] == language]
    return found[0] if found else None


def review(simulator, ch, name: str, status: str = "APPROVED", language: str = LANGUAGE,
           notify: bool = True) -> dict[str, Any]:
    """Meta's reviewer decides; ``notify`` also sends message_template_status_update to the target."""
    tpl = meta_template(simulator, ch.world.world_id, name, language)
    expect.check(tpl is not None, "TPL-CREATE-PENDING", f"template {name!r} ({language}) at Meta",
                 "created at Meta by the target", [t["name"] for t in meta_templates(simulator, ch.world.world_id)])
    return simulator.review_template(ch.world.world_id, tpl["id"], status=status, notify=notify)["template"]


def last_seq(simulator, world_id: str) -> int:
    entries = simulator.journal(world_id)
    return entries[-1].seq if entries else 0


def calls(simulator, world_id: str, since: int = 0, method: str | None = None,
          path_contains: str | None = None) -> list[Any]:
    return simulator.journal(world_id, method=method, path_contains=path_contains, since_seq=since or None)


def describe_calls(entries) -> list[str]:
    return [f"{e.method} {e.path} {e.query or ''}".strip() for e in entries]


def template_sends(simulator, world_id: str, since: int = 0) -> list[dict[str, Any]]:
    """The bodies of WhatsApp template sends Meta received (``type: template``)."""
    out = []
    for entry in calls(simulator, world_id, since, method="POST", path_contains="/messages"):
        body = entry.json if isinstance(entry.json, dict) else {}
        if body.get("type") == "template":
            out.append(body)
    return out


def message_sends(simulator, world_id: str, since: int = 0) -> list[Any]:
    return calls(simulator, world_id, since, method="POST", path_contains="/messages")


# ------------------------------------------------------------------------------------------- set-ups


def new_template(client, ch, simulator, name: str, *, status: str | None = "APPROVED", **fields: Any) -> dict:
    """Create a template through the target, let Meta decide ``status`` and sync the target's list.

    Returns the target's view of it after the sync.
    """
    made = created(create(client, ch.id, template_request(name, **fields)), "TPL-CREATE-PENDING",
                   f"create template {name!r}")
    if status is not None and status != "PENDING":
        review(simulator, ch, name, status, language=fields.get("language", LANGUAGE))
    found = keyed(listed(client, ch.id, "TPL-LIST-SYNC-DEFAULT")).get((name, fields.get("language", LANGUAGE)))
    expect.check(found is not None and str(found.get("id")) == str(made["id"]), "TPL-LIST-SYNC-DEFAULT",
                 f"template {name!r} in the synced list", f"listed with id {made['id']!r}", found)
    expect.check(status is None or status_of(found) == status, "TPL-LIFECYCLE",
                 f"status of {name!r} after Meta's review and a sync", status, status_of(found))
    return found


__all__ = [name for name in dir() if not name.startswith("_") and name not in ("annotations", "random", "httpx",
                                                                               "Any", "expect")]
