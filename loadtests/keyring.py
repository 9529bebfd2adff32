"""The keyring: the API keys a run drives, each with the channels it may send from.

It is either minted through the harness API (``loadtests.provision``) or read from a file, so a target that
offers no harness (production with real keys) can still be load-tested. Files are JSON or YAML in the shape of
:class:`Keyring`, or plain text with one API key per line (read-only: without recipients nothing is sent).
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field


class ChannelSpec(BaseModel):
    model_config = ConfigDict(extra="ignore")

    channel_id: str
    channel_type: str
    recipient: str | None = None            # who sends go to; None: this channel is only read
    world_id: str | None = None             # simulator world owning the asset (None: no journal/inbound checks)
    asset_id: str | None = None             # phone_number_id / ig_account_id / page_id
    webhook_secret: str | None = None       # to verify relayed webhooks (None: signatures not checked)


class KeySpec(BaseModel):
    model_config = ConfigDict(extra="ignore")

    index: int
    api_key: str = Field(repr=False)
    account_id: str | None = None
    channels: list[ChannelSpec] = []
    prior_requests: list[list[float | int]] = Field(
        default_factory=list,
        description="[sent, done, status] of requests made with this key while provisioning; they count "
                    "against its limit in the first window of the run")

    def sendable(self) -> list[ChannelSpec]:
        return [c for c in self.channels if c.recipient]

    def redacted(self) -> str:
        return redact_key(self.api_key)


class Keyring(BaseModel):
    model_config = ConfigDict(extra="ignore")

    run_id: str
    target: str | None = None
    sink_url: str | None = None
    world_ids: list[str] = []
    keys: list[KeySpec]

    def by_index(self) -> dict[int, KeySpec]:
        return {k.index: k for k in self.keys}

    def channels(self) -> list[tuple[KeySpec, ChannelSpec]]:
        return [(k, c) for k in self.keys for c in k.channels]

    def secrets_by_channel(self) -> dict[str, str]:
        return {c.channel_id: c.webhook_secret for _, c in self.channels() if c.webhook_secret}

    def save(self, path: Path) -> None:
        """Write as JSON, readable by the owner only: the file holds live API keys."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(self.model_dump_json(indent=1))


def redact_key(api_key: str) -> str:
    return api_key[:9] + "…" + api_key[-4:] if len(api_key) > 16 else "…"


def read_keyring(path: Path, run_id: str) -> Keyring:
    """Read a keyring file (JSON/YAML keyring, or one API key per line)."""
    path = Path(path)
    text = path.read_text(encoding="utf-8")
    if path.suffix in {".json", ".yaml", ".yml"}:
        data = json.loads(text) if path.suffix == ".json" else yaml.safe_load(text)
        if isinstance(data, list):
            data = {"keys": data}
        data.setdefault("run_id", run_id)
        for position, key in enumerate(data.get("keys", [])):
            key.setdefault("index", position)
            # a saved keyring's setup history belongs to the run that wrote it; this run's history starts now
            key["prior_requests"] = []
        return Keyring.model_validate(data)
    keys = [line.strip() for line in text.splitlines() if line.strip() and not line.lstrip().startswith("#")]
    return Keyring(run_id=run_id, keys=[KeySpec(index=i, api_key=k) for i, k in enumerate(keys)])
