"""WhatsApp message templates: create/list/get/edit/delete on the WABA, and the checks at send time.

Lifecycle as Meta runs it (meta-facts.md §1.3): a new template is PENDING until reviewed (here: by the
control API, which also emits ``message_template_status_update``); only APPROVED templates send;
APPROVED, REJECTED and PAUSED templates are editable (components replaced wholesale, an edit sends the
template back to PENDING), APPROVED ones at most once per 24 h and ten times per 30 days; deleting an
APPROVED template locks its name for 30 days. Times are the world's virtual clock.
"""

from __future__ import annotations

import base64
import re
from dataclasses import dataclass, field
from typing import Any

from simulator import ids
from simulator.errors import GraphError, invalid, unknown_object
from simulator.graph.assets import _select
from simulator.graph.context import GraphCall, GraphResult
from simulator.world import Asset, World

DAY = 86400
NAME_RE = re.compile(r"[a-z0-9_]{1,512}")  # used with fullmatch: "$" would let a trailing newline in
LANGUAGE_RE = re.compile(r"[a-z]{2,3}(_[A-Z]{2,4})?")
CATEGORIES = ("MARKETING", "UTILITY", "AUTHENTICATION")
EDITABLE = ("APPROVED", "REJECTED", "PAUSED")
MAX_TEMPLATES = 250
POSITIONAL_RE = re.compile(r"\{\{\s*(\d+)\s*\}\}")
NAMED_RE = re.compile(r"\{\{\s*([a-z_][a-z0-9_]*)\s*\}\}")
LIMITS = {"HEADER": 60, "BODY": 1024, "FOOTER": 60}  # UNCONFIRMED (third-party figures)
BUTTON_TEXT_LIMIT = 25


@dataclass
class Template:
    id: str
    waba_id: str
    name: str
    language: str
    category: str
    components: list[dict[str, Any]]
    parameter_format: str
    status: str = "PENDING"
    created_at: float = 0.0
    edits: list[float] = field(default_factory=list)
    rejected_reason: str = "NONE"
    message_send_ttl_seconds: int | None = None

    def full(self) -> dict[str, Any]:
        out = {"id": self.id, "name": self.name, "language": self.language, "status": self.status,
               "category": self.category, "components": self.components, "parameter_format": self.parameter_format,
               "rejected_reason": self.rejected_reason, "quality_score": {"score": "UNKNOWN", "date": int(self.created_at)},
               "last_updated_time": None, "message_send_ttl_seconds": self.message_send_ttl_seconds,
               "sub_category": None, "previous_category": None, "correct_category": None,
               "library_template_name": None, "cta_url_link_tracking_opted_out": None,
               "degrees_of_freedom_spec": None}
        return out


DEFAULT_FIELDS = ("name", "components", "language", "status", "category", "id", "parameter_format")


def _templates_of(world: World, waba_id: str) -> list[Template]:
    return [t for t in world.templates.values() if t.waba_id == waba_id and t.status != "DELETED"]


def _body_text(components: list[dict[str, Any]], kind: str) -> str | None:
    for comp in components:
        if str(comp.get("type", "")).upper() == kind:
            text = comp.get("text")
            return text if isinstance(text, str) else None
    return None


def _placeholders(text: str | None, fmt: str) -> list[str]:
    if not text:
        return []
    found = (NAMED_RE if fmt == "NAMED" else POSITIONAL_RE).findall(text)
    return list(dict.fromkeys(found))


def _validate_components(components: Any, category: str) -> list[dict[str, Any]]:
    if not isinstance(components, list) or not all(isinstance(c, dict) for c in components):
        raise invalid("Param components must be an array of component objects")
    kinds = [str(c.get("type", "")).upper() for c in components]
    for kind, comp in zip(kinds, components, strict=True):
        if kind not in ("HEADER", "BODY", "FOOTER", "BUTTONS"):
            raise invalid(f"Invalid component type {comp.get('type')!r}")
        text = comp.get("text")
        if text is not None and not isinstance(text, str):
            raise invalid(f"{kind} text must be a string")
        if kind in LIMITS and isinstance(text, str) and len(text) > LIMITS[kind]:
            raise invalid(f"{kind} text is too long: maximum {LIMITS[kind]} characters")
        if kind == "BUTTONS":
            buttons = comp.get("buttons")
            if not isinstance(buttons, list) or not buttons or not all(isinstance(b, dict) for b in buttons):
                raise invalid("BUTTONS component needs a non-empty buttons array")
            for button in buttons:
                label = button.get("text")
                if label is not None and (not isinstance(label, str) or len(label) > BUTTON_TEXT_LIMIT):
                    raise invalid(f"Button text must be a string of at most {BUTTON_TEXT_LIMIT} characters")
    if category != "AUTHENTICATION" and kinds.count("BODY") != 1:
        raise invalid("A template needs exactly one BODY component")
    if len(set(kinds)) != len(kinds):
        raise invalid("Each component type may appear only once")
    return components


