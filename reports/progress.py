"""The live progress line of a conformance run: tests done / total, failures so far, ETA.

pytest's dots say nothing about time, and a run can take 40 s (embedded pair) or much longer (a real
target at the api level, where the contract fuzzer alone paces ~900 requests under a 100/min key). When the
collector runs with ``--fiwano-progress line`` (``fiwano-conformance run`` asks for it unless ``-q``) this
replaces the dots: on a terminal one line is rewritten in place; in a CI log (no terminal) one line is
printed every LOG_EVERY_SECONDS, so the log shows the run is alive without a line per test. Subtests (the
contract fuzzer checks one API operation per subtest) show up as the test in progress.
"""

from __future__ import annotations

import time
from typing import Any

LOG_EVERY_SECONDS = 10.0
REWRITE_EVERY_SECONDS = 0.2


def eta_text(seconds: float | None) -> str:
    if seconds is None:
        return "ETA --"
    seconds = int(round(seconds))
    return f"ETA {seconds // 60}m{seconds % 60:02d}s" if seconds >= 60 else f"ETA {seconds}s"


def progress_line(done: int, total: int | None, failures: int, elapsed: float, now: str = "",
                  since_first: float | None = None) -> str:
    """``fiwano: 512/1010 tests, 0 failed, 41 s, ETA 39s`` (+ what is running when a subtest said so).

    The ETA uses the pace since the first test finished (``since_first``): the first one also pays for
    starting the servers, which would make the early estimates far too long."""
    eta = since_first / (done - 1) * (total - done) if total and done > 1 and since_first else None
    of = f"/{total}" if total is not None else ""
    line = f"fiwano: {done}{of} tests, {failures} failed, {elapsed:.0f} s, {eta_text(eta)}"
    return f"{line} ({now})" if now else line


class Progress:
    """Fed by the collector on the controller; writes through pytest's terminal reporter."""

    def __init__(self, config: Any) -> None:
        mode = config.getoption("fiwano_progress", "off") or "off"
        self.config = config
        self.enabled = mode != "off" and not hasattr(config, "workerinput")
        self.total: int | None = None
        self.done = 0
        self.failures = 0
        self.now = ""
        self.started = time.monotonic()
        self._last_write = 0.0
        self._first_done: float | None = None
        self._subtests: dict[str, int] = {}  # test -> subtests reported so far, while it runs

    def _reporter(self) -> Any:
        return self.config.pluginmanager.get_plugin("terminalreporter")

    def start(self, total: int) -> None:
        self.total = total
        self.started = time.monotonic()
        reporter = self._reporter()
        if self.enabled and reporter is not None:
            # the line replaces pytest's per-file names and percentages (the letters are suppressed by the
            # collector's pytest_report_teststatus)
            reporter.showfspath = False
            reporter._show_progress_info = False
        self._write(force=True)

    def test_done(self, key: str = "") -> None:
        self.done += 1
        if self._first_done is None:
            self._first_done = time.monotonic()
        if self._subtests.pop(key, None) is not None or not self._subtests:
            self.now = ""
        self._write(force=self.total is not None and self.done == self.total)

    def subtest(self, label: str, key: str = "") -> None:
        """One subtest of a running test (the contract fuzzer: one per API operation) reported."""
        count = self._subtests[key] = self._subtests.get(key, 0) + 1
        label = label.strip("'\"")
        self.now = f"contract fuzz: {count} operation(s) checked, last {label}" if label else ""
        self._write()

    def failure(self) -> None:
        self.failures += 1
        self._write(force=True)

    def _write(self, force: bool = False) -> None:
        reporter = self._reporter()
        if not self.enabled or reporter is None:
            return
        now = time.monotonic()
        tty = bool(getattr(reporter, "isatty", False))
        every = REWRITE_EVERY_SECONDS if tty else LOG_EVERY_SECONDS
        if not force and now - self._last_write < every:
            return
        if not tty and force and self.done not in (0, self.total) and now - self._last_write < 1.0:
            return  # in a log, a burst of failures is not a burst of lines
        self._last_write = now
        since_first = now - self._first_done if self._first_done is not None else None
        line = progress_line(self.done, self.total, self.failures, now - self.started, self.now, since_first)
        if tty:
            reporter.rewrite(line, erase=True)
        else:
            reporter.write_line(line)

    def finish(self) -> None:
        reporter = self._reporter()
        if self.enabled and reporter is not None:
            self._write(force=True)
            if getattr(reporter, "isatty", False):
                reporter.write_line("")
