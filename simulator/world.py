"""Worlds: isolated sets of Meta objects (WABAs and phone numbers, Pages, Instagram accounts, tokens).

A test worker creates its own world and only ever sees its own objects, journal and webhooks. Ids are
unique across worlds (see ids.py) and every token belongs to exactly one world, so a Graph request can
always be attributed to a world by its token or by the asset id in its path.

All state lives in memory behind one re-entrant lock; handlers hold it only for short, non-awaiting
sections.
"""

from __future__ import annotations

import json
import random
import threading
from dataclasses import dataclass
from typing import Any, NamedTuple

from simulator import ids
from simulator.clock import Clock
from simulator.journal import Journal
from simulator.jsontext import record_json
from simulator.settings import SimulatorSettings

CHANNELS = ("whatsapp", "instagram", "facebook")
WINDOW_SECONDS = 24 * 3600


@dataclass
class Asset:
    channel: str
    asset_id: str
    access_token: str
    name: str
    phone_number_id: str | None = None
    waba_id: str | None = None
    display_phone_number: str | None = None
    page_id: str | None = None
    ig_account_id: str | None = None
    username: str | None = None

    def to_dict(self) -> dict[str, Any]:
        base = {"channel": self.channel, "asset_id": self.asset_id}
        if self.channel == "whatsapp":
            base.update(phone_number_id=self.phone_number_id, waba_id=self.waba_id,
                        display_phone_number=self.display_phone_number, verified_name=self.name)
        elif self.channel == "facebook":
            base.update(page_id=self.page_id, name=self.name)
        else:
            base.update(ig_account_id=self.ig_account_id, username=self.username, name=self.name,
                        page_id=self.page_id)
        base["access_token"] = self.access_token
        return base

    def owned_ids(self) -> list[str]:
        return [i for i in (self.phone_number_id, self.waba_id, self.page_id, self.ig_account_id) if i]

    def owns(self, object_id: str) -> bool:
        """``object_id in self.owned_ids()`` for a non-empty id."""
        return object_id in (self.phone_number_id, self.waba_id, self.page_id, self.ig_account_id)

    @property
    def formatted_phone_number(self) -> str:
        d = self.display_phone_number or ""
        return f"+{d[0]} {d[1:4]}-{d[4:7]}-{d[7:]}" if len(d) == 11 else f"+{d}"


class SentMessage(NamedTuple):
    """One accepted send, as ``World.sent`` reads it from the world's record (``sent_message`` makes that).

    A world keeps every send, hundreds of thousands in a load test. An object, a tuple subclass or a dict holding
    a dict stays in every full collection of the garbage collector for ever (about a tenth of the simulator's
    CPU in a long wrk run, docs/benchmarks.md); a plain tuple of strings and numbers is untracked once the
    collector has seen it. So ``World.messages`` keeps plain tuples in this order, the parameters as their JSON
    text (``payload`` decodes them: a fresh dict on each access), and a new status replaces the record."""
    message_id: str
    asset_id: str
    channel: str
    recipient: str
    kind: str
    payload_json: str
    sent_at: float
    biz_opaque_callback_data: str | None = None
    statuses: tuple[str, ...] = ()

    @property
    def payload(self) -> dict[str, Any]:
        value: dict[str, Any] = json.loads(self.payload_json)
        return value


def sent_message(message_id: str, asset_id: str, channel: str, recipient: str, kind: str, payload: dict[str, Any],
                 sent_at: float, biz_opaque_callback_data: str | None = None) -> tuple[Any, ...]:
    """The record ``World.messages`` keeps for one send (a plain tuple in ``SentMessage``'s field order)."""
    return (message_id, asset_id, channel, recipient, kind, _payload_json(payload), sent_at, biz_opaque_callback_data,
            ())


def _payload_json(payload: dict[str, Any]) -> str:
    """JSON text that decodes to ``payload`` again (NaN and infinities as Python reads them back)."""
    return record_json(payload)


@dataclass
class MediaItem:
    media_id: str
    content: bytes
    mime_type: str
    sha256: str
    asset_id: str
    filename: str | None = None
    url_key: str | None = None
    url_expires_at: float = 0.0
    cdn_key: str | None = None
    delivery: str = "normal"          # normal | chunked | truncated | endless | redirect (hostile-CDN tests)
    redirect_url: str | None = None


@dataclass
class CdnEntry:
    url: str
    fetchable: bool
    content_type: str | None = None
    size: int | None = None
    error_code: int | None = None