def _category(value: Any) -> str:
    if not isinstance(value, str) or value.upper() not in CATEGORIES:
        raise invalid("Param category must be one of MARKETING, UTILITY, AUTHENTICATION")
    return value.upper()


def _parameter_format(value: Any) -> str:
    if value is None:
        return "POSITIONAL"
    if not isinstance(value, str) or value.upper() not in ("POSITIONAL", "NAMED"):
        raise invalid("Param parameter_format must be POSITIONAL or NAMED")
    return value.upper()


# ---- WABA collection --------------------------------------------------------------------------------

def collection(call: GraphCall, asset: Asset) -> GraphResult:
    method = call.request.method
    if method == "POST":
        return _create(call, asset)
    if method == "GET":
        return _list(call, asset)
    if method == "DELETE":
        return _delete(call, asset)
    raise GraphError(100, f"(#100) Unsupported method {method} on message_templates")


def _create(call: GraphCall, asset: Asset) -> GraphResult:
    p = call.params
    world = call.world
    name = p.get("name")
    if not isinstance(name, str) or not NAME_RE.fullmatch(name):
        raise invalid("Template name may only contain lowercase letters, digits and underscores (max 512)",
                      message="(#100) Invalid parameter")
    language = p.get("language")
    if not isinstance(language, str) or not LANGUAGE_RE.fullmatch(language):
        raise invalid("Param language must be a language code such as en_US", message="(#100) Invalid parameter")
    category = _category(p.get("category"))
    fmt = _parameter_format(p.get("parameter_format"))
    components = _validate_components(p.get("components"), category)
    now = call.now()
    with call.store.lock:
        existing = _templates_of(world, asset.waba_id)
        if any(t.name == name and t.language == language for t in existing):
            raise GraphError(100, "(#100) Invalid parameter", subcode=2388024,
                             user_title="Content in This Language Already Exists",
                             user_msg=f"There is already {language} content for this template. Create a new "
                                      "template and try again.")
        lock_until = world.name_locks.get((asset.waba_id, name), 0.0)
        if now < lock_until:
            # UNCONFIRMED: code/subcode for re-creating a name within 30 days of deleting it.
            raise GraphError(100, "(#100) Invalid parameter", subcode=2388023,
                             user_title="Message template name is being deleted",
                             user_msg="A template with this name was deleted; the name can be used again 30 days "
                                      "after deletion.")
        if len(existing) >= MAX_TEMPLATES:
            raise GraphError(2388019, "(#2388019) Message Template Limit Exceeded")
        template = Template(id=ids.template_id(), waba_id=asset.waba_id, name=name, language=language,
                            category=category, components=components, parameter_format=fmt, created_at=now)
        world.templates[template.id] = template
        call.store.register_object(template.id, world)
    return GraphResult({"id": template.id, "status": "PENDING", "category": category})


