"""POST /redirects reads body["uri_pattern"] from the raw JSON: a missing uri_pattern is a 500 (KeyError)."""

from __future__ import annotations

REQUIREMENTS = ("REDIRECT-URI-REQUIRED",)


def apply() -> None:
    from typing import Any

    from pydantic import model_validator

    from tests.mutants.seams import replace_component

    import reference.api.connect as connect

    class RawRedirectCreate(connect.RedirectCreate):
        @model_validator(mode="before")
        @classmethod
        def _raw(cls, data: Any) -> Any:
            return {**data, "uri_pattern": data["uri_pattern"]}  # a KeyError, not a validation error: a 500

    replace_component(connect, "RedirectCreate", RawRedirectCreate)
