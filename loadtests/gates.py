"""The gates: each measured number against its threshold from the load profile, and the verdict.

A pure function of the numbers, so every threshold is unit-tested without a run. A gate whose number could not
be measured (no simulator, so no journal) is reported as ``skipped`` with the reason, never as passed.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from loadtests.analysis import StepResult, Summary
from loadtests.loadprofile import LoadProfile, Shape
from loadtests.ratelimit import KeyAdmission
from loadtests.reconcile import EastReport, SouthReport


# The requirement ids (contract/requirements.yaml) each gate gives evidence for; the verdict carries them so that
# a report can put load-test results next to the suites' results for the same requirement.
REQUIREMENTS = {
    "wrongly admitted requests": ("RATE-LIMIT-429",),
    "burst produced 429s": ("RATE-LIMIT-429",),
    "wrongly rejected requests": ("RATE-LIMIT-UNDER", "RATE-LIMIT-PER-KEY", "RATE-LIMIT-RECOVERY"),
    "rejected sends reaching Meta": ("RATE-LIMIT-NO-SIDE-EFFECT",),
    "inbound messages lost": ("RELAY-RECEIVED-PAYLOAD",),
    "status webhooks lost": ("RELAY-SENT-WA", "RELAY-DELIVERED-READ"),
    "unexplained duplicate deliveries": ("RELAY-2XX-ONCE", "META-WEBHOOK-DEDUPE"),
    "invalid webhook signatures": ("RELAY-SIGNATURE",),
    "misrouted deliveries": ("RELAY-ISOLATION",),
    "illegal status orders": ("SEND-MESSAGE-ID-STATUS",),
}


@dataclass(frozen=True)
class Gate:
    name: str
    value: Any
    threshold: Any
    status: str          # "pass" | "fail" | "skipped"
    note: str = ""

    @property
    def requirements(self) -> tuple[str, ...]:
        return REQUIREMENTS.get(self.name, ())

    @property
    def failed(self) -> bool:
        return self.status == "fail"

    def as_dict(self) -> dict:
        return {**asdict(self), "requirements": list(self.requirements)}


def _at_most(name: str, value: float | int | None, limit: float | int | None, note: str = "") -> Gate:
    if limit is None:
        return Gate(name, value, None, "skipped", note or "no threshold in the profile (reported only)")
    if value is None:
        return Gate(name, None, limit, "skipped", note or "not measured")
    return Gate(name, value, limit, "pass" if value <= limit else "fail", note)


def totals(per_key: dict[int, KeyAdmission]) -> dict[str, int]:
    fields = ("admitted", "rejected", "unknown", "wrongly_admitted", "wrongly_rejected", "unjudged")
    return {f: sum(getattr(k, f) for k in per_key.values()) for f in fields}


def evaluate(profile: LoadProfile, summary: Summary, per_key: dict[int, KeyAdmission],
             south: SouthReport | None, east: EastReport | None, ramp: list[StepResult] | None = None,
             ramp_best: StepResult | None = None, drift_ratio: float | None = None) -> list[Gate]:
    t = profile.thresholds
    gates: list[Gate] = []
    if summary.requests == 0:
        gates.append(Gate("requests made", 0, "> 0", "fail", "the run made no request to the target"))
    gates.append(_at_most("p95 latency (ms)", None if summary.p95_ms is None else round(summary.p95_ms, 1),
                          t.p95_ms))
    gates.append(_at_most("failure ratio", round(summary.failure_ratio, 6), t.max_failure_ratio,
                          "non-2xx answers other than 429, and requests without an answer"))
    counts = totals(per_key)
    gates.append(_at_most("wrongly admitted requests", counts["wrongly_admitted"], t.max_wrongly_admitted,
                          f"over the documented limit ({profile.rate_limit.semantics.value} semantics)"))
    gates.append(_at_most("wrongly rejected requests", counts["wrongly_rejected"], t.max_wrongly_rejected,
                          "429 although the key was under its limit"
                          + (f"; {counts['unjudged']} in the first window of keys with unknown history not judged"
                             if counts["unjudged"] else "")))
    if profile.shape is Shape.BURST and counts["rejected"] == 0 and summary.requests:
        gates.append(Gate("burst produced 429s", 0, "> 0", "fail",
                          "every key ran over its limit but no request was rejected"))
    if south is None:
        gates.append(Gate("rejected sends reaching Meta", None, t.max_leaked_to_meta, "skipped",
                          "no simulator journal (keys without simulator worlds)"))
        gates.append(Gate("admitted sends missing at Meta", None, t.max_lost_sends, "skipped",
                          "no simulator journal"))
    else:
        gates.append(_at_most("rejected sends reaching Meta", south.leaked_to_meta, t.max_leaked_to_meta))
        gates.append(_at_most("admitted sends missing at Meta", south.lost_sends, t.max_lost_sends,
                              "success true, not queued, but no matching call in the journal"))
    if east is None:
        gates.append(Gate("inbound messages lost", None, t.max_inbound_lost, "skipped",
                          "no sink or no inbound traffic"))
    else:
        gates.append(_at_most("inbound messages lost", east.inbound_lost + east.inbound_refused,
                              t.max_inbound_lost, "accepted but never relayed, or refused by the target"))
        gates.append(_at_most("unexplained duplicate deliveries", east.duplicates_unexplained,
                              t.max_unexplained_duplicates,
                              f"{east.duplicates_explained} at-least-once duplicates reported separately"))
        gates.append(_at_most("invalid webhook signatures", east.invalid_signatures, t.max_invalid_signatures))
        gates.append(_at_most("misrouted deliveries", east.misrouted, 0))
        gates.append(_at_most("illegal status orders", east.illegal_status_orders, t.max_illegal_status_orders))
        latency = east.relay_latency_ms or {}
        summary_text = ", ".join(f"{k} {latency[k]}" for k in ("p50", "p90", "p99", "max") if latency.get(k) is not None)
        gates.append(_at_most("relay p99 latency (ms)", latency.get("p99"), t.relay_p99_ms,
                              (f"{latency.get('count', 0)} inbound messages, emit -> sink: {summary_text}"
                               if latency.get("count") else "no inbound message of the run was relayed")))
        if east.statuses_emitted:
            gates.append(_at_most("status webhooks lost", east.statuses_lost + east.statuses_refused,
                                  t.max_statuses_lost, "accepted but not relayed, or refused by the target"))
        if east.emit_errors:
            gates.append(Gate("inbound emitted by the simulator", east.emit_errors, 0, "fail",
                              "the simulator failed to emit (a kit error, not the target's)"))
    if profile.shape is Shape.RAMP:
        best = ramp_best.offered_rps if ramp_best else 0.0
        if t.min_sustainable_rps is None:
            gates.append(Gate("highest sustained rate (req/s)", best, None, "skipped", "reported only"))
        else:
            gates.append(Gate("highest sustained rate (req/s)", best, t.min_sustainable_rps,
                              "pass" if best >= t.min_sustainable_rps else "fail"))
    if profile.shape is Shape.SOAK or t.max_p95_drift_ratio is not None:
        gates.append(_at_most("p95 drift (last / first tenth)",
                              None if drift_ratio is None else round(drift_ratio, 3), t.max_p95_drift_ratio))
    return gates


def passed(gates: list[Gate]) -> bool:
    return not any(g.failed for g in gates)
