"""What a run was: its configuration (redacted), the versions of the kit, contract and profile, its seeds.

A results file is only worth keeping if it says exactly what was tested with what (OCI's results.yaml
embeds its redacted config for the same reason): two runs can be compared only when these agree, and a
failure can be replayed only with the same seed and profile.

Read from the pytest options ``--fiwano-*`` and the ``FIWANO_*`` environment without importing the
suites (reports may import the contract only), so it works for any plugin that defines those options.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import os
from pathlib import Path
from typing import Any, Mapping, cast

import yaml

import contract
from fiwano_conformance.shared.redact import redact_mapping, url_secrets

ENV_PREFIX = "FIWANO_"
_URL_FIELDS = ("target", "simulator", "harness", "sink_url")


def _sha(path: Path) -> str | None:
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()[:16]
    except OSError:
        return None


def _split(value: Any) -> list[str]:
    """The values of a setting as a flat list; API keys per account state (``{pro: [...]}``) and
    ``STATE=KEY`` items give their keys."""
    if value is None:
        return []
    if isinstance(value, Mapping):
        return [v for item in value.values() for v in _split(item)]
    if isinstance(value, str):
        parts = [v.strip() for v in value.split(",") if v.strip()]
        return [p.partition("=")[2].strip() if "=" in p and p.partition("=")[0].isidentifier() else p
                for p in parts]
    return [str(v) for item in value for v in _split(item)]


def _layers(options: Mapping[str, Any], env: Mapping[str, str]) -> list[dict[str, Any]]:
    """The settings of each source, lowest precedence first: config file, environment, options."""
    file_layer: dict[str, Any] = {}
    config_file = options.get("fiwano_config") or env.get("FIWANO_CONFIG")
    if config_file and Path(config_file).is_file():
        try:
            loaded = yaml.safe_load(Path(config_file).read_text(encoding="utf-8"))
        except yaml.YAMLError:
            loaded = None
        if isinstance(loaded, dict):
            file_layer.update(loaded)
    env_layer: dict[str, Any] = {name[len(ENV_PREFIX):].lower(): value for name, value in env.items()
                 if name.startswith(ENV_PREFIX) and value
                 and not name.startswith(("FIWANO_SIM_", "FIWANO_REF_"))}  # the servers' own settings
    option_layer = {dest[len("fiwano_"):]: value for dest, value in options.items()
                    if dest.startswith("fiwano_") and value not in (None, [], ())}
    for layer in (file_layer, env_layer, option_layer):
        if "api_key" in layer:
            layer["api_keys"] = _split(layer.pop("api_key")) + _split(layer.get("api_keys"))
    return [file_layer, env_layer, option_layer]


def raw_configuration(options: Mapping[str, Any], env: Mapping[str, str] | None = None) -> dict[str, Any]:
    """The run's settings as given: options ``fiwano_*`` (without the prefix) > env ``FIWANO_*`` > config file."""
    settings: dict[str, Any] = {}
    for layer in _layers(options, os.environ if env is None else env):
        settings.update(layer)
    return settings


def configuration_secrets(options: Mapping[str, Any], env: Mapping[str, str] | None = None) -> list[str]:
    """The secrets of every source, including values another source overrides (they may still show up),
    and secret-named ``FIWANO_*`` variables of the servers (``FIWANO_SIM_APP_SECRET``...)."""
    env = os.environ if env is None else env
    servers = [value for name, value in env.items() if name.startswith(("FIWANO_SIM_", "FIWANO_REF_"))
               and any(word in name for word in ("KEY", "SECRET", "TOKEN", "PASSWORD"))]
    return [secret for layer in _layers(options, env) for secret in secrets_of(layer)] + servers


def secrets_of(settings: Mapping[str, Any]) -> list[str]:
    """The secret values of a configuration: API keys, other secret-named settings, URL credentials."""
    found: list[str] = []
    for key, value in settings.items():
        if key in _URL_FIELDS and isinstance(value, str):
            found += url_secrets(value)
        elif any(word in key for word in ("key", "secret", "token", "password")):
            found += _split(value)
    return found


def redacted_configuration(settings: Mapping[str, Any]) -> dict[str, Any]:
    """The configuration as results.json shows it: secrets masked, URL credentials stripped."""
    return cast(dict[str, Any], redact_mapping(dict(settings), secrets_of(settings)))


def versions(profile: str | None) -> dict[str, Any]:
    """Kit version, contract version and digests, profile name and digest."""
    try:
        kit = importlib.metadata.version("fiwano-conformance")
    except importlib.metadata.PackageNotFoundError:
        kit = "unknown"
    try:
        requirements_version = (yaml.safe_load(contract.REQUIREMENTS_FILE.read_text(encoding="utf-8")) or {}).get("version")
    except (OSError, yaml.YAMLError):
        requirements_version = None
    try:
        openapi_version = contract.load_openapi().get("info", {}).get("version")
    except Exception:  # noqa: BLE001 - a broken contract must not stop the report
        openapi_version = None
    name = profile or "default"
    candidate = Path(name)
    profile_path = candidate if candidate.suffix in {".yaml", ".yml"} and candidate.exists() \
        else contract.PROFILES_DIR / f"{name}.yaml"
    return {
        "kit": kit,
        "contract": {
            "requirements_version": requirements_version,
            "requirements_sha256": _sha(contract.REQUIREMENTS_FILE),
            "openapi_version": openapi_version,
            "openapi_sha256": _sha(contract.OPENAPI_FILE),
            "docs_snapshot_sha256": _sha(contract.CONTRACT_DIR / "source" / "fiwano-api.md"),
        },
        "profile": {"name": candidate.stem if candidate.suffix else name, "sha256": _sha(profile_path),
                    "lineage": _lineage(name)},
    }


def _lineage(name: str) -> list[str]:
    """The profiles whose requirements the run judged, root first (docs/profiles.md)."""
    try:
        return list(contract.profile_lineage(name))
    except (OSError, ValueError, KeyError, TypeError, yaml.YAMLError):  # reported elsewhere; the report names it
        return [Path(name).stem if Path(name).suffix else name]


def seeds(settings: Mapping[str, Any], hypothesis_seed: Any = None) -> dict[str, Any]:
    """The seeds that make the run's generated data reproducible."""
    try:
        fiwano_seed: Any = int(settings.get("seed", 0) or 0)
    except (TypeError, ValueError):
        fiwano_seed = settings.get("seed")
    return {"fiwano_seed": fiwano_seed, "hypothesis_seed": hypothesis_seed}
