"""Reproduction bundles: one directory per failed test with what it takes to replay it.

A failure across three parties is only actionable if someone else can replay it (schemathesis prints a
curl command; the kit can do better, see shared/research/conformance-anchors.md §2 item 10). Each
bundle holds:

* ``replay.sh``: the one pytest command that re-runs exactly this test (node id, same level, profile,
  channels and seed) with the results of the replay written next to the bundle; secrets come from the
  environment, never from the bundle;
* ``north.curl.sh``: the REST calls the suite made to the target, as curl commands (key from ``$FIWANO_API_KEY``);
* ``simulator-script.json``: the simulator journal excerpt (the Graph calls the target made and what the
  simulator answered), i.e. the upstream behaviour the test scripted;
* ``config.json`` (redacted), ``evidence/<side>.txt`` and a ``README.md`` saying what failed.
"""

from __future__ import annotations

import json
import re
import shlex
from pathlib import Path
from typing import Any

from reports.model import ERROR, FAIL, RunResults, TestResult

# settings that replay.sh passes through as options; secrets are left to the environment
_PASSED_SETTINGS = ("target", "simulator", "harness", "level", "channels", "profile", "sink_host", "sink_url",
                    "sink_ca_dir", "seed", "delivery_timeout", "quiet_seconds")
TRUNCATED = re.compile(r" \.\.\. \((\d+) chars\)$")  # how suites/evidence.py marks a shortened body


def slug(nodeid: str, limit: int = 80) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "_", nodeid.split("/")[-1]).strip("_")[:limit] or "test"


def pyarg(nodeid: str) -> str | None:
    """The suites' node id usable with ``--pyargs`` from anywhere (``suites/test_x.py::t[a]`` ->
    ``suites.test_x::t[a]``); None for a test outside the installed suites package."""
    path, sep, rest = nodeid.partition("::")
    if path.startswith("suites/") and path.endswith(".py") and ".." not in path:
        return path[:-3].replace("/", ".") + sep + rest
    return None


def replay_command(test: TestResult, configuration: dict[str, Any], rootdir: str = "") -> list[str]:
    """The pytest command that re-runs ``test`` alone with the run's settings (secrets excluded)."""
    command = ["python", "-m", "pytest", "-p", "reports.collector", "-p", "no:cacheprovider",
               "--fiwano-results", "replay-results"]
    for name in _PASSED_SETTINGS:
        value = configuration.get(name)
        if value in (None, "", [], ()) or "<redacted>" in str(value):
            continue
        if isinstance(value, (list, tuple)):
            value = ",".join(map(str, value))
        command.append(f"--fiwano-{name.replace('_', '-')}={value}")
    module = pyarg(test.nodeid)
    if module is not None:
        return command + ["--pyargs", module]
    return command + ["--rootdir", rootdir or ".", str(Path(rootdir or ".") / test.nodeid)]


def journal_script(south: str) -> list[dict[str, Any]]:
    """The simulator journal as rendered in the evidence (``#seq METHOD PATH -> STATUS`` + request/response)."""
    entries: list[dict[str, Any]] = []
    current: dict[str, Any] | None = None
    for line in south.splitlines():
        head = re.match(r"^#(\d+) (\S+) (\S+) -> (\S+)$", line.strip())
        if head:
            current = {"seq": int(head.group(1)), "method": head.group(2), "path": head.group(3),
                       "status": int(head.group(4)) if head.group(4).isdigit() else head.group(4)}
            entries.append(current)
            continue
        part = re.match(r"^\s+(request|response): (.*)$", line)
        if part and current is not None:
            text = part.group(2)
            try:
                current[part.group(1)] = json.loads(text)
            except ValueError:
                current[part.group(1)] = text
    return entries


def north_curls(north: str) -> list[str]:
    """Curl commands for the REST calls in the north evidence (``> METHOD URL [headers]`` + ``>   body``)."""
    commands: list[str] = []
    for line in north.splitlines():
        head = re.match(r"^> (?:\[harness\] )?([A-Z]+) (\S+)(?:\s+\[(.*)\])?$", line)
        if head:
            method, url, headers = head.groups()
            parts = ["curl", "-sS", "-X", method, shlex.quote(url)]
            if headers and "x-api-key" in headers.lower():
                parts += ["-H", '"X-API-Key: $FIWANO_API_KEY"']
            if headers and "application/json" in headers.lower():
                parts += ["-H", shlex.quote("Content-Type: application/json")]
            commands.append(" ".join(parts))
        elif line.startswith(">   ") and commands:
            body = line[4:]
            cut = TRUNCATED.search(body)
            if cut:  # never replay a different body: the call stays visible but commented out
                commands[-1] = (f"# body shortened in the evidence ({cut.group(1)} chars), not replayable: "
                                + commands[-1])
            else:
                commands[-1] += " --data-raw " + shlex.quote(body)
    return commands


