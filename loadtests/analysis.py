"""Numbers computed from the ledger after the run: the request summary (latency, failures), the ramp steps
and the soak drift. Pure functions; the gates (``loadtests.gates``) decide what the numbers mean.

Latency and failures are computed from the ledger rather than from Locust's aggregated statistics so that they
cover exactly the requests made to the target's API (not the simulator calls of the inbound users) and come
out the same in a local and a distributed run.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Iterable, Sequence

from loadtests.ledger import INTERRUPTED, Op, Row


def percentile(values: Sequence[float], fraction: float) -> float | None:
    """Nearest-rank percentile (no interpolation: a reported p95 is a latency some request really had)."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(0, math.ceil(fraction * len(ordered)) - 1)]


def is_failure(row: Row) -> bool:
    """A failure is anything but a 2xx or a 429: a 429 is the limiter at work, judged by the oracle instead.
    A request cut off by the end of the run is neither (it is counted apart as ``interrupted``)."""
    return row.status not in (429, INTERRUPTED) and not (200 <= row.status < 300)


@dataclass(frozen=True)
class Summary:
    requests: int
    interrupted: int
    failures: int
    rejected_429: int
    failure_ratio: float
    p50_ms: float | None
    p95_ms: float | None
    p99_ms: float | None
    first_sent: float | None
    last_done: float | None
    throughput_rps: float
    by_operation: dict

    def as_dict(self) -> dict:
        return asdict(self)


def summarize(rows: Iterable[Row]) -> Summary:
    """One pass over the rows (a soak holds millions: nothing but latencies is kept per row)."""
    requests = interrupted = failures = rejected = 0
    first, last = math.inf, -math.inf
    latencies: list[float] = []
    per_op: dict[Op, tuple[dict[str, int], list[float]]] = {}
    for r in rows:
        if r.op is Op.SETUP:
            continue
        statuses, op_latencies = per_op.setdefault(r.op, ({}, []))
        statuses[str(r.status)] = statuses.get(str(r.status), 0) + 1
        if r.status == INTERRUPTED:
            interrupted += 1
            continue
        requests += 1
        failures += is_failure(r)
        rejected += r.status == 429
        first, last = min(first, r.sent), max(last, r.done)
        if r.status > 0:
            latencies.append(r.latency * 1000)
            op_latencies.append(r.latency * 1000)
    span = (last - first) if requests else 0.0
    by_op = {op.name.lower(): {"requests": sum(statuses.values()), "statuses": statuses,
                               "p95_ms": percentile(op_latencies, 0.95)}
             for op, (statuses, op_latencies) in sorted(per_op.items())}
    return Summary(requests=requests, interrupted=interrupted, failures=failures, rejected_429=rejected,
                   failure_ratio=(failures / requests) if requests else 0.0,
                   p50_ms=percentile(latencies, 0.50), p95_ms=percentile(latencies, 0.95),
                   p99_ms=percentile(latencies, 0.99), first_sent=first if requests else None,
                   last_done=last if requests else None,
                   throughput_rps=(requests / span) if span > 0 else 0.0, by_operation=by_op)


@dataclass(frozen=True)
class Step:
    """One ramp step as the shape ran it (wall-clock times)."""

    start: float
    end: float
    keys: int
    offered_rps: float


@dataclass(frozen=True)
class StepResult:
    keys: int
    offered_rps: float
    achieved_rps: float
    p95_ms: float | None
    failure_ratio: float
    rejected_429: int
    sustained: bool


def ramp_steps(rows: Sequence[Row], steps: Sequence[Step], p95_limit_ms: float | None, max_failure_ratio: float,
               sustain_ratio: float, settle_seconds: float = 0.0) -> list[StepResult]:
    """Judge each step on the requests sent in it (after ``settle_seconds`` of spawning): sustained when the
    achieved rate is at least ``sustain_ratio`` of the offered one, with p95 and failures in bounds and no 429
    (the keys run under their limit, so a 429 means the target is shedding load)."""
    results = []
    for step in steps:
        start = min(step.start + settle_seconds, step.end)
        mine = [r for r in rows if start <= r.sent < step.end and r.op is not Op.SETUP]
        span = step.end - start
        achieved = len(mine) / span if span > 0 else 0.0
        p95 = percentile([r.latency * 1000 for r in mine if r.status > 0], 0.95)
        failure_ratio = (sum(1 for r in mine if is_failure(r)) / len(mine)) if mine else 1.0
        rejected = sum(1 for r in mine if r.status == 429)
        sustained = (bool(mine) and achieved >= sustain_ratio * step.offered_rps
                     and (p95_limit_ms is None or (p95 is not None and p95 <= p95_limit_ms))
                     and failure_ratio <= max_failure_ratio and rejected == 0)
        results.append(StepResult(step.keys, step.offered_rps, round(achieved, 2), p95, round(failure_ratio, 5),
                                  rejected, sustained))
    return results


def highest_sustained(results: Sequence[StepResult]) -> StepResult | None:
    """The last step of the unbroken run of sustained steps from the start (a later lucky step after a failed
    one does not count: the rate was not sustainable on the way up)."""
    best = None
    for result in results:
        if not result.sustained:
            break
        best = result
    return best


def p95_drift(rows: Iterable[Row], fraction: float = 0.1) -> tuple[float | None, float | None, float | None]:
    """p95 of the first and the last ``fraction`` of the run (by send time) and their ratio (last / first).
    Takes the rows twice over if given a callable returning a fresh iterator (no list of millions of rows)."""
    source = rows if callable(rows) else (lambda materialized=list(rows): iter(materialized))
    start, end, count = math.inf, -math.inf, 0
    for r in source():
        if r.op is not Op.SETUP and r.status > 0:
            start, end, count = min(start, r.sent), max(end, r.sent), count + 1
    if count < 20:
        return None, None, None
    edge = (end - start) * fraction
    early, late = [], []
    for r in source():
        if r.op is Op.SETUP or r.status <= 0:
            continue
        if r.sent <= start + edge:
            early.append(r.latency * 1000)
        if r.sent >= end - edge:
            late.append(r.latency * 1000)
    first, last = percentile(early, 0.95), percentile(late, 0.95)
    ratio = (last / first) if first and last is not None else None
    return first, last, ratio
