"""Links from a requirement to its section of the Fiwano docs.

The catalogue names each requirement's docs section as a heading path (``Sending Messages / Text length
limits & errors``). The report must stay one self-contained file and the docs have no stable public
anchors, so the report carries the referenced sections itself: an excerpt of the contract's docs
snapshot (``contract/source/fiwano-api.md``) starting at the heading, under an in-page anchor. A public
docs URL can be given as well (``--docs-url``); it is then shown next to each excerpt.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

import contract

DOCS_FILE = contract.CONTRACT_DIR / "source" / "fiwano-api.md"
EXCERPT_LINES = 24


def anchor(section: str) -> str:
    """The in-page anchor of a docs section (stable: derived from the heading path only)."""
    return "docs-" + (re.sub(r"[^a-z0-9]+", "-", section.lower()).strip("-") or "top")


@dataclass(frozen=True)
class DocsSection:
    section: str
    anchor: str
    excerpt: str
    line: int | None  # 1-based line of the heading in the snapshot, None when not found


@lru_cache(maxsize=1)
def _lines() -> tuple[str, ...]:
    try:
        return tuple(DOCS_FILE.read_text(encoding="utf-8").splitlines())
    except OSError:
        return ()


def _find(lines: tuple[str, ...], heading: str, start: int) -> int | None:
    plain = re.sub(r"\s*\([^)]*\)$", "", heading).strip()  # "HTTP Status Codes (402)" -> "HTTP Status Codes"
    for wanted in (heading, plain):
        for index in range(start, len(lines)):
            if lines[index].strip() == wanted:
                return index
    return None


def section(path: str) -> DocsSection:
    """The excerpt of the docs snapshot for a heading path; the top heading when the sub heading is not found."""
    lines = _lines()
    parts = [p.strip() for p in path.split(" / ") if p.strip()]
    found = _find(lines, parts[0], 0) if parts else None
    if found is not None:
        for part in parts[1:]:
            sub = _find(lines, part, found)
            if sub is None:
                break
            found = sub
    if found is None:
        return DocsSection(path, anchor(path), "(this heading is not in the docs snapshot)", None)
    excerpt = "\n".join(line for line in lines[found:found + EXCERPT_LINES])
    return DocsSection(path, anchor(path), excerpt, found + 1)
