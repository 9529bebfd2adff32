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

from contract.profile import Profile as Profile, ProfileError as ProfileError, validated
CONTRACT_DIR = Path(__file__).resolve().parent
PROFILES_DIR = CONTRACT_DIR / "profiles"
WEBHOOKS_DIR = CONTRACT_DIR / "webhooks"
REQUIREMENTS_FILE = CONTRACT_DIR / "requirements.yaml"
OPENAPI_FILE = CONTRACT_DIR / "openapi.yaml"
HARNESS_FILE = CONTRACT_DIR / "harness.yaml"
PENDING_FILE = CONTRACT_DIR / "pending.yaml"
PROFILE_SCHEMA_FILE = PROFILES_DIR / "profile.schema.json"
WEBHOOK_EXAMPLES_DIR = WEBHOOKS_DIR / "examples"
OVERLAYS_DIR = CONTRACT_DIR / "overlays"  # per profile: <name>/openapi.yaml and <name>/webhooks/*.schema.json

WEBHOOK_EVENTS = ("message.received", "message.sent", "message.delivered", "message.read", "message.failed")
LEVELS = ("api", "simulated", "controlled")
STRENGTHS = ("MUST", "SHOULD")

CHANNEL_TYPES = ("whatsapp", "instagram", "facebook")


# libyaml's safe loader when PyYAML was built with it (its wheels are): the same documents, parsed ten times
# faster (requirements.yaml: 0.26 s in pure Python, 0.03 s). Every kit process reads the contract at start.
_SAFE_LOADER: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _read_yaml(path: Path) -> Any:
    with path.open(encoding="utf-8") as handle:
        return yaml.load(handle, Loader=_SAFE_LOADER)  # a safe loader, C or Python


def _profile_path(name_or_path: str) -> Path:
    candidate = Path(name_or_path)
    if candidate.suffix in {".yaml", ".yml"} and candidate.exists():
        return candidate
    path = PROFILES_DIR / f"{name_or_path}.yaml"
    if not path.exists():
        known = sorted(p.stem for p in PROFILES_DIR.glob("*.yaml"))
        raise FileNotFoundError(f"no profile {name_or_path!r}; known profiles: {known}")
    return path


def _merged(parent: Any, child: Any) -> Any:
    """A child profile's values over its parent's: mappings merge key by key, anything else is replaced."""
    if isinstance(parent, dict) and isinstance(child, dict):
        out = dict(parent)
        for key, value in child.items():
            out[key] = _merged(parent.get(key), value) if key in parent else value
        return out
    return child


def load_profile_file(name_or_path: str) -> dict[str, Any]:
    """The profile's own file as written (without what it inherits through ``extends``)."""
    return _read_yaml(_profile_path(name_or_path))


@lru_cache(maxsize=None)
def load_profile(name_or_path: str = "default") -> Profile:
    """Return a profile by name (a file in contract/profiles/) or by path to a YAML file, resolved.

    A profile may ``extends: PARENT`` (a profile name): its values are the parent's with its own over them
    (mappings merged key by key). The resolved profile carries ``lineage``: the names from the root down to
    itself (``["default", "fiwano-2026-10"]``); a profile without ``extends`` is a root (``[name]``).
    It is validated against contract/profiles/profile.schema.json (:class:`ProfileError` otherwise) and
    frozen (contract/profile.py: every caller shares it; ``copy.deepcopy`` gives a mutable copy).
    """
    return validated(name_or_path, _resolve_profile(name_or_path, ()), load_profile_schema())


def _resolve_profile(name_or_path: str, seen: tuple[str, ...]) -> dict[str, Any]:
    path = _profile_path(name_or_path)
    own = _read_yaml(path) or {}
    name = str(own.get("name") or Path(name_or_path).stem)
    if name in seen:
        raise ValueError(f"profile {name!r} extends itself through {' -> '.join(seen + (name,))}")
    parent_name = own.get("extends")
    if not parent_name:
        return {**own, "lineage": [name]}
    beside = path.parent / f"{parent_name}.yaml"  # a user's profile file may extend one next to it
    parent = _resolve_profile(str(beside) if path.parent != PROFILES_DIR and beside.exists() else str(parent_name),
                              seen + (name,))
    resolved = _merged({k: v for k, v in parent.items() if k not in ("lineage", "extends", "description")}, own)
    resolved["lineage"] = [*parent["lineage"], name]
    return resolved


