"""Typed client for the simulator's control API — the only way suites and load tests drive fake Meta.

Synchronous httpx, one method per control call, pydantic models for what comes back. Errors from the
simulator raise ``SimulatorError`` carrying the status and ``detail``.

A simulator split by world (``fiwano-conformance simulator --workers N``, docs/scaling.md) is one URL too: calls
about a world reach its owner through the router. What belongs to no world (the app settings, the global clock,
a reset) lives in every instance, so the client applies it to each, through ``/_sim/instances/{n}/...``; the
number of instances is asked once (``GET /_sim/instances``, 1 for a lone simulator).
"""

from __future__ import annotations

import base64
import warnings
from typing import Any, Iterable

import httpx
from pydantic import BaseModel, ConfigDict, Field


class SimulatorError(RuntimeError):
    def __init__(self, status: int, detail: Any, method: str, path: str) -> None:
        self.status = status
        self.detail = detail
        super().__init__(f"{method} {path} -> {status}: {detail}")


class _Model(BaseModel):
    model_config = ConfigDict(extra="allow", populate_by_name=True)


class Asset(_Model):
    channel: str
    asset_id: str
    access_token: str
    phone_number_id: str | None = None
    waba_id: str | None = None
    display_phone_number: str | None = None
    verified_name: str | None = None
    page_id: str | None = None
    name: str | None = None
    ig_account_id: str | None = None
    username: str | None = None


class World(_Model):
    world_id: str
    label: str | None = None
    user_access_token: str
    assets: list[Asset]
    options: dict[str, Any] = Field(default_factory=dict)

    def asset(self, channel: str) -> Asset:
        """The first asset of ``channel`` (whatsapp | instagram | facebook)."""
        for asset in self.assets:
            if asset.channel == channel:
                return asset
        raise LookupError(f"world {self.world_id} has no {channel} asset")


class Delivery(_Model):
    url: str | None = None
    status: int | None = None
    body: str | None = None
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.status is not None and 200 <= self.status < 300


class InboundResult(_Model):
    message_id: str
    delivery: Delivery
    media_id: str | None = None
    payload: dict[str, Any] | None = None


class HostileResult(_Model):
    """A hostile batch: the ids and texts of its two good messages, the hostile entry's own id (None for
    ``duplicate_entries``), the target's answer and the batch size."""
    kind: str
    good_message_ids: list[str]
    good_texts: list[str]
    hostile_message_id: str | None = None
    delivery: Delivery
    payload_bytes: int


class StatusResult(_Model):
    message_id: str
    delivery: Delivery
    payload: dict[str, Any] | None = None


with warnings.catch_warnings():
    warnings.simplefilter("ignore")  # the field "json" deliberately shadows BaseModel.json (deprecated)

    class JournalEntry(_Model):
        seq: int
        world_id: str | None = None
        method: str
        path: str
        query: dict[str, str] = Field(default_factory=dict)
        headers: dict[str, str] = Field(default_factory=dict)
        body: str = ""
        json: Any = None
        status: int | None = None
        response: Any = None
        virtual_time: float
        real_time: float
        fault: dict[str, Any] | None = None
        body_size: int | None = None      # bytes of the request body as received
        body_sha256: str | None = None    # set when ``body`` was cut to the journal's per-body limit


class SentMessage(_Model):
    message_id: str
    asset_id: str
    channel: str
    recipient: str
    type: str
    payload: dict[str, Any]
    sent_at: float
    statuses: list[str] = Field(default_factory=list)


class ClockState(_Model):
    now: float
    iso: str
    offset_seconds: float


