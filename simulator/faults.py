"""Scripted faults for Graph requests: per world, matched by channel/asset/path/recipient/method.

A rule fires ``times`` times (1 = one shot, N, or null = for ever), optionally only with a probability
drawn from the world's seeded RNG so that a random fault schedule is reproducible from its seed. Rules
are tried in order; the first live, matching rule whose dice roll succeeds fires.
"""

from __future__ import annotations

import random
import re
import threading
from typing import Annotated, Any, Literal, Union

from pydantic import BaseModel, ConfigDict, Field


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class FaultMatch(_Strict):
    channel: Literal["whatsapp", "instagram", "facebook"] | None = None
    asset_id: str | None = None
    path_contains: str | None = None
    recipient: str | None = None
    method: str | None = None


class HttpErrorAction(_Strict):
    kind: Literal["http_error"]
    status: int | None = Field(default=None, ge=400, le=599)
    code: int = 1
    subcode: int | None = None
    message: str | None = None
    error_type: str = "OAuthException"
    is_transient: bool | None = None
    details: str | None = None
    retry_after: str | None = Field(default=None, pattern=r"^[\x20-\x7e]{1,100}$")
    html: bool = False  # answer with an HTML body, as a proxy in front of Meta would


class TimeoutAction(_Strict):
    kind: Literal["timeout"]
    seconds: float = Field(default=30.0, ge=0, le=600)


class ResetAction(_Strict):
    kind: Literal["reset"]


class MalformedBodyAction(_Strict):
    kind: Literal["malformed_body"]
    status: int = Field(default=200, ge=200, le=599)
    body: str = '{"messaging_product":"whatsapp","messages":[{"id":'
    processed: bool = False  # True: the message is accepted upstream although the reply is garbage


class SlowAction(_Strict):
    kind: Literal["slow"]
    seconds: float = Field(ge=0, le=600)


class AcceptedReplyLostAction(_Strict):
    kind: Literal["accepted_reply_lost"]
    seconds: float = Field(default=0.0, ge=0, le=600)  # delay before the connection is dropped


class DripAction(_Strict):
    kind: Literal["drip"]
    chunk_bytes: int = Field(default=1, ge=1, le=65536)
    interval_seconds: float = Field(default=0.5, ge=0, le=60)


FaultAction = Annotated[
    Union[HttpErrorAction, TimeoutAction, ResetAction, MalformedBodyAction, SlowAction, AcceptedReplyLostAction,
          DripAction],
    Field(discriminator="kind"),
]


class FaultRule(_Strict):
    match: FaultMatch = Field(default_factory=FaultMatch)
    action: FaultAction
    times: int | None = Field(default=1, ge=1)
    probability: float = Field(default=1.0, ge=0.0, le=1.0)


class FaultScript(_Strict):
    rules: list[FaultRule]
    seed: int | None = None
    replace: bool = False  # True: drop the existing rules first


class FaultContext(BaseModel):
    method: str
    path: str
    channel: str | None = None
    asset_id: str | None = None
    recipient: str | None = None


class _LiveRule:
    def __init__(self, rule_id: int, rule: FaultRule) -> None:
        self.rule_id = rule_id
        self.rule = rule
        self.remaining = rule.times
        self.fired = 0

    def to_dict(self) -> dict[str, Any]:
        return {"rule_id": self.rule_id, **self.rule.model_dump(), "remaining": self.remaining, "fired": self.fired}


def _norm(recipient: str) -> str:
    """Phone numbers match however they are written (+, spaces, dashes); other ids compare as given."""
    stripped = re.sub(r"[\s\-().+]", "", recipient)
    return stripped if stripped.isdigit() else recipient


def _matches(match: FaultMatch, ctx: FaultContext) -> bool:
    if match.channel and match.channel != ctx.channel:
        return False
    if match.asset_id and match.asset_id != ctx.asset_id:
        return False
    if match.path_contains and match.path_contains not in ctx.path:
        return False
    if match.recipient and (ctx.recipient is None or _norm(match.recipient) != _norm(ctx.recipient)):
        return False
    if match.method and match.method.upper() != ctx.method.upper():
        return False
    return True


class FaultBook:
    def __init__(self) -> None:
        self._rules: list[_LiveRule] = []
        self._next_id = 1
        self._lock = threading.Lock()
        self.seed: int | None = None
        self._rng = random.Random(0)

    def add(self, script: FaultScript) -> list[dict[str, Any]]:
        with self._lock:
            if script.replace:
                self._rules.clear()
            if script.seed is not None:
                self.seed = script.seed
                self._rng = random.Random(script.seed)
            for rule in script.rules:
                self._rules.append(_LiveRule(self._next_id, rule))
                self._next_id += 1
            return [r.to_dict() for r in self._rules]

    def list(self) -> list[dict[str, Any]]:
        with self._lock:
            return [r.to_dict() for r in self._rules]

    def clear(self) -> None:
        with self._lock:
            self._rules.clear()

    @property
    def empty(self) -> bool:
        """No rule at all (the usual case): the pipeline then builds no context to match against."""
        return not self._rules

    def pick(self, ctx: FaultContext) -> dict[str, Any] | None:
        """Return the action (as a model) of the rule that fires for this request, if any."""
        with self._lock:
            for live in self._rules:
                if live.remaining is not None and live.remaining <= 0:
                    continue
                if not _matches(live.rule.match, ctx):
                    continue
                if live.rule.probability < 1.0 and self._rng.random() >= live.rule.probability:
                    continue
                if live.remaining is not None:
                    live.remaining -= 1
                live.fired += 1
                return {"rule_id": live.rule_id, "action": live.rule.action}
            return None
