"""Settings of the reference Fiwano (env prefix ``FIWANO_REF_``), exactly as docs/architecture.md §4."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict


class ReferenceSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="FIWANO_REF_", extra="ignore")

    db_path: str = "fiwano-reference.sqlite3"
    meta_graph_url: str = "https://graph.facebook.com"
    meta_graph_version: str = "v21.0"
    meta_app_id: str = ""
    meta_app_secret: str = ""
    meta_verify_token: str = ""
    #: How long a Graph call may take before it counts as a transient failure (the send is queued and retried).
    meta_timeout_seconds: float = Field(default=10.0, gt=0, le=120)
    public_url: str = ""
    test_mode: bool = False
    webhook_ca_file: str | None = None
    allow_webhook_hosts: Annotated[list[str], NoDecode] = []
    profile: str = "default"
    #: Documented alternative readings of ambiguous rules (reference/readings.py), "ID=VALUE,ID=VALUE".
    readings: Annotated[dict[str, str], NoDecode] = {}
    #: Add fields the v1 docs do not name to answers and webhooks (an additive later version, for the self-test).
    extra_fields: bool = False
    #: The speed-ups of reference/speedups/ (the direct dispatch of the hot routes, the kept-alive Graph client);
    #: off, every request goes through FastAPI and every Graph call through httpx. Answers are the same either way.
    speedups: bool = True

    @field_validator("allow_webhook_hosts", mode="before")
    @classmethod
    def _split_hosts(cls, value: object) -> object:
        """Accept a list, a JSON list or a comma-separated string (the env form)."""
        if isinstance(value, str):
            text = value.strip()
            if text.startswith("["):
                import json

                return json.loads(text)
            return [part.strip() for part in text.split(",") if part.strip()]
        return value

    @field_validator("readings", mode="before")
    @classmethod
    def _readings(cls, value: object) -> object:
        from reference.readings import parse_setting

        return parse_setting(value)

    @field_validator("meta_graph_url", "public_url")
    @classmethod
    def _strip_slash(cls, value: str) -> str:
        return value.rstrip("/")
