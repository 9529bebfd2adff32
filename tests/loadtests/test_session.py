"""The parts of a run's session that do not need Locust: ramp bookkeeping and the early end of a ramp."""

import time

from loadtests.keyclaims import Coordinator
from loadtests.keyring import Keyring, KeySpec
from loadtests.ledger import Op
from loadtests.loadprofile import LoadProfile
from loadtests.session import Options, Session


def ramp_session(**ramp) -> Session:
    profile = LoadProfile.model_validate({
        "name": "r", "shape": "ramp", "duration_seconds": 100, "rate_factor": 0.9,
        "ramp": {"start_keys": 2, "step_keys": 2, "step_seconds": 3, **ramp}, "thresholds": {"p95_ms": 100}})
    keyring = Keyring(run_id="r", keys=[KeySpec(index=i, api_key=f"mip_live_{i:020d}") for i in range(10)])
    session = Session(Options(target="http://t"), profile=profile, keyring=keyring)
    session.coordinator = Coordinator(keyring, {})
    return session


def test_keys_at_follows_the_ramp_and_caps_at_the_keyring():
    session = ramp_session()
    assert [session.keys_at(t) for t in (0, 2.9, 3, 6.5, 100)] == [2, 2, 4, 6, 10]


def test_steps_are_recorded_in_wall_clock_time():
    session = ramp_session()
    session.note_keys(2)
    session.note_keys(2)
    session.note_keys(4)
    session.close_steps()
    assert [s.keys for s in session.steps] == [2, 4]
    assert session.steps[0].end == session.steps[1].start and session.steps[1].end != float("inf")
    assert session.steps[1].offered_rps == 4 * 100 / 60 * 0.9


def test_the_ramp_ends_after_consecutive_unsustained_steps():
    session = ramp_session(stop_after_unsustained_steps=2)
    ledger = session.coordinator.ledger
    now = time.time()
    from loadtests.analysis import Step

    # two finished steps, long enough ago that every row has arrived; the second is slow (p95 > 100 ms)
    session.steps = [Step(now - 20, now - 13, 2, 3.0), Step(now - 13, now - 6, 4, 6.0)]
    for i in range(21):
        ledger.record(0, i, Op.SEND_TEXT, now - 20 + i / 3, now - 20 + i / 3 + 0.01, 200)
    for i in range(42):
        ledger.record(1, i, Op.SEND_TEXT, now - 13 + i / 6, now - 13 + i / 6 + 0.5, 200)
    assert not session.ramp_should_stop()          # the first step was sustained
    session.steps.append(Step(now - 6, now - 4.5, 6, 9.0))
    session._ramp_judged = 0
    for i in range(14):
        ledger.record(2, i, Op.SEND_TEXT, now - 6 + i / 9, now - 6 + i / 9 + 0.5, 200)
    assert session.ramp_should_stop()               # steps 2 and 3 both too slow


def test_the_ramp_runs_every_step_when_asked_to():
    session = ramp_session(stop_after_unsustained_steps=None)
    assert not session.ramp_should_stop()
