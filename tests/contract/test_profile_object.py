"""The loaded profile (contract/profile.py): validated against the profile schema at load, frozen (every reader in a
process shares the cached object), still a dict for its ~100 readers, with typed accessors."""

from __future__ import annotations

import copy
import json
import pickle

import pytest
import yaml

import contract
from contract.profile import Profile, ProfileError


def test_a_loaded_profile_is_read_only_at_every_depth():
    profile = contract.load_profile("default")
    assert isinstance(profile, Profile) and isinstance(profile, dict)
    writes = [
        lambda: profile.__setitem__("trial_days", 8),
        lambda: profile.update(trial_days=8),
        lambda: profile.pop("trial_days"),
        lambda: profile.setdefault("x", 1),
        lambda: profile["rate_limit"].__setitem__("requests", 1000),
        lambda: profile["relay_retry"]["backoff_seconds"].append(1),
        lambda: profile["relay_retry"]["backoff_seconds"].__setitem__(0, 1),
        lambda: profile["relay_retry"]["backoff_seconds"].sort(),
    ]
    for write in writes:
        with pytest.raises(TypeError, match="read-only"):
            write()
    assert contract.load_profile("default")["rate_limit"]["requests"] == 100


def test_a_deep_copy_is_plain_and_mutable_and_the_profile_encodes_as_before():
    profile = contract.load_profile("fiwano-2026-10")
    mutable = copy.deepcopy(profile)
    assert type(mutable) is dict and type(mutable["rate_limit"]) is dict
    assert type(mutable["relay_retry"]["backoff_seconds"]) is list
    mutable["rate_limit"]["requests"] = 1000
    assert profile["rate_limit"]["requests"] == 100
    assert json.loads(json.dumps(profile)) == mutable | {"rate_limit": {**mutable["rate_limit"], "requests": 100}}
    assert pickle.loads(pickle.dumps(profile)) == profile
    assert yaml.safe_load(yaml.safe_dump(dict(profile))) == json.loads(json.dumps(profile))  # (a test's own profile)
    assert profile["relay_retry"]["backoff_seconds"] == [30, 60, 120, 120, 120, 120, 120]


def test_typed_accessors_read_dotted_paths_and_name_what_is_wrong():
    profile = contract.load_profile("default")
    assert profile.integer("rate_limit.requests") == 100
    assert profile.number("relay_retry.response_timeout_seconds") == 5.0
    assert profile.numbers("send_retry.backoff_seconds") == [30.0, 60.0, 120.0, 180.0, 240.0, 270.0, 270.0]
    assert profile.text("text_length_unit") == "code-points"
    assert profile.name == "default"
    with pytest.raises(KeyError, match="profile 'default' has no 'rate_limit.nope'"):
        profile.integer("rate_limit.nope")
    with pytest.raises(TypeError, match="rate_limit is .* not an integer"):
        profile.integer("rate_limit")


def test_a_profile_that_breaks_the_schema_is_refused_at_load_with_one_line(tmp_path):
    broken = tmp_path / "broken.yaml"
    broken.write_text("name: broken\nextends: default\ndescription: x\nrate_limit: {requests: 0, window_seconds: 60}\n",
                      encoding="utf-8")
    with pytest.raises(ProfileError) as caught:
        contract.load_profile(str(broken))
    message = str(caught.value)
    assert message.startswith(f"profile {broken}: rate_limit.requests: 0 is less than the minimum of 1")
    assert "\n" not in message and "profile.schema.json; 1 problem(s) in all" in message
    root = tmp_path / "root.yaml"  # a root profile must carry every number the schema requires
    root.write_text("name: root\ndescription: y\n", encoding="utf-8")
    with pytest.raises(ProfileError, match=r"profile .*root.yaml: \(top\): 'text_max_chars' is a required property"):
        contract.load_profile(str(root))
