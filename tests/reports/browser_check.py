"""Checks a report.html in a real headless Chromium and takes a screenshot (docs/reports.md). Test code of the
kit (run from a checkout), not part of the installed package.

    python -m tests.reports.browser_check RESULTS_DIR/report.html [--expect-failure]
        [--screenshot docs/report-example.png] [--failure-screenshot docs/report-example-failure.png]

What "the report works" means here, checked in the rendered page (not in the HTML source):

* it renders: the verdict banner is on screen with its text;
* the requirement x channel matrix is shown: rows, one column per channel, status cells;
* a failure's evidence is visible: the first failure's evidence sections have a non-zero box, their
  text is on the page, and the north side is among them (``--expect-failure``: there must be a failure);
* it is self-contained: loading it made no request other than the file itself (no network assets).

Chromium runs as Debian packages it (``apt-get install chromium``), headless, without sandbox (we run as
root in CI containers), with a fresh profile and its background services off, and is driven over the
DevTools protocol (the ``websockets`` package, already a dependency of uvicorn[standard]).

Exit codes: 0 every check passed, 1 a check failed, 3 Chromium is not installed (tests skip on it).
"""

from __future__ import annotations

import argparse
import base64
import itertools
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, cast

EXIT_OK, EXIT_FAILED, EXIT_NO_BROWSER = 0, 1, 3
CANDIDATES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run", "--hide-scrollbars",
         "--disable-dev-shm-usage", "--window-size=1280,900")

# Runs in the page; returns what the checks need. getBoundingClientRect: "visible" means a real box.
PROBE = r"""
(() => {
  const box = el => { if (!el) return null; const r = el.getBoundingClientRect();
    const s = getComputedStyle(el); return {w: r.width, h: r.height, top: r.top + window.scrollY,
    shown: r.width > 0 && r.height > 0 && s.visibility !== 'hidden' && s.display !== 'none'}; };
  const verdict = document.getElementById('verdict');
  const matrix = document.getElementById('matrix');
  const header = matrix ? [...matrix.querySelectorAll('tr:first-child th')].map(th => th.textContent.trim()) : [];
  const cells = matrix ? [...matrix.querySelectorAll('td.cell')].map(td => td.dataset.status) : [];
  const failure = document.querySelector('#failures ~ article.test.fail, #failures ~ article.test.error');
  const sections = failure ? [...failure.querySelectorAll('section.evidence')].map(sec => ({
    title: sec.querySelector('h4').textContent.trim(), text: sec.querySelector('pre').innerText.slice(0, 200),
    box: box(sec.querySelector('pre'))})) : [];
  return {title: document.title, verdict: verdict ? verdict.textContent.trim() : null, verdictBox: box(verdict),
          matrixBox: box(matrix), matrixHeader: header,
          matrixRows: matrix ? matrix.querySelectorAll('tr[id^="req-"]').length : 0, cells,
          failure: failure ? failure.querySelector('h3').textContent.trim() : null, failureBox: box(failure),
          evidence: sections, pageHeight: document.documentElement.scrollHeight};
})()
"""


def find_chromium() -> str | None:
    explicit = os.environ.get("CHROMIUM")
    if explicit:
        return explicit if shutil.which(explicit) or Path(explicit).exists() else None
    return next((path for path in map(shutil.which, CANDIDATES) if path), None)


class DevTools:
    """A minimal synchronous DevTools-protocol session on one page."""

    def __init__(self, websocket: Any) -> None:
        self._ws = websocket
        self._ids = itertools.count(1)
        self.events: list[dict[str, Any]] = []

    def call(self, method: str, timeout: float = 30.0, **params: Any) -> dict[str, Any]:
        message_id = next(self._ids)
        self._ws.send(json.dumps({"id": message_id, "method": method, "params": params}))
        deadline = time.monotonic() + timeout
        while True:
            message = json.loads(self._ws.recv(timeout=max(0.1, deadline - time.monotonic())))
            if message.get("id") == message_id:
                if "error" in message:
                    raise RuntimeError(f"{method}: {message['error']}")
                return cast(dict[str, Any], message.get("result", {}))
            self.events.append(message)

    def wait_event(self, method: str, timeout: float = 30.0) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        for event in self.events:
            if event.get("method") == method:
                return event
        while time.monotonic() < deadline:
            message = json.loads(self._ws.recv(timeout=max(0.1, deadline - time.monotonic())))
            self.events.append(message)
            if message.get("method") == method:
                return cast(dict[str, Any], message)
        raise TimeoutError(f"no {method} within {timeout} s")


