"""The CI load profile against the embedded pair, through the CLI module: once in one Locust process and
once with a Locust master and two workers on loopback; then against the reference run with a wrong limit (a
negative test without a mutant). Each run takes about 20 s (up to ~27 s on a busy shared 2-core box).

The assertions are on correctness (per-key admitted/rejected counts, reconciliation of journal and sink), not
on tight latency: the profile's p95 threshold is loose on purpose.
"""

from __future__ import annotations

import argparse
import csv
import json
import time

import pytest

from fiwano_conformance import load_cmd

# Heavy: starts servers, Locust or whole pytest runs. Under `-n 2` all of the group runs on one worker,
# one after another, so two heavy runs never compete for this machine's two cores (see pyproject.toml).
pytestmark = pytest.mark.xdist_group("heavy")

CORRECTNESS_GATES = ("failure ratio", "wrongly admitted requests", "wrongly rejected requests",
                     "rejected sends reaching Meta", "admitted sends missing at Meta", "inbound messages lost",
                     "unexplained duplicate deliveries", "invalid webhook signatures", "misrouted deliveries",
                     "status webhooks lost")


def run_load(out, *extra: str) -> tuple[int, dict, float]:
    parser = argparse.ArgumentParser()
    load_cmd.add_arguments(parser)
    started = time.monotonic()
    code = load_cmd.run(parser.parse_args(["--profile", "ci", "--out", str(out), *extra]))
    return code, json.loads((out / "verdict.json").read_text()), time.monotonic() - started


@pytest.fixture(scope="module")
def local_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("load-ci")
    code, verdict, seconds = run_load(out)
    return out, code, verdict, seconds


@pytest.fixture(scope="module")
def distributed_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("load-ci-distributed")
    # the layout of docs/scaling.md in miniature: 2 Locust workers, 2 simulator processes behind Caddy, 2 sink
    # processes on one port
    code, verdict, seconds = run_load(out, "--workers", "2", "--simulator-workers", "2", "--sink-workers", "2")
    return out, code, verdict, seconds


def gates(verdict: dict) -> dict[str, dict]:
    return {g["name"]: g for g in verdict["gates"]}


def assert_burst_judged_correctly(verdict: dict) -> None:
    assert verdict["result"] in ("pass", "fail"), verdict.get("error")
    for name in CORRECTNESS_GATES:
        gate = gates(verdict)[name]
        assert gate["status"] == "pass", gate
    rate = verdict["rate_limit"]
    # every key ran at 10x its limit for 12 s: each got exactly its limit admitted (setup requests included)
    assert rate["per_key_spread"]["admitted"] == {"min": rate["limit"], "max": rate["limit"]}
    assert rate["per_key_spread"]["rejected"]["min"] > 50
    assert verdict["south"]["matched"] > 0 and verdict["south"]["untracked"] == 0
    east = verdict["east"]
    assert east["inbound_emitted"] >= 20 and east["inbound_relayed"] == east["inbound_emitted"]
    assert east["statuses_emitted"] > 0


def test_ci_profile_in_one_process(local_run):
    out, code, verdict, seconds = local_run
    assert_burst_judged_correctly(verdict)
    for artifact in ("locust.html", "locust_stats.csv", "verdict.txt", "keys.csv", "sink.jsonl"):
        assert (out / artifact).exists(), artifact
    keys = list(csv.DictReader((out / "keys.csv").open()))
    assert len(keys) == 5 and all("…" in k["api_key"] for k in keys)
    assert code == {"pass": 0, "fail": 1}[verdict["result"]]


def test_ci_profile_with_two_locust_simulator_and_sink_workers(distributed_run):
    out, code, verdict, seconds = distributed_run
    assert_burst_judged_correctly(verdict)
    ready = json.loads((out / "pair" / "simulator.ready.json").read_text())
    assert len(ready["instances"]) == 2, ready  # the embedded pair's simulator was split in two
    per_worker = [len((out / "sink-workers" / f"sink-{i}.jsonl").read_text().splitlines()) for i in (0, 1)]
    merged = (out / "sink.jsonl").read_text().splitlines()
    assert sum(per_worker) == len(merged) == verdict["east"]["deliveries"] > 0, per_worker


def test_statuses_arrive_in_a_legal_order(local_run):
    assert gates(local_run[2])["illegal status orders"]["status"] == "pass"


def limit_profile(tmp_path, requests: int):
    """A contract profile like the default one but with another rate limit, for the embedded reference: the
    load run still judges against the documented 100 / 60 s, so the reference becomes a wrong target."""
    import yaml

    from contract import load_profile

    data = dict(load_profile("default"))
    data["rate_limit"] = {**data["rate_limit"], "requests": requests}
    path = tmp_path / f"limit-{requests}.yaml"
    path.write_text(yaml.safe_dump(data))
    return path


def test_a_target_limiting_too_early_fails_with_wrongly_rejected_requests(tmp_path):
    code, verdict, seconds = run_load(tmp_path / "out", "--duration", "10",
                                      "--pair-profile", str(limit_profile(tmp_path, 90)))
    assert code == 1 and verdict["result"] == "fail"
    g = gates(verdict)
    assert g["wrongly rejected requests"]["status"] == "fail" and g["wrongly admitted requests"]["status"] == "pass"
    assert verdict["rate_limit"]["per_key_spread"]["admitted"] == {"min": 90, "max": 90}


def test_a_target_without_an_effective_limit_fails_with_wrongly_admitted_requests(tmp_path):
    code, verdict, seconds = run_load(tmp_path / "out", "--duration", "10",
                                      "--pair-profile", str(limit_profile(tmp_path, 1_000_000)))
    assert code == 1
    g = gates(verdict)
    assert g["wrongly admitted requests"]["status"] == "fail"
    assert g["burst produced 429s"]["status"] == "fail"
    assert verdict["rate_limit"]["totals"]["rejected"] == 0