class World:
    def __init__(self, label: str | None, parent_clock: Clock, options: dict[str, Any]) -> None:
        self.world_id = ids.world_id()
        self.label = label
        self.user_access_token = ids.access_token()
        self.user_id = ids.numeric_id("10", 16)  # the Meta user who owns the assets (/me, debug_token)
        self.assets: list[Asset] = []
        self.clock = Clock(parent=parent_clock)
        self.options = options
        self.last_inbound: dict[tuple[str, str], float] = {}
        self.messages: dict[str, tuple[Any, ...]] = {}  # message id -> record (``sent_message``; read: ``sent``)
        self.media: dict[str, MediaItem] = {}
        self.cdn: dict[str, CdnEntry] = {}
        self.cdn_files: dict[str, str] = {}  # CDN key -> media id (Messenger/Instagram attachment URLs)
        self.templates: dict[str, Any] = {}
        self.name_locks: dict[tuple[str, str], float] = {}
        self.profiles: dict[str, dict[str, Any]] = {}
        self.deliveries: list[dict[str, Any]] = []
        self.faults: Any = None  # a FaultBook, set by the store
        self.subscriptions: set[str] = set()  # WABA / Page ids with our app in subscribed_apps
        # (asset, user) conversations another app controls (Meta's handover protocol): the user's last message
        # came on the standby channel; sends into them are refused with code 10 / subcode 2018300
        self.standby_threads: set[tuple[str, str]] = set()
        self.rng = random.Random(0)

    def to_dict(self) -> dict[str, Any]:
        return {"world_id": self.world_id, "label": self.label, "user_access_token": self.user_access_token,
                "assets": [a.to_dict() for a in self.assets], "options": dict(self.options)}

    def asset_by_id(self, object_id: str, prefer: Asset | None = None) -> Asset | None:
        """The asset owning ``object_id``; a shared WABA/Page belongs to several, ``prefer`` picks one.

        (``owns`` rather than ``owned_ids()``: the same answer for any non-empty id without building a list; this
        runs two or three times per Graph request.)"""
        if not object_id:
            return None
        if prefer is not None and prefer.owns(object_id):
            return prefer
        for asset in self.assets:
            if asset.owns(object_id):
                return asset
        return None

    def sent(self, message_id: str) -> SentMessage | None:
        record = self.messages.get(message_id)
        return None if record is None else SentMessage._make(record)

    def sent_messages(self) -> list[SentMessage]:
        return [SentMessage._make(record) for record in self.messages.values()]

    def add_status(self, message_id: str, status: str) -> None:
        """Remember a status webhook sent for one of this world's sends (hold the store's lock)."""
        record = self.messages[message_id]
        self.messages[message_id] = (*record[:-1], (*record[-1], status))

    def window_open(self, asset_id: str, user_id: str) -> bool:
        last = self.last_inbound.get((asset_id, user_id))
        return last is not None and self.clock.now() - last < WINDOW_SECONDS


class WorldSpecError(ValueError):
    """The requested world cannot exist (answered with 400)."""