def _start(binary: str, profile: Path) -> tuple[subprocess.Popen[bytes], str]:
    process = subprocess.Popen([binary, *FLAGS, f"--user-data-dir={profile}", "--remote-debugging-port=0",
                                "about:blank"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    port_file = profile / "DevToolsActivePort"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if port_file.exists() and len(port_file.read_text().splitlines()) >= 2:
            port = port_file.read_text().splitlines()[0]
            import httpx

            for _ in range(50):
                try:
                    pages = [t for t in httpx.get(f"http://127.0.0.1:{port}/json/list", timeout=2).json()
                             if t.get("type") == "page"]
                    if pages:
                        return process, pages[0]["webSocketDebuggerUrl"]
                except (httpx.HTTPError, ValueError):
                    pass
                time.sleep(0.1)
        if process.poll() is not None:
            break
        time.sleep(0.1)
    process.kill()
    raise RuntimeError("Chromium did not open its DevTools port")


def _shoot(page: DevTools, path: Path, top: float, height: float) -> None:
    shot = page.call("Page.captureScreenshot", format="png", captureBeyondViewport=True,
                     clip={"x": 0, "y": max(0, int(top)), "width": 1280, "height": max(1, int(height)), "scale": 1})
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(base64.b64decode(shot["data"]))


def inspect(report: Path, screenshot: Path | None = None, failure_screenshot: Path | None = None,
            max_height: int = 2600) -> dict[str, Any]:
    """Load ``report`` in headless Chromium; return the probe and the requests made; write screenshots
    of the top of the page and of the first failure with its evidence."""
    binary = find_chromium()
    if binary is None:
        raise FileNotFoundError("Chromium is not installed (apt-get install -y chromium)")
    from websockets.sync.client import connect

    with tempfile.TemporaryDirectory(prefix="fiwano-chromium-") as profile_dir:
        process, ws_url = _start(binary, Path(profile_dir))
        try:
            with connect(ws_url, max_size=64 * 1024 * 1024, open_timeout=20) as websocket:
                page = DevTools(websocket)
                page.call("Page.enable")
                page.call("Network.enable")
                page.call("Emulation.setDeviceMetricsOverride", width=1280, height=900, deviceScaleFactor=1,
                          mobile=False)
                page.call("Page.navigate", url=report.resolve().as_uri())
                page.wait_event("Page.loadEventFired")
                result = page.call("Runtime.evaluate", expression=PROBE, returnByValue=True)
                probe = result["result"]["value"]
                requests = [e["params"]["request"]["url"] for e in page.events
                            if e.get("method") == "Network.requestWillBeSent"]
                if screenshot is not None:
                    _shoot(page, screenshot, 0, min(int(probe.get("pageHeight") or 900), max_height))
                failure_box = probe.get("failureBox")
                if failure_screenshot is not None and failure_box:
                    _shoot(page, failure_screenshot, failure_box["top"] - 40, min(failure_box["h"] + 60, max_height))
        finally:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
    return {"probe": probe, "requests": requests}


def problems(inspection: dict[str, Any], report: Path, expect_failure: bool = False) -> list[str]:
    """What is wrong with the rendered report (empty when every check passes).

    A failure's evidence is checked whenever the page shows a failure; ``expect_failure`` also demands
    that there is one (for the check of a run with a deliberate failure)."""
    probe, found = inspection["probe"], []
    if not probe.get("verdict") or not (probe.get("verdictBox") or {}).get("shown"):
        found.append("the verdict is not rendered")
    if not (probe.get("matrixBox") or {}).get("shown") or probe.get("matrixRows", 0) < 1:
        found.append("the requirement x channel matrix is not shown")
    if probe.get("matrixHeader", [])[1:] != ["WhatsApp", "Instagram", "Messenger"]:
        found.append(f"matrix columns are {probe.get('matrixHeader')}, expected requirement + the three channels")
    if not probe.get("cells"):
        found.append("the matrix has no status cell")
    if probe.get("failure") is None:
        if expect_failure:
            found.append("no failure is shown, and one was expected")
    else:
        visible = [e for e in probe.get("evidence", []) if (e.get("box") or {}).get("shown") and e.get("text")]
        if not visible:
            found.append(f"the evidence of {probe['failure']} is not visible")
        elif not any(e["title"].startswith("north") for e in visible):
            found.append("the north evidence of the first failure is not visible")
    own = report.resolve().as_uri()
    foreign = [url for url in inspection["requests"] if url != own and not url.startswith("data:")]
    if foreign:
        found.append(f"the report loads other resources (not self-contained): {foreign[:5]}")
    return found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.reports.browser_check", description=__doc__.split("\n\n")[0])
    parser.add_argument("report", type=Path, help="path of a report.html")
    parser.add_argument("--screenshot", type=Path, help="write a PNG of the top of the rendered page here")
    parser.add_argument("--failure-screenshot", type=Path, help="write a PNG of the first failure and its evidence here")
    parser.add_argument("--expect-failure", action="store_true",
                        help="fail the check when the report shows no failure (for a run with a deliberate failure)")
    args = parser.parse_args(argv)
    if find_chromium() is None:
        print("browser check skipped: Chromium is not installed (apt-get update && apt-get install -y chromium)",
              file=sys.stderr)
        return EXIT_NO_BROWSER
    inspection = inspect(args.report, args.screenshot, args.failure_screenshot)
    found = problems(inspection, args.report, expect_failure=args.expect_failure or bool(args.failure_screenshot))
    probe = inspection["probe"]
    print(f"verdict: {probe.get('verdict')}; matrix: {probe.get('matrixRows')} rows, {len(probe.get('cells', []))} "
          f"cells; first failure: {probe.get('failure')}; evidence visible: "
          f"{[e['title'].split(':')[0] for e in probe.get('evidence', []) if (e.get('box') or {}).get('shown')]}; "
          f"requests: {len(inspection['requests'])}")
    for shot in (args.screenshot, args.failure_screenshot):
        if shot:
            print(f"screenshot: {shot}")
    for problem in found:
        print(f"FAIL: {problem}", file=sys.stderr)
    return EXIT_FAILED if found else EXIT_OK


if __name__ == "__main__":
    raise SystemExit(main())