def _list(call: GraphCall, asset: Asset) -> GraphResult:
    p = call.params
    items = sorted(_templates_of(call.world, asset.waba_id), key=lambda t: t.created_at)
    for key in ("status", "category", "language", "name"):
        value = p.get(key)
        if value is None:
            continue
        if not isinstance(value, str):
            raise invalid(f"Param {key} must be a string")
        wanted = {v.strip().upper() if key in ("status", "category") else v.strip() for v in value.split(",")}
        items = [t for t in items if (getattr(t, key).upper() if key in ("status", "category")
                                      else getattr(t, key)) in wanted]
    try:
        limit = int(p.get("limit", 25))
        start = int(base64.b64decode(p["after"]).decode()) if p.get("after") else 0
    except (ValueError, TypeError):
        raise invalid("Param limit/after is invalid") from None
    if not 1 <= limit <= 1000:
        raise invalid("Param limit must be between 1 and 1000")
    page = items[start:start + min(limit, int(call.world.options.get("graph_page_size_max") or limit))]
    data = [_select(call, t.full(), DEFAULT_FIELDS) for t in page]
    paging: dict[str, Any] = {"cursors": {"before": base64.b64encode(str(start).encode()).decode(),
                                          "after": base64.b64encode(str(start + len(page)).encode()).decode()}}
    if start + len(page) < len(items):
        version = call.request.version or call.store.app["graph_version"]
        paging["next"] = (f"{call.request.base_url}/{version}/{asset.waba_id}/message_templates?limit={limit}"
                          f"&after={paging['cursors']['after']}")
    answer: dict[str, Any] = {"data": data, "paging": paging}
    summary = p.get("summary")
    if isinstance(summary, str) and summary:
        every = _templates_of(call.world, asset.waba_id)
        known = {"total_count": len(items), "message_template_count": len(every),
                 "message_template_limit": MAX_TEMPLATES,
                 "are_translations_complete": True}
        answer["summary"] = {k: known[k] for k in summary.split(",") if k in known}
    return GraphResult(answer)


def _delete(call: GraphCall, asset: Asset) -> GraphResult:
    p = call.params
    world = call.world
    name, hsm_id, hsm_ids = p.get("name"), p.get("hsm_id"), p.get("hsm_ids")
    with call.store.lock:
        live = _templates_of(world, asset.waba_id)
        if hsm_ids is not None:
            if name is not None or hsm_id is not None:
                raise invalid("hsm_ids cannot be combined with name or hsm_id")
            if not isinstance(hsm_ids, list) or not hsm_ids or len(hsm_ids) > 100:
                raise invalid("Param hsm_ids must be an array of 1..100 template ids")
            wanted = {str(i) for i in hsm_ids}
            targets = [t for t in live if t.id in wanted]
            if len(targets) != len(wanted):
                raise GraphError(100, "(#100) Invalid parameter", subcode=2593002,
                                 details="One or more template ids were not found")
        else:
            if not isinstance(name, str) or not name:
                raise GraphError(100, "(#100) The parameter name is required")
            targets = [t for t in live if t.name == name]
            if hsm_id is not None:
                targets = [t for t in targets if t.id == str(hsm_id)]
            if not targets:
                raise GraphError(100, "(#100) Invalid parameter", subcode=2593002,
                                 user_title="Message template not found",
                                 user_msg=f"No template named {name!r} was found.")
        if any(t.status == "DISABLED" for t in targets):
            raise GraphError(100, "(#100) Invalid parameter", details="Disabled templates cannot be deleted")
        now = call.now()
        for t in targets:
            if t.status == "APPROVED":
                world.name_locks[(asset.waba_id, t.name)] = now + 30 * DAY
            t.status = "DELETED"
    return GraphResult({"success": True})


# ---- one template ---------------------------------------------------------------------------------

def item(call: GraphCall, template_id: str) -> GraphResult:
    world = call.world
    template = world.templates[template_id]
    asset = world.asset_by_id(template.waba_id)
    if template.status == "DELETED" or (call.token_asset is not None and call.token_asset is not asset):
        raise unknown_object(call.request.method, template_id)
    if call.request.method == "GET":
        return GraphResult(_select(call, template.full(), DEFAULT_FIELDS))
    if call.request.method == "POST":
        return _edit(call, template)
    raise unknown_object(call.request.method, template_id)


