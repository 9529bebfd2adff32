"""Gate evaluation: each threshold trips on its own number, unmeasured gates are skipped (never passed)."""

import pytest

from loadtests.analysis import StepResult, Summary
from loadtests.gates import evaluate, passed, totals
from loadtests.loadprofile import LoadProfile
from loadtests.ratelimit import KeyAdmission
from loadtests.reconcile import EastReport, SouthReport


def profile(**changes) -> LoadProfile:
    data = {"name": "t", "shape": "burst", "duration_seconds": 10, "rate_factor": 2.0}
    data.update(changes)
    return LoadProfile.model_validate(data)


def summary(**changes) -> Summary:
    data = dict(requests=100, interrupted=0, failures=0, rejected_429=40, failure_ratio=0.0, p50_ms=5.0,
                p95_ms=20.0, p99_ms=30.0, first_sent=0.0, last_done=10.0, throughput_rps=10.0, by_operation={})
    data.update(changes)
    return Summary(**data)


def keys(wrongly_admitted=0, wrongly_rejected=0, rejected=40):
    return {0: KeyAdmission(60, rejected, 0, wrongly_admitted, wrongly_rejected, 60)}


def by_name(gates):
    return {g.name: g for g in gates}


def test_a_clean_burst_passes():
    gates = evaluate(profile(), summary(), keys(), SouthReport(), EastReport())
    assert passed(gates), [g for g in gates if g.failed]


@pytest.mark.parametrize(("name", "kwargs"), [
    ("p95 latency (ms)", {"summary": summary(p95_ms=900.0)}),
    ("failure ratio", {"summary": summary(failure_ratio=0.5)}),
    ("wrongly admitted requests", {"keys": keys(wrongly_admitted=3)}),
    ("wrongly rejected requests", {"keys": keys(wrongly_rejected=1)}),
    ("rejected sends reaching Meta", {"south": SouthReport(leaked_to_meta=1)}),
    ("admitted sends missing at Meta", {"south": SouthReport(lost_sends=2)}),
    ("inbound messages lost", {"east": EastReport(inbound_lost=1)}),
    ("inbound messages lost", {"east": EastReport(inbound_refused=1)}),
    ("unexplained duplicate deliveries", {"east": EastReport(duplicates_unexplained=1)}),
    ("invalid webhook signatures", {"east": EastReport(invalid_signatures=1)}),
    ("misrouted deliveries", {"east": EastReport(misrouted=1)}),
    ("illegal status orders", {"east": EastReport(illegal_status_orders=1)}),
    ("status webhooks lost", {"east": EastReport(statuses_emitted=3, statuses_lost=1)}),
    ("burst produced 429s", {"keys": keys(rejected=0)}),
])
def test_each_gate_trips(name, kwargs):
    gates = evaluate(profile(), kwargs.get("summary", summary()), kwargs.get("keys", keys()),
                     kwargs.get("south", SouthReport()), kwargs.get("east", EastReport()))
    assert by_name(gates)[name].failed
    assert not passed(gates)


def test_explained_duplicates_do_not_fail_but_are_reported():
    gates = evaluate(profile(), summary(), keys(), SouthReport(), EastReport(duplicates_explained=4))
    gate = by_name(gates)["unexplained duplicate deliveries"]
    assert not gate.failed and "4 at-least-once" in gate.note


def test_thresholds_come_from_the_profile():
    loose = profile(thresholds={"max_wrongly_admitted": 5, "p95_ms": 1000})
    gates = evaluate(loose, summary(p95_ms=900.0), keys(wrongly_admitted=3), SouthReport(), EastReport())
    assert passed(gates)


def test_unmeasured_gates_are_skipped_not_passed():
    gates = by_name(evaluate(profile(thresholds={"p95_ms": None}), summary(), keys(), None, None))
    for name in ("rejected sends reaching Meta", "admitted sends missing at Meta", "inbound messages lost",
                 "p95 latency (ms)"):
        assert gates[name].status == "skipped"


def test_an_empty_run_fails():
    gates = evaluate(profile(), summary(requests=0, p95_ms=None), {}, SouthReport(), EastReport())
    assert by_name(gates)["requests made"].failed


def test_steady_shape_does_not_require_429s():
    gates = evaluate(profile(shape="steady", rate_factor=0.9), summary(), keys(rejected=0), SouthReport(),
                     EastReport())
    assert "burst produced 429s" not in by_name(gates) and passed(gates)


def test_ramp_and_soak_gates():
    ramp = profile(shape="ramp", rate_factor=0.9, ramp={"start_keys": 1}, thresholds={"min_sustainable_rps": 50})
    best = StepResult(30, 45.0, 44.0, 10.0, 0.0, 0, True)
    assert by_name(evaluate(ramp, summary(), keys(), None, None, [best], best))[
        "highest sustained rate (req/s)"].failed
    soak = profile(shape="soak", rate_factor=0.8, thresholds={"max_p95_drift_ratio": 1.5})
    assert by_name(evaluate(soak, summary(), keys(), None, None, drift_ratio=2.0))[
        "p95 drift (last / first tenth)"].failed
    assert not by_name(evaluate(soak, summary(), keys(), None, None, drift_ratio=1.2))[
        "p95 drift (last / first tenth)"].failed


def test_totals():
    assert totals({0: KeyAdmission(1, 2, 3, 4, 5, 6), 1: KeyAdmission(1, 1, 1, 1, 1, 1, 2)}) == {
        "admitted": 2, "rejected": 3, "unknown": 4, "wrongly_admitted": 5, "wrongly_rejected": 6, "unjudged": 2}


def test_gates_name_existing_requirements():
    from contract import load_requirements
    from loadtests.gates import REQUIREMENTS

    known = load_requirements()
    assert all(rid in known for ids in REQUIREMENTS.values() for rid in ids)
    gate = by_name(evaluate(profile(), summary(), keys(), SouthReport(), EastReport()))["wrongly admitted requests"]
    assert gate.as_dict()["requirements"] == ["RATE-LIMIT-429"]


def test_relay_latency_gate_is_the_p99_at_its_threshold():
    latency = {"count": 100, "p50": 12.0, "p90": 30.0, "p99": 50.0, "max": 80.0}
    at = by_name(evaluate(profile(thresholds={"relay_p99_ms": 50}), summary(), keys(), SouthReport(),
                          EastReport(relay_latency_ms=latency)))["relay p99 latency (ms)"]
    assert (at.status, at.value, at.threshold) == ("pass", 50.0, 50)
    assert "100 inbound messages" in at.note and "p50 12.0, p90 30.0, p99 50.0, max 80.0" in at.note
    over = by_name(evaluate(profile(thresholds={"relay_p99_ms": 49.9}), summary(), keys(), SouthReport(),
                            EastReport(relay_latency_ms=latency)))["relay p99 latency (ms)"]
    assert over.status == "fail"
    unset = by_name(evaluate(profile(), summary(), keys(), SouthReport(),
                             EastReport(relay_latency_ms=latency)))["relay p99 latency (ms)"]
    assert unset.status == "skipped"  # no threshold: reported only
    nothing = by_name(evaluate(profile(thresholds={"relay_p99_ms": 50}), summary(), keys(), SouthReport(),
                               EastReport(relay_latency_ms={"count": 0})))["relay p99 latency (ms)"]
    assert (nothing.status, nothing.note) == ("skipped", "no inbound message of the run was relayed")


def test_the_shipped_profiles_with_inbound_gate_relay_latency():
    from loadtests.loadprofile import load_load_profile

    for name in ("ci", "steady", "soak", "burst"):
        assert load_load_profile(name).thresholds.relay_p99_ms is not None, name
