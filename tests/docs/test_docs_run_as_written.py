"""House rule 8: the docs run as written.

Every shell block of README.md and docs/*.md is either run exactly as printed (from an empty directory
outside the repository unless marked ``cwd=repo``) or, when marked ``check-only`` with a reason, checked
for syntax (``bash -n``) and options (the kit's own parsers). The README's standalone recipe (the
simulator and the reference as two servers, then ``fiwano-conformance run`` by URL) must end CONFORMANT.
Every relative link of the kit's Markdown files resolves to a file inside the repository. The marker
convention is described in tests/docs/shell_blocks.py and docs/self-test.md.
"""

from __future__ import annotations

import fcntl
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.docs.shell_blocks import ROOT, Block, Run, blocks, commands, documents, runs, shell_blocks

RUN_TIMEOUT_SECONDS = 120
HEAVY_TIMEOUT_SECONDS = 900  # the standalone recipe runs the whole suites; the walk-through many steps
SERVER_START_SECONDS = 60


# ------------------------------------------------------------------------------------------- the blocks


def test_every_command_block_is_a_tagged_shell_block():
    """An untagged block of commands would escape this test: tag it ```bash (and mark it if it cannot run)."""
    untagged = [block.name for doc in documents() for block in blocks(doc)
                if not block.language and block.looks_like_commands()]
    assert not untagged, f"tag these command blocks ```bash: {untagged}"


def test_every_marker_is_well_formed():
    problems = [f"{block.name}: {block.marker_error}" for block in shell_blocks() if block.marker_error]
    assert not problems, "\n".join(problems)
    assert any(block.mode == "server" for block in shell_blocks()), "the README's standalone recipe is not run"


def _plugin_option_strings() -> set[str]:
    from reports.collector import pytest_addoption as collector_options
    from suites.plugin import pytest_addoption

    strings: set[str] = set()

    class _Group:
        def getgroup(self, *args, **kwargs):
            return self

        def addoption(self, *names, **kwargs):
            strings.update(names)

    pytest_addoption(_Group())
    collector_options(_Group())
    return strings


def _option_problems(argv: list[str], known: set[str]) -> list[str]:
    return [f"unknown option {token.split('=')[0]!r} in {' '.join(argv)!r}" for token in argv
            if token.startswith("--fiwano-") and token.split("=")[0] not in known]


def _cli_problems(argv: list[str]) -> list[str]:
    """Parse a ``fiwano-conformance`` command line with the CLI's own parser."""
    import importlib
    from contextlib import redirect_stderr
    from io import StringIO

    from fiwano_conformance import cli

    errors = StringIO()
    try:
        with redirect_stderr(errors):
            args, extra = cli.build_parser().parse_known_args(argv)
    except SystemExit as exc:
        if exc.code == 0:
            return []
        return [f"fiwano-conformance {' '.join(argv)}: {errors.getvalue().strip().splitlines()[-1]}"]
    module = importlib.import_module(args._module)
    if extra and not getattr(module, "ACCEPTS_EXTRA_ARGS", False):
        return [f"fiwano-conformance {' '.join(argv)}: unrecognized arguments {extra}"]
    return _option_problems(extra, _plugin_option_strings())


def check_block(block: Block) -> list[str]:
    """Syntax and options of a block that is not run."""
    problems = []
    syntax = subprocess.run(["bash", "-n"], input=block.text, capture_output=True, text=True, check=False)
    if syntax.returncode != 0:
        problems.append(f"bash -n: {syntax.stderr.strip()}")
    for argv in commands(block.text):
        if argv[0] == "fiwano-conformance":
            problems += _cli_problems(argv[1:])
        elif argv[0] == "pytest" or argv[:3] in (["python", "-m", "pytest"], ["python3", "-m", "pytest"]):
            problems += _option_problems(argv, _plugin_option_strings())
    return problems


