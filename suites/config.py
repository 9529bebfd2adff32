"""The one settings object of a suite run: what the target is, what it claims, where the helpers are.

Every setting can be given four ways; the first one found wins:

1. a pytest option ``--fiwano-<name>`` (``--fiwano-api-key`` may repeat);
2. an environment variable ``FIWANO_<NAME>`` (lists comma-separated: ``FIWANO_CHANNELS=whatsapp,facebook``);
3. the YAML file given by ``--fiwano-config`` or ``FIWANO_CONFIG`` (keys = the field names below);
4. the default.

| field | option | env | default |
|---|---|---|---|
| target | --fiwano-target | FIWANO_TARGET | none: start the embedded simulator + reference pair |
| simulator | --fiwano-simulator | FIWANO_SIMULATOR | none (the embedded one when no target) |
| harness | --fiwano-harness | FIWANO_HARNESS | the target URL |
| level | --fiwano-level | FIWANO_LEVEL | the highest the target offers |
| channels | --fiwano-channels | FIWANO_CHANNELS | whatsapp, instagram, facebook |
| profile | --fiwano-profile | FIWANO_PROFILE | default |
| api_keys | --fiwano-api-key [STATE=]KEY (repeat) | FIWANO_API_KEYS / FIWANO_API_KEY | none |
| real_time | --fiwano-real-time | FIWANO_REAL_TIME | false (time rules of seconds to minutes wait in real time) |
| sink_host | --fiwano-sink-host | FIWANO_SINK_HOST | 127.0.0.1 |
| sink_url | --fiwano-sink-url | FIWANO_SINK_URL | https://<sink_host>:<port> |
| sink_ca_dir | --fiwano-sink-ca-dir | FIWANO_SINK_CA_DIR | the kit CA directory (fiwano_conformance/shared/kit_ca.py) |
| seed | --fiwano-seed | FIWANO_SEED | 0 |
| explore | --fiwano-explore | FIWANO_EXPLORE | false (Hypothesis draws a fixed, derandomized set of examples) |
| delivery_timeout | --fiwano-delivery-timeout | FIWANO_DELIVERY_TIMEOUT | 10 (seconds to wait for an expected webhook) |
| quiet_seconds | --fiwano-quiet-seconds | FIWANO_QUIET_SECONDS | 1 (how long "nothing arrives" is watched) |
| readings | --fiwano-reading ID=VALUE (repeat) | FIWANO_READINGS (ID=VALUE,...) | none: every reading the docs permit is accepted (suites/readings.py); YAML: a mapping ID: VALUE |

Secrets (API keys, userinfo in URLs) never appear in ``repr``/``str`` of the object or in
:meth:`SuiteConfig.redacted`.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit

import yaml
from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError, field_validator

from fiwano_conformance.shared.kit_ca import default_ca_dir
from fiwano_conformance.shared.redact import strip_userinfo
from suites.redact import MASK, redact, register_secret

CHANNEL_TYPES = ("whatsapp", "instagram", "facebook")
LEVELS = ("api", "simulated", "controlled")
Level = Literal["api", "simulated", "controlled"]

# field name -> (pytest option dest, environment variable names)
FIELDS: dict[str, tuple[str, tuple[str, ...]]] = {
    "target": ("fiwano_target", ("FIWANO_TARGET",)),
    "simulator": ("fiwano_simulator", ("FIWANO_SIMULATOR",)),
    "harness": ("fiwano_harness", ("FIWANO_HARNESS",)),
    "level": ("fiwano_level", ("FIWANO_LEVEL",)),
    "channels": ("fiwano_channels", ("FIWANO_CHANNELS",)),
    "profile": ("fiwano_profile", ("FIWANO_PROFILE",)),
    "api_keys": ("fiwano_api_keys", ("FIWANO_API_KEYS", "FIWANO_API_KEY")),
    "real_time": ("fiwano_real_time", ("FIWANO_REAL_TIME",)),
    "sink_host": ("fiwano_sink_host", ("FIWANO_SINK_HOST",)),
    "sink_url": ("fiwano_sink_url", ("FIWANO_SINK_URL",)),
    "sink_ca_dir": ("fiwano_sink_ca_dir", ("FIWANO_SINK_CA_DIR",)),
    "seed": ("fiwano_seed", ("FIWANO_SEED",)),
    "explore": ("fiwano_explore", ("FIWANO_EXPLORE",)),
    "delivery_timeout": ("fiwano_delivery_timeout", ("FIWANO_DELIVERY_TIMEOUT",)),
    "quiet_seconds": ("fiwano_quiet_seconds", ("FIWANO_QUIET_SECONDS",)),
    "readings": ("fiwano_readings", ("FIWANO_READINGS",)),
}
# settings whose option is spelled differently from its field (repeatable options are singular)
OPTION_FLAGS = {"api_keys": "--fiwano-api-key", "readings": "--fiwano-reading"}
CONFIG_FILE_OPTION = "fiwano_config"
CONFIG_FILE_ENV = "FIWANO_CONFIG"


# The account states API keys are given for (``api_keys: {pro: [...], starter: [...]}``): what the suites'
# ``account(tier=, subscription_status=, source=)`` asks for, named as an operator would (see
# :func:`account_state`). A plain list of keys means ``pro`` (an active, paid Pro account), as it always has.
DEFAULT_STATE = "pro"


def account_state(tier: str | None, subscription_status: str, source: str | None) -> str:
    """The state name of an account with this tier, subscription status and source.

    The name leaves out what is usual (tier pro, source paddle, status active) and says the rest:
    ``pro`` (active paid Pro), ``trial``, ``enterprise``, ``starter``, ``starter_enterprise``,
    ``pro_expired``, ``pro_canceled``, ``starter_expired``, ``trial_ended`` (an expired trial),
    ``no_subscription``...
    """
    if subscription_status == "none":
        return "no_subscription"
    special = source if source in ("trial", "enterprise") else ""
    tier_part = "starter" if tier == "starter" else ("" if special else "pro")
    status = "" if subscription_status == "active" else subscription_status
    name = "_".join(part for part in (tier_part, special, status) if part)
    return "trial_ended" if name == "trial_expired" else name


ACCOUNT_STATES = tuple(dict.fromkeys(
    [account_state(tier, status, source) for status in ("active", "expired", "canceled")
     for tier in ("pro", "starter") for source in ("paddle", "trial", "enterprise")] + ["no_subscription"]))


def parse_api_keys(value: Any) -> dict[str, list[str]]:
    """API keys per account state from any accepted form: a mapping ``{state: [keys] | "k1,k2"}``, or a list
    (or comma-separated string) whose items are ``KEY`` (state ``pro``) or ``STATE=KEY``."""
    out: dict[str, list[str]] = {}

    def add(state: str, key: Any) -> None:
        if state not in ACCOUNT_STATES:
            raise ValueError(f"unknown account state {state!r} for API keys; known: {', '.join(ACCOUNT_STATES)}")
        if not isinstance(key, str) or not key.strip():
            raise ValueError(f"an API key of state {state!r} must be a non-empty string")
        out.setdefault(state, []).append(key.strip())

    if value is None:
        return out
    if isinstance(value, Mapping):
        for state, keys in value.items():
            keys = _split_list(keys)
            for key in ([] if keys is None else [keys] if isinstance(keys, str) else keys):
                add(str(state), key)
        return out
    for item in (_split_list(value) or []):
        if not isinstance(item, str):
            raise ValueError("API keys must be strings (KEY or STATE=KEY)")
        state, sep, key = item.partition("=")
        if sep and state.strip() in ACCOUNT_STATES:
            add(state.strip(), key)
        else:
            add(DEFAULT_STATE, item)
    return out


class ConfigError(ValueError):
    """The run's configuration is unusable (reported as a pytest usage error)."""