class SimulatorClient:
    def __init__(self, base_url: str, timeout: float = 30.0, transport: httpx.BaseTransport | None = None) -> None:
        self.base_url = base_url.rstrip("/")
        self._http = httpx.Client(base_url=self.base_url, timeout=timeout, transport=transport)
        self._prefixes: list[str] | None = None

    # ---- plumbing ---------------------------------------------------------------------------------
    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> "SimulatorClient":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _call(self, method: str, path: str, json: Any = None, params: dict[str, Any] | None = None) -> Any:
        response = self._http.request(method, path, json=json,
                                      params={k: v for k, v in (params or {}).items() if v is not None})
        if response.status_code >= 400:
            try:
                detail = response.json().get("detail", response.text)
            except ValueError:
                detail = response.text
            raise SimulatorError(response.status_code, detail, method, path)
        if response.status_code == 204 or not response.content:
            return None
        return response.json()

    def instance_prefixes(self) -> list[str]:
        """Where each simulator process behind this URL answers: ``[""]`` for a lone simulator, else
        ``["/_sim/instances/0", ...]`` (the router strips the prefix)."""
        if self._prefixes is None:
            try:
                count = self._call("GET", "/_sim/instances").get("instances", 1)
            except SimulatorError as exc:  # a simulator older than the endpoint: alone
                if exc.status != 404:
                    raise
                count = 1
            self._prefixes = [f"/_sim/instances/{n}" for n in range(count)] if count > 1 else [""]
        return self._prefixes

    def _everywhere(self, method: str, path: str, json: Any = None) -> list[Any]:
        """The same control call on every instance, in order; the answers."""
        return [self._call(method, prefix + path, json=json) for prefix in self.instance_prefixes()]

    # ---- app ----------------------------------------------------------------------------------------
    def health(self) -> dict[str, Any]:
        return self._call("GET", "/_sim/health")

    def get_app(self) -> dict[str, Any]:
        return self._call("GET", "/_sim/app")

    def configure_app(self, app_secret: str | None = None, verify_token: str | None = None,
                      target_webhook_url: str | None = None) -> dict[str, Any]:
        body = {k: v for k, v in (("app_secret", app_secret), ("verify_token", verify_token),
                                  ("target_webhook_url", target_webhook_url)) if v is not None}
        return self._everywhere("PUT", "/_sim/app", json=body)[0]

    def reset(self) -> None:
        self._everywhere("POST", "/_sim/reset")

    # ---- worlds -------------------------------------------------------------------------------------
    def create_world(self, channels: Iterable[str], label: str | None = None,
                     names: Iterable[str | None] | None = None, share_with: dict[int, int] | None = None,
                     **options: Any) -> World:
        """Create a world with one asset per entry of ``channels``; ``share_with={1: 0}`` puts asset 1 on
        the WABA (WhatsApp) or Page (Instagram on a Facebook asset) of asset 0; ``options`` are world options
        (enforce_window, whatsapp_window_error, whatsapp_media_error, cdn_default_fetchable,
        text_length_unit, webhook_retry_delays)."""
        channels = list(channels)
        name_list = list(names) if names is not None else [None] * len(channels)
        assets = [{"channel": c, **({"name": n} if n else {})} for c, n in zip(channels, name_list, strict=True)]
        for index, earlier in (share_with or {}).items():  # {asset index: earlier asset index}
            assets[index]["share_with"] = earlier
        body: dict[str, Any] = {"label": label, "assets": assets}
        if options:
            body["options"] = options
        return World.model_validate(self._call("POST", "/_sim/worlds", json=body))

    def get_world(self, world_id: str) -> World:
        return World.model_validate(self._call("GET", f"/_sim/worlds/{world_id}"))

    def delete_world(self, world_id: str) -> None:
        self._call("DELETE", f"/_sim/worlds/{world_id}")

    def set_options(self, world_id: str, **options: Any) -> World:
        return World.model_validate(self._call("PATCH", f"/_sim/worlds/{world_id}/options", json=options))

    # ---- inbound and statuses -------------------------------------------------------------------------
    def emit_inbound_text(self, world_id: str, asset_id: str, sender: str, text: str,
                          sender_name: str | None = None) -> InboundResult:
        return self.emit_inbound(world_id, asset_id, sender, "text", text=text, sender_name=sender_name)

    def emit_inbound(self, world_id: str, asset_id: str, sender: str, type: str = "text", *,
                     sender_name: str | None = None, content: bytes | None = None, **fields: Any) -> InboundResult:
        """Any inbound type. ``content`` (bytes) becomes ``media.content_base64``; other keyword fields
        (text, caption, media, location, contacts, reaction, interactive, context, signature, copies)
        are passed through."""
        body: dict[str, Any] = {"asset_id": asset_id, "from": sender, "type": type,
                                **{k: v for k, v in fields.items() if v is not None}}
        if sender_name is not None:
            body["from_name"] = sender_name
        if content is not None:
            media = dict(body.get("media") or {})
            media["content_base64"] = base64.b64encode(content).decode()
            body["media"] = media
        return InboundResult.model_validate(self._call("POST", f"/_sim/worlds/{world_id}/inbound", json=body))

    def emit_hostile_webhook(self, world_id: str, asset_id: str, sender: str, kind: str, *,
                             depth: int | None = None, size_bytes: int | None = None) -> HostileResult:
        """One signed batch ``[good text 1, hostile entry, good text 2]`` to the target (kinds and shapes:
        docs/simulator.md, simulator/hostile.py: nan_timestamp, infinite_timestamp, huge_timestamp,
        negative_timestamp, string_timestamp, lone_surrogate, unknown_fields, unknown_types, deep_nesting,
        oversized, duplicate_entries)."""
        body: dict[str, Any] = {"asset_id": asset_id, "from": sender, "kind": kind}
        if depth is not None:
            body["depth"] = depth
        if size_bytes is not None:
            body["size_bytes"] = size_bytes
        return HostileResult.model_validate(
            self._call("POST", f"/_sim/worlds/{world_id}/hostile-webhooks", json=body))

    def emit_status(self, world_id: str, message_id: str, status: str, errors: list[dict[str, Any]] | None = None,
                    **fields: Any) -> StatusResult:
        body = {"message_id": message_id, "status": status, "errors": errors,
                **{k: v for k, v in fields.items() if v is not None}}
        body = {k: v for k, v in body.items() if v is not None}
        return StatusResult.model_validate(self._call("POST", f"/_sim/worlds/{world_id}/statuses", json=body))

    def emit_echo(self, world_id: str, asset_id: str, to: str, text: str, *,
                  context: dict[str, Any] | None = None) -> InboundResult:
        """Meta's echo of a message the business sent to ``to`` outside the target (Business app, Page or
        Instagram inbox: simulator/echoes.py); ``message_id`` is Meta's id of the echoed message."""
        body: dict[str, Any] = {"asset_id": asset_id, "to": to, "text": text}
        if context is not None:
            body["context"] = context
        return InboundResult.model_validate(self._call("POST", f"/_sim/worlds/{world_id}/echoes", json=body))

    def emit_raw_webhook(self, world_id: str, payload: dict[str, Any], signature: str = "valid") -> Delivery:
        answer = self._call("POST", f"/_sim/worlds/{world_id}/webhooks",
                            json={"payload": payload, "signature": signature})
        return Delivery.model_validate(answer["delivery"])

    def emit_raw_body(self, world_id: str, body: bytes, signature: str = "valid") -> Delivery:
        """POST exactly these bytes to the target's Meta webhook URL, signed with the app secret (or not):
        for bodies that are no JSON at all."""
        answer = self._call("POST", f"/_sim/worlds/{world_id}/webhooks",
                            json={"body_base64": base64.b64encode(body).decode("ascii"), "signature": signature})
        return Delivery.model_validate(answer["delivery"])

    def deliveries(self, world_id: str, since_seq: int | None = None) -> list[dict[str, Any]]:
        return self._call("GET", f"/_sim/worlds/{world_id}/deliveries", params={"since_seq": since_seq})["deliveries"]

    def sent_messages(self, world_id: str) -> list[SentMessage]:
        data = self._call("GET", f"/_sim/worlds/{world_id}/messages")["messages"]
        return [SentMessage.model_validate(m) for m in data]

    # ---- journal ----------------------------------------------------------------------------------------
    def journal(self, world_id: str, method: str | None = None, path_contains: str | None = None,
                since_seq: int | None = None) -> list[JournalEntry]:
        data = self._call("GET", f"/_sim/worlds/{world_id}/journal",
                          params={"method": method, "path_contains": path_contains, "since_seq": since_seq})
        return [JournalEntry.model_validate(e) for e in data["entries"]]

    # ---- clock --------------------------------------------------------------------------------------------
    def clock(self, world_id: str | None = None) -> ClockState:
        path = f"/_sim/worlds/{world_id}/clock" if world_id else "/_sim/clock"
        return ClockState.model_validate(self._call("GET", path))

    def advance_clock(self, seconds: float, world_id: str | None = None) -> ClockState:
        """Move a world's clock, or (no world) the global clock every world follows, on every instance."""
        if world_id:
            return ClockState.model_validate(self._call("POST", f"/_sim/worlds/{world_id}/clock/advance",
                                                        json={"seconds": seconds}))
        return ClockState.model_validate(self._everywhere("POST", "/_sim/clock/advance", json={"seconds": seconds})[0])

    def set_clock(self, now: float | str, world_id: str | None = None) -> ClockState:
        """Set a world's clock, or the global clock. Split by world, the first instance takes ``now`` and the
        others move by the same amount, so that every instance keeps exactly the same offset."""
        if world_id:
            return ClockState.model_validate(self._call("PUT", f"/_sim/worlds/{world_id}/clock", json={"now": now}))
        first, *others = self.instance_prefixes()
        before = ClockState.model_validate(self._call("GET", f"{first}/_sim/clock"))
        after = ClockState.model_validate(self._call("PUT", f"{first}/_sim/clock", json={"now": now}))
        moved = after.offset_seconds - before.offset_seconds
        for prefix in others:
            left = moved
            while left > 0:  # one advance moves at most ten years (the control API's bound)
                step = min(left, 10 * 365 * 86400)
                self._call("POST", f"{prefix}/_sim/clock/advance", json={"seconds": step})
                left -= step
        return after

    # ---- faults -------------------------------------------------------------------------------------------
    def add_faults(self, world_id: str, rules: list[dict[str, Any]], seed: int | None = None,
                   replace: bool = False) -> list[dict[str, Any]]:
        body = {"rules": rules, "replace": replace, **({"seed": seed} if seed is not None else {})}
        return self._call("POST", f"/_sim/worlds/{world_id}/faults", json=body)["rules"]

    def faults(self, world_id: str) -> list[dict[str, Any]]:
        return self._call("GET", f"/_sim/worlds/{world_id}/faults")["rules"]

    def clear_faults(self, world_id: str) -> None:
        self._call("DELETE", f"/_sim/worlds/{world_id}/faults")

    # ---- media, CDN, profiles ---------------------------------------------------------------------------
    def register_link(self, world_id: str, url: str, fetchable: bool = True, content_type: str | None = None,
                      size: int | None = None, error_code: int | None = None) -> dict[str, Any]:
        body = {"url": url, "fetchable": fetchable, "content_type": content_type, "size": size,
                "error_code": error_code}
        return self._call("POST", f"/_sim/worlds/{world_id}/cdn", json={k: v for k, v in body.items() if v is not None})

    def register_media(self, world_id: str, asset_id: str, content: bytes, mime_type: str,
                       filename: str | None = None, delivery: str | None = None,
                       redirect_url: str | None = None) -> dict[str, Any]:
        """Media the target can fetch (WhatsApp media id + CDN URL); ``delivery``: normal | chunked |
        truncated | endless | redirect (with ``redirect_url``)."""
        body = {"asset_id": asset_id, "content_base64": base64.b64encode(content).decode(), "mime_type": mime_type}
        for key, value in (("filename", filename), ("delivery", delivery), ("redirect_url", redirect_url)):
            if value is not None:
                body[key] = value
        return self._call("POST", f"/_sim/worlds/{world_id}/media", json=body)

    def set_profile(self, world_id: str, user_id: str, asset_id: str, **fields: Any) -> dict[str, Any]:
        return self._call("PUT", f"/_sim/worlds/{world_id}/profiles/{user_id}", json={"asset_id": asset_id, **fields})

    # ---- templates -----------------------------------------------------------------------------------------
    def templates(self, world_id: str) -> list[dict[str, Any]]:
        return self._call("GET", f"/_sim/worlds/{world_id}/templates")["templates"]

    def seed_template(self, world_id: str, asset_id: str, name: str, **fields: Any) -> dict[str, Any]:
        """A template made at Meta outside the target (WhatsApp Manager); fields: language, category, status,
        components, parameter_format."""
        return self._call("POST", f"/_sim/worlds/{world_id}/templates", json={"asset_id": asset_id, "name": name,
                                                                              **fields})

    def delete_template_at_meta(self, world_id: str, template_id: str) -> dict[str, Any]:
        """The template deleted at Meta outside the target (WhatsApp Manager)."""
        return self._call("DELETE", f"/_sim/worlds/{world_id}/templates/{template_id}")

    def review_template(self, world_id: str, template_id: str, status: str = "APPROVED",
                        reason: str | None = None, notify: bool = True) -> dict[str, Any]:
        body = {"status": status, "notify": notify, **({"reason": reason} if reason else {})}
        return self._call("POST", f"/_sim/worlds/{world_id}/templates/{template_id}/review", json=body)

    # ---- OAuth ------------------------------------------------------------------------------------------------
    def oauth_authorize(self, world_id: str, url: str | None = None, redirect_uri: str | None = None,
                        state: str | None = None, decision: str = "approve", fragment: bool = False,
                        embedded_signup: bool = False) -> dict[str, Any]:
        """Approve/deny Meta's login dialog for ``world_id``; returns {code, redirect_url, state} (+
        ``session_events`` for WhatsApp Embedded Signup)."""
        body = {"url": url, "redirect_uri": redirect_uri, "state": state, "decision": decision, "fragment": fragment,
                "embedded_signup": embedded_signup}
        return self._call("POST", f"/_sim/worlds/{world_id}/oauth/authorize",
                          json={k: v for k, v in body.items() if v is not None})

    # ---- webhook verification ------------------------------------------------------------------------------
    def verify_webhook(self, url: str | None = None, verify_token: str | None = None) -> dict[str, Any]:
        body = {k: v for k, v in (("url", url), ("verify_token", verify_token)) if v is not None}
        return self._call("POST", "/_sim/verify-webhook", json=body)
