"""Profiles validate against contract/profiles/profile.schema.json and agree with the docs."""

from __future__ import annotations

import copy

import pytest
from jsonschema import Draft202012Validator

import contract

PROFILES = sorted(p.stem for p in contract.PROFILES_DIR.glob("*.yaml"))


@pytest.fixture(scope="module")
def validator():
    schema = contract.load_profile_schema()
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema)


@pytest.mark.parametrize("name", PROFILES)
def test_profile_validates(validator, name):
    errors = [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in validator.iter_errors(contract.load_profile(name))]
    assert not errors, errors


@pytest.mark.parametrize("name", PROFILES)
def test_profile_readings_are_known(name):
    requirements = contract.load_requirements()
    for rid, reading in (contract.load_profile(name).get("readings") or {}).items():
        assert rid in requirements, f"{name}: readings names unknown requirement {rid}"
        known = [r["id"] for r in requirements[rid].get("readings", [])]
        assert reading is None or reading in known, f"{name}: {rid} has no reading {reading!r} (known: {known})"


def test_default_profile_holds_the_numbers_of_the_docs():
    p = contract.load_profile("default")
    assert p["text_max_chars"] == {"whatsapp": 4096, "facebook": 2000, "instagram": 1000}
    assert (p["caption_max_chars"], p["filename_max_chars"], p["media_url_max_chars"], p["template_name_max_chars"]) \
        == (1024, 255, 2048, 512)
    assert p["rate_limit"] == {"requests": 100, "window_seconds": 60}
    assert p["send_retry"]["max_retries"] == 7 and p["send_retry"]["deadline_seconds"] == 1200
    assert p["relay_retry"]["max_retries"] == 7 and p["relay_retry"]["response_timeout_seconds"] == 5
    assert p["setup_url_ttl_seconds"] == 600 and p["exchange_code_ttl_seconds"] == 300
    assert p["media_ttl_seconds"] == 3600 and p["profile_cache_seconds"] == 300
    assert p["media_max_bytes"] == 10_000_000 and p["media_max_bytes_upper"] == 10 * 1024 * 1024
    assert p["trial_days"] == 7 and p["token_refresh_before_seconds"] == 7 * 86400
    assert p["token_lifetime_seconds"] == 60 * 86400
    assert p["template_edit"] == {"max_per_30_days": 10, "min_interval_seconds": 86400}
    assert p["deleted_template_name_lock_days"] == 30
    assert p["customer_service_window_seconds"] == 86400
    assert p["send_retry_warning_after_retries"] == 3


@pytest.mark.parametrize(("path", "value"), [
    (("text_max_chars", "whatsapp"), "4096"),
    (("rate_limit", "requests"), 0),
    (("text_max_chars", "telegram"), 10),
    (("relay_retry", "backoff_seconds"), []),
    (("text_length_unit",), "characters"),
    (("readings",), {"not-an-id": "x"}),
])
def test_broken_profile_rejected(validator, path, value):
    profile = copy.deepcopy(contract.load_profile("default"))
    node = profile
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value
    assert list(validator.iter_errors(profile))


def test_missing_number_rejected(validator):
    profile = copy.deepcopy(contract.load_profile("default"))
    del profile["media_ttl_seconds"]
    assert list(validator.iter_errors(profile))


def test_lineage_resolves_parent_values():
    child = contract.load_profile("fiwano-2026-10")
    parent = contract.load_profile("default")
    assert child["lineage"] == ["default", "fiwano-2026-10"] and parent["lineage"] == ["default"]
    own = contract.load_profile_file("fiwano-2026-10")
    assert own["extends"] == "default"
    for key, value in parent.items():  # every number of the parent is inherited unless the child sets it
        if key not in own and key not in ("lineage", "name", "description"):
            assert child[key] == value, key
    assert child["request_limit"] == {"requests": 20, "window_seconds": 1}


def test_lineage_merges_mappings_and_rejects_cycles(tmp_path):
    (tmp_path / "a.yaml").write_text("name: a\nextends: b\ndescription: x\n", encoding="utf-8")
    (tmp_path / "b.yaml").write_text("name: b\nextends: a\ndescription: y\n", encoding="utf-8")
    with pytest.raises(ValueError, match="extends itself"):
        contract._resolve_profile(str(tmp_path / "a.yaml"), ())
    child = tmp_path / "child.yaml"
    child.write_text("name: child\nextends: default\ndescription: z\ntext_max_chars: {whatsapp: 10}\n",
                     encoding="utf-8")
    resolved = contract.load_profile(str(child))
    assert resolved["text_max_chars"] == {"whatsapp": 10, "facebook": 2000, "instagram": 1000}
    assert resolved["lineage"] == ["default", "child"] and resolved["description"] == "z"
