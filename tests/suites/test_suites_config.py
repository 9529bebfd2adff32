"""Unit tests of suites.config: precedence option > env > YAML > default, validation, redaction."""

from __future__ import annotations

from pathlib import Path

import pytest

from suites.config import CHANNEL_TYPES, ConfigError, SuiteConfig
from suites.redact import redact

KEY = "mip_live_" + "k3y" * 10


def write_yaml(tmp_path: Path, text: str) -> str:
    path = tmp_path / "fiwano.yaml"
    path.write_text(text)
    return str(path)


def test_defaults_mean_the_embedded_pair():
    cfg = SuiteConfig.load({}, env={})

    assert cfg.target is None and cfg.embedded
    assert cfg.level is None
    assert cfg.channels == CHANNEL_TYPES
    assert cfg.profile == "default"
    assert cfg.api_keys == {} and cfg.key_states == () and cfg.real_time is False
    assert cfg.sink_host == "127.0.0.1" and cfg.sink_url is None
    assert cfg.seed == 0
    assert cfg.sources == {}


def test_option_beats_env_beats_yaml_beats_default(tmp_path):
    config_file = write_yaml(tmp_path, "target: https://yaml.example\nprofile: yaml-profile\nseed: 3\n")
    env = {"FIWANO_CONFIG": config_file, "FIWANO_TARGET": "https://env.example", "FIWANO_SEED": "5"}

    both = SuiteConfig.load({"fiwano_target": "https://option.example"}, env=env)
    env_only = SuiteConfig.load({}, env=env)
    yaml_only = SuiteConfig.load({"fiwano_config": config_file}, env={})

    assert both.target == "https://option.example"
    assert both.sources["target"] == "option --fiwano-target"
    assert env_only.target == "https://env.example" and env_only.seed == 5
    assert env_only.sources["target"] == "env FIWANO_TARGET"
    assert env_only.profile == "yaml-profile" and env_only.sources["profile"].startswith("file ")
    assert yaml_only.target == "https://yaml.example" and yaml_only.seed == 3
    assert yaml_only.delivery_timeout == 10.0  # default


def test_option_config_file_beats_env_config_file(tmp_path):
    a = tmp_path / "a.yaml"
    a.write_text("profile: from-a\n")
    b = tmp_path / "b.yaml"
    b.write_text("profile: from-b\n")

    cfg = SuiteConfig.load({"fiwano_config": str(a)}, env={"FIWANO_CONFIG": str(b)})

    assert cfg.profile == "from-a"


def test_lists_from_env_options_and_yaml(tmp_path):
    config_file = write_yaml(tmp_path, "channels: [facebook]\napi_keys: [mip_live_fromyaml]\n")

    from_env = SuiteConfig.load({}, env={"FIWANO_CHANNELS": "facebook, whatsapp", "FIWANO_API_KEYS": f"{KEY},{KEY}2"})
    from_option = SuiteConfig.load({"fiwano_channels": "instagram", "fiwano_api_keys": [KEY]}, env={})
    from_yaml = SuiteConfig.load({"fiwano_config": config_file}, env={})
    single_env = SuiteConfig.load({}, env={"FIWANO_API_KEY": KEY})

    assert from_env.channels == ("whatsapp", "facebook")  # canonical order
    assert from_env.api_key_values() == [KEY, KEY + "2"]
    assert from_option.channels == ("instagram",) and from_option.api_key_values() == [KEY]
    assert from_yaml.channels == ("facebook",) and from_yaml.api_key_values() == ["mip_live_fromyaml"]
    assert single_env.api_key_values() == [KEY]


@pytest.mark.parametrize(("options", "message"), [
    ({"fiwano_level": "gold"}, "level must be one of"),
    ({"fiwano_channels": "whatsapp,telegram"}, "telegram"),
    ({"fiwano_target": "ftp://example"}, "http(s) URL"),
    ({"fiwano_delivery_timeout": 0}, "delivery_timeout"),
    ({"fiwano_config": "/nonexistent/fiwano.yaml"}, "does not exist"),
])
def test_invalid_settings_are_config_errors(options, message):
    with pytest.raises(ConfigError, match=message.replace("(", r"\(").replace(")", r"\)")):
        SuiteConfig.load(options, env={})


def test_unknown_yaml_setting_is_an_error(tmp_path):
    config_file = write_yaml(tmp_path, "target: https://x.example\ntargte: typo\n")

    with pytest.raises(ConfigError, match="targte"):
        SuiteConfig.load({"fiwano_config": config_file}, env={})