class Store:
    """Everything the simulator knows; one instance per app."""

    def __init__(self, settings: SimulatorSettings) -> None:
        from simulator.faults import FaultBook  # local import: faults depends on world types

        self._fault_book = FaultBook
        self.lock = threading.RLock()
        self.settings = settings
        self.app: dict[str, Any] = {
            "app_id": settings.app_id, "app_secret": settings.app_secret, "verify_token": settings.verify_token,
            "target_webhook_url": settings.target_webhook_url, "graph_version": settings.graph_version,
        }
        self.clock = Clock()
        self.journal = Journal()
        self.worlds: dict[str, World] = {}
        self._objects: dict[str, str] = {}   # any object id -> world id
        self._tokens: dict[str, tuple[str, str | None]] = {}  # token -> (world id, asset id or None)
        self.token_meta: dict[str, dict[str, Any]] = {}  # token -> {issued_at, expires_at (0 = never), type}
        self.oauth_codes: dict[str, dict[str, Any]] = {}  # code -> {world_id, redirect_uri, expires_at, used}
        self.pending_tasks: set[Any] = set()  # background webhook tasks (asyncio keeps only weak references)
        # The Graph fast lane's cached attributions (simulator/graph/fastlane.py), trusted while ``generation`` is
        # the one they were made at: every change of worlds, tokens, token expiries, object owners or the app's
        # settings bumps it (``changed``).
        self.generation = 0
        self.fast_routes: dict[Any, Any] = {}

    def changed(self) -> None:
        """Something a Graph request's attribution depends on changed: forget the fast lane's cached routes."""
        self.generation += 1
        self.fast_routes.clear()

    # ---- worlds -------------------------------------------------------------------------------
    def default_options(self) -> dict[str, Any]:
        s = self.settings
        return {"enforce_window": s.enforce_window, "whatsapp_window_error": s.whatsapp_window_error,
                "whatsapp_media_error": s.whatsapp_media_error, "cdn_default_fetchable": False,
                "text_length_unit": "chars", "webhook_retry_delays": []}

    def create_world(self, label: str | None, assets: list[dict[str, Any]],
                     options: dict[str, Any] | None = None) -> World:
        with self.lock:
            world = World(label, self.clock, {**self.default_options(), **(options or {})})
            world.faults = self._fault_book()
            for index, spec in enumerate(assets, start=1):
                asset = self._make_asset(spec["channel"], spec.get("name"), index)
                shared = spec.get("share_with")
                if shared is not None:
                    self._share(world.assets, asset, shared)
                world.assets.append(asset)
            self.worlds[world.world_id] = world
            self.changed()
            self._tokens[world.user_access_token] = (world.world_id, None)
            for asset in world.assets:
                self._tokens[asset.access_token] = (world.world_id, asset.asset_id)
                for object_id in asset.owned_ids():
                    self._objects[object_id] = world.world_id
            return world

    def _make_asset(self, channel: str, name: str | None, index: int) -> Asset:
        token = ids.access_token()
        if channel == "whatsapp":
            pid = ids.phone_number_id()
            return Asset("whatsapp", pid, token, name or f"Test Business {index}", phone_number_id=pid,
                         waba_id=ids.waba_id(), display_phone_number=ids.display_number())
        if channel == "facebook":
            page = ids.page_id()
            return Asset("facebook", page, token, name or f"Test Page {index}", page_id=page)
        ig = ids.ig_account_id()
        label = name or f"Test Instagram {index}"
        username = "".join(ch for ch in label.lower().replace(" ", "_") if ch.isalnum() or ch in "._")[:30]
        return Asset("instagram", ig, token, label, ig_account_id=ig, username=username or f"ig_{ig[-6:]}",
                     page_id=ids.page_id())

    @staticmethod
    def _share(earlier: list[Asset], asset: Asset, index: int) -> None:
        """Put ``asset`` on the WABA (WhatsApp) or Page (Instagram) of the earlier asset at ``index``."""
        if not 0 <= index < len(earlier):
            raise WorldSpecError(f"share_with={index}: no earlier asset at that index")
        other = earlier[index]
        if asset.channel == "whatsapp" and other.channel == "whatsapp":
            asset.waba_id = other.waba_id
        elif asset.channel == "instagram" and other.channel in ("facebook", "instagram"):
            asset.page_id = other.page_id
        else:
            raise WorldSpecError(f"share_with: a {asset.channel} asset cannot share with a {other.channel} asset "
                                 "(WhatsApp shares a WABA with WhatsApp; Instagram shares a Page with Facebook)")

    def delete_world(self, world_id: str) -> bool:
        with self.lock:
            world = self.worlds.pop(world_id, None)
            if world is None:
                return False
            self.changed()
            self._tokens = {t: v for t, v in self._tokens.items() if v[0] != world_id}
            self.token_meta = {t: m for t, m in self.token_meta.items() if t in self._tokens}
            self.oauth_codes = {c: m for c, m in self.oauth_codes.items() if m["world_id"] != world_id}
            self._objects = {o: w for o, w in self._objects.items() if w != world_id}
            self.journal.forget_world(world_id)
            return True

    def reset(self) -> None:
        with self.lock:
            self.changed()
            self.worlds.clear()
            self._tokens.clear()
            self.token_meta.clear()
            self.oauth_codes.clear()
            self._objects.clear()
            self.journal.clear()
            self.clock.reset()

    def get_world(self, world_id: str) -> World | None:
        with self.lock:
            return self.worlds.get(world_id)

    # ---- attribution --------------------------------------------------------------------------
    def resolve_token(self, token: str | None) -> tuple[World, Asset | None] | None:
        if not token:
            return None
        with self.lock:
            found = self._tokens.get(token)
            if found is None:
                return None
            world = self.worlds.get(found[0])
            if world is None:
                return None
            if found[1]:  # a loop, not next() over a generator: this runs on every Graph request
                for asset in world.assets:
                    if asset.asset_id == found[1]:
                        return world, asset
            return world, None

    def mint_user_token(self, world: World, lifetime: float | None) -> str:
        """A new user token of ``world`` (OAuth); ``lifetime`` None = never expires."""
        token = ids.access_token()
        now = world.clock.now()
        with self.lock:
            self.changed()
            self._tokens[token] = (world.world_id, None)
            self.token_meta[token] = {"issued_at": now, "expires_at": now + lifetime if lifetime else 0,
                                      "type": "USER"}
        return token

    def token_expired(self, token: str, world: World) -> bool:
        meta = self.token_meta.get(token)
        return bool(meta and meta["expires_at"] and world.clock.now() >= meta["expires_at"])

    def world_of_object(self, object_id: str) -> World | None:
        with self.lock:
            world_id = self._objects.get(object_id)
            return self.worlds.get(world_id) if world_id else None

    def register_object(self, object_id: str, world: World) -> None:
        with self.lock:
            self.changed()
            self._objects[object_id] = world.world_id
