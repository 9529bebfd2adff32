"""Every shipped load profile validates, works with 1,000 keys where the issue asks, and takes its limit from
the contract profile; invalid profiles are refused with a reason."""

import pytest
from pydantic import ValidationError

from loadtests.loadprofile import LoadProfile, Shape, known_profiles, load_load_profile


def test_the_shipped_profiles():
    assert set(known_profiles()) >= {"ci", "steady", "burst", "ramp", "soak"}
    for name in known_profiles():
        profile = load_load_profile(name)
        assert profile.limit() == (100, 60.0)
    for name in ("steady", "burst", "ramp", "soak"):
        assert load_load_profile(name).keys.count == 1000


def test_ci_profile_fits_in_ci():
    ci = load_load_profile("ci")
    assert ci.duration_seconds + ci.drain_seconds <= 30
    assert ci.shape is Shape.BURST
    # a key must go over its limit within the run, or the burst would prove nothing
    assert ci.duration_seconds / ci.per_key_interval() > 100


def test_steady_stays_under_and_burst_goes_over():
    assert load_load_profile("steady").per_key_interval() == pytest.approx(60 / 90)
    assert load_load_profile("burst").per_key_interval() == pytest.approx(0.3)


def test_overrides():
    profile = load_load_profile("burst", {"keys": {"count": 7}, "duration_seconds": 12})
    assert profile.keys.count == 7 and profile.keys.keys_per_world == 16 and profile.duration_seconds == 12


@pytest.mark.parametrize(("data", "message"), [
    ({"shape": "steady", "rate_factor": 1.5}, "under the limit"),
    ({"shape": "burst", "rate_factor": 0.5}, "over the limit"),
    ({"shape": "ramp", "rate_factor": 0.5}, "ramp"),
    ({"shape": "steady", "rate_factor": 0.5, "mix": {"send_text": 0}}, "positive weight"),
    ({"shape": "steady", "rate_factor": 0.5, "keys": {"source": "file"}}, "keys.file"),
    ({"shape": "steady", "rate_factor": 0.5, "surprise": 1}, "surprise"),
])
def test_invalid_profiles(data, message):
    with pytest.raises(ValidationError, match=message):
        LoadProfile.model_validate({"name": "x", "duration_seconds": 10, **data})


def test_unknown_profile_names_the_known_ones():
    with pytest.raises(FileNotFoundError, match="ci"):
        load_load_profile("nope")
