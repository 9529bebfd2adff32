"""The admission oracle: given what one API key sent and what came back, how many requests did the target
admit that its documented limit forbids, and how many did it reject (429) that the limit allows?

Pure functions over timestamps, so they are unit-tested on synthetic data and reused for any shape.

Why it is defined this way (see docs/loadtests.md, "Window tolerance"): the documentation says "100 requests
per minute per API key" and does not name an algorithm. We therefore judge the two directions differently:

* wrongly REJECTED: a 429 is wrong when fewer than L requests were admitted in the trailing window before it
  (widened by the timing slack). Every common algorithm (sliding log, fixed window of any alignment, token
  bucket of capacity L refilled at L/W) admits a request in that situation, so this is algorithm-neutral.
  Requests whose outcome is unknown (transport error) are counted as admitted here, which can only forgive.
* wrongly ADMITTED: under ``sliding`` semantics no interval of W seconds (narrowed by the slack) may hold more
  than L admissions. Under ``any`` semantics (fixed windows, token bucket) an interval of W may hold up to 2L
  (the boundary burst), and the whole run of length T at most L * (ceil(T/W) + 1). Unknown outcomes are not
  counted here, which again can only forgive.

Counting only *admitted* requests is itself a reading of the documentation: a limiter that also counts
rejected attempts locks out a client that keeps sending at 2x, which "100 requests per minute" does not allow;
such a target shows wrongly rejected requests in the burst shape.
"""

from __future__ import annotations

import math
from bisect import bisect_left, bisect_right
from dataclasses import dataclass
from enum import IntEnum
from typing import Iterable, Sequence


class Outcome(IntEnum):
    ADMITTED = 1   # any HTTP answer other than 429
    REJECTED = 2   # 429
    UNKNOWN = 3    # no HTTP answer (connection error, timeout): the target may or may not have counted it


@dataclass(frozen=True)
class Attempt:
    """One request of one key: when it left, when its answer came back, and the outcome."""

    sent: float
    done: float
    outcome: Outcome


@dataclass(frozen=True)
class KeyAdmission:
    admitted: int
    rejected: int
    unknown: int
    wrongly_admitted: int
    wrongly_rejected: int
    max_admitted_in_window: int
    unjudged: int = 0        # 429s in the first window of a key whose earlier traffic is unknown


    def as_dict(self) -> dict:
        return dict(self.__dict__)


def max_in_interval(times: Sequence[float], length: float) -> int:
    """The largest number of sorted ``times`` that fit in one closed interval of ``length`` seconds."""
    best, left = 0, 0
    for right, t in enumerate(times):
        while t - times[left] > length:
            left += 1
        best = max(best, right - left + 1)
    return best


def _excess_in_trailing(times: Sequence[float], length: float, allowed: int) -> int:
    """How many of ``times`` are each preceded (themselves included) by more than ``allowed`` times in the
    trailing ``length`` seconds: the admissions a limiter of that strength should have refused."""
    excess, left = 0, 0
    for right, t in enumerate(times):
        while t - times[left] > length:
            left += 1
        if right - left + 1 > allowed:
            excess += 1
    return excess


def judge_key(attempts: Iterable[Attempt], limit: int, window: float, semantics: str = "any",
              tolerance: int = 0, slack: float = 1.0, history_known: bool = True) -> KeyAdmission:
    """Classify one key's attempts against a limit of ``limit`` requests per ``window`` seconds.

    ``history_known=False`` is for keys read from a file: traffic they carried before this run (an earlier run,
    another client) still counts on the target's side during our first window, so 429s in that window are not
    judged (``unjudged``). Unknown earlier admissions can only make a correct target admit less, so the
    wrongly-admitted side stays valid."""
    ordered = sorted(attempts, key=lambda a: a.sent)
    admitted = [a.sent for a in ordered if a.outcome is Outcome.ADMITTED]
    possibly_admitted = [a.sent for a in ordered if a.outcome is not Outcome.REJECTED]
    rejected = [a for a in ordered if a.outcome is Outcome.REJECTED]
    unknown = sum(1 for a in ordered if a.outcome is Outcome.UNKNOWN)

    wrongly_rejected = unjudged = 0
    judge_from = (ordered[0].sent + window + slack) if ordered and not history_known else float("-inf")
    for attempt in rejected:
        if attempt.sent < judge_from:
            unjudged += 1
            continue
        low = bisect_left(possibly_admitted, attempt.sent - window - slack)
        high = bisect_right(possibly_admitted, attempt.done)
        if high - low < limit - tolerance:
            wrongly_rejected += 1

    narrow = max(window - slack, 0.0)
    if semantics == "sliding":
        wrongly_admitted = _excess_in_trailing(admitted, narrow, limit + tolerance)
    elif semantics == "any":
        per_window = _excess_in_trailing(admitted, narrow, 2 * limit + tolerance)
        span = (admitted[-1] - admitted[0]) if admitted else 0.0
        whole_run_bound = limit * (math.ceil(max(span - slack, 0.0) / window) + 1) + tolerance
        wrongly_admitted = max(per_window, len(admitted) - whole_run_bound, 0)
    else:
        raise ValueError(f"unknown rate-limit semantics {semantics!r}")

    return KeyAdmission(admitted=len(admitted), rejected=len(rejected), unknown=unknown,
                        wrongly_admitted=wrongly_admitted, wrongly_rejected=wrongly_rejected,
                        max_admitted_in_window=max_in_interval(admitted, narrow), unjudged=unjudged)

