"""The life of one load run in the process that owns it (the Locust master, or the only process):
prepare (profile, sink, keys), then after the run judge it (reconcile, gates, verdict, exit code).

It is wired to Locust's events by ``loadtests.locustfile``; workers only get a :class:`~loadtests.coordination.Link`.
Setup failures do not raise out of Locust's init event (Locust would print a traceback and exit 1, which reads
as "gates failed"): they are recorded, the shape ends the run at once, and the exit code is 2 (error).
"""

from __future__ import annotations

import logging
import secrets
import time
import traceback
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator

from loadtests import analysis, gates as gates_mod, reconcile, verdict as verdict_mod
from loadtests.keyclaims import Coordinator
from loadtests.inbound import simulator_client
from loadtests.keyring import Keyring
from loadtests.ledger import Op
from loadtests.loadprofile import LoadProfile, Shape, load_load_profile
from loadtests.provision import load_keyring, mint_keyring, repoint_webhooks
from loadtests.ratelimit import KeyAdmission, judge_key
from loadtests.sink import Sink
from loadtests.sink_pool import SinkPool, make_sink

from fiwano_conformance.shared.kit_ca import default_ca_dir

log = logging.getLogger("fiwano.load")


@dataclass
class Options:
    """The run's settings, from Locust's parsed options (``--fiwano-*``) or built directly by tests."""

    target: str
    profile: str = "ci"
    out: Path = Path("load-results")
    keys_file: Path | None = None
    harness: str | None = None
    simulator: str | None = None
    sink_host: str = "127.0.0.1"
    sink_port: int = 0
    sink_url: str | None = None
    sink_ca_dir: Path | None = None
    sink_workers: int = 1
    save_keys: Path | None = None
    keys_count: int | None = None
    duration: float | None = None
    run_id: str | None = None

    @classmethod
    def from_locust(cls, environment) -> "Options":
        o = environment.parsed_options
        return cls(target=(environment.host or "").rstrip("/"), profile=o.fiwano_profile, out=Path(o.fiwano_out),
                   keys_file=Path(o.fiwano_keys) if o.fiwano_keys else None,
                   harness=(o.fiwano_harness or None), simulator=(o.fiwano_simulator or None),
                   sink_host=o.fiwano_sink_host, sink_port=int(o.fiwano_sink_port or 0),
                   sink_url=o.fiwano_sink_url or None,
                   sink_ca_dir=Path(o.fiwano_sink_ca_dir) if o.fiwano_sink_ca_dir else None,
                   sink_workers=int(getattr(o, "fiwano_sink_workers", 1) or 1),
                   save_keys=Path(o.fiwano_save_keys) if o.fiwano_save_keys else None,
                   keys_count=int(o.fiwano_keys_count) if o.fiwano_keys_count else None,
                   duration=float(o.fiwano_duration) if o.fiwano_duration else None,
                   run_id=o.fiwano_run_id or None)


