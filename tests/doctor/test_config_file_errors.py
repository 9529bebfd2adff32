"""A broken configuration file is named with its line: YAML errors, unknown keys and bad values."""

from __future__ import annotations

import pytest

from suites.config import ConfigError, SuiteConfig


def _load(tmp_path, text: str) -> SuiteConfig:
    path = tmp_path / "fiwano.yaml"
    path.write_text(text)
    return SuiteConfig.load({"fiwano_config": str(path)}, env={})


@pytest.mark.parametrize(("text", "expected"), [
    ("target: http://t\nlevel: [api\n", "fiwano.yaml:3: not valid YAML"),
    ("target: http://t\n\nsimulater: http://s\n", "fiwano.yaml:3: unknown setting(s) 'simulater'"),
    ("- target\n- level\n", "fiwano.yaml:1: must hold a mapping"),
    ("target: http://t\nseed: 1\nlevel: maximal\n", "level (from file "),
])
def test_the_file_and_line_are_named(tmp_path, text, expected):
    with pytest.raises(ConfigError) as error:
        _load(tmp_path, text)
    assert expected in str(error.value)


def test_a_bad_value_names_its_line(tmp_path):
    with pytest.raises(ConfigError) as error:
        _load(tmp_path, "target: http://t\nseed: 1\nlevel: maximal\n")
    assert f"{tmp_path / 'fiwano.yaml'}:3" in str(error.value)


def test_an_empty_file_is_the_defaults(tmp_path):
    assert _load(tmp_path, "# nothing yet\n").profile == "default"
