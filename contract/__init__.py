"""The machine-readable Fiwano contract and its loader.

Everything here is data (OpenAPI, JSON Schemas, the requirement catalogue, profiles, the harness API);
this module only finds and parses it. Every other part of the kit reads the contract through these
functions so that there is exactly one place that knows where the files live.
"""

from __future__ import annotations

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


def load_openapi() -> dict[str, Any]:
    return _read_yaml(OPENAPI_FILE)