def read_config_file(path: Path) -> tuple[dict[str, Any], dict[str, int]]:
    """The settings of a YAML config file and the line of each key; every problem names ``file:line``.

    The file is composed (not only loaded) so that an unknown key or a bad value points at its line: a
    user who typed ``targte:`` sees where, not only what.
    """
    if not path.is_file():
        raise ConfigError(f"fiwano config file {path} does not exist")
    try:
        node = yaml.compose(path.read_text(encoding="utf-8"), Loader=yaml.SafeLoader)
        loaded = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
        where = f"{path}:{mark.line + 1}" if mark is not None else str(path)
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise ConfigError(f"fiwano config file {where}: not valid YAML ({problem})") from None
    if loaded is None:
        return {}, {}
    if not isinstance(loaded, dict) or not isinstance(node, yaml.MappingNode):
        raise ConfigError(f"fiwano config file {path}:1: must hold a mapping of settings (key: value lines)")
    lines = {str(key.value): key.start_mark.line + 1 for key, _ in node.value if isinstance(key, yaml.ScalarNode)}
    unknown = sorted(set(map(str, loaded)) - set(FIELDS))
    if unknown:
        first = min(unknown, key=lambda k: lines.get(k, 0))
        raise ConfigError(f"fiwano config file {path}:{lines.get(first, 1)}: unknown setting(s) "
                          f"{', '.join(map(repr, unknown))}; known: {', '.join(FIELDS)}")
    return loaded, lines


