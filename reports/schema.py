"""The JSON Schema of results.json (reports/results_schema.json) and its validation.

The schema is the public contract of results.json for CI tools and dashboards; the kit's tests validate
every results.json they produce against it, and ``report render|diff`` refuse a file that does not match.
"""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path
from typing import Any, cast

SCHEMA_FILE = Path(__file__).resolve().parent / "results_schema.json"


@lru_cache(maxsize=1)
def results_schema() -> dict[str, Any]:
    return cast(dict[str, Any], json.loads(SCHEMA_FILE.read_text(encoding="utf-8")))


def validate_results(data: Any) -> None:
    """Raise ValueError (with the JSON path) when ``data`` is not a valid results.json document."""
    from jsonschema import Draft202012Validator

    validator = Draft202012Validator(results_schema())
    errors = sorted(validator.iter_errors(data), key=lambda e: list(e.absolute_path))
    if errors:
        shown = "; ".join(f"{'/'.join(map(str, e.absolute_path)) or '(root)'}: {e.message[:200]}" for e in errors[:5])
        raise ValueError(f"not a valid results.json ({len(errors)} problem(s)): {shown}")
