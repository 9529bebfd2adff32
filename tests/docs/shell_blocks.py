"""The shell blocks of the kit's docs (README.md and docs/*.md) and how each one is checked.

A fenced block tagged ``bash``, ``sh`` or ``shell`` is a command a user copies. By default the docs test
runs it exactly as written, with ``bash -e``, in a fresh empty directory outside the repository (so it must
work from anywhere), and expects exit 0. An HTML comment on the line just before the fence changes that::

    <!-- docs-test: check-only -- why it is not run -->
        not run (it needs a host of the user's, or takes many minutes): its syntax is checked with
        ``bash -n`` and every ``fiwano-conformance`` command and ``--fiwano-*`` option is parsed by the
        kit's own parsers; the reason after ``--`` is required
    <!-- docs-test: server ports=9100 -->
        a long-running server: started in the background, the test waits until the ports accept
        connections; it runs until the end of its section (the next heading), so the runnable blocks
        that follow in the section run against it
    <!-- docs-test: session ports=9100,9200 -->
        (before a document's first block) all blocks of the document run in order in ONE shell, as the
        page tells the reader to do
    cwd=repo
        run from the repository's root instead of an empty directory (with any of the above)

Servers and sessions use fixed ports as the docs print them, so those runs are serialised across
processes with a lock file and fail clearly when a port is taken.
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SHELL_LANGUAGES = {"bash", "sh", "shell"}
MODES = {"run", "check-only", "server", "session"}
COMMAND_WORDS = ("fiwano-conformance", "python", "python3", "pytest", "pip", "curl", "locust", "apt-get", "grep",
                 ". ", "cd ", "export ")
_FENCE = re.compile(r"^```\s*([A-Za-z0-9_-]*)\s*$")
_MARKER = re.compile(r"^<!--\s*docs-test:\s*(.*?)\s*-->\s*$")
_HEADING = re.compile(r"^(#+)\s")


def documents() -> list[Path]:
    return [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]


@dataclass
class Block:
    doc: Path
    line: int  # 1-based line of the opening fence
    language: str
    text: str
    section: str  # the heading the block is under
    mode: str = "run"
    options: dict[str, str] = field(default_factory=dict)
    reason: str = ""
    marker_error: str = ""

    @property
    def name(self) -> str:
        return f"{self.doc.relative_to(ROOT)}:{self.line}"

    @property
    def ports(self) -> list[int]:
        return [int(p) for p in self.options.get("ports", "").split(",") if p]

    @property
    def is_shell(self) -> bool:
        return self.language in SHELL_LANGUAGES

    def looks_like_commands(self) -> bool:
        first = next((line.strip() for line in self.text.splitlines() if line.strip()), "")
        return first.startswith(COMMAND_WORDS)


def _parse_marker(text: str) -> tuple[str, dict[str, str], str, str]:
    head, _, reason = text.partition(" -- ")
    mode, options, error = "run", {}, ""
    for token in head.split():
        if "=" in token:
            key, _, value = token.partition("=")
            options[key] = value
        elif token in MODES:
            mode = token
        else:
            error = f"unknown docs-test word {token!r} (known: {', '.join(sorted(MODES))}, key=value)"
    if mode == "check-only" and not reason.strip():
        error = "a check-only block needs a reason after ' -- '"
    if options.get("cwd", "tmp") not in ("tmp", "repo"):
        error = f"cwd must be tmp or repo, not {options['cwd']!r}"
    return mode, options, reason.strip(), error


def blocks(doc: Path) -> list[Block]:
    """Every fenced block of ``doc`` with its marker (if any)."""
    lines = doc.read_text(encoding="utf-8").splitlines()
    found: list[Block] = []
    section = ""
    index = 0
    while index < len(lines):
        line = lines[index]
        heading = _HEADING.match(line)
        if heading:
            section = line.strip()
        fence = _FENCE.match(line)
        if fence:
            start = index
            body: list[str] = []
            index += 1
            while index < len(lines) and not lines[index].startswith("```"):
                body.append(lines[index])
                index += 1
            block = Block(doc, start + 1, fence.group(1).lower(), "\n".join(body) + "\n", section)
            previous = lines[start - 1] if start > 0 else ""
            marker = _MARKER.match(previous)
            if marker:
                block.mode, block.options, block.reason, block.marker_error = _parse_marker(marker.group(1))
            found.append(block)
        index += 1
    return found


def shell_blocks() -> list[Block]:
    return [block for doc in documents() for block in blocks(doc) if block.is_shell]


@dataclass
class Run:
    """What one test case executes: one block, a section with its servers, or a whole session document."""

    name: str
    blocks: list[Block]
    session: bool = False

    @property
    def heavy(self) -> bool:
        return self.session or any(block.mode == "server" for block in self.blocks)

    @property
    def ports(self) -> list[int]:
        return sorted({port for block in self.blocks for port in block.ports})

    @property
    def cwd_repo(self) -> bool:
        return any(block.options.get("cwd") == "repo" for block in self.blocks)


def runs() -> list[Run]:
    """The runnable blocks grouped as they must run (check-only blocks are not part of any run)."""
    result: list[Run] = []
    for doc in documents():
        shell = [block for block in blocks(doc) if block.is_shell]
        if shell and shell[0].mode == "session":
            result.append(Run(f"{doc.relative_to(ROOT)} (session)", shell, session=True))
            continue
        by_section: dict[str, list[Block]] = {}
        for block in shell:
            by_section.setdefault(block.section, []).append(block)
        for section_blocks in by_section.values():
            runnable = [b for b in section_blocks if b.mode in ("run", "server")]
            if any(b.mode == "server" for b in runnable):
                result.append(Run(f"{runnable[0].name} ({runnable[0].section.lstrip('# ')})", runnable))
            else:
                result.extend(Run(b.name, [b]) for b in runnable)
    return result


# ------------------------------------------------------------------------------------------- commands


def logical_lines(text: str) -> list[str]:
    """Lines with backslash continuations joined; here-documents' bodies dropped."""
    joined = text.replace("\\\n", " ")
    out: list[str] = []
    heredoc_end: str | None = None
    for line in joined.splitlines():
        if heredoc_end is not None:
            if line.strip() == heredoc_end:
                heredoc_end = None
            continue
        here = re.search(r"<<-?\s*'?\"?([A-Za-z_]+)'?\"?", line)
        if here:
            heredoc_end = here.group(1)
        out.append(line)
    return out


def commands(text: str) -> list[list[str]]:
    """Each simple command of a block as argv (split on ``&&``, ``||``, ``;``, ``|``, ``&``), comments dropped."""
    found: list[list[str]] = []
    for line in logical_lines(text):
        line = _REDIRECT.sub(" ", line)
        try:
            lexer = shlex.shlex(line, posix=True, punctuation_chars=";&|")
            lexer.whitespace_split = True
            lexer.commenters = "#"
            tokens = list(lexer)
        except ValueError:
            continue  # bash -n judges the syntax
        current: list[str] = []
        for token in tokens:
            if token and set(token) <= set(";&|"):
                if current:
                    found.append(current)
                current = []
            else:
                current.append(token)
        if current:
            found.append(current)
    # leading VAR=value assignments are the environment of the command, not its argv
    stripped = [argv[next((i for i, t in enumerate(argv) if not re.match(r"^[A-Za-z_][A-Za-z0-9_]*=", t)),
                          len(argv)):] for argv in found]
    return [argv for argv in stripped if argv]


_REDIRECT = re.compile(r"\s\d*(?:>>?|<)(?:&\d+|\s*[^\s;&|]+)")  # ` > log`, ` 2>&1`, ` < in`: not arguments