def test_auto_level_means_probe():
    assert SuiteConfig.load({"fiwano_level": "auto"}, env={}).level is None
    assert SuiteConfig.load({}, env={"FIWANO_LEVEL": "simulated"}).level == "simulated"


def test_urls_are_normalised_and_harness_defaults_to_target():
    cfg = SuiteConfig.load({"fiwano_target": "https://t.example/ "}, env={})

    assert cfg.target == "https://t.example"
    assert cfg.harness_url == "https://t.example"
    assert SuiteConfig.load({"fiwano_target": "https://t.example", "fiwano_harness": "http://h:1/"},
                            env={}).harness_url == "http://h:1"


def test_secrets_never_appear_in_repr_str_or_redacted_view():
    cfg = SuiteConfig.load({"fiwano_api_keys": [KEY, "plainsecretkey"]},
                           env={"FIWANO_TARGET": "https://user:p4ssw0rd@t.example"})

    shown = [repr(cfg), str(cfg), str(cfg.redacted())]

    for text in shown:
        assert KEY not in text
        assert "plainsecretkey" not in text
        assert "p4ssw0rd" not in text
    assert cfg.redacted()["api_keys"] == ["mip_live_<redacted>", "<redacted>"]
    assert cfg.api_key_values() == [KEY, "plainsecretkey"]  # still usable
    # keys given in the config are registered: they are masked in any later output too
    assert "plainsecretkey" not in redact("header X-API-Key was plainsecretkey")


def test_config_errors_do_not_echo_secrets():
    with pytest.raises(ConfigError) as info:
        SuiteConfig.load({"fiwano_target": "ftp://user:t0psecret@h"}, env={})

    assert "t0psecret" not in str(info.value)


def test_api_keys_per_account_state_in_every_form(tmp_path):
    """Keys are given per account state (YAML mapping, STATE=KEY items); a bare key means pro."""
    config_file = write_yaml(tmp_path, "api_keys:\n  pro: [mip_live_p1, mip_live_p2]\n  starter: mip_live_s1\n"
                                       "  no_subscription: [mip_live_n1]\n")
    from_yaml = SuiteConfig.load({"fiwano_config": str(config_file)}, env={})
    from_option = SuiteConfig.load({"fiwano_api_keys": ["mip_live_a", "starter=mip_live_b", "trial_ended=mip_live_c"]},
                                   env={})
    from_env = SuiteConfig.load({}, env={"FIWANO_API_KEYS": "enterprise=mip_live_e, mip_live_f"})
    assert from_yaml.key_states == ("pro", "starter", "no_subscription")
    assert from_yaml.api_key_values("pro") == ["mip_live_p1", "mip_live_p2"]
    assert from_yaml.api_key_values("starter") == ["mip_live_s1"]
    assert from_option.api_key_values("pro") == ["mip_live_a"]
    assert from_option.api_key_values("trial_ended") == ["mip_live_c"] and from_option.api_key_values("trial") == []
    assert from_env.key_states == ("pro", "enterprise")
    assert from_yaml.redacted()["api_keys"] == {"pro": ["mip_live_<redacted>"] * 2, "starter": ["mip_live_<redacted>"],
                                                "no_subscription": ["mip_live_<redacted>"]}
    assert "mip_live_p1" not in repr(from_yaml)


def test_unknown_account_state_is_one_clear_error(tmp_path):
    config_file = write_yaml(tmp_path, "api_keys:\n  platinum: [mip_live_x]\n")
    with pytest.raises(ConfigError, match="unknown account state 'platinum'"):
        SuiteConfig.load({"fiwano_config": str(config_file)}, env={})


def test_account_state_names_what_the_suites_ask_for():
    from suites.config import account_state

    assert account_state("pro", "active", None) == "pro"
    assert account_state("pro", "active", "paddle") == "pro"
    assert account_state("pro", "active", "trial") == "trial"
    assert account_state("pro", "active", "enterprise") == "enterprise"
    assert account_state("starter", "active", "paddle") == "starter"
    assert account_state(None, "none", None) == "no_subscription"
    assert account_state("pro", "expired", "trial") == "trial_ended"
    assert account_state("pro", "expired", "paddle") == "pro_expired"
    assert account_state("pro", "canceled", "paddle") == "pro_canceled"
    assert account_state("starter", "expired", "paddle") == "starter_expired"


def test_real_time_is_opt_in():
    assert SuiteConfig.load({"fiwano_real_time": True}, env={}).real_time is True
    assert SuiteConfig.load({}, env={"FIWANO_REAL_TIME": "1"}).real_time is True
