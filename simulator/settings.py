"""Settings of the fake Meta, read from the environment (prefix ``FIWANO_SIM_``).

Only what a real Meta app has (app id, app secret, verify token, callback URL, Graph version) plus a few
switches for behaviour Meta does not publish precisely (see docs/simulator.md, "UNCONFIRMED choices").
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class SimulatorSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="FIWANO_SIM_", extra="ignore")

    app_id: str = "1234567890123456"
    app_secret: str = "sim-app-secret"
    verify_token: str = "sim-verify-token"
    target_webhook_url: str | None = None
    graph_version: str = "v21.0"

    # Behaviour switches (defaults follow Meta as closely as the research allows).
    webhook_timeout_seconds: float = 10.0
    enforce_window: bool = True
    whatsapp_window_error: Literal["async", "sync"] = "async"
    whatsapp_media_error: Literal["async", "sync"] = "async"
    async_status_delay_seconds: float = 0.2
    media_url_ttl_seconds: int = 300
    # The Graph fast lane for the hot paths (simulator/graph/fastlane.py, docs/simulator.md): the same answers and
    # effects as the general path, cheaper. ``FIWANO_SIM_FAST_LANE=false`` turns it off (to compare the two).
    fast_lane: bool = True

    # Scale-out (docs/scaling.md): this process is instance ``instance`` (0-based) of ``instances`` behind a
    # router; every id it mints carries the owner tag the router routes by (simulator/ids.py). 1 = alone.
    instance: int = Field(default=0, ge=0, le=99)
    instances: int = Field(default=1, ge=1, le=100)

    @model_validator(mode="after")
    def _instance_is_one_of_them(self) -> "SimulatorSettings":
        if self.instance >= self.instances:
            raise ValueError(f"instance {self.instance} is not one of the {self.instances} instance(s), numbered from "
                             f"0: give --instances N with N > {self.instance}")
        return self