def _split_list(value: Any) -> Any:
    if isinstance(value, str):
        return [part.strip() for part in value.split(",") if part.strip()]
    return value


class SuiteConfig(BaseModel):
    """Settings of one suite run (see the module docstring for the sources of each field)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    target: str | None = None
    simulator: str | None = None
    harness: str | None = None
    level: Level | None = None
    channels: tuple[str, ...] = CHANNEL_TYPES
    profile: str = "default"
    api_keys: dict[str, tuple[SecretStr, ...]] = Field(default_factory=dict)
    real_time: bool = False
    sink_host: str = "127.0.0.1"
    sink_url: str | None = None
    sink_ca_dir: Path = Field(default_factory=default_ca_dir)  # reused across runs: configure a target once
    seed: int = 0
    explore: bool = False
    delivery_timeout: float = Field(default=10.0, gt=0)
    quiet_seconds: float = Field(default=1.0, ge=0)
    readings: dict[str, str] = Field(default_factory=dict)
    config_file: Path | None = None
    sources: dict[str, str] = Field(default_factory=dict, exclude=True, repr=False)

    @field_validator("target", "simulator", "harness", "sink_url")
    @classmethod
    def _url(cls, value: str | None) -> str | None:
        if value is None or value == "":
            return None
        value = value.strip().rstrip("/")
        if urlsplit(value).scheme not in {"http", "https"}:
            raise ValueError(f"expected an http(s) URL, got {strip_userinfo(value)!r}")
        return value

    @field_validator("level", mode="before")
    @classmethod
    def _level(cls, value: Any) -> Any:
        if value in (None, "", "auto"):
            return None
        if value not in LEVELS:
            raise ValueError(f"level must be one of {', '.join(LEVELS)} (or auto), got {value!r}")
        return value

    @field_validator("channels", mode="before")
    @classmethod
    def _channels(cls, value: Any) -> Any:
        value = _split_list(value)
        if value in (None, [], ()):
            return CHANNEL_TYPES
        unknown = [v for v in value if v not in CHANNEL_TYPES]
        if unknown:
            raise ValueError(f"unknown channel(s) {unknown}; known: {', '.join(CHANNEL_TYPES)}")
        # keep the canonical order, drop duplicates
        return tuple(c for c in CHANNEL_TYPES if c in value)

    @field_validator("api_keys", mode="before")
    @classmethod
    def _keys(cls, value: Any) -> Any:
        by_state = parse_api_keys(value)
        for keys in by_state.values():
            for key in keys:
                register_secret(key)
        return {state: tuple(keys) for state, keys in by_state.items()}

    @field_validator("readings", mode="before")
    @classmethod
    def _readings(cls, value: Any) -> Any:
        """Pinned readings: ``ID=VALUE`` strings (option, env) or a mapping (YAML); ids and readings checked."""
        if value in (None, "", [], ()):
            return {}
        if isinstance(value, str):
            value = _split_list(value)
        if isinstance(value, (list, tuple)):
            pairs = {}
            for item in value:
                rid, sep, reading = str(item).partition("=")
                if not sep or not rid.strip() or not reading.strip():
                    raise ValueError(f"expected ID=VALUE (e.g. ERR-VALIDATION-STATUS=bad-request-400), got {item!r}")
                pairs[rid.strip()] = reading.strip()
            value = pairs
        if not isinstance(value, Mapping):
            raise ValueError("expected ID=VALUE pairs or a mapping of requirement id to reading")
        from suites.readings import register

        known = register()
        for rid, reading in value.items():
            if rid not in known:
                raise ValueError(f"{rid!r} has no readings; the ambiguity register lists {', '.join(sorted(known))}")
            if reading not in known[rid]:
                raise ValueError(f"{rid} has no reading {reading!r}; it has {', '.join(known[rid])}")
        return {str(k): str(v) for k, v in value.items()}

    # ----------------------------------------------------------------------------- loading

    @classmethod
    def load(cls, options: Mapping[str, Any] | None = None, env: Mapping[str, str] | None = None) -> "SuiteConfig":
        """Merge option > env > YAML > default. ``options`` maps option dests (``fiwano_target``) to values."""
        options = dict(options or {})
        env = os.environ if env is None else env
        config_file = options.get(CONFIG_FILE_OPTION) or env.get(CONFIG_FILE_ENV) or None
        file_values: dict[str, Any] = {}
        file_lines: dict[str, int] = {}
        if config_file:
            file_values, file_lines = read_config_file(Path(config_file))
        values: dict[str, Any] = {}
        sources: dict[str, str] = {}
        for name, (dest, env_names) in FIELDS.items():
            option_value = options.get(dest)
            if option_value not in (None, [], ()):
                flag = OPTION_FLAGS.get(name, f"--{dest.replace('_', '-')}")
                values[name], sources[name] = option_value, f"option {flag}"
                continue
            env_name = next((n for n in env_names if env.get(n)), None)
            if env_name is not None:
                values[name], sources[name] = env[env_name], f"env {env_name}"
                continue
            if name in file_values and file_values[name] is not None:
                values[name], sources[name] = file_values[name], f"file {config_file}:{file_lines.get(name, 1)}"
        if config_file:
            values["config_file"] = Path(config_file)
        try:
            return cls(**values, sources=sources)
        except ValidationError as exc:
            # messages only: pydantic's own text repeats the input, which may hold a secret
            problems = "; ".join(f"{'.'.join(map(str, e['loc'])) or 'config'} "
                                 f"(from {sources.get(str(e['loc'][0]), 'default') if e['loc'] else 'config'}): "
                                 f"{e['msg']}" for e in exc.errors())
            raise ConfigError(redact(f"invalid fiwano configuration: {problems}")) from None

    # ----------------------------------------------------------------------------- derived values

    @property
    def embedded(self) -> bool:
        """True when no target is given: the kit starts its own simulator + reference pair."""
        return self.target is None

    @property
    def harness_url(self) -> str | None:
        return self.harness or self.target

    def api_key_values(self, state: str | None = None) -> list[str]:
        """The keys of one account state, or all of them (states in ``ACCOUNT_STATES`` order)."""
        states = [state] if state is not None else [s for s in ACCOUNT_STATES if s in self.api_keys]
        return [key.get_secret_value() for s in states for key in self.api_keys.get(s, ())]

    @property
    def key_states(self) -> tuple[str, ...]:
        """The account states the run has API keys for."""
        return tuple(s for s in ACCOUNT_STATES if self.api_keys.get(s))

    def redacted(self) -> dict[str, Any]:
        """A JSON-able view for headers and reports, with every secret masked."""
        data = self.model_dump(mode="json", exclude={"api_keys"})
        for name in ("target", "simulator", "harness", "sink_url"):
            if data.get(name):
                data[name] = strip_userinfo(data[name])
        masked = {state: [f"mip_live_{MASK}" if k.get_secret_value().startswith("mip_live_") else MASK
                          for k in keys] for state, keys in self.api_keys.items()}
        # a run with plain keys only shows a plain list, as it always has
        data["api_keys"] = masked.get(DEFAULT_STATE, []) if set(masked) <= {DEFAULT_STATE} else masked
        data["sources"] = dict(self.sources)
        return data

    def __repr__(self) -> str:
        shown = ", ".join(f"{k}={v!r}" for k, v in self.redacted().items() if k != "sources")
        return redact(f"SuiteConfig({shown})")

    __str__ = __repr__
