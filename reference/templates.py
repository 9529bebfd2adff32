"""WhatsApp templates: validation, CRUD mirrored at Meta (/{waba_id}/message_templates), and template sends."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from reference.clock import Clock
from reference.crypto import new_id
from reference.db import Database
from fiwano_conformance.shared import json_read
from reference.meta_client import MetaClient
from reference.repos.channels import Channel

NAME_RE = re.compile(r"[a-z0-9_]+")
LANG_RE = re.compile(r"[A-Za-z]{2,3}(?:_[A-Za-z0-9]{2,4})?")
CATEGORIES = ("MARKETING", "UTILITY", "AUTHENTICATION")
FORMATS = ("positional", "named")
COMPONENT_TYPES = ("BODY", "HEADER", "FOOTER", "BUTTONS")
STATUS_FILTERS = ("APPROVED", "PENDING", "REJECTED")
FIELDS = "id,name,language,status,category,components,parameter_format"


def meta_refused(result: Any) -> bool:
    """Meta answered a permanent client error: HTTP 4xx (not 429), not transient, with a Graph error code."""
    status = result.http_status
    return (not result.ok and not result.transient and status is not None and 400 <= status < 500
            and status != 429 and result.error_code is not None)


class TemplateError(Exception):
    def __init__(self, status_code: int, detail: Any) -> None:
        super().__init__(str(detail))
        self.status_code = status_code
        self.detail = detail


def validate_name(name: Any, max_chars: int) -> str:
    if not isinstance(name, str) or not NAME_RE.fullmatch(name) or not name.isascii():
        raise TemplateError(422, "name must contain only lower-case letters a-z, digits and underscores")
    if len(name) > max_chars:
        raise TemplateError(422, f"name must be at most {max_chars} characters (got {len(name)})")
    return name


def validate_components(components: Any) -> list[dict[str, Any]]:
    if not isinstance(components, list) or not components:
        raise TemplateError(422, "components must be a non-empty list")
    seen: list[str] = []
    for component in components:
        if not isinstance(component, dict) or not isinstance(component.get("type"), str):
            raise TemplateError(422, "every component must be an object with a type")
        kind = component["type"].upper()
        if kind not in COMPONENT_TYPES:
            raise TemplateError(422, f"component type {component['type']!r} is not one of {', '.join(COMPONENT_TYPES)}")
        if kind in seen:
            raise TemplateError(422, f"component {kind} appears more than once")
        seen.append(kind)
        if kind == "HEADER" and str(component.get("format", "TEXT")).upper() != "TEXT":
            raise TemplateError(422, "HEADER components may only have format TEXT")
        if kind in ("BODY", "HEADER", "FOOTER") and not isinstance(component.get("text"), str):
            raise TemplateError(422, f"{kind} needs a text")
        if kind == "BUTTONS" and not isinstance(component.get("buttons"), list):
            raise TemplateError(422, "BUTTONS needs a buttons list")
    if "BODY" not in seen:
        raise TemplateError(422, "components must contain a BODY")
    return components


@dataclass
class Template:
    id: str
    account_id: str
    channel_id: str
    meta_template_id: str | None
    name: str
    language: str
    category: str
    status: str
    parameter_format: str
    components: list[dict[str, Any]]
    edit_log: list[float]

    def view(self) -> dict[str, Any]:
        return {"id": self.id, "name": self.name, "language": self.language, "category": self.category,
                "status": self.status, "parameter_format": self.parameter_format, "components": self.components,
                "meta_template_id": self.meta_template_id}


def _template(row: Any) -> Template:
    values = dict(row)
    values.pop("created_at")
    values.pop("updated_at")
    values["components"] = json_read.loads_text(values["components"])  # orjson where it reads as json.loads
    values["edit_log"] = json_read.loads_text(values["edit_log"])
    return Template(**values)


class TemplateService:
    def __init__(self, *, db: Database, meta: MetaClient, clock: Clock, profile: dict[str, Any]) -> None:
        self.db = db
        self.meta = meta
        self.clock = clock
        self.max_name = int(profile["template_name_max_chars"])
        edit = profile["template_edit"]
        self.max_edits = int(edit["max_per_30_days"])
        self.min_interval = float(edit["min_interval_seconds"])
        self.edit_window = float(profile["template_edit_window_seconds"])
        self.name_lock = float(profile["deleted_template_name_lock_seconds"])

    # storage -------------------------------------------------------------------------------------------
    def list_local(self, channel_id: str, status: str | None = None) -> list[Template]:
        sql, params = "SELECT * FROM templates WHERE channel_id = ?", [channel_id]
        if status:
            sql += " AND status = ?"
            params.append(status)
        return [_template(r) for r in self.db.all(sql + " ORDER BY name, language", tuple(params))]

    def get_local(self, channel_id: str, template_id: str) -> Template | None:
        row = self.db.one("SELECT * FROM templates WHERE channel_id = ? AND id = ?", (channel_id, template_id))
        return _template(row) if row else None

    def find(self, channel_id: str, name: str, language: str) -> Template | None:
        row = self.db.one("SELECT * FROM templates WHERE channel_id = ? AND name = ? AND language = ?",
                          (channel_id, name, language))
        return _template(row) if row else None

    def _upsert(self, channel: Channel, meta: dict[str, Any]) -> None:
        now = self.clock.now()
        meta_id = str(meta.get("id") or "")
        existing = self.db.one("SELECT id FROM templates WHERE channel_id = ? AND meta_template_id = ?",
                               (channel.id, meta_id)) if meta_id else None
        values = (str(meta.get("name") or ""), str(meta.get("language") or ""),
                  str(meta.get("category") or "UTILITY").upper(), str(meta.get("status") or "PENDING").upper(),
                  str(meta.get("parameter_format") or "positional").lower(), json.dumps(meta.get("components") or []))
        if existing:
            self.db.execute("UPDATE templates SET name = ?, language = ?, category = ?, status = ?, parameter_format = ?,"
                            " components = ?, updated_at = ? WHERE id = ?", (*values, now, existing["id"]))
        else:
            self.db.execute("INSERT INTO templates (id, account_id, channel_id, meta_template_id, name, language, category,"
                            " status, parameter_format, components, created_at, updated_at)"
                            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                            ("tpl_" + new_id(6), channel.account_id, channel.id, meta_id or None, *values, now, now))

    # Meta -----------------------------------------------------------------------------------------------
    def _meta_failed(self, what: str, result: Any) -> TemplateError:
        """502 for an upstream failure (retry may help); 400 with Meta's reason when Meta refused the request
        itself (a 4xx that is not transient and not a rate limit): retrying it can never succeed, and the caller
        must see why (issue 18 row 6: a second edit of an approved template, Meta 100/2388039, was a 502)."""
        if meta_refused(result):
            reason = result.error_message or "no reason given"
            codes = f"code {result.error_code}" + (f"/{result.error_subcode}" if result.error_subcode else "")
            return TemplateError(400, f"Meta rejected {what}: {reason} ({codes})")
        return TemplateError(502, f"Meta API error while {what}: {result.error_message}")

    async def sync(self, channel: Channel) -> None:
        items: list[dict[str, Any]] = []
        params: dict[str, Any] = {"fields": FIELDS, "limit": 100}
        for _ in range(50):
            result = await self.meta.request("GET", self.meta.path(channel.waba_id or "", "message_templates"),
                                             channel.access_token, params=params)
            if not result.ok or not isinstance(result.data, dict):
                raise self._meta_failed("listing templates", result)
            items += [t for t in result.data.get("data") or [] if isinstance(t, dict)]
            after = ((result.data.get("paging") or {}).get("cursors") or {}).get("after")
            if not after or not (result.data.get("paging") or {}).get("next"):
                break
            params = {**params, "after": after}
        with self.db.transaction():
            seen = {str(t.get("id")) for t in items if t.get("id")}
            for item in items:
                self._upsert(channel, item)
            for local in self.list_local(channel.id):
                if local.meta_template_id and local.meta_template_id not in seen:
                    self.db.execute("DELETE FROM templates WHERE id = ?", (local.id,))

    async def create(self, channel: Channel, body: dict[str, Any]) -> Template:
        name = validate_name(body.get("name"), self.max_name)
        lock = self.db.one("SELECT until FROM template_name_locks WHERE waba_id = ? AND name = ?",
                           (channel.waba_id, name))
        if lock and lock["until"] > self.clock.now():
            raise TemplateError(400, f"A template named {name!r} was deleted after approval; the name is locked "
                                     "for 30 days (Meta restriction)")
        if self.find(channel.id, name, body["language"]) is not None:
            raise TemplateError(400, f"Template {name!r} already exists in language {body['language']}")
        payload = {"name": name, "language": body["language"], "category": body["category"],
                   "components": body["components"], "parameter_format": body["parameter_format"]}
        result = await self.meta.request("POST", self.meta.path(channel.waba_id or "", "message_templates"),
                                         channel.access_token, json_body=payload)
        if not result.ok or not isinstance(result.data, dict) or not result.data.get("id"):
            raise self._meta_failed("creating the template", result)
        self._upsert(channel, {**payload, "id": result.data["id"], "status": result.data.get("status", "PENDING"),
                               "category": result.data.get("category", body["category"])})
        created = self.db.one("SELECT * FROM templates WHERE channel_id = ? AND meta_template_id = ?",
                              (channel.id, str(result.data["id"])))
        return _template(created)

    async def update(self, channel: Channel, template: Template, components: list[dict[str, Any]],
                     category: str | None) -> Template:
        now = self.clock.now()
        if category is not None and category != template.category and template.status not in ("REJECTED", "PAUSED"):
            raise TemplateError(400, "The category can only be changed while the template is REJECTED or PAUSED")
        if template.status == "APPROVED":
            recent = [t for t in template.edit_log if now - t < self.edit_window]
            if recent and now - max(recent) < self.min_interval:
                raise TemplateError(400, "An approved template can be edited only once per 24 hours")
            if len(recent) >= self.max_edits:
                raise TemplateError(400, f"An approved template can be edited at most {self.max_edits} times "
                                         "in 30 days")
        payload: dict[str, Any] = {"components": components}
        if category is not None:
            payload["category"] = category
        result = await self.meta.request("POST", self.meta.path(template.meta_template_id or ""),
                                         channel.access_token, json_body=payload)
        if not result.ok:
            raise self._meta_failed("updating the template", result)
        log = template.edit_log + ([now] if template.status == "APPROVED" else [])
        self.db.execute("UPDATE templates SET components = ?, category = ?, status = 'PENDING', edit_log = ?,"
                        " updated_at = ? WHERE id = ?",
                        (json.dumps(components), category or template.category, json.dumps(log), now, template.id))
        updated = self.get_local(channel.id, template.id)
        assert updated is not None
        return updated

    async def delete(self, channel: Channel, template: Template, all_languages: bool) -> list[str]:
        params: dict[str, Any] = {"name": template.name}
        if not all_languages and template.meta_template_id:
            params["hsm_id"] = template.meta_template_id
        result = await self.meta.request("DELETE", self.meta.path(channel.waba_id or "", "message_templates"),
                                         channel.access_token, params=params)
        if not result.ok:
            raise self._meta_failed("deleting the template", result)
        victims = [t for t in self.list_local(channel.id) if t.name == template.name] if all_languages else [template]
        with self.db.transaction():
            for victim in victims:
                self.db.execute("DELETE FROM templates WHERE id = ?", (victim.id,))
                if victim.status == "APPROVED":
                    self.db.execute("INSERT OR REPLACE INTO template_name_locks (waba_id, name, until) VALUES (?, ?, ?)",
                                    (channel.waba_id, victim.name, self.clock.now() + self.name_lock))
        return [v.id for v in victims]


def _texts(values: Any, named: bool) -> list[dict[str, Any]]:
    if isinstance(values, dict):
        return [{"type": "text", "parameter_name": str(k), "text": str(v)} for k, v in values.items()]
    return [{"type": "text", "text": str(v)} for v in values]


def template_body(recipient: str, template: Template, variables: dict[str, Any] | None) -> dict[str, Any]:
    """WhatsApp ``type: template`` body; variables keyed by component (header, body, buttons)."""
    components: list[dict[str, Any]] = []
    variables = variables or {}
    named = template.parameter_format == "named"
    if variables.get("header"):
        components.append({"type": "header", "parameters": _texts(variables["header"], named)})
    if variables.get("body"):
        components.append({"type": "body", "parameters": _texts(variables["body"], named)})
    buttons_def: list[dict[str, Any]] = []
    for component in template.components:
        if isinstance(component, dict) and str(component.get("type", "")).upper() == "BUTTONS":
            buttons_def = [b for b in component.get("buttons") or [] if isinstance(b, dict)]
    for button in variables.get("buttons") or []:
        index = int(button["index"])
        kind = str(buttons_def[index].get("type", "URL")).upper() if index < len(buttons_def) else "URL"
        if kind == "QUICK_REPLY":
            sub, param = "quick_reply", {"type": "payload", "payload": str(button["value"])}
        elif kind == "COPY_CODE":
            sub, param = "copy_code", {"type": "coupon_code", "coupon_code": str(button["value"])}
        else:
            sub, param = "url", {"type": "text", "text": str(button["value"])}
        components.append({"type": "button", "sub_type": sub, "index": str(index), "parameters": [param]})
    template_obj: dict[str, Any] = {"name": template.name, "language": {"code": template.language}}
    if components:
        template_obj["components"] = components
    return {"messaging_product": "whatsapp", "recipient_type": "individual", "to": recipient, "type": "template",
            "template": template_obj}
