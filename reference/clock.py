"""Clocks. Every time rule of the reference reads time through one of these, never time.time() directly.

``RealClock`` is used normally. ``OffsetClock`` (test mode) is the real clock plus an offset that the harness
moves forward (``POST /harness/clock/advance``); listeners are told so that the scheduler re-checks due work.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import datetime, timezone


class Clock:
    def now(self) -> float:  # pragma: no cover - interface
        raise NotImplementedError

    @property
    def offset(self) -> float:
        return 0.0

    def add_listener(self, callback: Callable[[], None]) -> None:
        pass

    def remove_listener(self, callback: Callable[[], None]) -> None:
        pass


class RealClock(Clock):
    def now(self) -> float:
        return time.time()


class OffsetClock(Clock):
    """Real time shifted by an offset that only grows (advance)."""

    def __init__(self, offset: float = 0.0) -> None:
        self._offset = float(offset)
        self._lock = threading.Lock()
        self._listeners: list[Callable[[], None]] = []

    def now(self) -> float:
        return time.time() + self._offset

    @property
    def offset(self) -> float:
        return self._offset

    def advance(self, seconds: float) -> float:
        if seconds < 0:
            raise ValueError("the clock only moves forward")
        with self._lock:
            self._offset += float(seconds)
            listeners = list(self._listeners)
        for callback in listeners:
            callback()
        return self.now()

    def add_listener(self, callback: Callable[[], None]) -> None:
        with self._lock:
            self._listeners.append(callback)

    def remove_listener(self, callback: Callable[[], None]) -> None:
        with self._lock:
            if callback in self._listeners:
                self._listeners.remove(callback)


def iso(ts: float | None) -> str | None:
    """ISO-8601 UTC with a trailing Z, second precision (as the documented examples)."""
    if ts is None:
        return None
    return datetime.fromtimestamp(ts, tz=timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