@pytest.mark.parametrize("block", [b for b in shell_blocks()], ids=lambda b: b.name)
def test_every_block_parses(block):
    """Every block, run or not: bash syntax, the CLI's subcommands and options, the plugin's options."""
    assert not check_block(block), f"{block.name}:\n" + "\n".join(check_block(block))


def test_the_checker_catches_a_wrong_option_and_a_wrong_subcommand():
    bad = Block(ROOT / "README.md", 1, "bash", "fiwano-conformance run --target http://t --sink-ca http://x\n"
                "pytest --pyargs suites --fiwano-targte http://t\nfiwano-conformance serve\nif then\n", "")
    problems = "\n".join(check_block(bad))
    assert "--fiwano-targte" in problems and "serve" in problems and "bash -n" in problems


# ------------------------------------------------------------------------------------------- running them


def _environment(scratch: Path) -> dict[str, str]:
    """A new user's shell: the kit's commands on PATH, no FIWANO_* settings, a fresh cache for the kit CA."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("FIWANO_", "PYTEST_"))}
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    env["XDG_CACHE_HOME"] = str(scratch / "cache")
    return env


@contextmanager
def _fixed_ports(ports: list[int]) -> Iterator[None]:
    """The docs print fixed ports: one such run at a time on this machine, and a clear failure if taken."""
    if not ports:
        yield
        return
    with open(Path(tempfile.gettempdir()) / "fiwano-docs-fixed-ports.lock", "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        taken = [port for port in ports if _listening(port)]
        assert not taken, f"the docs' fixed port(s) {taken} are in use by another process: cannot run them as written"
        yield


def _listening(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
        return True
    except OSError:
        return False


def _stop(process: subprocess.Popen) -> None:
    """Stop a block's whole process group (a server block's server, a session's background jobs)."""
    for sig, wait in ((signal.SIGTERM, 10), (signal.SIGKILL, 10)):
        try:
            os.killpg(process.pid, sig)
        except ProcessLookupError:
            return
        try:
            process.wait(timeout=wait)
            time.sleep(0)  # children of the group may outlive the shell: signal the group again
        except subprocess.TimeoutExpired:
            continue


def _tail(path: Path, lines: int = 40) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no output)"


def _start_server(block: Block, cwd: Path, env: dict[str, str], logs: Path) -> subprocess.Popen:
    log = logs / f"server-{block.line}.log"
    with log.open("wb") as out:
        process = subprocess.Popen(["bash", "-c", block.text], cwd=cwd, env=env, stdout=out, stderr=subprocess.STDOUT,
                                   stdin=subprocess.DEVNULL, start_new_session=True)
    deadline = time.monotonic() + SERVER_START_SECONDS
    while not all(_listening(port) for port in block.ports):
        if process.poll() is not None or time.monotonic() > deadline:
            _stop(process)
            pytest.fail(f"{block.name}: the server did not listen on {block.ports}:\n{_tail(log)}")
        time.sleep(0.1)  # start-up poll of a server, not a test timing rule
    return process


def _run_script(name: str, script: str, cwd: Path, env: dict[str, str], logs: Path, timeout: float) -> str:
    log = logs / f"{re.sub(r'[^A-Za-z0-9]+', '-', name)}.log"
    with log.open("wb") as out:
        process = subprocess.Popen(["bash", "-e", "-c", script], cwd=cwd, env=env, stdout=out,
                                   stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True)
        try:
            code = process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            code = None
        finally:
            _stop(process)
    output = log.read_text(errors="replace")
    assert code == 0, f"{name}: {'timed out' if code is None else f'exit {code}'}:\n{_tail(log, 60)}"
    return output


def _params() -> list:
    params = []
    for run in runs():
        marks = [pytest.mark.xdist_group("heavy"), pytest.mark.timeout(HEAVY_TIMEOUT_SECONDS)] if run.heavy else []
        params.append(pytest.param(run, id=run.name, marks=marks))
    return params


