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

from fiwano_conformance.shared.results import ERROR, FAIL
from reports.model import RunResults, TestResult

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


# replay.sh finds the kit where it is installed at replay time (a bundle may be replayed on another machine) and
# isolates pytest with the same root, ini and path as `fiwano-conformance run` (fiwano_conformance/run_cmd.py)
KIT_ROOT_VAR, KIT_INI_VAR = "$FIWANO_KIT_ROOT", "$FIWANO_KIT_INI"
_KIT_LOOKUP = (
    "FIWANO_KIT_ROOT=\"$(python -P -c 'from fiwano_conformance import run_cmd; print(run_cmd.KIT_ROOT)')\"\n"
    "FIWANO_KIT_INI=\"$FIWANO_KIT_ROOT/fiwano_conformance/run-pytest.ini\"\n"
    "# the kit's own packages first, no pytest options from the environment (as `run` does)\n"
    "PYTHONPATH=\"$FIWANO_KIT_ROOT${PYTHONPATH:+:$PYTHONPATH}\"; export PYTHONPATH\n"
    "unset PYTEST_ADDOPTS\n")
_KIT_VARIABLE = re.compile(r"(\$FIWANO_KIT_(?:ROOT|INI))")  # expanded by sh in replay.sh


def replay_command(test: TestResult, configuration: dict[str, Any], rootdir: str = "") -> list[str]:
    """The pytest command that re-runs ``test`` alone with the run's settings (secrets excluded).

    Isolated like ``fiwano-conformance run``: the kit's own ini (``-c``; the pytest.ini, pyproject.toml,
    conftest.py of a project the results directory sits in are never read), the kit's root as rootdir and
    conftest boundary, ``-P`` (the bundle's directory is not on ``sys.path``). The ``$FIWANO_KIT_*`` words are
    set by replay.sh from the installed kit."""
    in_suites = pyarg(test.nodeid) is not None  # a test of the installed suites package
    root = KIT_ROOT_VAR if in_suites else (rootdir or ".")
    confcut = f"{KIT_ROOT_VAR}/suites" if in_suites else root
    command = ["python", "-P", "-m", "pytest", "-c", KIT_INI_VAR, f"--rootdir={root}", f"--confcutdir={confcut}",
               "-p", "reports.collector", "-p", "no:cacheprovider", "--fiwano-results", "replay-results"]
    for name in _PASSED_SETTINGS:
        value = configuration.get(name)
        if value in (None, "", [], ()) or "<redacted>" in str(value):
            continue
        if isinstance(value, (list, tuple)):
            value = ",".join(map(str, value))
        command.append(f"--fiwano-{name.replace('_', '-')}={value}")
    if in_suites:
        # by path in the installed kit, not --pyargs: with no path argument pytest would load the conftest.py
        # files of the working directory (the bundle's) and of every directory above it
        return command + [f"{KIT_ROOT_VAR}/{test.nodeid}"]
    return command + [str(Path(rootdir or ".") / test.nodeid)]


def shell_words(command: list[str]) -> str:
    """``command`` quoted for sh; the ``$FIWANO_KIT_*`` variables left for the shell to expand."""
    def word(part: str) -> str:
        pieces = _KIT_VARIABLE.split(part)
        return "".join(f'"{piece}"' if _KIT_VARIABLE.fullmatch(piece) else shlex.quote(piece)
                       for piece in pieces if piece) or "''"
    return " ".join(word(part) for part in command)


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
        "set -e\ncd \"$(dirname \"$0\")\"\n" + _KIT_LOOKUP + shell_words(command) + " \"$@\"\n",
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