@dataclass
class Session:
    options: Options
    profile: LoadProfile | None = None
    run_id: str = ""
    keyring: Keyring | None = None
    coordinator: Coordinator | None = None
    sink: Sink | SinkPool | None = None
    setup_inbound: list[dict] = field(default_factory=list)
    error: str | None = None
    steps: list[analysis.Step] = field(default_factory=list)
    drain_started: float | None = None
    ramp_stopped: bool = False
    _ramp_judged: int = 0
    finished: bool = False
    started_at: float | None = None

    # --- before the run ----------------------------------------------------------------------------------
    def prepare(self) -> None:
        try:
            self._prepare()
        except Exception as exc:  # noqa: BLE001 - reported as a run error with exit code 2, see the module docstring
            self.error = f"setup failed: {type(exc).__name__}: {exc}"
            log.error("%s\n%s", self.error, traceback.format_exc())

    def _prepare(self) -> None:
        o = self.options
        if not o.target:
            raise ValueError("no target: pass --host URL (or --target to fiwano-conformance load)")
        overrides: dict[str, Any] = {}
        if o.keys_count:
            overrides["keys"] = {"count": o.keys_count}
        if o.duration:
            overrides["duration_seconds"] = o.duration
        if o.keys_file:
            overrides.setdefault("keys", {}).update({"source": "file", "file": str(o.keys_file)})
        self.profile = load_load_profile(o.profile, overrides)
        self.run_id = o.run_id or time.strftime("%Y%m%dT%H%M%S") + "-" + secrets.token_hex(3)
        o.out.mkdir(parents=True, exist_ok=True)
        if self.profile.keys.source == "harness" or o.simulator:
            self.sink = make_sink(o.sink_ca_dir or default_ca_dir(), o.sink_workers, o.out, host=o.sink_host,
                                  port=o.sink_port, public_url=o.sink_url).start()
            log.info("webhook sink at %s (CA %s, %d process(es))", self.sink.url, self.sink.ca_file, o.sink_workers)
        if self.profile.keys.source == "harness":
            if not o.simulator:
                raise ValueError("minting keys needs the simulator (--fiwano-simulator URL) to own the assets")
            self.keyring, self.setup_inbound = mint_keyring(
                self.profile, self.run_id, o.target, (o.harness or o.target).rstrip("/"), o.simulator,
                self.sink.url if self.sink else None)
            for row in self.setup_inbound:  # window openers: reconciled, but not in the run's relay latency
                row["setup"] = True
        else:
            self.keyring = load_keyring(Path(self.profile.keys.file), self.profile, self.run_id, o.target)
            self.keyring.keys = self.keyring.keys[:self.profile.keys.count]
            self.keyring.run_id = self.run_id
            if self.sink is not None:
                repoint_webhooks(self.keyring, o.target, self.sink.url)
        if o.save_keys:
            self.keyring.save(o.save_keys)
        self.coordinator = Coordinator(self.keyring, self._settings(), inbound_targets=self._inbound_targets(),
                                       status_targets=self._status_targets())
        for key in self.keyring.keys:
            for number, (sent, done, status) in enumerate(key.prior_requests):
                self.coordinator.ledger.record(key.index, -1 - number, Op.SETUP, sent, done, int(status))

    def _settings(self) -> dict[str, Any]:
        p = self.profile
        rate = p.inbound.rate_per_second
        return {"run_id": self.run_id, "interval": p.per_key_interval(), "spread": len(self.keyring.keys),
                "mix": p.mix.model_dump(), "template": p.template.model_dump(),
                "simulator_url": self.options.simulator, "inbound_users": p.inbound.users,
                "inbound_interval": (p.inbound.users / rate) if rate > 0 else 0.0,
                "status_users": p.statuses.users,
                "status_interval": (p.statuses.users / p.statuses.rate_per_second)
                if p.statuses.rate_per_second > 0 else 0.0}

    def _inbound_targets(self) -> list:
        if not self.options.simulator or self.profile.inbound.rate_per_second <= 0:
            return []
        return [[k.index, c.model_dump(mode="json")] for k, c in self.keyring.channels()
                if c.recipient and c.world_id and c.asset_id]

    def _status_targets(self) -> dict:
        if not self.options.simulator or self.profile.statuses.rate_per_second <= 0:
            return {}
        targets: dict[str, dict] = {}
        for key, channel in self.keyring.channels():
            if channel.world_id and channel.asset_id:
                targets.setdefault(channel.world_id, {})[channel.asset_id] = {
                    **channel.model_dump(mode="json", exclude={"webhook_secret"}), "key": key.index}
        return targets

    # --- during the run (called by the shape) ------------------------------------------------------------
    def inbound_users(self) -> int:
        return self.profile.inbound.users if self.coordinator and self.coordinator.inbound_targets else 0

    def status_users(self) -> int:
        if not (self.coordinator and self.coordinator.status_targets):
            return 0
        return min(self.profile.statuses.users, len(self.coordinator.status_targets))

    def keys_at(self, elapsed: float) -> int:
        total = len(self.keyring.keys)
        if self.profile.shape is not Shape.RAMP:
            return total
        ramp = self.profile.ramp
        return min(total, ramp.start_keys + ramp.step_keys * int(elapsed // ramp.step_seconds))

    def note_keys(self, keys: int) -> None:
        """Keep the ramp's steps in wall-clock time, for the per-step analysis."""
        now = time.time()
        if self.started_at is None:
            self.started_at = now
        if self.steps and self.steps[-1].keys == keys:
            return
        if self.steps:
            last = self.steps[-1]
            self.steps[-1] = analysis.Step(last.start, now, last.keys, last.offered_rps)
        limit, window = self.profile.limit()
        self.steps.append(analysis.Step(now, float("inf"), keys, keys * limit / window * self.profile.rate_factor))

    def ramp_should_stop(self, report_lag: float = 4.0) -> bool:
        """Judge the finished ramp steps whose rows have all arrived (workers report every 3 s) and say whether
        the last ``stop_after_unsustained_steps`` of them were all unsustained: the breaking point is found."""
        ramp = self.profile.ramp
        if ramp is None or ramp.stop_after_unsustained_steps is None:
            return False
        now = time.time()
        finished = [s for s in self.steps if s.end != float("inf") and s.end + report_lag <= now]
        if len(finished) < ramp.stop_after_unsustained_steps or len(finished) == self._ramp_judged:
            return False
        self._ramp_judged = len(finished)
        recent = finished[-ramp.stop_after_unsustained_steps:]
        rows = list(self.coordinator.ledger.rows_since(recent[0].start))
        t = self.profile.thresholds
        results = analysis.ramp_steps(rows, recent, t.p95_ms, t.max_failure_ratio, self.profile.ramp_sustain_ratio,
                                      settle_seconds=min(5.0, ramp.step_seconds / 3))
        if all(not r.sustained for r in results):
            log.info("ramp: %d steps in a row not sustained (from %d keys); ending the ramp", len(results),
                     recent[0].keys)
            return True
        return False

    def close_steps(self) -> None:
        if self.steps and self.steps[-1].end == float("inf"):
            last = self.steps[-1]
            self.steps[-1] = analysis.Step(last.start, time.time(), last.keys, last.offered_rps)

    # --- after the run -----------------------------------------------------------------------------------
    def finish(self, environment=None) -> int:
        """Reconcile, gate, write the verdict; returns the exit code (0 pass, 1 gates failed, 2 error)."""
        if self.finished:
            return self._exit_code
        self.finished = True
        self.close_steps()
        try:
            verdict = self._judge()
        except Exception as exc:  # noqa: BLE001 - a failed judgement is reported as the run's error verdict
            log.error("judging the run failed:\n%s", traceback.format_exc())
            verdict = {"run_id": self.run_id, "target": self.options.target, "result": "error",
                       "error": f"judging failed: {type(exc).__name__}: {exc}", "gates": [],
                       "profile": {"name": self.options.profile, "shape": getattr(self.profile, "shape", "?")}}
        self._exit_code = {"pass": 0, "fail": 1}.get(verdict["result"], 2)
        text = verdict_mod.write_verdict(self.options.out, verdict)
        log.info("\n%s", text)
        if self.sink is not None:
            self.sink.stop()
        return self._exit_code

    def _wait_for_late_webhooks(self, emitted: list[dict]) -> None:
        if self.sink is None:
            return
        deadline = time.monotonic() + self.profile.settle_seconds
        while time.monotonic() < deadline and reconcile.missing_deliveries(emitted, self.sink.records()):
            time.sleep(0.25)

    def _journal(self) -> Iterator | None:
        """The send calls of the run's worlds, fetched world by world as the reconciliation consumes them."""
        if not (self.options.simulator and self.keyring.world_ids):
            return None
        sim = simulator_client(self.options.simulator)
        return (entry for world_id in self.keyring.world_ids
                for entry in sim.journal(world_id, method="POST", path_contains="/messages"))

    def _judge(self) -> dict:
        profile_info = {"name": self.options.profile,
                        "shape": self.profile.shape.value if self.profile else None,
                        "duration_seconds": self.profile.duration_seconds if self.profile else None,
                        "rate_factor": self.profile.rate_factor if self.profile else None,
                        "keys": len(self.keyring.keys) if self.keyring else 0}
        base = {"run_id": self.run_id, "target": self.options.target, "profile": profile_info}
        if self.error:
            return {**base, "result": "error", "error": self.error, "gates": []}
        p, ledger = self.profile, self.coordinator.ledger
        limit, window = p.limit()
        emitted = self.setup_inbound + ledger.inbound
        self._wait_for_late_webhooks(emitted)

        per_key: dict[int, KeyAdmission] = {
            key.index: judge_key(ledger.attempts(key.index), limit, window, p.rate_limit.semantics.value,
                                 p.rate_limit.tolerance_requests, p.rate_limit.timing_slack_seconds,
                                 history_known=p.keys.source == "harness")
            for key in self.keyring.keys if any(True for _ in ledger.rows(key.index))}
        # passes over the ledger and the journal rather than lists: a soak holds millions of rows
        summary = analysis.summarize(ledger.all_rows())
        journal = self._journal()
        south = reconcile.reconcile_south(self.run_id, ledger.all_rows(), journal) if journal is not None else None
        sink_records = self.sink.records() if self.sink else []
        east = None
        if self.sink is not None and (emitted or sink_records):
            east = reconcile.reconcile_east(emitted, sink_records, self.keyring.secrets_by_channel(),
                                            float(p.contract()["relay_retry"]["response_timeout_seconds"]))
        ramp_results, best = None, None
        if p.shape is Shape.RAMP:
            ramp_results = analysis.ramp_steps(list(ledger.all_rows()), self.steps, p.thresholds.p95_ms,
                                               p.thresholds.max_failure_ratio, p.ramp_sustain_ratio,
                                               settle_seconds=min(5.0, p.ramp.step_seconds / 3))
            best = analysis.highest_sustained(ramp_results)
        drift = analysis.p95_drift(ledger.all_rows)
        gate_list = gates_mod.evaluate(p, summary, per_key, south, east, ramp_results, best, drift[2])
        result, _ = verdict_mod.result_of(gate_list, None)

        out = self.options.out
        sends = {key: sum(1 for r in ledger.rows(key) if r.op.is_send) for key in ledger.keys()}
        verdict_mod.write_keys_csv(out / "keys.csv", self.keyring, per_key, sends)
        if self.sink is not None:
            self.sink.write_jsonl(out / "sink.jsonl")
        totals = gates_mod.totals(per_key)
        return {**base, "result": result, "started": self.started_at,
                "summary": summary.as_dict(),
                "rate_limit": {"limit": limit, "window_seconds": window,
                               "semantics": p.rate_limit.semantics.value,
                               "timing_slack_seconds": p.rate_limit.timing_slack_seconds,
                               "per_key_interval_seconds": p.per_key_interval(),
                               "offered_rps_per_key": 1 / p.per_key_interval(),
                               "totals": totals, "per_key_spread": verdict_mod.per_key_spread(per_key)},
                "south": south.as_dict() if south else None,
                "east": east.as_dict() if east else None,
                "ramp": ({"steps": [r.__dict__ for r in ramp_results],
                          "highest_sustained": best.__dict__ if best else None} if ramp_results is not None
                         else None),
                "drift": {"first_p95_ms": drift[0], "last_p95_ms": drift[1], "ratio": drift[2]},
                "gates": [g.as_dict() for g in gate_list],
                "sink_url": self.sink.url if self.sink else None}

    _exit_code: int = 2
