"""The machine-readable Fiwano contract and its loader.

Everything here is data (OpenAPI, JSON Schemas, the requirement catalogue, profiles, the harness API);
this module only finds and parses it. Every other part of the kit reads the contract through these
functions so that there is exactly one place that knows where the files live.
"""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

CONTRACT_DIR = Path(__file__).resolve().parent
PROFILES_DIR = CONTRACT_DIR / "profiles"
WEBHOOKS_DIR = CONTRACT_DIR / "webhooks"
REQUIREMENTS_FILE = CONTRACT_DIR / "requirements.yaml"
OPENAPI_FILE = CONTRACT_DIR / "openapi.yaml"
HARNESS_FILE = CONTRACT_DIR / "harness.yaml"
PENDING_FILE = CONTRACT_DIR / "pending.yaml"
PROFILE_SCHEMA_FILE = PROFILES_DIR / "profile.schema.json"
WEBHOOK_EXAMPLES_DIR = WEBHOOKS_DIR / "examples"

WEBHOOK_EVENTS = ("message.received", "message.sent", "message.delivered", "message.read", "message.failed")
LEVELS = ("api", "simulated", "controlled")
STRENGTHS = ("MUST", "SHOULD")

CHANNEL_TYPES = ("whatsapp", "instagram", "facebook")


def _read_yaml(path: Path) -> Any:
    with path.open(encoding="utf-8") as handle:
        return yaml.safe_load(handle)


@lru_cache(maxsize=None)
def load_profile(name_or_path: str = "default") -> dict[str, Any]:
    """Return a profile by name (a file in contract/profiles/) or by path to a YAML file."""
    candidate = Path(name_or_path)
    if candidate.suffix in {".yaml", ".yml"} and candidate.exists():
        path = candidate
    else:
        path = PROFILES_DIR / f"{name_or_path}.yaml"
    if not path.exists():
        known = sorted(p.stem for p in PROFILES_DIR.glob("*.yaml"))
        raise FileNotFoundError(f"no profile {name_or_path!r}; known profiles: {known}")
    return _read_yaml(path)


@lru_cache(maxsize=None)
def load_requirements() -> dict[str, dict[str, Any]]:
    """Return the requirement catalogue keyed by requirement id."""
    document = _read_yaml(REQUIREMENTS_FILE)
    return {entry["id"]: entry for entry in document["requirements"]}


@lru_cache(maxsize=None)
def load_openapi() -> dict[str, Any]:
    """Return contract/openapi.yaml (the Fiwano REST API, OpenAPI 3.1).

    Cached and shared: treat it as read-only (deep-copy before handing it to a tool that may mutate it).
    """
    return _read_yaml(OPENAPI_FILE)


@lru_cache(maxsize=None)
def load_harness() -> dict[str, Any]:
    """Return contract/harness.yaml (the optional control API of the controlled level, OpenAPI 3.1)."""
    return _read_yaml(HARNESS_FILE)


def load_pending() -> list[str]:
    """Return the requirement ids that may lack a test for now (contract/pending.yaml)."""
    document = _read_yaml(PENDING_FILE) or {}
    return list(document.get("pending") or [])


def load_profile_schema() -> dict[str, Any]:
    with PROFILE_SCHEMA_FILE.open(encoding="utf-8") as handle:
        return json.load(handle)


def webhook_schema_files() -> list[Path]:
    """All webhook JSON Schemas (contract/webhooks/*.schema.json)."""
    return sorted(WEBHOOKS_DIR.glob("*.schema.json"))


@lru_cache(maxsize=None)
def load_webhook_schemas() -> dict[str, dict[str, Any]]:
    """Webhook schemas keyed by file stem without ".schema" (e.g. "message.received", "envelope", "event")."""
    schemas = {}
    for path in webhook_schema_files():
        with path.open(encoding="utf-8") as handle:
            schemas[path.name[: -len(".schema.json")]] = json.load(handle)
    return schemas


def webhook_schema_registry() -> Any:
    """A referencing.Registry holding every webhook schema under its $id (relative $refs resolve)."""
    from referencing import Registry, Resource

    resources = [
        (schema["$id"], Resource.from_contents(schema)) for schema in load_webhook_schemas().values()
    ]
    return Registry().with_resources(resources)
