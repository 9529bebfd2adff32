"""Typed parameter readers that fail the way Graph does (code 100), never with a Python error."""

from __future__ import annotations

from typing import Any

from simulator.errors import GraphError, invalid


def require_dict(params: dict[str, Any], key: str, where: str | None = None) -> dict[str, Any]:
    value = params.get(key)
    name = where or key
    if value is None:
        raise GraphError(100, f"(#100) The parameter {name} is required", details=f"Parameter {name} is required")
    if not isinstance(value, dict):
        raise invalid(f"Param {name} must be a JSON object", message=f"(#100) Param {name} must be a JSON object")
    return value


def require_str(params: dict[str, Any], key: str, where: str | None = None, *, allow_empty: bool = False) -> str:
    value = params.get(key)
    name = where or key
    if value is None or (value == "" and not allow_empty):
        raise GraphError(100, f"(#100) The parameter {name} is required", details=f"Parameter {name} is required")
    if not isinstance(value, str):
        raise invalid(f"Param {name} must be a string", message=f"(#100) Param {name} must be a string")
    return value


def optional_str(params: dict[str, Any], key: str, where: str | None = None) -> str | None:
    value = params.get(key)
    if value is None:
        return None
    if not isinstance(value, str):
        name = where or key
        raise invalid(f"Param {name} must be a string", message=f"(#100) Param {name} must be a string")
    return value


def optional_bool(params: dict[str, Any], key: str, where: str | None = None) -> bool | None:
    value = params.get(key)
    if value is None:
        return None
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    name = where or key
    raise invalid(f"Param {name} must be a boolean", message=f"(#100) Param {name} must be a boolean")


def text_length(text: str, unit: str | None) -> int:
    """Length as Meta might count it: code points (default), UTF-16 code units or UTF-8 bytes."""
    if unit == "utf16":
        return len(text.encode("utf-16-le")) // 2
    if unit == "bytes":
        return len(text.encode("utf-8"))
    return len(text)
