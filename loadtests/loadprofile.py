"""Load profiles: the YAML files in ``loadtests/profiles/`` and the pydantic model that validates them.

A load profile says *how hard and how long* to drive a target (keys, shape, duration, per-key rate, mix of
operations) and *what counts as passing* (thresholds). The numbers the Fiwano documentation gives (the rate
limit of 100 requests per 60 s per key) are NOT repeated here: they come from the contract profile named by
``contract_profile``, so a target with a different documented limit is load-tested with its own profile.
"""

from __future__ import annotations

from enum import Enum
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, model_validator

import contract

PROFILES_DIR = Path(__file__).resolve().parent / "profiles"


class Shape(str, Enum):
    """What the run does over time; each shape has its own expectation about 429s."""

    STEADY = "steady"   # every key just under its limit: expect zero 429
    BURST = "burst"     # every key over its limit: the excess is 429, nothing over the limit reaches Meta
    RAMP = "ramp"       # more keys step by step: find the highest rate the target sustains
    SOAK = "soak"       # a long steady run: also watch latency drift


class Semantics(str, Enum):
    """Which rate-limit algorithms the wrongly-admitted gate accepts (docs/loadtests.md, "Window tolerance")."""

    SLIDING = "sliding"   # at most L admitted in ANY interval of W seconds (sliding log)
    ANY = "any"           # fixed windows or a token bucket too: at most 2L in any W, L*(ceil(T/W)+1) over T


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class KeySource(_Strict):
    """Where the API keys come from: minted through the harness API, or read from a keyring file."""

    source: Literal["harness", "file"] = "harness"
    count: int = Field(10, ge=1, le=100_000)
    file: str | None = None
    tier: Literal["starter", "pro"] = "pro"
    channels: tuple[Literal["whatsapp", "instagram", "facebook"], ...] = ("whatsapp", "instagram", "facebook")
    keys_per_world: int = Field(16, ge=1, le=1000, description="keys sharing one simulator world (capped so "
                                                                "that a world holds at most 50 assets)")
    open_windows: bool = Field(True, description="emit one inbound message per channel before the run so that "
                                                 "the 24-hour customer-service window is open for sends")
    provision_concurrency: int = Field(16, ge=1, le=256)

    @model_validator(mode="after")
    def _file_needs_path(self) -> "KeySource":
        if self.source == "file" and not self.file:
            raise ValueError("keys.source 'file' needs keys.file (or pass --keys FILE)")
        return self


class Mix(_Strict):
    """Relative weights of the operations a keyed user performs (0 disables one)."""

    send_text: float = Field(1.0, ge=0)
    send_media: float = Field(0.0, ge=0)
    send_template: float = Field(0.0, ge=0)
    read_channels: float = Field(0.0, ge=0)
    read_templates: float = Field(0.0, ge=0)

    @property
    def send_weight(self) -> float:
        return self.send_text + self.send_media + self.send_template

    @property
    def read_weight(self) -> float:
        return self.read_channels + self.read_templates

    @model_validator(mode="after")
    def _something_to_do(self) -> "Mix":
        if self.send_weight + self.read_weight <= 0:
            raise ValueError("mix: at least one operation needs a positive weight")
        return self


class Template(_Strict):
    """The approved WhatsApp template used by send_template (must exist on the target's Meta side)."""

    name: str = "fiwano_load"
    language: str = "en_US"


class Inbound(_Strict):
    """Inbound traffic emitted through the simulator (Meta webhooks to the target, relayed to our sink)."""

    rate_per_second: float = Field(0.0, ge=0, description="total over all channels; 0 disables inbound")
    users: int = Field(1, ge=1, le=1000)


class Statuses(_Strict):
    """Delivery statuses emitted through the simulator for messages the run sent (as Meta would), in the
    order Meta sends them per channel (WhatsApp sent, delivered, read; Messenger delivered, read; Instagram
    read), so that the sink can check they are relayed, signed and in a legal order."""

    rate_per_second: float = Field(0.0, ge=0, description="total status webhooks per second; 0 disables")
    users: int = Field(1, ge=1, le=100)


class Ramp(_Strict):
    """Ramp steps: the number of active keys grows by step_keys every step_seconds."""

    start_keys: int = Field(1, ge=1)
    step_keys: int = Field(1, ge=1)
    step_seconds: float = Field(30, gt=0)
    stop_after_unsustained_steps: int | None = Field(
        2, ge=1, description="end the ramp after this many consecutive steps that were not sustained (the "
                             "breaking point is found; more steps only overload the target); null: run all steps")


