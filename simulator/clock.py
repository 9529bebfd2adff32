"""The virtual clock: real time plus an offset that only ever grows.

One global clock (Meta's time) and, per world, an extra offset, so a test worker can move its own
world's time (24-hour window, media URL expiry, template edit quotas) without disturbing parallel
workers. The global clock moves every world. Time never goes backwards: the rules that depend on it
(windows, quotas, locks) assume monotonic time.
"""

from __future__ import annotations

import threading
import time
from datetime import datetime, timezone
from typing import Any


class ClockError(ValueError):
    """The requested clock move is not allowed (negative, backwards or past the supported range)."""


# The most any one clock may be moved ahead (~3,170 years). A world's time is the global time plus its own
# offset, so even both at the limit stay far below the last second an ISO 8601 timestamp can name (year 9999):
# a clock moved to 1.79e308 used to be stored, and every later clock call answered 500 (issue 18 row 10).
MAX_OFFSET_SECONDS = 1e11


class Clock:
    def __init__(self, parent: "Clock | None" = None) -> None:
        self._parent = parent
        self._offset = 0.0
        self._lock = threading.Lock()

    def now(self) -> float:
        parent = self._parent
        if parent is None:
            return time.time() + self._offset
        if parent._parent is None:  # a world's clock under the global one (every Graph call reads it): one call
            return (time.time() + parent._offset) + self._offset
        return parent.now() + self._offset

    @property
    def offset(self) -> float:
        return self._offset + (self._parent.offset if self._parent is not None else 0.0)

    def advance(self, seconds: float) -> float:
        if not isinstance(seconds, (int, float)) or seconds < 0 or seconds != seconds or seconds == float("inf"):
            raise ClockError("seconds must be a finite number >= 0")
        with self._lock:
            if self._offset + float(seconds) > MAX_OFFSET_SECONDS:
                raise ClockError(f"the clock can be moved at most {MAX_OFFSET_SECONDS:g} s ahead of real time "
                                 f"(it is {self._offset:g} s ahead)")
            self._offset += float(seconds)
        return self.now()

    def set(self, now: float) -> float:
        delta = now - self.now()
        if delta < 0:
            raise ClockError("the clock cannot go backwards")
        return self.advance(delta)

    def reset(self) -> None:
        with self._lock:
            self._offset = 0.0

    def snapshot(self) -> dict[str, Any]:
        now = self.now()
        return {"now": now, "iso": iso(now), "offset_seconds": self.offset}


def iso(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, tz=timezone.utc).isoformat().replace("+00:00", "Z")


def parse_time(value: object) -> float:
    """Accept Unix seconds (number) or an ISO 8601 string; raise ClockError otherwise."""
    if isinstance(value, bool):
        raise ClockError("now must be Unix seconds or an ISO 8601 timestamp")
    if isinstance(value, (int, float)):
        if value != value or value in (float("inf"), float("-inf")):
            raise ClockError("now must be finite")
        return float(value)
    if isinstance(value, str):
        try:
            parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError as exc:
            raise ClockError(f"not an ISO 8601 timestamp: {value!r}") from exc
        if parsed.tzinfo is None:
            parsed = parsed.replace(tzinfo=timezone.utc)
        return parsed.timestamp()
    raise ClockError("now must be Unix seconds or an ISO 8601 timestamp")