def profile_lineage(name_or_path: str = "default") -> tuple[str, ...]:
    """The profile names a profile judges the requirements of: its ancestors and itself, root first."""
    return tuple(load_profile(name_or_path)["lineage"])


def requirement_profile(entry: dict[str, Any]) -> str:
    """The profile that introduced a requirement (its ``profile`` field; absent: the v1 docs, ``default``)."""
    return str(entry.get("profile") or "default")


def requirement_in_profile(entry: dict[str, Any], lineage: tuple[str, ...] | list[str]) -> bool:
    """Whether a run under the profile with this lineage judges the requirement.

    A requirement of the v1 docs (no ``profile`` field) belongs to every profile, also to a root profile of
    a user's own numbers; one introduced by a later profile (``profile: fiwano-2026-10``) belongs to that
    profile and the profiles extending it. ``retired_in: P`` takes it out of P and its descendants (the
    changelog changed the rule; the entry's text says which id replaces it).
    """
    introduced = entry.get("profile")
    if introduced and introduced not in lineage:
        return False
    retired = entry.get("retired_in")
    return not (retired and retired in lineage)


def requirements_of_profile(name_or_path: str = "default") -> dict[str, dict[str, Any]]:
    """The catalogue restricted to the requirements a run under this profile judges (catalogue order)."""
    lineage = profile_lineage(name_or_path)
    return {rid: entry for rid, entry in load_requirements().items() if requirement_in_profile(entry, lineage)}


def profile_names() -> list[str]:
    """The profiles of contract/profiles/, by name."""
    return sorted(p.stem for p in PROFILES_DIR.glob("*.yaml"))


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


# ---------------------------------------------------------------- overlays of later profiles


def overlay_dirs(name_or_path: str = "default") -> list[Path]:
    """The overlay folders of a profile's lineage, root first (contract/overlays/<profile>/ where one exists)."""
    return [OVERLAYS_DIR / name for name in profile_lineage(name_or_path) if (OVERLAYS_DIR / name).is_dir()]


@lru_cache(maxsize=None)
def load_openapi_of_profile(name_or_path: str = "default") -> dict[str, Any]:
    """The OpenAPI document a run under this profile holds a target to: contract/openapi.yaml with the
    overlay (``overlays/<profile>/openapi.yaml``) of each profile of its lineage merged on, root first
    (mappings key by key, lists replaced). Under ``default`` it is :func:`load_openapi` itself. Read-only."""
    document = load_openapi()
    for folder in overlay_dirs(name_or_path):
        overlay = folder / "openapi.yaml"
        if overlay.is_file():
            document = _merged(document, _read_yaml(overlay) or {})
    return document


@lru_cache(maxsize=None)
def load_webhook_schemas_of_profile(name_or_path: str = "default") -> dict[str, dict[str, Any]]:
    """Webhook schemas under this profile: the v1 ones, with a profile's overlay schema of the same name
    replacing it and new event types added (``overlays/<profile>/webhooks/*.schema.json``)."""
    schemas = dict(load_webhook_schemas())
    for folder in overlay_dirs(name_or_path):
        for path in sorted((folder / "webhooks").glob("*.schema.json")):
            with path.open(encoding="utf-8") as handle:
                schemas[path.name[: -len(".schema.json")]] = json.load(handle)
    return schemas


def webhook_schema_registry_of_profile(name_or_path: str = "default") -> Any:
    """A referencing.Registry of the profile's webhook schemas (an overlay schema shadows the v1 one's $id)."""
    from referencing import Registry, Resource

    resources = [(schema["$id"], Resource.from_contents(schema))
                 for schema in load_webhook_schemas_of_profile(name_or_path).values()]
    return Registry().with_resources(resources)