def _edit(call: GraphCall, template: Template) -> GraphResult:
    p = call.params
    allowed = {"components", "category", "message_send_ttl_seconds", "parameter_format"}
    extra = set(p) - allowed
    if extra:
        raise invalid(f"Only category, components and message_send_ttl_seconds can be edited, not {sorted(extra)}")
    if not p:
        raise invalid("Nothing to edit")
    if template.status not in EDITABLE:
        raise GraphError(100, "(#100) Invalid parameter", subcode=2388039,
                         user_title="Message template status can't be changed",
                         user_msg=f"Templates with status {template.status} cannot be edited.")
    now = call.now()
    category = _category(p["category"]) if "category" in p else template.category
    if template.status == "APPROVED":
        if category != template.category:
            raise invalid("The category of an approved template cannot be changed")
        recent_day = [t for t in template.edits if now - t < DAY]
        recent_month = [t for t in template.edits if now - t < 30 * DAY]
        if recent_day or len(recent_month) >= 10:
            # UNCONFIRMED: Meta's exact code for the edit quota; the limits themselves are documented.
            raise GraphError(100, "(#100) Invalid parameter", subcode=2388040,
                             user_title="Edit limit reached",
                             user_msg="Approved templates can be edited once per 24 hours and up to 10 times "
                                      "per 30 days.")
    components = _validate_components(p["components"], category) if "components" in p else template.components
    ttl = p.get("message_send_ttl_seconds")
    if ttl is not None and (not isinstance(ttl, int) or isinstance(ttl, bool) or ttl < 0):
        raise invalid("Param message_send_ttl_seconds must be a non-negative integer")
    with call.store.lock:
        if template.status == "APPROVED":
            template.edits.append(now)
        template.category = category
        template.components = components
        if "parameter_format" in p:
            template.parameter_format = _parameter_format(p["parameter_format"])
        if ttl is not None:
            template.message_send_ttl_seconds = ttl
        template.status = "PENDING"
    return GraphResult({"success": True})


# ---- sending ------------------------------------------------------------------------------------------

def validate_send(call: GraphCall, asset: Asset, params: dict[str, Any]) -> dict[str, Any]:
    tpl = params.get("template")
    if not isinstance(tpl, dict):
        raise invalid("Param template must be a JSON object", message="(#100) Param template must be a JSON object")
    name = tpl.get("name")
    if not isinstance(name, str) or not name:
        raise GraphError(100, "(#100) The parameter template['name'] is required")
    language = tpl.get("language")
    if not isinstance(language, dict) or not isinstance(language.get("code"), str):
        raise invalid("Param template['language'] must be an object with a code",
                      message="(#100) Param template['language'] must be a JSON object")
    code = language["code"]
    components = tpl.get("components", [])
    if not isinstance(components, list) or not all(isinstance(c, dict) for c in components):
        raise invalid("Param template['components'] must be an array of objects")
    candidates = [t for t in _templates_of(call.world, asset.waba_id) if t.name == name and t.language == code]
    template = candidates[0] if candidates else None
    if template is None or template.status not in ("APPROVED", "PAUSED"):
        raise GraphError(132001, details=f"template name ({name}) does not exist in {code}")
    if template.status == "PAUSED":
        raise GraphError(132015, details=f"Template {name} is paused")
    for kind in ("BODY", "HEADER"):
        expected = _placeholders(_body_text(template.components, kind), template.parameter_format)
        given = [c for c in components if str(c.get("type", "")).upper() == kind]
        parameters = given[0].get("parameters", []) if given else []
        if not isinstance(parameters, list) or not all(isinstance(x, dict) for x in parameters):
            raise invalid(f"Param {kind.lower()} parameters must be an array of objects")
        for parameter in parameters:
            ptype = parameter.get("type")
            if not isinstance(ptype, str):
                raise invalid("Each parameter needs a type")
            if ptype == "text" and not isinstance(parameter.get("text"), str):
                raise invalid("Text parameters need a text string")
        if template.parameter_format == "NAMED":
            names = [x.get("parameter_name") for x in parameters]
            if any(not isinstance(n, str) or not n for n in names):
                raise GraphError(100, "(#100) Invalid parameter", details="Parameter name is missing or empty")
            if set(names) != set(expected) or len(names) != len(expected):
                raise GraphError(132000, details=f"{kind.lower()}: parameter names {sorted(set(names))} do not match "
                                                 f"the template's {expected}")
        elif len(parameters) != len(expected):
            raise GraphError(132000, details=f"{kind.lower()}: number of localizable_params ({len(parameters)}) does "
                                             f"not match the expected number of params ({len(expected)})")
    return {"name": name, "language": code, "template_id": template.id, "components": components}
