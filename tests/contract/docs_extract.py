"""Extract the JSON examples of fiwano-api.md (response bodies and curl -d request bodies).

The docs are plain text: a JSON example starts with a line that begins with "{" and ends where the
braces balance; request bodies are the quoted argument of curl's -d. Blocks that are not valid JSON
(the envelope sketch with "data": { ... }) are returned separately so a test can count them.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class DocExample:
    line: int  # 1-based line of the block's start in the docs
    kind: str  # "body" (response or webhook payload) or "request" (curl -d)
    heading: str  # the nearest preceding heading-like line (an HTTP method line or a title)
    value: Any


def _depth_delta(text: str) -> int:
    depth, in_string, escaped = 0, False, False
    for char in text:
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char in "{[":
            depth += 1
        elif char in "}]":
            depth -= 1
    return depth


_HEADING = re.compile(r"^(GET|POST|PUT|PATCH|DELETE) /api/v1/|^message\.\w+|^[A-Z][A-Za-z ]+ example:?$|^Response")
_CURL_BODY = re.compile(r"-d '(.*?)'", re.S)


def extract(text: str) -> tuple[list[DocExample], list[tuple[int, str]]]:
    """Return (examples, unparsable blocks as (line, text))."""
    lines = text.splitlines()
    examples: list[DocExample] = []
    broken: list[tuple[int, str]] = []
    heading = ""
    index = 0
    while index < len(lines):
        line = lines[index]
        if _HEADING.match(line):
            heading = line.strip()
        if line.startswith("{"):
            start, depth, block = index, 0, []
            while index < len(lines):
                block.append(lines[index])
                depth += _depth_delta(lines[index])
                if depth <= 0:
                    break
                index += 1
            raw = "\n".join(block)
            try:
                examples.append(DocExample(start + 1, "body", heading, json.loads(raw)))
            except json.JSONDecodeError:
                broken.append((start + 1, raw))
        index += 1
    for match in _CURL_BODY.finditer(text):
        line_no = text.count("\n", 0, match.start()) + 1
        raw = match.group(1)
        try:
            examples.append(DocExample(line_no, "request", "curl -d", json.loads(raw)))
        except json.JSONDecodeError:
            broken.append((line_no, raw))
    return examples, broken