class Thresholds(_Strict):
    """The gates. Counts are totals over all keys; a None threshold is not gated (only reported)."""

    p95_ms: float | None = 500.0
    relay_p99_ms: float | None = Field(None, description="p99 of the relay latency of the run's inbound messages "
                                                         "(emit by the simulator -> first arrival at the sink)")
    max_failure_ratio: float = Field(0.01, ge=0, le=1)
    max_wrongly_admitted: int = Field(0, ge=0)
    max_wrongly_rejected: int = Field(0, ge=0)
    max_leaked_to_meta: int = Field(0, ge=0)
    max_lost_sends: int = Field(0, ge=0)
    max_inbound_lost: int = Field(0, ge=0)
    max_statuses_lost: int = Field(0, ge=0)
    max_unexplained_duplicates: int = Field(0, ge=0)
    max_invalid_signatures: int = Field(0, ge=0)
    max_illegal_status_orders: int = Field(0, ge=0)
    min_sustainable_rps: float | None = None
    max_p95_drift_ratio: float | None = None


class RateLimitTolerance(_Strict):
    """How exactly the admission oracle holds the target to the documented limit."""

    semantics: Semantics = Semantics.ANY
    tolerance_requests: int = Field(0, ge=0, description="extra admissions/rejections forgiven per window")
    timing_slack_seconds: float = Field(1.0, ge=0, description="clock and latency slack at window edges")


class LoadProfile(_Strict):
    name: str
    description: str = ""
    contract_profile: str = "default"
    shape: Shape
    duration_seconds: float = Field(gt=0, le=7 * 24 * 3600)
    rate_factor: float = Field(gt=0, description="per-key rate as a multiple of the documented limit")
    spawn_rate: float = Field(50.0, gt=0, description="users started per second")
    keys: KeySource = KeySource()
    mix: Mix = Mix()
    template: Template = Template()
    inbound: Inbound = Inbound()
    statuses: Statuses = Statuses()
    ramp: Ramp | None = None
    rate_limit: RateLimitTolerance = RateLimitTolerance()
    thresholds: Thresholds = Thresholds()
    drain_seconds: float = Field(15.0, gt=0, description="max wait for users to stop and report at the end")
    settle_seconds: float = Field(5.0, ge=0, description="max wait for late webhooks before reconciling")
    ramp_sustain_ratio: float = Field(0.95, gt=0, le=1, description="achieved/offered throughput for a ramp step "
                                                                     "to count as sustained")

    @model_validator(mode="after")
    def _shape_rules(self) -> "LoadProfile":
        if self.shape is Shape.RAMP and self.ramp is None:
            raise ValueError("shape 'ramp' needs a 'ramp' section")
        if self.shape in (Shape.STEADY, Shape.SOAK, Shape.RAMP) and self.rate_factor >= 1:
            raise ValueError(f"shape {self.shape.value!r} must stay under the limit (rate_factor < 1)")
        if self.shape is Shape.BURST and self.rate_factor <= 1:
            raise ValueError("shape 'burst' must go over the limit (rate_factor > 1)")
        return self

    # --- numbers derived from the contract profile -------------------------------------------------------
    def limit(self) -> tuple[int, float]:
        """(requests, window_seconds) of the documented per-key rate limit."""
        rate_limit = contract.load_profile(self.contract_profile)["rate_limit"]
        return int(rate_limit["requests"]), float(rate_limit["window_seconds"])

    def per_key_interval(self) -> float:
        """Seconds between two requests of one key, so that it runs at rate_factor times its limit."""
        requests, window = self.limit()
        return window / (requests * self.rate_factor)

    def contract(self) -> dict:
        return contract.load_profile(self.contract_profile)


def profile_path(name_or_path: str) -> Path:
    candidate = Path(name_or_path)
    if candidate.suffix in {".yaml", ".yml"} and candidate.exists():
        return candidate
    path = PROFILES_DIR / f"{name_or_path}.yaml"
    if not path.exists():
        raise FileNotFoundError(f"no load profile {name_or_path!r}; known: {known_profiles()}")
    return path


def known_profiles() -> list[str]:
    return sorted(p.stem for p in PROFILES_DIR.glob("*.yaml"))


def load_load_profile(name_or_path: str, overrides: dict | None = None) -> LoadProfile:
    """Read and validate a load profile by name or path; ``overrides`` are shallow top-level replacements
    (nested sections are merged one level deep), used by the CLI for --keys-count, --duration, ..."""
    data = yaml.safe_load(profile_path(name_or_path).read_text(encoding="utf-8"))
    for key, value in (overrides or {}).items():
        if isinstance(value, dict) and isinstance(data.get(key), dict):
            data[key] = {**data[key], **value}
        else:
            data[key] = value
    return LoadProfile.model_validate(data)