def write_bundle(test: TestResult, results: RunResults, directory: Path) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    command = replay_command(test, results.configuration, results.rootdir)
    (directory / "replay.sh").write_text(
        "#!/bin/sh\n"
        f"# Replays {test.nodeid} ({test.status}: {' '.join(test.message[:200].split())})\n"
        "# Secrets are not in this bundle: export FIWANO_API_KEYS (api level without a harness) if the run had them.\n"
        "# The replay's results go to replay-results/ next to this script.\n"
        "set -e\ncd \"$(dirname \"$0\")\"\n" + " ".join(shlex.quote(c) for c in command) + " \"$@\"\n",
        encoding="utf-8")
    (directory / "replay.sh").chmod(0o755)
    curls = north_curls(test.evidence.get("north", ""))
    needs_key = any("$FIWANO_API_KEY" in curl and not curl.startswith("#") for curl in curls)
    (directory / "north.curl.sh").write_text(
        "#!/bin/sh\n# The REST calls the suite made to the target, in order, with their whole bodies.\n"
        + (': "${FIWANO_API_KEY:?export FIWANO_API_KEY (the API key the test used) first}"\n' if needs_key else "")
        + "\n".join(f"{curl}; echo" if not curl.startswith("#") else curl for curl in curls) + "\n",
        encoding="utf-8")
    (directory / "north.curl.sh").chmod(0o755)
    script = {"test": test.nodeid, "seed": results.seeds.get("fiwano_seed"),
              "note": "Graph API calls the target made to the simulator during the test and the answers it got; "
                      "replay.sh re-creates them by re-running the test, which scripts the simulator.",
              "journal": journal_script(test.evidence.get("south", ""))}
    (directory / "simulator-script.json").write_text(json.dumps(script, indent=2, ensure_ascii=False) + "\n",
                                                     encoding="utf-8")
    (directory / "config.json").write_text(json.dumps({"configuration": results.configuration,
                                                       "versions": results.versions, "seeds": results.seeds},
                                                      indent=2) + "\n", encoding="utf-8")
    evidence_dir = directory / "evidence"
    evidence_dir.mkdir(exist_ok=True)
    for side, text in test.evidence.items():
        (evidence_dir / f"{slug(side)}.txt").write_text(text + "\n", encoding="utf-8")
    (directory / "README.md").write_text(
        f"# {test.nodeid}\n\nStatus: **{test.status}** ({test.when}) - requirements "
        f"{', '.join(test.requirements) or '(none)'}\n\n{test.message}\n\n"
        "Replay it (from an environment where the kit is installed):\n\n```\n./replay.sh\n```\n\n"
        "Files: `replay.sh` (the pytest command), `north.curl.sh` (REST calls as curl), `simulator-script.json` "
        "(the simulator journal excerpt), `config.json` (redacted run configuration, versions, seeds), "
        "`evidence/` (north, south, east as the report shows them), `failure.txt` (the full failure).\n",
        encoding="utf-8")
    (directory / "failure.txt").write_text(test.longrepr + "\n", encoding="utf-8")
    return directory


def bundle_name(index: int, test: TestResult) -> str:
    return f"{index:03d}-{slug(test.nodeid)}"


def write_bundles(results: RunResults, directory: Path) -> Path:
    """One bundle per failed or errored test; the directory is emptied of stale bundles first."""
    if directory.exists():
        for old in directory.glob("[0-9][0-9][0-9]-*"):
            if old.is_dir():
                for path in sorted(old.rglob("*"), reverse=True):
                    path.unlink() if path.is_file() else path.rmdir()
                old.rmdir()
    for index, test in enumerate(results.tests_with(FAIL, ERROR), start=1):
        write_bundle(test, results, directory / bundle_name(index, test))
    return directory