@pytest.mark.parametrize("run", _params())
def test_the_commands_run(run: Run, tmp_path):
    cwd = ROOT if run.cwd_repo else tmp_path / "work"
    cwd.mkdir(exist_ok=True)
    logs = tmp_path / "logs"
    logs.mkdir()
    env = _environment(tmp_path)
    timeout = HEAVY_TIMEOUT_SECONDS - 60 if run.heavy else RUN_TIMEOUT_SECONDS
    with _fixed_ports(run.ports):
        if run.session:
            _run_script(run.name, "\n".join(block.text for block in run.blocks), cwd, env, logs, timeout)
            return
        servers: list[subprocess.Popen] = []
        try:
            for block in run.blocks:
                if block.mode == "server":
                    servers.append(_start_server(block, cwd, env, logs))
                    continue
                output = _run_script(block.name, block.text, cwd, env, logs, timeout)
                if re.search(r"^fiwano-conformance run\b", block.text, re.M):
                    # a run that selects tests (docs/ci.md) is PARTIAL when all of them pass, never CONFORMANT
                    selects = re.search(r"\s(--req|--area|--last-failed|-k)\b", block.text)
                    expected = "Verdict: PARTIAL" if selects else "Verdict: CONFORMANT"
                    assert expected in output, f"{block.name}:\n{output[-3000:]}"
        finally:
            for server in servers:
                _stop(server)


def test_the_readme_standalone_recipe_is_run():
    """Issue 13's first "done when": the README's standalone pair + run-by-URL is one of the runs."""
    recipe = [run for run in runs() if run.name.startswith("README.md") and run.heavy]
    assert recipe, "no README section with server blocks"
    texts = "\n".join(block.text for block in recipe[0].blocks)
    assert "fiwano-conformance simulator" in texts and "fiwano-conformance reference" in texts
    assert re.search(r"^fiwano-conformance run --target \S+ --simulator \S+", texts, re.M)


# ------------------------------------------------------------------------------------------- links

_LINK = re.compile(r"\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
_CODE = re.compile(r"```.*?```|`[^`\n]*`", re.S)


def markdown_files() -> list[Path]:
    return sorted(p for p in ROOT.rglob("*.md")
                  if not any(part.startswith(".") or part in {"node_modules", "source", "fiwano-results"}
                             for part in p.relative_to(ROOT).parts[:-1]))


def link_problems(doc: Path, root: Path = ROOT) -> list[str]:
    text = _CODE.sub("", doc.read_text(encoding="utf-8"))
    problems = []
    for match in _LINK.finditer(text):
        target = match.group(1)
        if re.match(r"^[a-z][a-z0-9+.-]*:", target, re.I) or target.startswith("#"):
            continue  # a web address or an anchor in the same page
        path = (doc.parent / target.split("#")[0]).resolve()
        if root.resolve() not in path.parents and path != root.resolve():
            problems.append(f"{doc.relative_to(root)}: {target} points outside the repository")
        elif not path.exists():
            problems.append(f"{doc.relative_to(root)}: {target} does not exist")
    return problems


def test_every_relative_link_resolves_inside_the_repository():
    files = markdown_files()
    assert ROOT / "README.md" in files and len(files) > 5
    problems = [problem for doc in files for problem in link_problems(doc)]
    assert not problems, "\n".join(problems)


def test_the_link_checker_catches_broken_and_escaping_links(tmp_path):
    (tmp_path / "docs").mkdir()
    doc = tmp_path / "docs" / "page.md"
    (tmp_path / "docs" / "there.md").write_text("x")
    doc.write_text("[ok](there.md) [web](https://example.com) [gone](missing.md) [out](../../etc/passwd) "
                   "`[code](nope.md)` [anchor](#x)\n")
    problems = link_problems(doc, root=tmp_path)
    assert len(problems) == 2 and "missing.md" in problems[0] and "outside" in problems[1]
